"""Tokenizers of the series, a ladder of small files, each a step up from the one before:

base.py          the interface every tokenizer shares, special tokens, the JSON file and `load_tokenizer`
characters.py    one token per character, unknown ones become "<|unk|>"                  (chapter 1)
words.py         one token per word or punctuation mark                                   (chapter 1)
bpe_training.py  learning byte-pair merges: the textbook loop and the fast incremental one (chapter 5)
bpe.py           byte-level BPE: a readable encoder and tiktoken's fast one, same ids      (chapter 5)
gpt2.py          GPT-2's own tokenizer from OpenAI's files                                (chapter 5)
"""

from helpers.tokenizers.base import ENDOFTEXT, Tokenizer, load_tokenizer
from helpers.tokenizers.bpe import (
    BPETokenizer,
    bpe_encode_chunk,
    byte_level_string,
    bytes_to_unicode,
    from_byte_level_string,
)
from helpers.tokenizers.bpe_training import (
    GPT2_SPLIT_PATTERN,
    merge_pair,
    pre_split,
    train_merges,
    train_merges_textbook,
)
from helpers.tokenizers.characters import UNKNOWN, CharacterTokenizer
from helpers.tokenizers.gpt2 import GPT2Tokenizer, gpt2_tokenizer
from helpers.tokenizers.words import WordTokenizer

__all__ = [
    "ENDOFTEXT",
    "GPT2_SPLIT_PATTERN",
    "UNKNOWN",
    "BPETokenizer",
    "CharacterTokenizer",
    "GPT2Tokenizer",
    "Tokenizer",
    "WordTokenizer",
    "bpe_encode_chunk",
    "byte_level_string",
    "bytes_to_unicode",
    "from_byte_level_string",
    "gpt2_tokenizer",
    "load_tokenizer",
    "merge_pair",
    "pre_split",
    "train_merges",
    "train_merges_textbook",
]
