"""helpers.experiments.in_context_regression: tasks, layouts, the model's causality, baselines, cached training."""

import dataclasses

import pytest
import torch

import helpers.cached_models as cached_models
from helpers.experiments.in_context_regression import (
    InContextRegressor,
    LinearSequences,
    RegressionConfig,
    errors_by_examples,
    interleave,
    least_squares_predictions,
    linear_tasks,
    model_predictions,
    nearest_neighbour_predictions,
    pair_tokens,
    ridge_predictions,
    train_regression_model,
)

TINY = RegressionConfig(dim=3, n_points=6, noise_std=0.1, n_layer=1, n_head=2, n_embd=16)


def test_tasks_are_seeded_linear_functions_with_noise():
    config = RegressionConfig(dim=4, n_points=7, noise_std=0.5)
    tasks = linear_tasks(500, config, seed=3)
    assert tasks.xs.shape == (500, 7, 4) and tasks.ys.shape == tasks.targets.shape == (500, 7)
    assert torch.allclose(tasks.targets, (tasks.xs @ tasks.weights[:, :, None])[..., 0], atol=1e-5)
    assert abs(float((tasks.ys - tasks.targets).std()) - 0.5) < 0.03
    again, other = linear_tasks(500, config, seed=3), linear_tasks(500, config, seed=4)
    assert torch.equal(again.ys, tasks.ys) and not torch.equal(other.xs, tasks.xs)


def test_training_sequences_are_fresh_and_never_the_held_out_ones():
    train_set, val_set = LinearSequences(100, TINY, seed=0), LinearSequences(100, TINY, seed=1)
    xs, ys, targets = train_set[5]
    assert xs.shape == (6, 3) and ys.shape == targets.shape == (6,)
    assert torch.equal(train_set[5][0], xs) and not torch.equal(train_set[6][0], xs)
    assert not torch.equal(val_set[5][0], xs)
    assert not torch.equal(linear_tasks(1, TINY, seed=5).xs[0], xs)  # held-out seeds are other draws


def test_interleave_puts_each_x_before_its_y():
    xs, ys = torch.tensor([[[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]]), torch.tensor([[10.0, 20.0]])  # (1, 2, 3), (1, 2)
    tokens = interleave(xs, ys)
    assert tokens.shape == (1, 4, 4)
    assert torch.equal(tokens[0, 0], torch.tensor([0.0, 1.0, 2.0, 0.0]))
    assert torch.equal(tokens[0, 1], torch.tensor([0.0, 0.0, 0.0, 10.0]))
    assert torch.equal(tokens[0, 3], torch.tensor([0.0, 0.0, 0.0, 20.0]))


def test_pair_tokens_hold_the_previous_example_and_the_new_question():
    xs, ys = torch.tensor([[[0.0, 1.0], [2.0, 3.0], [4.0, 5.0]]]), torch.tensor([[10.0, 20.0, 30.0]])  # (1, 3, 2)
    tokens = pair_tokens(xs, ys)
    assert tokens.shape == (1, 3, 5)
    assert torch.equal(tokens[0, 0], torch.tensor([0.0, 0.0, 0.0, 0.0, 1.0]))
    assert torch.equal(tokens[0, 2], torch.tensor([2.0, 3.0, 20.0, 4.0, 5.0]))


@pytest.mark.parametrize("layout", ["pairs", "interleaved"])
def test_a_prediction_sees_only_the_earlier_pairs_and_its_own_x(layout):
    torch.manual_seed(0)
    model = InContextRegressor(dataclasses.replace(TINY, layout=layout))
    for parameter in model.parameters():  # larger weights than the initialisation, so any leak shows
        parameter.data.normal_(0.0, 0.5)
    tasks = linear_tasks(4, TINY, seed=0)
    predictions = model(tasks.xs, tasks.ys)
    assert predictions.shape == (4, 6)
    k = 3
    xs, ys = tasks.xs.clone(), tasks.ys.clone()
    ys[:, k:] += 5.0  # y_k and later
    xs[:, k + 1 :] -= 5.0  # x after x_k
    changed = model(xs, ys)
    assert torch.allclose(changed[:, : k + 1], predictions[:, : k + 1], atol=1e-5)
    assert not torch.allclose(changed[:, k + 1 :], predictions[:, k + 1 :], atol=1e-3)


def test_model_rejects_inputs_of_the_wrong_shape():
    model = InContextRegressor(TINY)
    with pytest.raises(ValueError, match="xs must be"):
        model(torch.zeros(2, 7, 3), torch.zeros(2, 7))  # more pairs than its context
    with pytest.raises(ValueError, match="xs must be"):
        model(torch.zeros(2, 6, 4), torch.zeros(2, 6))
    with pytest.raises(TypeError, match="RegressionConfig"):
        InContextRegressor({"dim": 3})


def test_least_squares_is_exact_once_there_are_as_many_noiseless_examples_as_dimensions():
    tasks = linear_tasks(50, RegressionConfig(dim=3, n_points=6, noise_std=0.0), seed=1)
    errors = errors_by_examples(least_squares_predictions(tasks.xs, tasks.ys), tasks.targets, 3)
    assert float(errors[0]) > 0.3  # no example: it answers 0
    assert float(errors[1:3].min()) > 0.01 and float(errors[3:].max()) < 1e-8


def test_ridge_shrinks_towards_zero_and_approaches_least_squares_with_a_tiny_penalty():
    tasks = linear_tasks(50, RegressionConfig(dim=3, n_points=6, noise_std=0.3), seed=2)
    least_squares = least_squares_predictions(tasks.xs, tasks.ys)
    assert torch.allclose(ridge_predictions(tasks.xs, tasks.ys, 1e-9)[:, 4:], least_squares[:, 4:], atol=1e-4)
    heavy = ridge_predictions(tasks.xs, tasks.ys, 1e6)
    assert float(heavy.abs().max()) < 1e-3 and torch.equal(heavy[:, 0], torch.zeros(50))
    with pytest.raises(ValueError, match="penalty"):
        ridge_predictions(tasks.xs, tasks.ys, 0.0)


def test_nearest_neighbour_copies_the_y_of_a_repeated_x():
    xs = torch.tensor([[[0.0, 0.0], [5.0, 5.0], [0.1, 0.0], [5.0, 4.9]]])  # (1, 4, 2)
    ys = torch.tensor([[1.0, 2.0, 3.0, 4.0]])
    assert torch.equal(nearest_neighbour_predictions(xs, ys), torch.tensor([[0.0, 1.0, 1.0, 2.0]]))


def test_errors_by_examples_answering_zero_scores_about_one():
    tasks = linear_tasks(4000, RegressionConfig(dim=5, n_points=3), seed=0)
    errors = errors_by_examples(torch.zeros_like(tasks.targets), tasks.targets, 5)
    assert errors.shape == (3,) and torch.allclose(errors, torch.ones(3), atol=0.08)
    with pytest.raises(ValueError, match="predictions and targets"):
        errors_by_examples(torch.zeros(3, 2), torch.zeros(3, 3), 5)


def test_training_lowers_the_error_and_the_cached_model_is_the_same(isolated_cache, monkeypatch):
    config = RegressionConfig(dim=1, n_points=4, noise_std=0.1, n_layer=1, n_head=2, n_embd=16)
    settings = dict(max_steps=100, batch_size=32, learning_rate=1e-2, eval_every=50, progress=False)
    first = train_regression_model(config, **settings)
    assert first.history["step"] == [0, 50, 100]
    assert first.history["val_loss"][-1] < 0.95 * first.history["val_loss"][0]

    def no_training(*args, **kwargs):
        raise AssertionError("a cached model must not be trained again")

    monkeypatch.setattr(cached_models, "train", no_training)
    again = train_regression_model(config, **settings)
    assert again.history["val_loss"] == first.history["val_loss"]
    uncached = train_regression_model(config, **settings, cache=False)  # trained here, on this test's one thread
    assert uncached.history["step"] == [0, 50, 100] and not uncached.model.training
    tasks = linear_tasks(32, config, seed=9)
    assert torch.equal(model_predictions(again.model, tasks.xs, tasks.ys), model_predictions(first.model, tasks.xs,
                                                                                              tasks.ys))
    assert len(list(isolated_cache.rglob("checkpoint.json"))) == 1


def test_bad_settings_say_what_to_change():
    with pytest.raises(ValueError, match="n_points"):
        RegressionConfig(n_points=0)
    with pytest.raises(ValueError, match="noise_std"):
        RegressionConfig(noise_std=-1.0)
    with pytest.raises(ValueError, match="layout"):
        RegressionConfig(layout="tokens")
    with pytest.raises(ValueError, match="n_functions"):
        linear_tasks(0)
