"""Hypothesis properties: round trips on any text, the two BPE encoders agree, the two trainers agree.

The encoders are compared on characters assigned in this Python's Unicode tables (Unicode 14 to 16
for Python 3.11 to 3.14): the `regex` package already knows Unicode 17's new letters, tiktoken's Rust
tables do not, so text with those letters may be chunked differently (documented in bpe.py).
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.downloads import load
from helpers.tokenizers import (
    ENDOFTEXT,
    BPETokenizer,
    CharacterTokenizer,
    gpt2_tokenizer,
    train_merges,
    train_merges_textbook,
)

TRICKY = [
    ENDOFTEXT, "<|endoftext", "endoftext|>", " ", "   ", "\n", "\n\n\n", "\t", " \t\n ", "\r\n", "\u00a0",
    "\u2028", "\u3000", "'s", "'LL", "’s", "'", "🤗", "😀😀", "👩‍👩‍👧", "🇫🇷", "e\u0301", "東京", "Привет",
    "١٢٣", "12345", "𝔘𝔫𝔦", "\x00", "\ufeff", "\U0010ffff", "Hello", " world", "!!!", "...",
]


def texts(characters: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Random text mixing arbitrary characters with emoji, whitespace runs, contractions and special tokens."""
    pieces = st.one_of(st.text(alphabet=characters, max_size=12), st.sampled_from(TRICKY))
    return st.lists(pieces, max_size=14).map("".join)


ANY_TEXT = texts(st.characters(exclude_categories=("Cs",)))  # lone surrogates are not text
ASSIGNED_TEXT = texts(st.characters(exclude_categories=("Cs", "Cn")))
PROPERTY = settings(max_examples=500, deadline=None)


@pytest.fixture(scope="module")
def trained():
    text = load("the-verdict.txt").read_text(encoding="utf-8") + "Größe naïve 東京都 Привет 😀🤗 ١٢٣ \t\n  \n" * 5
    return BPETokenizer.train(text, 800)


@pytest.fixture(scope="module")
def bpe_tokenizers(trained):
    return {"trained": trained, "gpt2": gpt2_tokenizer()}


@pytest.mark.parametrize("kind", ["trained", "gpt2"])
def test_bpe_decode_of_encode_is_the_text(bpe_tokenizers, kind):
    tokenizer = bpe_tokenizers[kind]

    @PROPERTY
    @given(ANY_TEXT)
    def check(text):
        assert tokenizer.decode(tokenizer.encode(text)) == text
        assert tokenizer.decode(tokenizer.encode(text, allow_special=False)) == text

    check()


@pytest.mark.parametrize("kind", ["trained", "gpt2"])
def test_the_two_bpe_encoders_agree(bpe_tokenizers, kind):
    tokenizer = bpe_tokenizers[kind]

    @PROPERTY
    @given(ASSIGNED_TEXT)
    def check(text):
        assert tokenizer.encode_pure_python(text) == tokenizer.encode(text)
        assert tokenizer.encode_pure_python(text, allow_special=False) == tokenizer.encode(text, allow_special=False)

    check()


@PROPERTY
@given(ANY_TEXT)
def test_a_character_tokenizer_trained_on_a_text_gives_it_back(text):
    if text.replace(ENDOFTEXT, ""):  # an empty or special-token-only text has nothing to train on
        tokenizer = CharacterTokenizer.train(text)
        assert tokenizer.decode(tokenizer.encode(text)) == text


@settings(max_examples=120, deadline=None)
@given(ANY_TEXT, st.integers(min_value=0, max_value=40))
def test_the_two_trainers_agree(text, num_merges):
    assert train_merges(text, num_merges, [ENDOFTEXT]) == train_merges_textbook(text, num_merges, [ENDOFTEXT])
