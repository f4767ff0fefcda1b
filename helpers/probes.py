"""Probes: what a language model has learned, measured as a choice between a right and a wrong continuation.

A probe is a minimal pair: one prompt and two one-word continuations, only one of which the text could go on
with ("emma is baking a cake ... the sun is shining ." -> "she" vs "he"). The model "knows" the phenomenon on
that item when it gives the right word the higher probability; accuracy is the share of items where it does
(0.5 is a coin flip). Nothing is generated and nothing is trained: the model is only asked for probabilities
(as in BLiMP, Warstadt et al., 2020). The chapters build their pairs from TinyWorld 2 (for example
`helpers.experiments.attention_probes.pronoun_pairs`).

    from helpers.probes import MinimalPair, accuracy
    accuracy(model, tokenizer, [MinimalPair("the cat near the dogs", "is", "are")])

A word is scored as the continuation " " + word after the prompt by `helpers.scoring`, with the prompt read
as the start of a document (after TinyWorld's document separator), as in training. A word of several tokens
scores the sum of their log-probabilities. A prompt longer than the model's context (or than
`max_prompt_tokens`) keeps its last tokens, so a probe can also ask what happens when the clue falls out of view.

Simplified on purpose: two-way choices only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from helpers.scoring import continuation_log_probs


@dataclass(frozen=True)
class MinimalPair:
    """A prompt and two one-word continuations: `right` is what the text would say, `wrong` is not."""

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
