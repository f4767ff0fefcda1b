"""Generation tokens per second: with and without the KV cache, and against transformers' `generate` on the
same weights, in one run on the same machine.

The model is GPT-2-shaped but small enough for a laptop: 6 layers x 384 wide, context 512, and a BPE
vocabulary of 8,192 tokens like the chapters' (random weights: speed does not depend on what was
learned). With GPT-2's 50,257-token vocabulary the output layer alone (19M weights read for every token)
would dominate the cached steps and hide what the cache saves (--vocab-size 50257 shows it). Each contender
greedily continues the same 32-token prompt by 256 tokens, so all of them must produce the same tokens
(checked). Runs are interleaved over rounds; the figure is the best round (least disturbed by other
processes), the median is printed next to it. Writes benchmarks/results/generation_speed.json.

Run: python benchmarks/generation_speed.py [--rounds 3] [--new-tokens 256] [--vocab-size 8192] [--threads 2]
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
from transformers.utils import logging as transformers_logging

from helpers.checks import check_model
from helpers.files import write_text_atomically
from helpers.generation import _check_settings, _prompts, generate_ids
from helpers.gpt2_interop import to_hf_model
from helpers.model import GPT, GPTConfig

RESULTS = Path(__file__).resolve().parent / "results" / "generation_speed.json"
THREADS = 2
PROMPT_LENGTH = 32
SHAPE = dict(context_length=512, n_layer=6, n_head=6, n_embd=384)


def contenders(model: GPT) -> dict[str, Callable[[list[int], int], list[int]]]:
    """Each contender continues a prompt greedily by n new tokens and returns prompt + new ids."""
    hf_model = to_hf_model(model)

    def transformers_generate(prompt: list[int], new_tokens: int) -> list[int]:
        with torch.no_grad():
            output = hf_model.generate(
                torch.tensor([prompt]),
                max_new_tokens=new_tokens,
                min_new_tokens=new_tokens,
                do_sample=False,
                use_cache=True,
                pad_token_id=0,
            )
        return output[0].tolist()

    return {
        "helpers, KV cache": lambda prompt, new_tokens: generate_ids(
            model, prompt, new_tokens, temperature=0
        ),
        "helpers, no cache": lambda prompt, new_tokens: generate_ids(
            model, prompt, new_tokens, temperature=0, use_cache=False
        ),
        "transformers generate (its cache)": transformers_generate,
    }


def checks_seconds(model: GPT, prompt: list[int], repeats: int = 10_000) -> float:
    """Seconds per call that generate_ids spends checking its inputs (settings, model, prompt)."""
    started = time.perf_counter()
    for _ in range(repeats):
        _check_settings(0, None, None)
        check_model(model)
        _prompts(prompt)
    return (time.perf_counter() - started) / repeats


def main(argv: list[str] | None = None) -> dict:
    """Measure, print the table with the ratios and save it as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--new-tokens", type=int, default=256)
    parser.add_argument("--vocab-size", type=int, default=8192)
    parser.add_argument("--threads", type=int, default=THREADS)
    args = parser.parse_args(argv if argv is not None else [])
    torch.set_num_threads(args.threads)
    config = GPTConfig(vocab_size=args.vocab_size, **SHAPE)
    transformers_logging.set_verbosity_error()
    torch.manual_seed(0)
    model = GPT(config).eval()
    prompt = torch.randint(0, config.vocab_size, (PROMPT_LENGTH,), generator=torch.Generator().manual_seed(0))
    prompt = prompt.tolist()
    runners = contenders(model)
    for run in runners.values():  # warm-up: allocations and kernel selection
        run(prompt, 8)
    rates: dict[str, list[float]] = {name: [] for name in runners}
    outputs: dict[str, list[int]] = {}
    for _ in range(args.rounds):
        for name, run in runners.items():
            started = time.perf_counter()
            outputs[name] = run(prompt, args.new_tokens)
            rates[name].append(args.new_tokens / (time.perf_counter() - started))
    same_tokens = len({tuple(output) for output in outputs.values()}) == 1
    best = {name: max(values) for name, values in rates.items()}
    checking = checks_seconds(model, prompt)
    checking_share = checking / (args.new_tokens / best["helpers, KV cache"])
    cache_speedup = best["helpers, KV cache"] / best["helpers, no cache"]
    vs_transformers = best["helpers, KV cache"] / best["transformers generate (its cache)"]
    print(
        f"generation of {args.new_tokens} tokens after a {PROMPT_LENGTH}-token prompt, greedy, "
        f"{args.threads} threads, {args.rounds} interleaved rounds\nmodel: {config.n_layer} layers x "
        f"{config.n_embd}, context {config.context_length}, vocab {config.vocab_size} "
        f"({model.num_parameters():,} parameters)"
    )
    print(f"  {'':<36} {'best':>8} {'median':>8}  tokens/s")
    for name, values in rates.items():
        print(f"  {name:<36} {max(values):>8,.1f} {statistics.median(values):>8,.1f}")
    print(f"  KV cache / no cache (best)           {cache_speedup:>8.2f}x")
    print(f"  helpers / transformers (best)        {vs_transformers:>8.2f}x")
    print(f"  all contenders produced the same tokens: {same_tokens}")
    print(f"  input checks: {1e6 * checking:.1f} microseconds a call, {100 * checking_share:.4f}% of this generation")
    results = {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {args.threads} threads, "
        f"torch {torch.__version__}",
        "config": config.to_dict(),
        "prompt_length": PROMPT_LENGTH,
        "new_tokens": args.new_tokens,
        "tokens_per_second": {
            name: {"best": max(values), "median": statistics.median(values)} for name, values in rates.items()
        },
        "cache_over_no_cache": cache_speedup,
        "helpers_over_transformers": vs_transformers,
        "same_tokens": same_tokens,
        "input_checks_seconds": checking,
    }
    write_text_atomically(RESULTS, json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
