"""The Hugging Face hub, offline, for the tests of real mode (data.source: hf): tiny local
parquet files written in the hub's exact schemas, served by a stand-in for
``datasets.load_dataset``, and the real-mode params of a three-language study.

The schemas below are the hub's ``dataset_info`` features (sources as cited in
``xstilts/data/hub_tasks.py``): google/xtreme from the xtreme.py script's infos
(tensorflow/datasets docs/community_catalog/huggingface/xtreme.md), the others from their
dataset cards. A fake ``load`` serves the files through
``datasets.load_dataset("parquet", data_files=...)``, as the hub serves parquet.
"""

from pathlib import Path

import datasets
from datasets import ClassLabel, Dataset, Features, Image, Sequence, Value
from transformers import XLMRobertaConfig

from xstilts.config import Params
from xstilts.data.hub import config_name, file_plan, tasks_for
from xstilts.data.hub_tasks import HUB_TASKS, PARQUET_EXPORT
from xstilts.tasks import FINETUNE_TARGETS, NLI_LABELS

STUDY_LANGS = ["en", "de", "ar"]  # ar: TyDiQA's non-English side; de: BUCC's
ALL_TASKS = tasks_for(["none", "multi"], list(FINETUNE_TARGETS), ["bucc", "tatoeba"])


# --- the hub's schemas ---------------------------------------------------------------------

S, I32 = Value("string"), Value("int32")
NLI = ClassLabel(names=list(NLI_LABELS))
ANSWERS = Sequence({"text": S, "answer_start": I32})
SCHEMAS = {  # (dataset, config kind) -> features, as the hub's dataset_info publishes them
    ("google/xtreme", "XNLI"): Features({"language": S, "sentence1": S, "sentence2": S,
                                         "gold_label": S}),
    ("google/xtreme", "PAWS-X"): Features({"sentence1": S, "sentence2": S, "label": S}),
    ("google/xtreme", "udpos"): Features({"tokens": Sequence(S), "pos_tags": Sequence(
        ClassLabel(names=["ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM",
                          "PART", "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X"]))}),
    ("google/xtreme", "PAN-X"): Features({"tokens": Sequence(S), "ner_tags": Sequence(
        ClassLabel(names=["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC"])),
        "langs": Sequence(S)}),
    ("google/xtreme", "XQuAD"): Features({"id": S, "context": S, "question": S,
                                          "answers": ANSWERS}),
    ("google/xtreme", "MLQA"): Features({"id": S, "title": S, "context": S, "question": S,
                                         "answers": ANSWERS}),
    ("google/xtreme", "tydiqa"): Features({"id": S, "title": S, "context": S, "question": S,
                                           "answers": ANSWERS}),
    ("google/xtreme", "bucc18"): Features({"source_sentence": S, "target_sentence": S,
                                           "source_lang": S, "target_lang": S}),
    ("google/xtreme", "tatoeba"): Features({"source_sentence": S, "target_sentence": S,
                                            "source_lang": S, "target_lang": S}),
    ("nyu-mll/glue", "mnli"): Features({"premise": S, "hypothesis": S, "label": NLI,
                                        "idx": I32}),
    ("nyu-mll/glue", "qqp"): Features({"question1": S, "question2": S, "label": ClassLabel(
        names=["not_duplicate", "duplicate"]), "idx": I32}),
    ("nyu-mll/glue", "sst2"): Features({"sentence": S, "label": ClassLabel(
        names=["negative", "positive"]), "idx": I32}),
    ("facebook/anli", "plain_text"): Features({"uid": S, "premise": S, "hypothesis": S,
                                               "label": NLI, "reason": S}),
    ("stanfordnlp/snli", "plain_text"): Features({"premise": S, "hypothesis": S, "label": NLI}),
    ("rajpurkar/squad", "plain_text"): Features({"id": S, "title": S, "context": S,
                                                 "question": S, "answers": ANSWERS}),
    ("rajpurkar/squad_v2", "squad_v2"): Features({"id": S, "title": S, "context": S,
                                                  "question": S, "answers": ANSWERS}),
    ("Rowan/hellaswag", None): Features({"ind": I32, "activity_label": S, "ctx_a": S,
                                         "ctx_b": S, "ctx": S, "endings": Sequence(S),
                                         "source_id": S, "split": S, "split_type": S,
                                         "label": S}),
    ("allenai/cosmos_qa", None): Features({"id": S, "context": S, "question": S, "answer0": S,
                                           "answer1": S, "answer2": S, "answer3": S,
                                           "label": I32}),
    ("tau/commonsense_qa", None): Features({"id": S, "question": S, "question_concept": S,
                                            "choices": Sequence({"label": S, "text": S}),
                                            "answerKey": S}),
    ("lmms-lab/flickr30k", None): Features({"image": Image(), "caption": Sequence(S),
                                            "sentids": Sequence(S), "img_id": S,
                                            "filename": S}),
}
# Loading scripts on the hub: `datasets` refuses them; their parquet export is read instead.
SCRIPT_DATASETS = {"Rowan/hellaswag", "allenai/cosmos_qa"}
SENTENCES = {
    "en": ["The cat sleeps on the mat.", "A man is playing a guitar.",
           "The weather is cold today.", "She reads a book in the garden."],
    "de": ["Die Katze schläft auf der Matte.", "Ein Mann spielt Gitarre.",
           "Das Wetter ist heute kalt.", "Sie liest ein Buch im Garten."],
    "ar": ["القطة تنام على الحصيرة.", "رجل يعزف على الجيتار.", "الطقس بارد اليوم.",
           "هي تقرأ كتابا في الحديقة."],
    "fr": ["Le chat dort sur le tapis.", "Un homme joue de la guitare.",
           "Il fait froid aujourd'hui.", "Elle lit un livre dans le jardin."],
}


def _qa(lang: str, prefix: str, n: int = 3, title: bool = True, unanswerable: bool = False):
    out = []
    for i in range(n):
        context = " ".join(SENTENCES[lang][i:] + SENTENCES[lang][:i])
        answer = SENTENCES[lang][i].split()[1]
        empty = unanswerable and i == n - 1
        r = {"id": f"{prefix}{i}", "context": context, "question": f"{answer}?",
             "answers": {"text": [] if empty else [answer],
                         "answer_start": [] if empty else [context.index(answer)]}}
        out.append({**r, "title": "T"} if title else r)
    return out


def records_for(dataset: str, config: str | None, split: str) -> list[dict]:
    """Tiny records of one hub split, in that split's schema."""
    lang = config.split(".")[-1] if config and "." in config else "en"
    lang = {"English": "en", "German": "de", "Arabic": "ar", "deu": "de", "ara": "ar"}.get(
        lang, lang)
    sents = SENTENCES.get(lang, SENTENCES["en"])
    en = SENTENCES["en"]
    if config == "XNLI":  # every language in one split, labels as strings
        return [{"language": lg, "sentence1": s, "sentence2": SENTENCES[lg][(i + 1) % 4],
                 "gold_label": ["entailment", "neutral", "contradictory"][i % 3]}
                for lg in ("en", "de", "ar", "fr") for i, s in enumerate(SENTENCES[lg])]
    if config and config.startswith("PAWS-X"):
        return [{"sentence1": s, "sentence2": sents[(i + 1) % 4], "label": str(i % 2)}
                for i, s in enumerate(sents)]
    if config and config.startswith("udpos"):
        return [{"tokens": s.split(), "pos_tags": [i % 17 for i in range(len(s.split()))]}
                for s in sents]
    if config and config.startswith("PAN-X"):
        return [{"tokens": s.split(), "ner_tags": [(i + j) % 7 for j in range(len(s.split()))],
                 "langs": [lang] * len(s.split())} for i, s in enumerate(sents)]
    if config and config.startswith("XQuAD"):
        return _qa(lang, f"xq-{lang}-", title=False)
    if config and config.startswith("MLQA"):
        return _qa(lang, f"mlqa-{lang}-{split}-")
    if config == "tydiqa":  # nine languages mixed; XTREME splits them by the id prefix
        return [{**r, "id": f"{name}-{split}-{r['id']}"}
                for lg, name in (("en", "english"), ("ar", "arabic"), ("fi", "finnish"))
                for r in _qa(lg if lg != "fi" else "en", "")]
    if config and config.startswith("bucc18"):
        return [{"source_sentence": s, "target_sentence": en[i], "source_lang": f"{lang}-{i}",
                 "target_lang": f"en-{i}"} for i, s in enumerate(sents)]
    if config and config.startswith("tatoeba"):
        return [{"source_sentence": s + "\n", "target_sentence": en[i] + "\n",
                 "source_lang": config.split(".")[1], "target_lang": "eng"}
                for i, s in enumerate(sents)]
    if dataset == "nyu-mll/glue" and config == "mnli":
        return [{"premise": s, "hypothesis": en[(i + 1) % 4], "label": i % 3, "idx": i}
                for i, s in enumerate(en)]
    if dataset == "nyu-mll/glue" and config == "qqp":
        return [{"question1": s, "question2": en[(i + 1) % 4], "label": i % 2, "idx": i}
                for i, s in enumerate(en)]
    if dataset == "nyu-mll/glue" and config == "sst2":
        return [{"sentence": s, "label": i % 2, "idx": i} for i, s in enumerate(en)]
    if dataset == "facebook/anli":
        return [{"uid": f"{split}-{i}", "premise": s, "hypothesis": en[(i + 2) % 4],
                 "label": i % 3, "reason": ""} for i, s in enumerate(en[:2])]
    if dataset == "stanfordnlp/snli":  # -1: no gold label
        return [{"premise": s, "hypothesis": en[(i + 1) % 4], "label": -1 if i == 0 else i % 3}
                for i, s in enumerate(en)]
    if dataset == "rajpurkar/squad":
        return _qa("en", f"sq-{split}-")
    if dataset == "rajpurkar/squad_v2":
        return _qa("en", f"sq2-{split}-", unanswerable=True)
    if dataset == "Rowan/hellaswag":
        return [{"ind": i, "activity_label": "A", "ctx_a": s, "ctx_b": "then", "ctx": s,
                 "endings": [en[(i + k) % 4] for k in range(4)], "source_id": "x",
                 "split": split, "split_type": "indomain", "label": str(i % 4)}
                for i, s in enumerate(en)]
    if dataset == "allenai/cosmos_qa":
        return [{"id": f"c{i}", "context": s, "question": "Why?",
                 **{f"answer{k}": en[(i + k) % 4] for k in range(4)}, "label": i % 4}
                for i, s in enumerate(en)]
    if dataset == "tau/commonsense_qa":
        return [{"id": f"q{i}", "question": s, "question_concept": "cat",
                 "choices": {"label": list("ABCDE"), "text": ["mat", "guitar", "cold", "book",
                                                             "garden"]},
                 "answerKey": "ABCDE"[i % 5]} for i, s in enumerate(en)]
    raise KeyError((dataset, config, split))


def schema_for(dataset: str, config: str | None) -> Features:
    key = (dataset, config.split(".")[0] if config else None)
    return SCHEMAS[key] if key in SCHEMAS else SCHEMAS[(dataset, config)]


class LocalHub:
    """Stands in for ``datasets.load_dataset`` on the hub: serves local parquet files written
    in each split's hub schema, refuses loading-script datasets unless asked for their parquet
    export, and fails like the hub for an unknown config or split."""

    def __init__(self, root: Path):
        self.root, self.calls, self.files, self.loaded = root, [], {}, {}

    def add(self, dataset, config, split, records, features=None) -> Path:
        path = self.root / dataset.replace("/", "__") / (config or "default") / f"{split}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        Dataset.from_list(records, features=features or schema_for(dataset, config)
                          ).to_parquet(path)
        self.files[(dataset, config, split)] = path
        return path

    def __call__(self, path, name=None, split=None, revision=None, **kwargs):
        self.calls.append((path, name, split, revision))
        if path in SCRIPT_DATASETS and revision != PARQUET_EXPORT:
            raise RuntimeError(f"Dataset scripts are no longer supported, but found "
                               f"{path.split('/')[1]}.py")
        key = (path, name, split)
        if key not in self.files:
            raise ValueError(f'Unknown split "{split}" of config {name!r} of {path}')
        if key not in self.loaded:  # as the hub's cache: a split is prepared once
            self.loaded[key] = datasets.load_dataset(
                "parquet", data_files={split: str(self.files[key])}, split=split,
                cache_dir=str(self.root / ".cache"))
        return self.loaded[key]


def plan_parts(tasks, languages):
    """(dataset, config, split) of every hub split the plan reads."""
    out = set()
    for task, split, lang in file_plan(tasks, languages):
        for part in HUB_TASKS[task].splits[split]:
            out.add((part.dataset, config_name(part, lang), part.split))
    return sorted(out, key=str)


def study_params(languages=STUDY_LANGS, targets=tuple(FINETUNE_TARGETS)):
    """Params in real mode. config.py does not accept data.source: hf yet, so the sections
    are built without validation (model_copy)."""
    p = Params()
    data = p.data.model_copy(update={"source": "hf", "languages": list(languages)})
    inter = p.intermediate.model_copy(update={"tasks": ["none", "multi"]})
    fine = p.finetune.model_copy(update={"targets": list(targets)})
    ev = p.eval.model_copy(update={"retrieval_tasks": ["bucc", "tatoeba"]})
    return p.model_copy(update={"data": data, "intermediate": inter, "finetune": fine,
                                "eval": ev})


def tiny_config(tokenizer) -> XLMRobertaConfig:
    return XLMRobertaConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=1,
                            num_attention_heads=2, intermediate_size=64,
                            max_position_embeddings=514, type_vocab_size=1, pad_token_id=1,
                            bos_token_id=0, eos_token_id=2)
