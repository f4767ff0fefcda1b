"""Training with differential privacy (DP-SGD; Abadi et al., 2016) through Opacus, the field's library for it.

DP-SGD changes two things in a training step: every example's gradient is clipped to a norm of at most
`max_grad_norm` before they are summed, so no single example can pull the model far; and Gaussian noise of
standard deviation `noise_multiplier * max_grad_norm` is added to the sum, which hides whether any one
example was there at all. Batches are drawn by Poisson sampling (each example joins each batch with
probability batch_size / N). An accountant turns (noise, sampling rate, steps) into the guarantee
(epsilon, delta): no output of training changes its probability by more than a factor e^epsilon (plus
delta) when one example is added or removed.

- `train_private(model, ids, ...)`: train a GPT in place with Opacus on windows of `ids`; return a
  `PrivateRun` with epsilon, the losses and the time it took.
- `private_model(ids, config, ...)`: a fresh GPT of that config trained so, once: helpers.cached_models caches
  it (with its PrivateRun) under a fingerprint of the ids, the config and every setting; later calls load it.

Here an example is one window of `context_length` tokens (the windows do not overlap), so epsilon protects
one window. A secret written into k windows is protected as a group of k, with a guarantee k times weaker
(group privacy): DP promises most to what appears once, the case deduplication cannot help.

Simplified on purpose: AdamW at a fixed learning rate, no held-out evaluation during training, Opacus' RDP
accountant, and a fixed noise multiplier (not one searched for a target epsilon).
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader

from helpers.cached_models import TrainingJob, trained_once
from helpers.checkpoints import save_checkpoint
from helpers.model import GPT, GPTConfig
from helpers.runtime import SMALL_MODEL_THREADS, cache_dir, cache_fingerprint, seed_everything
from helpers.training import TrainingConfig
from helpers.windows import TokenWindows

CACHE_FORMAT = 1  # bump when train_private changes what it trains, so cached private models are trained again


@dataclass(frozen=True)
class PrivateRun:
    """What a DP-SGD run gives: its guarantee (epsilon, delta), its training losses and its time."""

    epsilon: float
    delta: float
    losses: list[float]  # the training loss of every step (nats per token)
    steps: int
    seconds: float


def _check(noise_multiplier: float, max_grad_norm: float, delta: float, steps: int) -> None:
    if not noise_multiplier > 0 or not max_grad_norm > 0:
        raise ValueError(f"noise_multiplier and max_grad_norm must be > 0, got {noise_multiplier!r} and "
                         f"{max_grad_norm!r} (noise 0 is ordinary training: use helpers.training.train).")
    if not 0 < delta < 1:
        raise ValueError(f"delta must lie in (0, 1), usually below 1 / number of examples; got {delta!r}.")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}.")


def train_private(model: nn.Module, ids: torch.Tensor, *, steps: int, batch_size: int = 64,
                  learning_rate: float = 1e-2, noise_multiplier: float = 1.0, max_grad_norm: float = 1.0,
                  delta: float = 1e-5, seed: int = 0) -> PrivateRun:
    """Train `model` in place with DP-SGD (Opacus) for `steps` Poisson-sampled batches of its windows of `ids`."""
    from opacus import PrivacyEngine  # imported here: only this experiment needs it

    _check(noise_multiplier, max_grad_norm, delta, steps)
    windows = TokenWindows(ids, model.config.context_length)  # non-overlapping: one window, one example
    torch.manual_seed(seed)
    loader = DataLoader(windows, batch_size=batch_size, generator=torch.Generator().manual_seed(seed))
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    losses: list[float] = []
    started = time.perf_counter()
    with warnings.catch_warnings():
        # Opacus says its secure random generator is off (fine for teaching), and torch that the first layer's
        # backward hook sees no input gradient (the token ids have none): neither is a problem here.
        warnings.filterwarnings("ignore", message="Secure RNG|Full backward hook")
        engine = PrivacyEngine(accountant="rdp")
        private, optimizer, loader = engine.make_private(module=model, optimizer=optimizer, data_loader=loader,
                                                         noise_multiplier=noise_multiplier,
                                                         max_grad_norm=max_grad_norm)
        private.train()
        while len(losses) < steps:
            for inputs, targets in loader:  # (B, T) each; B varies with Poisson sampling
                if len(inputs) == 0:
                    continue
                loss = F.cross_entropy(private(inputs).flatten(0, 1), targets.flatten())
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                if len(losses) == steps:
                    break
    seconds = time.perf_counter() - started
    private.cleanup()  # the model is plain again: no hooks, no per-example gradients from here on
    model.zero_grad(set_to_none=True)
    model.eval()
    return PrivateRun(engine.get_epsilon(delta), delta, losses, len(losses), seconds)


def private_model(ids: torch.Tensor, config: GPTConfig, *, steps: int, batch_size: int = 64,
                  learning_rate: float = 1e-2, noise_multiplier: float = 1.0, max_grad_norm: float = 1.0,
                  delta: float = 1e-5, seed: int = 0, progress: bool = False) -> tuple[GPT, PrivateRun]:
    """A GPT(config) seeded with `seed` and trained by `train_private` on `ids`, trained once and then loaded.

    The PrivateRun comes from the training run (its seconds are that run's, not this call's).
    """
    _check(noise_multiplier, max_grad_norm, delta, steps)
    settings = dict(steps=steps, batch_size=batch_size, learning_rate=learning_rate, noise_multiplier=noise_multiplier,
                    max_grad_norm=max_grad_norm, delta=delta, seed=seed)
    ids = torch.as_tensor(ids, dtype=torch.long)  # (N,)
    key = cache_fingerprint({"format": CACHE_FORMAT, "model": config.to_dict(), "private": settings},
                            ids.numpy().tobytes(), threads=SMALL_MODEL_THREADS)
    # What the checkpoint records as its training (AdamW at a fixed rate); trained_once reads max_steps from it.
    training = TrainingConfig(max_steps=steps, batch_size=batch_size, learning_rate=learning_rate, warmup_steps=0,
                              min_lr_ratio=1.0, weight_decay=0.0, grad_clip=None, seed=seed)

    def prepare() -> TrainingJob:
        seed_everything(seed)  # the initial weights
        return TrainingJob(GPT(config), ids, None)

    def fit(job: TrainingJob, folder: Path) -> None:
        run = train_private(job.model, job.train_data, **settings)
        history = {"loss": run.losses, "epsilon": [run.epsilon], "seconds": [run.seconds]}
        save_checkpoint(folder, job.model, step=run.steps, history=history, training_config=training)

    checkpoint = trained_once(cache_dir("private_models", key[:16]), training, prepare, what="DP-SGD model",
                              progress=progress, threads=SMALL_MODEL_THREADS, fit=fit)
    history = checkpoint.history
    run = PrivateRun(history["epsilon"][0], delta, history["loss"], checkpoint.step, history["seconds"][0])
    return checkpoint.build_model(), run
