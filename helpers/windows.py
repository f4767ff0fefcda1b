"""Sliding windows over a stream of token ids: the inputs, and the same tokens shifted by one as targets.

A language model learns from every position at once: window `ids[i : i + T]` is the input and
`ids[i + 1 : i + T + 1]` the targets, so position t is trained to predict token t + 1.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.utils.data import Dataset


class TokenWindows(Dataset):
    """Windows of `context_length` ids taken every `stride` ids, each paired with its shifted targets."""

    def __init__(self, ids: Sequence[int] | torch.Tensor, context_length: int, stride: int | None = None):
        if not isinstance(context_length, int) or context_length < 1:
            raise ValueError(f"context_length must be a positive integer, got {context_length!r}.")
        stride = context_length if stride is None else stride
        if not isinstance(stride, int) or stride < 1:
            raise ValueError(f"stride must be a positive integer, got {stride!r}.")
        ids = torch.as_tensor(ids, dtype=torch.long).flatten()
        if len(ids) < context_length + 1:
            raise ValueError(
                f"{len(ids)} token ids cannot fill one window of context_length {context_length} plus its "
                f"target; give more text or a shorter context_length."
            )
        self.ids = ids
        self.context_length = context_length
        self.stride = stride
        self.starts = torch.arange(0, len(ids) - context_length, stride)

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        start = int(self.starts[index])
        window = self.ids[start : start + self.context_length + 1]
        return window[:-1], window[1:]


def split_ids(ids: Sequence[int] | torch.Tensor, validation_fraction: float = 0.1) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a token stream into a training head and a validation tail (no window crosses the cut)."""
    if not 0.0 < validation_fraction < 1.0:
        raise ValueError(f"validation_fraction must lie strictly between 0 and 1, got {validation_fraction!r}.")
    ids = torch.as_tensor(ids, dtype=torch.long).flatten()
    cut = int(round(len(ids) * (1.0 - validation_fraction)))
    return ids[:cut], ids[cut:]
