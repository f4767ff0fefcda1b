"""Scoring text: how likely a model finds a continuation after a prompt, the number every measurement reads.

Probes compare two words, few-shot prompting checks an answer, exposure ranks secrets, the bias probes weigh
"he" against "she", DPO trains on it, and nats per character reads a whole text this way:

continuation_scores     per continuation: each token's log-probability and whether it was the model's top
                        choice (greedy decoding writes the continuation exactly when every token was)
continuation_log_probs  log P(continuation | prompt) per continuation, in nats
nats_per_character      the cross-entropy of a long text per character, read in overlapping windows
token_scores            the core, on token ids and with gradients: DPO trains through it

How a continuation is read: the prompt after `after` (by default the end of a previous TinyWorld document, as
the model saw text in training), then the continuation's tokens, each predicted from everything before it
(teacher forcing). Prompt and continuation are tokenised separately, so a continuation has the same tokens
whatever comes before it; start it with a space (" she"). A prompt too long for the context keeps its last
tokens (or its last `max_prompt_tokens`). Sequences the model would read identically (one prompt with several
one-token continuations; PINs that share their first digits) are read once.

Simplified on purpose: one forward pass per batch, padded at the end (a causal model never reads the padding);
no caching of prompts across calls.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from helpers.batches import right_padded
from helpers.checks import check_model, check_tokenizer
from helpers.runtime import evaluating, model_device
from helpers.tinyworld2 import DOCUMENT_SEPARATOR


@dataclass(frozen=True)
class ContinuationScores:
    """Every continuation's tokens one after the other (M in all), with their scores, and each one's length."""

    token_ids: torch.Tensor  # (M,)
    token_log_probs: torch.Tensor  # (M,) nats
    token_choices: torch.Tensor  # (M,) the model's most probable token where each token was predicted
    lengths: list[int]  # (N,) tokens per continuation, summing to M

    def per_continuation(self, values: torch.Tensor) -> list[torch.Tensor]:
        """One of the (M,) tensors split into a tensor per continuation."""
        return list(torch.split(values, self.lengths))

    @property
    def token_correct(self) -> torch.Tensor:
        """(M,) True where the continuation's token was the model's most probable one."""
        return self.token_ids == self.token_choices

    @property
    def log_prob(self) -> torch.Tensor:
        """(N,) each whole continuation's log-probability (its tokens' sum); differentiable."""
        return self._sum_per_continuation(self.token_log_probs)

    @property
    def exact(self) -> torch.Tensor:
        """(N,) True where greedy decoding writes the whole continuation."""
        return self._sum_per_continuation(self.token_correct.long()) == torch.tensor(self.lengths)

    def _sum_per_continuation(self, values: torch.Tensor) -> torch.Tensor:
        owner = torch.repeat_interleave(torch.arange(len(self.lengths)), torch.tensor(self.lengths))  # (M,)
        return torch.zeros(len(self.lengths), dtype=values.dtype).index_add(0, owner, values)  # (N,)


def token_scores(model: nn.Module, contexts: Sequence[Sequence[int]], continuations: Sequence[Sequence[int]], *,
                 batch_size: int = 64) -> ContinuationScores:
    """Score each continuation's ids after its context's ids, in the model's current mode and with gradients.

    The evaluation functions below call it in evaluation mode; a training loss (DPO) calls it directly.
    """
    rows: dict[tuple[int, ...], int] = {}  # what the model reads -> its row, so identical inputs are read once
    tokens_of_row: list[list[int]] = []  # the tokens each row predicts, by their place among all M tokens
    positions, targets, lengths = [], [], []
    for context, continuation in zip(contexts, continuations, strict=True):
        row = rows.setdefault((*context, *continuation[:-1]), len(rows))
        if row == len(tokens_of_row):
            tokens_of_row.append([])
        tokens_of_row[row] += range(len(targets), len(targets) + len(continuation))
        positions += range(len(context) - 1, len(context) - 1 + len(continuation))  # where each is predicted
        targets += continuation
        lengths.append(len(continuation))
    positions, targets = torch.tensor(positions), torch.tensor(targets, dtype=torch.long)  # (M,), (M,)
    inputs, device = list(rows), model_device(model)
    log_probs, choices, order = [], [], []
    for start in range(0, len(inputs), batch_size):
        batch_rows = range(start, min(start + batch_size, len(inputs)))
        chunk = torch.tensor([token for row in batch_rows for token in tokens_of_row[row]])  # (m,)
        in_batch = torch.tensor([row - start for row in batch_rows for _ in tokens_of_row[row]])  # (m,)
        logits = model(right_padded(inputs[start : start + batch_size]).to(device))  # (b, T, V)
        predicted = F.log_softmax(logits[in_batch, positions[chunk]].float(), dim=-1).cpu()  # (m, V)
        log_probs.append(predicted.gather(-1, targets[chunk, None])[:, 0])  # (m,)
        choices.append(predicted.argmax(dim=-1))  # (m,)
        order.append(chunk)
    back = torch.empty(len(targets), dtype=torch.long)
    back[torch.cat(order)] = torch.arange(len(targets))  # reading order -> the continuations' order
    return ContinuationScores(targets, torch.cat(log_probs)[back], torch.cat(choices)[back], lengths)


def encode_continuations(tokenizer, prompts: Sequence[str], continuations: Sequence[str], *, context_length: int,
                         after: str = DOCUMENT_SEPARATOR, max_prompt_tokens: int | None = None
                         ) -> tuple[list[list[int]], list[list[int]]]:
    """The ids of each prompt (read after `after`, cut to what fits the context) and of each continuation."""
    if isinstance(prompts, str) or isinstance(continuations, str) or len(prompts) != len(continuations) or not prompts:
        raise ValueError(f"give one continuation per prompt (two lists of strings, at least one each); got "
                         f"{len(prompts)} prompts and {len(continuations)} continuations.")
    if max_prompt_tokens is not None and (isinstance(max_prompt_tokens, bool) or not isinstance(max_prompt_tokens, int)
                                          or max_prompt_tokens < 1):
        raise ValueError(f"max_prompt_tokens must be a positive int or None, got {max_prompt_tokens!r}.")
    encoded: dict[str, list[int]] = {}  # a prompt asked with several continuations is encoded once
    contexts, continuation_ids = [], []
    for prompt, continuation in zip(prompts, continuations, strict=True):
        if not isinstance(prompt, str) or not isinstance(continuation, str):
            raise TypeError(f"prompts and continuations must be strings; got {(prompt, continuation)!r}.")
        if after + prompt not in encoded:
            encoded[after + prompt] = tokenizer.encode(after + prompt)
        if continuation not in encoded:
            encoded[continuation] = tokenizer.encode(continuation)
        context, ids = encoded[after + prompt], encoded[continuation]
        if not ids:
            raise ValueError(f"the continuation {continuation!r} must add tokens after the prompt; give it some text, "
                             "starting with a space (' she').")
        keep = context_length + 1 - len(ids)  # the model reads all but the last id
        if max_prompt_tokens is not None:
            keep = min(keep, max_prompt_tokens)
        if keep < 1 or not context:
            raise ValueError(f"{continuation!r} needs a prompt of at least one token and must fit the context of "
                             f"{context_length} tokens; give a longer prompt or a shorter continuation.")
        contexts.append(context[-keep:])
        continuation_ids.append(ids)
    return contexts, continuation_ids


def continuation_scores(model: nn.Module, tokenizer, prompts: Sequence[str], continuations: Sequence[str], *,
                        after: str = DOCUMENT_SEPARATOR, max_prompt_tokens: int | None = None,
                        batch_size: int = 64) -> ContinuationScores:
    """Score each continuation (e.g. " she") after its prompt: every token's log-probability and the model's choice."""
    check_tokenizer(tokenizer, model)
    contexts, ids = encode_continuations(tokenizer, prompts, continuations, context_length=model.config.context_length,
                                         after=after, max_prompt_tokens=max_prompt_tokens)
    with evaluating(model):
        return token_scores(model, contexts, ids, batch_size=batch_size)


def continuation_log_probs(model: nn.Module, tokenizer, prompts: Sequence[str], continuations: Sequence[str],
                           **options) -> torch.Tensor:
    """log P(continuation | prompt) for each pair (N,), in nats: the number probes and rankings compare."""
    return continuation_scores(model, tokenizer, prompts, continuations, **options).log_prob


def nats_per_character(model: nn.Module, tokenizer, text: str, *, after: str = DOCUMENT_SEPARATOR,
                       batch_size: int = 16) -> float:
    """Cross-entropy of a text in nats per character: the nats of all its tokens / its number of characters.

    Unlike a loss per token it does not depend on the tokenizer, so models with different tokenizers, and
    the corpus's entropy floor, can be compared. The text is read as coming `after` the given text (by
    default the end of a previous TinyWorld document), so that its first token is predicted too. Long
    texts are scored in windows that overlap by half the context: every token after the first window
    is predicted from at least half a context.
    """
    if not isinstance(text, str) or not text:
        raise ValueError("text must be a non-empty string.")
    check_model(model)
    check_tokenizer(tokenizer, model)
    prefix = tokenizer.encode(after) if after else []
    ids = prefix + tokenizer.encode(text)
    if len(ids) < 2:
        raise ValueError(f"{text!r} is a single token with nothing before it; give a longer text or `after`.")
    length = min(model.config.context_length, len(ids) - 1)  # positions each window reads
    stride = max(1, length // 2)
    starts = list(range(0, len(ids) - 1 - length + 1, stride))
    if starts[-1] != len(ids) - 1 - length:
        starts.append(len(ids) - 1 - length)  # one more window, aligned with the end of the text
    # Window s reads ids[s : s + length] and scores the targets no earlier window scored (nor the prefix's own).
    contexts, continuations, scored_until = [], [], max(0, len(prefix) - 1)
    for s in starts:
        if s + length > scored_until:
            contexts.append(ids[s : scored_until + 1])
            continuations.append(ids[scored_until + 1 : s + length + 1])
            scored_until = s + length
    with evaluating(model):
        scores = token_scores(model, contexts, continuations, batch_size=batch_size)
    return -float(scores.token_log_probs.double().sum()) / len(text)
