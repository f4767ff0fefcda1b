"""What every tokenizer of the series shares: text in, integer ids out, and back; saved as readable JSON.

A tokenizer is a vocabulary (id -> piece of text) plus a rule for cutting text into pieces. The
subclasses differ only in that rule: characters, words, byte-pair merges. This file holds the
common interface, the input checks that give clear messages, special-token handling and the
JSON file format that `load_tokenizer` reads back for every kind.

Special tokens (such as "<|endoftext|>") typed inside a text are recognised as special by default:
`encode(text)` gives their single id. `encode(text, allow_special=False)` treats them as plain text.

Simplified on purpose: no normalisation (Unicode NFC, lower-casing), no batch encoding.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, ClassVar

import regex

from helpers.files import write_text_atomically

ENDOFTEXT = "<|endoftext|>"
FILE_FORMAT = "understanding-llms tokenizer"
FILE_VERSION = 1


class Tokenizer(ABC):
    """The interface the chapters use: encode, decode, vocab_size, token_strings, save."""

    kind: ClassVar[str]  # the name a saved file uses to say which class reads it back
    _kinds: ClassVar[dict[str, type[Tokenizer]]] = {}

    name: str
    _special_tokens: dict[str, int]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "kind" in cls.__dict__:
            Tokenizer._kinds[cls.kind] = cls

    @abstractmethod
    def encode(self, text: str, *, allow_special: bool = True) -> list[int]:
        """Turn text into token ids; special tokens written in the text become their ids."""

    @abstractmethod
    def decode(self, ids: Iterable[int]) -> str:
        """Turn token ids back into text."""

    @abstractmethod
    def token_strings(self, ids: Iterable[int]) -> list[str]:
        """The readable piece of text behind each id, to show (or colour) token boundaries."""

    @property
    @abstractmethod
    def vocab_size(self) -> int:
        """How many ids there are (ids run from 0 to vocab_size - 1): the model's output width."""

    @abstractmethod
    def _content(self) -> dict[str, Any]:
        """The kind-specific fields of the saved file."""

    @classmethod
    @abstractmethod
    def _from_content(cls, content: dict[str, Any]) -> Tokenizer:
        """Rebuild a tokenizer from the fields `_content` wrote."""

    @property
    def special_tokens(self) -> dict[str, int]:
        """Special token text -> id (a copy: changing it does not change the tokenizer)."""
        return dict(self._special_tokens)

    @property
    def eot_id(self) -> int | None:
        """The id of "<|endoftext|>", which separates documents, or None when there is none."""
        return self._special_tokens.get(ENDOFTEXT)

    def to_dict(self) -> dict[str, Any]:
        """Everything needed to rebuild this tokenizer, as JSON-ready values (what `save` writes)."""
        content = {"format": FILE_FORMAT, "version": FILE_VERSION, "kind": self.kind, "name": self.name,
                   "special_tokens": self.special_tokens, **self._content()}
        return {**content, "checksum": _checksum(content)}

    def save(self, path: str | os.PathLike) -> Path:
        """Write the tokenizer to a readable JSON file (replaced whole or not at all); returns the path."""
        path = Path(path)
        write_text_atomically(path, json.dumps(self.to_dict(), ensure_ascii=False, indent=1) + "\n")
        return path

    def _encode_around_special_tokens(
        self, text: str, allow_special: bool, encode_plain: Callable[[str], list[int]]
    ) -> list[int]:
        """Encode text whose special tokens (when allowed) become their ids and the rest `encode_plain`."""
        check_text(text)
        parts = split_on_special_tokens(text, list(self._special_tokens)) if allow_special else [text]
        ids = []
        for position, part in enumerate(parts):
            ids.extend([self._special_tokens[part]] if position % 2 else encode_plain(part))
        return ids

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r}, vocab_size={self.vocab_size})"

    def _check_ids(self, ids: Iterable[int]) -> list[int]:
        """The ids as a list of ints, or a TypeError/ValueError saying which one is wrong."""
        if isinstance(ids, (str, bytes)):
            raise TypeError(f"decode expects a sequence of integer token ids, got {type(ids).__name__}.")
        if hasattr(ids, "tolist"):  # torch tensors and numpy arrays
            ids = ids.tolist()
        if isinstance(ids, int):
            raise TypeError("decode expects a sequence of token ids, got a single int; wrap it in a list.")
        try:
            ids = [operator.index(i) for i in ids]
        except TypeError as error:
            raise TypeError(f"decode expects integer token ids ({error}).") from None
        size = self.vocab_size
        for i in ids:
            if not 0 <= i < size:
                raise ValueError(
                    f"Token id {i} is not in the vocabulary of {self.name!r} (vocab_size {size}, ids 0 to "
                    f"{size - 1}); decode ids made by this same tokenizer."
                )
        return ids


def check_text(text: object) -> str:
    """Return `text` if it is a str, else raise a TypeError that says what to pass instead."""
    if not isinstance(text, str):
        hint = " Decode bytes first, e.g. data.decode('utf-8')." if isinstance(text, (bytes, bytearray)) else ""
        raise TypeError(f"encode expects a str, got {type(text).__name__}.{hint}")
    return text


def check_special_tokens(special_tokens: Iterable[str]) -> list[str]:
    """Validate special token texts: non-empty, distinct, and none the start of another."""
    if isinstance(special_tokens, str):
        raise TypeError(f"special_tokens must be a sequence of strings, e.g. ({special_tokens!r},), not a str.")
    tokens = list(special_tokens)
    for token in tokens:
        if not isinstance(token, str) or not token:
            raise ValueError(f"Every special token must be a non-empty str, got {token!r}.")
    if len(set(tokens)) != len(tokens):
        raise ValueError(f"special_tokens contains duplicates: {tokens}.")
    for first in tokens:
        for second in tokens:
            if first != second and second.startswith(first):
                # where both could match, which one wins would be an accident of the implementation
                raise ValueError(f"Special token {first!r} is the start of {second!r}; rename one of them.")
    return tokens


def split_on_special_tokens(text: str, special_tokens: Sequence[str]) -> list[str]:
    """Cut text around special tokens: even positions are plain text, odd positions special tokens."""
    if not special_tokens:
        return [text]
    return regex.split("(" + "|".join(regex.escape(token) for token in special_tokens) + ")", text)


def load_tokenizer(path: str | os.PathLike) -> Tokenizer:
    """Read back any tokenizer written by `save`, whatever its kind."""
    path = Path(path)
    advice = "Save the tokenizer again with tokenizer.save(path), or train it again."
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise FileNotFoundError(f"No tokenizer file at {path}; save one there with tokenizer.save(path).") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path} is not a readable tokenizer file (it may be truncated or damaged: {error}). "
                         f"{advice}") from None
    if not isinstance(data, dict) or data.get("format") != FILE_FORMAT:
        raise ValueError(f"{path} is JSON but not a tokenizer file written by tokenizer.save. {advice}")
    if data.get("version") != FILE_VERSION:
        raise ValueError(f"{path} has tokenizer file version {data.get('version')!r}; this code reads version "
                         f"{FILE_VERSION}. Update the code or save the tokenizer again.")
    content = {key: value for key, value in data.items() if key != "checksum"}
    if data.get("checksum") != _checksum(content):
        raise ValueError(f"{path} does not match its checksum: it was changed or damaged after it was saved. "
                         f"{advice}")
    kind = data.get("kind")
    if kind not in Tokenizer._kinds:
        raise ValueError(f"{path} holds an unknown tokenizer kind {kind!r}; known: {sorted(Tokenizer._kinds)}.")
    try:
        tokenizer = Tokenizer._kinds[kind]._from_content(content)
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path} holds an inconsistent {kind} tokenizer ({error}). {advice}") from None
    if tokenizer.special_tokens != content["special_tokens"]:
        raise ValueError(f"{path}: the special token ids do not match the rebuilt tokenizer. {advice}")
    return tokenizer


def _checksum(content: dict[str, Any]) -> str:
    """sha256 of the file's content in a canonical form, so any change after saving is noticed."""
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
