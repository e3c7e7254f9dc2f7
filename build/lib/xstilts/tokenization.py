"""A subword tokenizer with XLM-R's special tokens and ids, trained locally.

XLM-R's own model is a SentencePiece unigram; on a corpus this small the unigram trainer of
`tokenizers` keeps mostly single characters, so the offline world uses BPE over the same
metaspace pre-tokenisation, which learns whole frequent words and shared pieces.
"""

from collections.abc import Iterable

from tokenizers import (
    Tokenizer,
    decoders,
    models,
    normalizers,
    pre_tokenizers,
    processors,
    trainers,
)
from transformers import PreTrainedTokenizerFast

# XLM-R's ids: <s>=0, <pad>=1, </s>=2, <unk>=3, and <mask> last.
SPECIAL_TOKENS = ("<s>", "<pad>", "</s>", "<unk>")


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train BPE with XLM-R's normalisation (NFKC) and metaspace word boundaries."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=list(SPECIAL_TOKENS),
                                  show_progress=False)
    tok.train_from_iterator(texts, trainer)
    tok.add_special_tokens(["<mask>"])
    # XLM-R pairs read "<s> A </s></s> B </s>", as RoBERTa's do.
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A </s>", pair="<s> $A </s> </s> $B </s>",
        special_tokens=[("<s>", 0), ("</s>", 2)])
    return PreTrainedTokenizerFast(tokenizer_object=tok, bos_token="<s>", eos_token="</s>",
                                   sep_token="</s>", cls_token="<s>", unk_token="<unk>",
                                   pad_token="<pad>", mask_token="<mask>")
