"""Pretraining pays: labelled examples drawn balanced and held out, fine-tuning that never changes the model passed
in, and the reference model fine-tuned on 16 reviews far ahead of the same architecture trained from scratch."""

import math
import statistics

import pytest
import torch

import helpers.experiments.sample_efficiency as sample_efficiency_module
from helpers.experiments.abilities import VERDICT_START, normalised
from helpers.experiments.sample_efficiency import (
    cached_pretraining,
    cached_sample_efficiency,
    fine_tuned_accuracy,
    gap,
    labelled_examples,
    mean_and_se,
    paired_difference,
    per_item_scores,
)
from helpers.model import GPTConfig
from helpers.pretrained import LADDER, pretrained
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import CharacterTokenizer
from helpers.training import TrainingConfig


def test_sentiment_examples_are_balanced_and_end_where_the_verdict_is_said():
    texts, labels, classes = labelled_examples("sentiment", 16, TinyWorld(5))
    assert len(texts) == 16 and classes == ["positive", "negative"]
    assert labels.count("positive") == labels.count("negative") == 8
    assert all(text.endswith(VERDICT_START) for text in texts)
    assert labelled_examples("sentiment", 16, TinyWorld(5)) == (texts, labels, classes)


def test_support_examples_ask_for_intent_and_mood_together():
    texts, labels, classes = labelled_examples("support", 40, TinyWorld(5))
    world = TinyWorld(5)
    assert len(classes) == len(world.lexicon.intents) * len(world.lexicon.moods)
    assert set(labels) <= set(classes) and len(set(labels)) > 4
    assert all(text.startswith("customer :") and text.endswith(" agent :") for text in texts)


def test_no_example_is_a_pretraining_document():
    seen = TinyWorld(5).documents(30, "support")
    messages = {doc.fields["message"] + " agent :" for doc in seen}
    assert messages & set(labelled_examples("support", 30, TinyWorld(5))[0])  # without the check they would be used
    pretraining = {normalised(message) for message in messages}  # as if each were a document of its own
    assert not messages & set(labelled_examples("support", 30, TinyWorld(5), pretraining)[0])


def test_bad_input_gets_a_clear_message():
    model, tokenizer = pretrained(LADDER[0], progress=False)
    with pytest.raises(ValueError, match="task must be one of"):
        labelled_examples("spam", 8, TinyWorld(5))
    with pytest.raises(ValueError, match="positive number"):
        labelled_examples("support", 0, TinyWorld(5))
    with pytest.raises(ValueError, match="start must be one of"):
        fine_tuned_accuracy(model, tokenizer, "sentiment", 8, "warm")
    with pytest.raises(ValueError, match="steps must be a positive"):
        fine_tuned_accuracy(model, tokenizer, "sentiment", 8, "pretrained", steps=0)


@pytest.fixture(scope="module")
def smallest():
    return pretrained(LADDER[0], progress=False)


def test_a_cached_curve_is_measured_once_and_measured_again_for_other_pretraining_text(smallest, isolated_cache,
                                                                                      monkeypatch):
    model, tokenizer = smallest
    settings = dict(sizes=(8,), seeds=(0,), tasks=("sentiment",), steps=2)
    first = cached_sample_efficiency(model, tokenizer, **settings)
    assert set(first) == {("sentiment", "pretrained", 8), ("sentiment", "from scratch", 8)}
    assert len(list(isolated_cache.glob("sample_efficiency/*/curve.json"))) == 1

    def no_training(*arguments, **keywords):
        raise AssertionError("a cached run was measured again")

    monkeypatch.setattr(sample_efficiency_module, "fine_tuned_accuracy", no_training)
    assert cached_sample_efficiency(model, tokenizer, **settings) == first
    with pytest.raises(AssertionError, match="measured again"):
        cached_sample_efficiency(model, tokenizer, **settings, pretraining_text="another corpus\n")


def test_the_gap_is_paired_over_seeds():
    curve = {("t", "pretrained", 8): [0.9, 0.8, 1.0], ("t", "from scratch", 8): [0.5, 0.5, 0.5]}
    mean, se = gap(curve, "t", 8)
    assert mean == pytest.approx(0.4) and se == pytest.approx(0.0577, abs=1e-4)


def test_the_reference_model_fine_tuned_on_16_reviews_beats_the_same_model_from_scratch():
    model, tokenizer = pretrained(LADDER[-1], progress=False)
    before = {name: value.clone() for name, value in model.state_dict().items()}
    tuned = fine_tuned_accuracy(model, tokenizer, "sentiment", 16, "pretrained")
    scratch = fine_tuned_accuracy(model, tokenizer, "sentiment", 16, "from scratch")
    assert all(torch.equal(value, model.state_dict()[name]) for name, value in before.items())
    assert tuned >= 0.90 and tuned - scratch >= 0.15  # 400 test reviews: a standard error of at most 2.5 points


def test_cached_pretraining_trains_once_then_loads_and_trains_again_for_another_text(isolated_cache, monkeypatch):
    text = "free prize, call now\nsee you at six\n" * 20
    tokenizer = CharacterTokenizer.train(text)
    ids = torch.tensor(tokenizer.encode(text))
    config = GPTConfig(vocab_size=tokenizer.vocab_size, context_length=8, n_layer=1, n_head=2, n_embd=16)
    training = TrainingConfig(max_steps=4, batch_size=4, warmup_steps=1, eval_every=2, eval_batches=1)
    first = cached_pretraining(config, training, text, tokenizer, ids[:500], ids[500:])
    assert first.step == 4 and len(list(isolated_cache.glob("pretraining/*/model"))) == 1

    def no_training(*arguments, **keywords):
        raise AssertionError("a cached model was trained again")

    monkeypatch.setattr(sample_efficiency_module, "TrainingJob", no_training)  # training would build a job
    again = cached_pretraining(config, training, text, tokenizer, ids[:500], ids[500:])
    assert all(torch.equal(a, b) for a, b in zip(first.build_model().state_dict().values(),
                                                 again.build_model().state_dict().values(), strict=True))
    with pytest.raises(AssertionError, match="trained again"):
        cached_pretraining(config, training, text + "more\n", tokenizer, ids[:500], ids[500:])


def test_per_item_scores_average_the_runs_item_by_item():
    assert per_item_scores([[1, 0, 1], [1, 1, 0], [1, 0, 0]]) == pytest.approx([1, 1 / 3, 1 / 3])
    with pytest.raises(ValueError, match="same"):
        per_item_scores([[1, 0], [1]])


def test_mean_and_se_of_zero_one_scores_is_close_to_the_binomial_formula():
    mean, se = mean_and_se([1] * 285 + [0] * 15)  # 95% of 300
    assert mean == pytest.approx(0.95) and se == pytest.approx(math.sqrt(0.95 * 0.05 / 300), rel=0.01)
    with pytest.raises(ValueError, match="two items"):
        mean_and_se([1])


def test_the_paired_difference_counts_only_the_items_where_the_two_disagree():
    a = [1] * 290 + [0] * 10  # 96.7%
    b = [1] * 280 + [0] * 20  # 93.3%: wrong on everything a gets wrong, and 10 more
    mean, se = paired_difference(a, b)
    assert mean == pytest.approx(10 / 300)
    assert se == pytest.approx(statistics.stdev([1] * 10 + [0] * 290) / math.sqrt(300))
    assert se < math.hypot(mean_and_se(a)[1], mean_and_se(b)[1])  # pairing removes the items both get right
    assert paired_difference(a, a) == (0.0, 0.0)
    with pytest.raises(ValueError, match="same items"):
        paired_difference(a, b[:-1])
