"""The offline tokenizer: XLM-R's special tokens at XLM-R's ids, <mask> last, and XLM-R's
templates for one sentence and a pair."""

from xstilts.tokenization import train_tokenizer

LINES = ["the red ball is above the box", "la bola roja", "the box is not big"] * 20


def test_special_tokens_sit_at_xlmr_ids_and_mask_is_last():
    tok = train_tokenizer(LINES, 120)
    assert [tok.convert_tokens_to_ids(t) for t in ("<s>", "<pad>", "</s>", "<unk>")] == \
        [0, 1, 2, 3]
    assert tok.mask_token_id == len(tok) - 1


def test_pairs_read_as_xlmr_pairs():
    tok = train_tokenizer(LINES, 120)
    ids = tok("the ball", "the box")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2
    assert ids.count(2) == 3  # <s> A </s></s> B </s>


def test_training_is_deterministic():
    assert train_tokenizer(LINES, 120).backend_tokenizer.to_str() == \
        train_tokenizer(LINES, 120).backend_tokenizer.to_str()
