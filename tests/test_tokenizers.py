"""Character and word tokenizers, the shared interface, bad input, and the saved JSON file of every kind."""

import json

import numpy as np
import pytest
import torch

from helpers.tokenizers import (
    ENDOFTEXT,
    UNKNOWN,
    BPETokenizer,
    CharacterTokenizer,
    Tokenizer,
    WordTokenizer,
    gpt2_tokenizer,
    load_tokenizer,
)

TEXT = "Tom saw a cat. The cat saw Tom!\nAnna's dog didn't bark."


@pytest.fixture(scope="module")
def characters():
    return CharacterTokenizer.train(TEXT)


@pytest.fixture(scope="module")
def words():
    return WordTokenizer.train(TEXT)


@pytest.fixture(scope="module")
def bpe():
    return BPETokenizer.train(TEXT * 3 + " 🤗 naïve", 290, special_tokens=(ENDOFTEXT, "<|pad|>"))


@pytest.fixture(scope="module")
def every_kind(characters, words, bpe):
    return {"characters": characters, "words": words, "bpe": bpe, "gpt2": gpt2_tokenizer()}


# --- characters -------------------------------------------------------------------------------------------

def test_characters_vocabulary_is_sorted_characters_then_special_tokens(characters):
    distinct = sorted(set(TEXT))
    assert characters.token_strings(range(len(distinct))) == distinct
    assert characters.special_tokens == {ENDOFTEXT: len(distinct), UNKNOWN: len(distinct) + 1}
    assert characters.vocab_size == len(distinct) + 2
    assert characters.eot_id == len(distinct)
    assert characters.unk_id == len(distinct) + 1
    assert characters.name == "characters"


def test_characters_round_trip_known_text(characters):
    ids = characters.encode("The cat saw Anna.")
    assert len(ids) == len("The cat saw Anna.")
    assert characters.decode(ids) == "The cat saw Anna."


def test_characters_unknown_to_the_training_text_become_unk(characters):
    ids = characters.encode("cat🤗Z")
    assert ids[3:] == [characters.unk_id, characters.unk_id]
    assert characters.decode(ids) == f"cat{UNKNOWN}{UNKNOWN}"


def test_characters_special_tokens_in_text_are_one_id_unless_not_allowed(characters):
    ids = characters.encode(f"cat{ENDOFTEXT}dog")
    assert ids == characters.encode("cat") + [characters.eot_id] + characters.encode("dog")
    plain = characters.encode(f"cat{ENDOFTEXT}", allow_special=False)
    assert characters.eot_id not in plain and len(plain) == 3 + len(ENDOFTEXT)


def test_characters_training_text_special_tokens_are_not_split_into_characters():
    tokenizer = CharacterTokenizer.train(f"ab{ENDOFTEXT}ba")
    assert tokenizer.token_strings(range(tokenizer.vocab_size)) == ["a", "b", ENDOFTEXT, UNKNOWN]


def test_characters_without_special_tokens_still_have_unk():
    tokenizer = CharacterTokenizer.train("abc", special_tokens=())
    assert tokenizer.special_tokens == {UNKNOWN: 3}
    assert tokenizer.eot_id is None


# --- words ------------------------------------------------------------------------------------------------

def test_words_split_words_punctuation_and_line_breaks(words):
    pieces = words.token_strings(words.encode("Tom saw a cat.\nAnna's dog didn't bark!"))
    assert pieces == ["Tom", "saw", "a", "cat", ".", "\n", "Anna's", "dog", "didn't", "bark", "!"]


def test_words_decode_puts_spaces_between_words_but_not_before_punctuation(words):
    assert words.decode(words.encode("The cat saw Tom !  The  cat.")) == "The cat saw Tom! The cat."
    assert words.decode(words.encode("cat.\nTom")) == "cat.\nTom"


def test_words_unknown_words_become_unk(words):
    ids = words.encode("The zebra saw Tom")
    assert ids[1] == words.unk_id
    assert words.decode(ids) == f"The {UNKNOWN} saw Tom"


def test_words_special_tokens_are_recognised(words):
    ids = words.encode(f"cat.{ENDOFTEXT}The dog")
    assert ids[2] == words.eot_id
    assert words.decode(ids) == f"cat. {ENDOFTEXT} The dog"


# --- the shared interface and bad input --------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["characters", "words", "bpe", "gpt2"])
def test_every_kind_has_the_shared_interface(every_kind, kind):
    tokenizer = every_kind[kind]
    assert isinstance(tokenizer, Tokenizer)
    assert tokenizer.encode("") == []
    assert tokenizer.decode([]) == ""
    ids = tokenizer.encode("The cat saw Tom.")
    assert all(isinstance(i, int) and 0 <= i < tokenizer.vocab_size for i in ids)
    assert "".join(tokenizer.token_strings(ids)).replace(" ", "") == "ThecatsawTom."
    assert tokenizer.eot_id == tokenizer.special_tokens[ENDOFTEXT]
    assert tokenizer.encode(ENDOFTEXT) == [tokenizer.eot_id]
    assert tokenizer.name and repr(tokenizer).startswith(type(tokenizer).__name__)


@pytest.mark.parametrize("kind", ["characters", "words", "bpe", "gpt2"])
@pytest.mark.parametrize("bad", [b"bytes", 42, None, ["a", "list"]])
def test_encode_of_non_str_is_a_type_error(every_kind, kind, bad):
    with pytest.raises(TypeError, match="encode expects a str"):
        every_kind[kind].encode(bad)


@pytest.mark.parametrize("kind", ["characters", "words", "bpe", "gpt2"])
def test_decode_of_an_unknown_id_names_it_and_the_vocab_size(every_kind, kind):
    tokenizer = every_kind[kind]
    for bad in (tokenizer.vocab_size, -1, 10**9):
        with pytest.raises(ValueError, match=rf"Token id {bad} .*vocab_size {tokenizer.vocab_size}"):
            tokenizer.decode([0, bad])


@pytest.mark.parametrize("kind", ["characters", "words", "bpe", "gpt2"])
def test_decode_accepts_tensors_and_arrays_but_not_text_or_floats(every_kind, kind):
    tokenizer = every_kind[kind]
    ids = tokenizer.encode("The cat")
    expected = tokenizer.decode(ids)
    assert tokenizer.decode(torch.tensor(ids)) == expected
    assert tokenizer.decode(np.array(ids)) == expected
    assert tokenizer.decode(tuple(ids)) == expected
    with pytest.raises(TypeError, match="integer token ids"):
        tokenizer.decode([1.5])
    with pytest.raises(TypeError, match="sequence"):
        tokenizer.decode("The cat")
    with pytest.raises(TypeError, match="single int"):
        tokenizer.decode(3)


def test_special_tokens_are_checked():
    with pytest.raises(ValueError, match="duplicates"):
        CharacterTokenizer.train("abc", special_tokens=(ENDOFTEXT, ENDOFTEXT))
    with pytest.raises(ValueError, match="start of"):
        CharacterTokenizer.train("abc", special_tokens=("<|end", ENDOFTEXT))
    with pytest.raises(ValueError, match="non-empty"):
        CharacterTokenizer.train("abc", special_tokens=("",))
    with pytest.raises(TypeError, match="not a str"):
        CharacterTokenizer.train("abc", special_tokens=ENDOFTEXT)


def test_training_on_nothing_is_refused():
    with pytest.raises(ValueError, match="non-empty text"):
        CharacterTokenizer.train("")
    with pytest.raises(ValueError, match="non-empty text"):
        WordTokenizer.train(f"  {ENDOFTEXT}  ")
    with pytest.raises(TypeError, match="encode expects a str"):
        WordTokenizer.train(b"bytes")


def test_special_tokens_property_is_a_copy(characters):
    characters.special_tokens["<|new|>"] = 99
    assert "<|new|>" not in characters.special_tokens


# --- saving and loading ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["characters", "words", "bpe", "gpt2"])
def test_save_and_load_round_trip(every_kind, kind, tmp_path):
    tokenizer = every_kind[kind]
    path = tokenizer.save(tmp_path / f"{kind}.json")
    loaded = load_tokenizer(path)
    assert type(loaded) is type(tokenizer)
    assert loaded.to_dict() == tokenizer.to_dict()
    assert (loaded.name, loaded.vocab_size, loaded.special_tokens) == (
        tokenizer.name, tokenizer.vocab_size, tokenizer.special_tokens)
    text = f"The cat saw Tom 🤗 naïve.{ENDOFTEXT}\n  Anna's dog"
    assert loaded.encode(text) == tokenizer.encode(text)
    assert loaded.token_strings(range(loaded.vocab_size)) == tokenizer.token_strings(range(tokenizer.vocab_size))


def test_saved_files_are_readable_json(bpe, tmp_path):
    data = json.loads(bpe.save(tmp_path / "bpe.json").read_text(encoding="utf-8"))
    assert data["kind"] == "bpe" and data["special_tokens"] == {ENDOFTEXT: 288, "<|pad|>": 289}
    assert data["merges"][:2] == [["Ġ", "T"], ["Ġ", "c"]]  # GPT-2's byte-level form: "Ġ" is a space
    assert len(data["merges"]) == 290 - 256 - 2


def test_gpt2_is_saved_as_a_reference_not_its_merges(tmp_path):
    path = gpt2_tokenizer().save(tmp_path / "gpt2.json")
    assert path.stat().st_size < 1000
    assert "merges" not in json.loads(path.read_text(encoding="utf-8"))


def test_save_replaces_a_file_whole(characters, words, tmp_path):
    path = tmp_path / "tokenizer.json"
    words.save(path)
    characters.save(path)
    assert isinstance(load_tokenizer(path), CharacterTokenizer)
    assert [p.name for p in tmp_path.iterdir()] == ["tokenizer.json"]  # no temporary file left behind


def _damage(path, change):
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda p: p.write_text(p.read_text(encoding="utf-8")[:200], encoding="utf-8"), "truncated or damaged"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00garbage"), "truncated or damaged"),
        (lambda p: p.write_text("[1, 2, 3]", encoding="utf-8"), "not a tokenizer file"),
        (lambda p: _damage(p, lambda d: d["merges"].reverse()), "checksum"),
        (lambda p: _damage(p, lambda d: d["special_tokens"].update({ENDOFTEXT: 3})), "checksum"),
        (lambda p: _damage(p, lambda d: d.update(version=99)), "version 99"),
        (lambda p: _damage(p, lambda d: d.update(kind="sentencepiece")), "checksum"),
    ],
)
def test_a_damaged_file_gives_a_value_error_naming_the_path_and_what_to_do(bpe, tmp_path, damage, message):
    path = bpe.save(tmp_path / "bpe.json")
    damage(path)
    with pytest.raises(ValueError, match=message) as caught:
        load_tokenizer(path)
    assert str(path) in str(caught.value)
    assert "save the tokenizer again" in str(caught.value).lower() or "Update the code" in str(caught.value)


def test_an_inconsistent_file_with_a_valid_checksum_is_still_refused(bpe, tmp_path):
    from helpers.tokenizers.base import _checksum

    path = bpe.save(tmp_path / "bpe.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    data["merges"][0] = ["zz", "q"]  # pieces that no earlier merge made
    content = {key: value for key, value in data.items() if key != "checksum"}
    path.write_text(json.dumps({**content, "checksum": _checksum(content)}), encoding="utf-8")
    with pytest.raises(ValueError, match=f"{path}.*inconsistent bpe tokenizer.*earlier merge"):
        load_tokenizer(path)


def test_loading_a_missing_file_says_how_to_make_one(tmp_path):
    with pytest.raises(FileNotFoundError, match="tokenizer.save"):
        load_tokenizer(tmp_path / "nothing.json")
