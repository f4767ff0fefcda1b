"""Benchmark: how close the chapters' pretrained TinyWorld model gets to the entropy floor, per CPU minute.

    python benchmarks/pretrained_quality.py                      train afresh (in a temporary cache) and measure
    python benchmarks/pretrained_quality.py --cached             measure the cached model (training time as recorded)
    python benchmarks/pretrained_quality.py --recipe tinyworld-mini

Prints the training time (torch threads shown), the validation loss in nats per character next to
TinyWorld's true entropy floor, their ratio (the issue asks for at most 1.15 within 3 minutes on a
2-core CPU), and how much of the gap between a uniform guess and the floor each CPU minute closes.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import os
import tempfile
import time
from unittest import mock

import torch

from helpers.pretrained import RECIPES, corpus_texts, pretrained_checkpoint, recipe_named
from helpers.runtime import CACHE_ENV
from helpers.scoring import nats_per_character
from helpers.tinyworld import TinyWorld


def measure(name: str, *, cached: bool) -> dict[str, float]:
    """Train (or load) the recipe's model and return its time and quality figures."""
    recipe = recipe_named(name)
    with contextlib.ExitStack() as stack:
        if not cached:  # an empty temporary cache, so that the model is really trained
            folder = stack.enter_context(tempfile.TemporaryDirectory())
            stack.enter_context(mock.patch.dict(os.environ, {CACHE_ENV: folder}))
        started = time.perf_counter()
        checkpoint = pretrained_checkpoint(name)
        seconds = checkpoint.history["elapsed"][-1] if cached else time.perf_counter() - started
        model, tokenizer = checkpoint.build_model(), checkpoint.tokenizer()
    _, val_text = corpus_texts(recipe)
    model_nats = nats_per_character(model, tokenizer, val_text)
    world = TinyWorld(recipe.world_seed)
    sample_floor = -sum(world.log_prob(line) for line in val_text.splitlines()) / len(val_text)
    uniform = math.log(tokenizer.vocab_size) * len(tokenizer.encode(val_text)) / len(val_text)
    floor = world.entropy_floor().nats_per_char
    return {
        "seconds": seconds,
        "threads": torch.get_num_threads(),
        "parameters": model.num_parameters(),
        "model_nats_per_char": model_nats,
        "floor_nats_per_char": floor,
        "sample_floor_nats_per_char": sample_floor,
        "ratio": model_nats / floor,
        "gap_closed_per_cpu_minute": (uniform - model_nats) / (uniform - floor) / (seconds / 60),
    }


def main(argv: list[str] | None = None) -> None:
    """Print the figures of one recipe."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recipe", default="tinyworld", choices=sorted(RECIPES))
    parser.add_argument("--cached", action="store_true", help="measure the cached model instead of training anew")
    arguments = parser.parse_args(argv if argv is not None else [])
    figures = measure(arguments.recipe, cached=arguments.cached)
    how = "as recorded when it was cached" if arguments.cached else "fresh, data and tokenizer included"
    print(f"pretrained({arguments.recipe!r}): {figures['parameters']:,} parameters, {figures['threads']} torch threads")
    print(f"training time         {figures['seconds'] / 60:6.2f} min ({how}; budget 3 min)")
    print(f"validation            {figures['model_nats_per_char']:.4f} nats/char")
    print(f"entropy floor         {figures['floor_nats_per_char']:.4f} nats/char (TinyWorld's exact entropy)")
    print(f"  on these documents  {figures['sample_floor_nats_per_char']:.4f} nats/char (exact log-probabilities)")
    print(f"ratio model / floor   {figures['ratio']:.3f} (the chapters' model must stay at or below 1.15)")
    print(f"gap closed per minute {figures['gap_closed_per_cpu_minute']:.2f} of the uniform-to-floor gap per minute")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
