"""Batches: examples stacked into the tensors a model reads in one step, exactly as `helpers.training.train` reads them.

ShuffledBatches  batch number `step` of a dataset reshuffled each epoch from the seed: a pure function of the
                 step, so a resumed run sees exactly the batches an uninterrupted one would (training)
fixed_batches    the same few batches spread over a dataset, every time (evaluation, so numbers compare)
right_padded     token-id lists of different lengths as one (B, T) tensor, padded at the end

Under torchrun each process takes its slice of every global batch (`rank`, `world_size`).

Simplified on purpose: the incomplete last batch of an epoch is dropped; no background loading workers
(the datasets here are tensors in memory).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from torch.utils.data import Dataset, default_collate


class ShuffledBatches:
    """Batch number `step` of a dataset reshuffled every epoch from the seed; under DDP, this rank's slice.

    Calling it with a step gives the same batch every time: data order needs no saved state to resume.
    """

    def __init__(self, dataset: Dataset, batch_size: int, *, seed: int = 0, rank: int = 0, world_size: int = 1):
        if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}.")
        if len(dataset) < batch_size:
            raise ValueError(
                f"the training set has {len(dataset)} examples, fewer than one batch of {batch_size}; "
                f"give more data or a smaller batch_size."
            )
        if batch_size % world_size != 0:
            raise ValueError(
                f"batch_size {batch_size} must split evenly over {world_size} processes; "
                f"use a multiple of {world_size}."
            )
        self.dataset, self.batch_size, self.seed = dataset, batch_size, seed
        self.rank, self.world_size = rank, world_size
        self.batches_per_epoch = len(dataset) // batch_size  # the incomplete last batch is dropped
        self._epoch, self._order = -1, torch.empty(0, dtype=torch.long)

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __call__(self, step: int) -> Any:
        epoch, position = divmod(step, self.batches_per_epoch)
        if epoch != self._epoch:
            generator = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._order = epoch, torch.randperm(len(self.dataset), generator=generator)
        local = self.batch_size // self.world_size
        start = position * self.batch_size + self.rank * local
        return default_collate([self.dataset[int(i)] for i in self._order[start : start + local]])


def fixed_batches(dataset: Dataset, n_batches: int, batch_size: int) -> list[Any]:
    """Up to n_batches batches of examples spread evenly over the dataset: the same ones at every evaluation."""
    count = min(len(dataset), n_batches * batch_size)
    indices = torch.linspace(0, len(dataset) - 1, count).round().long().tolist()
    return [
        default_collate([dataset[i] for i in indices[start : start + batch_size]])
        for start in range(0, count, batch_size)
    ]


def right_padded(rows: Sequence[Sequence[int]], pad_id: int = 0) -> torch.Tensor:
    """Token-id lists as one (B, T) tensor, each padded at its end to the longest.

    A causal model never reads a position after the one it predicts from, so the padding changes nothing
    at the real positions and needs no attention mask.
    """
    batch = torch.full((len(rows), max(len(row) for row in rows)), pad_id, dtype=torch.long)  # (B, T)
    for index, row in enumerate(rows):
        batch[index, : len(row)] = torch.as_tensor(row, dtype=torch.long)
    return batch
