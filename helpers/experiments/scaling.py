"""Scaling (chapter 2): a fixed-compute sweep of small GPTs on TinyWorld 2, and the laws fitted to losses.

    sweep = run_sweep()                       # trains once (about two minutes on 2 CPU cores), then cached
    sweep.table()                             # one row per run: size, parameters, budget, tokens, FLOPs, loss
    sweep.at_budget(1e11)                     # the runs of one budget, smallest model first
    best_size(sweep, 1e11)                    # the size that reached the lowest loss for that budget
    model = sweep.model("M", 1e11)            # the trained weights of one run
    fit_power_law(parameters, losses)         # L(N) = E + A * N ** -alpha

The sweep (an "IsoFLOP" sweep, Hoffmann et al., 2022). Every model size in `SweepConfig.sizes` is trained
once for every compute budget C in `SweepConfig.budgets`, on D = C / (6 N) tokens: a bigger model reads less
text for the same compute. Every run takes batches of the same `batch_size` windows of `context_length`
tokens, so only the number of steps (and with it the data) differs between two runs of a budget, and every
run reads its text once (one epoch: each training token is fresh, seen once). All runs read the same
TinyWorld 2 stream (a shorter run reads a prefix of a longer run's text), with the reference model's
tokenizer, and a size starts from the same initial weights at every budget, so two runs differ only in what
the sweep varies. Every run has the same warmup-then-cosine schedule, stretched to its own number of steps.
The validation loss is measured in nats per character (`helpers.scoring.nats_per_character`), which does
not depend on the tokenizer, so it compares with TinyWorld's entropy floor.

Parameters: N counts every weight the model computes with: all parameters except the position embeddings
(the token embedding is also the output layer, so it does work at every token). Kaplan et al. (2020) count
non-embedding parameters instead; for these tiny models the output layer is a large part of the compute,
so leaving it out would misstate 6 N D.

The cache. Results and weights go to cache_dir("scaling", <fingerprint>): one folder per run ("M-1e+11": the
run's checkpoint, trained once by helpers.cached_models, and `result.json`, what was measured on it, written
last). The fingerprint hashes the sweep's settings, a format number and a sample of the generated text, so a
change to any of them trains a new sweep in a new folder; a warm call only reads JSON. An interrupted sweep
keeps its finished runs.

The laws. `fit_power_law` fits L = E + A x^-alpha (loss against parameters, or against tokens) by least
squares on log L: for each E on a grid the rest is a straight line in log-log space; the best E is then
refined. `best_size` reads a budget's runs and keeps the lowest loss; `parabola_minimum` fits a parabola to
loss against log N, the way Hoffmann et al. find the compute-optimal size between the sizes they trained.

Simplified on purpose: one seed per run, learning rates from a rule of thumb (no hyper-parameter search),
and sizes and budgets a laptop trains in minutes: the budgets span one order of magnitude, the published
laws (Kaplan et al., 2020; Hoffmann et al., 2022) about seven.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from helpers.cached_models import TrainingJob, trained_once
from helpers.checkpoints import load_checkpoint
from helpers.files import write_text_atomically
from helpers.model import GPT, GPTConfig
from helpers.pretrained import pretrained
from helpers.runtime import cache_dir, cache_fingerprint
from helpers.scoring import nats_per_character
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import Tokenizer
from helpers.training import TrainingConfig

SWEEP_FORMAT = 4  # bump when the way a sweep is trained or measured changes, so caches are rebuilt


@dataclass(frozen=True)
class ModelSize:
    """One model size of the sweep: a name, the GPT's shape and its peak learning rate."""

    name: str
    n_layer: int
    n_head: int
    n_embd: int
    learning_rate: float = 1e-2


@dataclass(frozen=True)
class SweepConfig:
    """Everything that decides a sweep: sizes, compute budgets, the data, the tokenizer and the training settings."""

    # narrower models take larger steps (about 1e-2 * sqrt(64 / n_embd), kept at 1e-2 for the widest)
    sizes: tuple[ModelSize, ...] = (
        ModelSize("XS", 1, 2, 16, 2e-2), ModelSize("S", 1, 2, 32, 1.4e-2), ModelSize("M", 2, 4, 48, 1.2e-2),
        ModelSize("L", 3, 4, 64, 1e-2), ModelSize("XL", 3, 4, 96, 1e-2))
    budgets: tuple[float, ...] = (1e11, 3e11, 1e12)  # FLOPs of every run of a budget: D = C / (6 N)
    batch_size: int = 16  # windows per step, the same for every run
    context_length: int = 64
    warmup_fraction: float = 0.1
    tokenizer: str = "tinyworld2-l"  # the pretrained model whose tokenizer every run reads
    world_seed: int = 0  # TinyWorld(world_seed) writes the training text
    val_seed: int = 3_000_001  # ... and TinyWorld(val_seed) the validation text, which no corpus uses
    val_documents: int = 300
    seed: int = 0  # initial weights and data order

    def __post_init__(self):
        if not self.sizes or len({s.name for s in self.sizes}) != len(self.sizes):
            raise ValueError("sizes must be a non-empty tuple of ModelSize with distinct names.")
        budgets = self.budgets
        if not budgets or any(isinstance(b, bool) or not isinstance(b, (int, float)) or b <= 0 for b in budgets):
            raise ValueError(f"budgets must be positive numbers of FLOPs, e.g. (3e10, 1e11); got {budgets!r}.")
        if list(budgets) != sorted(set(budgets)):
            raise ValueError(f"budgets must be distinct and increasing, e.g. (3e10, 1e11, 3e11); got {budgets!r}.")
        if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, int) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive int (the same for every run), got {self.batch_size!r}.")

    def size(self, name: str) -> ModelSize:
        """The ModelSize called `name`, or a ValueError listing the names."""
        for size in self.sizes:
            if size.name == name:
                return size
        raise ValueError(f"no model size {name!r} in this sweep; choose one of {[s.name for s in self.sizes]}.")

    def model_config(self, size: ModelSize, vocab_size: int) -> GPTConfig:
        """The GPTConfig of one size, for a tokenizer with `vocab_size` tokens."""
        return GPTConfig(vocab_size=vocab_size, context_length=self.context_length, n_layer=size.n_layer,
                         n_head=size.n_head, n_embd=size.n_embd)

    def steps(self, parameters: int, budget: float) -> int:
        """Optimizer steps of a run: D = C / (6 N) tokens in batches of batch_size x context_length (at least 1)."""
        return max(1, round(budget / (6 * parameters) / (self.batch_size * self.context_length)))

    def training_config(self, size: ModelSize, steps: int) -> TrainingConfig:
        """The settings of one run: warmup, then cosine decay ending at its last step."""
        return TrainingConfig(max_steps=steps, batch_size=self.batch_size, learning_rate=size.learning_rate,
                              warmup_steps=max(1, round(self.warmup_fraction * steps)), min_lr_ratio=0.1,
                              weight_decay=0.1, eval_every=steps, eval_batches=2, seed=self.seed)


@dataclass
class RunResult:
    """What one run of the sweep measured."""

    size: str
    n_layer: int
    n_head: int
    n_embd: int
    parameters: int  # N: every parameter except the position embeddings
    budget: float  # the compute the run was given
    steps: int
    tokens: int  # D = steps * batch_size * context_length: training tokens, each seen once
    flops: float  # C = 6 N D: the budget, up to rounding D to whole steps
    val_nats_per_char: float  # on held-out TinyWorld 2 text
    seconds: float  # training time on the machine that ran it

    @property
    def key(self) -> str:
        """The run's name: size and budget, e.g. "M-1e+11"."""
        return run_key(self.size, self.budget)


def run_key(size: str, budget: float) -> str:
    """The name of a run (and of its cache folder): "M-1e+11" for size M with 1e11 FLOPs."""
    return f"{size}-{budget:.0e}"


@dataclass
class Sweep:
    """A finished sweep: its settings, one RunResult per (size, budget), and where its weights are cached."""

    config: SweepConfig
    runs: list[RunResult]
    folder: Path
    fingerprint: str

    def run(self, size: str, budget: float) -> RunResult:
        """The result of one run."""
        self.config.size(size)
        for result in self.runs:
            if result.size == size and result.budget == budget:
                return result
        raise ValueError(f"no run of {size} with {budget!r} FLOPs; the budgets are {self.config.budgets}.")

    def at_budget(self, budget: float) -> list[RunResult]:
        """The run of every size with one budget, smallest model first."""
        return [self.run(size.name, budget) for size in self.config.sizes]

    def of_size(self, size: str) -> list[RunResult]:
        """Every run of one size, smallest budget first."""
        return [self.run(size, budget) for budget in self.config.budgets]

    def tokenizer(self) -> Tokenizer:
        """The BPE tokenizer every model of the sweep reads."""
        return sweep_tokenizer(self.config)

    def model(self, size: str, budget: float) -> GPT:
        """The trained model of one run, in eval mode."""
        return load_checkpoint(self.folder / self.run(size, budget).key).build_model()

    def table(self) -> list[dict]:
        """One plain dict per run (for printing or a DataFrame), smallest model and budget first."""
        return [dataclasses.asdict(r) for r in self.runs]


# ----- running the sweep


def sweep_tokenizer(config: SweepConfig) -> Tokenizer:
    """The tokenizer of the pretrained model named in the config (committed: nothing to train)."""
    return pretrained(config.tokenizer, progress=False)[1]


def sweep_texts(config: SweepConfig, tokens: int) -> tuple[str, str]:
    """The training text (at least `tokens` tokens, with margin) and the validation text."""
    documents = math.ceil(tokens / 30) + 20  # a TinyWorld 2 document has about 43 tokens: a margin
    return (TinyWorld(config.world_seed).corpus_text(documents),
            TinyWorld(config.val_seed).corpus_text(config.val_documents))


def sweep_fingerprint(config: SweepConfig) -> str:
    """sha256 of the settings, the format and the first generated documents: the cache key."""
    settings = {"config": dataclasses.asdict(config), "format": SWEEP_FORMAT}
    first_documents = TinyWorld(config.world_seed).corpus_text(50)  # they change if TinyWorld does
    return cache_fingerprint(settings, first_documents.encode("utf-8"))


def training_flops(parameters: float, tokens: float) -> float:
    """About 6 N D: 2 N per token forward, twice that backward (attention's own cost left out)."""
    return 6.0 * parameters * tokens


def _read_result(folder: Path) -> RunResult | None:
    path = folder / "result.json"
    if not path.is_file():
        return None
    try:
        return RunResult(**json.loads(path.read_text(encoding="utf-8")))
    except (json.JSONDecodeError, TypeError, UnicodeDecodeError):
        return None


def _new_model(config: SweepConfig, size: ModelSize, vocab_size: int) -> GPT:
    """A size's initial weights: the same at every budget."""
    with torch.random.fork_rng():
        torch.manual_seed(config.seed)
        return GPT(config.model_config(size, vocab_size))


def _train_run(config: SweepConfig, size: ModelSize, budget: float, tokenizer: Tokenizer, data: dict,
               folder: Path) -> RunResult:
    """Train one (size, budget) run once (cached), measure it and save the result next to its weights."""
    parameters = _new_model(config, size, tokenizer.vocab_size).num_parameters(exclude_position_embeddings=True)
    steps = config.steps(parameters, budget)
    tokens = steps * config.batch_size * config.context_length

    def prepare() -> TrainingJob:
        # exactly `steps` batches of windows: every token is seen once
        return TrainingJob(_new_model(config, size, tokenizer.vocab_size), data["train_ids"][: tokens + 1],
                           data["val_ids"])

    checkpoint = trained_once(folder, config.training_config(size, steps), prepare,
                              what=f"sweep run {run_key(size.name, budget)}", progress=False)
    result = RunResult(
        size=size.name, n_layer=size.n_layer, n_head=size.n_head, n_embd=size.n_embd, parameters=parameters,
        budget=budget, steps=steps, tokens=tokens, flops=training_flops(parameters, tokens),
        val_nats_per_char=nats_per_character(checkpoint.build_model(), tokenizer, data["val_text"]),
        seconds=checkpoint.history["elapsed"][-1])
    write_text_atomically(folder / "result.json", json.dumps(dataclasses.asdict(result), indent=1))
    return result


def _sweep_data(config: SweepConfig, tokenizer: Tokenizer) -> dict:
    """The token ids every run reads (enough for the longest run) and the validation text."""
    longest = max(config.steps(_new_model(config, size, tokenizer.vocab_size).num_parameters(
        exclude_position_embeddings=True), config.budgets[-1]) for size in config.sizes)
    tokens = longest * config.batch_size * config.context_length
    train_text, val_text = sweep_texts(config, tokens)
    train_ids = torch.tensor(tokenizer.encode(train_text), dtype=torch.long)  # (N_train,)
    if len(train_ids) <= tokens:
        raise ValueError("the generated training text is too short for the longest run; raise the margin in "
                         "sweep_texts.")
    return {"train_ids": train_ids, "val_ids": torch.tensor(tokenizer.encode(val_text), dtype=torch.long),
            "val_text": val_text}


def run_sweep(config: SweepConfig | None = None, *, progress: bool = True) -> Sweep:
    """The sweep's results: read from the cache when complete, else the missing runs are trained now (once)."""
    config = SweepConfig() if config is None else config
    if not isinstance(config, SweepConfig):
        raise TypeError(f"config must be a SweepConfig, got {type(config).__name__}.")
    key = sweep_fingerprint(config)
    folder = cache_dir("scaling", key[:16])
    plan = [(size, budget, run_key(size.name, budget)) for size in config.sizes for budget in config.budgets]
    done = {run: _read_result(folder / run) for _, _, run in plan}  # measured runs: their results
    missing = [(size, budget, run) for size, budget, run in plan if done[run] is None]
    if missing:
        tokenizer = sweep_tokenizer(config)
        data = _sweep_data(config, tokenizer)
        bar = tqdm(total=len(missing), desc="scaling sweep", unit="run", disable=not progress, dynamic_ncols=True)
        for size, budget, run in missing:
            bar.set_postfix_str(run)
            done[run] = _train_run(config, size, budget, tokenizer, data, folder / run)
            bar.update(1)
        bar.close()
    return Sweep(config, [done[run] for _, _, run in plan], folder, key)


# ----- fitting the laws


@dataclass(frozen=True)
class PowerLaw:
    """L(x) = irreducible + scale * x ** -exponent, fitted by least squares on log L."""

    irreducible: float  # E: the loss that no amount of x removes
    scale: float  # A
    exponent: float  # alpha
    rms_log_error: float  # root mean square of log(fitted) - log(measured)

    def __call__(self, x: np.ndarray | float) -> np.ndarray:
        return self.irreducible + self.scale * np.asarray(x, dtype=float) ** -self.exponent


def _line_fit(log_x: np.ndarray, y: np.ndarray, irreducible: float) -> tuple[float, float, float]:
    """For a fixed E: the straight line log(L - E) = log A - alpha log x, and its error on log L."""
    slope, intercept = np.polyfit(log_x, np.log(y - irreducible), 1)
    fitted = irreducible + np.exp(intercept + slope * log_x)
    return float(np.exp(intercept)), float(-slope), float(np.sqrt(np.mean((np.log(fitted) - np.log(y)) ** 2)))


def fit_power_law(x: Sequence[float] | np.ndarray, losses: Sequence[float] | np.ndarray,
                  irreducible: float | None = None) -> PowerLaw:
    """Fit L = E + A x^-alpha to losses at sizes x (parameters or tokens); pass `irreducible` to fix E."""
    x, y = np.asarray(x, dtype=float), np.asarray(losses, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"x and losses must be 1-D and of the same length, at least 3; got {x.shape} and {y.shape}.")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("x and losses must be positive (they are read on log axes).")
    log_x = np.log(x)
    if irreducible is not None:
        if not 0 <= irreducible < y.min():
            raise ValueError(f"irreducible must lie in [0, {y.min():.4g}) (below every loss), got {irreducible!r}.")
        return PowerLaw(irreducible, *_line_fit(log_x, y, irreducible))
    top = y.min() * (1 - 1e-6)
    grid = np.linspace(0.0, top, 400)
    errors = [_line_fit(log_x, y, e)[2] for e in grid]
    best = int(np.argmin(errors))
    low, high = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    for _ in range(60):  # golden-section refinement of E between the grid neighbours of the best point
        a, b = high - 0.618 * (high - low), low + 0.618 * (high - low)
        if _line_fit(log_x, y, a)[2] < _line_fit(log_x, y, b)[2]:
            high = b
        else:
            low = a
    irreducible = (low + high) / 2
    return PowerLaw(irreducible, *_line_fit(log_x, y, irreducible))


def best_size(sweep: Sweep, budget: float) -> str:
    """The size whose run of this budget reached the lowest validation loss."""
    return min(sweep.at_budget(budget), key=lambda r: r.val_nats_per_char).size


def parabola_minimum(parameters: Sequence[float], losses: Sequence[float]) -> float:
    """The N at the bottom of a parabola fitted to loss against log N (at least three runs of one budget).

    Between the sizes a sweep trained, this estimates the compute-optimal size (Hoffmann et al., 2022, the
    IsoFLOP approach). A parabola that opens downward, or whose bottom lies outside the sizes, says the sweep
    did not bracket the optimum: that is an error, not an estimate.
    """
    x, y = np.log(np.asarray(parameters, dtype=float)), np.asarray(losses, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or len(x) < 3:
        raise ValueError(f"parameters and losses must be 1-D, of the same length, at least 3; got {x.shape} and "
                         f"{y.shape}.")
    a, b, _ = np.polyfit(x, y, 2)
    if a <= 0 or not x.min() <= -b / (2 * a) <= x.max():
        raise ValueError("the losses have no minimum between the smallest and the largest size: the sweep does not "
                         "bracket the optimum for this budget.")
    return float(math.exp(-b / (2 * a)))
