"""A language model is a compressor: arithmetic coding turns its next-token probabilities into about -log2 P(token)
bits per token, and a decoder running the same model gets the text back byte for byte (chapter 2).

    data = compress(model, tokenizer, text)        # bytes
    decompress(model, tokenizer, data) == text     # True
    ideal_bits(model, tokenizer, text)             # the sum of -log2 P(token): the size the code comes within
    classic_bits_per_char(text)                    # gzip, bz2 and xz on the same text, for comparison

How: before each token the model reads the tokens before it (up to its context; the text starts after the end
of a previous document, as in training), and its probabilities become integer frequencies, every token at least
1 in 2^32 so that nothing is impossible. The coder keeps an interval [low, high] of 64-bit integers, narrows it
to the token's share, and writes out each leading bit low and high come to share (Witten, Neal and Cleary,
1987). The decoder makes the same frequencies with the same model from the tokens it has decoded so far, and so
follows the same intervals: both compute each distribution the same way from the same tokens, so the numbers
are identical.

The data: the number of tokens and a CRC-32 of the text (4 bytes each), then the code. A text decoded with
another model, or damaged data, fails the CRC with a clear message instead of returning garbage.

The model reads through a KV cache, one token at a time; when its context is full it starts again from the last
half context of tokens (every token is predicted from at least half a context, as helpers.scoring reads texts).

Simplified on purpose: plain Python integers, one token at a time (no batching); the token count is stored
instead of an end-of-text symbol.
"""

from __future__ import annotations

import bisect
import bz2
import gzip
import lzma
import math
import struct
import zlib

import torch
from torch import nn

from helpers.attention import KVCache
from helpers.checks import check_model, check_tokenizer
from helpers.runtime import evaluating
from helpers.tinyworld2 import DOCUMENT_SEPARATOR

PRECISION = 64  # bits of the coder's interval
FREQUENCY_BITS = 32  # the model's probabilities become integer frequencies summing to at most 2^32
_FULL, _HALF, _QUARTER = 1 << PRECISION, 1 << (PRECISION - 1), 1 << (PRECISION - 2)
_HEADER = struct.Struct(">II")  # token count, CRC-32 of the text


def _frequencies(logits: torch.Tensor) -> list[int]:
    """Cumulative integer frequencies (V + 1,) from logits: every token at least 1, the same for the same logits."""
    spare = (1 << FREQUENCY_BITS) - logits.numel()
    counts = (torch.softmax(logits.double(), dim=-1) * spare).floor().long() + 1
    return [0, *torch.cumsum(counts, dim=0).tolist()]


class _NextToken:
    """The model's cumulative frequencies for the next token, fed one token at a time through a KV cache. When
    the cache is full it starts again from the last half context of tokens. Encoder and decoder feed it the same
    tokens in the same order, so they get the same numbers."""

    def __init__(self, model: nn.Module, ids: list[int]):
        self.model, self.ids = model, list(ids)
        self._restart()

    def _restart(self) -> None:
        context = self.model.config.context_length
        self.cache = KVCache(self.model.config.n_layer, context)
        self._read(self.ids[-(context // 2):])

    def _read(self, ids: list[int]) -> None:
        with torch.no_grad():
            self.logits = self.model(torch.tensor([ids]), cache=self.cache, last_only=True)[0, -1]  # (V,)

    def frequencies(self) -> list[int]:
        return _frequencies(self.logits)

    def log2_probability(self, token: int) -> float:
        return torch.log_softmax(self.logits.double(), dim=-1)[token].item() / math.log(2)

    def push(self, token: int) -> None:
        self.ids.append(token)
        if self.cache.length == self.model.config.context_length:
            self._restart()
        else:
            self._read([token])


def _prefix_ids(tokenizer) -> list[int]:
    return tokenizer.encode(DOCUMENT_SEPARATOR)


def _check(model: nn.Module, tokenizer, text: str) -> None:
    check_model(model)
    check_tokenizer(tokenizer, model)
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string.")


def compress(model: nn.Module, tokenizer, text: str) -> bytes:
    """The text as bytes: its token count, its CRC-32, and the arithmetic code of its tokens under the model."""
    _check(model, tokenizer, text)
    prefix, tokens = _prefix_ids(tokenizer), tokenizer.encode(text)
    if tokenizer.decode(tokens) != text:
        raise ValueError("the tokenizer does not give this text back from its tokens, so no decoder could; use a "
                         "byte-level tokenizer (BPE) for arbitrary text.")
    bits, pending = [], 0
    low, high = 0, _FULL - 1

    def emit(bit: int) -> None:
        nonlocal pending
        bits.append(bit)
        bits.extend([1 - bit] * pending)
        pending = 0

    with evaluating(model):
        stream = _NextToken(model, prefix)
        for token in tokens:
            cumulative = stream.frequencies()
            stream.push(token)
            width, total = high - low + 1, cumulative[-1]
            high = low + width * cumulative[token + 1] // total - 1
            low = low + width * cumulative[token] // total
            while True:
                if high < _HALF:
                    emit(0)
                elif low >= _HALF:
                    emit(1)
                    low, high = low - _HALF, high - _HALF
                elif low >= _QUARTER and high < _HALF + _QUARTER:  # straddling the middle: decide later
                    pending += 1
                    low, high = low - _QUARTER, high - _QUARTER
                else:
                    break
                low, high = 2 * low, 2 * high + 1
    pending += 1
    emit(0 if low < _QUARTER else 1)  # a value inside [low, high] whatever zeros follow
    code = int("".join(map(str, bits)), 2).to_bytes(math.ceil(len(bits) / 8), "big") if bits else b""
    if len(bits) % 8:
        code = (int.from_bytes(code, "big") << (8 - len(bits) % 8)).to_bytes(len(code), "big")
    return _HEADER.pack(len(tokens), zlib.crc32(text.encode("utf-8"))) + code


def decompress(model: nn.Module, tokenizer, data: bytes) -> str:
    """The text compress() wrote, byte for byte, given the same model and tokenizer."""
    check_model(model)
    check_tokenizer(tokenizer, model)
    if not isinstance(data, (bytes, bytearray)) or len(data) < _HEADER.size:
        raise ValueError(f"data must be the bytes compress() returned (at least {_HEADER.size}); got "
                         f"{len(data) if isinstance(data, (bytes, bytearray)) else type(data).__name__}.")
    count, crc = _HEADER.unpack(data[:_HEADER.size])
    code, n_bits = int.from_bytes(data[_HEADER.size:], "big"), 8 * (len(data) - _HEADER.size)

    def bit(index: int) -> int:  # bits past the end are zeros
        return (code >> (n_bits - 1 - index)) & 1 if index < n_bits else 0

    value = sum(bit(i) << (PRECISION - 1 - i) for i in range(PRECISION))
    read, low, high, tokens = PRECISION, 0, _FULL - 1, []
    with evaluating(model):
        stream = _NextToken(model, _prefix_ids(tokenizer))
        for _ in range(count):
            cumulative = stream.frequencies()
            width, total = high - low + 1, cumulative[-1]
            token = bisect.bisect_right(cumulative, ((value - low + 1) * total - 1) // width) - 1
            if not 0 <= token < len(cumulative) - 1:
                raise ValueError("the data does not decode: it is damaged or was made by another model.")
            tokens.append(token)
            stream.push(token)
            high = low + width * cumulative[token + 1] // total - 1
            low = low + width * cumulative[token] // total
            while True:
                if high < _HALF:
                    pass
                elif low >= _HALF:
                    low, high, value = low - _HALF, high - _HALF, value - _HALF
                elif low >= _QUARTER and high < _HALF + _QUARTER:
                    low, high, value = low - _QUARTER, high - _QUARTER, value - _QUARTER
                else:
                    break
                low, high, value = 2 * low, 2 * high + 1, 2 * value + bit(read)
                read += 1
    text = tokenizer.decode(tokens)
    if zlib.crc32(text.encode("utf-8")) != crc:
        raise ValueError("the decoded text fails its checksum: the data is damaged or was made by another model "
                         "or tokenizer than the one decoding it.")
    return text


def ideal_bits(model: nn.Module, tokenizer, text: str) -> float:
    """The sum over the text's tokens of -log2 P(token | the tokens before it), read as compress() reads them."""
    _check(model, tokenizer, text)
    total = 0.0
    with evaluating(model):
        stream = _NextToken(model, _prefix_ids(tokenizer))
        for token in tokenizer.encode(text):
            total -= stream.log2_probability(token)
            stream.push(token)
    return total


def classic_bits_per_char(text: str) -> dict[str, float]:
    """Bits per character of the general-purpose compressors at their strongest settings."""
    raw = text.encode("utf-8")
    sizes = {"gzip": len(gzip.compress(raw, 9, mtime=0)), "bz2": len(bz2.compress(raw, 9)),
             "xz": len(lzma.compress(raw, preset=9 | lzma.PRESET_EXTREME))}
    return {name: 8 * size / len(text) for name, size in sizes.items()}
