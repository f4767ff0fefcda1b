"""In-context learning from scratch: induction heads in small attention-only transformers (chapter 7).

The task: each sequence is a random block of distinct symbols, of a random period between 4 and 24,
repeated to fill the context ("k3Qa9k3Qa9k3Q..."). The first block cannot be predicted; every later
token can, but only by looking back: "the last time I saw this symbol, what came next?". That rule is
an induction head (Olsson et al., 2022): a head in layer 1 that attends from the current token to
the token *after* its previous occurrence and copies it. It needs two layers, because a key must know
which token came before it; a previous-token head in layer 0 writes that into the residual stream.

What is here, in the order the chapter uses it:

symbol_tokenizer       one character per symbol (digits and letters), so a learner can type a sequence
repeated_blocks        the sequences, seeded (periods=(12, 12) gives the shortcut version of the task)
RepeatedBlocks         the same as a Dataset of (inputs, targets) for helpers.training.train
AttentionOnlyTransformer  embeddings, attention layers (helpers.attention) and an unembedding, no MLPs
previous_token_scores  per head: the mean attention from each token to the one just before it
induction_scores       per head: the mean attention to the tokens that followed earlier copies of the
                       current token (the prefix-matching score)
repeat_loss            loss on the predictable part only (after the first block)
measure_heads          loss, repeat loss and both scores of every head of a model on some sequences
InductionRun           a training run's model and its record (and `steepest_drop`, where the loss falls)
train_induction_model  train with helpers.training and record loss and both scores at every evaluation

Simplified on purpose: pre-LayerNorm residual blocks of attention only (no MLP), learned absolute
positions, distinct symbols within a block so that "the previous occurrence" is unambiguous.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import Dataset

from helpers.attention import CausalSelfAttention
from helpers.model import GPTConfig, Trace
from helpers.runtime import evaluating
from helpers.tokenizers import CharacterTokenizer
from helpers.training import TrainingConfig, TrainingEvent, train

SYMBOLS = string.digits + string.ascii_uppercase + string.ascii_lowercase  # 62, in the order of their ids
MIN_PERIOD, MAX_PERIOD = 4, 24


def symbol_tokenizer() -> CharacterTokenizer:
    """A character tokenizer whose ids 0..61 are the task's symbols (0-9, a-z, A-Z): type sequences as text."""
    return CharacterTokenizer.train(SYMBOLS, name="symbols")


def repeated_blocks(
    n_sequences: int,
    length: int,
    *,
    n_symbols: int = len(SYMBOLS),
    periods: tuple[int, int] = (MIN_PERIOD, MAX_PERIOD),
    seed: int = 0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """(sequences (N, length), periods (N,)): blocks of distinct random symbols, each repeated to fill `length`.

    periods=(p, p) fixes the period: then the answer always sits p positions back, a shortcut a model can
    learn from positions alone.
    """
    low, high = periods
    if not 2 <= low <= high <= n_symbols:
        raise ValueError(f"periods must satisfy 2 <= low <= high <= n_symbols={n_symbols}; got {periods}.")
    if n_sequences < 1 or length < 1:
        raise ValueError(f"n_sequences and length must be positive; got {n_sequences} and {length}.")
    generator = torch.Generator().manual_seed(seed)
    period = torch.randint(low, high + 1, (n_sequences,), generator=generator)  # (N,)
    blocks = torch.rand(n_sequences, n_symbols, generator=generator).argsort(dim=1)  # (N, n_symbols) permutations
    position = torch.arange(length)  # (T,)
    sequences = blocks.gather(1, position[None, :] % period[:, None])  # (N, T): token t is block[t mod period]
    return sequences, period


class RepeatedBlocks(Dataset):
    """Repeated-block sequences as (inputs, targets) pairs, targets shifted by one, for helpers.training."""

    def __init__(self, n_sequences: int, context_length: int, *, periods: tuple[int, int] = (MIN_PERIOD, MAX_PERIOD),
                 n_symbols: int = len(SYMBOLS), seed: int = 0):
        self.sequences, self.periods = repeated_blocks(
            n_sequences, context_length + 1, n_symbols=n_symbols, periods=periods, seed=seed
        )  # (N, T + 1), (N,)

    def __len__(self) -> int:
        return len(self.sequences)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        sequence = self.sequences[index]
        return sequence[:-1], sequence[1:]


class AttentionOnlyTransformer(nn.Module):
    """A transformer with the MLPs taken out: embeddings, attention layers on a residual stream, unembedding.

    It has `config` and `trace` like helpers.model.GPT, so helpers.widgets.AttentionLab can show it.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        if not isinstance(config, GPTConfig):
            raise TypeError(f"AttentionOnlyTransformer needs a GPTConfig; got {type(config).__name__}.")
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.context_length, config.n_embd)
        self.ln = nn.ModuleList(nn.LayerNorm(config.n_embd, bias=config.bias) for _ in range(config.n_layer))
        self.attn = nn.ModuleList(CausalSelfAttention(config) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def _run(self, ids: torch.Tensor, keep: bool) -> Trace:
        if ids.dim() != 2 or ids.size(1) > self.config.context_length:
            raise ValueError(
                f"ids must be (batch, positions) with at most {self.config.context_length} positions; "
                f"got {tuple(ids.shape)}."
            )
        positions = torch.arange(ids.size(1), device=ids.device)  # (T,)
        x = self.wte(ids) + self.wpe(positions)  # (B, T, C)
        hidden_states, attentions = [x], []
        for ln, attn in zip(self.ln, self.attn, strict=True):
            attended, weights = attn(ln(x), return_weights=keep)  # (B, T, C), (B, nh, T, T) or None
            x = x + attended
            if keep:
                hidden_states.append(x)
                attentions.append(weights)
        return Trace(self.lm_head(self.ln_f(x)), attentions, hidden_states)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Next-token logits: ids (B, T) -> (B, T, vocab_size)."""
        return self._run(ids, keep=False).logits

    @torch.no_grad()
    def trace(self, ids: torch.Tensor) -> Trace:
        """Run the model and keep every layer's attention weights (B, nh, T, T), for scoring and plotting."""
        return self._run(ids, keep=True)


def _check_pattern(attention: torch.Tensor, tokens: torch.Tensor) -> None:
    if attention.dim() != 4 or attention.size(-1) != attention.size(-2):
        raise ValueError(f"attention must be (batch, heads, T, T); got {tuple(attention.shape)}.")
    if tokens.shape != (attention.size(0), attention.size(-1)):
        raise ValueError(
            f"tokens must be (batch, T) = {(attention.size(0), attention.size(-1))}; got {tuple(tokens.shape)}."
        )


def previous_token_scores(attention: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Per head, the mean attention each token (from the second on) pays to the token just before it: (heads,)."""
    _check_pattern(attention, tokens)
    previous = attention.diagonal(offset=-1, dim1=-2, dim2=-1)  # (B, nh, T - 1): weight of query t on key t - 1
    return previous.mean(dim=(0, 2))


def induction_targets(tokens: torch.Tensor) -> torch.Tensor:
    """(B, T, T) booleans: key s is marked for query t when s <= t and token s - 1 equals token t.

    Those keys are the tokens that followed an earlier copy of the current token: where an induction head looks.
    """
    same = tokens[:, :, None] == tokens[:, None, :]  # (B, T, T): token t == token u
    targets = torch.zeros_like(same)
    targets[:, :, 1:] = same[:, :, :-1]  # key s = u + 1 follows the copy at u
    return targets & torch.ones_like(same).tril()  # only keys a causal head can see


def induction_scores(attention: torch.Tensor, tokens: torch.Tensor) -> torch.Tensor:
    """Per head, the mean attention paid to tokens that followed earlier copies of the current token: (heads,).

    Only queries whose token appeared before count (elsewhere there is nothing to match); this is the
    prefix-matching score of Olsson et al. (2022).
    """
    _check_pattern(attention, tokens)
    targets = induction_targets(tokens)  # (B, T, T)
    has_target = targets.any(dim=-1)  # (B, T)
    if not has_target.any():
        raise ValueError("no token repeats in these sequences, so there is nothing to score; repeat some tokens.")
    on_targets = (attention * targets[:, None].to(attention.dtype)).sum(dim=-1)  # (B, nh, T)
    return (on_targets * has_target[:, None]).sum(dim=(0, 2)) / has_target.sum()


def repeat_loss(logits: torch.Tensor, sequences: torch.Tensor, periods: torch.Tensor) -> float:
    """Mean cross-entropy of the predictions the repeats make possible: targets after the first block."""
    targets = sequences[:, 1:]  # (B, T)
    losses = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none")  # (B, T)
    position = torch.arange(1, sequences.size(1))  # the position of each target
    predictable = position[None, :] >= periods[:, None]  # (B, T): the target repeats an earlier token
    return float(losses[predictable].mean())


@dataclass
class InductionRun:
    """One training run: the model, and at every evaluation the losses and both scores of every head."""

    model: AttentionOnlyTransformer
    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)  # all positions, as trained
    repeat_loss: list[float] = field(default_factory=list)  # only the predictable positions
    previous_token: list[torch.Tensor] = field(default_factory=list)  # each (n_layer, n_head)
    induction: list[torch.Tensor] = field(default_factory=list)  # each (n_layer, n_head)

    def scores(self, name: str) -> torch.Tensor:
        """(evaluations, n_layer, n_head) history of "previous_token" or "induction" scores."""
        if name not in ("previous_token", "induction"):
            raise ValueError(f"name must be 'previous_token' or 'induction'; got {name!r}.")
        return torch.stack(getattr(self, name))

    def steepest_drop(self) -> int:
        """The evaluated step that ends the largest fall of the repeat loss between two evaluations."""
        if len(self.step) < 2:
            raise ValueError("the run needs at least two evaluations to have a drop.")
        falls = [before - after for before, after in zip(self.repeat_loss, self.repeat_loss[1:], strict=False)]
        return self.step[1 + max(range(len(falls)), key=falls.__getitem__)]


def measure_heads(model: nn.Module, sequences: torch.Tensor,
                  periods: torch.Tensor) -> tuple[float, float, torch.Tensor, torch.Tensor]:
    """(loss, repeat loss, previous-token scores (L, H), induction scores (L, H)) of a model on sequences (N, T + 1).

    Works for any model with `trace` (helpers.model.GPT too), so pretrained models can be checked the same way.
    """
    inputs = sequences[:, :-1]  # (B, T)
    with evaluating(model):
        trace = model.trace(inputs)
    loss = float(F.cross_entropy(trace.logits.transpose(1, 2), sequences[:, 1:]))
    previous = torch.stack([previous_token_scores(a, inputs) for a in trace.attentions])  # (L, H)
    induction = torch.stack([induction_scores(a, inputs) for a in trace.attentions])  # (L, H)
    return loss, repeat_loss(trace.logits, sequences, periods), previous, induction


def train_induction_model(
    n_layer: int,
    *,
    periods: tuple[int, int] = (MIN_PERIOD, MAX_PERIOD),
    context_length: int = 48,
    n_embd: int = 64,
    n_head: int = 2,
    max_steps: int = 600,
    batch_size: int = 32,
    learning_rate: float = 2e-3,
    eval_every: int = 20,
    probe_sequences: int = 64,
    seed: int = 0,
    progress: bool = True,
) -> InductionRun:
    """Train an attention-only transformer on repeated blocks and record loss and head scores as it learns."""
    tokenizer = symbol_tokenizer()
    config = GPTConfig(vocab_size=tokenizer.vocab_size, context_length=context_length, n_layer=n_layer,
                       n_head=n_head, n_embd=n_embd)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = AttentionOnlyTransformer(config)
    train_set = RepeatedBlocks(max_steps * batch_size, context_length, periods=periods, seed=seed)
    val_set = RepeatedBlocks(4 * batch_size, context_length, periods=periods, seed=seed + 1)
    # The probe always has random periods, so a model that learned a fixed offset is caught out.
    probe, probe_periods = repeated_blocks(probe_sequences, context_length + 1, seed=seed + 2)
    run = InductionRun(model)

    def record(event: TrainingEvent) -> None:
        loss, repeats, previous, induction = measure_heads(event.model, probe, probe_periods)
        run.step.append(event.step)
        run.loss.append(loss)
        run.repeat_loss.append(repeats)
        run.previous_token.append(previous)
        run.induction.append(induction)

    config = TrainingConfig(max_steps=max_steps, batch_size=batch_size, learning_rate=learning_rate,
                            warmup_steps=max(1, max_steps // 20), weight_decay=0.0, eval_every=eval_every,
                            eval_batches=1, seed=seed)
    train(model, train_set, val_set, config, callbacks=[record], progress=progress)
    return run
