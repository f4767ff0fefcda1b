"""How fast TinyWorld 2 writes text (the target is at least 1 MB/s in pure Python) and how fast it scores it.

Run alone with `python benchmarks/tinyworld_speed.py` or with the others through `python -m benchmarks`.
"""

from __future__ import annotations

import time

from helpers.tinyworld2 import TinyWorld


def _rate(action, size_of) -> float:
    """Megabytes (10**6 characters) per second of `action`, repeated for about two seconds."""
    done, started = 0, time.perf_counter()
    while time.perf_counter() - started < 2.0:
        done += size_of(action())
    return done / (time.perf_counter() - started) / 1e6


def main() -> None:
    world = TinyWorld(seed=0)
    corpus = _rate(lambda: world.corpus_text(2000), len)
    documents = _rate(lambda: world.documents(2000), lambda docs: sum(len(d.text) + 1 for d in docs))
    sample = world.documents(500)
    scoring = _rate(lambda: [world.log_prob(d.text) for d in sample], lambda _: sum(len(d.text) + 1 for d in sample))
    floor = world.entropy_floor()
    print(f"corpus_text       {corpus:6.2f} MB/s")
    print(f"documents         {documents:6.2f} MB/s (with fields and log-probabilities)")
    print(f"log_prob (parse)  {scoring:6.2f} MB/s")
    print(f"vocabulary        {len(world.vocabulary())} words")
    print(f"entropy floor     {floor.bits_per_char:.4f} ± {floor.bits_per_char_se:.4f} bits/char, "
          f"{floor.nats_per_document:.3f} nats/document (exact), {floor.chars_per_document:.1f} chars/document "
          f"(separator included)")


if __name__ == "__main__":
    main()
