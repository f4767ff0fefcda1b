"""Bias probes: CDA balances pronouns; minimal pairs skip unstereotyped professions; p_he is a probability."""

import pytest
import torch

from helpers.experiments.bias import (
    counterfactual_augment,
    greedy_pronoun,
    minimal_pairs,
    p_he,
    stereotype_probabilities,
    stereotype_score,
)
from helpers.model import GPT, GPTConfig
from helpers.tokenizers import CharacterTokenizer


def test_counterfactual_augment_adds_swapped_copies():
    texts = counterfactual_augment(["the doctor said that he was tired ."])
    assert texts == ["the doctor said that he was tired .", "the doctor said that she was tired ."]


def test_minimal_pairs_put_the_stereotype_first():
    pairs = minimal_pairs([("doctor", "he"), ("chef", ""), ("nurse", "she")], ["was tired"])
    assert pairs == [("the doctor said that he was tired .", "the doctor said that she was tired ."),
                     ("the nurse said that she was tired .", "the nurse said that he was tired .")]


def test_p_he_is_a_probability_and_scores_are_shares():
    tokenizer = CharacterTokenizer.train("the doctor said that he she was tired .\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=64))
    assert 0.0 < p_he(model, tokenizer, "doctor") < 1.0
    score = stereotype_score(model, tokenizer, minimal_pairs([("doctor", "he")], ["was tired"]))
    assert score in (0.0, 1.0)


def test_stereotype_probabilities_cover_stereotyped_professions_in_every_context():
    tokenizer = CharacterTokenizer.train("the doctor nurse chef said that he she was tired .\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=64))
    professions = [("doctor", "he"), ("chef", ""), ("nurse", "she")]
    probabilities = stereotype_probabilities(model, tokenizer, professions, ["", "the chef said that he was tired . "])
    assert len(probabilities) == 4 and all(0.0 < p < 1.0 for p in probabilities)
    assert probabilities[0] == pytest.approx(p_he(model, tokenizer, "doctor"))
    assert probabilities[2] == pytest.approx(1.0 - p_he(model, tokenizer, "nurse"))
    assert greedy_pronoun(model, tokenizer, "doctor") == ("he" if probabilities[0] > 0.5 else "she")
    with pytest.raises(ValueError, match="stereotype"):
        stereotype_probabilities(model, tokenizer, [("doctor", "they")])
