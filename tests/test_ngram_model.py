"""The count-based n-gram model: its counts, its (smoothed) distributions, sampling and cross-entropy."""

import math
from collections import Counter

import pytest

from helpers.ngram_model import NGramModel
from helpers.tinyworld2 import TinyWorld

TEXT = "the cat sat on the mat . the dog sat on the rug . the cat ran .".split(" ")


def test_counts_are_what_followed_the_last_n_minus_one_tokens():
    model = NGramModel.train(TEXT, 3)
    assert model.counts(["sat", "on", "the"]) == Counter({"mat": 1, "rug": 1})  # reads only "on the"
    assert model.counts(["the"]) == Counter({"cat": 2, "mat": 1, "dog": 1, "rug": 1})
    assert model.counts([]) == Counter(TEXT)
    assert model.counts(["never", "seen"]) == Counter()
    assert NGramModel.train(TEXT, 2).counts(["on", "the"]) == Counter({"cat": 2, "mat": 1, "dog": 1, "rug": 1})


def test_unsmoothed_distribution_is_the_relative_frequency():
    model = NGramModel.train(TEXT, 2, smoothing="none")
    distribution = model.next_token_distribution(["the"])
    assert distribution["cat"] == pytest.approx(2 / 5)
    assert distribution["rug"] == pytest.approx(1 / 5)
    assert distribution["sat"] == 0.0
    assert list(distribution)[0] == "cat"  # most likely first
    assert model.probability(["a", "the"], "mat") == pytest.approx(1 / 5)
    with pytest.raises(ValueError, match="never appeared"):
        NGramModel.train(TEXT, 3, smoothing="none").next_token_distribution(["cat", "dog"])


def test_witten_bell_mixes_counts_with_the_shorter_context():
    model = NGramModel.train(TEXT, 2)
    vocabulary = sorted(set(TEXT))
    unigram = {w: (TEXT.count(w) + len(vocabulary) / len(vocabulary)) / (len(TEXT) + len(vocabulary))
               for w in vocabulary}  # counts + (distinct tokens) * uniform
    assert model.probability([], "the") == pytest.approx(unigram["the"])
    after_the = {"cat": 2, "mat": 1, "dog": 1, "rug": 1}  # 5 tokens, 4 distinct
    for word in vocabulary:
        expected = (after_the.get(word, 0) + 4 * unigram[word]) / (5 + 4)
        assert model.probability(["the"], word) == pytest.approx(expected)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_smoothed_distributions_sum_to_one_and_agree_with_probability(n):
    model = NGramModel.train(TEXT, n)
    for context in (["the"], ["sat", "on", "the"], ["unseen", "words"], [], ["."]):
        distribution = model.next_token_distribution(context)
        assert set(distribution) == set(TEXT)
        assert sum(distribution.values()) == pytest.approx(1.0)
        assert all(p > 0 for p in distribution.values())
        values = list(distribution.values())
        assert values == sorted(values, reverse=True)
        for token, p in distribution.items():
            assert model.probability(context, token) == pytest.approx(p)


def test_unigram_ignores_the_context_and_an_unseen_long_context_backs_off():
    unigram = NGramModel.train(TEXT, 1)
    assert unigram.next_token_distribution(["the"]) == unigram.next_token_distribution(["sat", "on"])
    trigram = NGramModel.train(TEXT, 3)
    assert trigram.next_token_distribution(["zebra", "the"]) == NGramModel.train(TEXT, 2).next_token_distribution(
        ["the"])


def test_log_likelihood_is_the_sum_of_each_tokens_log_probability():
    model = NGramModel.train(TEXT, 3)
    tokens = "the cat sat on the rug .".split(" ")
    expected = sum(math.log(model.probability(["."] + tokens[:i], token)) for i, token in enumerate(tokens))
    assert model.log_likelihood(tokens, context=["."]) == pytest.approx(expected)
    assert model.cross_entropy(tokens, context=["."]) == pytest.approx(-expected / len(tokens))
    characters = len(" ".join(tokens))
    assert model.cross_entropy(tokens, context=["."], characters=characters) == pytest.approx(-expected / characters)


def test_zero_probability_means_infinite_cross_entropy_and_smoothing_removes_it():
    held_out = "the dog ran on the mat .".split(" ")  # "dog ran" never appears in training
    assert NGramModel.train(TEXT, 2, smoothing="none").cross_entropy(held_out) == math.inf
    assert math.isfinite(NGramModel.train(TEXT, 2).cross_entropy(held_out))
    assert NGramModel.train(TEXT, 2).probability(["the"], "zebra") == 0.0  # outside the vocabulary
    assert NGramModel.train(TEXT, 2, vocabulary=["zebra"]).probability(["the"], "zebra") > 0


def test_more_context_fits_the_training_text_better():
    corpus = TinyWorld(0).corpus_text(300)
    tokens = corpus.replace("\n", " \n ").split(" ")[:-1]
    losses = [NGramModel.train(tokens, n).cross_entropy(tokens) for n in (1, 2, 3, 4)]
    assert losses == sorted(losses, reverse=True)


def test_held_out_cross_entropy_per_character_stays_above_tinyworlds_entropy_floor():
    world = TinyWorld(0)
    train_tokens = world.corpus_text(2000).replace("\n", " \n ").split(" ")[:-1]
    held_out = TinyWorld(1).corpus_text(200)
    tokens = held_out.replace("\n", " \n ").split(" ")[:-1]
    model = NGramModel.train(train_tokens, 3, vocabulary=[*world.vocabulary(), "\n"])
    per_character = model.cross_entropy(tokens, context=["\n"], characters=len(held_out))
    assert world.entropy_floor(2000).nats_per_char < per_character < 0.5


def test_generation_is_seeded_and_stops_after_a_stop_token():
    model = NGramModel.train(TEXT, 2)
    first = model.generate(["the"], 20, seed=3)
    assert first == model.generate(["the"], 20, seed=3)
    assert len(first) == 20 and set(first) <= set(TEXT)
    stopped = model.generate(["the"], 50, seed=1, stop=["."])
    assert stopped[-1] == "." and "." not in stopped[:-1]
    assert model.generate(["the"], 0) == []


def test_samples_follow_the_distribution():
    model = NGramModel.train(TEXT, 2, smoothing="none")
    draws = Counter(model.generate(["on"], 1, seed=seed)[0] for seed in range(400))
    assert set(draws) == {"the"}
    draws = Counter(model.sample(["the"], seed=seed) for seed in range(2000))
    assert set(draws) == {"cat", "mat", "dog", "rug"}
    assert draws["cat"] / 2000 == pytest.approx(0.4, abs=0.05)


def test_characters_and_ids_work_as_tokens():
    chars = NGramModel.train("abracadabra", 3)
    assert chars.counts("xab") == Counter({"r": 2})
    assert chars.next_token_distribution("ab")["r"] > 0.5
    ids = NGramModel.train([1, 2, 3, 1, 2, 4], 2)
    assert ids.vocabulary == (1, 2, 3, 4)
    assert ids.counts([7, 2]) == Counter({3: 1, 4: 1})


def test_bad_input_gets_a_clear_message():
    model = NGramModel.train(TEXT, 2)
    with pytest.raises(TypeError, match="not characters"):
        model.next_token_distribution("the cat")
    with pytest.raises(ValueError, match="n must be"):
        NGramModel.train(TEXT, 0)
    with pytest.raises(ValueError, match="empty"):
        NGramModel.train([], 2)
    with pytest.raises(TypeError, match="sequence"):
        NGramModel.train(iter(TEXT), 2)
    with pytest.raises(ValueError, match="smoothing"):
        NGramModel.train(TEXT, 2, smoothing="laplace")
    with pytest.raises(ValueError, match="max_tokens"):
        model.generate(["the"], -1)
    with pytest.raises(ValueError, match="characters"):
        model.cross_entropy(TEXT, characters=0)
    with pytest.raises(ValueError, match="empty"):
        model.cross_entropy([])
