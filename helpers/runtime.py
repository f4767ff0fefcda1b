"""Where the series runs (device), how it repeats itself (seeds, the threads cached models train on) and where
it keeps files (one cache folder).

Everything the series writes goes below `cache_dir()`: downloads, tokenizers, checkpoints.
Environment variables override the defaults:

ULLM_DEVICE     "cpu", "cuda" or "mps" instead of the automatic choice
ULLM_CACHE_DIR  the cache folder instead of `.cache/` inside the repository
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
DEVICE_ENV = "ULLM_DEVICE"
CACHE_ENV = "ULLM_CACHE_DIR"


def choose_device() -> torch.device:
    """Pick CUDA, then Apple MPS, then the CPU, unless ULLM_DEVICE names one."""
    requested = os.environ.get(DEVICE_ENV, "").strip().lower()
    if requested:
        if requested not in {"cpu", "cuda", "mps"}:
            raise ValueError(f"{DEVICE_ENV}={requested!r} is not a device; use cpu, cuda or mps.")
        if requested == "cuda" and not torch.cuda.is_available():
            raise ValueError(f"{DEVICE_ENV}=cuda but no CUDA device is available; unset it or use cpu.")
        if requested == "mps" and not torch.backends.mps.is_available():
            raise ValueError(f"{DEVICE_ENV}=mps but Apple MPS is not available; unset it or use cpu.")
        return torch.device(requested)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


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
    """The device a model's weights are on: inputs must be put there."""
    return next(model.parameters()).device


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


@contextmanager
def cached_model_threads() -> Iterator[None]:
    """Train a model that will be cached on CACHED_MODEL_THREADS threads, so it is the same whoever builds it."""
    threads = torch.get_num_threads()
    torch.set_num_threads(CACHED_MODEL_THREADS)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def cache_fingerprint(settings: dict, *data: bytes) -> str:
    """sha256 of what decides a cached model: its settings, the data it reads and the threads it trains on.

    The thread count is in the key so that a model trained another way (on another CACHED_MODEL_THREADS, or by
    a version of the series that did not fix it) is never loaded in its place: it is trained again.
    """
    key = {"settings": settings, "threads": CACHED_MODEL_THREADS}
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=list).encode("utf-8"))
    for chunk in data:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()
