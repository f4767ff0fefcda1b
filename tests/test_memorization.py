"""Exposure: rank 1 gives log2 of the space, the last rank gives 0; ranks and candidates behave on hand-made input."""

import math

import pytest
import torch

from helpers.experiments.memorization import deduplicate, exposure, pin_candidates, rank_of, sequence_log_likelihoods
from helpers.model import GPT, GPTConfig
from helpers.tokenizers import CharacterTokenizer


def test_exposure_of_rank_one_is_log2_of_the_space():
    assert exposure(1, 1000) == pytest.approx(math.log2(1000))
    assert exposure(1000, 1000) == pytest.approx(0.0)
    with pytest.raises(ValueError, match="rank"):
        exposure(0, 10)


def test_rank_counts_strictly_better_candidates():
    scores = torch.tensor([-1.0, -3.0, -1.0, -0.5])
    assert rank_of(scores, 3) == 1 and rank_of(scores, 0) == 2 and rank_of(scores, 2) == 2 and rank_of(scores, 1) == 4


def test_pin_candidates_cover_the_space():
    candidates = pin_candidates("pin {} .", digits=2)
    assert len(candidates) == 100 and candidates[0] == "pin 0 0 ." and "pin 4 7 ." in candidates


def test_deduplicate_keeps_first_occurrences():
    assert deduplicate(["a", "b", "a", "c", "b"]) == ["a", "b", "c"]


def test_sequence_log_likelihoods_are_negative_and_per_candidate():
    tokenizer = CharacterTokenizer.train("pin 0123456789 .\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=16))
    scores = sequence_log_likelihoods(model, tokenizer, "\n", pin_candidates("pin {} .", digits=1))
    assert scores.shape == (10,) and bool((scores < 0).all())
    with pytest.raises(ValueError, match="same number"):
        sequence_log_likelihoods(model, tokenizer, "", ["pin", "pin 1"])
