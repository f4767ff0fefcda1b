"""A word-level tokenizer (chapter 1): the character tokenizer with a different rule for cutting text.

Text is cut into words (letters, digits and inner apostrophes, as in "don't"), single punctuation
marks and line breaks; spaces and tabs are dropped. Words the training text never showed become
"<|unk|>". Decoding cannot know the original spacing, so it puts one space between pieces except
before closing punctuation and around line breaks: "Hello , world !" comes back as "Hello, world!".
Both losses, unknown words and spacing, are what byte-level BPE (bpe.py) removes.

Simplified on purpose: no lower-casing or stemming; the vocabulary keeps every word seen.
"""

from __future__ import annotations

import regex

from helpers.tokenizers.characters import CharacterTokenizer

WORD_PATTERN = regex.compile(r"\w+(?:'\w+)*|[^\w\s]|\n")
_NO_SPACE_BEFORE = set(".,!?;:)]}%\n")
_NO_SPACE_AFTER = set("([{\n")


class WordTokenizer(CharacterTokenizer):
    """One id per word or punctuation mark of the training text; anything else becomes "<|unk|>"."""

    kind = "words"

    @staticmethod
    def _split(text: str) -> list[str]:
        """Cut plain text into words, punctuation marks and line breaks."""
        return WORD_PATTERN.findall(text)

    @staticmethod
    def _join(pieces: list[str]) -> str:
        """Glue words back with single spaces, none before closing punctuation or around line breaks."""
        glued = []
        for i, piece in enumerate(pieces):
            if i and piece not in _NO_SPACE_BEFORE and pieces[i - 1] not in _NO_SPACE_AFTER:
                glued.append(" ")
            glued.append(piece)
        return "".join(glued)

    @staticmethod
    def _check_pieces(pieces: list[str]) -> None:
        if len(set(pieces)) != len(pieces) or not all(isinstance(p, str) and p for p in pieces):
            raise ValueError("A word vocabulary must hold distinct non-empty strings.")
