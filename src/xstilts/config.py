"""params.yaml, validated: every section is a frozen pydantic model that forbids unknown keys.

``load_params`` is the only way the stages read parameters, so a typo or a bad value stops a
stage before it touches any file, with a message naming the key and what is allowed.

Longer than the project's 300-line guide on purpose: one schema, a class per params.yaml
section, and the checks across sections that need them all; split, they would import each
other.
"""

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, model_validator

from xstilts.data.hub_tasks import HUB_TASKS
from xstilts.data.hub_tasks import LANGUAGES as XTREME_LANGUAGES
from xstilts.tasks import FINETUNE_TARGETS, INTERMEDIATE_TASKS, RETRIEVAL_TARGETS
from xstilts.world.languages import LANGUAGES_BY_CODE

# The intermediate settings of the paper's matrix: the baseline, each task alone, all at once.
INTERMEDIATE_SETTINGS = ("none", *INTERMEDIATE_TASKS, "multi")

# Integers are strict so that a YAML boolean ("yes") is not read as 1; floats are not,
# because YAML reads "1e-3" as a string that pydantic must convert.
Int = Annotated[int, Strict()]
PositiveInt = Annotated[int, Strict(), Field(gt=0)]
NonNegativeInt = Annotated[int, Strict(), Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0, allow_inf_nan=False)]
NonNegativeFloat = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, lt=1)]
Bool = Annotated[bool, Strict()]


class Section(BaseModel):
    # Defaults are validated too, so that they take the types a params.yaml value would
    # (e.g. 5 -> 5.0 for a float): study keys hash them.
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class DataParams(Section):
    source: Literal["synthetic", "hf"] = "synthetic"
    languages: list[str] = Field(default_factory=lambda: list(LANGUAGES_BY_CODE), min_length=2)

    @model_validator(mode="after")
    def _known_languages(self):
        # The offline world's generated languages, or XTREME's 40 in real mode.
        known = XTREME_LANGUAGES if self.source == "hf" else LANGUAGES_BY_CODE
        unknown = [lang for lang in self.languages if lang not in known]
        if unknown:
            raise ValueError(f"data.languages: unknown {unknown} for data.source "
                             f"{self.source!r}; allowed: {sorted(known)}")
        if self.languages[0] != "en":
            raise ValueError("data.languages: the first language must be 'en' (the "
                             "language every task is trained in)")
        if len(set(self.languages)) != len(self.languages):
            raise ValueError("data.languages: a language is listed twice")
        return self


class WorldParams(Section):
    seed: NonNegativeInt = 0
    corpus_sentences: PositiveInt = 20000  # monolingual lines per language
    train_size: PositiveInt = 4000  # English training examples of a target task
    # English examples of MNLI; every other intermediate task in its hub training set's
    # proportion to MNLI's (ANLI+ 2.8x, ..., CommonsenseQA 0.025x), within floor and cap
    intermediate_size: PositiveInt = 5000
    intermediate_cap: PositiveInt = 8000
    intermediate_floor: PositiveInt = 1000
    eval_size: PositiveInt = 500  # dev and test examples per language
    tatoeba_size: PositiveInt = 500  # parallel pairs (retrieval tasks) per language
    code_switch: Fraction = 0.6  # share of non-English corpus lines with English words mixed in
    parallel: Fraction = 0.0  # share of non-English corpus lines beside their English translation
    # usual: corpus text tells of things as they usually are (what is higher is mostly
    # "above"); uniform: every object equally likely anywhere, as in the task datasets
    corpus_scenes: Literal["usual", "uniform"] = "uniform"
    # plain: NLI that the offline encoder learns, with hypothesis-only and overlap cues;
    # balanced: without them (bench/shortcuts.py), not learnt at the default budget
    nli: Literal["plain", "balanced"] = "plain"

    @model_validator(mode="after")
    def _floor_under_cap(self):
        if self.intermediate_floor > self.intermediate_cap:
            raise ValueError("world.intermediate_floor: larger than world.intermediate_cap")
        return self


class PretrainParams(Section):
    """Phase 0 offline: a tokenizer and a small XLM-R trained with MLM on the world's corpus.

    Real mode reads none of it (the encoder is ``hub.encoder``), so a real-mode params.yaml
    leaves the section out."""

    # shipped: the encoder released with the repository (assets/encoder), trained by this
    # stage with these params on this corpus, as real mode downloads XLM-R; train: train it.
    source: Literal["shipped", "train"] = "shipped"
    # Phase 0 (and 0b) trains one encoder that every seed of phases 1-3 starts from, as a
    # released checkpoint is: `seeds` experiments reuse it from the cache.
    seed: NonNegativeInt = 0
    vocab_size: Annotated[int, Strict(), Field(ge=100, le=250_002)] = 1000  # the tokenizer's
    hidden_size: PositiveInt = 128
    layers: PositiveInt = 4
    heads: PositiveInt = 4
    max_length: Annotated[int, Strict(), Field(ge=16, le=512)] = 128
    steps: PositiveInt = 3000
    batch_size: PositiveInt = 128
    lr: PositiveFloat = 2e-3
    mask_prob: Annotated[float, Field(gt=0, lt=1)] = 0.15

    @model_validator(mode="after")
    def _heads_divide_hidden(self):
        if self.hidden_size % self.heads:
            raise ValueError(f"pretrain.heads: {self.heads} does not divide "
                             f"pretrain.hidden_size {self.hidden_size}")
        return self


MaxLength = Annotated[int, Strict(), Field(ge=16, le=512)]
TaskType = Literal["classification", "tagging", "multiple_choice", "span"]


class TrainParams(Section):
    """Loop settings shared by intermediate training and fine-tuning."""

    lr: PositiveFloat = 1e-3
    batch_size: PositiveInt = 32
    warmup_ratio: Fraction = 0.1
    weight_decay: NonNegativeFloat = 0.01
    grad_accum: PositiveInt = 1
    max_grad_norm: NonNegativeFloat = 1.0
    checkpoint_every: NonNegativeInt = 100
    # bf16 autocast: "auto" uses it where the hardware computes bf16 (train/precision.py)
    bf16: Bool | Literal["auto"] = "auto"
    # torch.compile: pays off on GPUs, gains nothing on CPUs; "auto" compiles on GPUs only
    compile: Bool | Literal["auto"] = False
    # Batch widths rounded up to a multiple of this: with compile, a step meets a few shapes
    # (256 / 64 = 4 widths) instead of one per length, so it compiles a few times only.
    pad_to_multiple: PositiveInt = 1
    # Set: a step's batch_size x grad_accum examples are cut into micro-batches of at most
    # this many padded tokens each (per process), short sequences together in one, long ones
    # over several; every step still holds the same examples. None: grad_accum equal parts.
    micro_batch_tokens: PositiveInt | None = None
    # The dtype saved checkpoints hold: "auto" is bf16 where the stage trained under bf16
    # autocast (half the disk; the next phase trains on fp32 master weights again)
    save_dtype: Literal["fp32", "bf16", "auto"] = "fp32"
    # Processes per training stage (pretrain, intermediate, finetune): >1 starts the stage
    # under torchrun with DDP, one process per GPU of the node (gloo on CPUs).
    nproc: PositiveInt = 1
    max_length: MaxLength = 128
    # Per task type (absent types use max_length); QA inputs longer than their length are
    # split into windows overlapping by doc_stride tokens (XTREME: 384 and 128).
    max_length_by_type: dict[TaskType, MaxLength] = Field(default_factory=dict)
    doc_stride: Annotated[int, Strict(), Field(ge=0, le=256)] = 128
    # What sentence-level heads (classification, multiple choice) read: the mean of the token
    # states, or the <s> state as XLM-R's own classification head does.
    pooling: Literal["mean", "first"] = "mean"
    # Parameters left as phase 0 made them while training on English (phases 1 and 2): the
    # word embeddings and the lowest N transformer layers (Wu & Dredze, 2019).
    freeze_embeddings: Bool = False
    freeze_layers: NonNegativeInt = 0


class IntermediateParams(Section):
    tasks: list[str] = Field(default_factory=lambda: list(INTERMEDIATE_SETTINGS), min_length=1)
    # The schedule: `steps` for every task, or `epochs` of each task's examples (one of them).
    steps: PositiveInt | None = 160
    lr: PositiveFloat | None = None  # phase 1's own learning rate; None: train.lr
    translated: Bool = False  # train on the task's data in every language (translate-train)
    temperature: Annotated[float, Field(ge=1, allow_inf_nan=False)] = 1.0  # multi-task
    # sampling: task probability ~ size ** (1 / temperature); 1 = proportional to size
    mlm_weight: Annotated[float, Field(ge=0, lt=1)] = 0.0  # share of steps that continue
    # multilingual MLM during intermediate training (the paper's mixed objective); 0 = off
    epochs: PositiveFloat | None = None  # set: each task's steps = epochs x its examples /
    # the effective batch (train.batch_size x train.grad_accum); None: `steps` for all

    @model_validator(mode="after")
    def _known_tasks(self):
        allowed = list(INTERMEDIATE_SETTINGS)
        unknown = [t for t in self.tasks if t not in allowed]
        if unknown:
            raise ValueError(f"intermediate.tasks: unknown {unknown}; allowed: {allowed}")
        _listed_once("intermediate.tasks", self.tasks)
        return self

    @model_validator(mode="after")
    def _one_schedule(self):
        if (self.steps is None) == (self.epochs is None):
            raise ValueError("intermediate.steps, intermediate.epochs: set exactly one (the "
                             "other null): steps for every task, or epochs of each task's data")
        return self


def _listed_once(key: str, values: list) -> None:
    """A list of the study's cells names each once (a repeat would be a second DVC stage
    writing the same outputs)."""
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"{key}: {repeated} listed more than once")


class FinetuneParams(Section):
    targets: list[str] = Field(default_factory=lambda: list(FINETUNE_TARGETS), min_length=1)
    steps: PositiveInt | None = 250  # targets without `epochs`; null: every target has epochs
    # PAWS-X trains for 5 epochs at its own rate, as in jiant and XTREME
    epochs: dict[str, PositiveFloat] = Field(default_factory=lambda: {"pawsx": 5})  # per
    # target; else steps
    effective_batch_size: dict[str, PositiveInt] = Field(default_factory=dict)  # per target;
    # else train.batch_size x train.grad_accum
    lr: dict[str, PositiveFloat] = Field(default_factory=lambda: {"pawsx": 3e-4})  # per
    # target; else train.lr
    # Fine-tuned encoders kept: "all" in every cell's output; "registered": only each target's
    # champion, in MLflow's registry (every cell keeps its heads, metrics and predictions)
    weights: Literal["all", "registered"] = "all"

    @model_validator(mode="after")
    def _known_targets(self):
        unknown = [t for t in [*self.targets, *self.epochs, *self.effective_batch_size,
                               *self.lr] if t not in FINETUNE_TARGETS]
        if unknown:
            raise ValueError(f"finetune.targets: unknown {unknown}; "
                             f"allowed: {sorted(FINETUNE_TARGETS)}")
        _listed_once("finetune.targets", self.targets)
        without = [t for t in self.targets if t not in self.epochs]
        if self.steps is None and without:
            raise ValueError(f"finetune.steps: null, but {without} have no finetune.epochs; "
                             "give them epochs or set steps")
        if self.steps is not None and not without:
            raise ValueError("finetune.steps: every target has finetune.epochs, so steps would "
                             "be unused; set it to null")
        return self


class EvalParams(Section):
    batch_size: PositiveInt = 64  # 64 evaluates faster than 256 on CPU caches
    # Set: inference batches also hold at most about this many padded tokens (length-sorted,
    # so short sentences go many to a batch: raise batch_size with it on GPUs)
    batch_tokens: PositiveInt | None = None
    retrieval_tasks: list[str] = Field(default_factory=lambda: list(RETRIEVAL_TARGETS))
    # Hidden layer whose mean-pooled states embed sentences (0: embeddings, -1: last).
    # XTREME reads a middle layer: 7 of 12 (mBERT), 13 of 24 (XLM-R Large).
    retrieval_layer: Int = 2
    retrieval_max_length: MaxLength = 128  # XTREME: 512

    @model_validator(mode="after")
    def _known_retrieval(self):
        unknown = [t for t in self.retrieval_tasks if t not in RETRIEVAL_TARGETS]
        if unknown:
            raise ValueError(f"eval.retrieval_tasks: unknown {unknown}; "
                             f"allowed: {sorted(RETRIEVAL_TARGETS)}")
        _listed_once("eval.retrieval_tasks", self.retrieval_tasks)
        return self


class ClipParams(Section):
    """Phase 0b offline (encoder: clip): image-caption contrastive training of the text
    encoder. Real mode takes a released CLIP instead (``hub.clip_model``)."""

    # Scenes rendered as small images, captioned in these languages.
    images: PositiveInt = 4000
    image_size: Annotated[int, Strict(), Field(ge=16, le=224)] = 32
    caption_languages: Literal["en", "all"] = "all"
    # frozen: the image tower keeps its random initialisation offline (random image features;
    # LiT proper locks a pretrained one). Real mode trains nothing, so it changes nothing.
    image_tower: Literal["trained", "frozen"] = "trained"
    init_temperature: PositiveFloat = 0.07
    captions_per_image: PositiveInt = 7  # languages of one image's captions in a step
    steps: PositiveInt = 400
    batch_size: PositiveInt = 64
    lr: PositiveFloat = 5e-4


class CaptionSourceParams(Section):
    """A hub image-caption dataset (real mode, encoder: clip); see data.hub.CaptionSource."""

    # None: no download. The released multilingual CLIP needs no captions to train; set one
    # to log image-text retrieval or to build a caption set for other experiments.
    dataset: str | None = Field(None, min_length=1)
    config: str | None = None
    split: str = "test"
    image_column: str = "image"
    captions: dict[str, str] = Field(default_factory=lambda: {"en": "caption"}, min_length=1)
    train_images: PositiveInt = 4000  # the first records, for phase 0b's train split
    test_images: PositiveInt = 500  # the next ones, held out for image-text retrieval
    image_size: Annotated[int, Strict(), Field(ge=16, le=1024)] = 224  # stored square side


class HubParams(Section):
    """Real mode (data.source: hf): the encoder and data sources on the Hugging Face hub."""

    encoder: str = Field("xlm-roberta-large", min_length=1)  # or xlm-roberta-base
    anli_plus: Bool = True  # the paper's ANLI+: ANLI rounds + SNLI + MNLI
    max_examples: PositiveInt | None = None  # first N records per file (smoke runs)
    timeout_s: PositiveFloat = 10.0  # reachability check per repo
    # Phase 0b: open_clip's multilingual CLIP whose text tower is hub.encoder (its XLM-R
    # Large text tower was trained against a frozen ViT-H/14, LiT-style).
    clip_model: str = "xlm-roberta-large-ViT-H-14"
    clip_pretrained: str = "frozen_laion5b_s13b_b90k"
    captions: CaptionSourceParams = CaptionSourceParams()
    # A local hub mirror (python -m xstilts.mirror fetch): real mode reads every dataset and
    # model from it, with no network. Relative paths start at the repository root.
    mirror: str | None = None


class TrackingParams(Section):
    experiment: str = Field("xstilts", min_length=1)
    uri: str | None = None  # None: SQLite store under <repo>/mlruns


class Params(Section):
    encoder: Literal["xlmr", "clip"] = "xlmr"
    seeds: list[NonNegativeInt] = Field(default_factory=lambda: [0], min_length=1)
    data: DataParams = DataParams()
    # The offline world's sections (world, pretrain, clip) may be left out in real mode.
    world: WorldParams = WorldParams()
    pretrain: PretrainParams = PretrainParams()
    train: TrainParams = TrainParams()
    intermediate: IntermediateParams = IntermediateParams()
    finetune: FinetuneParams = FinetuneParams()
    eval: EvalParams = EvalParams()
    clip: ClipParams = ClipParams()
    hub: HubParams = HubParams()
    tracking: TrackingParams = TrackingParams()

    @model_validator(mode="after")
    def _consistent(self):
        lengths = {"train.max_length": self.train.max_length,
                   **{f"train.max_length_by_type.{k}": v
                      for k, v in self.train.max_length_by_type.items()}}
        if self.data.source == "synthetic":  # a hub encoder has positions of its own
            lengths["eval.retrieval_max_length"] = self.eval.retrieval_max_length
        else:  # XLM-R's 512 positions, the bound MaxLength already keeps
            lengths = {}
        for key, length in lengths.items():
            if length > self.pretrain.max_length:
                raise ValueError(f"{key}: {length} exceeds the encoder's positions "
                                 f"(pretrain.max_length {self.pretrain.max_length})")
        _listed_once("seeds", self.seeds)
        for target, size in self.finetune.effective_batch_size.items():
            # Reached by accumulating whole batches: another size would silently be another.
            if size % self.train.batch_size:
                raise ValueError(f"finetune.effective_batch_size.{target}: {size} is not a "
                                 f"multiple of train.batch_size ({self.train.batch_size})")
        layers = self.pretrain.layers  # the offline encoder's; a hub encoder's are unknown here
        if self.data.source == "synthetic" and not -layers - 1 <= self.eval.retrieval_layer \
                <= layers:
            raise ValueError(f"eval.retrieval_layer: {self.eval.retrieval_layer} is not a layer "
                             f"of the {layers}-layer offline encoder (0: embeddings, {layers} "
                             "or -1: last)")
        if self.data.source == "synthetic" and self.train.freeze_layers >= layers:
            raise ValueError(f"train.freeze_layers: {self.train.freeze_layers} would freeze "
                             f"every layer of the {layers}-layer offline encoder")
        return self

    @model_validator(mode="after")
    def _supported(self):
        if self.data.source == "hf":
            if self.intermediate.translated:
                raise ValueError("intermediate.translated: the hub has no machine-translated "
                                 "training sets; set it to false with data.source: hf")
            if self.intermediate.mlm_weight > 0:
                raise ValueError("intermediate.mlm_weight: continued MLM needs monolingual "
                                 "corpora, which real mode does not download; set it to 0 "
                                 "with data.source: hf")
            for task in self.eval.retrieval_tasks:  # English sentences query the others
                if not [lang for lang in self.data.languages[1:]
                        if lang in HUB_TASKS[task].languages]:
                    raise ValueError(
                        f"eval.retrieval_tasks: {task} exists in none of data.languages other "
                        f"than English (XTREME has it in {sorted(HUB_TASKS[task].languages)}); "
                        f"add one of them or drop {task}")
            self._released_encoders_match()
        return self

    def _released_encoders_match(self) -> None:
        from xstilts.models.hub import ENCODER_LAYERS, HUB_CLIPS, released_name

        encoder = released_name(self.hub.encoder)
        layers = ENCODER_LAYERS.get(encoder)  # None: a local or other checkpoint, not known here
        if layers and not -layers - 1 <= self.eval.retrieval_layer <= layers:
            raise ValueError(f"eval.retrieval_layer: {self.eval.retrieval_layer} is not a layer "
                             f"of {encoder} ({layers} layers; 0: embeddings, -1: last)")
        tower = HUB_CLIPS.get(self.hub.clip_model, (None,))[0]
        if encoder in ENCODER_LAYERS and tower != encoder:
            # The research answer compares the two encoders: they must be the same network
            # (checked with encoder: xlmr too, so that `-S encoder=clip` pairs with it).
            same = [m for m, (t, _) in HUB_CLIPS.items() if t == encoder]
            raise ValueError(
                f"hub.clip_model: the text tower of {self.hub.clip_model} is "
                f"{tower or 'not a known XLM-R'}, but hub.encoder, the XLM-R baseline it is "
                f"compared with, is {encoder}; set hub.clip_model "
                f"to {same[0]} (hub.clip_pretrained: {HUB_CLIPS[same[0]][1]}) or hub.encoder "
                f"to {tower or 'the CLIP text tower'}")


class ParamsError(ValueError):
    """Invalid params.yaml; the message names every offending key."""


def languages_of(params: Params, task: str) -> list[str]:
    """The study's languages that ``task`` has: all of them offline; on the hub, XTREME's
    list for the task (XNLI has 15 of the 40 languages, BUCC 4)."""
    if params.data.source == "hf":
        from xstilts.data.hub import task_languages

        return task_languages(task, params.data.languages)
    return list(params.data.languages)


def load_params(path: str | Path = "params.yaml") -> Params:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{path}: no such file (run from the repository root)") from None
    except yaml.YAMLError as err:
        raise ParamsError(f"{path}: not valid YAML: {err}") from None
    try:
        return Params.model_validate(raw or {})
    except ValidationError as err:
        raise ParamsError(_describe(path, err)) from None


def _describe(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: invalid parameters"]
    for e in err.errors():
        key = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check its spelling)"
        elif e["type"] == "literal_error":
            msg = f"{msg}; got {e['input']!r}"
        lines.append(f"  {key}: {msg}")
    return "\n".join(lines)
