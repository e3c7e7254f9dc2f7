"""params.yaml validation: the shipped file loads, every malformed variant is rejected with a
ParamsError naming the offending key by its dotted path, and the paper-scale profile
(profiles/paper.yaml) is complete and validates."""

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from xstilts.config import Params, ParamsError, load_params
from xstilts.data.hub import CaptionSource, HubSettings
from xstilts.data.hub_tasks import LANGUAGES

SHIPPED = Path(__file__).resolve().parents[1] / "params.yaml"
VALID = yaml.safe_load(SHIPPED.read_text())
MISSING = object()  # marks a key to delete


def mutated(path: str, value) -> dict:
    """A deep copy of the valid params with ``path`` (dotted) set to ``value``."""
    params = copy.deepcopy(VALID)
    *parents, leaf = path.split(".")
    node = params
    for key in parents:
        node = node[key]
    if value is MISSING:
        del node[leaf]
    else:
        node[leaf] = value
    return params


def write(directory: Path, params) -> Path:
    path = directory / "params.yaml"
    path.write_text(yaml.safe_dump(params, allow_unicode=True))
    return path


def test_defaults_are_the_shipped_params():
    """One source of truth: a key left out of params.yaml means what params.yaml says."""
    shipped, defaults = load_params(SHIPPED).model_dump(), Params().model_dump()
    # As JSON, so that 5 and 5.0 differ: study keys are hashes of the JSON.
    differ = {key for key in shipped
              if json.dumps(shipped[key], sort_keys=True) != json.dumps(defaults[key],
                                                                       sort_keys=True)}
    assert not differ, {key: (defaults[key], shipped[key]) for key in differ}


def test_every_default_is_written_in_params_yaml():
    """Every key is in the shipped params.yaml, so `dvc exp run -S key=value` can set it."""
    def keys(d: dict, prefix: str = "") -> set[str]:
        return {k for name, v in d.items()
                for k in (keys(v, f"{prefix}{name}.") if isinstance(v, dict)
                          and f"{prefix}{name}" not in DICT_VALUES else {f"{prefix}{name}"})}

    assert keys(Params().model_dump()) == keys(VALID)


# Params whose value is a dict (per task type or target), not a section of keys.
DICT_VALUES = {"train.max_length_by_type", "finetune.epochs", "finetune.effective_batch_size",
               "finetune.lr", "hub.captions.captions"}


def test_shipped_params_validate():
    params = load_params(SHIPPED)
    assert isinstance(params, Params)
    assert params.data.languages[0] == "en"
    assert params.train.lr == VALID["train"]["lr"]
    assert params.intermediate.tasks == VALID["intermediate"]["tasks"]


def test_round_trip_of_the_valid_dict(tmp_path):
    assert load_params(write(tmp_path, VALID)) == load_params(SHIPPED)


def test_missing_optional_key_takes_its_default(tmp_path):
    params = load_params(write(tmp_path, mutated("train.bf16", MISSING)))
    assert params.train.bf16 == "auto"


MALFORMED = [
    # (dotted key set, value, key the message must name)
    ("train.lr", "fast", "train.lr"),
    ("train.lr", 0, "train.lr"),
    ("train.lr", -0.1, "train.lr"),
    ("train.batch_size", 0, "train.batch_size"),
    ("train.batch_size", 2.5, "train.batch_size"),
    ("train.batch_size", "many", "train.batch_size"),
    ("train.warmup_ratio", 1.0, "train.warmup_ratio"),
    ("train.warmup_ratio", -0.1, "train.warmup_ratio"),
    ("train.weight_decay", -1, "train.weight_decay"),
    ("train.grad_accum", 0, "train.grad_accum"),
    ("train.max_grad_norm", -1.0, "train.max_grad_norm"),
    ("train.checkpoint_every", -5, "train.checkpoint_every"),
    ("train.bf16", "maybe", "train.bf16"),
    ("train.bf16", 2, "train.bf16"),
    ("train.bf16", "automatic", "train.bf16"),
    ("train.pooling", "max", "train.pooling"),
    ("train.freeze_layers", -1, "train.freeze_layers"),
    ("train.freeze_layers", 4, "train.freeze_layers"),  # all of the offline encoder's 4
    ("train.freeze_embeddings", "yes", "train.freeze_embeddings"),
    ("train.max_length", 8, "train.max_length"),
    ("train.max_length", 1024, "train.max_length"),
    ("pretrain.hidden_size", 0, "pretrain.hidden_size"),
    ("pretrain.layers", -1, "pretrain.layers"),
    ("pretrain.heads", 3, "pretrain.heads"),  # does not divide hidden_size 128
    ("pretrain.mask_prob", 0, "pretrain.mask_prob"),
    ("pretrain.mask_prob", 1.0, "pretrain.mask_prob"),
    ("pretrain.steps", [100], "pretrain.steps"),
    ("pretrain.vocab_size", 50, "pretrain.vocab_size"),
    ("pretrain.vocab_size", 300_000, "pretrain.vocab_size"),
    ("world.seed", -1, "world.seed"),
    ("world.corpus_sentences", 0, "world.corpus_sentences"),
    ("world.eval_size", "six hundred", "world.eval_size"),
    ("world.tatoeba_size", None, "world.tatoeba_size"),
    ("data.languages", [], "data.languages"),
    ("data.languages", ["en"], "data.languages"),
    ("data.languages", ["lat75", "en"], "data.languages"),  # 'en' not first
    ("data.languages", ["en", "lat75", "lat75"], "data.languages"),  # duplicate
    ("data.languages", ["en", "klingon"], "data.languages"),
    ("data.languages", "en", "data.languages"),
    ("data.source", "web", "data.source"),
    ("encoder", "bert", "encoder"),
    ("seeds", [], "seeds"),
    ("seeds", [-1], "seeds"),
    ("seeds", 0, "seeds"),
    ("intermediate.tasks", [], "intermediate.tasks"),
    ("intermediate.tasks", ["squadx"], "intermediate.tasks"),
    ("intermediate.steps", 0, "intermediate.steps"),
    ("finetune.targets", [], "finetune.targets"),
    ("finetune.targets", ["tatoeba"], "finetune.targets"),  # retrieval: never fine-tuned
    ("finetune.steps", -3, "finetune.steps"),
    ("finetune.lr", {"xnli": 0}, "finetune.lr"),
    ("finetune.lr", {"bucc": 1e-4}, "finetune"),  # retrieval targets are never fine-tuned
    ("eval.retrieval_tasks", ["xnli"], "eval.retrieval_tasks"),
    ("eval.retrieval_tasks", ["tatoeba", "tatoeba"], "eval.retrieval_tasks"),
    ("eval.retrieval_max_length", 512, "eval.retrieval_max_length"),  # > pretrain.max_length
    ("intermediate.tasks", ["none", "mnli", "none"], "intermediate.tasks"),
    ("finetune.targets", ["xnli", "xnli"], "finetune.targets"),
    ("finetune.effective_batch_size", {"xnli": 48}, "finetune.effective_batch_size.xnli"),
    ("seeds", [0, 1, 0], "seeds"),
    ("eval.batch_size", 0, "eval.batch_size"),
    ("eval.retrieval_layer", "last", "eval.retrieval_layer"),
    ("eval.retrieval_layer", 5, "eval.retrieval_layer"),  # the offline encoder has 4 layers
    ("eval.retrieval_layer", -6, "eval.retrieval_layer"),
    ("tracking.experiment", "", "tracking.experiment"),
    ("tracking.uri", 5, "tracking.uri"),
    ("lerning_rate", 0.1, "lerning_rate"),  # unknown top-level key
    ("train.lerning_rate", 0.1, "train.lerning_rate"),  # unknown nested key
    ("world.sead", 1, "world.sead"),
    ("tracking.token", "x", "tracking.token"),
    ("train", 5, "train"),  # a section that is not a mapping
    ("data", ["en"], "data"),
]


@pytest.mark.parametrize("path,value,key", MALFORMED,
                         ids=[f"{p}={v!r}" for p, v, _ in MALFORMED])
def test_malformed_params_name_the_key(tmp_path, path, value, key):
    file = write(tmp_path, mutated(path, value))
    with pytest.raises(ParamsError) as info:
        load_params(file)
    message = str(info.value)
    assert message.startswith(f"{file}: invalid parameters")
    assert f"  {key}" in message or f"{key}:" in message
    if path.rsplit(".", 1)[-1] in ("lerning_rate", "sead", "token"):
        assert "unknown key" in message


def test_an_unknown_encoder_names_the_allowed_ones(tmp_path):
    with pytest.raises(ParamsError, match=r"encoder: Input should be 'xlmr' or 'clip'"):
        load_params(write(tmp_path, mutated("encoder", "vit")))


def test_real_mode_needs_xtreme_languages_and_refuses_offline_only_options(tmp_path):
    with pytest.raises(ParamsError, match=r"data.languages: unknown .*for data.source 'hf'"):
        load_params(write(tmp_path, mutated("data.source", "hf")))
    real = mutated("data.source", "hf")
    real["data"]["languages"] = ["en", "de", "sw"]
    assert load_params(write(tmp_path, real)).data.languages == ["en", "de", "sw"]
    real["intermediate"]["mlm_weight"] = 0.2
    with pytest.raises(ParamsError, match="intermediate.mlm_weight"):
        load_params(write(tmp_path, real))
    real["intermediate"]["mlm_weight"] = 0.0
    real["data"]["languages"] = ["en", "ar", "sw"]  # BUCC has de, fr, ru and zh only
    with pytest.raises(ParamsError, match="eval.retrieval_tasks: bucc exists in none"):
        load_params(write(tmp_path, real))


def test_real_mode_compares_clip_with_the_xlmr_of_its_own_text_tower(tmp_path):
    """XLM-R Large against a CLIP with an XLM-R Base text tower would credit CLIP with the
    difference in size; and a retrieval layer must be one of the released encoder's."""
    real = mutated("data.source", "hf")
    real["data"]["languages"] = ["en", "de"]
    real["encoder"] = "clip"
    assert load_params(write(tmp_path, real)).hub.clip_model == "xlm-roberta-large-ViT-H-14"
    real["hub"]["clip_model"] = "xlm-roberta-base-ViT-B-32"
    with pytest.raises(ParamsError, match="hub.clip_model: .* xlm-roberta-base, but hub.encoder"):
        load_params(write(tmp_path, real))
    real["hub"]["encoder"] = "FacebookAI/xlm-roberta-base"
    assert load_params(write(tmp_path, real)).encoder == "clip"
    real["eval"]["retrieval_layer"] = 13  # XLM-R Large's middle layer; Base has 12
    with pytest.raises(ParamsError, match="eval.retrieval_layer: 13 is not a layer of "
                                          "xlm-roberta-base"):
        load_params(write(tmp_path, real))


def test_every_offending_key_is_reported(tmp_path):
    params = mutated("train.lr", -1)
    params["world"]["seed"] = -1
    with pytest.raises(ParamsError) as info:
        load_params(write(tmp_path, params))
    assert "train.lr" in str(info.value) and "world.seed" in str(info.value)


def test_invalid_yaml_names_the_file(tmp_path):
    file = tmp_path / "params.yaml"
    file.write_text("train:\n  lr: [0.1\n")
    with pytest.raises(ParamsError, match="not valid YAML") as info:
        load_params(file)
    assert str(file) in str(info.value)


def test_missing_file_names_the_file(tmp_path):
    file = tmp_path / "nowhere" / "params.yaml"
    with pytest.raises(ParamsError, match="no such file") as info:
        load_params(file)
    assert str(file) in str(info.value)


def test_top_level_list_is_rejected(tmp_path):
    with pytest.raises(ParamsError, match="top level"):
        load_params(write(tmp_path, [1, 2]))


def test_boolean_is_not_a_batch_size(tmp_path):
    with pytest.raises(ParamsError, match="train.batch_size"):
        load_params(write(tmp_path, mutated("train.batch_size", True)))


def test_infinite_learning_rate_is_rejected(tmp_path):
    with pytest.raises(ParamsError, match="train.lr"):
        load_params(write(tmp_path, mutated("train.lr", float("inf"))))


# --- property: any wrong-typed leaf is rejected, naming its key ----------------------------

def leaves(tree: dict, prefix: str = "") -> list[tuple[str, object]]:
    out = []
    for key, value in tree.items():
        if isinstance(value, dict):
            out += leaves(value, f"{prefix}{key}.")
        else:
            out.append((f"{prefix}{key}", value))
    return out


LEAVES = leaves(VALID)
# Words pydantic's lax mode reads as a bool or a float; letters-only text is otherwise wrong
# for every numeric, boolean or list leaf.
COERCIBLE = {"yes", "no", "on", "off", "true", "false", "t", "f", "y", "n", "inf",
             "infinity", "nan"}
words = st.text("abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8).filter(
    lambda w: w not in COERCIBLE)
mappings = st.dictionaries(words, st.integers(), min_size=1, max_size=3)
nested_lists = st.lists(st.lists(st.integers(), max_size=2), min_size=1, max_size=3)


@st.composite
def wrong_leaf(draw):
    path, valid = draw(st.sampled_from(LEAVES))
    if isinstance(valid, str) or valid is None:  # a word could be a valid string here
        value = draw(mappings | nested_lists)
    else:
        value = draw(words | mappings | nested_lists)
    return path, value


@pytest.fixture(scope="module")
def scratch(tmp_path_factory):
    return tmp_path_factory.mktemp("hypothesis")


@settings(max_examples=50, deadline=None)
@given(case=wrong_leaf())
def test_wrong_typed_leaf_is_rejected_naming_it(scratch, case):
    path, value = case
    with pytest.raises(ParamsError) as info:
        load_params(write(scratch, mutated(path, value)))
    assert f"  {path}" in str(info.value)


def test_each_phase_has_one_schedule(tmp_path):
    both = mutated("intermediate.epochs", 2)  # beside the default steps
    with pytest.raises(ParamsError, match="intermediate.steps, intermediate.epochs: set exactly"):
        load_params(write(tmp_path, both))
    both["intermediate"]["steps"] = None
    assert load_params(write(tmp_path, both)).intermediate.epochs == 2
    no_steps = mutated("finetune.steps", None)  # but only PAWS-X has epochs
    with pytest.raises(ParamsError, match=r"finetune.steps: null, but \['xnli'"):
        load_params(write(tmp_path, no_steps))


def test_a_real_mode_params_file_leaves_the_offline_sections_out(tmp_path):
    paper = yaml.safe_load((SHIPPED.parent / "profiles" / "paper.yaml").read_text())
    assert not {"world", "pretrain", "clip", "tokenizer"} & set(paper)
    assert load_params(SHIPPED.parent / "profiles" / "paper.yaml").finetune.steps is None


# --- the paper-scale profile ----------------------------------------------------------------

def _strip_unknown(model_cls, raw: dict) -> dict:
    """Drop keys the current Params does not know (the NEW ones the profile documents)."""
    out = {}
    for key, value in raw.items():
        if key not in model_cls.model_fields:
            continue
        ann = model_cls.model_fields[key].annotation
        if isinstance(value, dict) and isinstance(ann, type) and hasattr(ann, "model_fields"):
            value = _strip_unknown(ann, value)
        out[key] = value
    return out


def test_paper_profile_is_complete_and_paper_scale():
    path = Path(__file__).parents[1] / "profiles" / "paper.yaml"
    raw = yaml.safe_load(path.read_text())
    assert raw["data"]["source"] == "hf" and raw["data"]["languages"][0] == "en"
    assert set(raw["data"]["languages"]) == set(LANGUAGES)
    assert raw["hub"]["encoder"] in ("xlm-roberta-large", "xlm-roberta-base")
    HubSettings(**{k: v for k, v in raw["hub"].items() if k != "captions"},
                captions=CaptionSource(**raw["hub"]["captions"]))
    train = raw["train"]
    assert 1e-5 <= train["lr"] <= 3e-5 and train["warmup_ratio"] == 0.1
    assert 16 <= train["batch_size"] * train["grad_accum"] <= 32
    assert train["max_length_by_type"]["span"] == 384 and train["doc_stride"] == 128
    assert train["max_length"] in (128, 256) and raw["eval"]["retrieval_max_length"] == 512
    assert set(raw["finetune"]["epochs"]) == set(raw["finetune"]["targets"])
    assert all(2 <= e <= 10 for e in raw["finetune"]["epochs"].values())
    text = path.read_text()
    assert "python -m xstilts.cost --params profiles/paper.yaml" in text
    # Every key the current Params knows validates; what remains are the pending data.*
    # checks (hf and XTREME languages, refused until config.py is updated).
    try:
        Params.model_validate(_strip_unknown(Params, raw))
    except ValidationError as err:
        pending = [e for e in err.errors()
                   if not (e["loc"][:1] == ("data",) or "data.source" in e["msg"])]
        assert not pending, err
