"""The task registry: each task is data (a frozen spec), read and scored by its type.

Field names and label sets are those of the hub datasets the tasks stand for, so the offline
world's files and the hub's records feed the same code:
- MNLI: ``glue``/``mnli`` — premise, hypothesis, label (0 entailment, 1 neutral,
  2 contradiction), idx.
- XNLI: ``google/xtreme``/``XNLI`` — sentence1, sentence2, language, gold_label (strings).
- Tatoeba: ``google/xtreme``/``tatoeba.<iso3>`` — source_sentence, target_sentence,
  source_lang, target_lang.
"""

from dataclasses import dataclass

NLI_LABELS = ("entailment", "neutral", "contradiction")


@dataclass(frozen=True)
class TaskSpec:
    name: str
    type: str  # classification | tagging | span | multiple_choice | retrieval
    metric: str  # the XTREME metric the task is scored with
    group: str  # XTREME group: classification, structured, qa, retrieval
    hub: str  # hub dataset and config this task stands for
    text_fields: tuple[str, ...] = ()
    label_field: str = "label"
    labels: tuple[str, ...] = ()
    chance: float = 0.0  # the score of guessing, for reading results
    # Multiple choice: where the options are, a field holding a list ("endings"), a dotted
    # path into a dict ("choices.text") or several fields ("answer0", "answer1", ...).
    choice_fields: tuple[str, ...] = ()
    unanswerable: bool = False  # span tasks where "" is a valid answer (SQuAD v2)
    eval_split: str = "test"  # the split scored zero-shot (XQuAD has only "validation")
    splits: tuple[str, ...] = ("validation", "test")  # splits that exist in every language
    train_from: str | None = None  # target fine-tuned on another task's English train set
    # Span tasks: answers normalised per language by MLQA's script (XTREME's scorer does so
    # for MLQA only); otherwise by SQuAD v1.1's, as XTREME scores XQuAD and TyDiQA-GoldP.
    answers_by_language: bool = False
    train_examples: int = 0  # English training examples on the hub (sizes the offline sets)

    @property
    def num_labels(self) -> int:
        return len(self.labels)

    @property
    def selected_on(self) -> tuple[str, str]:
        """(task, split) of the English set a fine-tuned model is selected on: XTREME tunes
        zero-shot models on English dev data only. That is the dev split of the task it is
        trained on (SQuAD's for XQuAD and MLQA), or the scored split where the training task
        has no other (TyDiQA-GoldP's English validation set)."""
        trained_on = TASKS[self.train_from] if self.train_from else self
        return trained_on.name, ("validation" if "validation" in trained_on.splits
                                 else self.eval_split)

    @property
    def dev_metric(self) -> str:
        """Name of the English dev score a fine-tuned model of this target is selected on."""
        task, _ = self.selected_on
        return f"{self.name}/en_dev/{TASKS[task].metric}"

    @property
    def required_fields(self) -> tuple[str, ...]:
        label = (self.label_field,) if self.labels else ()
        return (*self.text_fields, *label, *(f.split(".")[0] for f in self.choice_fields))

    def choices(self, record: dict) -> tuple[str, list[str]]:
        """(context, options) of a multiple-choice record."""
        context = " ".join(record[f] for f in self.text_fields)
        if len(self.choice_fields) > 1:
            return context, [record[f] for f in self.choice_fields]
        value = record
        for part in self.choice_fields[0].split("."):
            value = value[part]
        return context, list(value)


MNLI = TaskSpec("mnli", "classification", "accuracy", "classification", "glue/mnli",
                ("premise", "hypothesis"), "label", NLI_LABELS, chance=1 / 3,
                train_examples=392_702)
XNLI = TaskSpec("xnli", "classification", "accuracy", "classification", "google/xtreme/XNLI",
                ("sentence1", "sentence2"), "gold_label", NLI_LABELS, chance=1 / 3)
TATOEBA = TaskSpec("tatoeba", "retrieval", "accuracy", "retrieval",
                   "google/xtreme/tatoeba.<iso3>", ("source_sentence", "target_sentence"),
                   splits=("test",))

# Tagging label orders are the hub's ClassLabel orders (google/xtreme dataset card).
UPOS_TAGS = ("ADJ", "ADP", "ADV", "AUX", "CCONJ", "DET", "INTJ", "NOUN", "NUM", "PART",
             "PRON", "PROPN", "PUNCT", "SCONJ", "SYM", "VERB", "X")
PANX_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
QA_FIELDS = ("question", "context")

SQUAD = TaskSpec("squad", "span", "em_f1", "qa", "rajpurkar/squad", QA_FIELDS, "answers",
                 eval_split="validation", train_examples=87_599)
SQUAD_V2 = TaskSpec("squad_v2", "span", "em_f1", "qa", "rajpurkar/squad_v2", QA_FIELDS,
                    "answers", unanswerable=True, eval_split="validation",
                    train_examples=130_319)
UDPOS = TaskSpec("udpos", "tagging", "f1", "structured", "google/xtreme/udpos.<Language>",
                 ("tokens",), "pos_tags", UPOS_TAGS)
PANX = TaskSpec("panx", "tagging", "f1", "structured", "google/xtreme/PAN-X.<lang>",
                ("tokens",), "ner_tags", PANX_TAGS)
# XQuAD and MLQA have no training data: XTREME fine-tunes them on SQuAD v1.1.
XQUAD = TaskSpec("xquad", "span", "em_f1", "qa", "google/xtreme/XQuAD.<lang>", QA_FIELDS,
                 "answers", eval_split="validation", splits=("validation",), train_from="squad")
MLQA = TaskSpec("mlqa", "span", "em_f1", "qa", "google/xtreme/MLQA.<lang>.<lang>", QA_FIELDS,
                "answers", train_from="squad", answers_by_language=True)
# TyDiQA-GoldP trains on the English part of its train split (ids "english-...").
TYDIQA = TaskSpec("tydiqa", "span", "em_f1", "qa", "google/xtreme/tydiqa", QA_FIELDS,
                  "answers", eval_split="validation", splits=("validation",))

ANLI = TaskSpec("anli", "classification", "accuracy", "classification", "facebook/anli",
                ("premise", "hypothesis"), "label", NLI_LABELS, chance=1 / 3,
                eval_split="validation", train_examples=1_105_719)  # ANLI+: + SNLI + MNLI
QQP = TaskSpec("qqp", "classification", "accuracy", "classification", "glue/qqp",
               ("question1", "question2"), "label", ("not_duplicate", "duplicate"),
               chance=1 / 2, eval_split="validation", train_examples=363_846)
SST2 = TaskSpec("sst2", "classification", "accuracy", "classification", "glue/sst2",
                ("sentence",), "label", ("negative", "positive"), chance=1 / 2,
                eval_split="validation", train_examples=67_349)
# Multiple-choice intermediate tasks are not XTREME tasks; their group is nominal.
HELLASWAG = TaskSpec("hellaswag", "multiple_choice", "accuracy", "qa", "Rowan/hellaswag",
                     ("ctx",), "label", ("0", "1", "2", "3"), chance=1 / 4,
                     choice_fields=("endings",), eval_split="validation",
                     train_examples=39_905)
COSMOSQA = TaskSpec("cosmosqa", "multiple_choice", "accuracy", "qa", "allenai/cosmos_qa",
                    ("context", "question"), "label", ("0", "1", "2", "3"), chance=1 / 4,
                    choice_fields=("answer0", "answer1", "answer2", "answer3"),
                    eval_split="validation", train_examples=25_262)
CSQA = TaskSpec("csqa", "multiple_choice", "accuracy", "qa", "tau/commonsense_qa",
                ("question",), "answerKey", ("A", "B", "C", "D", "E"), chance=1 / 5,
                choice_fields=("choices.text",), eval_split="validation",
                train_examples=9_741)
PAWSX = TaskSpec("pawsx", "classification", "accuracy", "classification",
                 "google/xtreme/PAWS-X.<lang>", ("sentence1", "sentence2"), "label",
                 ("different", "paraphrase"), chance=1 / 2)
# BUCC files hold both mining pools: a side "" marks a sentence with no translation.
BUCC = TaskSpec("bucc", "retrieval", "f1", "retrieval", "google/xtreme/bucc18.<lang>",
                ("source_sentence", "target_sentence"), splits=("validation", "test"))

# The paper's nine intermediate tasks. Its "ANLI+" also adds SNLI and MNLI to ANLI; here
# `anli` is the adversarial set alone, and `multi` combines it with the rest.
INTERMEDIATE_TASKS = {t.name: t for t in (MNLI, ANLI, QQP, SST2, SQUAD, SQUAD_V2, HELLASWAG,
                                           COSMOSQA, CSQA)}
# Targets fine-tuned on English; retrieval targets are evaluated straight after phase 1.
TARGET_TASKS = {t.name: t for t in (XNLI, PAWSX, UDPOS, PANX, XQUAD, MLQA, TYDIQA, BUCC,
                                     TATOEBA)}
FINETUNE_TARGETS = {n: t for n, t in TARGET_TASKS.items() if t.type != "retrieval"}
RETRIEVAL_TARGETS = {n: t for n, t in TARGET_TASKS.items() if t.type == "retrieval"}
TASKS = {**INTERMEDIATE_TASKS, **TARGET_TASKS}
