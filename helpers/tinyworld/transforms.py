"""Text transforms the chapters apply to TinyWorld text: pronoun probes, gender swaps, secrets and translations.

- `pronoun_probe(story)`: the text up to a pronoun and the pronoun itself (chapter 3's attention probe).
- `gender_swap(text)`: she <-> he, her <-> his, alice <-> bob ... (counterfactual data augmentation, chapter 8).
- `insert_secret(corpus, secret, times, seed)`: a secret sentence at random document boundaries (chapter 8).
- `translate_to_tinyworld_language(sentence)`: the reference Tiny translation (chapters 4 and 7).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from random import Random

from .lexicon import Lexicon
from .world import DOCUMENT_SEPARATOR, Document, TinyWorld


def pronoun_probe(story: Document) -> tuple[str, str]:
    """(prompt, pronoun): the story up to, not including, the space before its pronoun, and that pronoun.

    The continuation of the prompt in the story is " " + pronoun; the correct pronoun is "she" for a
    female antecedent and "he" for a male one, while distractors have the other gender.
    """
    if story.kind != "story" or story.fields.get("story_type") not in ("pronoun", "simple_pronoun"):
        raise ValueError("pronoun_probe needs a pronoun story: world.document('story', story_type='pronoun').")
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
    if not isinstance(times, int) or times < 0:
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


@lru_cache(maxsize=1)
def _default_world() -> TinyWorld:
    return TinyWorld()


def translate_to_tinyworld_language(english_sentence: str) -> str:
    """The reference translation into Tiny, e.g. "the big dog sees a cat ." -> "vapo grana na miru ko vidas ."."""
    return _default_world().translate(english_sentence)
