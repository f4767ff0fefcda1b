"""A harmful-content filter wrapped around generation, and the two mistakes it can make.

- `flag_texts(classifier, tokenizer, texts)`: which texts a fine-tuned classifier (helpers.finetuning.
  GPTClassifier with classes ("ok", "harmful")) flags as harmful.
- `guarded_generate(model, tokenizer, prompt, is_harmful)`: refuse when the prompt is flagged; otherwise
  generate, and refuse when the prompt with its reply is flagged.
- `error_rates(flagged, harmful)`: the false-positive rate (harmless texts refused) and the false-negative
  rate (harmful texts let through). A filter trades one for the other; both must be measured.

Simplified on purpose: one binary decision per text (no categories, no severity, no threshold tuning), and
the filter sees the whole reply only after it is written (no streaming).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from torch import nn

from helpers.finetuning import ClassificationData, predict
from helpers.generation import generate
from helpers.tinyworld2 import DOCUMENT_SEPARATOR

CLASSES = ("ok", "harmful")  # the classifier's classes, in head order
REFUSAL = "sorry , i can not help with that ."


def flag_texts(classifier: nn.Module, tokenizer, texts: Sequence[str], *, max_length: int = 64) -> list[bool]:
    """True for each text the classifier puts in the class "harmful" (classes ordered as CLASSES)."""
    data = ClassificationData(tokenizer, list(texts), [CLASSES[0]] * len(texts), CLASSES, max_length=max_length)
    return [bool(c) for c in predict(classifier, data).tolist()]


def guarded_generate(model: nn.Module, tokenizer, prompt: str, is_harmful: Callable[[str], bool], *,
                     check_prompt: bool = True, max_new_tokens: int = 20, temperature: float = 0.8,
                     seed: int = 0) -> tuple[str, str]:
    """(text, refused_at): the prompt and its continuation up to the end of the document, refused_at "";
    or REFUSAL with refused_at "prompt" (flagged before generating) or "reply" (the whole text flagged)."""
    if check_prompt and is_harmful(prompt):
        return REFUSAL, "prompt"
    stops = [i for i in range(tokenizer.vocab_size) if DOCUMENT_SEPARATOR in tokenizer.decode([i])]
    text = generate(model, tokenizer, prompt, max_new_tokens, temperature=temperature, seed=seed, stop_tokens=stops)
    return (REFUSAL, "reply") if is_harmful(text) else (text, "")


def error_rates(flagged: Sequence[bool], harmful: Sequence[bool]) -> tuple[float, float]:
    """(false-positive rate, false-negative rate): harmless texts flagged, and harmful texts not flagged."""
    if len(flagged) != len(harmful):
        raise ValueError(f"give one flag per text: {len(flagged)} flags for {len(harmful)} texts.")
    harmless_flagged = [f for f, h in zip(flagged, harmful, strict=True) if not h]
    harmful_missed = [not f for f, h in zip(flagged, harmful, strict=True) if h]
    if not harmless_flagged or not harmful_missed:
        raise ValueError("the texts must include both harmful and harmless ones to measure both error rates.")
    return sum(harmless_flagged) / len(harmless_flagged), sum(harmful_missed) / len(harmful_missed)
