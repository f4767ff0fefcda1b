"""In-context regression: a small transformer fits a new linear function from the examples in its prompt (chapter 7).

Every sequence comes from a different random function f(x) = w . x on 5-dimensional inputs (w and x drawn
from a standard normal, y = f(x) plus a little noise): x1, y1, x2, y2, ..., and at each x_k the model
predicts f(x_k) from the k - 1 pairs before it. No weight can store a function, because every sequence has
a new one; whatever the model gets right it works out from its prompt (Garg et al., 2022). Its error,
measured against the number of examples it was shown, is compared with algorithms that see the same
examples: least squares, ridge regression (for these random functions and this noise, the best any
predictor can do on average), the nearest earlier example, and answering 0 without looking.

How the pairs become vectors (`RegressionConfig.layout`):
"pairs"        one vector per question: token k holds the previous example and the new question,
               (x_{k-1}, y_{k-1}, x_k) (zeros before the first example), so an x and its y always share
               a token. The default: it trains in about two thousand steps.
"interleaved"  Garg et al.'s layout: x_k as (x_k, 0) and y_k as (0, ..., 0, y_k), alternately. The model
               must first learn to join each y to the x one token before it (a previous-token head, as in
               the induction-head experiment), and training sits far longer on a plateau.

What is here, in the order the chapter uses it:

RegressionConfig          every size of the task and the model (dimension, pairs per sequence, noise, layers)
linear_tasks              seeded random functions with their inputs, noisy outputs and true values
LinearSequences           the same as a Dataset of fresh functions for helpers.training.train
pair_tokens, interleave   the two layouts of a sequence as vectors
InContextRegressor        helpers.model.Block layers between a linear read-in and a linear read-out
regression_loss           the squared error of every prediction, divided by the dimension (the loss_fn)
least_squares_predictions, ridge_predictions, nearest_neighbour_predictions   the baselines
errors_by_examples        mean squared error (/ dimension) against the number of examples before the query
train_regression_model    train once with helpers.training, cache the checkpoint, load it afterwards

Errors are divided by the dimension, so answering 0 scores about 1: the variance of w . x is the dimension.

Simplified on purpose: one function class (dense linear, isotropic Gaussian), a fixed number of pairs per
sequence, no curriculum; learned absolute positions.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils.data import Dataset

from helpers.cached_models import TrainingJob, trained_once
from helpers.model import Block, GPTConfig
from helpers.runtime import cache_dir, cache_fingerprint, evaluating
from helpers.training import TrainingConfig, train

LAYOUTS = ("pairs", "interleaved")
CACHE_FORMAT = 1  # bump when the way the model is trained changes, so the cached model is retrained


@dataclass
class RegressionConfig:
    """The task (input dimension, pairs per sequence, noise) and the model (layers, heads, width)."""

    dim: int = 5
    n_points: int = 16  # pairs per sequence: predictions after 0, 1, ..., n_points - 1 examples
    noise_std: float = 0.5  # standard deviation of the noise added to every y the model is shown
    n_layer: int = 3
    n_head: int = 4
    n_embd: int = 64
    layout: str = "pairs"  # "pairs": (x_{k-1}, y_{k-1}, x_k) per token; "interleaved": x and y tokens in turn

    def __post_init__(self):
        for name in ("dim", "n_points", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"RegressionConfig.{name} must be a positive integer; got {value!r}.")
        if not self.noise_std >= 0:
            raise ValueError(f"RegressionConfig.noise_std must be 0 or more (e.g. 0.5); got {self.noise_std!r}.")
        if self.layout not in LAYOUTS:
            raise ValueError(f"RegressionConfig.layout must be one of {LAYOUTS}; got {self.layout!r}.")

    @property
    def tokens_per_sequence(self) -> int:
        """Positions the model reads: one per pair, or two (an x token and a y token)."""
        return self.n_points if self.layout == "pairs" else 2 * self.n_points

    @property
    def token_size(self) -> int:
        """Numbers per token: (x_{k-1}, y_{k-1}, x_k) is 2d + 1, an x or y token d + 1."""
        return 2 * self.dim + 1 if self.layout == "pairs" else self.dim + 1

    def block_config(self) -> GPTConfig:
        """The shapes helpers.model.Block needs (the model reads vectors, so there is no vocabulary: size 1)."""
        return GPTConfig(vocab_size=1, context_length=self.tokens_per_sequence, n_layer=self.n_layer,
                         n_head=self.n_head, n_embd=self.n_embd)


@dataclass
class LinearTasks:
    """Random linear functions with their inputs, the noisy outputs shown, and the true values to predict."""

    xs: torch.Tensor  # (N, K, d)
    ys: torch.Tensor  # (N, K): w . x + noise, what the prompt shows
    targets: torch.Tensor  # (N, K): w . x, what a prediction is scored against
    weights: torch.Tensor  # (N, d): each function's w


def linear_tasks(n_functions: int, config: RegressionConfig | None = None, *, seed: int = 0) -> LinearTasks:
    """`n_functions` random functions f(x) = w . x, each with n_points inputs, seeded."""
    config = config or RegressionConfig()
    if isinstance(n_functions, bool) or not isinstance(n_functions, int) or n_functions < 1:
        raise ValueError(f"n_functions must be a positive integer; got {n_functions!r}.")
    generator = torch.Generator().manual_seed(seed)
    weights = torch.randn(n_functions, config.dim, generator=generator)  # (N, d)
    xs = torch.randn(n_functions, config.n_points, config.dim, generator=generator)  # (N, K, d)
    targets = torch.einsum("nkd,nd->nk", xs, weights)  # (N, K)
    noise = config.noise_std * torch.randn(n_functions, config.n_points, generator=generator)  # (N, K)
    return LinearTasks(xs, targets + noise, targets, weights)


class LinearSequences(Dataset):
    """A new random function per item, drawn from (seed, index): as many as training needs, none stored.

    Item i of seed s is linear_tasks(1, seed=10_000_000 * (s + 1) + i), so held-out functions drawn with
    linear_tasks(..., seed) for any seed below 10,000,000 are never among the training ones.
    """

    def __init__(self, n_sequences: int, config: RegressionConfig, *, seed: int = 0):
        if n_sequences > 10_000_000:
            raise ValueError(f"at most 10,000,000 sequences per seed; got {n_sequences:,}. Train fewer steps or "
                             "with a smaller batch.")
        self.n_sequences, self.config, self.seed = n_sequences, config, seed

    def __len__(self) -> int:
        return self.n_sequences

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        tasks = linear_tasks(1, self.config, seed=10_000_000 * (self.seed + 1) + index)
        return tasks.xs[0], tasks.ys[0], tasks.targets[0]  # (K, d), (K,), (K,)


def pair_tokens(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """One token per question (N, K, 2d + 1): token k is (x_{k-1}, y_{k-1}, x_k), the first one (0, 0, x_1)."""
    _check_pairs(xs, ys)
    previous_x = torch.cat([torch.zeros_like(xs[:, :1]), xs[:, :-1]], dim=1)  # (N, K, d)
    previous_y = torch.cat([torch.zeros_like(ys[:, :1]), ys[:, :-1]], dim=1)  # (N, K)
    return torch.cat([previous_x, previous_y[..., None], xs], dim=-1)


def _check_pairs(xs: torch.Tensor, ys: torch.Tensor) -> None:
    if xs.dim() != 3 or ys.shape != xs.shape[:2]:
        raise ValueError(f"xs must be (N, K, d) and ys (N, K); got {tuple(xs.shape)} and {tuple(ys.shape)}.")


def interleave(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """The pairs as one sequence (N, 2K, d + 1): x_k as (x_k, 0) at position 2k, y_k as (0, ..., 0, y_k) after it."""
    _check_pairs(xs, ys)
    N, K, d = xs.shape
    tokens = xs.new_zeros(N, K, 2, d + 1)  # (N, K, 2, d + 1): an x token and a y token per pair
    tokens[:, :, 0, :d] = xs
    tokens[:, :, 1, d] = ys
    return tokens.view(N, 2 * K, d + 1)


class InContextRegressor(nn.Module):
    """A GPT without a vocabulary: a linear read-in of each vector, GPT blocks (helpers.model.Block), one number out.

    At the token of question k (in "interleaved", the x_k token) the model has seen the earlier pairs and x_k,
    never y_k: its output there is its guess of f(x_k).
    """

    def __init__(self, config: RegressionConfig):
        super().__init__()
        if not isinstance(config, RegressionConfig):
            raise TypeError(f"InContextRegressor needs a RegressionConfig; got {type(config).__name__}.")
        self.config = config
        blocks = config.block_config()
        self.read_in = nn.Linear(config.token_size, config.n_embd)
        self.wpe = nn.Embedding(blocks.context_length, config.n_embd)  # position embeddings
        self.h = nn.ModuleList(Block(blocks) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd)
        self.read_out = nn.Linear(config.n_embd, 1)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
        """Predictions (N, K) of f(x_k) from the pairs before k, for inputs xs (N, K, d) and outputs ys (N, K)."""
        if xs.dim() != 3 or xs.size(-1) != self.config.dim or xs.size(1) > self.config.n_points:
            raise ValueError(
                f"xs must be (N, K, {self.config.dim}) with K at most {self.config.n_points}; got {tuple(xs.shape)}."
            )
        pairs = self.config.layout == "pairs"
        tokens = pair_tokens(xs, ys) if pairs else interleave(xs, ys)  # (N, T, token_size), T = K or 2K
        positions = torch.arange(tokens.size(1), device=tokens.device)  # (T,)
        x = self.read_in(tokens) + self.wpe(positions)  # (N, T, C)
        for block in self.h:
            x, _ = block(x)
        questions = x if pairs else x[:, 0::2]  # (N, K, C): where each f(x_k) is predicted
        return self.read_out(self.ln_f(questions))[..., 0]  # (N, K)


def regression_loss(model: nn.Module, batch: tuple[torch.Tensor, torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """Mean squared error of every prediction against the true f(x_k), divided by the dimension (a loss_fn)."""
    xs, ys, targets = batch  # (B, K, d), (B, K), (B, K)
    return ((model(xs, ys) - targets) ** 2).mean() / xs.size(-1)


def _examples_before(xs: torch.Tensor, ys: torch.Tensor, k: int) -> tuple[torch.Tensor, torch.Tensor]:
    return xs[:, :k], ys[:, :k, None]  # (N, k, d), (N, k, 1)


def least_squares_predictions(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """(N, K): at each k, the least-squares fit of the k earlier pairs (the smallest w when k < d), applied to x_k."""
    predictions = torch.zeros_like(ys)
    for k in range(1, xs.size(1)):
        X, Y = _examples_before(xs.double(), ys.double(), k)
        w = torch.linalg.pinv(X) @ Y  # (N, d, 1)
        predictions[:, k] = (xs[:, k, None].double() @ w)[:, 0, 0].to(ys.dtype)
    return predictions


def ridge_predictions(xs: torch.Tensor, ys: torch.Tensor, penalty: float) -> torch.Tensor:
    """(N, K): at each k, ridge regression (least squares plus penalty * |w|^2) on the k earlier pairs, applied to x_k.

    With penalty = noise variance it is the average of all functions that fit the examples, weighted by how
    well: the best possible prediction for functions and noise drawn as `linear_tasks` draws them.
    """
    if not penalty > 0:
        raise ValueError(f"penalty must be positive (e.g. the noise variance); got {penalty!r}.")
    d = xs.size(-1)
    predictions = torch.zeros_like(ys)
    for k in range(1, xs.size(1)):
        X, Y = _examples_before(xs.double(), ys.double(), k)
        gram = X.transpose(1, 2) @ X + penalty * torch.eye(d, dtype=X.dtype)  # (N, d, d)
        w = torch.linalg.solve(gram, X.transpose(1, 2) @ Y)  # (N, d, 1)
        predictions[:, k] = (xs[:, k, None].double() @ w)[:, 0, 0].to(ys.dtype)
    return predictions


def nearest_neighbour_predictions(xs: torch.Tensor, ys: torch.Tensor) -> torch.Tensor:
    """(N, K): at each k, the y of the earlier example whose x is closest to x_k (0 with no example)."""
    distances = torch.cdist(xs, xs)  # (N, K, K)
    earlier = torch.ones(xs.size(1), xs.size(1), dtype=torch.bool).tril(-1)  # (K, K): key j < query k
    distances = distances.masked_fill(~earlier, float("inf"))
    nearest = distances.argmin(dim=-1)  # (N, K)
    predictions = ys.gather(1, nearest)
    predictions[:, 0] = 0.0
    return predictions


def errors_by_examples(predictions: torch.Tensor, targets: torch.Tensor, dim: int) -> torch.Tensor:
    """(K,): mean squared error / dim of the predictions made after 0, 1, ..., K - 1 examples."""
    if predictions.shape != targets.shape or predictions.dim() != 2:
        raise ValueError(
            f"predictions and targets must both be (N, K); got {tuple(predictions.shape)} and {tuple(targets.shape)}."
        )
    return ((predictions - targets) ** 2).mean(dim=0) / dim


def model_predictions(model: InContextRegressor, xs: torch.Tensor, ys: torch.Tensor,
                      batch_size: int = 512) -> torch.Tensor:
    """(N, K): the model's predictions, computed in batches in evaluation mode."""
    with evaluating(model):
        return torch.cat([model(xs[i : i + batch_size], ys[i : i + batch_size]) for i in range(0, len(xs), batch_size)])


@dataclass
class RegressionRun:
    """A trained model and its training history (loss every `eval_every` steps)."""

    model: InContextRegressor
    history: dict  # lists "step", "train_loss", "val_loss", "elapsed", ... (helpers.training.History.as_dict())


def _cache_key(config: RegressionConfig, training: TrainingConfig) -> str:
    settings = {"model": dataclasses.asdict(config), "training": dataclasses.asdict(training), "format": CACHE_FORMAT}
    return cache_fingerprint(settings)


def train_regression_model(
    config: RegressionConfig | None = None,
    *,
    max_steps: int = 2000,
    batch_size: int = 64,
    learning_rate: float = 1e-3,
    eval_every: int = 100,
    seed: int = 0,
    cache: bool = True,
    progress: bool = True,
) -> RegressionRun:
    """Train an InContextRegressor on fresh random functions; with cache=True, train once and load it afterwards."""
    config = config or RegressionConfig()
    training = TrainingConfig(max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate,
                              warmup_steps=max(1, max_steps // 20), weight_decay=0.0, eval_every=eval_every,
                              eval_batches=4, seed=seed)

    def prepare() -> TrainingJob:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            model = InContextRegressor(config)
        train_set = LinearSequences(max_steps * batch_size, config, seed=seed)
        val_set = LinearSequences(4 * batch_size, config, seed=seed + 1)
        return TrainingJob(model, train_set, val_set)

    if not cache:
        job = prepare()
        history = train(job.model, job.train_data, job.val_data, training, loss_fn=regression_loss, progress=progress)
        return RegressionRun(job.model.eval(), history.as_dict())
    folder = cache_dir("in_context_regression", _cache_key(config, training)[:16])
    checkpoint = trained_once(folder, training, prepare, what="in-context regression model", loss_fn=regression_loss,
                              progress=progress)
    model = checkpoint.build_model(lambda saved: InContextRegressor(RegressionConfig(**saved)))
    return RegressionRun(model, checkpoint.history)
