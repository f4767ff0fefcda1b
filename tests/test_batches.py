"""Batches: training batches are a pure function of the step, ranks split them, evaluation batches are fixed."""

import pytest
import torch
from torch.utils.data import TensorDataset

from helpers.batches import ShuffledBatches, fixed_batches, right_padded
from helpers.windows import TokenWindows


def test_batches_are_a_pure_function_of_the_step_and_cover_each_epoch():
    dataset = TensorDataset(torch.arange(20))
    batches = ShuffledBatches(dataset, 4, seed=3)
    first_pass = [batches(step)[0].tolist() for step in range(10)]
    assert [batches(step)[0].tolist() for step in reversed(range(10))] == first_pass[::-1]
    assert sorted(sum(first_pass[:5], [])) == list(range(20))  # epoch 0: every example once
    assert first_pass[:5] != first_pass[5:]  # epoch 1 is reshuffled
    assert [ShuffledBatches(dataset, 4, seed=4)(s)[0].tolist() for s in range(5)] != first_pass[:5]


def test_ranks_split_the_global_batch_between_them():
    dataset = TensorDataset(torch.arange(24))
    whole = ShuffledBatches(dataset, 6, seed=1)
    shards = [ShuffledBatches(dataset, 6, seed=1, rank=r, world_size=3) for r in range(3)]
    for step in range(8):
        assert torch.cat([shard(step)[0] for shard in shards]).tolist() == whole(step)[0].tolist()
    with pytest.raises(ValueError, match="multiple of 4"):
        ShuffledBatches(dataset, 6, world_size=4)


def test_fixed_evaluation_batches_spread_over_the_dataset():
    dataset = TensorDataset(torch.arange(100))
    batches = fixed_batches(dataset, n_batches=2, batch_size=5)
    chosen = torch.cat([b[0] for b in batches]).tolist()
    assert len(chosen) == 10 and chosen[0] == 0 and chosen[-1] == 99
    assert len(fixed_batches(TensorDataset(torch.arange(3)), 4, 5)[0][0]) == 3  # small sets: all of it


def test_window_batches_hold_inputs_and_their_targets_shifted_by_one():
    batch_inputs, batch_targets = ShuffledBatches(TokenWindows(torch.arange(1000), 16), 8, seed=0)(0)
    assert batch_inputs.shape == batch_targets.shape == (8, 16)
    assert torch.equal(batch_inputs[:, 1:], batch_targets[:, :-1])


def test_right_padding_keeps_each_row_at_its_start():
    batch = right_padded([[5, 6, 7], [8]], pad_id=1)
    assert batch.tolist() == [[5, 6, 7], [8, 1, 1]] and batch.dtype == torch.long
