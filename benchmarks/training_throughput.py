"""Training tokens per second: the helpers GPT against transformers' GPT2LMHeadModel, and written-out
attention against the fused kernel, in one run on the same machine.

Every contender trains the same weights (copied through helpers.gpt2_interop) on the same batches with the
same loss and AdamW settings, on 2 threads (--threads). Measurements are interleaved: each round times
full steps (forward, backward, optimizer step) of every contender in turn, so a busy machine slows them
all alike.
The headline figure is the best round (the one least disturbed by other processes; timeit's rule), the
median is printed next to it. Prints a table and writes benchmarks/results/training_throughput.json.

Run: python benchmarks/training_throughput.py [--rounds 7] [--steps 1] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from helpers.files import write_text_atomically
from helpers.gpt2_interop import to_hf_model
from helpers.model import GPT, GPTConfig

RESULTS = Path(__file__).resolve().parent / "results" / "training_throughput.json"
THREADS = 2

# name: (config, batch size): the chapters' "small" preset, and a wider, deeper model (nanoGPT's
# Shakespeare size, with a BPE vocabulary) where matrix products dominate.
SETUPS = {
    "small (4 layers x 128, ctx 256, vocab 2048)": (GPTConfig.preset("small", vocab_size=2048), 16),
    "mid (6 layers x 384, ctx 256, vocab 8192)": (
        GPTConfig(vocab_size=8192, context_length=256, n_layer=6, n_head=6, n_embd=384),
        4,
    ),
}


def training_step(model: torch.nn.Module, hf: bool) -> Callable[[torch.Tensor, torch.Tensor], None]:
    """One full optimisation step on a batch, the same for every contender."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.1)
    model.train()

    def step(x: torch.Tensor, y: torch.Tensor) -> None:
        logits = model(x).logits if hf else model(x)  # (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), y.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    return step


def measure(config: GPTConfig, batch_size: int, rounds: int, steps: int) -> dict[str, dict[str, float]]:
    """Tokens per second of each contender: best and median over interleaved rounds."""
    torch.manual_seed(0)
    fused = GPT(config)
    written_out = GPT(GPTConfig(**{**config.to_dict(), "fused_attention": False}))
    written_out.load_state_dict(fused.state_dict())
    hf_model = to_hf_model(fused)  # same weights, transformers' default (sdpa) attention
    contenders = {
        "helpers GPT (fused attention)": training_step(fused, hf=False),
        "transformers GPT2LMHeadModel": training_step(hf_model, hf=True),
        "helpers GPT (written-out attention)": training_step(written_out, hf=False),
    }
    generator = torch.Generator().manual_seed(0)
    data = torch.randint(0, config.vocab_size, (batch_size, config.context_length + 1), generator=generator)
    x, y = data[:, :-1], data[:, 1:]
    tokens = batch_size * config.context_length * steps
    for step in contenders.values():  # warm-up: allocations, kernel selection, optimizer state
        step(x, y)
        step(x, y)
    rates: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, step in contenders.items():
            started = time.perf_counter()
            for _ in range(steps):
                step(x, y)
            rates[name].append(tokens / (time.perf_counter() - started))
    return {
        name: {"best": max(values), "median": statistics.median(values)} for name, values in rates.items()
    }


def main(argv: list[str] | None = None) -> dict:
    """Measure every setup, print the table with the ratios and save it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=1, help="steps timed together in one round")
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args(argv if argv is not None else [])
    torch.set_num_threads(args.threads)
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {args.threads} threads, "
        f"torch {torch.__version__}",
        "setups": {},
    }
    print(
        f"training tokens/s (forward + backward + AdamW), {args.threads} threads, "
        f"{args.rounds} interleaved rounds"
    )
    for name, (config, batch_size) in SETUPS.items():
        rates = measure(config, batch_size, args.rounds, args.steps)
        best = {contender: rate["best"] for contender, rate in rates.items()}
        helpers_rate = best["helpers GPT (fused attention)"]
        vs_hf = helpers_rate / best["transformers GPT2LMHeadModel"]
        fused_vs_written = helpers_rate / best["helpers GPT (written-out attention)"]
        print(f"\n{name}, batch {batch_size} x {config.context_length}")
        print(f"  {'':<38} {'best':>9} {'median':>9}  tokens/s")
        for contender, rate in rates.items():
            print(f"  {contender:<38} {rate['best']:>9,.0f} {rate['median']:>9,.0f}")
        print(f"  helpers / transformers (best)          {vs_hf:>7.2f}x")
        print(f"  fused / written-out attention (best)   {fused_vs_written:>7.2f}x")
        results["setups"][name] = {
            "batch_size": batch_size,
            "config": config.to_dict(),
            "tokens_per_second": rates,
            "helpers_over_transformers": vs_hf,
            "fused_over_written_out": fused_vs_written,
        }
    write_text_atomically(RESULTS, json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
