"""Grokking: a network that memorises its training data first and finds the general rule much later (chapter 7).

The task is addition modulo p = 97: given a and b, answer (a + b) mod 97. Only 40% of the 97 x 97 pairs
are shown in training; the rest test whether the network learned addition or a lookup table. With
weight decay the training accuracy reaches 100% early, while the test accuracy stays near chance for a
long time and then climbs past 99% (Power et al., 2022). Without weight decay, in the same number of
steps, it does not: nothing pushes the memorising solution towards the smaller-weight general one (Nanda
et al., 2023).

What is here:

modular_addition_data  every pair (a, b) with its answer, split into a seeded training part and a test part
EmbeddingMLP           one embedding per number, the two embeddings side by side, an MLP, scores for 0..p-1
train_grokking         full-batch AdamW from helpers.training.make_optimizer, measuring both accuracies

The loss is computed in float64: once training accuracy is 100%, float32 rounds the softmax of the
correct answer to exactly 1 and its gradient to 0, which stalls the slow drift that produces grokking
(Prieto et al., 2025). Simplified on purpose: a constant learning rate, no dropout, ReLU.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from helpers.training import TrainingConfig, make_optimizer


@dataclass
class ModularAddition:
    """Pairs (a, b) as (N, 2) ids with their answers (a + b) mod p, split into training and test parts."""

    p: int
    train_inputs: torch.Tensor  # (N_train, 2)
    train_targets: torch.Tensor  # (N_train,)
    test_inputs: torch.Tensor  # (N_test, 2)
    test_targets: torch.Tensor  # (N_test,)


def modular_addition_data(p: int = 97, train_fraction: float = 0.4, seed: int = 0) -> ModularAddition:
    """All p * p sums modulo p, a seeded `train_fraction` of them for training and the rest for testing."""
    if not isinstance(p, int) or p < 2:
        raise ValueError(f"p must be an integer of at least 2 (the series uses 97); got {p!r}.")
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie strictly between 0 and 1 (e.g. 0.4); got {train_fraction!r}.")
    a, b = torch.meshgrid(torch.arange(p), torch.arange(p), indexing="ij")
    inputs = torch.stack([a.flatten(), b.flatten()], dim=1)  # (p*p, 2)
    targets = (inputs[:, 0] + inputs[:, 1]) % p  # (p*p,)
    order = torch.randperm(p * p, generator=torch.Generator().manual_seed(seed))
    cut = round(train_fraction * p * p)
    train, test = order[:cut], order[cut:]
    return ModularAddition(p, inputs[train], targets[train], inputs[test], targets[test])


class EmbeddingMLP(nn.Module):
    """Embed a and b, put the two vectors side by side, one hidden ReLU layer, then a score for each answer."""

    def __init__(self, p: int = 97, n_embd: int = 32, hidden: int = 128):
        super().__init__()
        self.embedding = nn.Embedding(p, n_embd)
        self.hidden = nn.Linear(2 * n_embd, hidden)
        self.output = nn.Linear(hidden, p)

    def forward(self, pairs: torch.Tensor) -> torch.Tensor:
        """pairs (N, 2) of numbers -> logits (N, p) over the possible answers."""
        x = self.embedding(pairs).flatten(1)  # (N, 2 * n_embd)
        return self.output(F.relu(self.hidden(x)))  # (N, p)


@dataclass
class GrokkingRun:
    """A run's model and, at every evaluation, its losses, accuracies and total weight size."""

    model: EmbeddingMLP
    weight_decay: float
    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    test_accuracy: list[float] = field(default_factory=list)
    weight_norm: list[float] = field(default_factory=list)  # the L2 norm of all parameters together
    seconds: float = 0.0

    def first_step(self, metric: str, threshold: float) -> int | None:
        """The first evaluated step where `metric` (e.g. "test_accuracy") reached `threshold`; None if never."""
        values = getattr(self, metric)
        return next((s for s, v in zip(self.step, values, strict=True) if v >= threshold), None)


@torch.no_grad()
def _loss_and_accuracy(model: nn.Module, inputs: torch.Tensor, targets: torch.Tensor) -> tuple[float, float]:
    logits = model(inputs)  # (N, p)
    loss = F.cross_entropy(logits.double(), targets)
    return float(loss), float((logits.argmax(dim=-1) == targets).float().mean())


def train_grokking(
    weight_decay: float,
    *,
    data: ModularAddition | None = None,
    steps: int = 1500,
    learning_rate: float = 5e-3,
    n_embd: int = 32,
    hidden: int = 128,
    eval_every: int = 50,
    seed: int = 0,
    progress: bool = False,
) -> GrokkingRun:
    """Train an EmbeddingMLP on the whole training set at every step (AdamW) and record how it generalises."""
    data = data or modular_addition_data(seed=seed)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = EmbeddingMLP(data.p, n_embd, hidden)
    settings = TrainingConfig(max_steps=steps, batch_size=len(data.train_targets), learning_rate=learning_rate,
                              weight_decay=weight_decay, betas=(0.9, 0.98), grad_clip=None, seed=seed)
    optimizer = make_optimizer(model, settings)
    run = GrokkingRun(model, weight_decay)
    bar = tqdm(total=steps, desc=f"weight decay {weight_decay:g}", disable=not progress, dynamic_ncols=True)
    started = time.perf_counter()

    def record(step: int) -> None:
        train_loss, train_accuracy = _loss_and_accuracy(model, data.train_inputs, data.train_targets)
        test_loss, test_accuracy = _loss_and_accuracy(model, data.test_inputs, data.test_targets)
        run.step.append(step)
        run.train_loss.append(train_loss)
        run.test_loss.append(test_loss)
        run.train_accuracy.append(train_accuracy)
        run.test_accuracy.append(test_accuracy)
        run.weight_norm.append(float(torch.cat([p.detach().flatten() for p in model.parameters()]).norm()))
        bar.set_postfix(train_accuracy=f"{train_accuracy:.2f}", test_accuracy=f"{test_accuracy:.2f}")

    for step in range(steps):
        if step % eval_every == 0:
            record(step)
        logits = model(data.train_inputs)  # (N_train, p)
        loss = F.cross_entropy(logits.double(), data.train_targets)  # float64: see the module docstring
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        bar.update(1)
    record(steps)
    bar.close()
    run.seconds = time.perf_counter() - started
    return run
