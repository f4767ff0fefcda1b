"""GPT-2's tokenizer: built from OpenAI's files, the same ids as tiktoken, and the byte-level readable form."""

import json
import os
from unittest import mock

import pytest
import tiktoken
from tiktoken.load import data_gym_to_mergeable_bpe_ranks
from tiktoken_ext.openai_public import r50k_pat_str

from helpers.downloads import load
from helpers.tokenizers import (
    ENDOFTEXT,
    GPT2Tokenizer,
    byte_level_string,
    bytes_to_unicode,
    from_byte_level_string,
    gpt2_tokenizer,
)

TRICKY = [
    "Hello world",
    "",
    " ",
    "   leading and trailing   ",
    "tabs\tand\nnew\n\nlines\r\n  \n",
    "I'm sure they'll've LOL'S 's 't",
    "naïve café Größe déjà-vu",
    "東京都に住んでいます。中文字符",
    "Привет, мир! مرحبا ١٢٣ 12345678901234",
    "emoji 😀🤗 👩‍👩‍👧 🇫🇷 family",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301 \u00a0nbsp \u2028sep \ufeffbom \x00nul",
    f"two documents{ENDOFTEXT}in one{ENDOFTEXT}",
    "<|endoftext <|endoftext|x| endoftext|>",
    "def f(x):\n    return x**2  # comment\n",
]


@pytest.fixture(scope="module")
def gpt2():
    return gpt2_tokenizer()


@pytest.fixture(scope="module")
def reference():
    """tiktoken's own GPT-2 encoding, with tiktoken's own (faster, equivalent) split pattern."""
    with mock.patch.dict(os.environ, {"TIKTOKEN_CACHE_DIR": ""}):  # no copy of the files outside the cache
        ranks = data_gym_to_mergeable_bpe_ranks(str(load("gpt2-vocab.bpe")), str(load("gpt2-encoder.json")))
    return tiktoken.Encoding(
        "gpt2", pat_str=r50k_pat_str, mergeable_ranks=ranks, special_tokens={ENDOFTEXT: 50256}, explicit_n_vocab=50257
    )


def test_gpt2_vocabulary(gpt2):
    assert isinstance(gpt2, GPT2Tokenizer)
    assert gpt2.vocab_size == 50257 and gpt2.eot_id == 50256 and gpt2.name == "gpt2"
    assert gpt2.encode("Hello world") == [15496, 995]
    assert gpt2.merges[:2] == [(b" ", b"t"), (b" ", b"a")]
    assert len(gpt2.merges) == 50000


def test_the_verdict_gives_tiktokens_ids_with_both_encoders(gpt2, reference):
    text = load("the-verdict.txt").read_text(encoding="utf-8")
    expected = reference.encode(text)
    assert len(expected) == 5145
    assert gpt2.encode(text) == expected
    assert gpt2.encode_pure_python(text) == expected
    assert gpt2.decode(expected) == text


@pytest.mark.parametrize("text", TRICKY)
def test_tricky_text_gives_tiktokens_ids_with_both_encoders(gpt2, reference, text):
    expected = reference.encode(text, allowed_special="all")
    assert gpt2.encode(text) == expected
    assert gpt2.encode_pure_python(text) == expected
    assert gpt2.decode(expected) == text == reference.decode(expected)
    ordinary = reference.encode_ordinary(text)
    assert gpt2.encode(text, allow_special=False) == ordinary == gpt2.encode_pure_python(text, allow_special=False)


def test_byte_level_strings_are_gpt2s_file_keys(gpt2):
    encoder = json.loads(load("gpt2-encoder.json").read_text(encoding="utf-8"))
    written = {token_id: key for key, token_id in encoder.items()}
    assert all(byte_level_string(token) == written[token_id] for token, token_id in gpt2.ranks.items())
    assert all(from_byte_level_string(written[token_id]) == token for token, token_id in gpt2.ranks.items())


def test_bytes_to_unicode_gives_one_visible_character_per_byte():
    mapping = bytes_to_unicode()
    assert len(set(mapping.values())) == 256
    assert all(character.isprintable() and not character.isspace() for character in mapping.values())
    assert mapping[ord(" ")] == "Ġ" and mapping[ord("\n")] == "Ċ" and mapping[ord("a")] == "a"
    assert byte_level_string(b" the\n") == "ĠtheĊ"
    with pytest.raises(ValueError, match="stands for no byte"):
        from_byte_level_string("a b")


def test_token_strings_show_gpt2_pieces(gpt2):
    ids = gpt2.encode("Hello world, naïve 🤗!")
    pieces = gpt2.token_strings(ids)
    assert pieces[:3] == ["Hello", " world", ","]
    assert "".join(pieces).startswith("Hello world, naïve")
