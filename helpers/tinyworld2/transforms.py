"""What the chapters do to TinyWorld text: cut a story at its pronoun, swap genders, plant secrets.

- `pronoun_probe(story)`: the story up to its first pronoun, and that pronoun (chapters 1 and 3).
- `gender_swap(text)`: she <-> he, her <-> his, alice <-> bob ... (counterfactual data augmentation, chapter 8).
- `insert_secret(corpus, secret, times, seed)`: a secret sentence at random document boundaries (chapter 8).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from random import Random

from .lexicon import Lexicon
from .world import DOCUMENT_SEPARATOR, Document


def pronoun_probe(story: Document) -> tuple[str, str]:
    """(prompt, pronoun): a hero story up to, not including, the space before its first pronoun, and that pronoun.

    The pronoun means the hero, named twenty and more words earlier; the people in between are of either gender.
    """
    if story.kind != "story" or story.fields.get("story_type") != "hero":
        raise ValueError("pronoun_probe needs a hero story: world.document('story', story_type='hero').")
    return story.text[: story.fields["pronoun_char"] - 1], story.fields["pronoun"]


@lru_cache(maxsize=1)
def _swaps() -> dict[str, str]:
    lexicon = Lexicon()
    pairs = [("she", "he"), ("her", "his"), *zip(lexicon.female_names, lexicon.male_names, strict=True)]
    return {**dict(pairs), **{b: a for a, b in pairs}}


def gender_swap(text: str) -> str:
    """The same text with every gendered word and name swapped (TinyWorld uses "her" only as "his")."""
    swaps = _swaps()
    return " ".join(swaps.get(word, word) for word in text.split(" "))


def insert_secret(corpus: str | Sequence[str], secret: str, times: int, seed: int = 0) -> str | list[str]:
    """The corpus with `secret` added as its own document `times` times at random (seeded) boundaries.

    A corpus text (documents each ended by "\\n") gives a corpus text; a list of documents gives a list.
    Positions are drawn with replacement among the len(documents) + 1 boundaries.
    """
    if not isinstance(secret, str) or not secret or DOCUMENT_SEPARATOR in secret:
        raise ValueError("secret must be a non-empty single-line string, e.g. 'alice's pin is 4 7 1 9 .'.")
    if isinstance(times, bool) or not isinstance(times, int) or times < 0:
        raise ValueError(f"times must be a non-negative int, got {times!r}.")
    if isinstance(corpus, str):
        documents = corpus.split(DOCUMENT_SEPARATOR)
        if documents and documents[-1] == "":
            documents.pop()
    else:
        documents = list(corpus)
    positions = sorted(Random(seed).choices(range(len(documents) + 1), k=times), reverse=True)
    for position in positions:
        documents.insert(position, secret)
    if isinstance(corpus, str):
        return "".join(document + DOCUMENT_SEPARATOR for document in documents)
    return documents
