"""Preference tuning in miniature: Direct Preference Optimization (Rafailov et al., 2023) on TinyWorld 2 reviews.

DPO learns from preference pairs (prompt, chosen continuation, rejected continuation) and the starting model,
the reference. Its loss

    -log sigmoid(beta * [(log pi(chosen) - log ref(chosen)) - (log pi(rejected) - log ref(rejected))])

raises the chosen continuation's likelihood, relative to the reference, above the rejected one's; beta sets
how far the tuned model may drift from the reference. No reward model and no reinforcement learning: the
same preference data RLHF uses, trained like ordinary fine-tuning: with `helpers.training.train`, DPO being
its loss function.

- `dpo_loss(...)`: the loss above from the four log-probabilities.
- `PreferenceData`: the triples with the reference's log-probabilities, computed once before training.
- `DPOLoss`: the `loss_fn` that scores a batch of triples with the model being tuned (`helpers.scoring`):
  dpo_weight x DPO's loss + chosen_weight x the chosen continuations' negative log-likelihood (the
  supervised term), so that either term can be switched off to see what the other does alone.
- `dpo_train(model, tokenizer, triples, ...)`: tune `model` in place; return its History. Triples already
  scored by the model (PreferenceData) are not scored again.
- `dpo_tuned(reference, tokenizer, data, ...)`: a tuned copy of the reference, trained once and cached
  (helpers.cached_models) under a fingerprint of the reference's weights, the pairs and every setting.
- `preference_margins(model, data)`: each pair's margin (log pi - log ref of the chosen, minus the same for
  the rejected) on held-out PreferenceData: above 0 where the model moved towards the preference.

Simplified on purpose: whole-model updates with AdamW at a fixed learning rate, no held-out pairs.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from helpers.cached_models import TrainingJob, trained_once
from helpers.model import GPT
from helpers.runtime import SMALL_MODEL_THREADS, cache_dir, cache_fingerprint
from helpers.scoring import continuation_log_probs, encode_continuations, token_scores
from helpers.training import History, TrainingConfig, train

CACHE_FORMAT = 1  # bump when DPO's training changes in a way its settings do not show, so tuned models are redone


def dpo_loss(chosen: torch.Tensor, rejected: torch.Tensor, reference_chosen: torch.Tensor,
             reference_rejected: torch.Tensor, beta: float = 0.1) -> torch.Tensor:
    """The mean DPO loss of a batch from the policy's and the reference's log-probabilities (each (B,))."""
    margin = (chosen - reference_chosen) - (rejected - reference_rejected)  # (B,)
    return -F.logsigmoid(beta * margin).mean()


class PreferenceData(Dataset):
    """(prompt, chosen, rejected, reference log P(chosen), reference log P(rejected)) items for DPO's loss."""

    def __init__(self, reference: nn.Module, tokenizer, triples: Sequence[tuple[str, str, str]]):
        if not triples or any(len(triple) != 3 for triple in triples):
            raise ValueError("give at least one (prompt, chosen, rejected) triple.")
        self.prompts, self.chosen, self.rejected = (list(column) for column in zip(*triples, strict=True))
        self.reference_chosen = continuation_log_probs(reference, tokenizer, self.prompts, self.chosen, after="")
        self.reference_rejected = continuation_log_probs(reference, tokenizer, self.prompts, self.rejected, after="")

    def __len__(self) -> int:
        return len(self.prompts)

    def __getitem__(self, index: int) -> tuple[str, str, str, torch.Tensor, torch.Tensor]:
        return (self.prompts[index], self.chosen[index], self.rejected[index], self.reference_chosen[index],
                self.reference_rejected[index])


@dataclass(frozen=True)
class DPOLoss:
    """DPO's loss of a batch of PreferenceData, as a `loss_fn` for helpers.training.train.

    chosen_weight > 0 adds that much of the chosen continuations' negative log-likelihood to the loss, which
    keeps DPO from lowering the chosen answers along with the rejected ones (Pang et al., 2024);
    dpo_weight = 0 leaves that supervised term alone (fine-tuning on the chosen answers).
    """

    tokenizer: object
    context_length: int
    beta: float = 0.1
    chosen_weight: float = 0.0
    dpo_weight: float = 1.0

    def __call__(self, model: nn.Module, batch: tuple) -> torch.Tensor:
        """The loss of one batch of PreferenceData items, scored by the model being tuned (with gradients)."""
        prompts, chosen, rejected, reference_chosen, reference_rejected = batch  # B strings each, then (B,), (B,)
        chosen_log_probs = self._log_probs(model, prompts, chosen)  # (B,)
        rejected_log_probs = self._log_probs(model, prompts, rejected)  # (B,)
        loss = dpo_loss(chosen_log_probs, rejected_log_probs, reference_chosen.cpu(), reference_rejected.cpu(),
                        self.beta)
        return self.dpo_weight * loss - self.chosen_weight * chosen_log_probs.mean()

    def _log_probs(self, model: nn.Module, prompts: Sequence[str], continuations: Sequence[str]) -> torch.Tensor:
        contexts, ids = encode_continuations(self.tokenizer, prompts, continuations, after="",
                                             context_length=self.context_length)
        return token_scores(model, contexts, ids).log_prob  # (B,), with gradients


def dpo_train(model: nn.Module, tokenizer, triples: Sequence[tuple[str, str, str]] | PreferenceData, *,
              steps: int = 40, batch_size: int = 16, learning_rate: float = 1e-4, beta: float = 0.1,
              chosen_weight: float = 0.0, dpo_weight: float = 1.0, seed: int = 0) -> History:
    """Tune `model` in place on (prompt, chosen, rejected) triples with DPO; return the training History.

    The model as it is now is the reference: PreferenceData given instead of triples must have been scored by
    it. The History holds the loss on a fixed batch of the triples before the first step and after the last.
    """
    data = triples if isinstance(triples, PreferenceData) else PreferenceData(model, tokenizer, triples)
    settings, loss = _dpo_settings(tokenizer, model, steps, batch_size, learning_rate, beta, chosen_weight,
                                   dpo_weight, seed)
    return train(model, data, data, settings, loss_fn=loss, progress=False)


def dpo_tuned(reference: GPT, tokenizer, data: PreferenceData, *, steps: int = 40, batch_size: int = 16,
              learning_rate: float = 1e-4, beta: float = 0.1, chosen_weight: float = 0.0, dpo_weight: float = 1.0,
              seed: int = 0, progress: bool = False) -> GPT:
    """A copy of `reference` tuned by `dpo_train` on `data` (scored by the reference), trained once and then loaded.

    The cache key covers the reference's weights, the pairs with their reference scores and every setting.
    """
    settings, loss = _dpo_settings(tokenizer, reference, steps, batch_size, learning_rate, beta, chosen_weight,
                                   dpo_weight, seed)
    weights = b"".join(value.detach().cpu().numpy().tobytes() for value in reference.state_dict().values())
    pairs = "\0".join(data.prompts + data.chosen + data.rejected).encode("utf-8")
    scores = torch.cat([data.reference_chosen, data.reference_rejected]).numpy().tobytes()
    key = cache_fingerprint({"format": CACHE_FORMAT, "model": reference.config.to_dict(),
                             "training": dataclasses.asdict(settings), "beta": beta, "chosen_weight": chosen_weight,
                             "dpo_weight": dpo_weight}, weights, pairs, scores, threads=SMALL_MODEL_THREADS)
    checkpoint = trained_once(cache_dir("dpo_models", key[:16]), settings,
                              lambda: TrainingJob(copy.deepcopy(reference), data, data), what="DPO-tuned model",
                              loss_fn=loss, progress=progress, threads=SMALL_MODEL_THREADS)
    return checkpoint.build_model()


def _dpo_settings(tokenizer, model: nn.Module, steps: int, batch_size: int, learning_rate: float, beta: float,
                  chosen_weight: float, dpo_weight: float, seed: int) -> tuple[TrainingConfig, DPOLoss]:
    """dpo_train's training settings and loss, checked."""
    if dpo_weight < 0 or chosen_weight < 0 or dpo_weight == chosen_weight == 0:
        raise ValueError(f"dpo_weight and chosen_weight must be >= 0 and not both 0, got {dpo_weight!r} and "
                         f"{chosen_weight!r}.")
    settings = TrainingConfig(max_steps=steps, batch_size=batch_size, learning_rate=learning_rate, warmup_steps=0,
                              min_lr_ratio=1.0, weight_decay=0.0, grad_clip=None, betas=(0.9, 0.999),
                              eval_every=steps, eval_batches=1, seed=seed)
    return settings, DPOLoss(tokenizer, model.config.context_length, beta, chosen_weight, dpo_weight)


def preference_margins(model: nn.Module, tokenizer, data: PreferenceData) -> torch.Tensor:
    """(N,) per pair: (log pi - log ref)(chosen) - (log pi - log ref)(rejected), the quantity DPO's loss raises."""
    chosen = continuation_log_probs(model, tokenizer, data.prompts, data.chosen, after="")
    rejected = continuation_log_probs(model, tokenizer, data.prompts, data.rejected, after="")
    return (chosen - data.reference_chosen) - (rejected - data.reference_rejected)
