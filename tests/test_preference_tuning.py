"""DPO: the loss is log 2 at the reference, and tuning with helpers.training.train prefers the chosen."""

import copy
import math

import pytest
import torch

import helpers.cached_models as cached_models
from helpers.experiments.preference_tuning import (
    DPOLoss,
    PreferenceData,
    dpo_loss,
    dpo_train,
    dpo_tuned,
    preference_margins,
)
from helpers.model import GPT, GPTConfig
from helpers.scoring import continuation_log_probs
from helpers.tokenizers import CharacterTokenizer


def tiny_model(tokenizer):
    torch.manual_seed(0)
    return GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32))


def test_dpo_loss_is_log_two_when_the_policy_equals_the_reference():
    scores = torch.tensor([-3.0, -1.0])
    assert float(dpo_loss(scores, scores - 1, scores, scores - 1)) == pytest.approx(math.log(2))
    assert float(dpo_loss(scores + 1, scores - 1, scores, scores - 1)) < math.log(2)  # chosen went up


def test_dpo_training_raises_the_chosen_over_the_rejected():
    tokenizer = CharacterTokenizer.train("it was good bad .\n")
    model = tiny_model(tokenizer)
    triples = [("\nit was", " good .", " bad .")] * 4

    def margin():
        good, bad = continuation_log_probs(model, tokenizer, ["\nit was"] * 2, [" good .", " bad ."], after="")
        return float(good - bad)

    before = margin()
    history = dpo_train(model, tokenizer, triples, steps=15, batch_size=4, learning_rate=3e-3, beta=0.5)
    assert history.step == [0, 15] and history.train_loss[0] == pytest.approx(math.log(2), abs=1e-4)
    assert history.train_loss[-1] < math.log(2) and margin() > before + 1


def test_without_its_dpo_term_the_loss_is_the_chosen_negative_log_likelihood():
    tokenizer = CharacterTokenizer.train("it was good bad .\n")
    model = tiny_model(tokenizer)
    triples = [("\nit was", " good .", " bad ."), ("\nit was", " bad .", " good .")]
    data = PreferenceData(model, tokenizer, triples)
    batch = (data.prompts, data.chosen, data.rejected, data.reference_chosen, data.reference_rejected)
    chosen = continuation_log_probs(model, tokenizer, data.prompts, data.chosen, after="")
    supervised = DPOLoss(tokenizer, 32, chosen_weight=1.0, dpo_weight=0.0)(model, batch)
    both = DPOLoss(tokenizer, 32, chosen_weight=1.0, dpo_weight=1.0)(model, batch)
    assert float(supervised) == pytest.approx(-float(chosen.mean()), abs=1e-5)
    assert float(both - supervised) == pytest.approx(math.log(2), abs=1e-5)  # DPO's term is log 2 at the reference


def test_preference_margins_are_zero_at_the_reference_and_grow_with_tuning():
    tokenizer = CharacterTokenizer.train("it was good bad .\n")
    model = tiny_model(tokenizer)
    data = PreferenceData(model, tokenizer, [("\nit was", " good .", " bad .")] * 4)
    assert preference_margins(model, tokenizer, data).abs().max() < 1e-5
    dpo_train(model, tokenizer, [("\nit was", " good .", " bad .")] * 4, steps=15, batch_size=4,
              learning_rate=3e-3, beta=0.5)
    assert float(preference_margins(model, tokenizer, data).min()) > 1


def test_dpo_train_needs_a_term_to_train_on():
    tokenizer = CharacterTokenizer.train("it was good bad .\n")
    with pytest.raises(ValueError, match="not both 0"):
        dpo_train(tiny_model(tokenizer), tokenizer, [("\nit was", " good .", " bad .")], chosen_weight=0.0,
                  dpo_weight=0.0)


def test_a_dpo_tuned_model_is_trained_once_then_loaded_and_a_changed_setting_retrains(isolated_cache, monkeypatch):
    tokenizer = CharacterTokenizer.train("it was good bad .\n")
    reference = tiny_model(tokenizer)
    data = PreferenceData(reference, tokenizer, [("\nit was", " good .", " bad .")] * 4)
    settings = dict(steps=5, batch_size=4, learning_rate=3e-3, beta=0.5)
    tuned = dpo_tuned(reference, tokenizer, data, **settings)
    in_place = copy.deepcopy(reference)
    dpo_train(in_place, tokenizer, data, **settings)  # scored data is not scored again, and gives the same model
    assert all(torch.equal(a, b) for a, b in zip(in_place.state_dict().values(), tuned.state_dict().values(),
                                                 strict=True))
    assert float(preference_margins(tuned, tokenizer, data).min()) > 0
    assert preference_margins(reference, tokenizer, data).abs().max() < 1e-5  # the reference is left as it was

    def no_training(*args, **kwargs):
        raise AssertionError("a cached model must not be trained again")

    monkeypatch.setattr(cached_models, "train", no_training)
    again = dpo_tuned(reference, tokenizer, data, **settings)
    assert all(torch.equal(a, b) for a, b in zip(again.state_dict().values(), tuned.state_dict().values(), strict=True))
    with pytest.raises(AssertionError, match="must not be trained"):
        dpo_tuned(reference, tokenizer, data, **settings, chosen_weight=1.0)
    assert len(list(isolated_cache.rglob("checkpoint.json"))) == 1
