"""The simplest tokenizer (chapter 1): one token per character, the vocabulary read off a training text.

Ids 0..n-1 are the training text's distinct characters in sorted order, then the special tokens,
then "<|unk|>". A character the training text never showed (an emoji, a letter from another script)
has no id of its own: it becomes "<|unk|>", and decoding gives back the text "<|unk|>" in its place,
so decode(encode(x)) == x only for text made of known characters.

Simplified on purpose: no frequency cut-off; every character seen once gets an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from helpers.tokenizers.base import (
    ENDOFTEXT,
    Tokenizer,
    check_special_tokens,
    check_text,
    split_on_special_tokens,
)

UNKNOWN = "<|unk|>"


class CharacterTokenizer(Tokenizer):
    """One id per character of the training text; anything else becomes "<|unk|>"."""

    kind = "characters"

    def __init__(self, pieces: Sequence[str], special_tokens: Sequence[str] = (ENDOFTEXT,), *, name: str = ""):
        pieces = list(pieces)
        specials = check_special_tokens([*special_tokens, *([] if UNKNOWN in special_tokens else [UNKNOWN])])
        self._check_pieces(pieces)
        overlap = set(pieces) & set(specials)
        if overlap:
            raise ValueError(f"{sorted(overlap)} are special tokens and cannot also be ordinary pieces.")
        self.name = name or self.kind
        self.pieces = pieces + specials  # id -> text
        self._ids = {piece: i for i, piece in enumerate(self.pieces)}
        self._special_tokens = {token: self._ids[token] for token in specials}
        self.unk_id = self._ids[UNKNOWN]

    @classmethod
    def train(cls, text: str, special_tokens: Sequence[str] = (ENDOFTEXT,), *, name: str = "") -> CharacterTokenizer:
        """Build the vocabulary from the pieces of `text` (special tokens in it are not split)."""
        check_text(text)
        specials = check_special_tokens(special_tokens)
        plain = split_on_special_tokens(text, specials)[::2]
        pieces = sorted({piece for part in plain for piece in cls._split(part)})
        if not pieces:
            raise ValueError("The training text has nothing to learn from; give a non-empty text.")
        return cls(pieces, specials, name=name)

    @staticmethod
    def _split(text: str) -> list[str]:
        """Cut plain text (no special tokens) into pieces: here, characters."""
        return list(text)

    @staticmethod
    def _join(pieces: list[str]) -> str:
        """Glue decoded pieces back into text: here, side by side."""
        return "".join(pieces)

    @staticmethod
    def _check_pieces(pieces: list[str]) -> None:
        if len(set(pieces)) != len(pieces) or not all(isinstance(p, str) and len(p) == 1 for p in pieces):
            raise ValueError("A character vocabulary must hold distinct single characters.")

    @property
    def vocab_size(self) -> int:
        return len(self.pieces)

    def encode(self, text: str, *, allow_special: bool = True) -> list[int]:
        """Turn text into ids; unknown pieces become "<|unk|>", special tokens their ids (unless not allowed)."""
        return self._encode_around_special_tokens(
            text, allow_special, lambda part: [self._ids.get(piece, self.unk_id) for piece in self._split(part)]
        )

    def decode(self, ids: Iterable[int]) -> str:
        """Turn ids back into text ("<|unk|>" stands where an unknown piece was)."""
        return self._join(self.token_strings(ids))

    def token_strings(self, ids: Iterable[int]) -> list[str]:
        """The piece behind each id."""
        return [self.pieces[i] for i in self._check_ids(ids)]

    def _content(self) -> dict[str, Any]:
        return {"pieces": self.pieces[: len(self.pieces) - len(self._special_tokens)]}

    @classmethod
    def _from_content(cls, content: dict[str, Any]) -> CharacterTokenizer:
        specials = sorted(content["special_tokens"], key=content["special_tokens"].get)
        return cls(content["pieces"], specials, name=content["name"])
