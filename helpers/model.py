"""The GPT: token and position embeddings, a stack of transformer blocks, and a head that scores every token.

In the order a reader meets them (after helpers.attention): GPTConfig with its presets, MLP, Block, GPT.
The architecture is GPT-2's, to the logit (helpers.gpt2_interop checks it against Hugging Face):
pre-LayerNorm blocks with residual connections, a 4x GELU feed-forward (GELU with GPT-2's tanh
approximation), learned absolute position embeddings, a final LayerNorm and, by default, an output head
that shares its weights with the token embedding.

Input: `model(ids)` takes integer ids (B, T) and returns logits (B, T, vocab_size). A 1-D sequence (T,) is
accepted as a single unbatched sequence and gives unbatched logits (T, vocab_size), as torch's own layers
do. Ids outside [0, vocab_size) or longer than context_length raise a ValueError that says what to change.

Simplified on purpose: no gradient checkpointing, no mixed precision, no cross-attention.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import NamedTuple

import torch
from torch import nn

from helpers.attention import CausalSelfAttention, KVCache

GPT2_VOCAB_SIZE = 50257
GPT2_CONTEXT_LENGTH = 1024

# name: (n_layer, n_head, n_embd, context_length, vocab_size or None when the chapter's tokenizer decides)
PRESETS: dict[str, tuple[int, int, int, int, int | None]] = {
    "gpt2": (12, 12, 768, GPT2_CONTEXT_LENGTH, GPT2_VOCAB_SIZE),  # 124M
    "gpt2-medium": (24, 16, 1024, GPT2_CONTEXT_LENGTH, GPT2_VOCAB_SIZE),  # 355M
    "gpt2-large": (36, 20, 1280, GPT2_CONTEXT_LENGTH, GPT2_VOCAB_SIZE),  # 774M
    "gpt2-xl": (48, 25, 1600, GPT2_CONTEXT_LENGTH, GPT2_VOCAB_SIZE),  # 1558M
    "tiny": (2, 4, 64, 128, None),  # trains in seconds on a laptop CPU
    "small": (4, 4, 128, 256, None),  # a few minutes of training on a laptop CPU
}


@dataclass
class GPTConfig:
    """Every size of the model in one place; `GPTConfig.preset(name)` gives the named shapes."""

    vocab_size: int
    context_length: int
    n_layer: int
    n_head: int
    n_embd: int
    dropout: float = 0.0
    bias: bool = True  # biases in the linear layers and LayerNorms, as GPT-2 has
    tie_weights: bool = True  # the output head reuses the token embedding matrix, as GPT-2 does
    fused_attention: bool = True  # torch's fused kernel; False runs the written-out attention

    def __post_init__(self):
        for name in ("vocab_size", "context_length", "n_layer", "n_head", "n_embd"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"GPTConfig.{name} must be an int; got {value!r}.")
            if value < 1:
                raise ValueError(f"GPTConfig.{name} must be at least 1; got {value}.")
        if self.n_embd % self.n_head != 0:
            divisors = [h for h in range(1, min(self.n_embd, 64) + 1) if self.n_embd % h == 0]
            raise ValueError(
                f"n_embd={self.n_embd} must be divisible by n_head={self.n_head} (each head gets an equal "
                f"slice); change n_head to one of {divisors} or n_embd to a multiple of {self.n_head}."
            )
        if isinstance(self.dropout, bool) or not isinstance(self.dropout, (int, float)):
            raise TypeError(f"GPTConfig.dropout must be a number in [0, 1); got {self.dropout!r}.")
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"GPTConfig.dropout must be in [0, 1), e.g. 0.0 or 0.1; got {self.dropout}.")
        for name in ("bias", "tie_weights", "fused_attention"):
            if not isinstance(getattr(self, name), bool):
                raise TypeError(f"GPTConfig.{name} must be True or False; got {getattr(self, name)!r}.")

    @classmethod
    def preset(cls, name: str, **overrides) -> GPTConfig:
        """Build a named configuration (GPT-2 family or the chapters' CPU sizes), changing any field."""
        if name not in PRESETS:
            raise ValueError(f"unknown preset {name!r}; choose one of {sorted(PRESETS)}.")
        unknown = set(overrides) - {f.name for f in fields(cls)}
        if unknown:
            raise TypeError(
                f"GPTConfig has no field(s) {sorted(unknown)}; fields: {[f.name for f in fields(cls)]}."
            )
        n_layer, n_head, n_embd, context_length, vocab_size = PRESETS[name]
        values = dict(n_layer=n_layer, n_head=n_head, n_embd=n_embd, context_length=context_length)
        if vocab_size is not None:
            values["vocab_size"] = vocab_size
        values.update(overrides)
        if "vocab_size" not in values:
            raise ValueError(
                f"preset {name!r} takes its vocabulary from the tokenizer: "
                f"GPTConfig.preset({name!r}, vocab_size=tokenizer.vocab_size)."
            )
        return cls(**values)

    def to_dict(self) -> dict:
        """The configuration as plain JSON-ready values (checkpoints store it)."""
        return asdict(self)


class MLP(nn.Module):
    """The feed-forward part of a block: widen 4x, GELU, narrow back; it works on each position alone."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias)
        # GPT-2 was trained with the tanh approximation of GELU; the exact GELU differs by up to ~1e-3.
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias)
        self.dropout = nn.Dropout(config.dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(B, T, C) -> (B, T, C)."""
        return self.dropout(self.c_proj(self.gelu(self.c_fc(x))))


class Block(nn.Module):
    """One transformer block: attention then feed-forward, each read through a LayerNorm and added back."""

    def __init__(self, config: GPTConfig, layer_index: int | None = None):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = CausalSelfAttention(config, layer_index)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = MLP(config)

    def forward(
        self, x: torch.Tensor, *, cache: KVCache | None = None, return_weights: bool = False
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(B, T, C) -> (B, T, C) and the attention weights when asked for."""
        # Pre-LayerNorm: the residual stream x itself is never normalised, only what each part reads
        # from it, so gradients flow straight through the additions from the loss to the embeddings.
        attended, weights = self.attn(self.ln_1(x), cache=cache, return_weights=return_weights)
        x = x + attended
        x = x + self.mlp(self.ln_2(x))
        return x, weights


class Trace(NamedTuple):
    """What the model computed on the way to its logits, for the attention and logit-lens views."""

    logits: torch.Tensor  # (B, T, vocab_size)
    attentions: list[torch.Tensor]  # one (B, n_head, T, T) per layer; each row sums to 1
    hidden_states: list[torch.Tensor]  # n_layer + 1 of (B, T, C): embeddings, then after each block


class GPT(nn.Module):
    """A GPT-2-style language model: ids (B, T) in, logits (B, T, vocab_size) for the next token out."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(
                f"GPT needs a GPTConfig, e.g. GPTConfig.preset('tiny', vocab_size=...); got {config!r}."
            )
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embeddings
        self.wpe = nn.Embedding(config.context_length, config.n_embd)  # position embeddings
        self.drop = nn.Dropout(config.dropout)
        self.h = nn.ModuleList(Block(config, layer_index) for layer_index in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            # One matrix both reads tokens in and scores them out: fewer parameters, and GPT-2 does it.
            self.lm_head.weight = self.wte.weight
        self.apply(self._init_weights)
        # Every block adds its attention and MLP outputs to the residual stream, 2 * n_layer additions in
        # all. With independent outputs the variance of the sum grows with their number, so the
        # projections that write into the stream start 1/sqrt(2 * n_layer) smaller (GPT-2's scheme): the
        # stream keeps about the same scale at the top of a deep model as at the bottom.
        for name, parameter in self.named_parameters():
            if name.endswith("c_proj.weight"):
                nn.init.normal_(parameter, mean=0.0, std=0.02 / math.sqrt(2 * config.n_layer))

    @staticmethod
    def _init_weights(module: nn.Module) -> None:
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)
        if isinstance(module, nn.Linear) and module.bias is not None:
            nn.init.zeros_(module.bias)

    def num_parameters(self, exclude_position_embeddings: bool = False) -> int:
        """Count the trainable numbers (shared ones once), the figure model cards quote."""
        total = sum(p.numel() for p in self.parameters())
        return total - self.wpe.weight.numel() if exclude_position_embeddings else total

    def check_ids(self, ids: torch.Tensor, past_length: int = 0) -> torch.Tensor:
        """Return ids as a (B, T) long tensor, or raise a ValueError/TypeError that says what to fix."""
        if not isinstance(ids, torch.Tensor):
            raise TypeError(
                f"ids must be a torch tensor of token ids, e.g. torch.tensor([ids]); "
                f"got {type(ids).__name__}."
            )
        if ids.is_floating_point() or ids.is_complex() or ids.dtype == torch.bool:
            raise TypeError(f"ids must hold integers (torch.long); got {ids.dtype}. Use ids.long().")
        if ids.dim() == 1:
            ids = ids.unsqueeze(0)
        if ids.dim() != 2:
            raise ValueError(
                f"ids must have shape (batch, positions) or (positions,); got {tuple(ids.shape)}."
            )
        if ids.size(1) == 0:
            raise ValueError("ids is empty: give at least one token.")
        limit = self.config.context_length - past_length
        if ids.size(1) > limit:
            cached = f" after {past_length} cached positions" if past_length else ""
            raise ValueError(
                f"{ids.size(1)} positions{cached} do not fit the context of {self.config.context_length}; "
                f"keep the last {limit} (ids[:, -{limit}:])."
            )
        low, high = ids.min().item(), ids.max().item()
        if low < 0 or high >= self.config.vocab_size:
            bad = low if low < 0 else high
            position = tuple(torch.nonzero(ids == bad)[0].tolist())
            raise ValueError(
                f"token id {bad} at (batch, position) {position} is outside the vocabulary [0, "
                f"{self.config.vocab_size}); the tokenizer and the model do not match."
            )
        return ids.to(device=self.wte.weight.device, dtype=torch.long)

    def _run(self, ids: torch.Tensor, *, cache: KVCache | None, trace: bool, last_only: bool = False) -> Trace:
        past = 0
        if cache is not None:
            if not isinstance(cache, KVCache) or cache.n_layer != self.config.n_layer:
                raise ValueError(
                    f"cache must be KVCache({self.config.n_layer}, {self.config.context_length})."
                )
            past = cache.length
        unbatched = isinstance(ids, torch.Tensor) and ids.dim() == 1
        ids = self.check_ids(ids, past)
        B, T = ids.size()
        # (B, T), one row per sequence: DP-SGD (Opacus, chapter 8) needs each sequence's own position gradients.
        positions = torch.arange(past, past + T, device=ids.device).expand(B, T)
        x = self.drop(self.wte(ids) + self.wpe(positions))  # (B, T, C)
        hidden_states, attentions = [x], []
        for block in self.h:
            x, weights = block(x, cache=cache, return_weights=trace)
            if trace:
                hidden_states.append(x)
                attentions.append(weights)
        # Generation needs only the last position's scores; the head is the costliest layer of a small model.
        logits = self.unembed(x[:, -1:] if last_only else x)  # (B, T or 1, vocab_size)
        if unbatched:
            return Trace(logits[0], [a[0] for a in attentions], [h[0] for h in hidden_states])
        return Trace(logits, attentions, hidden_states)

    def unembed(self, hidden: torch.Tensor) -> torch.Tensor:
        """Turn residual-stream vectors (…, C) into logits (…, vocab_size): the final LayerNorm and the head.

        The logit lens applies it to the hidden states of earlier layers.
        """
        return self.lm_head(self.ln_f(hidden))

    def forward(self, ids: torch.Tensor, cache: KVCache | None = None, *, last_only: bool = False) -> torch.Tensor:
        """Score every possible next token at every position: ids (B, T) -> logits (B, T, vocab_size).

        With a KVCache, ids are only the new positions; the cache supplies the earlier ones. last_only=True
        returns the logits of the last position only, (B, 1, vocab_size), which is all that generation needs.
        """
        return self._run(ids, cache=cache, trace=False, last_only=last_only).logits

    @torch.no_grad()
    def trace(self, ids: torch.Tensor) -> Trace:
        """Run the model and keep every layer's attention weights and hidden states, for looking at them."""
        return self._run(ids, cache=None, trace=True)
