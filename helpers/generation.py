"""From logits to text: next-token distributions and sampling (chapters 1 and 4).

reweight                 logits -> probabilities after temperature, top-k and top-p (pure, no model)
prompt_ids               text -> the ids a prompt starts from (an empty one: the end-of-text token)
next_token_distribution  text -> the probabilities the widgets show for the next token (next_token_logits: ids ->
                         the scores they come from)
generate_ids / generate  sample one token at a time, with a seed, stop tokens, a KV cache and batches

Decisions a learner can rely on:
- Order: temperature first, then top-k, then top-p (as transformers does). Temperature 0 means greedy:
  a one-hot on the highest logit (the lowest id among equal highest logits).
- top-k keeps exactly k tokens. When tokens tie at the cut, the lower ids are kept. A top_k larger than
  the vocabulary keeps the whole vocabulary (it is not an error: "at most k").
- top-p keeps the smallest set of most likely tokens whose probabilities add up to at least p (the most
  likely token always survives); ties are again ordered by id. top_p=1 keeps everything.
- A prompt longer than the context is cropped to its last context_length tokens, with a warning; the
  returned ids and text still start with the whole prompt. Generation never feeds the model more than
  context_length positions: past it, the window slides (and the KV cache, once full, gives way to
  recomputing the last context_length positions at each step, which gives the same tokens).
- Generation stops before a stop token: the stop token is not part of the result. A batch of prompts (of
  equal length) is continued together, each row ending before its first stop token.
- `adjust_logits(ids so far, logits)` may change the logits before the settings apply (the watermark of
  chapter 8 adds to some tokens' logits).
- An empty prompt starts from the tokenizer's end-of-text token when it has one; otherwise ValueError.
- Any model that maps ids (B, T) to logits (B, T, vocab_size) and has config.vocab_size and
  config.context_length can generate (chapter 1's models); the KV cache is used for models whose forward
  takes `cache` and `last_only`, as helpers.model.GPT does.
- seed=None samples from torch's global generator (helpers.runtime.seed_everything controls it); a seed
  uses a private torch.Generator, so the same seed gives the same text whatever ran before.
"""

from __future__ import annotations

import inspect
import math
import operator
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial

import torch
from torch import nn

from helpers.attention import KVCache
from helpers.checks import check_model, check_tokenizer
from helpers.runtime import evaluating, model_device


def _check_settings(temperature: float, top_k: int | None, top_p: float | None) -> None:
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float)) or math.isnan(temperature):
        raise TypeError(
            f"temperature must be a number >= 0 (0 = greedy, 1 = unchanged); got {temperature!r}."
        )
    if temperature < 0 or math.isinf(temperature):
        raise ValueError(
            f"temperature must be >= 0 and finite (0 = greedy, 1 = unchanged); got {temperature}."
        )
    if top_k is not None:
        if isinstance(top_k, bool) or not isinstance(top_k, int):
            raise TypeError(f"top_k must be a whole number >= 1 or None (no limit); got {top_k!r}.")
        if top_k < 1:
            raise ValueError(f"top_k must be >= 1 (or None for no limit); got {top_k}.")
    if top_p is not None:
        if isinstance(top_p, bool) or not isinstance(top_p, (int, float)):
            raise TypeError(f"top_p must be a number in (0, 1] or None (no limit); got {top_p!r}.")
        if not 0.0 < top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], e.g. 0.9 (or None for no limit); got {top_p}.")


def reweight(
    logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None, top_p: float | None = None
) -> torch.Tensor:
    """Turn logits (..., vocab_size) into the probabilities one samples from, after the sampling settings."""
    _check_settings(temperature, top_k, top_p)
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        raise TypeError(
            f"logits must be a floating-point tensor; got {getattr(logits, 'dtype', type(logits))}."
        )
    if logits.dim() == 0 or logits.size(-1) == 0:
        raise ValueError(
            f"logits must have a vocabulary dimension (..., vocab_size); got {tuple(logits.shape)}."
        )
    logits = logits.float()
    highest = logits.amax(dim=-1, keepdim=True)  # (..., 1); NaN anywhere in a row makes its maximum NaN
    if torch.isnan(highest).any():
        raise ValueError("logits contain NaN; the model's output is broken (check its weights and inputs).")
    if torch.isneginf(highest).any():
        raise ValueError("every logit is -inf, so no token can be chosen.")
    if temperature == 0:
        # argmax returns the first of equal maxima: the lowest id.
        return nn.functional.one_hot(logits.argmax(dim=-1), logits.size(-1)).float()  # (..., V)
    # Subtracting the maximum first keeps a tiny temperature from overflowing to inf.
    scaled = (logits - highest) / temperature  # (..., V), the best token at 0
    if (top_k is not None and top_k < logits.size(-1)) or (top_p is not None and top_p < 1.0):
        # A stable sort orders equal logits by id, which is the tie rule of both top-k and top-p. It sorts
        # the logits as given: the shift above can round two different logits to the same number.
        order = torch.sort(logits, dim=-1, descending=True, stable=True).indices  # (..., V)
        ranked = scaled.gather(-1, order)  # (..., V), descending
        keep = torch.ones_like(ranked, dtype=torch.bool)  # (..., V) in ranked order
        if top_k is not None:
            keep[..., top_k:] = False
        if top_p is not None and top_p < 1.0:
            ranked_probabilities = torch.softmax(ranked.masked_fill(~keep, float("-inf")).double(), dim=-1)
            mass_before = ranked_probabilities.cumsum(dim=-1) - ranked_probabilities  # (..., V)
            keep &= mass_before < top_p  # keep while the tokens before it hold less than p
        scaled = scaled.masked_fill(~keep.scatter(-1, order, keep), float("-inf"))  # back to id order
    return torch.softmax(scaled, dim=-1)  # (..., V)


def _supports_cache(model: nn.Module) -> bool:
    """True for models that take a KVCache like helpers.model.GPT; others are simply recomputed each step."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" in parameters and "last_only" in parameters and hasattr(model.config, "n_layer")


def _stop_set(stop_tokens: Iterable[int] | None) -> set[int]:
    if stop_tokens is None:
        return set()
    if isinstance(stop_tokens, (str, int)):
        raise TypeError(f"stop_tokens is a list of token ids, e.g. [tokenizer.eot_id]; got {stop_tokens!r}.")
    stops = list(stop_tokens)
    if not all(isinstance(t, int) and not isinstance(t, bool) for t in stops):
        raise TypeError(f"stop_tokens must hold token ids (ints), e.g. [tokenizer.eot_id]; got {stops!r}.")
    return set(stops)


def prompt_ids(tokenizer, text: str) -> list[int]:
    """Encode a prompt; an empty one starts from the end-of-text token when the tokenizer has one."""
    if not isinstance(text, str):
        raise TypeError(f"the prompt must be a str; got {type(text).__name__}.")
    ids = tokenizer.encode(text)
    if ids:
        return list(ids)
    eot_id = getattr(tokenizer, "eot_id", None)
    if eot_id is None:
        raise ValueError(
            f"the prompt {text!r} gives no tokens and this tokenizer has no end-of-text token to start from; "
            "type at least one character the tokenizer knows."
        )
    return [eot_id]


def _window(ids: list[int], context_length: int) -> list[int]:
    if len(ids) > context_length:
        warnings.warn(
            f"the prompt has {len(ids)} tokens but the model sees at most {context_length}; "
            f"only the last {context_length} are used.",
            stacklevel=3,
        )
    return ids[-context_length:]


def next_token_distribution(
    model: nn.Module,
    tokenizer,
    text: str,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> torch.Tensor:
    """Return the model's probabilities (vocab_size,) for the token after `text`, as the widgets show them."""
    _check_settings(temperature, top_k, top_p)
    check_tokenizer(tokenizer, model)
    ids = _window(prompt_ids(tokenizer, text), model.config.context_length)
    return reweight(next_token_logits(model, ids), temperature, top_k, top_p)


def next_token_logits(model: nn.Module, ids: Sequence[int]) -> torch.Tensor:
    """The model's scores (vocab_size,) for the token after ids (only the last context_length ids count)."""
    if not len(ids):
        raise ValueError("There are no tokens to continue: type a prompt.")
    window = list(ids)[-model.config.context_length :]
    with evaluating(model):
        return model(torch.tensor([window], device=model_device(model)))[0, -1].float().cpu()  # (vocab_size,)


LogitsHook = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (ids so far (B, T), logits (B, V)) -> logits


def generate_ids(
    model: nn.Module,
    ids: Sequence[int] | Sequence[Sequence[int]] | torch.Tensor,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop_tokens: Iterable[int] | None = None,
    use_cache: bool = True,
    adjust_logits: LogitsHook | None = None,
) -> list[int] | list[list[int]]:
    """Continue token ids; return the prompt's ids followed by the new ones.

    ids is one sequence (a list or a 1-D tensor), or a batch of prompts of equal length (a list of lists or a
    (B, T) tensor), which gives a list per prompt. adjust_logits(ids so far, logits) may change the next-token
    logits before the sampling settings apply (a watermark adds to some of them).
    """
    _check_settings(temperature, top_k, top_p)
    check_model(model)
    prompts, batched = _prompts(ids)
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"max_new_tokens must be a whole number >= 0; got {max_new_tokens!r}.")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise ValueError(f"seed must be a non-negative integer or None; got {seed!r}.")
    context_length = model.config.context_length
    device = model_device(model)
    generator = None if seed is None else torch.Generator(device=device).manual_seed(seed)
    stops = torch.tensor(sorted(_stop_set(stop_tokens)), dtype=torch.long, device=device)
    tokens = torch.tensor([_window(prompt, context_length) for prompt in prompts], device=device)  # (B, T)
    generated = tokens
    cacheable = _supports_cache(model)
    cache = KVCache(model.config.n_layer, context_length) if use_cache and cacheable else None
    stopped = torch.zeros(len(prompts), dtype=torch.bool, device=device)  # (B,) rows that wrote a stop token
    with evaluating(model), _weights_stored_transposed(model):
        for step in range(max_new_tokens):
            if step == 0:
                inputs, step_cache = tokens, cache
            elif cache is not None and cache.length < context_length:
                inputs, step_cache = generated[:, -1:], cache  # the cache holds everything before it
            else:
                # No cache, or a full one: recompute over the last context_length tokens (the window slides).
                inputs, step_cache = generated[:, -context_length:], None
            if cacheable:
                logits = model(inputs, cache=step_cache, last_only=True)[:, -1]  # (B, V)
            else:
                logits = model(inputs)[:, -1]  # (B, V)
            if adjust_logits is not None:
                logits = adjust_logits(generated, logits)
            probabilities = reweight(logits, temperature, top_k, top_p)  # (B, V)
            if temperature == 0:
                chosen = probabilities.argmax(dim=-1)  # (B,)
            else:
                chosen = torch.multinomial(probabilities, 1, generator=generator)[:, 0]  # (B,)
            if len(stops):
                stopped |= torch.isin(chosen, stops)
                if bool(stopped.all()):
                    break
            generated = torch.cat([generated, chosen[:, None]], dim=1)  # (B, T + 1)
    new_tokens = generated[:, tokens.size(1):].tolist()
    results = [prompt + _before_stop(row, stops.tolist()) for prompt, row in zip(prompts, new_tokens, strict=True)]
    return results if batched else results[0]


@contextmanager
def _weights_stored_transposed(model: nn.Module) -> Iterator[None]:
    """For the length of a generation, let every nn.Linear multiply by a copy of its weight stored (in, out).

    A generated token multiplies one vector by every weight matrix of the model, so generation is bound by
    reading those matrices from memory, and MKL reads a matrix stored (in, out), as GPT-2's own Conv1D layers
    store it, about a quarter faster than nn.Linear's (out, in). Same numbers up to rounding; the copies cost the
    weights' memory once more while the call lasts.
    """
    switched = []
    for module in model.modules():
        if type(module) is nn.Linear:
            module.forward = partial(_transposed_linear, weight=module.weight.detach().t().contiguous(),
                                     bias=module.bias)  # an instance attribute: it shadows nn.Linear.forward
            switched.append(module)
    try:
        yield
    finally:
        for module in switched:
            del module.forward


def _transposed_linear(x: torch.Tensor, *, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    flat = x.reshape(-1, x.size(-1))  # (N, in)
    out = flat @ weight if bias is None else torch.addmm(bias, flat, weight)  # (N, out)
    return out.view(*x.shape[:-1], weight.size(1))


def _prompts(ids) -> tuple[list[list[int]], bool]:
    """The prompt(s) as lists of ints, and whether a batch was given; or an error that says what to pass."""
    if isinstance(ids, torch.Tensor):
        if ids.dim() not in (1, 2) or ids.is_floating_point():
            raise ValueError(
                f"ids must be one sequence (a 1-D integer tensor or a list) or a batch of equal-length prompts "
                f"((B, T) or a list of lists); got {ids.dtype} {tuple(ids.shape)}."
            )
        ids = ids.tolist()
    batched = isinstance(ids, (list, tuple)) and len(ids) > 0 and isinstance(ids[0], (list, tuple))
    try:
        if isinstance(ids, str):
            raise TypeError
        prompts = [[operator.index(i) for i in prompt] for prompt in (ids if batched else [ids])]
    except TypeError:  # floats, characters, None: not token ids
        raise TypeError(
            f"ids must be integer token ids, e.g. tokenizer.encode(text); got {ids!r:.60}. "
            "To continue a text, call generate(model, tokenizer, text, ...)."
        ) from None
    if any(not prompt for prompt in prompts):
        raise ValueError("ids is empty: give at least one token (e.g. the tokenizer's eot_id) to start from.")
    if len({len(prompt) for prompt in prompts}) != 1:
        raise ValueError(f"the prompts of a batch must have the same length; got {[len(p) for p in prompts]}.")
    return prompts, batched


def _before_stop(new_tokens: list[int], stops: list[int]) -> list[int]:
    """The new tokens up to, not including, the first stop token."""
    for index, token in enumerate(new_tokens):
        if token in stops:
            return new_tokens[:index]
    return new_tokens


def generate(
    model: nn.Module,
    tokenizer,
    prompt: str,
    max_new_tokens: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    seed: int | None = None,
    stop_tokens: Iterable[int] | None = None,
    use_cache: bool = True,
) -> str:
    """Continue a text prompt: return the prompt followed by up to max_new_tokens generated tokens."""
    check_tokenizer(tokenizer, model)
    start = prompt_ids(tokenizer, prompt)
    ids = generate_ids(
        model,
        start,
        max_new_tokens,
        temperature=temperature,
        top_k=top_k,
        top_p=top_p,
        seed=seed,
        stop_tokens=stop_tokens,
        use_cache=use_cache,
    )
    return prompt + tokenizer.decode(ids[len(start) :])
