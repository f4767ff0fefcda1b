"""The model as a compressor: arithmetic coding gives any text back byte for byte, comes within 1% of the model's
ideal code length (its loss times the length), beats the general-purpose compressors on TinyWorld text, and
refuses data it cannot have made."""

import pytest

from helpers.compression import classic_bits_per_char, compress, decompress, ideal_bits
from helpers.pretrained import LADDER, pretrained
from helpers.tinyworld2 import TinyWorld


@pytest.fixture(scope="module")
def smallest():
    return pretrained(LADDER[0], progress=False)


@pytest.fixture(scope="module")
def text():
    return TinyWorld(123).corpus_text(20)  # about 3,500 characters, held out (no corpus uses seed 123)


@pytest.fixture(scope="module")
def coded(smallest, text):
    return compress(*smallest, text)


def test_the_text_comes_back_byte_for_byte(smallest, text, coded):
    model, tokenizer = smallest
    assert decompress(model, tokenizer, coded) == text
    odd = "Zürich, 1987: “naïve” café ☕ and tabs\tand\nnew lines  "  # far from TinyWorld, byte-level BPE covers it
    assert decompress(model, tokenizer, compress(model, tokenizer, odd)) == odd


def test_the_code_is_within_1_percent_of_the_models_ideal_length_and_beats_gzip_bz2_and_xz(smallest, text, coded):
    coded_bits = 8 * len(coded) - 64  # the header: token count and CRC
    ideal = ideal_bits(*smallest, text)
    assert ideal <= coded_bits <= 1.01 * ideal
    assert coded_bits / len(text) < min(classic_bits_per_char(text).values()) / 3


def test_data_from_another_model_or_damaged_is_refused(smallest, text):
    model, tokenizer = smallest
    data = compress(model, tokenizer, text[:300])
    other, other_tokenizer = pretrained(LADDER[1], progress=False)
    with pytest.raises(ValueError, match="another model"):
        decompress(other, other_tokenizer, data)
    damaged = data[:20] + bytes([data[20] ^ 0x10]) + data[21:]
    with pytest.raises(ValueError, match="damaged"):
        decompress(model, tokenizer, damaged)
    with pytest.raises(ValueError, match="bytes compress"):
        decompress(model, tokenizer, b"abc")
    with pytest.raises(ValueError, match="non-empty"):
        compress(model, tokenizer, "")
