"""What answers the offline tasks without their skill, and which dev/test items were trained on.

Prints, per task and language, every baseline of ``xstilts.report.shortcuts`` (majority class,
lexical overlap, second text only, length, answer position) and the best, the share of the
scored items found in any training set of their language (phase-0 corpus included), the NLI
word that best predicts a label, and CommonsenseQA's distinct questions.

    python bench/shortcuts.py                      # data/synthetic of this repository
    python bench/shortcuts.py --data /path/to/data/synthetic

Run it where `dvc repro` (or the generate stage) has written the data.
"""

import argparse
import json
from pathlib import Path

from xstilts.data.files import read_jsonl, task_file
from xstilts.report.leakage import distinct_questions
from xstilts.report.shortcuts import audit, word_precision
from xstilts.tasks import INTERMEDIATE_TASKS, TARGET_TASKS


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("data/synthetic"))
    data = parser.parse_args().data
    languages = list(json.loads((data / "languages.json").read_text()))
    tasks = [*TARGET_TASKS, *INTERMEDIATE_TASKS]

    print("Best baseline per task and language (points; chance: uniform guessing), and the "
          "share of scored items found in training (%)")
    hits = items = 0
    for found in audit(data, tasks, languages):
        leaked = " ".join(f"{lang} {v:.1f}" for lang, v in found.leaked.items())
        hits += sum(h for h, _ in found.found.values())
        items += sum(n for _, n in found.found.values())
        print(f"\n{found.task} ({found.split}; chance {found.chance:.1f}); in training: {leaked}")
        for name, by_lang in found.baselines.items():
            print(f"  {name:12s} " + "  ".join(f"{lang} {v:5.1f}" for lang, v in by_lang.items()))
        if found.baselines:
            print("  best         " + "  ".join(
                f"{lang} {found.best(lang)[1]:5.1f}" for lang in found.leaked))
    print(f"\nscored items found in training, all tasks and languages: {hits} of {items}")
    for task, field, label in (("xnli", "sentence2", "gold_label"),
                               ("mnli", "hypothesis", "label")):
        path = task_file(data, task, "train", "en")
        if path.is_file():
            word, which, precision, share = word_precision(read_jsonl(path), field, label)
            print(f"{task}: the hypothesis word that best predicts a label: {word!r} -> "
                  f"{which}, precision {precision:.1f} % on {share:.1f} % of training items")
    if (csqa := distinct_questions(data)) is not None:
        print(f"csqa: {csqa[0]} distinct training questions; {csqa[1]:.1f} % of validation "
              "questions are training questions")


if __name__ == "__main__":
    main()
