"""Tests of helpers.experiments.scaling: the fits recover known laws, the fixed-compute sweep gives every run of a
budget its compute, trains once and loads from the cache."""

import dataclasses
import math

import numpy as np
import pytest

import helpers.cached_models as cached_models
from helpers.experiments.scaling import (
    ModelSize,
    RunResult,
    Sweep,
    SweepConfig,
    best_size,
    fit_power_law,
    parabola_minimum,
    run_sweep,
    training_flops,
)
from helpers.scoring import nats_per_character
from helpers.tinyworld2 import TinyWorld

TINY = SweepConfig(sizes=(ModelSize("A", 1, 1, 8), ModelSize("B", 1, 2, 16)), budgets=(1e7, 2e7), batch_size=2,
                   context_length=16, val_documents=10)


def test_power_law_fit_recovers_a_known_law():
    x = np.geomspace(1e3, 1e6, 6)
    law = fit_power_law(x, 0.5 + 3.0 * x**-0.3)
    assert law.irreducible == pytest.approx(0.5, abs=1e-3)
    assert law.scale == pytest.approx(3.0, rel=1e-2)
    assert law.exponent == pytest.approx(0.3, abs=1e-3)
    assert law.rms_log_error < 1e-5
    assert law(1e4) == pytest.approx(0.5 + 3.0 * 1e4**-0.3, rel=1e-4)


def test_power_law_with_a_fixed_irreducible_term():
    x = np.geomspace(1e3, 1e6, 5)
    y = 0.2 + 2.0 * x**-0.25
    fixed = fit_power_law(x, y, irreducible=0.2)
    assert fixed.irreducible == 0.2 and fixed.exponent == pytest.approx(0.25, abs=1e-6)
    assert fit_power_law(x, y, irreducible=0.0).rms_log_error > fixed.rms_log_error
    with pytest.raises(ValueError, match="below every loss"):
        fit_power_law(x, y, irreducible=1.0)
    with pytest.raises(ValueError, match="at least 3"):
        fit_power_law([1.0, 2.0], [1.0, 0.5])
    with pytest.raises(ValueError, match="positive"):
        fit_power_law([1.0, -2.0, 3.0], [1.0, 0.5, 0.4])


def test_flops_are_six_n_d():
    assert training_flops(1_000, 2_000) == 12_000_000


def synthetic_sweep() -> Sweep:
    """Three sizes at two budgets; the loss has a known bottom in log N that moves right with the budget."""
    config = SweepConfig(sizes=(ModelSize("small", 1, 1, 8), ModelSize("mid", 2, 2, 16), ModelSize("big", 3, 2, 32)),
                         budgets=(1e10, 1e11))
    runs = []
    for size, n in zip(config.sizes, (1e4, 1e5, 1e6), strict=True):
        for budget, bottom in zip(config.budgets, (3e4, 3e5), strict=True):
            loss = 0.3 + 0.05 * (math.log(n) - math.log(bottom)) ** 2
            runs.append(RunResult(size.name, 1, 1, 8, int(n), budget, 10, int(budget / (6 * n)), budget, loss, 0.0))
    return Sweep(config, runs, folder=None, fingerprint="")


def test_the_best_size_and_the_parabola_find_the_bottom():
    sweep = synthetic_sweep()
    assert [best_size(sweep, budget) for budget in sweep.config.budgets] == ["small", "mid"]  # nearest the bottom
    for budget, bottom in zip(sweep.config.budgets, (3e4, 3e5), strict=True):
        runs = sweep.at_budget(budget)
        minimum = parabola_minimum([r.parameters for r in runs], [r.val_nats_per_char for r in runs])
        assert minimum == pytest.approx(bottom, rel=1e-6)  # the losses are an exact parabola in log N
    assert [r.budget for r in sweep.of_size("big")] == [1e10, 1e11]
    with pytest.raises(ValueError, match="does not bracket"):
        parabola_minimum([1e4, 1e5, 1e6], [0.5, 0.4, 0.35])  # still falling at the largest size
    with pytest.raises(ValueError, match="at least 3"):
        parabola_minimum([1e4, 1e5], [0.5, 0.4])


def test_sweep_config_says_what_is_wrong():
    with pytest.raises(ValueError, match="increasing"):
        SweepConfig(budgets=(1e11, 1e10))
    with pytest.raises(ValueError, match="positive numbers"):
        SweepConfig(budgets=(0, 1e10))
    with pytest.raises(ValueError, match="positive int"):
        SweepConfig(batch_size=0)
    with pytest.raises(ValueError, match="distinct names"):
        SweepConfig(sizes=(ModelSize("A", 1, 1, 8), ModelSize("A", 1, 1, 8)))
    with pytest.raises(ValueError, match="no model size"):
        SweepConfig().size("XXL")
    with pytest.raises(TypeError, match="SweepConfig"):
        run_sweep({"budgets": (1e10,)})


def test_the_sweep_spends_each_budget_trains_once_then_loads(isolated_cache, monkeypatch):
    sweep = run_sweep(TINY, progress=False)
    assert [r.key for r in sweep.runs] == ["A-1e+07", "A-2e+07", "B-1e+07", "B-2e+07"]
    for r in sweep.runs:
        window = TINY.batch_size * TINY.context_length
        assert r.tokens == r.steps * window and r.flops == 6 * r.parameters * r.tokens
        assert abs(r.flops - r.budget) <= 6 * r.parameters * window / 2  # D = C / 6N, rounded to whole steps
    assert sweep.run("A", 1e7).parameters < sweep.run("B", 1e7).parameters
    assert sweep.run("A", 1e7).tokens > sweep.run("B", 1e7).tokens  # same compute: the bigger model reads less

    def no_training(*args, **kwargs):
        raise AssertionError("a warm sweep must not train")

    monkeypatch.setattr(cached_models, "train", no_training)
    again = run_sweep(TINY, progress=False)
    assert [dataclasses.asdict(r) for r in again.runs] == [dataclasses.asdict(r) for r in sweep.runs]
    model, tokenizer = again.model("B", 2e7), again.tokenizer()
    val_text = TinyWorld(TINY.val_seed).corpus_text(TINY.val_documents)
    assert nats_per_character(model, tokenizer, val_text) == pytest.approx(again.run("B", 2e7).val_nats_per_char,
                                                                           rel=1e-5)
    assert [r.size for r in again.at_budget(2e7)] == ["A", "B"]
    with pytest.raises(ValueError, match="no run"):
        again.run("A", 3e7)
