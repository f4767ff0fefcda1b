"""Probes: what a language model has learned, measured as a choice between a right and a wrong continuation.

A probe is a minimal pair: one prompt and two continuations that differ in one word, only one of which
TinyWorld could write. The model "knows" the phenomenon on that item when it gives the right word the
higher probability; accuracy is the share of items where it does (0.5 is a coin flip). Nothing is
generated and nothing is trained: the model is only asked for probabilities (as in BLiMP, Warstadt et
al., 2020). The phenomena of TinyWorld:

agreement     "the cat near the dogs" -> "is" vs "are": the verb agrees with the subject, not the
              nearer noun (`TinyWorld.agreement_pairs`)
pronoun       a story with a hero and distractors of the other gender, up to its pronoun -> "she" vs
              "he": the pronoun must match the hero (`helpers.tinyworld.pronoun_probe`)
sentiment     inside a review, the second verdict must carry the first one's sentiment:
              "i read the book last week . it was not bad . the ending was" -> "good" vs "bad". With
              negation=True the first verdict is negated, so a model that copies the adjective it saw
              ("bad") is wrong: it must read "not bad" as positive, the stand-in for nuance
              (`review_pairs`); negation=False is the plain control ("it was bad . the ending was")
label         the same judgement asked as a task: "instruction : is this review positive or negative ?
              ... it was not bad . response :" -> "positive" vs "negative" (`sentiment_pairs`)

    from helpers.probes import pronoun_accuracy, pronoun_stories
    pronoun_accuracy(model, tokenizer, pronoun_stories(200))  # share of stories where P(she|he) is right

A word is scored as the continuation " " + word after the prompt by `helpers.scoring`, with the prompt read
as the start of a document (after TinyWorld's document separator), as in training. A word of several tokens
scores the sum of their log-probabilities. A prompt longer than the model's context (or than
`max_prompt_tokens`) keeps its last tokens, so the probe can also ask what happens when the antecedent falls
out of view.

Simplified on purpose: two-way choices only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from helpers.scoring import continuation_log_probs
from helpers.tinyworld import Document, TinyWorld, pronoun_probe

PROBE_SEED = 1234  # the held-out probes come from TinyWorld(PROBE_SEED), a stream no training text uses
LABEL_FLIP = {"positive": "negative", "negative": "positive"}
PRONOUN_FLIP = {"she": "he", "he": "she"}


@dataclass(frozen=True)
class MinimalPair:
    """A prompt and two one-word continuations: `right` is what TinyWorld would write, `wrong` is not."""

    prompt: str
    right: str
    wrong: str


def pair_margins(model: nn.Module, tokenizer, pairs: Sequence[MinimalPair], **options) -> torch.Tensor:
    """log P(right) - log P(wrong) per pair (N,): positive where the model prefers the right word.

    Options go to `helpers.scoring.continuation_log_probs` (e.g. max_prompt_tokens=20 to hide the antecedent).
    """
    for pair in pairs:
        if not isinstance(pair, MinimalPair) or any(not w or " " in w.strip() for w in (pair.right, pair.wrong)):
            raise ValueError(f"each pair must be a MinimalPair(prompt, right word, wrong word), one word each; "
                             f"got {pair!r}.")
    prompts = [p.prompt for p in pairs for _ in range(2)]
    words = [" " + word.strip() for p in pairs for word in (p.right, p.wrong)]
    scores = continuation_log_probs(model, tokenizer, prompts, words, **options).view(-1, 2)  # (N, 2)
    return scores[:, 0] - scores[:, 1]


def accuracy(model: nn.Module, tokenizer, pairs: Sequence[MinimalPair], **options) -> float:
    """Share of pairs where the model gives the right word the higher probability (0.5 = chance)."""
    if not pairs:
        raise ValueError("accuracy needs at least one MinimalPair.")
    return float((pair_margins(model, tokenizer, pairs, **options) > 0).float().mean())


# ----- the phenomena as minimal pairs


def agreement_pairs(n: int = 200, seed: int = PROBE_SEED) -> list[MinimalPair]:
    """Subject-verb agreement items: "the cat near the dogs" -> "is" (right) vs "are" (wrong)."""
    return [MinimalPair(*triple) for triple in TinyWorld(seed).agreement_pairs(n)]


def pronoun_stories(n: int = 200, seed: int = PROBE_SEED, *, with_distractors: bool = True) -> list[Document]:
    """Held-out pronoun stories (hero, distractors of the other gender, then the pronoun)."""
    story_type = "pronoun" if with_distractors else "simple_pronoun"
    return TinyWorld(seed).documents(n, "story", story_type=story_type)


def pronoun_pairs(stories: Sequence[Document]) -> list[MinimalPair]:
    """Each story up to its first pronoun -> the pronoun of the hero's gender vs the other one."""
    pairs = []
    for story in stories:
        prompt, pronoun = pronoun_probe(story)
        pairs.append(MinimalPair(prompt, pronoun, PRONOUN_FLIP[pronoun]))
    return pairs


def sentiment_pairs(n: int = 200, seed: int = PROBE_SEED, *, negation: bool | None = True) -> list[MinimalPair]:
    """Sentiment instructions up to "response :" -> the review's label vs the other label.

    negation=True: every verdict is negated ("it was not bad ." is positive), the probe of nuance;
    False: plain verdicts ("it was bad ."), the control; None: TinyWorld's own mixture (40% negated).
    """
    documents = TinyWorld(seed).documents(n, "instruction", "sentiment", negation=negation)
    return [MinimalPair(d.fields["prompt"], _label(d), LABEL_FLIP[_label(d)]) for d in documents]


def review_pairs(n: int = 200, seed: int = PROBE_SEED, *, negation: bool = True) -> list[MinimalPair]:
    """Reviews with a second verdict, up to "the <aspect> was" -> "good" vs "bad", as the sentiment says.

    TinyWorld writes a plain verdict with an adjective of the review's sentiment, so "good" may follow in a
    positive review and "bad" may not (and the other way round). negation=True: the first verdict is
    negated ("it was not bad ."); False: it is plain ("it was good .").
    """
    world, pairs = TinyWorld(seed), []
    while len(pairs) < n:
        for review in world.documents(2 * (n - len(pairs)), "review", negation=negation):
            words = review.text.split(" ")
            verbs = [i for i, word in enumerate(words) if word == "was"]
            if len(verbs) == 2 and len(pairs) < n:  # "it was ..." and "the <aspect> was ..."
                right, wrong = ("good", "bad") if review.label == "positive" else ("bad", "good")
                pairs.append(MinimalPair(" ".join(words[: verbs[1] + 1]), right, wrong))
    return pairs


def _label(document: Document) -> str:
    """The sentiment a sentiment instruction's response names ("positive ." -> "positive")."""
    return document.fields["response"].split(" ")[0]


def pronoun_accuracy(model: nn.Module, tokenizer, stories: Sequence[Document] | None = None, **options) -> float:
    """Share of pronoun stories where the model prefers the hero's pronoun ("she" vs "he") at the pronoun.

    stories: pronoun stories (default: 200 held-out ones from `pronoun_stories`); options go to `pair_margins`.
    """
    return accuracy(model, tokenizer, pronoun_pairs(pronoun_stories() if stories is None else stories), **options)


def sentiment_accuracy(model: nn.Module, tokenizer, n: int = 200, seed: int = PROBE_SEED, *,
                       negation: bool = True) -> float:
    """Share of reviews where the model continues with the adjective of the right sentiment ("not bad" -> good)."""
    return accuracy(model, tokenizer, review_pairs(n, seed, negation=negation))


PHENOMENA = {
    "agreement": lambda n, seed: agreement_pairs(n, seed),
    "pronoun": lambda n, seed: pronoun_pairs(pronoun_stories(n, seed)),
    "sentiment (plain)": lambda n, seed: review_pairs(n, seed, negation=False),
    "sentiment (negated)": lambda n, seed: review_pairs(n, seed, negation=True),
    "label (plain)": lambda n, seed: sentiment_pairs(n, seed, negation=False),
    "label (negated)": lambda n, seed: sentiment_pairs(n, seed, negation=True),
}


def phenomenon_pairs(n: int = 200, seed: int = PROBE_SEED) -> dict[str, list[MinimalPair]]:
    """n held-out minimal pairs for each phenomenon, by name (the same items for every model)."""
    return {name: make(n, seed) for name, make in PHENOMENA.items()}


def probe_accuracies(model: nn.Module, tokenizer, pairs: dict[str, Sequence[MinimalPair]] | None = None,
                     **options) -> dict[str, float]:
    """Accuracy on every phenomenon (pairs from `phenomenon_pairs()` unless given): the chapter's table row."""
    pairs = phenomenon_pairs() if pairs is None else pairs
    return {name: accuracy(model, tokenizer, items, **options) for name, items in pairs.items()}
