"""Pretraining pays: labelled examples drawn balanced and held out, fine-tuning that never changes the model passed
in, and the reference model fine-tuned on 16 reviews far ahead of the same architecture trained from scratch."""

import pytest
import torch

import helpers.experiments.sample_efficiency as sample_efficiency_module
from helpers.experiments.abilities import VERDICT_START, normalised
from helpers.experiments.sample_efficiency import cached_sample_efficiency, fine_tuned_accuracy, gap, labelled_examples
from helpers.pretrained import LADDER, pretrained
from helpers.tinyworld2 import TinyWorld


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
