"""What the paper published, limited to what could be verified from a retrieved source.

Phang et al. (2020) ran XLM-R Large on the real XTREME data; the offline study runs a small
encoder on a synthetic world, so its levels are not comparable with these numbers, only the
direction of the effects. Every number below names the source it was read from.

Not bundled: the paper's table of XTREME results per intermediate task (nine tasks and
multi-task x nine targets). Its text could not be retrieved (only the abstract could), so
no number of it is typed in here; ``NOT_BUNDLED`` says where to read it.
"""

CITATION = ("Phang, Calixto, Htut, Pruksachatkun, Liu, Vania, Kann and Bowman (2020): English "
            "Intermediate-Task Training Improves Zero-Shot Cross-Lingual Transfer Too. AACL "
            "2020, arXiv:2005.13013")
PAPER_URL = "https://arxiv.org/abs/2005.13013"

NOT_BUNDLED = (f"The paper's XTREME results per intermediate task (XLM-R Large) are not bundled "
               f"here: they could not be verified from a retrieved copy. Read them in the "
               f"paper's XTREME results table: {PAPER_URL}.")

# Source: the abstract of arXiv:2005.13013 (v2, nine intermediate tasks) as stored at
# https://www.arxiv-vanity.com/papers/2005.13013/ . Quotations from it:
#   "We see large improvements from intermediate training on the BUCC and Tatoeba sentence
#    retrieval tasks and moderate improvements on question-answering target tasks."
#   "MNLI, SQuAD and HellaSwag achieve the best overall results as intermediate tasks, while
#    multi-task intermediate offers small additional improvements."
#   "Using our best intermediate-task models for each target task, we obtain a 5.4 point
#    improvement over XLM-R Large on the XTREME benchmark"
ABSTRACT_SOURCE = "abstract of arXiv:2005.13013v2 (https://www.arxiv-vanity.com/papers/2005.13013/)"
BEST_INTERMEDIATES = ("mnli", "squad", "hellaswag")  # "SQuAD": v1.1 or v2.0 not said there
GAINS_MOST = "retrieval"  # large gains on BUCC and Tatoeba, moderate on QA
BEST_PER_TARGET_GAIN = 5.4  # XTREME points over XLM-R Large, best intermediate per target

# Source: google-research/multilingual-t5, README.md at commit
# 319bb8015a211bf02be12dac418cbd423e55978f, section "Results": the table of XTREME zero-shot
# test results from the mT5 paper (Xue et al. 2021, NAACL), rows "X-STILTs" (Phang et al.
# 2020's XTREME entry, which per the abstract uses the best intermediate-task model for each
# target) and "XLM-R" (XLM-R Large without intermediate training). The README says it shows
# F1 scores: for XQuAD, MLQA and TyDiQA-GoldP these are F1, not XTREME's (EM + F1) / 2;
# XNLI and PAWS-X are accuracy. WikiAnn-NER is PAN-X. UD-POS, BUCC and Tatoeba are not in it.
QUOTED_SOURCE = ("mT5 README, Results table (google-research/multilingual-t5 README.md @ "
                 "319bb80); QA columns are F1 only")
QUOTED = {
    "X-STILTs, best intermediate per target": {
        "xnli": 80.4, "pawsx": 87.7, "panx": 64.7, "xquad": 77.2, "mlqa": 72.3, "tydiqa": 76.0},
    "XLM-R Large, no intermediate": {
        "xnli": 79.2, "pawsx": 86.4, "panx": 65.4, "xquad": 76.6, "mlqa": 71.6, "tydiqa": 65.1},
}


RELATION = {
    "synthetic": "not this offline synthetic study: compare directions, not levels.",
    "hf": "the hub's versions of the same tasks, which this study scores (see "
          "docs/real-study.md for where they differ): levels compare with the same encoder "
          "size only.",
}


def section(targets: list[str], source: str = "synthetic") -> list[str]:
    """The report's Markdown section on the paper's numbers, labelled as real-data numbers
    and related to the study's own ``source`` (``data.source``)."""
    lines = ["## The paper's real-data numbers (orientation only)", "",
             f"{CITATION}. These are XLM-R Large on the real XTREME test sets, "
             f"{RELATION[source]}", "",
             f"- {NOT_BUNDLED}",
             f"- From the {ABSTRACT_SOURCE}: large gains on BUCC and Tatoeba (retrieval), "
             "moderate gains on QA; MNLI, SQuAD and HellaSwag best overall; multi-task "
             f"intermediate training adds a little; the best intermediate per target gains "
             f"{BEST_PER_TARGET_GAIN} XTREME points over XLM-R Large."]
    shown = [t for t in targets if any(t in row for row in QUOTED.values())]
    if shown:
        lines += [f"- Per target, as quoted in the {QUOTED_SOURCE}:", "",
                  "| real data (paper) | " + " | ".join(shown) + " |",
                  "|---" * (len(shown) + 1) + "|"]
        for label, row in QUOTED.items():
            lines.append(f"| *{label}* | " + " | ".join(
                f"*{row[t]:.1f}*" if t in row else "" for t in shown) + " |")
    return lines + [""]
