"""Models trained once and shared through the cache: the pretrained models, chapter 2's sweep, chapter 6's
sample-efficiency curve and SMS model, chapter 7's in-context regressor and chapter 8's small models all come
from `trained_once`.

trained_once     the verified checkpoint in a cache folder: loaded when it is intact and finished; otherwise
                 trained now, on a fixed number of threads (CACHED_MODEL_THREADS unless told), resuming an
                 interrupted run and rebuilding a damaged one (with a warning, never loading it). A file lock
                 makes a second process that asks for the same model wait for the first instead of training it
                 at the same time.
cached_tokenizer the BPE tokenizer of a text, trained once and kept next to the models that read it

Simplified on purpose: the lock is an advisory lock (fcntl), which Windows lacks; there, two first calls at
the same moment would each train (and write the same files).
"""

from __future__ import annotations

import contextlib
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

from torch import nn

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from helpers.checkpoints import Checkpoint, CheckpointError, has_checkpoint, load_checkpoint
from helpers.runtime import cached_model_threads
from helpers.tokenizers import BPETokenizer, Tokenizer, load_tokenizer
from helpers.training import TrainingConfig, next_token_loss, train


class TrainingJob(NamedTuple):
    """What `trained_once` trains when the cache does not hold the model: a fresh model and its data."""

    model: nn.Module
    train_data: Any  # token ids or a Dataset, as helpers.training.train takes them
    val_data: Any
    tokenizer_ref: Any = None  # saved with the checkpoint


def trained_once(folder: Path, config: TrainingConfig, prepare: Callable[[], TrainingJob], *, what: str,
                 loss_fn: Callable = next_token_loss, progress: bool = True, threads: int | None = None,
                 fit: Callable[[TrainingJob, Path], None] | None = None) -> Checkpoint:
    """The finished checkpoint in `folder`: from the cache when intact, else `prepare()`d and trained now (once).

    `prepare` is called only when training is needed, so a warm call builds no data. `fit(job, folder)` trains
    instead of helpers.training.train when a model needs another loop (DP-SGD's): it must leave a checkpoint of
    step config.max_steps in the folder. `threads` (None: CACHED_MODEL_THREADS) must be in the cache key.
    """
    folder = Path(folder)
    with _one_process_at_a_time(folder, progress):
        if has_checkpoint(folder):
            try:
                checkpoint = load_checkpoint(folder)
                if checkpoint.step >= config.max_steps:
                    return checkpoint
            except CheckpointError as error:
                warnings.warn(f"The cached {what} is damaged and will be trained again.\n{error}", stacklevel=3)
                shutil.rmtree(folder)
        job = prepare()
        if progress:
            print(f"Training the {what} ({sum(p.numel() for p in job.model.parameters()):,} parameters) once; it is "
                  f"cached in {folder}.")
        with cached_model_threads(threads):
            if fit is None:
                train(job.model, job.train_data, job.val_data, config, checkpoint_dir=folder, loss_fn=loss_fn,
                      progress=progress, tokenizer_ref=job.tokenizer_ref)
            else:
                fit(job, folder)
        return load_checkpoint(folder)


def cached_tokenizer(path: Path, text: str, vocab_size: int, *, progress: bool = True) -> Tokenizer:
    """The BPE tokenizer saved at `path` when it is there and readable, else one trained on `text` now and saved."""
    path = Path(path)
    if path.exists():
        try:
            return load_tokenizer(path)
        except ValueError as error:
            warnings.warn(f"{error} Training the tokenizer again.", stacklevel=2)
    if progress:
        print(f"Training a {vocab_size}-token BPE tokenizer on {len(text):,} characters ...")
    tokenizer = BPETokenizer.train(text, vocab_size)
    tokenizer.save(path)
    return tokenizer


def lock_path(folder: Path) -> Path:
    """The lock file of a cached model's folder: whoever holds it is training that model right now."""
    return Path(folder).parent / f".{Path(folder).name}.lock"


@contextlib.contextmanager
def _one_process_at_a_time(folder: Path, progress: bool) -> Iterator[None]:
    """Hold a lock next to a cache folder: two notebooks asking for the same model train it once, not twice at once."""
    if fcntl is None:
        yield
        return
    folder.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path(folder), "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if progress:
                print("Another process is preparing this model; waiting for it to finish ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock, even if the process dies
