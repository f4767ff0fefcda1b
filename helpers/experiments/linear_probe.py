"""Is an ability written in the model's hidden state? A linear probe reads it there.

    probe = LinearProbe.fit(model, tokenizer, training_items)   # ChoiceItems: a prompt and the right option
    probe.test(held_out_items)                                  # AbilityResult: "98.5 ± 0.9%"
    probe = LinearProbe.fit(model, tokenizer, at_the_verdict(review_items))   # sentiment, where it is due

The features are the residual stream at a prompt's last token (the position whose output predicts what comes
next), after a chosen block; the probe is logistic regression on them (one linear layer, softmax over the
options), fitted by L-BFGS with a little weight decay on standardised features. If a probe reads the answer
that the model's own next-token prediction also gets right, the model computed it; if the probe reads it
better, the model computed more than its head uses.

Where to read matters: a review cut before its closing may go on with a recommendation, a rating or the owner's
reply, and the recommendations start "i would" whatever the verdict, so the model need not have decided at the
review's last word; after "i would" its next word is the verdict (`at_the_verdict`).

Simplified on purpose: one position, one layer at a time; no control task (a probe on random features) beyond
the smallest model of the ladder, which stands in for one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from helpers.checks import check_model, check_tokenizer
from helpers.experiments.abilities import VERDICT_START, AbilityResult, ChoiceItem
from helpers.runtime import evaluating
from helpers.tinyworld2 import DOCUMENT_SEPARATOR

WEIGHT_DECAY = 1e-3  # per standardised feature; the probe must not memorise a few hundred examples


def last_token_states(model: nn.Module, tokenizer, prompts: Sequence[str], layer: int = -1) -> torch.Tensor:
    """(N, C): the residual stream at each prompt's last token after block `layer` (0 is the embeddings), each
    prompt read after the end of a previous document, as in training, and cut to the context."""
    check_model(model)
    check_tokenizer(tokenizer, model)
    if not prompts or isinstance(prompts, str):
        raise ValueError("give a list of prompts (strings), at least one.")
    if not -model.config.n_layer - 1 <= layer <= model.config.n_layer:
        raise ValueError(f"layer must be between 0 (the embeddings) and {model.config.n_layer}, or negative.")
    context = model.config.context_length
    with evaluating(model):
        return torch.stack([model.trace(torch.tensor(tokenizer.encode(DOCUMENT_SEPARATOR + prompt)[-context:]))
                            .hidden_states[layer][-1] for prompt in prompts])


def at_the_verdict(items: Sequence[ChoiceItem]) -> list[ChoiceItem]:
    """Sentiment items with their prompt taken on to where the next word says the verdict."""
    return [ChoiceItem(item.prompt + VERDICT_START, item.options, item.answer) for item in items]


@dataclass
class LinearProbe:
    """Logistic regression on a layer's last-token states: standardising statistics, then one linear layer."""

    model: nn.Module
    tokenizer: object
    layer: int
    mean: torch.Tensor
    scale: torch.Tensor
    linear: nn.Linear

    @classmethod
    def fit(cls, model: nn.Module, tokenizer, items: Sequence[ChoiceItem], layer: int = -1,
            weight_decay: float = WEIGHT_DECAY, seed: int = 0) -> LinearProbe:
        labels = torch.tensor([item.answer for item in items])
        classes = max(len(item.options) for item in items)
        if len(set(labels.tolist())) < 2:
            raise ValueError("the probe's training items must have at least two different answers.")
        states = last_token_states(model, tokenizer, [item.prompt for item in items], layer).float()
        mean, scale = states.mean(0), states.std(0).clamp_min(1e-6)
        features = (states - mean) / scale
        torch.manual_seed(seed)
        linear = nn.Linear(features.size(1), classes)
        optimizer = torch.optim.LBFGS(linear.parameters(), max_iter=200, line_search_fn="strong_wolfe")

        def closure() -> torch.Tensor:
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(linear(features), labels) + weight_decay * linear.weight.square().sum()
            loss.backward()
            return loss
        optimizer.step(closure)
        return cls(model, tokenizer, layer, mean, scale, linear.requires_grad_(False))

    def predict(self, prompts: Sequence[str]) -> torch.Tensor:
        """The option the probe reads for each prompt (N,)."""
        states = last_token_states(self.model, self.tokenizer, prompts, self.layer).float()
        return self.linear((states - self.mean) / self.scale).argmax(-1)

    def test(self, items: Sequence[ChoiceItem]) -> AbilityResult:
        predicted = self.predict([item.prompt for item in items])
        right = sum(int(p) == item.answer for p, item in zip(predicted.tolist(), items, strict=True))
        return AbilityResult(right / len(items), len(items))
