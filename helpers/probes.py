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

A continuation is scored as " " + word after the prompt, with the prompt read as the start of a
document (after TinyWorld's document separator), as in training. A word of several tokens scores the
sum of their log-probabilities. A prompt longer than the model's context (or than `max_prompt_tokens`)
keeps its last tokens, so the probe can also ask what happens when the antecedent falls out of view.

Simplified on purpose: two-way choices only; a prompt is read once for all its one-token words, but a word
of several tokens gets a pass of its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.tinyworld import DOCUMENT_SEPARATOR, Document, TinyWorld, pronoun_probe

PROBE_SEED = 1234  # the held-out probes come from TinyWorld(PROBE_SEED), a stream no training text uses
LABEL_FLIP = {"positive": "negative", "negative": "positive"}
PRONOUN_FLIP = {"she": "he", "he": "she"}


@dataclass(frozen=True)
class MinimalPair:
    """A prompt and two one-word continuations: `right` is what TinyWorld would write, `wrong` is not."""

    prompt: str
    right: str
    wrong: str


def continuation_log_probs(
    model: nn.Module,
    tokenizer,
    prompt_and_words: Sequence[tuple[str, str]],
    *,
    after: str = DOCUMENT_SEPARATOR,
    max_prompt_tokens: int | None = None,
    batch_size: int = 64,
) -> torch.Tensor:
    """log P(" " + word | prompt) for each (prompt, word), in nats: the number every probe compares.

    Returns a float tensor (N,). The prompt is read after `after` (the end of a previous document). Items
    that share a prompt and whose words are single tokens are read from one pass over that prompt.
    """
    if max_prompt_tokens is not None and (not isinstance(max_prompt_tokens, int) or max_prompt_tokens < 1):
        raise ValueError(f"max_prompt_tokens must be a positive int or None, got {max_prompt_tokens!r}.")
    context_length = model.config.context_length
    # one job per sequence the model reads: (input ids, [(item, first scored position, word ids), ...])
    jobs: list[tuple[list[int], list[tuple[int, int, list[int]]]]] = []
    shared: dict[str, int] = {}  # prompt -> its job, for single-token words
    for item, (prompt, word) in enumerate(prompt_and_words):
        if not isinstance(prompt, str) or not isinstance(word, str) or not word or " " in word.strip():
            raise ValueError(f"each item must be (prompt text, one word), got {(prompt, word)!r}.")
        ids = tokenizer.encode(after + prompt) if after or prompt else []
        word_ids = tokenizer.encode(" " + word.strip())
        keep = context_length + 1 - len(word_ids)  # the model reads all but the last id
        if max_prompt_tokens is not None:
            keep = min(keep, max_prompt_tokens)
        if keep < 1 or not ids:
            raise ValueError(f"{word!r} needs a prompt of at least one token and must fit the context of "
                             f"{context_length} tokens; give a longer prompt or a shorter word.")
        kept = ids[-keep:]
        if len(word_ids) == 1 and prompt in shared:
            jobs[shared[prompt]][1].append((item, len(kept) - 1, word_ids))
            continue
        if len(word_ids) == 1:
            shared[prompt] = len(jobs)
        jobs.append((kept + word_ids[:-1], [(item, len(kept) - 1, word_ids)]))
    scores = torch.zeros(len(prompt_and_words))
    device = next(model.parameters(), torch.empty(0)).device
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for start in range(0, len(jobs), batch_size):
            chunk = jobs[start : start + batch_size]
            inputs = torch.zeros(len(chunk), max(len(ids) for ids, _ in chunk), dtype=torch.long)  # (b, T)
            for row, (ids, _) in enumerate(chunk):
                inputs[row, : len(ids)] = torch.tensor(ids)  # right-padded: causal, so the padding is never read
            log_probs = F.log_softmax(model(inputs.to(device)).float(), dim=-1).cpu()  # (b, T, V)
            for row, (_, reads) in enumerate(chunk):
                for item, first, word_ids in reads:
                    positions = torch.arange(first, first + len(word_ids))  # where the word's tokens are predicted
                    scores[item] = log_probs[row, positions, torch.tensor(word_ids)].sum()
    model.train(was_training)
    return scores


def pair_margins(model: nn.Module, tokenizer, pairs: Sequence[MinimalPair], **options) -> torch.Tensor:
    """log P(right) - log P(wrong) per pair (N,): positive where the model prefers the right word."""
    items = [(p.prompt, word) for p in pairs for word in (p.right, p.wrong)]
    scores = continuation_log_probs(model, tokenizer, items, **options).view(-1, 2)  # (N, 2)
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

    stories: pronoun stories (default: 200 held-out ones from `pronoun_stories`); options go to
    `continuation_log_probs` (e.g. max_prompt_tokens=20 to hide the antecedent).
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
