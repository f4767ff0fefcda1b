"""How the series repeats itself (seeds, the threads cached models train on), where it keeps files (one cache
folder) and how a model is switched to evaluation.

Everything the series writes goes below `cache_dir()`: downloads, tokenizers, checkpoints. The environment
variable ULLM_CACHE_DIR names another cache folder instead of `.cache/` inside the repository.

Simplified on purpose: no device is chosen for you. Models are built on the CPU, where the cached models are
trained and the chapters' numbers were measured; the helpers follow a model moved with `model.to(...)`.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import torch
from torch import nn

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent
CACHE_ENV = "ULLM_CACHE_DIR"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and PyTorch so the same seed on the same machine gives the same numbers."""
    if not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def cache_dir(*parts: str) -> Path:
    """Return (and create) a folder inside the cache; the parts cannot climb out of it."""
    root = Path(os.environ.get(CACHE_ENV) or REPOSITORY_ROOT / ".cache").expanduser().resolve()
    folder = root.joinpath(*parts).resolve()
    if folder != root and root not in folder.parents:
        raise ValueError(f"{'/'.join(parts)!r} would leave the cache folder {root}.")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def model_device(model: nn.Module) -> torch.device:
    """The device a model's weights are on (the CPU for a model without any): inputs must be put there."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


@contextmanager
def evaluating(model: nn.Module) -> Iterator[None]:
    """Run the model without dropout or gradients and leave it in the mode it was in (training goes on)."""
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


# A model trained once and cached is shared by every chapter and test, whoever happens to train it first: a
# notebook kernel (torch's default threads) or a test (one thread). Float sums split over a different number of
# threads round differently and the training drifts apart, so the cached models are always trained on this many.
CACHED_MODEL_THREADS = 2
# Chapter 8's small models train on one thread, as its notebook has always run them (so its numbers stay): two
# threads gain them nothing, and on a busy machine a thread barrier made them four times slower.
SMALL_MODEL_THREADS = 1


@contextmanager
def cached_model_threads(threads: int | None = None) -> Iterator[None]:
    """Train a model that will be cached on a fixed number of threads (None: CACHED_MODEL_THREADS), so it is the
    same whoever builds it."""
    before = torch.get_num_threads()
    torch.set_num_threads(CACHED_MODEL_THREADS if threads is None else threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def cache_fingerprint(settings: dict, *data: bytes, threads: int | None = None) -> str:
    """sha256 of what decides a cached model: its settings, the data it reads and the threads it trains on
    (None: CACHED_MODEL_THREADS).

    The thread count is in the key so that a model trained another way (on another number of threads, or by
    a version of the series that did not fix it) is never loaded in its place: it is trained again.
    """
    key = {"settings": settings, "threads": CACHED_MODEL_THREADS if threads is None else threads}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=list).encode("utf-8"))
    for chunk in data:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()
