"""A text watermark a reader can detect without the model (Kirchenbauer et al., 2023, "A Watermark for LLMs").

At every step the previous token seeds a random split of the vocabulary: a "green list" holding a share
`gamma` of the tokens. Generation adds `delta` to the green tokens' logits, so watermarked text holds more
green tokens than chance. The detector only needs the key: it recounts the green tokens and runs a one-sided
z-test against the share gamma expected from text written without the watermark:

    z = (green - gamma * T) / sqrt(T * gamma * (1 - gamma))

A small vocabulary repeats the same (previous, token) pairs often, and each repeat would count again as
independent evidence; so the detector counts each distinct pair once (`ignore_repeated=True`).

Simplified on purpose: one hash of (key, previous token) seeds torch's generator (the paper's "LeftHash"
with context width 1), multinomial sampling only, prompts of one batch of equal length (no padding).
Generation is helpers.generation's, with the green bonus as its logits hook (`green_bonus`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from helpers.generation import LogitsHook, generate_ids

GAMMA = 0.25  # share of the vocabulary that is green
DELTA = 2.0  # logit bonus of green tokens while generating
KEY = 15485863  # the secret shared by generator and detector (the paper's example prime)


def _check(vocab_size: int, gamma: float) -> None:
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int) or vocab_size < 2:
        raise ValueError(f"vocab_size must be an int of at least 2, got {vocab_size!r}.")
    if not 0 < gamma < 1:
        raise ValueError(f"gamma (the green share) must lie strictly between 0 and 1, e.g. 0.25; got {gamma!r}.")


def green_list(previous_token: int, vocab_size: int, *, gamma: float = GAMMA, key: int = KEY) -> torch.Tensor:
    """The green tokens after `previous_token`: a bool mask (vocab_size,) with round(gamma * vocab_size) True."""
    _check(vocab_size, gamma)
    generator = torch.Generator().manual_seed((key * (int(previous_token) + 1)) % (2**61 - 1))
    order = torch.randperm(vocab_size, generator=generator)  # (V,)
    mask = torch.zeros(vocab_size, dtype=torch.bool)
    mask[order[: max(1, round(gamma * vocab_size))]] = True
    return mask


def green_bonus(vocab_size: int, *, gamma: float = GAMMA, delta: float = DELTA, key: int = KEY) -> LogitsHook:
    """The watermark as a logits hook for helpers.generation: delta added to the green tokens' logits."""
    _check(vocab_size, gamma)

    def add_bonus(ids: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        greens = torch.stack([green_list(int(t), vocab_size, gamma=gamma, key=key) for t in ids[:, -1]])  # (B, V)
        return logits.float() + delta * greens.to(logits.device)

    return add_bonus


def generate_watermarked_batch(model: nn.Module, prompts: Sequence[Sequence[int]], max_new_tokens: int, *,
                               gamma: float = GAMMA, delta: float = DELTA, key: int = KEY,
                               seed: int = 0) -> list[list[int]]:
    """Sample continuations of several equal-length prompts at once, delta added to green logits (0: none).

    Returns the new tokens of each prompt. One forward pass per step serves the whole batch
    (helpers.generation.generate_ids, with the KV cache).
    """
    _check(model.config.vocab_size, gamma)
    if not prompts or any(len(p) == 0 for p in prompts) or len({len(p) for p in prompts}) != 1:
        raise ValueError("prompts must be one or more non-empty token lists of equal length "
                         "(the first green list is seeded by the last prompt token).")
    bonus = green_bonus(model.config.vocab_size, gamma=gamma, delta=delta, key=key) if delta else None
    written = generate_ids(model, [list(p) for p in prompts], max_new_tokens, seed=seed, adjust_logits=bonus)
    return [row[len(prompt):] for row, prompt in zip(written, prompts, strict=True)]


@dataclass(frozen=True)
class Detection:
    """What the detector found in a text: green tokens among the counted ones, and the z-score."""

    green: int
    counted: int  # tokens scored (distinct (previous, token) pairs when repeats are ignored)
    z: float


def detect(ids: Sequence[int], vocab_size: int, *, gamma: float = GAMMA, key: int = KEY,
           ignore_repeated: bool = True) -> Detection:
    """Count green tokens in `ids` (each scored by its predecessor) and the z-score against chance gamma."""
    _check(vocab_size, gamma)
    ids = [int(i) for i in ids]
    pairs = list(zip(ids[:-1], ids[1:], strict=True))
    if ignore_repeated:
        pairs = list(dict.fromkeys(pairs))
    masks: dict[int, torch.Tensor] = {}
    green = 0
    for previous, token in pairs:
        if previous not in masks:
            masks[previous] = green_list(previous, vocab_size, gamma=gamma, key=key)
        green += bool(masks[previous][token])
    counted = len(pairs)
    z = (green - gamma * counted) / math.sqrt(counted * gamma * (1 - gamma)) if counted else 0.0
    return Detection(green, counted, z)
