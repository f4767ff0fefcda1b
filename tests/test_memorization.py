"""Exposure: rank 1 gives log2 of the space, the last rank gives 0; ranks and candidates behave on hand-made input."""

import math

import pytest
import torch

from helpers.experiments.memorization import (
    SkewNormal,
    constrained_digits,
    deduplicate,
    estimated_exposure,
    exposure,
    fit_skew_normal,
    pin_candidates,
    pin_log_likelihoods,
    rank_of,
)
from helpers.model import GPT, GPTConfig
from helpers.scoring import continuation_log_probs
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


def test_skew_normal_fit_recovers_known_parameters_and_its_cdf_is_a_probability():
    generator = torch.Generator().manual_seed(0)
    delta = 4.0 / math.sqrt(17.0)  # shape 4
    u0, u1 = torch.randn(2, 20_000, generator=generator, dtype=torch.float64)
    values = 10.0 + 2.0 * (delta * u0.abs() + math.sqrt(1 - delta**2) * u1)  # loc 10, scale 2, shape 4
    fit = fit_skew_normal(values)
    assert fit.loc == pytest.approx(10.0, abs=0.15) and fit.scale == pytest.approx(2.0, abs=0.15)
    assert fit.shape == pytest.approx(4.0, abs=0.8)
    assert fit.log2_cdf(1e3) == pytest.approx(0.0, abs=1e-6)
    empirical = float((values <= 11.0).double().mean())
    assert 2 ** fit.log2_cdf(11.0) == pytest.approx(empirical, abs=0.01)
    with pytest.raises(ValueError, match="at least 10"):
        fit_skew_normal([1.0, 2.0])


def test_skew_normal_with_shape_zero_is_the_normal_distribution():
    normal = SkewNormal(0.0, 1.0, 0.0)
    for x in (-6.0, -1.0, 0.5):
        exact = float(torch.special.ndtr(torch.tensor(x, dtype=torch.float64)))
        assert 2 ** normal.log2_cdf(x) == pytest.approx(exact, rel=1e-4)


def test_estimated_exposure_tracks_the_rank_in_a_sample():
    generator = torch.Generator().manual_seed(1)
    scores = -torch.randn(5000, generator=generator, dtype=torch.float64) - 20.0  # log-likelihoods
    top_tenth = float(torch.quantile(scores, 0.9))  # beaten by about 10% of candidates: about 3.3 bits
    assert estimated_exposure(top_tenth, scores) == pytest.approx(math.log2(10), abs=0.3)
    assert estimated_exposure(float(scores.max()) + 5.0, scores) > math.log2(5000)  # beyond the sample


def test_constrained_digits_writes_only_digits():
    tokenizer = CharacterTokenizer.train("pin 0123456789 .abc\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32))
    written = constrained_digits(model, tokenizer, "\npin is", 4)
    assert len(written.split(" ")) == 4 and all(d in "0123456789" for d in written.split(" "))


def test_pin_log_likelihoods_score_each_pin_after_the_prefix_in_candidate_order():
    tokenizer = CharacterTokenizer.train("alice's pin is 0123456789 .\n")
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32))
    scores = pin_log_likelihoods(model, tokenizer, "\npin is", 3)
    pins = pin_candidates("{}", digits=3)
    assert scores.shape == (1000,) and bool((scores < 0).all())
    for index in (0, 471, 999):
        one = continuation_log_probs(model, tokenizer, ["\npin is"], [" " + pins[index]], after="")[0]
        assert float(scores[index]) == pytest.approx(float(one), abs=1e-5)
    with pytest.raises(ValueError, match="digits"):
        pin_log_likelihoods(model, tokenizer, "pin", 0)
