"""Tests of helpers.experiments.scaling: the fits recover known laws, the sweep trains once and loads from the cache."""

import dataclasses

import numpy as np
import pytest

import helpers.cached_models as cached_models
from helpers.experiments.scaling import (
    ModelSize,
    RunResult,
    Sweep,
    SweepConfig,
    compute_optimal,
    fit_power_law,
    loss_at_budget,
    run_sweep,
    training_flops,
)
from helpers.scoring import nats_per_character
from helpers.tinyworld import TinyWorld

TINY = SweepConfig(sizes=(ModelSize("A", 1, 1, 8), ModelSize("B", 1, 2, 16)), steps=4, batch_sizes=(2, 4),
                   context_length=16, vocab_size=300, tokenizer_documents=200, val_documents=10, probe_items=4,
                   sample_tokens=4)


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
    """Two sizes whose runs overlap in compute: small spans 6e10-4.8e11 FLOPs, big 2.4e11-1.9e12."""
    config = SweepConfig(sizes=(ModelSize("small", 1, 1, 8), ModelSize("big", 2, 2, 16)), steps=1000,
                         batch_sizes=(1, 2, 4, 8), context_length=1000)
    runs = []
    for name, n in (("small", 1e4), ("big", 4e4)):
        for batch, d in zip(config.batch_sizes, config.data_sizes, strict=True):
            loss = 0.2 + 30 * n**-0.5 + 100 * d**-0.4
            runs.append(RunResult(name, 1, 1, 8, int(n), 1000, batch, d, training_flops(n, d), loss, loss, 0.0))
    return Sweep(config, runs, folder=None, fingerprint="")


def test_compute_optimal_picks_the_lowest_loss_at_the_budget():
    sweep = synthetic_sweep()
    budget = 4.8e11  # small's longest run (D = 8e6) and big's second (D = 2e6)
    choice = compute_optimal(sweep, budget)
    assert set(choice.losses) == {"small", "big"}
    assert choice.losses["small"] == pytest.approx(sweep.run("small", 8_000_000).val_nats_per_char)
    assert choice.losses["big"] == pytest.approx(sweep.run("big", 2_000_000).val_nats_per_char)
    assert choice.best == "big"  # 0.652 against 0.673: the bigger model trained on less data wins
    assert set(compute_optimal(sweep, 1e11).losses) == {"small"}
    assert loss_at_budget(sweep, "big", 1e11) is None  # its smallest run costs 2.4e11
    # past its largest run a size keeps that run's loss: the budget need not be spent
    assert loss_at_budget(sweep, "small", 1e13) == pytest.approx(sweep.run("small").val_nats_per_char)
    assert compute_optimal(sweep, 1e13).best == "big"
    with pytest.raises(ValueError, match="choose a budget"):
        compute_optimal(sweep, 1.0)


def test_sweep_config_says_what_is_wrong():
    with pytest.raises(ValueError, match="increasing"):
        SweepConfig(batch_sizes=(8, 4))
    with pytest.raises(ValueError, match="positive int"):
        SweepConfig(steps=(100, 200))
    with pytest.raises(ValueError, match="distinct names"):
        SweepConfig(sizes=(ModelSize("A", 1, 1, 8), ModelSize("A", 1, 1, 8)))
    with pytest.raises(ValueError, match="no model size"):
        SweepConfig().size("XXL")
    with pytest.raises(TypeError, match="SweepConfig"):
        run_sweep({"steps": 3})


def test_the_sweep_trains_once_then_loads(isolated_cache, monkeypatch):
    sweep = run_sweep(TINY, progress=False)
    assert [r.key for r in sweep.runs] == ["A-0.128k", "A-0.256k", "B-0.128k", "B-0.256k"]
    assert TINY.data_sizes == (128, 256)
    for r in sweep.runs:
        assert r.tokens == TINY.steps * r.batch_size * TINY.context_length and r.steps == TINY.steps
        assert r.flops == 6 * r.parameters * r.tokens
        largest = r.tokens == TINY.data_sizes[-1]
        assert (r.probes is not None) == largest and (r.sample is not None) == largest
    assert sweep.run("A").parameters < sweep.run("B").parameters
    assert set(sweep.largest_data()[0].probes) == {"agreement", "pronoun", "sentiment (plain)", "sentiment (negated)",
                                                         "label (plain)", "label (negated)"}

    def no_training(*args, **kwargs):
        raise AssertionError("a warm sweep must not train")

    monkeypatch.setattr(cached_models, "train", no_training)
    again = run_sweep(TINY, progress=False)
    assert [dataclasses.asdict(r) for r in again.runs] == [dataclasses.asdict(r) for r in sweep.runs]
    model, tokenizer = again.model("B", 256), again.tokenizer()
    val_text = TinyWorld(TINY.world_seed + 1).corpus_text(TINY.val_documents)
    assert nats_per_character(model, tokenizer, val_text) == pytest.approx(again.run("B").val_nats_per_char, rel=1e-5)
    assert set(again.models(128)) == {"A", "B"}
    with pytest.raises(ValueError, match="no run"):
        again.run("A", 100)
