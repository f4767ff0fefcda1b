"""helpers.experiments.grokking: the modular-addition data, the model and the full-batch training record."""

import pytest
import torch

from helpers.experiments.grokking import EmbeddingMLP, modular_addition_data, train_grokking


def test_data_holds_every_sum_once_split_by_the_fraction():
    data = modular_addition_data(p=11, train_fraction=0.4, seed=0)
    assert len(data.train_targets) == round(0.4 * 121) and len(data.test_targets) == 121 - len(data.train_targets)
    pairs = torch.cat([data.train_inputs, data.test_inputs])  # (p*p, 2)
    assert len({tuple(pair) for pair in pairs.tolist()}) == 121  # every pair exactly once, no overlap
    for inputs, targets in ((data.train_inputs, data.train_targets), (data.test_inputs, data.test_targets)):
        assert torch.equal(targets, (inputs[:, 0] + inputs[:, 1]) % 11)


def test_data_is_seeded():
    first, again, other = (modular_addition_data(11, seed=seed).train_inputs for seed in (1, 1, 2))
    assert torch.equal(first, again) and not torch.equal(first, other)


@pytest.mark.parametrize("p, fraction", [(1, 0.4), (97, 0.0), (97, 1.0)])
def test_bad_settings_say_what_to_change(p, fraction):
    with pytest.raises(ValueError, match="p must|train_fraction"):
        modular_addition_data(p, fraction)


def test_model_scores_every_answer():
    model = EmbeddingMLP(p=7, n_embd=4, hidden=8)
    assert model(torch.tensor([[1, 2], [6, 6]])).shape == (2, 7)


def test_weight_decay_keeps_the_weights_smaller_and_runs_are_seeded():
    data = modular_addition_data(p=13, seed=0)
    decayed = train_grokking(1.0, data=data, steps=200, eval_every=100, learning_rate=1e-2)
    free = train_grokking(0.0, data=data, steps=200, eval_every=100, learning_rate=1e-2)
    assert decayed.step == [0, 100, 200]
    assert decayed.weight_norm[0] == free.weight_norm[0]  # same initial weights
    assert decayed.weight_norm[-1] < free.weight_norm[-1]
    assert free.train_accuracy[-1] == 1.0  # a small table is memorised quickly
    again = train_grokking(1.0, data=data, steps=200, eval_every=100, learning_rate=1e-2)
    assert again.test_accuracy == decayed.test_accuracy and again.train_loss == decayed.train_loss
    assert decayed.first_step("train_accuracy", 1.0) in (100, 200)
    assert decayed.first_step("test_accuracy", 2.0) is None


@pytest.mark.slow
def test_weight_decay_groks_and_no_weight_decay_does_not():
    data = modular_addition_data()
    decayed = train_grokking(1.0, data=data)
    free = train_grokking(0.0, data=data)
    memorised, generalised = decayed.first_step("train_accuracy", 1.0), decayed.first_step("test_accuracy", 0.99)
    assert memorised is not None and generalised is not None and generalised >= 3 * memorised
    assert free.train_accuracy[-1] == 1.0 and free.test_accuracy[-1] < 0.1
