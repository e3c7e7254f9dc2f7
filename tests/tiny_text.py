"""Five sentences to train a tiny tokenizer on, SQuAD-shaped records over them and the span,
tagging and multiple-choice task specs: what the tests of encoding, batching and span decoding
read."""

from xstilts.tasks import TaskSpec

SENTENCES = ["anna works at velta corp in teskar .", "the big red ball is above the box .",
             "what colour is the ball ?", "who works at velta corp ?", "boris has 3 cups ."]
SPAN = TaskSpec("squad", "span", "em_f1", "qa", "rajpurkar/squad",
                ("question", "context"), "answers")
TAGS = TaskSpec("panx", "tagging", "f1", "structured", "google/xtreme/PAN-X",
                ("tokens",), "ner_tags", ("O", "B-PER", "I-PER", "B-ORG", "I-ORG"))
CHOICE = TaskSpec("cosmosqa", "multiple_choice", "accuracy", "classification",
                  "allenai/cosmos_qa", ("context", "question"), "label", ("0", "1", "2"),
                  choice_fields=("answer0", "answer1", "answer2"))


def squad_record(context: str, answer: str) -> dict:
    start = context.index(answer)
    return {"id": "q1", "question": "who works at velta corp ?", "context": context,
            "answers": {"text": [answer], "answer_start": [start]}}
