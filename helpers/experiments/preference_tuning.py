"""Preference tuning in miniature: Direct Preference Optimization (Rafailov et al., 2023) on TinyWorld reviews.

DPO learns from preference pairs (prompt, chosen continuation, rejected continuation) and a frozen copy of
the starting model, the reference. Its loss

    -log sigmoid(beta * [(log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))])

raises the chosen continuation's likelihood, relative to the reference, above the rejected one's; beta sets
how far the tuned model may drift from the reference. No reward model and no reinforcement learning: the
same preference data RLHF uses, trained like ordinary fine-tuning.

- `continuation_log_probs(model, tokenizer, prompts, continuations)`: log P(continuation | prompt), batched.
- `dpo_loss(...)`: the loss above from the four log-probabilities.
- `dpo_train(model, tokenizer, triples, ...)`: tune `model` in place; return the loss at each step.
- `verdict_sentiment(text, lexicon)`: "positive" / "negative" for a TinyWorld verdict such as "not bad".

Simplified on purpose: whole-model updates with AdamW at a fixed learning rate, batches drawn with
replacement, the reference's log-probabilities computed once before training.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn


def continuation_log_probs(model: nn.Module, tokenizer, prompts: Sequence[str],
                           continuations: Sequence[str]) -> torch.Tensor:
    """log P(continuation | prompt) for each pair (B,); gradients flow when the model is trained."""
    if len(prompts) != len(continuations) or not prompts:
        raise ValueError(f"give one continuation per prompt, at least one; got {len(prompts)} prompts and "
                         f"{len(continuations)} continuations.")
    pieces = [(tokenizer.encode(p), tokenizer.encode(c)) for p, c in zip(prompts, continuations, strict=True)]
    if any(not p or not c for p, c in pieces):
        raise ValueError("every prompt and every continuation must give at least one token.")
    length = max(len(p) + len(c) for p, c in pieces)
    ids = torch.zeros(len(pieces), length, dtype=torch.long)  # (B, T) right-padded: causal, so harmless
    scored = torch.zeros(len(pieces), length - 1, dtype=torch.bool)  # (B, T-1) which predictions count
    for row, (p, c) in enumerate(pieces):
        ids[row, : len(p) + len(c)] = torch.tensor(p + c)
        scored[row, len(p) - 1 : len(p) + len(c) - 1] = True
    log_probs = F.log_softmax(model(ids[:, :-1]).float(), dim=-1)  # (B, T-1, V)
    picked = log_probs.gather(-1, ids[:, 1:, None])[..., 0]  # (B, T-1)
    return (picked * scored).sum(-1)


def dpo_loss(chosen: torch.Tensor, rejected: torch.Tensor, reference_chosen: torch.Tensor,
             reference_rejected: torch.Tensor, beta: float = 0.1) -> torch.Tensor:
    """The mean DPO loss of a batch from the policy's and the reference's log-probabilities (each (B,))."""
    margin = (chosen - reference_chosen) - (rejected - reference_rejected)  # (B,)
    return -F.logsigmoid(beta * margin).mean()


def dpo_train(model: nn.Module, tokenizer, triples: Sequence[tuple[str, str, str]], *, steps: int = 40,
              batch_size: int = 16, learning_rate: float = 1e-4, beta: float = 0.1, chosen_weight: float = 0.0,
              seed: int = 0) -> list[float]:
    """Tune `model` in place on (prompt, chosen, rejected) triples with DPO; return the loss of every step.

    chosen_weight > 0 adds that much of the chosen continuations' negative log-likelihood to the loss, which
    keeps DPO from lowering the chosen answers along with the rejected ones (Pang et al., 2024).
    """
    if not triples:
        raise ValueError("give at least one (prompt, chosen, rejected) triple.")
    prompts, chosen, rejected = (list(column) for column in zip(*triples, strict=True))
    reference = copy.deepcopy(model).eval()
    with torch.no_grad():
        reference_chosen = continuation_log_probs(reference, tokenizer, prompts, chosen)  # (N,)
        reference_rejected = continuation_log_probs(reference, tokenizer, prompts, rejected)  # (N,)
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate, weight_decay=0.0)
    was_training = model.training
    model.train()
    losses = []
    for _ in range(steps):
        batch = torch.randint(len(triples), (batch_size,), generator=generator).tolist()
        batch_prompts = [prompts[i] for i in batch]
        chosen_log_probs = continuation_log_probs(model, tokenizer, batch_prompts, [chosen[i] for i in batch])
        rejected_log_probs = continuation_log_probs(model, tokenizer, batch_prompts, [rejected[i] for i in batch])
        loss = dpo_loss(chosen_log_probs, rejected_log_probs, reference_chosen[batch], reference_rejected[batch], beta)
        loss = loss - chosen_weight * chosen_log_probs.mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.train(was_training)
    return losses


def verdict_sentiment(text: str, lexicon) -> str | None:
    """The sentiment of a TinyWorld verdict ("really great", "not bad at all"): negation flips it; None if unknown."""
    words = text.split()
    negated = bool(words) and words[0] == "not"
    for word in words[1:] if negated else words:
        for sentiment, adjectives in (("positive", lexicon.positive_adjectives),
                                      ("negative", lexicon.negative_adjectives)):
            if word in adjectives:
                flip = {"positive": "negative", "negative": "positive"}
                return flip[sentiment] if negated else sentiment
    return None
