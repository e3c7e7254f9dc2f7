"""What answers the offline tasks without their skill: rule and bag-of-words baselines on the
generated files, as the README's table reports them.

- PAWS-X: "the same words: not a paraphrase", per language (test sets).
- XNLI: a hypothesis-only bag-of-words logistic regression fitted on English train (English
  test), and one on language-independent overlap features (how many hypothesis words the
  premise lacks, whether none, the two lengths), fitted on English and scored per language.
- CommonsenseQA: distinct questions, and the share of validation questions seen in training.
- PAN-X, UD-POS (test) and QQP (validation): the share of items whose text is in training.

    python bench/shortcuts.py                      # data/synthetic of this repository
    python bench/shortcuts.py --data /path/to/data/synthetic

Run it where `dvc repro` (or the generate stage) has written the data.
"""

import argparse
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from xstilts.data.files import read_jsonl, task_file


def records(data: Path, task: str, split: str, lang: str = "en") -> list[dict]:
    return read_jsonl(task_file(data, task, split, lang))


def languages(data: Path, task: str, split: str) -> list[str]:
    langs = sorted(p.name.split(".")[1] for p in (data / task).glob(f"{split}.*.jsonl"))
    return sorted(langs, key=lambda lang: lang != "en")  # English first


def same_words_rule(data: Path) -> dict[str, float]:
    out = {}
    for lang in languages(data, "pawsx", "test"):
        rs = records(data, "pawsx", "test", lang)
        hits = [(Counter(r["sentence1"].split()) != Counter(r["sentence2"].split()))
                == (r["label"] == "1") for r in rs]
        out[lang] = 100 * float(np.mean(hits))
    return out


def overlap_features(r: dict) -> list[float]:
    premise, hypothesis = set(r["sentence1"].split()), r["sentence2"].split()
    missing = sum(w not in premise for w in hypothesis)
    return [missing, missing == 0, len(hypothesis), len(r["sentence1"].split())]


def nli_baselines(data: Path) -> tuple[float, dict[str, float]]:
    train = records(data, "xnli", "train")
    labels = [r["gold_label"] for r in train]
    bag = CountVectorizer(token_pattern=r"\S+")
    hypothesis_only = LogisticRegression(max_iter=2000).fit(
        bag.fit_transform([r["sentence2"] for r in train]), labels)
    test = records(data, "xnli", "test")
    hyp = 100 * float(np.mean(hypothesis_only.predict(bag.transform(
        [r["sentence2"] for r in test])) == [r["gold_label"] for r in test]))
    overlap = LogisticRegression(max_iter=2000).fit([overlap_features(r) for r in train], labels)
    per_lang = {}
    for lang in languages(data, "xnli", "test"):
        rs = records(data, "xnli", "test", lang)
        predicted = overlap.predict([overlap_features(r) for r in rs])
        per_lang[lang] = 100 * float(np.mean(predicted == [r["gold_label"] for r in rs]))
    return hyp, per_lang


def seen_in_training(data: Path, task: str, split: str, key) -> float:
    train = {key(r) for r in records(data, task, "train")}
    held = records(data, task, split)
    return 100 * float(np.mean([key(r) in train for r in held]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/synthetic"))
    data = parser.parse_args().data

    rule = same_words_rule(data)
    print("PAWS-X, 'the same words: not a paraphrase' (test, %):")
    print("  " + "  ".join(f"{lang} {v:.1f}" for lang, v in rule.items()))
    hyp, overlap = nli_baselines(data)
    print(f"XNLI, hypothesis-only bag of words fitted on English (en test): {hyp:.1f} %")
    print("XNLI, overlap features fitted on English (test, %):")
    print("  " + "  ".join(f"{lang} {v:.1f}" for lang, v in overlap.items()))
    questions = {r["question"] for r in records(data, "csqa", "train")}
    seen = seen_in_training(data, "csqa", "validation", lambda r: r["question"])
    print(f"CommonsenseQA: {len(questions)} distinct training questions; {seen:.1f} % of "
          "validation questions are training questions")
    for task, split, key in (("panx", "test", lambda r: tuple(r["tokens"])),
                             ("udpos", "test", lambda r: tuple(r["tokens"])),
                             ("qqp", "validation", lambda r: (r["question1"], r["question2"]))):
        print(f"{task}: {seen_in_training(data, task, split, key):.1f} % of English {split} "
              "items are in training")


if __name__ == "__main__":
    main()
