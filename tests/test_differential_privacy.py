"""DP-SGD through Opacus: a guarantee that tightens with noise, a model left plain, and clear errors."""

import math

import pytest
import torch

from helpers.experiments import differential_privacy
from helpers.experiments.differential_privacy import private_model, train_private
from helpers.model import GPT, GPTConfig


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return GPT(GPTConfig.preset("tiny", vocab_size=12, context_length=16))


IDS = torch.arange(2000) % 12  # a cycle of 12 tokens: easy to learn


def test_more_noise_buys_a_smaller_epsilon_and_the_model_still_learns():
    runs = {noise: train_private(tiny_model(), IDS, steps=40, batch_size=16, noise_multiplier=noise, delta=1e-4)
            for noise in (0.5, 2.0)}
    assert all(math.isfinite(run.epsilon) and run.epsilon > 0 for run in runs.values())
    assert runs[2.0].epsilon < runs[0.5].epsilon
    assert runs[0.5].steps == len(runs[0.5].losses) == 40 and runs[0.5].delta == 1e-4
    assert runs[0.5].losses[-1] < runs[0.5].losses[0] - 0.5


def test_the_model_is_plain_again_after_private_training():
    model = tiny_model()
    train_private(model, IDS, steps=3, batch_size=8, delta=1e-4)
    assert not any(hasattr(p, "grad_sample") for p in model.parameters())
    assert all(p.grad is None for p in model.parameters())
    assert not model._forward_hooks and not any(m._forward_hooks or m._backward_hooks for m in model.modules())
    loss = model(IDS[None, :16]).logsumexp(-1).sum()
    loss.backward()  # an ordinary backward pass, no per-example work
    assert not any(hasattr(p, "grad_sample") for p in model.parameters())


@pytest.mark.parametrize("options, message", [
    (dict(noise_multiplier=0.0), "noise_multiplier"),
    (dict(delta=1.0), "delta"),
    (dict(steps=0), "steps"),
])
def test_bad_settings_are_refused(options, message):
    settings = dict(steps=3, batch_size=8) | options
    with pytest.raises(ValueError, match=message):
        train_private(tiny_model(), IDS, **settings)


def test_a_private_model_trains_once_and_a_changed_setting_trains_again(isolated_cache, monkeypatch):
    config = GPTConfig.preset("tiny", vocab_size=12, context_length=16)
    model, run = private_model(IDS, config, steps=4, batch_size=8, delta=1e-4)
    assert run.steps == len(run.losses) == 4 and run.epsilon > 0 and run.delta == 1e-4
    fresh = tiny_model()  # the same seed and steps, trained here: the cached model is that model
    direct = train_private(fresh, IDS, steps=4, batch_size=8, delta=1e-4)
    assert direct.losses == run.losses and direct.epsilon == run.epsilon
    assert all(torch.equal(a, b) for a, b in zip(fresh.state_dict().values(), model.state_dict().values(), strict=True))

    def no_training(*args, **kwargs):
        raise AssertionError("a cached model must not be trained again")

    monkeypatch.setattr(differential_privacy, "train_private", no_training)
    again, run_again = private_model(IDS, config, steps=4, batch_size=8, delta=1e-4)
    assert run_again == run and not again.training
    with pytest.raises(AssertionError, match="must not be trained"):
        private_model(IDS, config, steps=4, batch_size=8, delta=1e-4, noise_multiplier=2.0)
    assert len(list(isolated_cache.rglob("checkpoint.json"))) == 1
