"""Attention, the one operation that lets a token look at the tokens before it (chapter 3).

What is here, in the order the chapter builds it:

scaled_dot_product_attention        written out step by step (scores, scale, mask, softmax, weighted sum)
                                    and returning the attention weights, for looking at them
fused_scaled_dot_product_attention  the same numbers through torch's fused kernel, for speed
KVCache                             the keys and values of earlier positions, kept for fast generation
CausalSelfAttention                 many heads at once, with GPT-2's fused query/key/value projection

Simplified on purpose: only self-attention (no cross-attention), one absolute-position model (GPT-2's), and no
padding mask: batches are padded at the end, which a causal model never reads (helpers.batches.right_padded).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn


def causal_mask(t_query: int, t_key: int, device: torch.device) -> torch.Tensor:
    """(T_query, T_key) booleans, True where a query may attend: itself and the keys before it.

    The queries are the last t_query positions of the t_key keys (more keys than queries when a KV cache holds
    earlier positions), so query i may see keys up to position t_key - t_query + i.
    """
    return torch.ones(t_query, t_key, dtype=torch.bool, device=device).tril(diagonal=t_key - t_query)


def _check_inputs(query: torch.Tensor, key: torch.Tensor, value: torch.Tensor) -> None:
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


def scaled_dot_product_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *, causal: bool = True, dropout_p: float = 0.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Compute attention step by step and return (output, weights), the weights being what a learner plots."""
    _check_inputs(query, key, value)
    return _written_out_attention(query, key, value, causal=causal, dropout_p=dropout_p)


def fused_scaled_dot_product_attention(
    query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, *, causal: bool = True, dropout_p: float = 0.0
) -> torch.Tensor:
    """Compute the same output as scaled_dot_product_attention with torch's fused kernel (no weights)."""
    _check_inputs(query, key, value)
    return _fused_attention(query, key, value, causal=causal, dropout_p=dropout_p)


def _written_out_attention(query, key, value, *, causal: bool, dropout_p: float) -> tuple[torch.Tensor, torch.Tensor]:
    head_size = query.size(-1)
    # Dividing by sqrt(head_size) keeps the scores' spread near 1 whatever the head size, so the softmax
    # does not saturate into a one-hot at initialisation.
    scores = query @ key.transpose(-2, -1) / math.sqrt(head_size)  # (B, nh, Tq, Tk)
    if causal:
        scores = scores.masked_fill(~causal_mask(query.size(2), key.size(2), query.device), float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (B, nh, Tq, Tk), each row sums to 1
    if dropout_p > 0.0:
        weights = F.dropout(weights, p=dropout_p)
    return weights @ value, weights  # (B, nh, Tq, hs), (B, nh, Tq, Tk)


def _fused_attention(query, key, value, *, causal: bool, dropout_p: float) -> torch.Tensor:
    t_query, t_key = query.size(2), key.size(2)
    if not causal or t_query == 1:
        # One new query after a cache may see every key: nothing to mask.
        return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p)
    if t_query == t_key:
        # The kernel's own causal mode is the fastest path (training and a first, uncached pass).
        return F.scaled_dot_product_attention(query, key, value, dropout_p=dropout_p, is_causal=True)
    mask = causal_mask(t_query, t_key, query.device)
    return F.scaled_dot_product_attention(query, key, value, attn_mask=mask, dropout_p=dropout_p)


class KVCache:
    """The keys and values of the positions already seen, so generation computes only the new token's.

    Each layer stores its own keys and values and knows how many positions it holds; an attention layer
    finds its slot by the layer_index it was built with.
    """

    def __init__(self, n_layer: int, max_length: int):
        if n_layer < 1 or max_length < 1:
            raise ValueError(f"n_layer and max_length must be positive; got {n_layer} and {max_length}.")
        self.max_length = max_length
        self._keys: list[torch.Tensor | None] = [None] * n_layer  # each (B, nh, max_length, hs)
        self._values: list[torch.Tensor | None] = [None] * n_layer
        self._lengths = [0] * n_layer  # positions each layer holds

    @property
    def n_layer(self) -> int:
        """How many layers this cache serves."""
        return len(self._keys)

    @property
    def length(self) -> int:
        """Positions every layer holds: where the next pass's positions start."""
        return min(self._lengths)

    def update(self, layer: int, key: torch.Tensor, value: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Store one layer's new keys and values (B, nh, T_new, hs); return all of that layer's so far."""
        start = self._lengths[layer]
        end = start + key.size(2)
        if end > self.max_length:
            raise ValueError(
                f"the KV cache holds {self.max_length} positions and already has {start}; "
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
        keys[:, :, start:end] = key
        values[:, :, start:end] = value
        self._lengths[layer] = end
        return keys[:, :, :end], values[:, :, :end]  # (B, nh, T_past + T_new, hs)


class CausalSelfAttention(nn.Module):
    """Multi-head causal self-attention as in GPT-2: one linear layer makes queries, keys and values.

    layer_index is the block this attention sits in; it is the slot of a KVCache this layer reads and writes.
    """

    def __init__(self, config, layer_index: int | None = None):
        super().__init__()
        if config.n_embd % config.n_head != 0:
            raise ValueError(f"n_embd={config.n_embd} must be divisible by n_head={config.n_head}.")
        self.n_head = config.n_head
        self.n_embd = config.n_embd
        self.dropout = config.dropout
        self.fused = config.fused_attention
        self.layer_index = layer_index
        self.c_attn = nn.Linear(config.n_embd, 3 * config.n_embd, bias=config.bias)  # q, k, v side by side
        self.c_proj = nn.Linear(config.n_embd, config.n_embd, bias=config.bias)  # mixes the heads back
        self.resid_dropout = nn.Dropout(config.dropout)

    def forward(
        self, x: torch.Tensor, *, cache: KVCache | None = None, return_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Mix information across positions; return (output, weights or None)."""
        B, T, C = x.size()
        head_size = C // self.n_head
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # each (B, T, C)
        q = q.view(B, T, self.n_head, head_size).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, head_size).transpose(1, 2)  # (B, nh, T, hs)
        v = v.view(B, T, self.n_head, head_size).transpose(1, 2)  # (B, nh, T, hs)
        if cache is not None:
            if self.layer_index is None:
                raise ValueError("this attention layer was built without a layer_index, so it has no slot in a "
                                 "KVCache; build it as CausalSelfAttention(config, layer_index).")
            k, v = cache.update(self.layer_index, k, v)  # (B, nh, T_past + T, hs)
        dropout_p = self.dropout if self.training else 0.0
        weights = None
        if return_weights or not self.fused:
            y, weights = _written_out_attention(q, k, v, causal=True, dropout_p=dropout_p)
        else:
            y = _fused_attention(q, k, v, causal=True, dropout_p=dropout_p)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # (B, T, C), the heads side by side again
        return self.resid_dropout(self.c_proj(y)), (weights if return_weights else None)
