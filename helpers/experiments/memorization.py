"""How much a model remembers a secret it saw in training: exposure (Carlini et al., 2019, "The Secret Sharer").

Put a secret such as "alice's pin is 4 7 1 9 ." into the training text. Afterwards, score every candidate
of the same shape ("alice's pin is 0 0 0 0 ." ... "9 9 9 9 .") by the model's log-likelihood and rank
them, best first. A model that learned nothing about the secret ranks it somewhere in the middle; one that
memorised it ranks it first. The exposure turns the rank into bits:

    exposure = log2(number of candidates) - log2(rank of the secret)

so rank 1 among 10,000 PINs gives log2(10,000) = 13.3 bits, the most there is to expose.

A space too large to score (a 9-digit number has a billion candidates) needs an estimate: score a random
sample of candidates, fit a skew-normal distribution to their log-perplexities (`fit_skew_normal`) and
read the share of the space expected to beat the secret off its left tail (`estimated_exposure`). The
estimate also goes past log2 of the space: a secret the model prefers far beyond every candidate gets
more bits than rank 1 can show.

Extraction asks the model directly: greedy decoding after the secret's prefix, or `constrained_digits`,
which only lets digits through at each digit slot.

Simplified on purpose: candidates are scored by their log-likelihood after a fixed prefix; ties
share the best rank among them; the skew-normal is fitted by maximum likelihood with L-BFGS and its CDF is
integrated numerically (no Owen's T function), which is plenty for a few thousand samples.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from helpers.runtime import evaluating
from helpers.scoring import token_scores


def pin_candidates(template: str, digits: int = 4) -> list[str]:
    """Every text of the template's shape: "alice's pin is {} ." with digits "0 0 0 0" ... "9 9 9 9"."""
    if "{}" not in template:
        raise ValueError("template needs a '{}' where the digits go, e.g. \"alice's pin is {} .\".")
    return [template.format(" ".join(combo)) for combo in itertools.product("0123456789", repeat=digits)]


def pin_log_likelihoods(model: nn.Module, tokenizer, prefix: str, digits: int) -> torch.Tensor:
    """log P(" d d ... d" | prefix) of every PIN (10**digits,), in `pin_candidates` order.

    The PINs form a tree: the PINs that share their first digits make the model read the same text, which
    `helpers.scoring` reads once, so 10,000 four-digit PINs cost one pass over 1,000 three-digit beginnings.
    Needs a tokenizer with one token per digit and per space (a character tokenizer), so that a PIN's
    tokens are its characters' and need no encoding of their own.
    """
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be a positive int, got {digits!r}.")
    space, *digit_ids = (tokenizer.encode(c) for c in " 0123456789")
    if any(len(ids) != 1 for ids in [space, *digit_ids]):
        raise ValueError("pin_log_likelihoods needs one token per digit and per space (a character tokenizer); "
                         "score other tokenizers' candidates with helpers.scoring.continuation_log_probs.")
    context = tokenizer.encode(prefix)
    pins = [[token for digit in combo for token in (*space, *digit_ids[digit])]
            for combo in itertools.product(range(10), repeat=digits)]  # " d d d d" as ids
    with evaluating(model):
        return token_scores(model, [context] * len(pins), pins, batch_size=1000).log_prob


def rank_of(scores: torch.Tensor, index: int) -> int:
    """Rank (1 = best) of candidate `index` among `scores` (higher is better; ties share the best rank)."""
    return 1 + int((scores > scores[index]).sum())


def exposure(rank: int, n_candidates: int) -> float:
    """Bits of the secret the model gives away: log2(n_candidates) - log2(rank)."""
    if not 1 <= rank <= n_candidates:
        raise ValueError(f"rank must lie in [1, n_candidates={n_candidates}], got {rank}.")
    return math.log2(n_candidates) - math.log2(rank)


def deduplicate(documents: Sequence[str]) -> list[str]:
    """The documents with exact repeats removed (first occurrence kept): the simplest memorisation defence."""
    return list(dict.fromkeys(documents))


@dataclass(frozen=True)
class SkewNormal:
    """A skew-normal distribution: density 2/scale * phi(z) * Phi(shape * z) with z = (x - loc) / scale."""

    loc: float
    scale: float
    shape: float  # 0: the normal distribution; > 0: a longer right tail

    def log_pdf(self, x: torch.Tensor) -> torch.Tensor:
        """Natural log of the density at each x."""
        z = (torch.as_tensor(x, dtype=torch.float64) - self.loc) / self.scale
        return (math.log(2.0) - math.log(self.scale) - 0.5 * z**2 - 0.5 * math.log(2 * math.pi)
                + torch.special.log_ndtr(self.shape * z))

    def log2_cdf(self, x: float, points: int = 20_001) -> float:
        """log2 P(X <= x), integrated on a grid in log space, so far-left tails (2**-40) stay exact enough."""
        low = min(x, self.loc) - 40.0 * self.scale
        grid = torch.linspace(low, x, points, dtype=torch.float64)  # (points,)
        log_density = self.log_pdf(grid)
        weights = torch.full((points,), math.log(float(grid[1] - grid[0])), dtype=torch.float64)
        weights[[0, -1]] -= math.log(2.0)  # trapezoid rule: half weight at both ends
        return min(0.0, float(torch.logsumexp(log_density + weights, 0)) / math.log(2.0))


def fit_skew_normal(values: Sequence[float] | torch.Tensor) -> SkewNormal:
    """The maximum-likelihood skew-normal of the values (started from the method of moments)."""
    x = torch.as_tensor(values, dtype=torch.float64).flatten()
    if x.numel() < 10 or float(x.std()) == 0.0:
        raise ValueError("fit_skew_normal needs at least 10 values that are not all equal.")
    mean, std = float(x.mean()), float(x.std())
    skew = float((((x - mean) / std) ** 3).mean())
    g = min(abs(skew), 0.9) ** (2 / 3)
    delta = math.copysign(math.sqrt(math.pi / 2 * g / (g + ((4 - math.pi) / 2) ** (2 / 3))), skew)
    scale = std / math.sqrt(1 - 2 * delta**2 / math.pi)
    start = [mean - scale * delta * math.sqrt(2 / math.pi), math.log(scale), delta / math.sqrt(1 - delta**2)]
    parameters = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.LBFGS([parameters], max_iter=200, line_search_fn="strong_wolfe")

    def negative_log_likelihood() -> torch.Tensor:
        optimizer.zero_grad()
        loc, log_scale, shape = parameters
        z = (x - loc) / log_scale.exp()
        loss = -(-log_scale - 0.5 * z**2 + torch.special.log_ndtr(shape * z)).mean()
        loss.backward()
        return loss

    optimizer.step(negative_log_likelihood)
    loc, log_scale, shape = parameters.detach().tolist()
    return SkewNormal(loc, math.exp(log_scale), shape)


def estimated_exposure(secret_score: float, sample_scores: Sequence[float] | torch.Tensor) -> float:
    """Exposure estimated from a sample: -log2 of the fitted share of candidates at least as likely as the secret.

    Scores are log-likelihoods (higher = likelier); the fit is to their negatives, the log-perplexities.
    """
    fit = fit_skew_normal(-torch.as_tensor(sample_scores, dtype=torch.float64))
    return -fit.log2_cdf(-float(secret_score))


def constrained_digits(model: nn.Module, tokenizer, prompt: str, digits: int) -> str:
    """The digits greedy decoding writes after `prompt` when only digit tokens are allowed, e.g. "4 7 1 9".

    Each digit slot is written as " <digit>": the space is given, the digit is the likeliest of the ten.
    """
    digit_ids = [tokenizer.encode(d) for d in "0123456789"]
    if any(len(ids) != 1 for ids in digit_ids):
        raise ValueError("constrained_digits needs a tokenizer with one token per digit (e.g. a character one).")
    allowed = torch.tensor([ids[0] for ids in digit_ids])  # (10,)
    written: list[str] = []
    with evaluating(model):
        for _ in range(digits):
            ids = torch.tensor([tokenizer.encode(prompt + "".join(" " + d for d in written) + " ")])  # (1, T)
            logits = model(ids[:, -model.config.context_length:])[0, -1]  # (V,)
            written.append("0123456789"[int(logits[allowed].argmax())])
    return " ".join(written)
