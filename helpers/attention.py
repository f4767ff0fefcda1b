"""Attention, the one operation that lets a token look at the tokens before it (chapter 3).

What is here, in the order the chapter builds it:

scaled_dot_product_attention        written out step by step (scores, scale, mask, softmax, weighted sum)
                                    and returning the attention weights, for looking at them
fused_scaled_dot_product_attention  the same numbers through torch's fused kernel, for speed
KVCache                             the keys and values of earlier positions, kept for fast generation
CausalSelfAttention                 many heads at once, with GPT-2's fused query/key/value projection

Masks use Hugging Face's convention: `attention_mask` is (B, T_key) with 1 (or True) for a real token and
0 (or False) for padding. A query row that may look at no key at all (a padding position at the start of
a left-padded sequence) gets zero output and zero weights in both paths, which is what torch's fused kernel
does, instead of NaN.

Simplified on purpose: only self-attention (no cross-attention), one absolute-position model (GPT-2's).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def allowed_positions(
    t_query: int, t_key: int, *, causal: bool, attention_mask: torch.Tensor | None, device: torch.device
) -> torch.Tensor | None:
    """Build the boolean mask (True = may attend) that both attention paths share, or None for "all"."""
    allowed = None
    if causal:
        # The queries are the last t_query positions of the t_key keys (more keys than queries when a
        # KV cache holds earlier positions), so query i may see keys up to position t_key - t_query + i.
        allowed = torch.ones(t_query, t_key, dtype=torch.bool, device=device).tril(diagonal=t_key - t_query)
    if attention_mask is not None:
        padding = attention_mask.to(device=device, dtype=torch.bool)[:, None, None, :]  # (B, 1, 1, T_key)
        allowed = padding if allowed is None else allowed & padding  # (B, 1, T_query, T_key)
    return allowed


def _check_inputs(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, attention_mask: torch.Tensor | None
) -> None:
    for name, tensor in (("query", query), ("key", key), ("value", value)):
        if not isinstance(tensor, torch.Tensor) or tensor.dim() != 4:
            shape = tuple(tensor.shape) if isinstance(tensor, torch.Tensor) else type(tensor).__name__
            raise ValueError(
                f"{name} must be a 4-D tensor (batch, heads, positions, head size); got {shape}."
            )
        if not tensor.is_floating_point():
            raise TypeError(f"{name} must be a floating-point tensor; got {tensor.dtype}. Use .float().")
    if key.shape != value.shape or query.shape[:2] != key.shape[:2] or query.shape[-1] != key.shape[-1]:
        raise ValueError(
            f"query {tuple(query.shape)}, key {tuple(key.shape)} and value {tuple(value.shape)} must share "
            "batch, heads and head size, and key and value must have the same shape."
        )
    if query.shape[2] > key.shape[2]:
        raise ValueError(f"there are more queries ({query.shape[2]}) than keys ({key.shape[2]}).")
    if attention_mask is not None and tuple(attention_mask.shape) != (key.shape[0], key.shape[2]):
        raise ValueError(
            f"attention_mask must have shape (batch, key positions) = {(key.shape[0], key.shape[2])}, "
            f"with 1 for real tokens and 0 for padding; got {tuple(attention_mask.shape)}."
        )


def scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    causal: bool = True,
    attention_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute attention step by step and return (output, weights), the weights being what a learner plots."""
    _check_inputs(query, key, value, attention_mask)
    head_size = query.size(-1)
    # Dividing by sqrt(head_size) keeps the scores' spread near 1 whatever the head size, so the softmax
    # does not saturate into a one-hot at initialisation.
    scores = query @ key.transpose(-2, -1) / math.sqrt(head_size)  # (B, nh, Tq, Tk)
    allowed = allowed_positions(
        query.size(2), key.size(2), causal=causal, attention_mask=attention_mask, device=query.device
    )
    if allowed is not None:
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (B, nh, Tq, Tk), each row sums to 1
    if attention_mask is not None:
        # A row with every key masked is softmax(-inf, ..., -inf) = NaN; it attends to nothing instead.
        weights = weights.masked_fill(~allowed, 0.0)
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ value, weights  # (B, nh, Tq, hs), (B, nh, Tq, Tk)


def fused_scaled_dot_product_attention(
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    *,
    causal: bool = True,
    attention_mask: torch.Tensor | None = None,
    dropout_p: float = 0.0,
) -> torch.Tensor:
    """Compute the same output as scaled_dot_product_attention with torch's fused kernel (no weights)."""
    _check_inputs(query, key, value, attention_mask)
    t_query, t_key = query.size(2), key.size(2)
    if attention_mask is None and (not causal or t_query == 1):
        # One new query after a cache may see every key: nothing to mask.
        return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p)
    if attention_mask is None and t_query == t_key:
        # The kernel's own causal mode is the fastest path (training and a first, uncached pass).
        return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p, is_causal=True)
    allowed = allowed_positions(
        t_query, t_key, causal=causal, attention_mask=attention_mask, device=query.device
    )
    return F.scaled_dot_product_attention(query, key, value, attn_mask=allowed, dropout_p=dropout_p)


class KVCache:
    """The keys and values of the positions already seen, so generation computes only the new token's."""

    def __init__(self, n_layer: int, max_length: int):
        if n_layer < 1 or max_length < 1:
            raise ValueError(f"n_layer and max_length must be positive; got {n_layer} and {max_length}.")
        self.max_length = max_length
        self.length = 0  # positions stored so far, the same in every layer
        self._keys: list[torch.Tensor | None] = [None] * n_layer  # each (B, nh, max_length, hs)
        self._values: list[torch.Tensor | None] = [None] * n_layer

    @property
    def n_layer(self) -> int:
        """How many layers this cache serves."""
        return len(self._keys)

    def update(self, layer: int, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store one layer's new keys and values (B, nh, T_new, hs); return all of them so far."""
        end = self.length + key.size(2)
        if end > self.max_length:
            raise ValueError(
                f"the KV cache holds {self.max_length} positions and already has {self.length}; "
                f"{key.size(2)} more do not fit. Start a new cache over the last {self.max_length} tokens."
            )
        if self._keys[layer] is None:
            # Allocated once, at full length, so each step writes in place instead of copying the past.
            shape = (key.size(0), key.size(1), self.max_length, key.size(3))
            self._keys[layer] = key.new_empty(shape)
            self._values[layer] = value.new_empty(shape)
        keys, values = self._keys[layer], self._values[layer]
        if keys.shape[:2] != key.shape[:2] or keys.size(3) != key.size(3):
            raise ValueError(
                f"this cache was started with batch and heads {tuple(keys.shape[:2])}; "
                f"got {tuple(key.shape[:2])}. Use one cache per batch."
            )
        keys[:, :, self.length : end] = key
        values[:, :, self.length : end] = value
        return keys[:, :, :end], values[:, :, :end]  # (B, nh, T_past + T_new, hs)

    def advance(self, n_positions: int) -> None:
        """Record that every layer stored n_positions more positions (the model calls it once per pass)."""
        self.length += n_positions


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention as in GPT-2: one linear layer makes queries, keys and values."""

    def __init__(self, config):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd={config.n_embd} must be divisible by n_head={config.n_head}.")
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        self.fused = config.fused_attention
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v side by side
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)  # mixes the heads back
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(
        self,
        x: torch.Tensor,
        *,
        cache: KVCache | None = None,
        layer: int = 0,
        attention_mask: torch.Tensor | None = None,
        return_weights: bool = False,
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mix information across positions; return (output, weights or None)."""
        B, T, C = x.size()
        head_size = C // self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # each (B, T, C)
        q = q.view(B, T, self.n_head, head_size).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, head_size).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, head_size).transpose(1, 2)  # (B, nh, T, hs)
        if cache is not None:
            k, v = cache.update(layer, k, v)  # (B, nh, T_past + T, hs)
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if return_weights or not self.fused:
            y, weights = scaled_dot_product_attention(
                q, k, v, attention_mask=attention_mask, dropout_p=dropout_p
            )
        else:
            y = fused_scaled_dot_product_attention(
                q, k, v, attention_mask=attention_mask, dropout_p=dropout_p
            )
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C), the heads side by side again
        return self.resid_dropout(self.c_proj(y)), (weights if return_weights else None)
