# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Chapter 5 — Building an LLM from scratch
#
# An LLM is built in three stages: first the **architecture** (embeddings, attention, feed-forward layers),
# then **pretraining** on a large corpus, then **fine-tuning** for a task. This chapter is the first stage,
# done by hand: every part of a GPT written in a few lines, checked against the series' `helpers` model
# (same numbers), and then put to work on a text of your own.
#
# After this chapter you will be able to:
#
# - turn text into training batches: a BPE tokenizer, sliding windows whose targets are the inputs shifted
#   by one, batches;
# - write each part of a GPT — token and position embeddings, LayerNorm, GELU, the feed-forward block,
#   residual connections, the transformer block, the whole model — and prove it computes the same logits as
#   `helpers.model.GPT`;
# - say why residual connections matter, from gradient norms you measure;
# - count the parameters and memory of GPT-2 (124M to 1.5B) without building them;
# - train a tokenizer and a small model on any text you paste, in about 20 seconds, tell when it overfits,
#   save and reload it safely, and run it with Hugging Face `transformers` (and, online, compare it with the
#   real GPT-2).
#
# **Run time:** about 40 seconds on an idle 2-core laptop CPU (the series' reference model, used for one
# comparison, comes with the course: nothing is downloaded, and GPT-2's section runs only when you are online).

# %%
import time

started = time.perf_counter()

import math
import re
import warnings

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from helpers.runtime import seed_everything

warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
seed_everything(0)
torch.set_printoptions(precision=3, sci_mode=False)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

# %% [markdown]
# ## 1. Three stages, and the plan of a GPT
#
# ![Three boxes left to right: 1. Architecture (embeddings, attention, feed-forward layers; an untrained
# model), 2. Pretraining (predict the next token on a large unlabelled corpus; a foundation model),
# 3. Fine-tuning (a little labelled data for one task; a classifier or an assistant)](../images/05_three_stages.png)
#
# This chapter builds stage 1 and runs a first, small stage 2; chapter 6 does pretraining properly and
# fine-tunes. Here is the whole model we are going to write, from token ids at the bottom to one score per
# vocabulary entry at the top (B = batch, T = positions, C = embedding width, V = vocabulary size):
#
# ![The GPT architecture from bottom to top: token ids, token and position embeddings added, a transformer
# block repeated n_layer times (LayerNorm, masked multi-head attention, add; LayerNorm, feed-forward, add,
# with residual connections around each part), a final LayerNorm and a linear head giving the
# logits](../images/05_gpt_architecture.png)

# %% [markdown]
# ## 2. The data pipeline: text → tokens → windows → batches
#
# Our corpus is TinyWorld, the series' generated little world (chapter 1). Each line is one document.

# %%
from helpers.tinyworld2 import TinyWorld

world = TinyWorld(0)
text = world.corpus_text(2000)
print(f"{len(text):,} characters in {len(text.splitlines()):,} documents. The first three:")
print("\n".join(text.splitlines()[:3]))

# %% [markdown]
# ### 2.1 A BPE tokenizer
#
# Byte-pair encoding starts from the 256 bytes and, again and again, fuses the most frequent pair of
# neighbouring tokens into a new token. Merges never cross the chunks of GPT-2's pre-split (a word with its
# leading space, a run of punctuation, ...). The first few merges, written out:

# %%
from collections import Counter
from itertools import pairwise

from helpers.tokenizers import merge_pair, pre_split

chunk_counts = Counter(pre_split(text))  # distinct chunks such as " the", each with how often it occurs
words = {chunk: list(chunk.encode("utf-8")) for chunk in chunk_counts}  # chunk -> token ids (bytes at first)
vocabulary = [bytes([b]) for b in range(256)]  # id -> the bytes it stands for
my_merges = []
for _ in range(8):
    pair_counts = Counter()
    for chunk, ids_ in words.items():
        for pair in pairwise(ids_):
            pair_counts[pair] += chunk_counts[chunk]
    best = min(pair_counts, key=lambda pair: (-pair_counts[pair], pair))  # most frequent; ties: smaller ids
    new_id = len(vocabulary)
    words = {chunk: merge_pair(ids_, best, new_id) for chunk, ids_ in words.items()}
    vocabulary.append(vocabulary[best[0]] + vocabulary[best[1]])
    my_merges.append((vocabulary[best[0]], vocabulary[best[1]]))
    print(f"merge {new_id - 256}: {vocabulary[best[0]]!r:8} + {vocabulary[best[1]]!r:8} -> token {new_id} "
          f"{vocabulary[new_id]!r} ({pair_counts[best]:,} times)")

# %% [markdown]
# `helpers.tokenizers.BPETokenizer` learns the same merges (with a faster bookkeeping) and adds the special
# token `<|endoftext|>`. We train it to a vocabulary of 512 tokens:

# %%
from helpers.tokenizers import BPETokenizer

tokenizer = BPETokenizer.train(text, vocab_size=512)
assert tokenizer.merges[: len(my_merges)] == my_merges
ids = tokenizer.encode(text)
assert tokenizer.decode(ids) == text
example = text.splitlines()[1]
print(f"vocabulary: {tokenizer.vocab_size} tokens; the corpus is {len(ids):,} tokens, "
      f"{len(text) / len(ids):.2f} characters per token")
print(example)
print(tokenizer.token_strings(tokenizer.encode(example)))
print(tokenizer.encode(example))

# %% [markdown]
# ### 2.2 Sliding windows: the targets are the inputs shifted by one
#
# A language model learns from every position of a window at once: position *t* is trained to predict
# token *t + 1*. So the targets are the same tokens, one step further along.

# %%
CONTEXT = 8
x, y = ids[:CONTEXT], ids[1 : CONTEXT + 1]
print("inputs: ", x)
print("targets:", y)
for t in range(CONTEXT):
    print(f"{tokenizer.decode(x[: t + 1])!r:>32} -> {tokenizer.decode([y[t]])!r}")

# %% [markdown]
# Slide the window along the corpus, `stride` tokens at a time (stride = context: no overlap; smaller:
# overlapping windows, more training examples from the same text). `helpers.windows.TokenWindows` does the
# same:

# %%
from helpers.windows import TokenWindows

STRIDE = 4
my_windows = [(ids[i : i + CONTEXT], ids[i + 1 : i + CONTEXT + 1]) for i in range(0, len(ids) - CONTEXT, STRIDE)]
windows = TokenWindows(ids, CONTEXT, stride=STRIDE)
assert len(windows) == len(my_windows)
assert all(windows[i][0].tolist() == a and windows[i][1].tolist() == b for i, (a, b) in enumerate(my_windows))
print(f"{len(windows):,} windows of {CONTEXT} tokens, every {STRIDE} tokens; the second one:")
print(windows[1])

# %% [markdown]
# ### 2.3 Batches
#
# Training takes several windows at a time, stacked into a (B, T) tensor of inputs and one of targets.
# `helpers.batches.ShuffledBatches` is what `train` reads: batch number `step` of the windows, reshuffled every
# epoch from a seed. Asking for the same step again gives the same batch, so a resumed run sees exactly the
# batches an uninterrupted one would.

# %%
from helpers.batches import ShuffledBatches
from helpers.windows import split_ids

train_ids, val_ids = split_ids(ids, validation_fraction=0.1)
batches = ShuffledBatches(TokenWindows(train_ids, CONTEXT), batch_size=4, seed=0)
inputs, targets = batches(0)  # step 0
print(f"{len(batches):,} batches per epoch; inputs {tuple(inputs.shape)}, targets {tuple(targets.shape)}")
print(inputs)
print(targets)
assert torch.equal(inputs[:, 1:], targets[:, :-1])  # shifted by one
assert torch.equal(batches(0)[0], inputs)  # the same step, the same batch

# %% [markdown]
# ## 3. The architecture, piece by piece
#
# We build the model at the size of the series' `tiny` preset: 2 blocks, 4 heads, 64 numbers per token.

# %%
from helpers.model import GPT, GPTConfig

config = GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size)
print(config)
B, T, C = inputs.shape[0], inputs.shape[1], config.n_embd

# %% [markdown]
# ### 3.1 Token embeddings
#
# An embedding is a table with one learned row of C numbers per token id: looking a token up is reading
# its row.

# %%
torch.manual_seed(0)
token_embedding = nn.Embedding(config.vocab_size, C)
tokens = token_embedding(inputs)  # (B, T, C)
print(f"table {tuple(token_embedding.weight.shape)}; inputs {tuple(inputs.shape)} -> {tuple(tokens.shape)}")
assert torch.equal(tokens[0, 0], token_embedding.weight[inputs[0, 0]])

# %% [markdown]
# ### 3.2 Position embeddings
#
# Attention by itself is blind to word order (chapter 3), so each position 0, 1, ..., context − 1 gets a
# learned vector too, added to the token's. The same token at two positions now has two different vectors.

# %%
position_embedding = nn.Embedding(config.context_length, C)
positions = position_embedding(torch.arange(T))  # (T, C), the same for every row of the batch
x = tokens + positions  # (B, T, C) + (T, C) broadcasts over the batch
print(f"positions {tuple(positions.shape)}; token + position {tuple(x.shape)}")

# %% [markdown]
# ### 3.3 LayerNorm
#
# Before attention and before the feed-forward part, each token's vector is normalised: mean 0, variance
# 1 across its C numbers, then scaled and shifted by two learned vectors. It keeps the numbers in a range
# where training is stable, whatever the layers before did.

# %%
class LayerNorm(nn.Module):
    def __init__(self, n_embd: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps  # keeps the division finite when a vector is constant
        self.weight = nn.Parameter(torch.ones(n_embd))  # scale, learned
        self.bias = nn.Parameter(torch.zeros(n_embd))  # shift, learned

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=-1, keepdim=True)  # (B, T, 1)
        variance = x.var(dim=-1, keepdim=True, unbiased=False)  # (B, T, 1)
        return self.weight * (x - mean) / torch.sqrt(variance + self.eps) + self.bias  # (B, T, C)


normed = LayerNorm(C)(x)
print(f"before: mean {x.mean(-1)[0, :4].tolist()}, std {x.std(-1, unbiased=False)[0, :4].tolist()}")
print(f"after:  mean {normed.mean(-1)[0, :4].tolist()}, std {normed.std(-1, unbiased=False)[0, :4].tolist()}")

# %% [markdown]
# With any learned scale and shift, it computes what PyTorch's `nn.LayerNorm` computes:

# %%
mine, theirs = LayerNorm(C), nn.LayerNorm(C)
with torch.no_grad():
    for layer in (mine, theirs):
        layer.weight.copy_(torch.linspace(0.5, 1.5, C))
        layer.bias.copy_(torch.linspace(-0.1, 0.1, C))
difference = (mine(x) - theirs(x)).abs().max().item()
print(f"largest difference from nn.LayerNorm: {difference:.1e}")
assert torch.allclose(mine(x), theirs(x), atol=1e-5)

# %% [markdown]
# ### 3.4 GELU, the feed-forward block's non-linearity
#
# ReLU sets every negative input to 0, and its gradient there is 0 too: a unit that only sees negative
# inputs stops learning. GELU (x times the probability that a standard normal is below x) is smooth and
# lets a little of the negative side through. GPT-2 uses its tanh approximation:

# %%
def gelu(x: torch.Tensor) -> torch.Tensor:
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


grid = torch.linspace(-4, 4, 401, requires_grad=True)
assert torch.allclose(gelu(grid), nn.GELU(approximate="tanh")(grid), atol=1e-6)
print(f"largest gap to the exact GELU: {(gelu(grid) - F.gelu(grid)).abs().max().item():.1e}")

figure, axes = plt.subplots(1, 2, figsize=(8, 2.8), dpi=90)
for name, function in (("ReLU", torch.relu), ("GELU", gelu)):
    values = function(grid)
    (slope,) = torch.autograd.grad(values.sum(), grid)
    axes[0].plot(grid.detach(), values.detach(), label=name)
    axes[1].plot(grid.detach(), slope, label=name)
axes[0].set_title("the function", fontsize=10)
axes[1].set_title("its gradient", fontsize=10)
for ax in axes:
    ax.axhline(0, color="grey", linewidth=0.5)
    ax.axvline(0, color="grey", linewidth=0.5)
    ax.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# ### 3.5 The feed-forward block
#
# After attention has mixed information across positions, each position is processed on its own: widen
# to 4·C numbers, GELU, narrow back to C. (The names `c_fc` and `c_proj` are GPT-2's, so weights can be
# loaded by name.)

# %%
class FeedForward(nn.Module):
    def __init__(self, config: GPTConfig):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        hidden = gelu(self.c_fc(x))  # (B, T, 4C)
        return self.c_proj(hidden)  # (B, T, C)


feed_forward = FeedForward(config)
print(f"{tuple(x.shape)} -> {tuple(feed_forward.c_fc(x).shape)} -> {tuple(feed_forward(x).shape)}")

# %% [markdown]
# It is the `MLP` of `helpers.model`: with the same weights, the same output.

# %%
from helpers.model import MLP

helpers_mlp = MLP(config)
feed_forward.load_state_dict(helpers_mlp.state_dict())
assert torch.allclose(feed_forward(x), helpers_mlp(x), atol=1e-6)
print("FeedForward == helpers.model.MLP")

# %% [markdown]
# ### 3.6 Residual connections
#
# Stack many layers and the gradient of the loss must travel down through all of them; at every layer it
# is multiplied by that layer's derivative, and a product of many factors below 1 vanishes. A *residual
# connection* (shortcut) adds a layer's input to its output, `x + layer(x)` instead of `layer(x)`: the
# derivative of `x` is 1, so the gradient also has a path that skips the layer.
#
# We measure it on a deep-ish tiny model: 12 feed-forward blocks on top of each other (no LayerNorm yet),
# with PyTorch's default initial weights, once with shortcuts and once without. One backward pass, then the
# norm of each block's gradient:

# %%
def gradient_norms_of_stack(residual: bool, depth: int = 12) -> list[float]:
    torch.manual_seed(0)
    embedding, head = nn.Embedding(config.vocab_size, C), nn.Linear(C, config.vocab_size)
    stack = nn.ModuleList(FeedForward(config) for _ in range(depth))
    hidden = embedding(batch_x)  # (B, T, C)
    for layer in stack:
        hidden = hidden + layer(hidden) if residual else layer(hidden)  # (B, T, C)
    F.cross_entropy(head(hidden).flatten(0, 1), batch_y.flatten()).backward()
    return [torch.cat([p.grad.flatten() for p in layer.parameters()]).norm().item() for layer in stack]


batch_x, batch_y = ShuffledBatches(TokenWindows(train_ids, 64), 8, seed=0)(0)  # (8, 64) each
stack_norms = {residual: gradient_norms_of_stack(residual) for residual in (True, False)}
for residual, norms in stack_norms.items():
    print(f"{'with' if residual else 'without':>7} shortcuts: " + " ".join(f"{n:.0e}" for n in norms))

figure, axes = plt.subplots(figsize=(6.5, 3), dpi=90)
axes.semilogy(range(1, 13), stack_norms[True], "o-", label="with residual connections")
axes.semilogy(range(1, 13), stack_norms[False], "s-", label="without")
axes.set_xlabel("block (1 = nearest the input)")
axes.set_ylabel("gradient norm")
axes.set_title("12 feed-forward blocks: without shortcuts the gradient vanishes", fontsize=10)
axes.legend(fontsize=8)
plt.show()

# %% [markdown]
# With shortcuts every block receives a gradient of about the same size (0.4). Without them the gradient
# shrinks about five times per block on its way down, and block 1 receives less than 10⁻⁹, a hundred million
# times less than block 12: the first blocks would barely learn. This is the *vanishing gradient* that kept
# deep networks shallow until residual connections (ResNet, 2015) and that every transformer block now
# avoids with its two additions.

# %%
assert stack_norms[True][0] / stack_norms[True][-1] > 0.5  # about the same size in every block
assert stack_norms[False][0] / stack_norms[False][-1] < 1e-6  # vanished on the way down

# %% [markdown]
# ### 3.7 Attention
#
# Chapter 3 wrote causal multi-head self-attention from scratch; we import it:

# %%
from helpers.attention import CausalSelfAttention

attention = CausalSelfAttention(config)
attended, _ = attention(x)
print(f"{config.n_head} heads of {C // config.n_head} numbers: {tuple(x.shape)} -> {tuple(attended.shape)}")

# %% [markdown]
# ### 3.8 The transformer block
#
# A block reads the stream of token vectors through a LayerNorm, attends, and adds the result back to the
# stream (a residual connection); then the same with the feed-forward part. Each part only writes a
# correction into a stream that flows through unchanged. A switch lets us remove the shortcuts, for 3.10.

# %%
class TransformerBlock(nn.Module):
    def __init__(self, config: GPTConfig, residual: bool = True):
        super().__init__()
        self.ln_1 = LayerNorm(config.n_embd)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = LayerNorm(config.n_embd)
        self.mlp = FeedForward(config)
        self.residual = residual

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        attended, _ = self.attn(self.ln_1(x))  # (B, T, C)
        x = x + attended if self.residual else attended
        fed = self.mlp(self.ln_2(x))  # (B, T, C)
        return x + fed if self.residual else fed


block = TransformerBlock(config)
print(f"block: {tuple(x.shape)} -> {tuple(block(x).shape)}, {sum(p.numel() for p in block.parameters()):,} parameters")

# %%
from helpers.model import Block

helpers_block = Block(config)
block.load_state_dict(helpers_block.state_dict())
assert torch.allclose(block(x), helpers_block(x)[0], atol=1e-5)
print("TransformerBlock == helpers.model.Block")

# %% [markdown]
# ### 3.9 The whole GPT
#
# Embeddings, a stack of blocks, a final LayerNorm and a linear head that turns each vector into V scores.
# The head reuses the token embedding's table (*weight tying*, as GPT-2 does): one matrix reads tokens in
# and scores them out.

# %%
class MyGPT(nn.Module):
    def __init__(self, config: GPTConfig, residual: bool = True):
        super().__init__()
        self.config = config
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)  # token embeddings
        self.wpe = nn.Embedding(config.context_length, config.n_embd)  # position embeddings
        self.h = nn.ModuleList(TransformerBlock(config, residual) for _ in range(config.n_layer))
        self.ln_f = LayerNorm(config.n_embd)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.lm_head.weight = self.wte.weight  # tied

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        B, T = ids.shape
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))  # (B, T, C)
        for block in self.h:
            x = block(x)  # (B, T, C)
        return self.lm_head(self.ln_f(x))  # (B, T, V)


my_model = MyGPT(config)
print(f"{tuple(inputs.shape)} -> logits {tuple(my_model(inputs).shape)}; "
      f"{sum(p.numel() for p in my_model.parameters()):,} parameters")

# %% [markdown]
# We load the same weights into our model and into `helpers.model.GPT` and compare their logits:

# %%
torch.manual_seed(0)
helpers_model = GPT(config).eval()
my_model.load_state_dict(helpers_model.state_dict())
with torch.no_grad():
    mine, theirs = my_model(inputs), helpers_model(inputs)
print(f"largest logit difference: {(mine - theirs).abs().max().item():.1e}")
assert torch.allclose(mine, theirs, atol=1e-5)
assert my_model.state_dict().keys() == helpers_model.state_dict().keys()

# %% [markdown]
# Same parameter names, same logits: from here on we use `helpers.model.GPT` (it adds dropout, a KV cache
# for fast generation and input checks).
#
# ### 3.10 Residual connections in the GPT
#
# Our GPT normalises the input of every attention and feed-forward part, so does it still need the
# shortcuts? An 8-block model, built twice with the same initial weights (GPT-2's initialisation, taken
# from `helpers.model.GPT`), with and without residual connections: first the gradient norm of each block,
# then 100 training steps of each.

# %%
from helpers.training import TrainingConfig, train

deep_config = GPTConfig(vocab_size=tokenizer.vocab_size, context_length=64, n_layer=8, n_head=4, n_embd=64)
torch.manual_seed(0)
deep_weights = GPT(deep_config).state_dict()
deep_settings = TrainingConfig(max_steps=100, batch_size=8, learning_rate=3e-3, warmup_steps=10, eval_every=20,
                               eval_batches=4, seed=0)
block_norms, deep_histories = {}, {}
for residual in (True, False):
    deep = MyGPT(deep_config, residual=residual)
    deep.load_state_dict(deep_weights)
    F.cross_entropy(deep(batch_x).flatten(0, 1), batch_y.flatten()).backward()
    block_norms[residual] = [torch.cat([p.grad.flatten() for p in b.parameters()]).norm().item() for b in deep.h]
    deep.zero_grad()
    deep_histories[residual] = train(deep, train_ids, val_ids, deep_settings, progress=False)
for residual in (True, False):
    print(f"{'with' if residual else 'without':>7} shortcuts: gradient norms "
          + " ".join(f"{n:.1f}" for n in block_norms[residual])
          + f"; validation loss after 100 steps {deep_histories[residual].val_loss[-1]:.2f}")

figure, (left, right) = plt.subplots(1, 2, figsize=(9, 3), dpi=90)
for residual, label, marker in ((True, "with residual connections", "o-"), (False, "without", "s-")):
    left.semilogy(range(1, 9), block_norms[residual], marker, label=label)
    right.plot(deep_histories[residual].step, deep_histories[residual].val_loss, marker, label=label)
left.set_xlabel("block (1 = nearest the input)")
left.set_ylabel("gradient norm at the start")
right.set_xlabel("training step")
right.set_ylabel("validation loss")
left.legend(fontsize=8)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# LayerNorm changes the picture at the start: it rescales the input of every part, so even without
# shortcuts the gradients do not vanish (between 3.7 and 7.8 per block, against about 1 with them). Yet the
# model without shortcuts learns far slower: after 100 steps its validation loss is 4.96, against 4.05 with
# them. Without a shortcut every block has to carry everything the later blocks need through its own
# attention and feed-forward, which start as random scramblers; with it, each token's identity and position
# flow straight up the residual stream and each block only adds what it has worked out.

# %%
assert min(block_norms[False]) > 0.1 * max(block_norms[False])  # LayerNorm: no vanishing at the start
assert deep_histories[True].val_loss[-1] < deep_histories[False].val_loss[-1] - 0.8  # yet it learns far slower

# %% [markdown]
# ## 4. Sizes: from this chapter's model to GPT-2 XL
#
# The parameter count follows from the configuration alone. Per block: two LayerNorms (2 × 2C), the
# attention's query/key/value projection (C × 3C + 3C) and output projection (C × C + C), the feed-forward
# (C × 4C + 4C and 4C × C + C). Plus the embeddings (V × C + context × C), the final LayerNorm (2C) and no
# extra head when it is tied.

# %%
def parameter_count(config: GPTConfig) -> int:
    C = config.n_embd
    per_block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C)
    embeddings = config.vocab_size * C + config.context_length * C
    head = 0 if config.tie_weights else config.vocab_size * C
    return embeddings + config.n_layer * per_block + 2 * C + head


print(f"this chapter's tiny model: {parameter_count(config):,} = {helpers_model.num_parameters():,}")
assert parameter_count(config) == helpers_model.num_parameters()

# %% [markdown]
# To check the formula on GPT-2 XL we need not build its 1.5 billion numbers: on PyTorch's `meta` device a
# model has shapes but no storage, so it costs no memory. The series' own models come from the recipes of
# `helpers.pretrained` (its size ladder, from 1 layer of width 32 to the 6-layer reference model).

# %%
from helpers.pretrained import LADDER, recipe_named

family = {}
for name in LADDER:
    recipe = recipe_named(name)
    family[f"{name} (this series)"] = recipe.model_config(recipe.vocab_size)
family["own data (section 6)"] = GPTConfig(vocab_size=512, context_length=64, n_layer=4, n_head=4, n_embd=128)
for name in ("gpt2", "gpt2-medium", "gpt2-large", "gpt2-xl"):
    family[name] = GPTConfig.preset(name)

for name, family_config in family.items():
    with torch.device("meta"):
        shell = GPT(family_config)  # shapes only: no memory
    assert shell.num_parameters() == parameter_count(family_config), name

GB = 1e9
print(f"{'model':28} {'layers':>6} {'heads':>5} {'C':>5} {'context':>7} {'vocab':>6} {'parameters':>14} "
      f"{'fp32':>9} {'bf16':>9} {'training*':>10}")
for name, c in family.items():
    n = parameter_count(c)
    print(f"{name:28} {c.n_layer:6} {c.n_head:5} {c.n_embd:5} {c.context_length:7} {c.vocab_size:6} {n:14,} "
          f"{4 * n / GB:8.3f}G {2 * n / GB:8.3f}G {16 * n / GB:9.2f}G")

# %% [markdown]
# A weight takes 4 bytes in 32-bit floats (fp32) and 2 in bfloat16 (bf16), a format with fp32's range and
# fewer digits that most LLMs are now trained and served in. *Training with AdamW in fp32 keeps 16 bytes per
# parameter — the weight, its gradient and the optimizer's two running averages — before counting the
# activations; so GPT-2 XL, 6.2 GB to hold in fp32, needs about 25 GB to train naively, more than a laptop
# has. The bytes per number, measured:

# %%
weights_fp32 = sum(p.numel() * p.element_size() for p in helpers_model.parameters())
weights_bf16 = sum(p.numel() * p.element_size() for p in helpers_model.to(torch.bfloat16).parameters())
helpers_model.float()
print(f"tiny model: {weights_fp32:,} bytes in fp32, {weights_bf16:,} bytes in bf16")
assert weights_fp32 == 4 * helpers_model.num_parameters() and weights_bf16 == 2 * helpers_model.num_parameters()

# %% [markdown]
# Is "GPT-2 124M" really 124 million? Hugging Face `transformers` builds its own GPT-2 (on the meta device
# again) and counts:

# %%
import transformers
from transformers import GPT2Config, GPT2LMHeadModel

transformers.logging.set_verbosity_error()
transformers.logging.disable_progress_bar()  # no loading bars in the saved outputs
with torch.device("meta"):
    hf_gpt2 = GPT2LMHeadModel(GPT2Config())  # GPT-2's default configuration is the 124M model
hf_count = sum(p.numel() for p in hf_gpt2.parameters())
print(f"transformers GPT-2: {hf_count:,}; our formula: {parameter_count(GPTConfig.preset('gpt2')):,}")
assert hf_count == parameter_count(GPTConfig.preset("gpt2")) == 124_439_808

# %% [markdown]
# 124,439,808: the name is right. Without weight tying the head would add V × C = 50,257 × 768 = 38.6 million
# more; 31% of GPT-2 small is its embedding table.
#
# ## 5. An untrained model: its loss is about ln(V) and its text is noise
#
# With small random weights, all logits are close to 0, so the model gives every one of the V tokens about
# the same probability 1/V. The cross-entropy of the right token is then −ln(1/V) = ln V.

# %%
from helpers.batches import fixed_batches
from helpers.training import evaluate

torch.manual_seed(0)
untrained = GPT(config)
val_batches = fixed_batches(TokenWindows(val_ids, config.context_length), n_batches=4, batch_size=8)
untrained_loss = evaluate(untrained, val_batches)
with torch.no_grad():
    probabilities = torch.softmax(untrained(val_batches[0][0]), dim=-1)  # (B, T, V)
print(f"loss {untrained_loss:.3f} nats per token; ln V = ln {config.vocab_size} = {math.log(config.vocab_size):.3f}")
print(f"largest probability the model gives any token: {probabilities.max().item():.4f} (1/V = {1 / config.vocab_size:.4f})")
assert abs(untrained_loss - math.log(config.vocab_size)) < 0.05

# %%
from helpers.generation import generate

print(generate(untrained, tokenizer, "the cat", max_new_tokens=40, seed=0))

# %% [markdown]
# Noise: byte pieces and word pieces in random order. Everything the model will know comes from training.
#
# ### One training step, and an evaluation, written out
#
# Training repeats one step: predict every next token of a batch, measure the cross-entropy against the
# targets (the inputs shifted by one), clear the old gradients, backpropagate, and let the optimizer move
# every weight. Evaluation measures the same loss with dropout off (`model.eval()`) and without gradients,
# then puts the model back in training mode. `helpers.exercise_checks` runs both on a tiny model against the
# series' versions and names the classic mistakes (targets not shifted, `zero_grad` missing, dropout left on
# in evaluation, the model left in evaluation mode):

# %%
from helpers.exercise_checks import check_evaluation, check_training_step


def training_step(model, optimizer, ids: torch.Tensor) -> float:
    """One step on (B, T + 1) token ids: predict ids[:, 1:] from ids[:, :-1]."""
    inputs, targets = ids[:, :-1], ids[:, 1:]
    logits = model(inputs)  # (B, T, V)
    loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def evaluation_loss(model, ids: torch.Tensor) -> float:
    """The same loss with dropout off and no gradients; the model goes back to the mode it was in."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        loss = F.cross_entropy(model(ids[:, :-1]).flatten(0, 1), ids[:, 1:].flatten())
    model.train(was_training)
    return loss.item()


check_training_step(training_step)
check_evaluation(evaluation_loss)

# %% [markdown]
# `helpers.training.train` does this step (with gradient clipping and a learning-rate schedule on top), and
# `helpers.training.evaluate` this evaluation, in the same order.
#
# ## 6. Your own data
#
# *What would you build with your own data?* Paste a text into `YOUR_TEXT` below — your notes, a book from
# Project Gutenberg, your chat logs, source code — at least a few pages. Left empty, the cell takes Edith
# Wharton's short story *The Verdict* (the text Sebastian Raschka's book trains on; about 20,000 characters)
# when it can be downloaded, and TinyWorld otherwise.

# %%
from helpers.downloads import DownloadError, load

YOUR_TEXT = ""  # paste here, between the quotes (use triple quotes """...""" for several lines)

if YOUR_TEXT.strip():
    own_text, source = YOUR_TEXT, "your text"
else:
    try:
        own_text, source = load("the-verdict.txt").read_text(encoding="utf-8"), "The Verdict"
    except DownloadError as error:
        print(f"The Verdict is not available ({type(error).__name__}); using TinyWorld instead.")
        own_text, source = TinyWorld(7).corpus_text(2000), "TinyWorld"
if len(own_text) < 5000:
    raise ValueError(f"The text has {len(own_text):,} characters; paste at least 5,000 (more is better).")
print(f"{source}: {len(own_text):,} characters. It begins:\n{own_text[:300]}")

# %% [markdown]
# A tokenizer of its own, then the model: 4 blocks, 4 heads, 128 numbers per token, a context of 64 tokens,
# dropout 0.2 (the text is small, and dropout slows down memorising it). The dashboard draws the losses and,
# every 100 steps, a sample continuing the text's first words.

# %%
from IPython.display import display

from helpers.widgets import TrainingDashboard

own_started = time.perf_counter()
own_tokenizer = BPETokenizer.train(own_text, vocab_size=512)
own_ids = own_tokenizer.encode(own_text)
own_train, own_val = split_ids(own_ids, validation_fraction=0.1)
own_config = GPTConfig(vocab_size=own_tokenizer.vocab_size, context_length=64, n_layer=4, n_head=4, n_embd=128,
                       dropout=0.2)
torch.manual_seed(0)
own_model = GPT(own_config)
prompt = " ".join(own_text.split()[:3])
own_untrained_sample = generate(own_model, own_tokenizer, prompt, max_new_tokens=200, temperature=0.8, seed=0)
own_settings = TrainingConfig(max_steps=300, batch_size=16, learning_rate=1e-3, warmup_steps=30, eval_every=25,
                              eval_batches=4, stride=32, seed=0)
dashboard = TrainingDashboard(own_tokenizer, prompt, sample_every=100, max_new_tokens=60)
display(dashboard)
own_history = train(own_model, own_train, own_val, own_settings, callbacks=[dashboard], progress=False)
own_seconds = time.perf_counter() - own_started
print(f"{len(own_ids):,} tokens, {own_model.num_parameters():,} parameters, {own_settings.max_steps} steps "
      f"in {own_seconds:.0f} s; validation loss {own_history.val_loss[0]:.2f} -> {own_history.val_loss[-1]:.2f}")

# %% [markdown]
# The dashboard's two curves part ways. Both losses are measured the same way (evaluation mode, no dropout,
# a few batches each), the training loss on windows the model learns from and the validation loss on the held
# out last 10% of the text:

# %%
best = min(range(len(own_history.val_loss)), key=own_history.val_loss.__getitem__)
gap = own_history.val_loss[-1] - own_history.train_loss[-1]
print(f"step {own_history.step[-1]}: training loss {own_history.train_loss[-1]:.2f}, validation loss "
      f"{own_history.val_loss[-1]:.2f} nats per token (a gap of {gap:.2f})")
print(f"lowest validation loss {own_history.val_loss[best]:.2f} at step {own_history.step[best]}")
assert gap > 0.3  # overfitting: far better on the text it learns from than on unseen text

# %% [markdown]
# This is **overfitting**. By step 300 the model predicts the windows it trains on at 3.25 nats per token but
# unseen text of the same story at 4.18, and the validation loss stopped improving at step 275 while the
# training loss kept falling: from there on, the model is learning this text's particular sentences rather than
# anything that carries over. A 20,000-character story is simply too little text for 867,072 parameters (the
# dropout of 0.2 already slows the memorising down). What helps, roughly in order of how much: more text; a
# smaller model; stronger regularisation (more dropout, weight decay); and **early stopping**, keeping the
# weights from the step with the lowest validation loss (checkpoints make that possible: chapter 6).
#
#
# What did it learn? A sample at temperature 0.8, and, as a rough measure of "speaks your text's language",
# the share of the words it writes that occur somewhere in your text — before and after training:

# %%
own_sample = generate(own_model, own_tokenizer, prompt, max_new_tokens=200, temperature=0.8, seed=0)
known_words = set(re.findall(r"\w+", own_text.lower()))


def share_of_known_words(sample: str) -> float:
    written = re.findall(r"\w+", sample[len(prompt) :].lower())
    return sum(word in known_words for word in written) / max(1, len(written))


print(own_sample)
print(f"\nwords found in the text: untrained {share_of_known_words(own_untrained_sample):.0%}, "
      f"trained {share_of_known_words(own_sample):.0%}")

# %% [markdown]
# How much does a model trained on *your* text know about it, compared with the series' TinyWorld reference model,
# trained longer on far more text (another world)? `helpers.scoring.nats_per_character` scores a text in
# nats per character, a measure that does not depend on the tokenizer, so models with different tokenizers
# compare fairly. Each model on each held-out text:

# %%
from helpers.pretrained import pretrained
from helpers.scoring import nats_per_character

tinyworld_model, tinyworld_tokenizer = pretrained("tinyworld2-l", progress=False)
own_val_text = own_tokenizer.decode(own_val.tolist())
tinyworld_val_text = TinyWorld(1).corpus_text(200)
scores = {
    (model_name, text_name): nats_per_character(model, model_tokenizer, held_out, after="")
    for model_name, model, model_tokenizer in (("TinyWorld model", tinyworld_model, tinyworld_tokenizer),
                                                ("your model", own_model, own_tokenizer))
    for text_name, held_out in (("TinyWorld text", tinyworld_val_text), (f"{source} (held out)", own_val_text))
}
text_names = ["TinyWorld text", f"{source} (held out)"]
print(f"{'nats per character':20}" + "".join(f"{name:>26}" for name in text_names))
for model_name in ("TinyWorld model", "your model"):
    print(f"{model_name:20}" + "".join(f"{scores[model_name, name]:26.2f}" for name in text_names))

# %% [markdown]
# The answer, measured. In 300 steps (about 20 seconds on an idle 2-core CPU) the validation loss falls
# from ln 512 ≈ 6.2 to about 4.2 nats per token. The samples are not good English yet, but they are
# *The Verdict*'s: its quotation marks and dashes, its names (Stroud); about 57% of the
# words the model writes occur in the story, against about 28% for the same model untrained. And the table
# shows what your own data buys: on the held-out end of the story your model needs about 1.8 nats per
# character, and the series' reference model (three times as large, trained on 12.9 million tokens, but
# of another world) 5.4, three times as many. On TinyWorld text it is the other way round.
#
# A model knows what it has read. With your own data you build a model of *your* text — its vocabulary,
# names, style and format — which a general model trained on other text does not have. What a 20,000-character
# text cannot give is fluency: for that you need far more text (chapter 6 pretrains on more; real LLMs read
# trillions of tokens), or you start from a pretrained model and fine-tune it on your data (stage 3,
# chapter 6).

# %%
assert own_history.val_loss[-1] < 0.75 * math.log(own_config.vocab_size)
assert share_of_known_words(own_sample) > share_of_known_words(own_untrained_sample) + 0.2
if source != "TinyWorld":
    assert scores["your model", f"{source} (held out)"] < 0.6 * scores["TinyWorld model", f"{source} (held out)"]
    assert scores["TinyWorld model", "TinyWorld text"] < scores["your model", "TinyWorld text"]

# %% [markdown]
# ## 7. Saving and loading a model
#
# A trained model is its configuration plus its **state dict**: an ordered mapping from each parameter's
# name to its tensor. Nothing else: the Python code of the model is not in it, so loading means building the
# same architecture from the configuration and copying the tensors in.

# %%
import tempfile
from pathlib import Path

from helpers.runtime import cache_dir

check_ids = own_val[None, : own_config.context_length]  # (1, 64): a window of held-out text to compare logits on
state = own_model.state_dict()
print(f"{len(state)} tensors; the first five of them:")
for name, tensor in list(state.items())[:5]:
    print(f"  {name:28} {tuple(tensor.shape)}")

# %% [markdown]
# How to write it to disk matters. `torch.save` uses Python's pickle, and unpickling a file can run any code
# it contains: a model downloaded from a stranger could do anything on your machine. (`torch.load` has
# therefore defaulted to `weights_only=True` since PyTorch 2.6, which refuses anything but tensors.) The
# **safetensors** format stores only a small JSON header (names, shapes, types) and the raw numbers, so
# reading it cannot run code, and it can be read without copying (memory-mapped). Hugging Face and this series
# store weights that way.

# %%
from safetensors.torch import load_file, save_file

with tempfile.TemporaryDirectory(dir=cache_dir("exports")) as folder:
    path = Path(folder) / "own_model.safetensors"
    save_file({name: tensor.contiguous() for name, tensor in state.items() if name != "lm_head.weight"}, path)
    print(f"{path.name}: {path.stat().st_size / 1e6:.2f} MB ({4 * own_model.num_parameters() / 1e6:.2f} MB of "
          f"fp32 numbers, plus the header)")
    reloaded = GPT(own_config)  # the same architecture, new random weights ...
    missing, unexpected = reloaded.load_state_dict(load_file(path), strict=False)  # ... replaced by the saved ones
print(f"not in the file: {missing} (tied to the token embedding); unexpected: {unexpected}")
reloaded.eval()
own_model.eval()
with torch.no_grad():
    assert torch.equal(reloaded(check_ids), own_model(check_ids))  # the same model, number for number
print("the reloaded model gives the same logits")

# %% [markdown]
# One subtlety shows above: the output head is *tied* to the token embedding (the same tensor under two
# names), and safetensors refuses to store one tensor twice, so we leave the head out and loading ties it
# again. `helpers.checkpoints` does all of this for the series (the configuration, the tokenizer, the
# optimizer's state for resuming, and a checksum of every file, so a damaged download is refused).
#
# ## 8. Export to the Hugging Face format and run it with `transformers`
#
# The helpers GPT has GPT-2's architecture and parameter names, so `helpers.gpt2_interop` can write it as a
# Hugging Face folder (a `config.json` and the weights as `model.safetensors`) that `transformers` loads
# like any GPT-2. We write it to a temporary folder in the series' cache; pass a folder of your own to keep
# it. (The tokenizer stays ours: we give `transformers` token ids.)

# %%
from helpers.gpt2_interop import save_hf_directory

with tempfile.TemporaryDirectory(dir=cache_dir("exports")) as folder:
    save_hf_directory(own_model, folder, eos_token_id=own_tokenizer.eot_id)
    for path in sorted(Path(folder).iterdir()):
        print(f"{path.name:24} {path.stat().st_size / 1e6:6.2f} MB")
    hf_model = GPT2LMHeadModel.from_pretrained(folder).eval()

with torch.no_grad():
    ours, hf_logits = own_model(check_ids), hf_model(check_ids).logits
print(f"{type(hf_model).__name__}: largest logit difference {(ours - hf_logits).abs().max().item():.1e}")
assert torch.allclose(ours, hf_logits, atol=1e-4)

# %% [markdown]
# The same logits, so the same text: greedy decoding (always the most likely token) with `transformers`'
# own `generate` and with ours gives the same tokens.

# %%
prompt_ids = torch.tensor([own_tokenizer.encode(prompt)])  # (1, T)
with torch.no_grad():
    hf_generated = hf_model.generate(prompt_ids, attention_mask=torch.ones_like(prompt_ids), max_new_tokens=30,
                                     do_sample=False, pad_token_id=own_tokenizer.eot_id)
ours_generated = generate(own_model, own_tokenizer, prompt, max_new_tokens=30, temperature=0)
print("transformers:", own_tokenizer.decode(hf_generated[0].tolist()))
print("helpers:     ", ours_generated)
assert own_tokenizer.decode(hf_generated[0].tolist()) == ours_generated

# %% [markdown]
# ## 9. The real GPT-2, if you are online
#
# OpenAI released GPT-2's weights in 2019; the Hugging Face Hub serves them. Because the helpers GPT has
# GPT-2's architecture, `helpers.gpt2_interop.from_pretrained("gpt2")` loads the 124M model into the very
# class you rebuilt above (500 MB to download once, then cached by Hugging Face). With a network, the cell
# below writes from the same opening words as your model and compares the two; without one, it says so and
# the chapter goes on (nothing else needs it).

# %%
from helpers.gpt2_interop import from_pretrained
from helpers.tokenizers import gpt2_tokenizer


def timed_sample(model, tokenizer, n_tokens: int = 40) -> tuple[str, float]:
    """A sample continuing the prompt at temperature 0.8, and the tokens written per second."""
    begun = time.perf_counter()
    sample = generate(model.eval(), tokenizer, prompt, max_new_tokens=n_tokens, temperature=0.8, seed=0)
    return sample, n_tokens / (time.perf_counter() - begun)


try:
    gpt2, gpt2_tokens = from_pretrained("gpt2"), gpt2_tokenizer()
except DownloadError as error:
    gpt2 = None
    print(f"Skipping this section: {error}")
if gpt2 is not None:
    for name, model, model_tokenizer in (("your model", own_model, own_tokenizer), ("GPT-2 124M", gpt2, gpt2_tokens)):
        sample, speed = timed_sample(model, model_tokenizer)
        print(f"{name}: {model.num_parameters():,} parameters, {speed:.0f} tokens per second\n  {sample}\n")

# %% [markdown]
# GPT-2 has about 140 times the parameters of your model and read 40 GB of web text; it writes fluent English
# about almost anything, slower per token. Your model writes only your text's kind of English, but on that
# text it may know details GPT-2 never read. Chapter 6 shows the third way: start from a pretrained model and
# fine-tune it on your data.

# %% [markdown]
# ## Recap
#
# - **Data pipeline.** A byte-level BPE tokenizer turns text into ids (the first merges written out equal
#   `helpers`'); windows of the id stream are the inputs and the same windows shifted by one the targets;
#   `ShuffledBatches` stacks them into (B, T) batches, the same ones `train` reads.
# - **Architecture.** Token embedding + position embedding → n_layer × [LayerNorm → causal multi-head
#   attention → add; LayerNorm → feed-forward (4C, GELU) → add] → final LayerNorm → linear head tied to the
#   token embedding. Each part, written in a few lines, gives the same numbers as `helpers.model`, and the
#   whole model the same logits.
# - **Residual connections** keep a path for the gradient through every block: without them, 12 stacked
#   feed-forward blocks pass a hundred-millionth of the gradient down to the first one, and an 8-block GPT
#   (where LayerNorm prevents that) still learns far slower.
# - **Sizes** follow from the configuration: GPT-2 is 124,439,808 parameters (checked against
#   `transformers`), GPT-2 XL 1.56 billion — 6.2 GB in fp32, 3.1 GB in bf16, about 25 GB to train with AdamW.
# - **Untrained**, a model gives every token about 1/V and its loss is ln V; its text is noise.
# - **Your own data**: a tokenizer and a small model trained on any text in about 20 seconds; exported as
#   a Hugging Face folder, `transformers` runs it with the same logits and the same greedy text.
# - **Overfitting**: on a short text the training loss keeps falling while the validation loss stops; more
#   text, a smaller model, regularisation and early stopping are the remedies.
# - **Saving**: a model is its configuration plus its state dict; safetensors stores the tensors without
#   pickle's risk of running code, and the reloaded model gives the same logits.
#
# ## What we measured
#
# Each claim of the chapter, this run's figure, and what it is compared with (one run each: the losses of
# section 6 move by a few hundredths of a nat from seed to seed):

# %%
from IPython.display import Markdown

written_words = len(re.findall(r"\w+", own_sample[len(prompt) :]))
known_share = share_of_known_words(own_sample)
rows = [
    ("The GPT written here computes what `helpers.model.GPT` computes",
     f"largest logit difference {(mine - theirs).abs().max().item():.1e}", "float32 rounding (1e-5)"),
    ("Without residual connections the gradient vanishes with depth (12 blocks, no LayerNorm)",
     f"block 1 gets {stack_norms[False][0]:.0e}", f"with them: {stack_norms[True][0]:.1f}"),
    ("Residual connections make an 8-block GPT learn faster",
     f"validation loss {deep_histories[True].val_loss[-1]:.2f} after 100 steps",
     f"without: {deep_histories[False].val_loss[-1]:.2f}"),
    ("GPT-2 small has 124M parameters", f"{parameter_count(GPTConfig.preset('gpt2')):,}",
     f"`transformers`: {hf_count:,}"),
    ("An untrained model's loss is ln V", f"{untrained_loss:.3f} nats per token", f"ln {config.vocab_size} = "
     f"{math.log(config.vocab_size):.3f}"),
    ("Training on your text teaches its words", f"{known_share:.0%} ± {math.sqrt(known_share * (1 - known_share) / written_words):.0%} "
     f"of {written_words} words written are the text's", f"untrained: {share_of_known_words(own_untrained_sample):.0%}"),
    ("A short text is overfitted", f"validation {own_history.val_loss[-1]:.2f} nats per token",
     f"training {own_history.train_loss[-1]:.2f}"),
    ("Your model knows your text better than a model of another world",
     f"{scores['your model', f'{source} (held out)']:.2f} nats per character",
     f"reference TinyWorld model: {scores['TinyWorld model', f'{source} (held out)']:.2f}"),
    ("Saved as safetensors and reloaded, it is the same model", "identical logits", "the model before saving"),
    ("`transformers` runs the exported model", f"largest logit difference {(ours - hf_logits).abs().max().item():.1e}; "
     "the same greedy text", "our GPT"),
]
Markdown("| claim | result | compared with |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))

# %% [markdown]
# ## Exercises
#
# 1. GPT-2 ties its output head to the token embedding. How many parameters would GPT-2 small have with a
#    head of its own?
#
#    <details><summary>Solution</summary>
#
#    One more V × C matrix: 50,257 × 768 = 38,597,376, so 163,037,184 in all.
#    `parameter_count(GPTConfig.preset("gpt2", tie_weights=False))` gives the same number.
#    </details>
#
# 2. How many training windows does the TinyWorld corpus of section 2 give with a context of 8 and
#    stride 1? With stride 8?
#
#    <details><summary>Solution</summary>
#
#    A window starts at every position whose 8 inputs and 8 targets fit: `len(ids) - 8` starts with stride
#    1, and one start in 8 of those with stride 8: `len(TokenWindows(ids, 8, stride=1))` and
#    `len(TokenWindows(ids, 8))`. Overlapping windows repeat the same tokens in other contexts: more
#    examples, not more text.
#    </details>
#
# 3. Write `ReLUFeedForward`, the feed-forward block with ReLU instead of GELU, and count how many of its
#    4C hidden units give exactly 0 on the batch `x` of section 3. What does that mean for their gradients?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    class ReLUFeedForward(FeedForward):
#        def forward(self, x):
#            return self.c_proj(torch.relu(self.c_fc(x)))
#
#    hidden = torch.relu(FeedForward(config).c_fc(x))  # (B, T, 4C)
#    print(f"{(hidden == 0).float().mean():.0%} of the hidden values are exactly 0")
#    ```
#    About half (49% to 51% over three seeds: at the start the pre-activations are symmetric around 0).
#    Where ReLU outputs 0 its slope is 0 too, so no gradient flows back through that unit for that token;
#    GELU's slope is small there but not
#    0 (the plot of section 3.4).
#    </details>
#
# 4. Train on a text of your own in section 6 (paste it into `YOUR_TEXT`). Does the model beat the TinyWorld
#    model on it? Try twice the steps: does the validation loss keep falling?
#
#    <details><summary>Solution</summary>
#
#    Change `max_steps=300` to `600` in `own_settings` and rerun the cell, then compare
#    `own_history.train_loss` with `own_history.val_loss`. On a short text the training loss keeps falling
#    while the validation loss levels off: past that point the model memorises the text rather than learning
#    what carries over to unseen parts of it (chapter 6 measures this). A longer text, not more steps, makes
#    a better model of your data.
#    </details>
#
# ## What comes next
#
# Chapter 6 runs stage 2 properly: the recipe behind the series' pretrained TinyWorld model, trained live
# with the dashboard, its learning-rate schedule and checkpoints, and then stage 3: fine-tuning that model to
# sort spam from ham and to follow instructions. Everything it trains is the `helpers.model.GPT` you have just
# rebuilt.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
