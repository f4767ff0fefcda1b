"""Tiny, TinyWorld's toy second language: its own words and a different word order.

English "alice sees a big dog in the garden ." is Tiny "alice hortu na ti vapo grana ko vidas .":
- the verb comes last and the place phrase comes right after the subject (subject, place, object, verb);
- an adjective follows its noun, and the article follows both ("dog big a" = "vapo grana ko");
- prepositions become postpositions ("in the garden" = "garden the in" = "hortu na ti");
- names stay as they are.
So translation is not word-for-word: a model has to reorder. Simplified on purpose: one meaning per
word, no inflection, no plural (Tiny sentences are singular).
"""

from __future__ import annotations

from collections.abc import Sequence

ARTICLES = {"the": "na", "a": "ko", "an": "ko"}
POSTPOSITIONS = {"in": "ti", "by": "sel", "at": "ba", "on": "su"}
NOUNS = {
    "dog": "vapo", "cat": "miru", "bird": "tilu", "horse": "hesko", "rabbit": "kuni", "mouse": "pimo",
    "fox": "rasko", "owl": "ulu", "frog": "krum", "cow": "mubo", "goat": "gesa", "bear": "borno",
    "ball": "pala", "book": "libo", "kite": "drako", "apple": "mela", "hat": "kapo", "cake": "tarto",
    "box": "kesto", "letter": "leto", "boat": "navo", "key": "klavo",
}
ADJECTIVES = {
    "big": "grana", "small": "piti", "red": "rusa", "old": "vesa", "happy": "feli", "green": "verda",
    "young": "juna", "white": "blanka", "brown": "bruna", "lazy": "pigra",
}
VERBS = {
    "sees": "vidas", "likes": "amas", "finds": "trovas", "follows": "sekas", "chases": "casas",
    "carries": "portas", "wants": "volas", "has": "havas", "watches": "rigas", "helps": "helpas",
}
PLACES = {
    "river": "rivo", "garden": "hortu", "park": "parko", "lake": "laga", "forest": "silvo", "beach": "plajo",
    "hill": "kolo", "school": "skolo", "market": "merko", "farm": "fermo", "library": "bibo",
    "bridge": "ponto", "village": "vilo", "meadow": "pratu", "station": "staso", "bakery": "panio",
}
DICTIONARY = {**ARTICLES, **POSTPOSITIONS, **NOUNS, **ADJECTIVES, **VERBS, **PLACES}
VOCABULARY = sorted(set(DICTIONARY.values()) | {"."})


def translate_noun_phrase(words: Sequence[str]) -> list[str]:
    """English "the big dog" -> Tiny "vapo grana na" (noun, adjectives, article); a name stays a name."""
    if len(words) == 1:
        return list(words)
    article, *adjectives, noun = words
    return [DICTIONARY[noun], *(DICTIONARY[adjective] for adjective in adjectives), DICTIONARY[article]]


def translate_parts(subject: Sequence[str], verb: Sequence[str], obj: Sequence[str],
                    place: Sequence[str]) -> list[str]:
    """The Tiny sentence for an English one given by its parts (place may be empty): S, place, O, V."""
    place_words = []
    if place:
        preposition, *noun_phrase = place
        place_words = [*translate_noun_phrase(noun_phrase), DICTIONARY[preposition]]
    return [*translate_noun_phrase(subject), *place_words, *translate_noun_phrase(obj),
            DICTIONARY[verb[0]], "."]
