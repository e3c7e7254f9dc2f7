"""XTREME's official metrics, as plain floats in [0, 1] (XTREME reports them x100).

Each function follows the script XTREME scores the task with, and says where it departs:
- classification (XNLI, PAWS-X): accuracy (``evaluate.py``);
- tagging (PAN-X, UD-POS): seqeval ``f1_score`` on label strings (``third_party/run_tag.py``);
- QA: the MLQA script ``mlqa_evaluation_v1.py`` (XTREME's ``evaluate.py`` uses it for MLQA,
  and the SQuAD v1.1 script, English normalisation and ASCII punctuation only, for XQuAD and
  TyDiQA-GoldP), plus SQuAD v2's rule for unanswerable questions;
- BUCC: LASER's ratio-margin mining and threshold search (``third_party/utils_retrieve.py``);
- Tatoeba: cosine nearest-neighbour accuracy.

Longer than the project's 300-line guide on purpose: every target's metric sits beside the
others so that the departures from XTREME's scripts can be read in one place.
"""

import re
import string
import unicodedata
import warnings
from collections import Counter
from collections.abc import Hashable

import torch

# ---------------------------------------------------------------------------------------------
# Classification and tagging


def accuracy(gold: list[int], pred: list[int]) -> float:
    """Share of examples whose predicted label equals the gold one (XNLI, PAWS-X)."""
    # Imported here: scikit-learn (with scipy and pandas) adds a second to every stage start.
    from sklearn.metrics import accuracy_score

    return float(accuracy_score(gold, pred))


def tagging_f1(gold: list[list[str]], pred: list[list[str]]) -> float:
    """Micro F1 over chunks, as seqeval's ``f1_score`` in its default (non-strict, CoNLL)
    mode, which is what XTREME's ``run_tag.py`` reports for both PAN-X and UD-POS.

    PAN-X (IOB2 tags): entity-level F1; an entity counts only when its type and both of its
    boundaries match. In the default mode an ``I-X`` with no ``B-X`` before it opens an entity.

    UD-POS (plain UPOS tags, no ``B-``/``I-`` prefix): XTREME passes the tags to seqeval
    unchanged, and seqeval reads the first character of a tag as its chunk prefix and the rest as
    its type ("NOUN" is prefix "N", type "OUN"). So the score is not token accuracy but F1 over
    maximal runs of identical tags: "NOUN NOUN" is one chunk, and predicting "NOUN VERB" for it
    scores nothing on it. Quirks of the first-letter reading: SCONJ and SYM start with "S"
    (seqeval's single-token prefix), so every such token is a chunk of its own; X has the empty
    type, like "O", so a run of X that ends a sentence is no chunk at all; CCONJ and SCONJ share
    the type "CONJ", so "CCONJ SCONJ" drops the CCONJ chunk and "SCONJ CCONJ" yields an extra
    chunk spanning both. XTREME's install script does not pin seqeval; the 0.0.x current at its
    release took the whole tag as the type, so under it the last two quirks do not occur and
    all other chunks are the same. We match XTREME's call rather than fix it, so POS numbers
    stay comparable with the paper's.
    """
    from seqeval.metrics import f1_score as seqeval_f1  # pulls in scikit-learn: see accuracy

    with warnings.catch_warnings():
        # seqeval warns once per chunk that plain POS tags "seem not to be NE tags".
        warnings.filterwarnings("ignore", message=".*seems not to be NE tag")
        return float(seqeval_f1(gold, pred))


# ---------------------------------------------------------------------------------------------
# Extractive QA (MLQA script; SQuAD v2 rule for unanswerable questions)

# Articles as mlqa_evaluation_v1.py removes them. hi and zh have none; the script raises on any
# other language, where we instead remove nothing. The Arabic pattern is the script's own: its
# first alternative cannot match, so it replaces every "ال" with a space, even inside words.
_ARTICLES = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": re.compile(r"\sال^|ال"),
}
# Languages the script segments per CJK character, as they do not separate words by spaces.
# (ja and th, also unspaced, are not in MLQA; the script would raise on them.)
_MIXED_SEGMENTATION = {"zh"}
_CJK = re.compile(r"[\u4e00-\u9fa5]")


def _is_punct(ch: str) -> bool:
    # The script's PUNCT set: every Unicode P* character plus ASCII string.punctuation (which
    # adds the symbols $+<=>^`|~). Testing per character avoids building a 1.1M-entry set.
    return ch in string.punctuation or unicodedata.category(ch).startswith("P")


def _mixed_segmentation(text: str) -> list[str]:
    """Each CJK character (and punctuation mark) is a token; other runs split on whitespace."""
    tokens, run = [], ""
    for ch in text:
        if _CJK.match(ch) or _is_punct(ch):
            tokens.extend(run.split())
            tokens.append(ch)
            run = ""
        else:
            run += ch
    tokens.extend(run.split())
    return tokens


def normalize_answer(s: str, lang: str | None = "en") -> str:
    """MLQA's normalisation: lowercase, drop punctuation, drop the language's articles, then
    re-join the tokens with single spaces (zh: one token per CJK character). ``lang=None``:
    the SQuAD v1.1 script's, which knows no language: English articles, ASCII punctuation."""
    if lang is None:
        text = "".join(ch for ch in s.lower() if ch not in string.punctuation)
        return " ".join(_ARTICLES["en"].sub(" ", text).split())
    text = "".join(ch for ch in s.lower() if not _is_punct(ch))
    if lang in _ARTICLES:
        text = _ARTICLES[lang].sub(" ", text)
    tokens = _mixed_segmentation(text) if lang in _MIXED_SEGMENTATION else text.split()
    return " ".join(t for t in tokens if t.strip())


def _unanswerable(golds: list[str]) -> bool:
    # SQuAD v2 stores an unanswerable question with no answers; we also take [""] for one.
    return all(g == "" for g in golds)


def _f1(pred_tokens: list[str], gold_tokens: list[str]) -> float:
    common = Counter(pred_tokens) & Counter(gold_tokens)
    num_same = sum(common.values())
    if num_same == 0:
        return 0.0
    precision = num_same / len(pred_tokens)
    recall = num_same / len(gold_tokens)
    return 2 * precision * recall / (precision + recall)


def exact_match(pred: str, golds: list[str], lang: str | None = "en") -> float:
    """1.0 when the normalised prediction equals some normalised gold answer. On an
    unanswerable question (golds ``[]`` or all ``""``) 1.0 exactly when the prediction
    normalises to the empty string, as in the SQuAD v2 script."""
    norm = normalize_answer(pred, lang)
    if _unanswerable(golds):
        return float(norm == "")
    return max(float(norm == normalize_answer(g, lang)) for g in golds)


def token_f1(pred: str, golds: list[str], lang: str | None = "en") -> float:
    """Bag-of-tokens F1 between the normalised prediction and each gold answer, the best over
    the golds. Unanswerable questions score as in :func:`exact_match` (SQuAD v2: both token
    lists empty gives 1, otherwise 0)."""
    pred_tokens = normalize_answer(pred, lang).split()
    if _unanswerable(golds):
        return float(not pred_tokens)
    return max(_f1(pred_tokens, normalize_answer(g, lang).split()) for g in golds)


def squad_scores(predictions: dict[str, str], references: dict[str, list[str]],
                 lang: str | None = "en") -> dict[str, float]:
    """Exact match and F1 averaged over the questions of ``references``, normalised as MLQA's
    script does in ``lang`` (None: as SQuAD v1.1's); as in both scripts, a question with no
    prediction scores 0 on both."""
    if not references:
        raise ValueError("no reference questions to score")
    em = f1 = 0.0
    for qid, golds in references.items():
        if qid in predictions:
            em += exact_match(predictions[qid], golds, lang)
            f1 += token_f1(predictions[qid], golds, lang)
    return {"exact_match": em / len(references), "f1": f1 / len(references)}


# ---------------------------------------------------------------------------------------------
# BUCC: margin-based bitext mining (Artetxe & Schwenk 2019, as LASER and XTREME run it)


def _knn(query: torch.Tensor, database: torch.Tensor, k: int,
         batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Cosine similarities and indices of each query row's ``k`` nearest database rows, in
    query batches so that only a (batch, M) block of similarities exists at a time."""
    sims, idx = [], []
    for start in range(0, len(query), batch_size):
        s, i = (query[start:start + batch_size] @ database.T).topk(k, dim=1)
        sims.append(s)
        idx.append(i)
    return torch.cat(sims), torch.cat(idx)


def _mine(src: torch.Tensor, tgt: torch.Tensor, k: int, batch_size: int):
    """Best margin candidate of every source (forward) and of every target (backward).

    As in LASER's ``mine_bitext``: each side's candidates are its k cosine neighbours on the
    other side (k capped by that side's size), and the best is the candidate of highest ratio
    margin, cos(x, y) / ((mean cos of x to its k neighbours + same for y) / 2).
    """
    fwd_sim, fwd_idx = _knn(src, tgt, min(k, len(tgt)), batch_size)
    bwd_sim, bwd_idx = _knn(tgt, src, min(k, len(src)), batch_size)
    fwd_mean, bwd_mean = fwd_sim.mean(dim=1), bwd_sim.mean(dim=1)
    fwd_margin = fwd_sim / ((fwd_mean[:, None] + bwd_mean[fwd_idx]) / 2)
    bwd_margin = bwd_sim / ((bwd_mean[:, None] + fwd_mean[bwd_idx]) / 2)
    # argmax takes the first maximum on ties, as numpy's does in LASER.
    fwd_arg, bwd_arg = fwd_margin.argmax(dim=1), bwd_margin.argmax(dim=1)
    fwd_best = fwd_idx.gather(1, fwd_arg[:, None]).squeeze(1)
    bwd_best = bwd_idx.gather(1, bwd_arg[:, None]).squeeze(1)
    fwd_score = fwd_margin.gather(1, fwd_arg[:, None]).squeeze(1)
    bwd_score = bwd_margin.gather(1, bwd_arg[:, None]).squeeze(1)
    return fwd_best, fwd_score, bwd_best, bwd_score


@torch.inference_mode()
def margin_scores(src: torch.Tensor, tgt: torch.Tensor, k: int = 4,
                  batch_size: int = 1024) -> tuple[torch.Tensor, torch.Tensor]:
    """For every row of ``src`` (N, H), its best target among ``tgt`` (M, H) by ratio margin:
    (index (N,), margin score (N,)). Both inputs must be L2-normalised, so that dot products
    are cosines. Only a source's k cosine-nearest targets are candidates, as in LASER, so the
    margin re-ranks that short list; the margin divides out hubness (targets close to
    everything) that plain cosine rewards."""
    fwd_best, fwd_score, _, _ = _mine(src, tgt, k, batch_size)
    return fwd_best, fwd_score


@torch.inference_mode()
def mine_pairs(src: torch.Tensor, tgt: torch.Tensor, k: int = 4, mode: str = "max",
               threshold: float = 0.0,
               batch_size: int = 1024) -> list[tuple[int, int, float]]:
    """Candidate translation pairs ``(src_row, tgt_row, margin)`` from L2-normalised
    embeddings, by LASER's ``mine_bitext(mode='mine')`` with the given ``retrieval`` mode.

    XTREME's BUCC (``run_retrieval.py``) leaves ``mine_bitext`` at its defaults, so the default
    here is the same: ``mode="max"``, ratio margin, k=4, threshold 0. In "max" the forward
    pairs (each source with its best target) and backward pairs (each target with its best
    source) are pooled, sorted by score (ties kept in order: forward before backward, by row),
    and taken greedily when neither side is used yet and the score exceeds ``threshold``, so the
    result is one-to-one. The other modes, unfiltered as in LASER: "forward" (every source's
    best target), "backward" (every target's best source), "intersect" (forward pairs that are
    also the target's backward choice).

    The rows are positions; mapping them to BUCC sentence ids (and LASER's merging of
    duplicate sentences before mining) is the caller's. The scores are what
    :func:`best_threshold` searches.
    """
    fwd_best, fwd_score, bwd_best, bwd_score = _mine(src, tgt, k, batch_size)
    n, m = len(src), len(tgt)
    fwd = list(zip(range(n), fwd_best.tolist(), fwd_score.tolist(), strict=True))
    if mode == "forward":
        return fwd
    if mode == "backward":
        return list(zip(bwd_best.tolist(), range(m), bwd_score.tolist(), strict=True))
    if mode == "intersect":
        bwd = bwd_best.tolist()
        return [(i, j, s) for i, j, s in fwd if bwd[j] == i]
    if mode != "max":
        raise ValueError(f"unknown mining mode {mode!r}")
    device = fwd_best.device
    src_ids = torch.cat([torch.arange(n, device=device), bwd_best]).tolist()
    tgt_ids = torch.cat([fwd_best, torch.arange(m, device=device)]).tolist()
    scores = torch.cat([fwd_score, bwd_score])
    order = torch.sort(scores, descending=True, stable=True).indices.tolist()
    scores = scores.tolist()
    seen_src, seen_tgt, pairs = set(), set(), []
    for p in order:
        i, j = src_ids[p], tgt_ids[p]
        if i not in seen_src and j not in seen_tgt:
            # LASER marks both sides used even when the pair falls below the threshold.
            seen_src.add(i)
            seen_tgt.add(j)
            if scores[p] > threshold:
                pairs.append((i, j, scores[p]))
    return pairs


Pair = tuple[Hashable, Hashable]


def _best_scores(candidates: list[tuple[Hashable, Hashable, float]]) -> dict[Pair, float]:
    # A pair listed twice keeps its higher score, as XTREME's read_candidate2score does.
    best: dict[Pair, float] = {}
    for s, t, score in candidates:
        best[(s, t)] = max(score, best.get((s, t), score))
    return best


def _prf(ncorrect: int, npred: int, ngold: int) -> dict[str, float]:
    if ncorrect == 0:
        return {"precision": 0.0, "recall": 0.0, "f1": 0.0}
    precision, recall = ncorrect / npred, ncorrect / ngold
    return {"precision": precision, "recall": recall,
            "f1": 2 * precision * recall / (precision + recall)}


def best_threshold(candidates: list[tuple[Hashable, Hashable, float]],
                   gold: set[Pair]) -> tuple[float, float]:
    """The margin threshold that maximises F1 of the pairs scoring at least it, and that F1.

    XTREME's ``bucc_optimize``: walk the candidates from the highest score down, scoring the
    prefix extracted so far, and put the threshold halfway between the best prefix's last score
    and the next one (the first of equal F1s, i.e. the highest threshold, wins). Two changes,
    both only where XTREME is ill-defined: a cut is only tried between different scores, so the
    returned F1 is the one :func:`bucc_f1` gives at the returned threshold even with ties; and
    when the best prefix is all candidates the threshold is the lowest score (XTREME indexes
    past the end there). With no correct candidate it returns (0.0, 0.0), as XTREME does.
    """
    items = sorted(_best_scores(candidates).items(), key=lambda kv: -kv[1])
    threshold = best_f1 = 0.0
    ncorrect = 0
    for i, (pair, score) in enumerate(items):
        ncorrect += pair in gold
        last = i + 1 == len(items)
        if ncorrect == 0 or (not last and items[i + 1][1] == score):
            continue
        f1 = _prf(ncorrect, i + 1, len(gold))["f1"]
        if f1 > best_f1:
            best_f1 = f1
            threshold = score if last else (score + items[i + 1][1]) / 2
    return threshold, best_f1


def bucc_f1(candidates: list[tuple[Hashable, Hashable, float]], gold: set[Pair],
            threshold: float) -> dict[str, float]:
    """Precision, recall and F1 of the candidate pairs scoring at least ``threshold``
    (XTREME's ``bucc_extract`` + ``bucc_eval``), e.g. with the threshold tuned on dev."""
    predicted = {pair for pair, score in _best_scores(candidates).items() if score >= threshold}
    return _prf(len(predicted & gold), len(predicted), len(gold))


# ---------------------------------------------------------------------------------------------
# Tatoeba


def retrieval_accuracy(src: torch.Tensor, tgt: torch.Tensor) -> float:
    """Share of rows of ``src`` whose cosine-nearest row of ``tgt`` is the same row (both
    L2-normalised: the dot product is the cosine).

    Direction: XTREME's ``similarity_search(x, y)`` indexes the non-English sentences ``x``
    and queries with the English ``y``, so its Tatoeba score is
    ``retrieval_accuracy(english, other)``.
    """
    nearest = (src @ tgt.T).argmax(dim=1)  # (N,)
    return (nearest == torch.arange(len(src), device=src.device)).float().mean().item()
