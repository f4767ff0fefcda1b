"""Scaling (chapter 2): a sweep of small GPTs over model sizes and data sizes, and the laws fitted to it.

    sweep = run_sweep()                       # trains once (about two minutes on 2 CPU cores), then cached
    sweep.table()                             # one row per run: size, parameters, tokens, FLOPs, loss
    model, tokenizer = sweep.model("XL")      # the trained weights of one size (largest data size by default)
    sweep.model("S", tokens=102_400)          # ... or of one run: a size and a data size
    fit_power_law(parameters, losses)         # L(N) = E + A * N ** -alpha

The sweep. Every model size in `SweepConfig.sizes` is trained on every data size: every run takes the
same number of optimizer steps (`SweepConfig.steps`), with `batch_size` windows of `context_length`
tokens per step for each batch size in `SweepConfig.batch_sizes`, so a run sees D = steps * batch_size *
context_length tokens of fresh TinyWorld text, each exactly once (one epoch: data size = tokens seen).
Varying the data through the batch rather than the number of steps gives every model the same number of
updates and the same warmup-cosine schedule: with fewer steps the larger models stay far from trained
(at 100 steps of 16 windows the largest model was the worst of the five, 1.16 nats per character against
0.92 for the smallest; at 400 steps of 4 windows, the same data, it was the best, 0.63 against 0.75).
All runs read the same text (a smaller run reads a prefix of a larger run's text) and a model size starts
from the same initial weights in every run, so two runs differ only in what the sweep varies. The
validation loss is measured in nats per character (`helpers.pretrained.nats_per_character`), which does
not depend on the tokenizer, so it compares with TinyWorld's entropy floor
(`TinyWorld.entropy_floor().nats_per_char`).
For the largest data size the probes of `helpers.probes` (agreement, pronouns, sentiment with negation)
and one generated sample are recorded too.

Parameters: N counts every weight the model computes with: all parameters except the position
embeddings (the token embedding is also the output layer, so it does work at every token). Kaplan et al.
(2020) count non-embedding parameters instead; for these tiny models the output layer is a large part
of the compute, so leaving it out would misstate 6 N D.

The cache. Results and weights go to cache_dir("scaling", <fingerprint>): `tokenizer.json`, and one folder
per run ("XL-409.6k": the run's checkpoint, trained once by helpers.cached_models, and `result.json`, what
was measured on it, written last). The fingerprint
hashes the sweep's settings, a format number and a sample of the generated text, so a change to any of
them trains a new sweep in a new folder; a warm call only reads JSON. An interrupted sweep keeps its
finished runs. Chapter 7 reads the same models with `run_sweep().model(size, tokens)`.

The laws. `fit_power_law` fits L = E + A x^-alpha (loss against parameters, or against tokens) by least
squares on log L: for each E on a grid the rest is a straight line in log-log space; the best E is then
refined. `compute_optimal` asks which size reaches the lowest loss with a given budget of C = 6 N D
floating-point operations, interpolating each size's runs in log-log space (a size whose largest run
costs less than the budget keeps that run's loss: the sweep has no more data for it).

Simplified on purpose: one seed per run (no error bars), learning rates from a rule of thumb checked on
two sizes (no hyper-parameter search), and sizes and data sizes a laptop trains in minutes: the fits span
about one and a half orders of magnitude, far less than the published laws (Kaplan et al., 2020: seven).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from helpers.cached_models import TrainingJob, cached_tokenizer, trained_once
from helpers.checkpoints import load_checkpoint
from helpers.files import write_text_atomically
from helpers.generation import generate
from helpers.model import GPT, GPTConfig
from helpers.pretrained import PreparedData
from helpers.probes import phenomenon_pairs, probe_accuracies
from helpers.runtime import cache_dir, cache_fingerprint
from helpers.scoring import nats_per_character
from helpers.tinyworld import TinyWorld
from helpers.tokenizers import Tokenizer, load_tokenizer
from helpers.training import TrainingConfig

SWEEP_FORMAT = 3  # bump when the way a sweep is trained or measured changes, so caches are rebuilt


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
    """Everything that decides a sweep: sizes, data sizes, the data, the tokenizer and the training settings."""

    # narrower models take larger steps (about 1e-2 * sqrt(64 / n_embd), kept at 1e-2 for the widest): with 400
    # steps of 16 windows XS reached 0.90 / 0.67 / 0.58 nats per character at 3e-3 / 1e-2 / 2e-2, XL 0.33 / 0.28 / 0.34
    sizes: tuple[ModelSize, ...] = (
        ModelSize("XS", 1, 2, 16, 2e-2), ModelSize("S", 2, 2, 32, 1.4e-2), ModelSize("M", 2, 4, 48, 1.2e-2),
        ModelSize("L", 3, 4, 64, 1e-2), ModelSize("XL", 4, 4, 96, 1e-2))
    steps: int = 400  # optimizer steps of every run
    batch_sizes: tuple[int, ...] = (2, 4, 8, 16)  # windows per step: one data size each (D = steps * batch * context)
    context_length: int = 64
    warmup_fraction: float = 0.1
    vocab_size: int = 768
    world_seed: int = 0  # TinyWorld(world_seed) writes the training text, TinyWorld(world_seed + 1) the validation
    tokenizer_documents: int = 2000  # the BPE tokenizer learns its merges from the first documents
    val_documents: int = 300
    probe_items: int = 200  # minimal pairs per phenomenon (helpers.probes)
    sample_prompt: str = "alice is"
    sample_tokens: int = 60
    seed: int = 0  # initial weights and data order

    def __post_init__(self):
        if not self.sizes or len({s.name for s in self.sizes}) != len(self.sizes):
            raise ValueError("sizes must be a non-empty tuple of ModelSize with distinct names.")
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ValueError(f"steps must be a positive int (the same for every run), got {self.steps!r}.")
        sizes = self.batch_sizes
        if not sizes or any(isinstance(b, bool) or not isinstance(b, int) or b < 1 for b in sizes):
            raise ValueError(f"batch_sizes must be positive ints (one per data size), got {sizes!r}.")
        if list(sizes) != sorted(set(sizes)):
            raise ValueError(f"batch_sizes must be distinct and increasing, e.g. (2, 4, 8, 16); got {sizes!r}.")

    @property
    def data_sizes(self) -> tuple[int, ...]:
        """Training tokens D of each data size: steps * batch_size * context_length, smallest first."""
        return tuple(self.steps * batch * self.context_length for batch in self.batch_sizes)

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

    def training_config(self, size: ModelSize, batch_size: int) -> TrainingConfig:
        """The settings of one run: warmup, then cosine decay ending at the last step."""
        return TrainingConfig(max_steps=self.steps, batch_size=batch_size, learning_rate=size.learning_rate,
                              warmup_steps=max(1, round(self.warmup_fraction * self.steps)), min_lr_ratio=0.1,
                              weight_decay=0.1, eval_every=self.steps, eval_batches=2, seed=self.seed)


@dataclass
class RunResult:
    """What one run of the sweep measured."""

    size: str
    n_layer: int
    n_head: int
    n_embd: int
    parameters: int  # N: every parameter except the position embeddings
    steps: int
    batch_size: int
    tokens: int  # D = steps * batch_size * context_length: training tokens, each seen once
    flops: float  # C = 6 N D
    val_nats_per_char: float  # on held-out TinyWorld text
    val_loss_per_token: float  # what helpers.training measured at the end (nats per token)
    seconds: float  # training time on the machine that ran it
    probes: dict[str, float] | None = None  # accuracy per phenomenon (largest data size only)
    sample: str | None = None  # text generated from config.sample_prompt (largest data size only)

    @property
    def key(self) -> str:
        """The run's name: size and thousands of training tokens, e.g. "XL-409.6k"."""
        return run_key(self.size, self.tokens)


def run_key(size: str, tokens: int) -> str:
    """The name of a run (and of its cache folder): "XL-409.6k" for size XL on 409,600 tokens."""
    return f"{size}-{tokens / 1000:g}k"


@dataclass
class Sweep:
    """A finished sweep: its settings, one RunResult per (size, data size), and where its weights are cached."""

    config: SweepConfig
    runs: list[RunResult]
    folder: Path
    fingerprint: str
    _tokenizer: Tokenizer | None = field(default=None, repr=False)

    def run(self, size: str, tokens: int | None = None) -> RunResult:
        """The result of one run (tokens: the largest data size by default)."""
        self.config.size(size)
        tokens = self.config.data_sizes[-1] if tokens is None else tokens
        for result in self.runs:
            if result.size == size and result.tokens == tokens:
                return result
        raise ValueError(f"no run of {size} on {tokens!r} tokens; the data sizes are {self.config.data_sizes}.")

    def largest_data(self) -> list[RunResult]:
        """The run of every size on the largest data size, smallest model first."""
        return [self.run(size.name) for size in self.config.sizes]

    def tokenizer(self) -> Tokenizer:
        """The BPE tokenizer every model of the sweep reads."""
        if self._tokenizer is None:
            self._tokenizer = load_tokenizer(self.folder / "tokenizer.json")
        return self._tokenizer

    def model(self, size: str, tokens: int | None = None) -> GPT:
        """The trained model of one run (tokens: the largest data size by default), in eval mode."""
        result = self.run(size, tokens)
        return load_checkpoint(self.folder / result.key).build_model()

    def models(self, tokens: int | None = None) -> dict[str, GPT]:
        """Every size's trained model on one data size (the largest by default), by size name."""
        return {size.name: self.model(size.name, tokens) for size in self.config.sizes}

    def table(self) -> list[dict]:
        """One plain dict per run (for printing or a DataFrame), smallest model and data first."""
        return [{name: value for name, value in dataclasses.asdict(r).items() if name not in ("probes", "sample")}
                for r in self.runs]


# ----- running the sweep


def sweep_texts(config: SweepConfig) -> tuple[str, str]:
    """The training text (enough for the longest run, plus margin) and the validation text."""
    characters_needed = config.data_sizes[-1] * 6  # generous: a BPE token holds about 3.4 characters
    documents = math.ceil(characters_needed / 90)  # a TinyWorld document has ~93 characters
    train_text = TinyWorld(config.world_seed).corpus_text(documents)
    val_text = TinyWorld(config.world_seed + 1).corpus_text(config.val_documents)
    return train_text, val_text


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


def _sweep_data(config: SweepConfig, folder: Path, key: str) -> PreparedData:
    """What every run reads: the tokenizer (trained once on the first documents) and the token ids."""
    train_text, val_text = sweep_texts(config)
    tokenizer_text = "".join(train_text.splitlines(keepends=True)[: config.tokenizer_documents])
    tokenizer = cached_tokenizer(folder / "tokenizer.json", tokenizer_text, config.vocab_size, progress=False)
    train_ids = torch.tensor(tokenizer.encode(train_text), dtype=torch.long)  # (N_train,)
    if len(train_ids) <= config.data_sizes[-1]:
        raise ValueError("the generated training text is too short for the longest run; raise the margin in "
                         "sweep_texts.")
    val_ids = torch.tensor(tokenizer.encode(val_text), dtype=torch.long)  # (N_val,)
    return PreparedData(tokenizer, train_ids, val_ids, val_text, key)


def _train_run(config: SweepConfig, size: ModelSize, batch_size: int, data: PreparedData, probe_pairs: dict,
               folder: Path) -> RunResult:
    """Train one (size, data size) run once (cached), measure it and save the result next to its weights."""
    tokens = config.steps * batch_size * config.context_length
    training = config.training_config(size, batch_size)

    def prepare() -> TrainingJob:
        with torch.random.fork_rng():
            torch.manual_seed(config.seed)
            model = GPT(config.model_config(size, data.tokenizer.vocab_size))
        # exactly `steps` batches of windows: every token is seen once
        return TrainingJob(model, data.train_ids[: tokens + 1], data.val_ids)

    checkpoint = trained_once(folder, training, prepare, what=f"sweep run {run_key(size.name, tokens)}",
                              progress=False)
    model, history = checkpoint.build_model(), checkpoint.history
    parameters = model.num_parameters(exclude_position_embeddings=True)
    result = RunResult(
        size=size.name, n_layer=size.n_layer, n_head=size.n_head, n_embd=size.n_embd, parameters=parameters,
        steps=config.steps, batch_size=batch_size, tokens=tokens, flops=training_flops(parameters, tokens),
        val_nats_per_char=nats_per_character(model, data.tokenizer, data.val_text),
        val_loss_per_token=history["val_loss"][-1], seconds=history["elapsed"][-1])
    if batch_size == config.batch_sizes[-1]:  # the largest data size: probes and a sample too
        result.probes = probe_accuracies(model, data.tokenizer, probe_pairs)
        result.sample = generate(model, data.tokenizer, config.sample_prompt, config.sample_tokens, temperature=0.8,
                                 seed=config.seed)
    write_text_atomically(folder / "result.json", json.dumps(dataclasses.asdict(result), indent=1))
    return result


def run_sweep(config: SweepConfig | None = None, *, progress: bool = True) -> Sweep:
    """The sweep's results: read from the cache when complete, else the missing runs are trained now (once)."""
    config = SweepConfig() if config is None else config
    if not isinstance(config, SweepConfig):
        raise TypeError(f"config must be a SweepConfig, got {type(config).__name__}.")
    key = sweep_fingerprint(config)
    folder = cache_dir("scaling", key[:16])
    plan = [(size, batch, run_key(size.name, config.steps * batch * config.context_length))
            for size in config.sizes for batch in config.batch_sizes]
    done = {run: _read_result(folder / run) for _, _, run in plan}  # measured runs: their results
    missing = [(size, batch, run) for size, batch, run in plan if done[run] is None]
    if missing:
        data, probe_pairs = _sweep_data(config, folder, key), phenomenon_pairs(config.probe_items)
        bar = tqdm(total=len(missing), desc="scaling sweep", unit="run", disable=not progress, dynamic_ncols=True)
        for size, batch, run in missing:
            bar.set_postfix_str(run)
            done[run] = _train_run(config, size, batch, data, probe_pairs, folder / run)
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


@dataclass(frozen=True)
class BudgetChoice:
    """The size that reaches the lowest loss for a compute budget, and every size's loss at that budget."""

    budget: float  # FLOPs
    best: str
    losses: dict[str, float]  # size -> lowest loss within the budget (sizes whose smallest run fits in it)


def loss_at_budget(sweep: Sweep, size: str, budget: float) -> float | None:
    """The lowest loss a size reached with at most `budget` FLOPs on this sweep (None: its smallest run costs more).

    Between two runs the loss is interpolated in log-log space; past its largest run a size keeps that run's
    loss (the sweep has no more data for it, and the budget need not be spent).
    """
    runs = sorted((r for r in sweep.runs if r.size == size), key=lambda r: r.flops)
    log_c = np.log([r.flops for r in runs])
    log_l = np.log([r.val_nats_per_char for r in runs])
    if math.log(budget) < log_c[0] - 1e-9:
        return None
    return float(np.exp(np.interp(math.log(budget), log_c, log_l)))  # constant past the last run


def compute_optimal(sweep: Sweep, budget: float) -> BudgetChoice:
    """Which model size reaches the lowest loss with at most `budget` FLOPs (C = 6 N D) on this sweep."""
    losses = {s.name: loss_at_budget(sweep, s.name, budget) for s in sweep.config.sizes}
    losses = {name: loss for name, loss in losses.items() if loss is not None}
    if not losses:
        low = min(r.flops for r in sweep.runs)
        raise ValueError(f"every run costs more than {budget:.3g} FLOPs; choose a budget of at least {low:.3g}.")
    return BudgetChoice(budget, min(losses, key=losses.get), losses)
