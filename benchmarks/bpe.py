"""BPE benchmark: the incremental trainer against the textbook one, and tiktoken's encoder against pure Python.

Prints, side by side and measured in one run on this machine:
- both trainers on the same text (a slice of TinyShakespeare: the textbook trainer rereads the text
  after every merge, so the whole 1.1 MB would take many minutes) and whether their merges agree;
- the incremental trainer learning a 4,096-token vocabulary on the whole of TinyShakespeare;
- encoding throughput (MB of UTF-8 per second) of the tiktoken-backed and the pure-Python encoder,
  for that tokenizer and for GPT-2's, with a check that they give the same ids.

Offline, without a cached copy of TinyShakespeare, it measures on the same amount of TinyWorld text
instead and leaves out GPT-2's row (its files are a download too); it says so in its output.

Run `python benchmarks/bpe.py`; `main()` also returns the figures and writes them to
benchmarks/results/bpe.json.
"""

from __future__ import annotations

import json
import os
import platform
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.downloads import DownloadError, load
from helpers.files import write_text_atomically
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import BPETokenizer, gpt2_tokenizer, train_merges, train_merges_textbook

RESULTS = Path(__file__).resolve().parent / "results" / "bpe.json"
SAME_TEXT_CHARACTERS = 100_000  # the slice both trainers learn from
SAME_TEXT_MERGES = 256  # a 512-token vocabulary (256 bytes + 256 merges)
FULL_VOCAB_SIZE = 4096
TINYSHAKESPEARE_CHARACTERS = 1_115_394


def timed(function: Callable[..., Any], *args: Any, repeats: int = 1) -> tuple[Any, float]:
    """Call `function(*args)` `repeats` times; return its result and the best wall-clock time in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args)
        best = min(best, time.perf_counter() - start)
    return result, best


def encoder_throughput(tokenizer: BPETokenizer, text: str) -> dict[str, Any]:
    """MB/s of both encoders of `tokenizer` on `text`, and whether they give the same ids."""
    megabytes = len(text.encode("utf-8")) / 1e6
    fast_ids, fast_seconds = timed(tokenizer.encode, text, repeats=3)
    slow_ids, slow_seconds = timed(tokenizer.encode_pure_python, text)
    return {"tiktoken_mb_per_s": megabytes / fast_seconds, "python_mb_per_s": megabytes / slow_seconds,
            "speedup": slow_seconds / fast_seconds, "same_ids": fast_ids == slow_ids, "tokens": len(fast_ids)}


def benchmark_text() -> tuple[str, str]:
    """TinyShakespeare when it is cached or downloadable, else about as much TinyWorld text; and its name."""
    try:
        return load("tinyshakespeare.txt").read_text(encoding="utf-8"), "TinyShakespeare"
    except DownloadError as error:
        print(f"{error}\nMeasuring on TinyWorld text of the same size instead.")
        world, text = TinyWorld(seed=0), ""
        while len(text) < TINYSHAKESPEARE_CHARACTERS:
            text += world.corpus_text(2_000)
        return text[:TINYSHAKESPEARE_CHARACTERS], "TinyWorld"


def gpt2_encoders(text: str) -> dict[str, Any] | None:
    """GPT-2's encoders on `text`, or None (with a note) when its files cannot be fetched."""
    try:
        return encoder_throughput(gpt2_tokenizer(), text)
    except DownloadError as error:
        print(f"GPT-2's encoders are left out: {error}")
        return None


def main() -> dict[str, Any]:
    """Run the BPE benchmark, print its table and return the figures."""
    text, text_name = benchmark_text()
    piece = text[:SAME_TEXT_CHARACTERS]
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    print(f"BPE benchmark on {machine}")

    textbook, textbook_seconds = timed(train_merges_textbook, piece, SAME_TEXT_MERGES)
    incremental, incremental_seconds = timed(train_merges, piece, SAME_TEXT_MERGES, repeats=3)
    tokenizer, full_seconds = timed(BPETokenizer.train, text, FULL_VOCAB_SIZE)
    trained = encoder_throughput(tokenizer, text)
    gpt2 = gpt2_encoders(text)
    figures = {
        "machine": machine,
        "same_text": f"first {len(piece)} characters of {text_name}, {SAME_TEXT_MERGES} merges",
        "textbook_seconds": textbook_seconds,
        "incremental_seconds": incremental_seconds,
        "trainer_speedup": textbook_seconds / incremental_seconds,
        "same_merges": textbook == incremental,
        "full_text": text_name,
        "full_text_4096_seconds": full_seconds,
        "trained_encoders": trained,
        "gpt2_encoders": gpt2,
    }

    slice_note = f"first {len(piece):,} characters of {text_name}, {SAME_TEXT_MERGES} merges"
    print(f"\nTrainers on the same text ({slice_note}):")
    print(f"  textbook (recount every pair after each merge)   {textbook_seconds:8.2f} s")
    print(f"  incremental (recount only the changed chunks)    {incremental_seconds:8.2f} s")
    print(f"  speed-up {figures['trainer_speedup']:.0f}x; same merges: {figures['same_merges']}")
    print(f"\nIncremental trainer, {tokenizer.vocab_size:,}-token vocabulary on all of {text_name} "
          f"({len(text.encode('utf-8')) / 1e6:.2f} MB): {full_seconds:.2f} s (target: under 30 s)")
    print(f"\nEncoders on all of {text_name:<24}tiktoken      pure Python   ratio   same ids")
    rows = [(f"trained BPE ({tokenizer.vocab_size:,} tokens)", trained), ("GPT-2 (50,257 tokens)", gpt2)]
    for label, result in [(label, result) for label, result in rows if result is not None]:
        print(f"  {label:<38}{result['tiktoken_mb_per_s']:6.1f} MB/s  {result['python_mb_per_s']:6.2f} MB/s"
              f"   {result['speedup']:5.1f}x   {result['same_ids']}")
    write_text_atomically(RESULTS, json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
