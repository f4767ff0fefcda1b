"""Benchmark: each model of the TinyWorld 2 ladder as a compressor, against gzip, bz2, xz and the exact floor.

    python benchmarks/compression.py

Held-out TinyWorld 2 text (documents no corpus of the series uses) is arithmetic-coded with each ladder model's
next-token probabilities (helpers.compression), decoded back and compared byte for byte; the table gives bits
per character of the coded data (header included), of the model's ideal code (the sum of -log2 P(token)), of
the general-purpose compressors at their strongest settings, and of TinyWorld's exact probability of the text,
which no compressor can beat on average.
"""

from __future__ import annotations

import math
import time

from helpers.compression import classic_bits_per_char, compress, decompress, ideal_bits
from helpers.pretrained import LADDER, pretrained
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, TinyWorld

TEXT_SEED = 4_000_001  # no corpus of the series is drawn from this seed
DOCUMENTS = 40  # about 6,000 characters
HEADER_BITS = 64  # the token count and the text's CRC-32


def main() -> None:
    world = TinyWorld(TEXT_SEED)
    text = world.corpus_text(DOCUMENTS)
    exact_bits = -sum(world.log_prob(document) for document in text.split(DOCUMENT_SEPARATOR)[:-1]) / math.log(2)
    print(f"{DOCUMENTS} held-out TinyWorld 2 documents, {len(text):,} characters; bits per character:")
    print(f"  {'TinyWorld, exact':<16} {exact_bits / len(text):.3f}  (the floor: TinyWorld's own probability of "
          "the text)")
    for name in LADDER:
        model, tokenizer = pretrained(name, progress=False)
        started = time.perf_counter()
        data = compress(model, tokenizer, text)
        coded = time.perf_counter()
        assert decompress(model, tokenizer, data) == text, f"{name} did not decode its own code"
        decoded = time.perf_counter()
        ideal = ideal_bits(model, tokenizer, text)
        code_bits = 8 * len(data) - HEADER_BITS
        print(f"  {name:<16} {8 * len(data) / len(text):.3f}  (ideal {ideal / len(text):.3f}; the code "
              f"{code_bits / ideal - 1:+.2%} over it, plus a {HEADER_BITS}-bit header; coded in "
              f"{coded - started:.1f} s, decoded back byte for byte in {decoded - coded:.1f} s)")
    for compressor, bits in classic_bits_per_char(text).items():
        print(f"  {compressor:<16} {bits:.3f}")


if __name__ == "__main__":
    main()
