"""Checkers for the exercises that ask for code: run the learner's function on fixed inputs, compare it with the
series' own version and, when it differs, name the classic mistake it matches.

    check_attention(my_attention)        # my_attention(q, k, v, n_head): (T, C) each -> (T, C), causal
    check_reweight(my_reweight)          # my_reweight(logits, temperature, top_k, top_p) -> probabilities
    check_training_step(my_step)         # my_step(model, optimizer, ids) -> loss; ids (B, T + 1)
    check_evaluation(my_evaluate)        # my_evaluate(model, ids) -> loss, leaving the model as it was

Each prints what it checked when the function is right, and raises ExerciseMistake (an AssertionError, so an
exercise cell stops there) naming the mistake when it matches one, or the largest difference when it matches
none. Each mistake is a few lines of its own, so a test can plant it and see it named.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable

import torch
import torch.nn.functional as F

from helpers.attention import scaled_dot_product_attention
from helpers.generation import reweight
from helpers.model import GPT, GPTConfig
from helpers.runtime import evaluating


class ExerciseMistake(AssertionError):
    """The learner's code gives other numbers than the series' version; the message says which mistake it looks like."""


def _same(a, b) -> bool:
    a, b = torch.as_tensor(a, dtype=torch.float64), torch.as_tensor(b, dtype=torch.float64)
    return a.shape == b.shape and torch.allclose(a, b, rtol=1e-4, atol=1e-5, equal_nan=True)


def _verdict(what: str, got, expected, mistakes: dict[str, object]) -> None:
    """Pass, or raise naming the first mistake whose output the learner's equals."""
    if _same(got, expected):
        return
    for mistake, output in mistakes.items():
        if _same(got, output):
            raise ExerciseMistake(f"{what} is not right yet: it gives exactly what code with this mistake gives: "
                                  f"{mistake}")
    got, expected = torch.as_tensor(got, dtype=torch.float64), torch.as_tensor(expected, dtype=torch.float64)
    detail = (f"shape {tuple(got.shape)} instead of {tuple(expected.shape)}" if got.shape != expected.shape
              else f"largest difference {(got - expected).abs().nan_to_num(math.inf).max().item():.3g}")
    raise ExerciseMistake(f"{what} is not right yet ({detail}), and it matches none of the usual mistakes: "
                          "print its output next to the expected one on a small input.")


# ----- attention (chapter 3)


def attention_written_out(q, k, v, n_head: int, *, scale_by: str = "head", mask_shift: int = 0, causal: bool = True,
                          softmax_dim: int = -1) -> torch.Tensor:
    """Causal multi-head attention of (T, C) queries, keys and values, with the knobs the usual mistakes turn."""
    T, C = q.shape
    size = C // n_head

    def heads(x):
        return x.view(T, n_head, size).transpose(0, 1)  # (T, C) -> (n_head, T, size)
    scale = {"head": math.sqrt(size), "model": math.sqrt(C), "none": 1.0}[scale_by]
    scores = heads(q) @ heads(k).transpose(-2, -1) / scale  # (n_head, T, T)
    if causal:
        allowed = torch.ones(T, T, dtype=torch.bool).tril(mask_shift)
        scores = scores.masked_fill(~allowed, float("-inf"))
    return (scores.softmax(softmax_dim) @ heads(v)).transpose(0, 1).reshape(T, C)


ATTENTION_MISTAKES = {
    "scores divided by the square root of the model width (d_model) instead of the head size (d_head)":
        dict(scale_by="model"),
    "scores not scaled at all (divide by math.sqrt(d_head))": dict(scale_by="none"),
    "the mask is off by one: a token cannot see itself (use tril(), whose diagonal is kept)": dict(mask_shift=-1),
    "the mask is off by one: a token sees the token after it": dict(mask_shift=1),
    "no causal mask: a token sees the future": dict(causal=False),
    "softmax over the wrong axis (the queries): each row of weights must sum to 1 over the keys, softmax(dim=-1)":
        dict(softmax_dim=-2),
}


def check_attention(attention: Callable) -> None:
    """attention(q, k, v, n_head) must give causal multi-head attention (no output projection) of (T, C) inputs."""
    generator = torch.Generator().manual_seed(0)
    n_head, T, C = 2, 6, 8
    q, k, v = (torch.randn(T, C, generator=generator) * 2 for _ in range(3))
    expected, _ = scaled_dot_product_attention(*(x.view(1, T, n_head, C // n_head).transpose(1, 2) for x in (q, k, v)))
    expected = expected.transpose(1, 2).reshape(T, C)
    got = attention(q.clone(), k.clone(), v.clone(), n_head)
    mistakes = {name: attention_written_out(q, k, v, n_head, **knobs) for name, knobs in ATTENTION_MISTAKES.items()}
    _verdict("your attention", got, expected, mistakes)
    print(f"your attention matches helpers.attention on {n_head} heads of {T} positions x {C} channels")


# ----- sampling (chapter 4)


def reweight_written_out(logits, temperature, top_k, top_p, *, multiply: bool = False, k_shift: int = 0,
                         keep_crossing: bool = True, temperature_last: bool = False,
                         renormalise: bool = True) -> torch.Tensor:
    """Temperature, top-k, top-p on a (V,) vector of distinct logits, with the knobs the usual mistakes turn."""
    if temperature == 0:
        return F.one_hot(logits.argmax(), logits.numel()).float()
    tempered = logits * temperature if multiply else logits / temperature
    scores = logits if temperature_last else tempered
    order = scores.argsort(descending=True)
    keep = torch.ones(logits.numel(), dtype=torch.bool)
    if top_k is not None:
        keep[order[top_k + k_shift:]] = False
    if top_p is not None:
        probabilities = scores.masked_fill(~keep, float("-inf")).softmax(-1)[order]
        before = probabilities.cumsum(0) - probabilities
        inside = before < top_p if keep_crossing else before + probabilities <= top_p
        keep[order[~inside]] = False
    kept = tempered.masked_fill(~keep, float("-inf")).softmax(-1)
    return kept if renormalise else tempered.softmax(-1) * keep


SAMPLING_MISTAKES = {
    "the logits are multiplied by the temperature: divide them (a temperature below 1 must sharpen)":
        dict(multiply=True),
    "top-k keeps one token too many": dict(k_shift=1),
    "top-k keeps one token too few": dict(k_shift=-1),
    "top-p drops the token that crosses p: keep every token until the ones before it hold p":
        dict(keep_crossing=False),
    "top-p (and top-k) chose the tokens before the temperature was applied: apply the temperature first":
        dict(temperature_last=True),
    "the kept probabilities are not renormalised: take the softmax after setting the others to -inf":
        dict(renormalise=False),
}
SAMPLING_SETTINGS = ((1.0, None, None), (0.5, None, None), (2.0, 3, None), (1.0, 4, None), (0.5, None, 0.8),
                     (2.0, None, 0.6), (1.5, 5, 0.7), (0.0, None, None))


def check_reweight(sample_probabilities: Callable) -> None:
    """sample_probabilities(logits, temperature, top_k, top_p) must give helpers.generation.reweight's numbers."""
    logits = torch.tensor([2.0, -1.0, 0.5, 3.1, 1.2, -0.3, 0.9, 2.4, -2.2, 1.7])  # distinct: no ties to break
    for temperature, top_k, top_p in SAMPLING_SETTINGS:
        setting = f"temperature={temperature}, top_k={top_k}, top_p={top_p}"
        got = sample_probabilities(logits.clone(), temperature, top_k, top_p)
        mistakes = {name: reweight_written_out(logits, temperature, top_k, top_p, **knobs)
                    for name, knobs in SAMPLING_MISTAKES.items()}
        _verdict(f"with {setting}, your probabilities", got, reweight(logits, temperature, top_k, top_p), mistakes)
    print(f"your sampling matches helpers.generation.reweight in {len(SAMPLING_SETTINGS)} settings")


# ----- a training step and an evaluation (chapter 5)


def _tiny_model(dropout: float) -> GPT:
    torch.manual_seed(0)
    return GPT(GPTConfig(vocab_size=17, context_length=8, n_layer=1, n_head=2, n_embd=16, dropout=dropout))


def _batch() -> torch.Tensor:
    return torch.randint(0, 17, (4, 9), generator=torch.Generator().manual_seed(1))  # (B, T + 1)


def step_written_out(model, optimizer, ids, *, shift: bool = True, zero_grad: bool = True) -> float:
    """One training step on (B, T + 1) ids, with the knobs the usual mistakes turn."""
    inputs, targets = (ids[:, :-1], ids[:, 1:]) if shift else (ids[:, :-1], ids[:, :-1])
    if zero_grad:
        optimizer.zero_grad()
    loss = F.cross_entropy(model(inputs).flatten(0, 1), targets.flatten())
    loss.backward()
    optimizer.step()
    return loss.item()


TRAINING_MISTAKES = {
    "the targets are the inputs themselves, not shifted by one: predict ids[:, 1:] from ids[:, :-1]":
        dict(shift=False),
    "the gradients are never zeroed: call optimizer.zero_grad() before backward(), or they add up step after step":
        dict(zero_grad=False),
}


def _three_steps(step: Callable) -> list[float]:
    """Losses of three steps, then the model's loss on the batch: a missing zero_grad shows from the second."""
    model = _tiny_model(0.0)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2)
    ids = _batch()
    losses = [float(step(model, optimizer, ids)) for _ in range(3)]
    with evaluating(model):
        losses.append(F.cross_entropy(model(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten()).item())
    return losses


def check_training_step(training_step: Callable) -> None:
    """training_step(model, optimizer, ids) must do one next-token step on (B, T + 1) ids and return the loss."""
    mistakes = {name: _three_steps(lambda m, o, i, knobs=knobs: step_written_out(m, o, i, **knobs))
                for name, knobs in TRAINING_MISTAKES.items()}
    _verdict("your training step", _three_steps(training_step), _three_steps(step_written_out), mistakes)
    print("your training step gives the same losses and weights as the series' for three steps")


def check_evaluation(evaluate: Callable) -> None:
    """evaluate(model, ids) must give the next-token loss without dropout, change nothing, and leave a model that
    was training in training mode."""
    model, ids = _tiny_model(0.5).train(), _batch()
    before = copy.deepcopy(model.state_dict())
    torch.manual_seed(2)
    first, second = float(evaluate(model, ids)), float(evaluate(model, ids))
    still_training = model.training
    if any(not torch.equal(value, model.state_dict()[name]) for name, value in before.items()):
        raise ExerciseMistake("your evaluation changed the weights: evaluate under torch.no_grad() and take no "
                              "optimizer step.")
    if not _same(first, second):
        raise ExerciseMistake("your evaluation gives a different loss each time: dropout is still on. Call "
                              "model.eval() first (or use helpers.runtime.evaluating(model)).")
    with evaluating(model):
        logits = model(ids[:, :-1]).flatten(0, 1)
        expected = F.cross_entropy(logits, ids[:, 1:].flatten()).item()
        unshifted = F.cross_entropy(logits, ids[:, :-1].flatten()).item()
    _verdict("your evaluation", first, expected, {
        "the targets are not shifted by one: compare model(ids[:, :-1]) with ids[:, 1:]": unshifted})
    if not still_training:
        raise ExerciseMistake("your evaluation leaves the model in evaluation mode, so the training that follows "
                              "runs without dropout: call model.train() afterwards (or use "
                              "helpers.runtime.evaluating(model), which does).")
    print("your evaluation gives the loss without dropout and leaves the model training")
