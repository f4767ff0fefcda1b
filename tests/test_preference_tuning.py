"""DPO: the loss is log 2 at the reference, and tuning with helpers.training.train prefers the chosen."""

import math

import pytest
import torch

from helpers.experiments.preference_tuning import (
    DPOLoss,
    PreferenceData,
    dpo_loss,
    dpo_train,
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
