"""Checks at the edges: is this a model and a tokenizer the series can use, and do they fit each other?

Every public function that takes a model or a tokenizer from a learner calls these first, so a mistake
(another library's model, the wrong tokenizer) ends in a message that says what to pass, not in a
traceback from inside torch.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn


def check_model(model: object) -> nn.Module:
    """Return the model if it maps ids to logits with a config the series reads, else a TypeError."""
    config = getattr(model, "config", None)
    if not isinstance(model, nn.Module) or not all(hasattr(config, n) for n in ("vocab_size", "context_length")):
        raise TypeError(
            "model must be a helpers.model.GPT (or an nn.Module with config.vocab_size and "
            f"config.context_length that maps ids (B, T) to logits (B, T, vocab_size)); got {type(model).__name__}."
        )
    return model


def check_tokenizer(tokenizer: object, model: nn.Module | None = None,
                    needs: Sequence[str] = ("encode", "decode", "vocab_size")) -> object:
    """Return the tokenizer if it has the attributes `needs` and fits the model, else a clear error."""
    for attribute in needs:
        if not hasattr(tokenizer, attribute):
            raise TypeError(
                f"tokenizer must be a helpers.tokenizers Tokenizer (with {', '.join(needs)}); "
                f"{type(tokenizer).__name__} has no {attribute}."
            )
    if model is not None and tokenizer.vocab_size > check_model(model).config.vocab_size:
        raise ValueError(
            f"the tokenizer has {tokenizer.vocab_size} tokens but the model knows {model.config.vocab_size}; "
            "use the tokenizer the model was trained with."
        )
    return tokenizer
