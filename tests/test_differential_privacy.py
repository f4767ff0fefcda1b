"""DP-SGD through Opacus: a guarantee that tightens with noise, a model left plain, and clear errors."""

import math

import pytest
import torch

from helpers.experiments.differential_privacy import train_private
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
