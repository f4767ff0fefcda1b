"""How much a model remembers a secret it saw in training: exposure (Carlini et al., 2019, "The Secret Sharer").

Put a secret such as "alice's pin is 4 7 1 9 ." into the training text. Afterwards, score every candidate
of the same shape ("alice's pin is 0 0 0 0 ." ... "9 9 9 9 .") by the model's log-likelihood and rank
them, best first. A model that learned nothing about the secret ranks it somewhere in the middle; one that
memorised it ranks it first. The exposure turns the rank into bits:

    exposure = log2(number of candidates) - log2(rank of the secret)

so rank 1 among 10,000 PINs gives log2(10,000) = 13.3 bits, the most there is to expose.

Simplified on purpose: the candidate space is small enough to score exactly (the paper fits a skew-normal
for large spaces); ties share the best rank among them.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def pin_candidates(template: str, digits: int = 4) -> list[str]:
    """Every text of the template's shape: "alice's pin is {} ." with digits "0 0 0 0" ... "9 9 9 9"."""
    if "{}" not in template:
        raise ValueError("template needs a '{}' where the digits go, e.g. \"alice's pin is {} .\".")
    return [template.format(" ".join(combo)) for combo in itertools.product("0123456789", repeat=digits)]


@torch.no_grad()
def sequence_log_likelihoods(model: nn.Module, tokenizer, prefix: str, texts: Sequence[str],
                             batch_size: int = 2000) -> torch.Tensor:
    """Natural-log likelihood (len(texts),) of each text's tokens after its first, given `prefix` before it."""
    encoded = [tokenizer.encode(prefix + text) for text in texts]
    if len({len(ids) for ids in encoded}) != 1:
        raise ValueError("texts must all encode to the same number of tokens (candidates of one shape).")
    was_training = model.training
    model.eval()
    scores = []
    for start in range(0, len(encoded), batch_size):
        ids = torch.tensor(encoded[start:start + batch_size])  # (B, T)
        log_probs = F.log_softmax(model(ids[:, :-1]).float(), dim=-1)  # (B, T-1, V)
        picked = log_probs.gather(-1, ids[:, 1:, None])[..., 0]  # (B, T-1)
        scores.append(picked.sum(-1))
    model.train(was_training)
    return torch.cat(scores)


def rank_of(scores: torch.Tensor, index: int) -> int:
    """Rank (1 = best) of candidate `index` among `scores` (higher is better; ties share the best rank)."""
    return 1 + int((scores > scores[index]).sum())


def exposure(rank: int, n_candidates: int) -> float:
    """Bits of the secret the model gives away: log2(n_candidates) - log2(rank)."""
    if not 1 <= rank <= n_candidates:
        raise ValueError(f"rank must lie in [1, n_candidates={n_candidates}], got {rank}.")
    return math.log2(n_candidates) - math.log2(rank)


def deduplicate(documents: Sequence[str]) -> list[str]:
    """The documents with exact repeats removed (first occurrence kept): the simplest memorisation defence."""
    return list(dict.fromkeys(documents))
