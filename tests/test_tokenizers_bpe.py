"""Byte-level BPE: the two trainers give the same merges, the two encoders the same ids, special tokens, bad input."""

import pytest
import tiktoken

from helpers.downloads import load
from helpers.tokenizers import (
    ENDOFTEXT,
    GPT2_SPLIT_PATTERN,
    BPETokenizer,
    bpe_encode_chunk,
    merge_pair,
    pre_split,
    train_merges,
    train_merges_textbook,
)

UNICODE_TEXT = (
    "Größe naïve café déjà vu. 東京都に住んでいます。Привет, мир! ١٢٣ مرحبا بالعالم 😀🤗👩‍👩‍👧🇫🇷 "
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 e\u0301 \u00a0non-breaking\u2028line  \t\n\n  tabs\r\n"
)
TEXTS = {
    "english": None,  # the first 3,000 characters of the-verdict, read in the test
    "unicode": UNICODE_TEXT * 3,
    "repetitive": "aaaa aaa aaaaaaa  aaaa\n\n\n    bbbb abab ababab " * 5 + "a" * 40 + " " * 17,
    "numbers and code": "x = [1, 22, 333, 4444]; y = x[0] + 1234.5678 # no!!! ''' \"\"\" ===\n" * 6,
    "special tokens": f"The cat sat.{ENDOFTEXT}The dog sat.{ENDOFTEXT}The cat ran.{ENDOFTEXT}" * 4,
}


@pytest.fixture(scope="module")
def verdict():
    return load("the-verdict.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def tokenizer(verdict):
    return BPETokenizer.train(verdict + UNICODE_TEXT * 5, 700)


# --- training ------------------------------------------------------------------------------------------------

def test_pre_split_follows_gpt2_and_cuts_out_special_tokens():
    text = f"Hello world's 123  \n  x{ENDOFTEXT}\tEnd!!  "
    expected = ["Hello", " world", "'s", " 123", "  \n ", " x", "\t", "End", "!!", "  "]
    assert pre_split(text, special_tokens=[ENDOFTEXT]) == expected
    assert "<|" in pre_split(text)  # without special tokens it is ordinary text


def test_merge_pair_replaces_left_to_right_without_overlap():
    assert merge_pair([1, 2, 1, 2, 2], (1, 2), 9) == [9, 9, 2]
    assert merge_pair([5, 5, 5], (5, 5), 7) == [7, 5]
    assert merge_pair([], (5, 5), 7) == []


def test_ties_go_to_the_pair_with_smaller_ids():
    # "abcd": three pairs seen once each; (a, b) has the smallest ids, then (c, d) beats (ab, c).
    expected = [(b"a", b"b"), (b"c", b"d"), (b"ab", b"cd")]
    assert train_merges_textbook("abcd", 10) == expected
    assert train_merges("abcd", 10) == expected


def test_the_most_frequent_pair_is_merged_first():
    # (a, a) is seen 4 times (overlapping pairs count); then (a, b) and (aa, a) tie at 2 and (a, b) has
    # the smaller ids; then "aa ab" occurs twice.
    assert train_merges("aaabdaaabac", 3) == [(b"a", b"a"), (b"a", b"b"), (b"aa", b"ab")]


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_incremental_trainer_gives_the_textbook_merges(name, verdict):
    text = TEXTS[name] or verdict[:3000]
    textbook = train_merges_textbook(text, 120, special_tokens=[ENDOFTEXT])
    assert len(textbook) > 10
    assert train_merges(text, 120, special_tokens=[ENDOFTEXT]) == textbook


def test_special_tokens_in_the_training_text_are_never_learned():
    tokenizer = BPETokenizer.train(TEXTS["special tokens"], 265)
    assert not any(b"endof" in token or b"<|" in token for token in tokenizer.ranks)
    assert tokenizer.encode(TEXTS["special tokens"]).count(tokenizer.eot_id) == 12


def test_train_builds_the_requested_vocabulary(verdict):
    tokenizer = BPETokenizer.train(verdict, 600, special_tokens=(ENDOFTEXT, "<|pad|>"))
    assert tokenizer.vocab_size == 600 and tokenizer.name == "bpe-600"
    assert len(tokenizer.merges) == 600 - 256 - 2
    assert tokenizer.special_tokens == {ENDOFTEXT: 598, "<|pad|>": 599}
    assert tokenizer.token_strings(range(256))[ord("a")] == "a"
    assert tokenizer.merges == train_merges(verdict, 342, [ENDOFTEXT, "<|pad|>"])


def test_textbook_trainer_can_be_chosen_and_agrees(verdict):
    text = verdict[:2000]
    fast = BPETokenizer.train(text, 330)
    slow = BPETokenizer.train(text, 330, trainer="textbook")
    assert slow.merges == fast.merges


def test_tinyshakespeare_4096_vocabulary_encodes_identically_both_ways():
    text = load("tinyshakespeare.txt").read_text(encoding="utf-8")
    tokenizer = BPETokenizer.train(text, 4096)
    assert tokenizer.vocab_size == 4096
    ids = tokenizer.encode(text)
    assert len(ids) < len(text) / 3  # merges compress Shakespeare at least three times
    assert ids == tokenizer.encode_pure_python(text)
    assert tokenizer.decode(ids) == text


def test_a_text_that_runs_out_of_pairs_warns_and_keeps_what_it_learned():
    with pytest.warns(UserWarning, match="ran out of pairs to merge after 3 merges"):
        tokenizer = BPETokenizer.train("abcd", 1000)
    assert tokenizer.vocab_size == 256 + 3 + 1
    assert tokenizer.encode("abcd") == [258]


@pytest.mark.parametrize("vocab_size", [256, 10, -1, 300.0, "300"])
def test_a_vocab_size_below_bytes_plus_special_tokens_is_refused(vocab_size):
    with pytest.raises(ValueError, match="vocab_size must be an integer of at least 257"):
        BPETokenizer.train("some text", vocab_size)


def test_vocab_of_exactly_bytes_plus_special_tokens_has_no_merges():
    tokenizer = BPETokenizer.train("some text", 258, special_tokens=(ENDOFTEXT, "<|pad|>"))
    assert tokenizer.merges == [] and tokenizer.encode("hi") == [104, 105]


def test_bad_trainer_arguments_are_refused():
    with pytest.raises(ValueError, match="trainer must be one of"):
        BPETokenizer.train("some text", 300, trainer="fastest")
    with pytest.raises(ValueError, match="num_merges"):
        train_merges("text", -1)
    with pytest.raises(TypeError, match="encode expects a str"):
        BPETokenizer.train(b"bytes", 300)


def test_inconsistent_merges_are_refused():
    with pytest.raises(ValueError, match="no earlier merge made"):
        BPETokenizer([(b"ab", b"c")])
    with pytest.raises(ValueError, match="already a token"):
        BPETokenizer([(b"a", b"b"), (b"a", b"b")])


# --- encoding ------------------------------------------------------------------------------------------------

def test_bpe_encode_chunk_merges_by_rank():
    ranks = {bytes([byte]): byte for byte in range(256)} | {b"bc": 256, b"ab": 257, b"abc": 258}
    # "bc" has the lower rank, so "abc" starts as a|bc; "a"+"bc" fuses to the token "abc".
    assert bpe_encode_chunk(b"abcab", ranks) == [258, 257]
    assert bpe_encode_chunk(b"xyz", ranks) == [ord("x"), ord("y"), ord("z")]
    assert bpe_encode_chunk(b"", ranks) == []


def test_bpe_encode_chunk_follows_tiktoken_where_pair_rules_would_differ():
    # "abcd" is a token but merging gets stuck at a|bc|d: tiktoken takes a whole chunk that is a token.
    ranks = {bytes([byte]): byte for byte in range(256)} | {b"bc": 256, b"abcd": 257}
    encoding = tiktoken.Encoding("test", pat_str=GPT2_SPLIT_PATTERN, mergeable_ranks=ranks, special_tokens={})
    for chunk in [b"abcd", b"abcde", b"bcd", b"abc"]:
        assert bpe_encode_chunk(chunk, ranks) == encoding.encode(chunk.decode())


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_both_encoders_give_the_same_ids(tokenizer, name, verdict):
    text = TEXTS[name] or verdict
    ids = tokenizer.encode(text)
    assert ids == tokenizer.encode_pure_python(text)
    assert tokenizer.decode(ids) == text


def test_special_tokens_typed_in_text_are_special_unless_not_allowed(tokenizer):
    text = f"The end.{ENDOFTEXT}Next"
    ids = tokenizer.encode(text)
    assert ids == tokenizer.encode("The end.") + [tokenizer.eot_id] + tokenizer.encode("Next")
    assert tokenizer.encode_pure_python(text) == ids
    plain = tokenizer.encode(text, allow_special=False)
    assert tokenizer.eot_id not in plain
    assert plain == tokenizer.encode_pure_python(text, allow_special=False)
    assert tokenizer.decode(plain) == text == tokenizer.decode(ids)


def test_token_strings_show_text_and_escape_partial_characters(tokenizer):
    ids = tokenizer.encode(" the 🤗")
    pieces = tokenizer.token_strings(ids)
    assert pieces[0] == " the"
    assert "".join(pieces[1:]).startswith(" ") and "\\x" in "".join(pieces[1:])
    assert tokenizer.token_strings([tokenizer.eot_id]) == [ENDOFTEXT]


def test_a_lone_surrogate_is_refused_with_advice(tokenizer):
    for encode in (tokenizer.encode, tokenizer.encode_pure_python):
        with pytest.raises(ValueError, match="lone surrogate '\\\\ud800' at index 3"):
            encode("abc\ud800def")


def test_decode_of_a_split_character_shows_a_replacement(tokenizer):
    ids = tokenizer.encode("🤗")
    assert tokenizer.decode(ids[:1]).endswith("\ufffd")
