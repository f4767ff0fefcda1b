"""Benchmark: how close the pretrained models get to TinyWorld 2's entropy floor, and for how much training.

    python benchmarks/pretrained_quality.py                          the ladder (committed) and the mini model
    python benchmarks/pretrained_quality.py --recipe tinyworld2-mini  one recipe

Prints, per recipe: parameters, training time (a committed model's as recorded when `make pretrain` trained it;
any other recipe is trained afresh here, in a temporary cache, data and tokenizer included), the validation
loss in nats per character next to the exact floor of the same documents, and their ratio (the reference model
must stay within 10% of the floor: tests/test_reference_models.py).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from unittest import mock

import torch

from helpers.pretrained import (
    LADDER,
    RECIPES,
    committed_folder,
    corpus_texts,
    fingerprint,
    pretrained_checkpoint,
    recipe_named,
)
from helpers.runtime import CACHE_ENV
from helpers.scoring import nats_per_character
from helpers.tinyworld2 import TinyWorld


def measure(name: str) -> dict[str, float | bool]:
    """Load the recipe's committed model, or train it in an empty temporary cache; its time and quality figures."""
    recipe = recipe_named(name)
    texts = corpus_texts(recipe)
    committed = committed_folder(recipe, fingerprint(recipe, *texts)).is_dir()
    with contextlib.ExitStack() as stack:
        if not committed:  # an empty temporary cache, so that the model is really trained
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            stack.enter_context(mock.patch.dict(os.environ, {CACHE_ENV: folder}))
        started = time.perf_counter()
        checkpoint = pretrained_checkpoint(name, progress=False)
        seconds = checkpoint.history["elapsed"][-1] if committed else time.perf_counter() - started
        model, tokenizer = checkpoint.build_model(), checkpoint.tokenizer()  # before the temporary cache goes
    val_text = texts[1]
    floor = -sum(TinyWorld(recipe.world_seed).log_prob(line) for line in val_text.splitlines()) / len(val_text)
    model_nats = nats_per_character(model, tokenizer, val_text)
    return {"committed": committed, "seconds": seconds, "parameters": model.num_parameters(),
            "model_nats_per_char": model_nats, "floor_nats_per_char": floor, "ratio": model_nats / floor}


def main(argv: list[str] | None = None) -> None:
    """Print one row per recipe."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", choices=sorted(RECIPES), help="one recipe (default: the ladder and the mini)")
    arguments = parser.parse_args(argv if argv is not None else [])
    names = [arguments.recipe] if arguments.recipe else [*LADDER, "tinyworld2-mini"]
    print(f"{torch.get_num_threads()} torch threads; floor = the exact entropy of the same validation documents")
    print(f"{'recipe':<16} {'parameters':>10} {'training':>20} {'nats/char':>9} {'floor':>7} {'ratio':>6}")
    for name in names:
        figures = measure(name)
        how = "recorded" if figures["committed"] else "fresh"
        print(f"{name:<16} {figures['parameters']:>10,} {figures['seconds'] / 60:>9.2f} min {how:>8} "
              f"{figures['model_nats_per_char']:>9.4f} {figures['floor_nats_per_char']:>7.4f} {figures['ratio']:>6.3f}")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
