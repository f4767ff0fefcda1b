"""The training loop every chapter uses: batches in, AdamW updates, losses measured, progress kept safe.

What is here, in the order a step needs it:

TrainingConfig        every setting of a run (steps, batch, learning-rate schedule, evaluation, seed)
language_model_loss   cross-entropy of next-token logits against the targets
next_token_loss       the default `loss_fn(model, batch)`; classification fine-tuning passes its own
make_optimizer        AdamW with weight decay on matrices only
learning_rate_at      linear warmup, then cosine decay to min_lr_ratio * learning_rate
evaluate              mean loss over fixed batches (the same ones every time, so numbers are comparable)
History, TrainingEvent, train

`train` reads its batches from helpers.batches (ShuffledBatches: batch number `step`, so a resumed run sees
exactly the batches an uninterrupted one would), saves and resumes through helpers.checkpoints, and works on
one process or data-parallel under torchrun (helpers.distributed: each rank computes the loss on its slice
of the global batch and DDP averages the gradients, so every rank applies the update a single process would
with the whole batch).

Simplified on purpose: no gradient accumulation, no mixed precision, no learning-rate finder. Evaluation
runs the same fixed batches on every rank (no communication, identical numbers). Ctrl-C is held until the
current step ends, so an interrupt never saves a half-applied update.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset
from tqdm.auto import tqdm

from helpers.batches import ShuffledBatches, fixed_batches
from helpers.checkpoints import generator_states, has_checkpoint, resume_training, save_checkpoint, states_of_ranks
from helpers.distributed import any_rank, barrier, data_parallel, gather_from_every_rank, rank_and_world_size
from helpers.runtime import evaluating, model_device
from helpers.windows import TokenWindows

# Settings a resumed run may change without invalidating the saved state: they decide how long to go on
# and how often to look, not what an update does.
RESUMABLE_SETTINGS = ("max_steps", "eval_every", "eval_batches", "checkpoint_every")
IGNORE_INDEX = -100  # a target that does not count (cross_entropy's default), e.g. a masked prompt token


@dataclass
class TrainingConfig:
    """Every setting of a training run; the same config and seed give the same numbers."""

    max_steps: int = 1000
    batch_size: int = 16  # the global batch: split across ranks under torchrun
    learning_rate: float = 1e-3
    warmup_steps: int = 100
    min_lr_ratio: float = 0.1  # the cosine ends at learning_rate * min_lr_ratio
    weight_decay: float = 0.1
    grad_clip: float | None = 1.0  # clip the global gradient norm to this; None: no clipping
    betas: tuple[float, float] = (0.9, 0.95)
    eval_every: int = 100
    eval_batches: int = 8
    checkpoint_every: int | None = None  # with a checkpoint_dir, also save every this many steps
    context_length: int | None = None  # window length for token ids; None: the model's context length
    stride: int | None = None  # distance between training windows; None: context_length (no overlap)
    seed: int = 0

    def __post_init__(self):
        self.betas = tuple(self.betas)
        positive_ints = ["max_steps", "batch_size", "eval_every", "eval_batches"]
        optional_positive_ints = ["checkpoint_every", "context_length", "stride"]
        for name in positive_ints + optional_positive_ints:
            value = getattr(self, name)
            if value is None and name in optional_positive_ints:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"TrainingConfig.{name} must be a positive integer, got {value!r}.")
        if isinstance(self.warmup_steps, bool) or not isinstance(self.warmup_steps, int) or self.warmup_steps < 0:
            raise ValueError(f"TrainingConfig.warmup_steps must be 0 or more, got {self.warmup_steps!r}.")
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"TrainingConfig.seed must be a non-negative integer, got {self.seed!r}.")
        for name in ("learning_rate", "min_lr_ratio", "weight_decay", "grad_clip"):
            value = getattr(self, name)
            if name == "grad_clip" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"TrainingConfig.{name} must be a number, got {value!r}.")
        if not self.learning_rate > 0:
            raise ValueError(f"TrainingConfig.learning_rate must be positive (e.g. 1e-3), got {self.learning_rate!r}.")
        if not 0 <= self.min_lr_ratio <= 1:
            raise ValueError(f"TrainingConfig.min_lr_ratio must lie in [0, 1], got {self.min_lr_ratio!r}.")
        if not self.weight_decay >= 0:
            raise ValueError(f"TrainingConfig.weight_decay must be 0 or more, got {self.weight_decay!r}.")
        if self.grad_clip is not None and not self.grad_clip > 0:
            raise ValueError(f"TrainingConfig.grad_clip must be positive or None, got {self.grad_clip!r}.")
        if len(self.betas) != 2 or not all(0 <= beta < 1 for beta in self.betas):
            raise ValueError(f"TrainingConfig.betas must be two numbers in [0, 1), got {self.betas!r}.")


def language_model_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy (nats per token) of next-token logits (B, T, V) against target ids (B, T)."""
    if logits.dim() != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(
            f"logits must be (batch, positions, vocab) and targets (batch, positions); got logits "
            f"{tuple(logits.shape)} and targets {tuple(targets.shape)}."
        )
    if targets.is_floating_point() or targets.dtype == torch.bool:
        raise TypeError(f"targets must hold integer token ids (torch.long); got {targets.dtype}. Use targets.long().")
    vocab_size = logits.size(-1)
    outside = (targets != IGNORE_INDEX) & ((targets < 0) | (targets >= vocab_size))  # (B, T)
    if outside.any():
        raise ValueError(
            f"target id {int(targets[outside][0])} is outside the vocabulary [0, {vocab_size}) ({IGNORE_INDEX} marks "
            f"positions to ignore); the targets and the model do not match."
        )
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())  # (B*T, V) against (B*T,)


def next_token_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The default loss_fn: run the model on the inputs and score its next-token predictions."""
    inputs, targets = batch  # (B, T), (B, T)
    return language_model_loss(model(inputs), targets)


def make_optimizer(model: nn.Module, config: TrainingConfig) -> torch.optim.AdamW:
    """AdamW that decays matrices (linear weights and embeddings) but not biases or LayerNorm gains.

    Decay pulls weights toward zero; that regularises matrices, but would only shift biases and
    LayerNorm gains away from their useful values. Embeddings are matrices too (and the token embedding
    doubles as the output head when tied), so they decay, as in GPT-2 and nanoGPT.
    """
    trainable = [(name, p) for name, p in model.named_parameters() if p.requires_grad]
    decay = [p for _, p in trainable if p.dim() >= 2]
    no_decay = [p for _, p in trainable if p.dim() < 2]
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=config.learning_rate, betas=config.betas)


def learning_rate_at(step: int, config: TrainingConfig) -> float:
    """Learning rate for update number `step` (0-based): linear warmup, then cosine down to the minimum."""
    peak, floor = config.learning_rate, config.learning_rate * config.min_lr_ratio
    if step < config.warmup_steps:
        return peak * (step + 1) / config.warmup_steps
    decay_steps = max(1, config.max_steps - config.warmup_steps)
    progress = min(1.0, (step - config.warmup_steps) / decay_steps)
    return floor + 0.5 * (peak - floor) * (1.0 + math.cos(math.pi * progress))


def evaluate(model: nn.Module, batches: Iterable[Any], loss_fn: Callable = next_token_loss) -> float:
    """Mean loss of the model over the given batches, in evaluation mode and without gradients."""
    with evaluating(model):
        losses = [float(loss_fn(model, _to_device(batch, model_device(model)))) for batch in batches]
    if not losses:
        raise ValueError("evaluate needs at least one batch.")
    return sum(losses) / len(losses)


@dataclass
class History:
    """The metrics of every evaluation, one list per metric, in step order (plots read it directly)."""

    step: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_perplexity: list[float] = field(default_factory=list)
    learning_rate: list[float] = field(default_factory=list)
    tokens_seen: list[int] = field(default_factory=list)
    elapsed: list[float] = field(default_factory=list)  # seconds of training so far, over resumes

    def append(self, metrics: dict[str, float]) -> None:
        """Record one evaluation (a dict with every metric name)."""
        for name in self.as_dict():
            getattr(self, name).append(metrics[name])

    def as_dict(self) -> dict[str, list]:
        """Plain lists, for JSON and checkpoints."""
        return {f.name: list(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, values: dict[str, list]) -> History:
        """Rebuild a History saved with `as_dict`."""
        return cls(**{f.name: list(values.get(f.name, [])) for f in dataclasses.fields(cls)})

    def __len__(self) -> int:
        return len(self.step)


@dataclass
class TrainingEvent:
    """What a callback receives at each evaluation; call `stop()` to end training after this step."""

    step: int
    max_steps: int
    metrics: dict[str, float]
    model: nn.Module
    history: History
    stop_requested: bool = False

    def stop(self) -> None:
        """Ask the loop to finish now (it still saves a final checkpoint when it has a folder)."""
        self.stop_requested = True


class TrainingInterrupted(KeyboardInterrupt):
    """Training was interrupted (Ctrl-C); the message says where the checkpoint to resume from is."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


def train(
    model: nn.Module,
    train_ids: Sequence[int] | torch.Tensor | Dataset,
    val_ids: Sequence[int] | torch.Tensor | Dataset,
    config: TrainingConfig,
    *,
    checkpoint_dir: str | Path | None = None,
    callbacks: Sequence[Callable[[TrainingEvent], None]] = (),
    progress: bool = True,
    loss_fn: Callable[[nn.Module, Any], torch.Tensor] = next_token_loss,
    tokenizer_ref: Any = None,
) -> History:
    """Train `model` in place and return its History; with a checkpoint_dir, resume from it and keep it safe.

    train_ids / val_ids are token ids (cut into windows of the context length) or any Dataset whose
    items the default collate can batch; `loss_fn(model, batch)` scores a batch (next-token loss by
    default). A checkpoint is written every `config.checkpoint_every` steps, at the end, and when Ctrl-C
    (or a callback raising KeyboardInterrupt) stops the run; calling `train` again with the same folder
    continues exactly where it stopped.
    """
    if not isinstance(config, TrainingConfig):
        raise TypeError(f"config must be a TrainingConfig, got {type(config).__name__}.")
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module, got {type(model).__name__}.")
    if callable(callbacks):
        callbacks = (callbacks,)
    rank, world_size = rank_and_world_size()
    train_set = _as_dataset(train_ids, "train_ids", model, config, config.stride)
    val_set = _as_dataset(val_ids, "val_ids", model, config, None)
    train_batches = ShuffledBatches(train_set, config.batch_size, seed=config.seed, rank=rank, world_size=world_size)
    eval_sets = {"train": fixed_batches(train_set, config.eval_batches, config.batch_size),
                 "val": fixed_batches(val_set, config.eval_batches, config.batch_size)}
    tokens_per_step = config.batch_size * _tokens_per_example(train_set)

    optimizer = make_optimizer(model, config)
    history, step = History(), 0
    if checkpoint_dir is not None and has_checkpoint(checkpoint_dir):
        checkpoint = resume_training(checkpoint_dir, model, optimizer, config, may_change=RESUMABLE_SETTINGS, rank=rank)
        history, step = History.from_dict(checkpoint.history), checkpoint.step
    else:
        torch.manual_seed(config.seed + rank)  # dropout masks; data order comes from ShuffledBatches

    device = model_device(model)
    stepper = data_parallel(model)
    was_training = model.training
    elapsed_before = history.elapsed[-1] if len(history) else 0.0
    started = time.perf_counter()
    bar = tqdm(total=config.max_steps, initial=step, desc="training", disable=not progress or rank != 0,
               dynamic_ncols=True)
    consistent = True  # False while an update is half-applied: such a state is never saved

    def save() -> None:
        """Write a checkpoint from rank 0 with every rank's generator states (every rank calls it)."""
        if checkpoint_dir is None:
            return
        states = gather_from_every_rank(generator_states())
        if rank == 0:
            save_checkpoint(checkpoint_dir, model, optimizer, step=step, history=history, tokenizer_ref=tokenizer_ref,
                            training_config=config, rng_states=states_of_ranks(states))
        barrier()

    def measure() -> bool:
        """Evaluate, record, tell the callbacks; True when one of them asked to stop."""
        metrics = {
            "step": step,
            "train_loss": evaluate(model, eval_sets["train"], loss_fn),
            "val_loss": evaluate(model, eval_sets["val"], loss_fn),
            "learning_rate": learning_rate_at(min(step, config.max_steps - 1), config),
            "tokens_seen": step * tokens_per_step,
            "elapsed": elapsed_before + time.perf_counter() - started,
        }
        metrics["val_perplexity"] = math.exp(min(metrics["val_loss"], 700.0))
        history.append(metrics)
        bar.set_postfix(train_loss=f"{metrics['train_loss']:.3f}", val_loss=f"{metrics['val_loss']:.3f}")
        event = TrainingEvent(step, config.max_steps, metrics, model, history)
        if rank == 0:
            for callback in callbacks:
                callback(event)
        return any_rank(event.stop_requested)

    try:
        with _deferred_interrupts() as interrupted:
            model.train()
            stop = measure() if len(history) == 0 else False  # the untrained model's losses first
            while step < config.max_steps and not stop:
                if interrupted():
                    raise KeyboardInterrupt
                for group in optimizer.param_groups:
                    group["lr"] = learning_rate_at(step, config)
                batch = _to_device(train_batches(step), device)
                consistent = False
                loss = loss_fn(stepper, batch)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                if config.grad_clip is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
                optimizer.step()
                step += 1
                consistent = True
                bar.update(1)
                if step % config.eval_every == 0 or step == config.max_steps:
                    stop = measure()
                if config.checkpoint_every and step % config.checkpoint_every == 0 and step < config.max_steps:
                    save()
        save()
    except KeyboardInterrupt:
        if consistent:
            save()
        where = (
            f"the checkpoint in {checkpoint_dir} holds step {step}; call train again with the same "
            f"checkpoint_dir to continue."
            if checkpoint_dir is not None and consistent
            else "pass checkpoint_dir= to be able to resume."
        )
        raise TrainingInterrupted(f"Training stopped at step {step} of {config.max_steps}: {where}", history) from None
    finally:
        bar.close()
        model.train(was_training)
    return history


def _as_dataset(data, name: str, model: nn.Module, config: TrainingConfig, stride: int | None) -> Dataset:
    if isinstance(data, torch.utils.data.DataLoader):
        raise TypeError(
            f"{name} is a DataLoader; pass its dataset ({name}.dataset) or the token ids instead: train "
            f"shuffles and batches by itself so that it can resume exactly."
        )
    if isinstance(data, Dataset):
        return data
    if isinstance(data, str):
        raise TypeError(f"{name} is text; encode it first: torch.tensor(tokenizer.encode(text)).")
    context_length = config.context_length or getattr(getattr(model, "config", None), "context_length", None)
    if context_length is None:
        raise ValueError("set TrainingConfig.context_length: the model has no config.context_length to use.")
    try:
        ids = torch.as_tensor(data)
    except (TypeError, ValueError, RuntimeError):
        raise TypeError(f"{name} must be token ids (a list or 1-D tensor of ints) or a Dataset.") from None
    if ids.is_floating_point() or ids.dim() != 1:
        raise TypeError(f"{name} must be a 1-D sequence of integer token ids, got {ids.dtype} {tuple(ids.shape)}.")
    return TokenWindows(ids, context_length, stride)


def _tokens_per_example(dataset: Dataset) -> int:
    first = dataset[0][0] if isinstance(dataset[0], (tuple, list)) else dataset[0]
    return first.numel() if isinstance(first, torch.Tensor) else 1


def _to_device(batch: Any, device: torch.device) -> Any:
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(_to_device(item, device) for item in batch)
    if isinstance(batch, dict):
        return {key: _to_device(value, device) for key, value in batch.items()}
    return batch


@contextlib.contextmanager
def _deferred_interrupts() -> Iterator[Callable[[], bool]]:
    """Hold Ctrl-C (SIGINT) until the loop asks, so an interrupt lands between steps, never inside one.

    A second Ctrl-C while the first is pending interrupts at once (the escape hatch for a stuck step).
    Outside the main thread signals cannot be caught; then KeyboardInterrupt arrives as usual.
    """
    pending = []
    if threading.current_thread() is not threading.main_thread():
        yield lambda: False
        return
    previous = signal.getsignal(signal.SIGINT)

    def hold(signum, frame):
        if pending:
            raise KeyboardInterrupt
        pending.append(signum)

    signal.signal(signal.SIGINT, hold)
    try:
        yield lambda: bool(pending)
    finally:
        signal.signal(signal.SIGINT, previous)
