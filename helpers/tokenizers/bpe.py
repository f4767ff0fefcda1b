"""Byte-level BPE (chapter 5): any text becomes bytes, and learned merges fuse frequent byte runs into tokens.

Ids 0..255 are the single bytes, so no text is ever unknown; id 256 + k is the bytes of the k-th
learned merge; the special tokens come last. Encoding cuts the text around special tokens, then
into chunks with GPT-2's regex (bpe_training.py), then merges the bytes of each chunk.

Two encoders give the same ids:
- `encode_pure_python`: the lesson, `bpe_encode_chunk` below: repeatedly fuse the adjacent pair whose
  fused bytes are the earliest-learned token (lowest rank), until no adjacent pair is a token.
- `encode`: the same ranks handed to tiktoken's Rust implementation, many times faster.
They agree on all text, except characters added to Unicode after tiktoken's tables (Unicode 17,
2025), which the `regex` package already counts as letters: such text may be chunked differently.

Special tokens typed inside a text ("<|endoftext|>") become their single id; pass
`allow_special=False` to encode them as ordinary text instead. Lone surrogates (not valid Unicode)
are refused with a ValueError. decode(encode(x)) == x for every valid text.

Saved files list the merges with GPT-2's byte-to-unicode mapping (`byte_level_string`), the same
readable form as GPT-2's vocab.bpe: a space shows as "Ġ", a line break as "Ċ".

Simplified on purpose: no caching of chunk encodings in the pure-Python encoder, no batch encoding.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Iterable, Sequence
from itertools import pairwise
from typing import Any

import regex
import tiktoken

from helpers.tokenizers.base import ENDOFTEXT, Tokenizer, check_special_tokens, check_text
from helpers.tokenizers.bpe_training import GPT2_SPLIT_PATTERN, train_merges, train_merges_textbook

TRAINERS = {"incremental": train_merges, "textbook": train_merges_textbook}


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """GPT-2's printable stand-in for each byte: printable Latin-1 bytes stay, the others move to chr(256+)."""
    printable = [*range(ord("!"), ord("~") + 1), *range(ord("¡"), ord("¬") + 1), *range(ord("®"), ord("ÿ") + 1)]
    mapping = {byte: chr(byte) for byte in printable}
    for byte in range(256):
        if byte not in mapping:
            mapping[byte] = chr(256 + len(mapping) - len(printable))
    return mapping


def byte_level_string(token: bytes) -> str:
    """A token's bytes as GPT-2 writes them in its files (" the" -> "Ġthe"): one visible character per byte."""
    mapping = bytes_to_unicode()
    return "".join(mapping[byte] for byte in token)


@functools.cache
def _unicode_to_bytes() -> dict[str, int]:
    return {character: byte for byte, character in bytes_to_unicode().items()}


def from_byte_level_string(text: str) -> bytes:
    """Undo `byte_level_string`: GPT-2's file form of a token back to its bytes."""
    inverse = _unicode_to_bytes()
    try:
        return bytes(inverse[character] for character in text)
    except KeyError as error:
        raise ValueError(f"{text!r} is not a byte-level string: {error.args[0]!r} stands for no byte.") from None


def bpe_encode_chunk(chunk: bytes, ranks: dict[bytes, int]) -> list[int]:
    """Encode one pre-split chunk: fuse the lowest-ranked adjacent pair until no pair is a token."""
    if chunk in ranks:
        return [ranks[chunk]]  # a whole word that is already a token (what tiktoken checks first, too)
    parts = [bytes([byte]) for byte in chunk]
    while len(parts) > 1:
        fused = [ranks.get(left + right) for left, right in pairwise(parts)]
        known = [(rank, i) for i, rank in enumerate(fused) if rank is not None]
        if not known:
            break
        _, i = min(known)  # the earliest-learned merge; among equal ones the leftmost
        parts[i : i + 2] = [parts[i] + parts[i + 1]]
    return [ranks[part] for part in parts]


class BPETokenizer(Tokenizer):
    """Byte-level BPE with GPT-2's pre-split: learned merges, a readable encoder and a fast one."""

    kind = "bpe"

    def __init__(
        self,
        merges: Sequence[tuple[bytes, bytes]],
        special_tokens: Sequence[str] = (ENDOFTEXT,),
        *,
        pattern: str = GPT2_SPLIT_PATTERN,
        name: str = "bpe",
    ):
        self.merges = [(bytes(left), bytes(right)) for left, right in merges]
        ranks = {bytes([byte]): byte for byte in range(256)}
        for k, (left, right) in enumerate(self.merges):
            if left not in ranks or right not in ranks:
                raise ValueError(f"Merge {k} ({left!r}, {right!r}) uses a piece that no earlier merge made.")
            if left + right in ranks:
                raise ValueError(f"Merge {k} ({left!r}, {right!r}) makes {left + right!r}, already a token.")
            ranks[left + right] = len(ranks)
        self._set_up(ranks, special_tokens, pattern, name)

    def _set_up(self, ranks: dict[bytes, int], special_tokens: Sequence[str], pattern: str, name: str) -> None:
        """Store the vocabulary: `ranks` maps token bytes -> id (= merge priority), special tokens after it."""
        if sorted(ranks.values()) != list(range(len(ranks))):
            raise ValueError("Token ranks must be the ids 0 to len(ranks) - 1, each once.")
        specials = check_special_tokens(special_tokens)
        self.name = name
        self.pattern = pattern
        self._splitter = regex.compile(pattern)
        self._ranks = ranks
        self._special_tokens = {token: len(ranks) + i for i, token in enumerate(specials)}
        self._token_bytes = sorted(ranks, key=ranks.get) + [token.encode("utf-8") for token in specials]
        self._tiktoken: tiktoken.Encoding | None = None  # built on first use

    @classmethod
    def train(
        cls,
        text: str,
        vocab_size: int,
        special_tokens: Sequence[str] = (ENDOFTEXT,),
        *,
        pattern: str = GPT2_SPLIT_PATTERN,
        name: str = "",
        trainer: str = "incremental",
    ) -> BPETokenizer:
        """Learn vocab_size - 256 - len(special_tokens) merges from `text` ("textbook" trainer: slow, same result)."""
        check_text(text)
        specials = check_special_tokens(special_tokens)
        smallest = 256 + len(specials)
        if not isinstance(vocab_size, int) or vocab_size < smallest:
            raise ValueError(f"vocab_size must be an integer of at least {smallest} (256 bytes + "
                             f"{len(specials)} special tokens), got {vocab_size!r}.")
        if trainer not in TRAINERS:
            raise ValueError(f"trainer must be one of {sorted(TRAINERS)}, got {trainer!r}.")
        merges = TRAINERS[trainer](text, vocab_size - smallest, specials, pattern)
        if len(merges) < vocab_size - smallest:
            warnings.warn(f"The text ran out of pairs to merge after {len(merges)} merges: the vocabulary has "
                          f"{smallest + len(merges)} tokens, not {vocab_size}. Train on more text for more.",
                          stacklevel=2)
        return cls(merges, specials, pattern=pattern, name=name or f"bpe-{smallest + len(merges)}")

    @property
    def vocab_size(self) -> int:
        return len(self._token_bytes)

    @property
    def ranks(self) -> dict[bytes, int]:
        """Token bytes -> id, without special tokens: what tiktoken calls mergeable_ranks (a copy)."""
        return dict(self._ranks)

    def encode(self, text: str, *, allow_special: bool = True) -> list[int]:
        """Turn text into ids with tiktoken (fast); same ids as `encode_pure_python`."""
        _check_encodable(text)
        if allow_special:
            return self._fast_encoder().encode(text, allowed_special="all")
        return self._fast_encoder().encode_ordinary(text)

    def encode_pure_python(self, text: str, *, allow_special: bool = True) -> list[int]:
        """Turn text into ids in readable Python (the lesson): split, then merge each chunk's bytes by rank."""
        _check_encodable(text)
        return self._encode_around_special_tokens(text, allow_special, self._encode_plain)

    def _encode_plain(self, text: str) -> list[int]:
        ids = []
        for chunk in self._splitter.findall(text):
            ids.extend(bpe_encode_chunk(chunk.encode("utf-8"), self._ranks))
        return ids

    def decode(self, ids: Iterable[int]) -> str:
        """Turn ids back into text (bytes that do not form valid UTF-8 on their own show as "�")."""
        return b"".join(self._token_bytes[i] for i in self._check_ids(ids)).decode("utf-8", errors="replace")

    def token_strings(self, ids: Iterable[int]) -> list[str]:
        """Each id's text; a token holding part of a character shows its bytes escaped, e.g. "\\xf0\\x9f"."""
        return [self._token_bytes[i].decode("utf-8", errors="backslashreplace") for i in self._check_ids(ids)]

    def _fast_encoder(self) -> tiktoken.Encoding:
        if self._tiktoken is None:
            self._tiktoken = tiktoken.Encoding(
                self.name, pat_str=self.pattern, mergeable_ranks=self._ranks, special_tokens=self._special_tokens
            )
        return self._tiktoken

    def _content(self) -> dict[str, Any]:
        merges = [[byte_level_string(left), byte_level_string(right)] for left, right in self.merges]
        return {"pattern": self.pattern, "merges": merges}

    @classmethod
    def _from_content(cls, content: dict[str, Any]) -> BPETokenizer:
        merges = [(from_byte_level_string(left), from_byte_level_string(right)) for left, right in content["merges"]]
        specials = sorted(content["special_tokens"], key=content["special_tokens"].get)
        return cls(merges, specials, pattern=content["pattern"], name=content["name"])


def _check_encodable(text: str) -> None:
    """Refuse non-str input and text with lone surrogates (they have no UTF-8 bytes)."""
    check_text(text)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise ValueError(
            f"The text holds a lone surrogate {text[error.start]!r} at index {error.start}: not valid Unicode, it "
            f"has no bytes to encode. Remove it, or use text.encode('utf-8', 'replace').decode('utf-8')."
        ) from None
