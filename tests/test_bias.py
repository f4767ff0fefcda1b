"""Bias probes: CDA balances pronouns; minimal pairs skip unstereotyped professions; p_he is a probability."""

import torch

from helpers.experiments.bias import counterfactual_augment, minimal_pairs, p_he, stereotype_score
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
