"""GPT-2's own tokenizer (chapter 5): the byte-level BPE of bpe.py with OpenAI's 50,000 learned merges.

The two files OpenAI published come through helpers.downloads (checksummed and cached, or from the
mirror): gpt2-vocab.bpe lists the merges in order, gpt2-encoder.json maps each token to its id.
tiktoken's `data_gym_to_mergeable_bpe_ranks` turns them into the ranks tiktoken needs (and checks
that the two files agree). GPT-2 numbers its first 256 tokens in its own byte order (printable bytes
first, see `bytes_to_unicode`), so its ids differ from a freshly trained BPETokenizer's; id 50256 is
"<|endoftext|>". A saved GPT-2 tokenizer is a reference by name: loading it rebuilds it from the files.

tiktoken.get_encoding("gpt2") would fetch the same files from the network; this never calls it.
(tiktoken's loader would keep its own copy of the files in the temporary folder; its caching is switched
off here, since helpers.downloads has already verified and cached them.)
"""

from __future__ import annotations

import functools
import os
from typing import Any

from tiktoken.load import data_gym_to_mergeable_bpe_ranks

from helpers.downloads import REGISTRY, load
from helpers.tokenizers.base import ENDOFTEXT
from helpers.tokenizers.bpe import BPETokenizer, from_byte_level_string
from helpers.tokenizers.bpe_training import GPT2_SPLIT_PATTERN

VOCAB_FILE, ENCODER_FILE = "gpt2-vocab.bpe", "gpt2-encoder.json"


class GPT2Tokenizer(BPETokenizer):
    """OpenAI's GPT-2 tokenizer: 50,257 tokens, the same ids as tiktoken's "gpt2" encoding."""

    kind = "gpt2"

    def __init__(self) -> None:
        # Not BPETokenizer.__init__: GPT-2's ids come from its files, not from numbering merges after the bytes.
        ranks, merges = _gpt2_files()
        self.merges = list(merges)
        self._set_up(ranks, [ENDOFTEXT], GPT2_SPLIT_PATTERN, "gpt2")

    def _content(self) -> dict[str, Any]:
        return {"source": f"OpenAI's {VOCAB_FILE} and {ENCODER_FILE}, through helpers.downloads"}

    @classmethod
    def _from_content(cls, content: dict[str, Any]) -> GPT2Tokenizer:
        return cls()


def gpt2_tokenizer() -> GPT2Tokenizer:
    """GPT-2's tokenizer, built from OpenAI's files (fetched and checked once, then cached)."""
    return GPT2Tokenizer()


@functools.cache
def _gpt2_files() -> tuple[dict[bytes, int], list[tuple[bytes, bytes]]]:
    """GPT-2's ranks (token bytes -> id) and its merges in order, read once per process."""
    vocab_path, encoder_path = load(VOCAB_FILE), load(ENCODER_FILE)
    previous = os.environ.get("TIKTOKEN_CACHE_DIR")
    os.environ["TIKTOKEN_CACHE_DIR"] = ""  # tiktoken reads the files in place and writes nothing
    try:
        ranks = data_gym_to_mergeable_bpe_ranks(
            str(vocab_path),
            str(encoder_path),
            vocab_bpe_hash=REGISTRY[VOCAB_FILE].sha256,
            encoder_json_hash=REGISTRY[ENCODER_FILE].sha256,
        )
    finally:
        if previous is None:
            del os.environ["TIKTOKEN_CACHE_DIR"]
        else:
            os.environ["TIKTOKEN_CACHE_DIR"] = previous
    lines = vocab_path.read_text(encoding="utf-8").split("\n")[1:]  # the first line is a version comment
    merges = [tuple(from_byte_level_string(part) for part in line.split(" ")) for line in lines if line]
    return ranks, merges
