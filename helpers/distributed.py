"""What data-parallel training needs from torch.distributed, so the training loop reads the same on one process.

Under torchrun every process (a rank) runs the same loop. These functions are what the loop asks of the
group; on a single process (torch.distributed not initialised) each one does the obvious thing at no cost.

rank_and_world_size     which process this is, and how many there are: (0, 1) alone
data_parallel           the model wrapped in DistributedDataParallel, which averages gradients over the ranks
any_rank                True on every rank when any rank says True (a callback asked to stop on rank 0)
gather_from_every_rank  every rank's object, on every rank (each rank's random-number generator states)
barrier                 wait until every rank gets here

Simplified on purpose: one machine, the CPU's gloo backend (helpers.train_distributed starts the group).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.distributed as dist
from torch import nn


def rank_and_world_size() -> tuple[int, int]:
    """(this process's rank, the number of processes); (0, 1) when not running under torchrun."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def data_parallel(model: nn.Module) -> nn.Module:
    """The model to call in a training step: wrapped in DDP (gradients averaged over ranks) when there are several."""
    return nn.parallel.DistributedDataParallel(model) if rank_and_world_size()[1] > 1 else model


def any_rank(flag: bool) -> bool:
    """True on every rank when any rank says True, so all ranks stop at the same step."""
    if rank_and_world_size()[1] == 1:
        return flag
    value = torch.tensor([1.0 if flag else 0.0])
    dist.all_reduce(value, op=dist.ReduceOp.MAX)
    return bool(value.item())


def gather_from_every_rank(value: Any) -> list[Any]:
    """[rank 0's value, rank 1's, ...] on every rank (all ranks must call it)."""
    world_size = rank_and_world_size()[1]
    if world_size == 1:
        return [value]
    gathered: list[Any] = [None] * world_size
    dist.all_gather_object(gathered, value)
    return gathered


def barrier() -> None:
    """Wait until every rank has reached this point (nothing to wait for on one process)."""
    if rank_and_world_size()[1] > 1:
        dist.barrier()
