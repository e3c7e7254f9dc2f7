"""XTREME's metrics on small cases whose values are worked out by hand in the comments."""

import pytest
import torch

from xstilts.eval.metrics import (
    accuracy,
    best_threshold,
    bucc_f1,
    exact_match,
    margin_scores,
    mine_pairs,
    normalize_answer,
    retrieval_accuracy,
    squad_scores,
    tagging_f1,
    token_f1,
)

approx = pytest.approx


def test_accuracy():
    assert accuracy([0, 1, 2, 1], [0, 2, 2, 1]) == 0.75


# --- tagging -------------------------------------------------------------------------------


def test_tagging_f1_iob2_entities():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "O"]]
    # Entities gold: PER[0:1], LOC[3], ORG[0] (3). Predicted: PER[0:1] (right), ORG[0] (right).
    pred = [["B-PER", "I-PER", "O", "O"], ["B-ORG", "O"]]
    # P = 2/2, R = 2/3, F1 = 2 * 1 * 2/3 / (5/3) = 0.8
    assert tagging_f1(gold, pred) == approx(0.8)
    # A wrong boundary costs the whole entity: PER[0] != PER[0:1]. P = R = 2/3.
    pred = [["B-PER", "O", "O", "B-LOC"], ["B-ORG", "O"]]
    assert tagging_f1(gold, pred) == approx(2 / 3)


def test_tagging_f1_plain_pos_tags_score_runs_not_tokens():
    # As XTREME scores UD-POS: seqeval reads "NOUN" as prefix "N" + type "OUN", so runs of
    # identical tags are chunks. Gold: DET[0], NOUN[1:2], VERB[3]; pred: DET[0], NOUN[1],
    # VERB[2:3]. Only DET matches: P = R = F1 = 1/3, though 3 of 4 tokens are right.
    gold = [["DET", "NOUN", "NOUN", "VERB"]]
    pred = [["DET", "NOUN", "VERB", "VERB"]]
    assert tagging_f1(gold, pred) == approx(1 / 3)
    assert accuracy(sum(gold, []), sum(pred, [])) == 0.75
    # Half the tokens right, no chunk right: NOUN[0:1] vs NOUN[0], X[1].
    assert tagging_f1([["NOUN", "NOUN"]], [["NOUN", "X"]]) == 0.0
    # Tags starting with "S" (SYM, SCONJ) are single-token chunks: gold YM[0], YM[1]; pred
    # YM[0], OUN[1]. P = R = 1/2.
    assert tagging_f1([["SYM", "SYM"]], [["SYM", "NOUN"]]) == approx(0.5)
    # X has the empty type, like "O": a sentence-final X is no chunk. Gold OUN[0] only; pred
    # OUN[0], ERB[1]: P = 1/2, R = 1, F1 = 2/3.
    assert tagging_f1([["NOUN", "X"]], [["NOUN", "VERB"]]) == approx(2 / 3)
    assert tagging_f1(gold, gold) == 1.0


# --- QA ------------------------------------------------------------------------------------


def test_normalize_answer_articles_depend_on_language():
    assert normalize_answer("The Eiffel Tower!", "en") == "eiffel tower"
    # A code the MLQA script does not list: no article removal (the script would raise).
    assert normalize_answer("The Eiffel Tower!", "xx") == "the eiffel tower"
    assert normalize_answer("Der  Hund", "de") == "hund"
    assert normalize_answer("La casa", "es") == "casa"
    assert normalize_answer("The casa", "es") == "the casa"
    # The script's Arabic rule replaces every "ال" with a space.
    assert normalize_answer("الكتاب", "ar") == "كتاب"


def test_squad_normalisation_knows_no_language():
    # XTREME scores XQuAD and TyDiQA-GoldP with the SQuAD v1.1 script in every language:
    # English articles only, ASCII punctuation only.
    assert normalize_answer("The Eiffel Tower!", None) == "eiffel tower"
    assert normalize_answer("der  Hund", None) == "der hund"
    assert normalize_answer("«Война и мир»", None) == "«война и мир»"
    assert exact_match("Hund", ["der Hund"], None) == 0.0
    assert token_f1("Hund", ["der Hund"], None) == approx(2 / 3)  # P 1, R 1/2
    assert exact_match("Hund", ["der Hund"], "de") == 1.0  # MLQA's German rule


def test_normalize_answer_unicode_punctuation():
    # « » ¿ ? , — 。 are Unicode P* characters; "$" is a symbol but in string.punctuation;
    # "€" is neither, and stays.
    assert normalize_answer("«Hola», ¿qué tal?", "es") == "hola qué tal"
    assert normalize_answer("a—b 。c", "xx") == "ab c"
    assert normalize_answer("$5 €5", "en") == "5 €5"


def test_normalize_answer_chinese_segments_per_character():
    assert normalize_answer("北京大学。", "zh") == "北 京 大 学"
    assert normalize_answer("abc北京 def", "zh") == "abc 北 京 def"


def test_exact_match_and_token_f1():
    assert exact_match("The Ball.", ["ball"]) == 1.0
    assert exact_match("red ball", ["ball"]) == 0.0
    # pred tokens [big, red, ball], gold [red, ball]: P = 2/3, R = 1, F1 = (4/3) / (5/3) = 0.8
    assert token_f1("the big red ball", ["a red ball"]) == approx(0.8)
    # best over gold answers
    assert token_f1("the big red ball", ["blue", "a red ball"]) == approx(0.8)
    assert token_f1("blue", ["a red ball"]) == 0.0


def test_unanswerable_questions():
    for golds in ([""], []):
        assert exact_match("", golds) == 1.0
        assert token_f1("", golds) == 1.0
        assert exact_match("Paris", golds) == 0.0
        assert token_f1("Paris", golds) == 0.0
    # An empty prediction on an answerable question scores nothing.
    assert exact_match("", ["Paris"]) == 0.0
    assert token_f1("", ["Paris"]) == 0.0


def test_squad_scores_average_over_questions():
    references = {"q1": ["Paris"], "q2": ["a red ball"], "q3": [""], "q4": ["x"]}
    predictions = {"q1": "paris", "q2": "big red ball", "q3": ""}  # q4 unanswered: 0
    # EM: 1 + 0 + 1 + 0 = 2/4; F1: 1 + 0.8 + 1 + 0 = 2.8/4
    scores = squad_scores(predictions, references, "en")
    assert scores == {"exact_match": approx(0.5), "f1": approx(0.7)}


# --- BUCC ----------------------------------------------------------------------------------


def embeddings_with_cosines(cos: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Unit vectors whose source-target cosines are ``cos`` (N, M; column norms <= 1): sources
    are the first N basis vectors, target j is column j topped up in its own extra dimension."""
    n, m = cos.shape
    src = torch.cat([torch.eye(n), torch.zeros(n, m)], dim=1).double()
    pad = torch.diag((1 - (cos**2).sum(dim=0)).sqrt())
    tgt = torch.cat([cos.T, pad], dim=1).double()
    return src, tgt


# Target 1 is a hub: the cosine-nearest target of every source.
COS = torch.tensor([[0.4, 0.5, 0.1],
                    [0.1, 0.6, 0.2],
                    [0.2, 0.4, 0.3]], dtype=torch.float64)
# With k = 2: mean cosine of each source to its 2 nearest targets 0.45, 0.40, 0.35; of each
# target to its 2 nearest sources 0.30, 0.55, 0.25. margin(i, j) = cos / ((fwd_i + bwd_j) / 2):
#   s0: t1 (cos NN) 0.5 / 0.5 = 1,       t0 0.4 / 0.375 = 16/15  -> t0
#   s1: t1 0.6 / 0.475 = 24/19,          t2 0.2 / 0.325 = 8/13   -> t1
#   s2: t1 (cos NN) 0.4 / 0.45 = 8/9,    t2 0.3 / 0.3 = 1        -> t2
# Backward, each target's 2 nearest sources: t0 {s0 16/15, s2 8/13} -> s0,
# t1 {s1 24/19, s0 1} -> s1, t2 {s2 1, s1 8/13} -> s2.


def test_margin_scores_hand_computed():
    src, tgt = embeddings_with_cosines(COS)
    assert torch.allclose(src @ tgt.T, COS)
    best, score = margin_scores(src, tgt, k=2)
    assert best.tolist() == [0, 1, 2]
    assert score.tolist() == approx([16 / 15, 24 / 19, 1.0])
    assert (src @ tgt.T).argmax(dim=1).tolist() == [1, 1, 1]  # what cosine alone picks
    # k is capped by the number of rows on the other side; batching does not change results.
    assert [t.tolist() for t in margin_scores(src, tgt)] == \
           [t.tolist() for t in margin_scores(src, tgt, k=3)]
    assert [t.tolist() for t in margin_scores(src, tgt, k=2, batch_size=1)] == \
           [best.tolist(), score.tolist()]


def test_mine_pairs_modes():
    src, tgt = embeddings_with_cosines(COS)
    expected = [(0, 0, approx(16 / 15)), (1, 1, approx(24 / 19)), (2, 2, approx(1.0))]
    for mode in ("forward", "backward", "intersect"):
        assert mine_pairs(src, tgt, k=2, mode=mode) == expected
    # "max" lists the one-to-one pairs by descending score.
    assert mine_pairs(src, tgt, k=2) == [expected[1], expected[0], expected[2]]


def test_mine_pairs_max_is_one_to_one():
    # Two sources, one target: cos 0.8 and 0.6. Forward k = 1: means 0.8, 0.6; backward k = 2:
    # mean 0.7. Margins: s0 0.8 / 0.75 = 16/15, s1 0.6 / 0.65 = 12/13; the target picks s0.
    src, tgt = embeddings_with_cosines(torch.tensor([[0.8], [0.6]], dtype=torch.float64))
    assert mine_pairs(src, tgt, mode="forward") == [(0, 0, approx(16 / 15)),
                                                   (1, 0, approx(12 / 13))]
    assert mine_pairs(src, tgt, mode="backward") == [(0, 0, approx(16 / 15))]
    assert mine_pairs(src, tgt, mode="intersect") == [(0, 0, approx(16 / 15))]
    # s1 -> t0 is dropped in "max": t0 is taken by the higher-scoring s0.
    assert mine_pairs(src, tgt, mode="max") == [(0, 0, approx(16 / 15))]
    assert mine_pairs(src, tgt, mode="max", threshold=1.1) == []
    with pytest.raises(ValueError):
        mine_pairs(src, tgt, mode="sideways")


CANDIDATES = [("a", "x", 0.9), ("b", "y", 0.8), ("c", "z", 0.7), ("d", "w", 0.6), ("e", "v", 0.5)]
GOLD = {("a", "x"), ("c", "z"), ("d", "w"), ("f", "u")}  # (f, u) was never mined
# Extracting the top 1..5: correct 1, 1, 2, 3, 3 of 4 gold -> F1 0.4, 1/3, 4/7, 0.75, 2/3.


def test_best_threshold_maximises_f1():
    threshold, f1 = best_threshold(CANDIDATES, GOLD)
    assert threshold == approx(0.55)  # halfway between the 4th and 5th score
    assert f1 == approx(0.75)
    # The same pair listed twice keeps its best score.
    assert best_threshold(CANDIDATES + [("e", "v", 0.1)], GOLD) == (approx(0.55), approx(0.75))


def test_best_threshold_edge_cases():
    # Tied scores are cut together: XTREME would report F1 1 for a threshold of 0.9 that in
    # fact extracts both pairs (P 1/2, R 1, F1 2/3).
    tied = [("a", "x", 0.9), ("b", "y", 0.9), ("c", "z", 0.5)]
    threshold, f1 = best_threshold(tied, {("a", "x")})
    assert (threshold, f1) == (approx(0.7), approx(2 / 3))
    assert bucc_f1(tied, {("a", "x")}, threshold)["f1"] == approx(f1)
    # Best with every candidate: the threshold is the lowest score.
    assert best_threshold([("a", "x", 0.9), ("b", "y", 0.4)], {("a", "x"), ("b", "y")}) == \
           (approx(0.4), 1.0)
    assert best_threshold(CANDIDATES, {("q", "q")}) == (0.0, 0.0)


def test_bucc_f1_applies_a_threshold():
    assert bucc_f1(CANDIDATES, GOLD, 0.55) == {"precision": approx(0.75), "recall": approx(0.75),
                                               "f1": approx(0.75)}
    # A dev threshold of 0.75 extracts a, b: P 1/2, R 1/4, F1 1/3.
    assert bucc_f1(CANDIDATES, GOLD, 0.75) == {"precision": approx(0.5), "recall": approx(0.25),
                                               "f1": approx(1 / 3)}
    assert bucc_f1(CANDIDATES, GOLD, 0.95) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


# --- Tatoeba -------------------------------------------------------------------------------


def test_retrieval_accuracy():
    src = torch.eye(3)
    tgt = torch.eye(3)[[0, 2, 1]]  # only row 0 keeps its translation in place
    assert retrieval_accuracy(src, tgt) == approx(1 / 3)


def test_retrieval_accuracy_on_hand_built_embeddings():
    source = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.8, 0.6]])
    target = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    # cosines of source 2: 0.8, 0.96, 0.6 -> it retrieves target 1, not its translation 2
    assert retrieval_accuracy(source, target) == pytest.approx(2 / 3)
    assert retrieval_accuracy(target, target) == 1.0
