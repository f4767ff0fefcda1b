"""Chapter 8's tiny GPTs trained from scratch on chosen documents, each trained once and cached.

    run = tiny_model(documents, tokenizer, steps=700)   # run.model, run.history, run.train_tokens

The chapter trains the same architecture (2 layers, 64 wide) on several texts: with planted secrets, after
deduplication, on skewed and on gender-swapped stories. Each run is cached by helpers.cached_models.trained_once
in cache_dir("tiny_models", <fingerprint>), the fingerprint covering the token ids it reads, the model's shape
and every training setting: a second run of the chapter loads the models, and a changed text or setting trains
a new one. They train on SMALL_MODEL_THREADS (one) thread, as the chapter always ran them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from helpers.cached_models import TrainingJob, trained_once
from helpers.model import GPT, GPTConfig
from helpers.runtime import SMALL_MODEL_THREADS, cache_dir, cache_fingerprint, seed_everything
from helpers.tinyworld2 import DOCUMENT_SEPARATOR
from helpers.training import TrainingConfig
from helpers.windows import split_ids

CACHE_FORMAT = 1  # bump when what decides a tiny model changes in a way its settings do not show
VALIDATION_FRACTION = 0.05


@dataclass
class TinyRun:
    """A trained tiny model, its training history (as helpers.training.History.as_dict()) and its training tokens."""

    model: GPT
    history: dict
    train_tokens: int


def tiny_model(texts: Sequence[str], tokenizer, *, steps: int, context_length: int = 64, seed: int = 0,
               progress: bool = False) -> TinyRun:
    """A tiny GPT trained from scratch for `steps` batches of 16 windows of the documents (cached: once)."""
    ids = torch.tensor(tokenizer.encode("".join(t + DOCUMENT_SEPARATOR for t in texts)), dtype=torch.long)  # (N,)
    train_ids, val_ids = split_ids(ids, VALIDATION_FRACTION)
    config = GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=context_length)
    training = TrainingConfig(max_steps=steps, batch_size=16, learning_rate=1e-2, warmup_steps=20, eval_every=steps,
                              eval_batches=2, seed=seed)
    settings = {"format": CACHE_FORMAT, "model": config.to_dict(), "training": dataclasses.asdict(training),
                "validation_fraction": VALIDATION_FRACTION}
    key = cache_fingerprint(settings, ids.numpy().tobytes(), threads=SMALL_MODEL_THREADS)

    def prepare() -> TrainingJob:
        seed_everything(seed)  # the initial weights
        return TrainingJob(GPT(config), train_ids, val_ids)

    checkpoint = trained_once(cache_dir("tiny_models", key[:16]), training, prepare, what="tiny model",
                              progress=progress, threads=SMALL_MODEL_THREADS)
    return TinyRun(checkpoint.build_model(), checkpoint.history, len(train_ids))
