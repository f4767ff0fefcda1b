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
# # Chapter 3 — The transformer: self-attention
#
# *"Alice is reading a book by the river. Tom is painting a picture on the hill. The cat slept on the sofa.
# She loves the peaceful place."* Who is *she*? You know at once: Alice, named twenty-five words earlier, not
# Tom. A model that predicts the next word must find out too, and chapter 1's count model cannot: it only
# sees the last few words. Transformers look back over the whole text with **self-attention**: every token
# asks a question of every token before it and takes a weighted mix of the answers.
#
# After this chapter you will be able to:
#
# - compute attention by hand — scores, softmax, weighted sum, scaling, causal mask, query/key/value
#   projections, several heads — and check it against `helpers.attention` and PyTorch's
#   `scaled_dot_product_attention` (same numbers);
# - read an attention matrix, and show why a transformer needs position information;
# - find the heads of the chapters' reference model that look back from the pronoun to its antecedent, measure
#   how much they look against attention spread evenly, and switch them off to measure what the model loses,
#   against switching off other heads;
# - measure what the model's "memory" is worth against a count model, and what happens when the antecedent, or
#   a customer's message, falls outside the context window.
#
# **Run time:** about half a minute on an idle 2-core CPU, most of it switching heads off and scoring
# stories. Nothing is trained: the chapter reads the committed reference model of TinyWorld 2, so a first run
# takes no longer than the next; the last cell prints this run's time.

# %%
import time

started = time.perf_counter()

import math

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from helpers.runtime import seed_everything

seed_everything(0)
torch.set_printoptions(precision=3, sci_mode=False)
plt.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80})
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

# %% [markdown]
# ## 1. The sentence, as TinyWorld writes it
#
# TinyWorld 2, the series' corpus, writes lowercase words separated by spaces, with the full stop as its own
# word. The chapter's sentence is one of its *hero stories*: a hero, a few sentences about other people and
# animals, then "she" or "he" for the hero, twenty and more words after the name. TinyWorld knows exactly how
# likely each next word is, so it can tell us what the pronoun depends on.

# %%
from helpers.tinyworld2 import TinyWorld

SENTENCE = ("alice is reading a book by the river . tom is painting a picture on the hill . "
            "the cat slept on the sofa . she loves the peaceful place .")
world = TinyWorld(0)
prefix = SENTENCE[: SENTENCE.index(" she ")]
truth = world.next_word_probabilities(prefix)
print(SENTENCE)
print(f"a TinyWorld document: {world.is_valid(SENTENCE)}; after '... sofa .' the true next words are "
      + ", ".join(f"{word} {p:.3f}" for word, p in list(truth.items())[:4]))
swapped = world.next_word_probabilities(prefix.replace("alice", "bob", 1))
print(f"with bob as the hero instead: she {swapped.get('she', 0):.3f}, he {swapped.get('he', 0):.3f}")
assert world.is_valid(SENTENCE) and truth.get("he", 0) == 0 < truth["she"] and swapped.get("she", 0) == 0

# %% [markdown]
# After "sofa ." TinyWorld may start another sentence (about the weather, an animal, someone else) or come to
# the pronoun; when the pronoun comes, it is "she", never "he". Swap the hero's name twenty-five words back and
# "she" becomes impossible: the only clue is the name at the start.
#
# We take the token embeddings of the chapters' reference model, `tinyworld2-l` (a 6-layer GPT trained on
# TinyWorld 2; chapter 5 builds a model like it; here we only read its weights): each token becomes a vector of
# numbers. For now, no positions.

# %%
from helpers.pretrained import pretrained

model, tokenizer = pretrained("tinyworld2-l", progress=False)
model.eval()
ids = tokenizer.encode(SENTENCE)
pieces = [piece.strip() for piece in tokenizer.token_strings(ids)]
T, C = len(ids), model.config.n_embd
with torch.no_grad():
    x = model.wte.weight[ids].float().clone()  # (T, C) one vector per token
print(f"{T} tokens: {pieces}")
print(f"x: {tuple(x.shape)} = (tokens, numbers per token); x[0][:6] = {x[0, :6]}")
SHE = pieces.index("she")


def show_row(values: torch.Tensor, label: str, per_line: int = 11) -> None:
    """Print a row of numbers under the tokens they belong to, a few tokens per line."""
    print(label)
    for start in range(0, len(values), per_line):
        print("  " + " ".join(f"{p:>7}" for p in pieces[start : start + per_line]))
        print("  " + " ".join(f"{v:7.3f}" for v in values[start : start + per_line].tolist()))


# %% [markdown]
# ## 2. Attention from scratch
#
# ### Step 1: scores — how well does each token match each other token?
# The simplest match is the dot product of two vectors: large when they point the same way. All pairs at
# once are one matrix product, `x @ x.T`, a (T, T) table: row *i* is what token *i* thinks of every token.

# %%
scores = x @ x.T  # (T, T)
print(f"scores: {tuple(scores.shape)}")
show_row(scores[SHE], "scores of 'she' against every token:")

# %% [markdown]
# ### Step 2: softmax — turn scores into shares that add up to 1
# `softmax(s)_j = exp(s_j) / Σ_k exp(s_k)`: positive, summing to 1, the largest score getting the
# largest share. These shares are the **attention weights**.

# %%
def softmax(scores: torch.Tensor) -> torch.Tensor:
    """Exponentiate and normalise each row; subtracting the row maximum first avoids overflow."""
    exponentials = torch.exp(scores - scores.max(dim=-1, keepdim=True).values)
    return exponentials / exponentials.sum(dim=-1, keepdim=True)


weights = softmax(scores)  # (T, T), each row sums to 1
show_row(weights[SHE], "attention weights of 'she':")
assert torch.allclose(weights.sum(-1), torch.ones(T)) and torch.allclose(weights, torch.softmax(scores, -1))
assert weights[SHE].argmax() == SHE

# %% [markdown]
# The raw embeddings are short vectors, so the scores are small and the weights come out nearly even. The
# largest share (0.088, against about 0.03 for every other token) goes to "she" itself: a vector matches
# itself best (its dot product with itself is its squared length). Nothing points at "alice". A model needs a way to ask a *different*
# question than "who looks like me?" — that comes in step 6.
#
# ### Step 3: the weighted sum — what each token takes home
# The output for token *i* is the weighted average of all the token vectors, weighted by row *i*.

# %%
output = weights @ x  # (T, T) @ (T, C) -> (T, C)
print(f"output: {tuple(output.shape)}, one new vector per token")
assert torch.allclose(output[SHE], sum(weights[SHE, j] * x[j] for j in range(T)), atol=1e-5)

# %% [markdown]
# ### Step 4: scaling — why divide by √d
# The dot product of two random vectors of d numbers (each of spread 1) has a spread of √d. With long
# vectors the scores are huge, the softmax puts everything on one token, and learning stalls (its gradient
# vanishes). Dividing by √d keeps the spread near 1 at any size:

# %%
generator = torch.Generator().manual_seed(0)
print(f"{'d':>5} {'spread of q·k':>14} {'after / √d':>11} {'top weight':>11} {'top weight / √d':>16}")
for d in (4, 16, 64, 256, 1024):
    q, k = torch.randn(200, d, generator=generator), torch.randn(20, d, generator=generator)
    raw = q @ k.T  # (200, 20)
    top_raw = softmax(raw).max(-1).values.mean()
    top_scaled = softmax(raw / math.sqrt(d)).max(-1).values.mean()
    print(f"{d:5d} {raw.std():14.2f} {(raw / math.sqrt(d)).std():11.2f} {top_raw:11.2f} {top_scaled:16.2f}")
assert 0.8 < (raw / math.sqrt(1024)).std() < 1.2 and top_raw > 0.9 > top_scaled

# %% [markdown]
# Without scaling, at d = 1024 the softmax gives on average 0.96 of a row's weight to one token; with it,
# the spread stays near 1 and the largest weight about 0.23.
#
# ### Step 5: the causal mask — no peeking at the future
# A language model predicts each next token from the tokens *before* it, so token *i* may only look at
# tokens 0..*i*. Scores of later tokens become −∞ before the softmax: their weight is exactly 0.

# %%
allowed = torch.ones(T, T, dtype=torch.bool).tril()  # (T, T): True on and below the diagonal
masked_weights = softmax((scores / math.sqrt(C)).masked_fill(~allowed, float("-inf")))  # (T, T)
show_row(masked_weights[0], "'alice' (the first token) can only look at itself:")
show_row(masked_weights[SHE], "'she' sees alice ... she, nothing after it:")
assert torch.equal(masked_weights.triu(1), torch.zeros(T, T)) and masked_weights[0, 0] == 1

# %% [markdown]
# The whole (T, T) table as a picture: row *i* is where token *i* looks (its **query**), column *j* the token
# looked at (its **key**). Everything above the diagonal is the future, masked to exactly 0 (grey). With raw
# embeddings each row spreads its weight almost evenly over what it can see: 1 for the first token, then about
# 1/2, 1/3, ... down the rows.

# %%
figure, axes = plt.subplots(figsize=(5.6, 5.2))
shown = masked_weights.masked_fill(~allowed, float("nan"))  # the masked future drawn as blank
axes.set_facecolor("#e9ecef")
image = axes.imshow(shown, cmap="Oranges", vmin=0)
axes.set_xticks(range(T), pieces, rotation=90, fontsize=7)
axes.set_yticks(range(T), pieces, fontsize=7)
axes.set_xlabel("key: the token looked at")
axes.set_ylabel("query: the token looking")
axes.set_title("raw embeddings, scaled and masked: weights of each query row", fontsize=9)
figure.colorbar(image, ax=axes, shrink=0.7)
plt.show()

# %% [markdown]
# ### Step 6: queries, keys and values — learned questions and answers
# ![One attention head seen from "she", an illustration with made-up weights: each token offers a key and a
# value, "she" brings a query; the weights are the softmax of query · key, the output is the weighted sum of the
# values](../images/03_query_key_value.png)
#
# The picture is an illustration: its weights are made up to show the mechanism. Section 5 measures where the
# trained model's heads really look: from the token *before* the pronoun (whose output predicts it), the two
# heads that look back put about half their attention on the hero's name.
#
# Instead of comparing raw vectors, each token makes three vectors with three learned matrices:
# a **query** (what am I looking for?), a **key** (what do I offer?) and a **value** (what do I pass on
# if chosen). Scores are query · key; the output mixes values. Training tunes the three matrices, so that
# for example "she" can ask "who is the female person?" and "alice" can answer "me".

# %%
head_size = 16
torch.manual_seed(0)
W_q, W_k, W_v = (nn.Linear(C, head_size, bias=False) for _ in range(3))  # learned, here still random


def attention_from_scratch(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool = True):
    """Scores, scaling, causal mask, softmax, weighted sum: (..., T, hs) -> output (..., T, hs), weights."""
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (..., T, T)
    if causal:
        allowed = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = softmax(scores)  # (..., T, T)
    return weights @ v, weights


with torch.no_grad():
    q, k, v = W_q(x), W_k(x), W_v(x)  # each (T, hs)
    head_output, head_weights = attention_from_scratch(q, k, v)
print(f"q, k, v: {tuple(q.shape)} each; output {tuple(head_output.shape)}; weights {tuple(head_weights.shape)}")
print(f"trainable numbers in W_q, W_k, W_v: {sum(p.numel() for w in (W_q, W_k, W_v) for p in w.parameters())}")

# %% [markdown]
# Same numbers as the series' `helpers.attention.scaled_dot_product_attention` (written out the same way,
# and returning the weights) and as PyTorch's fused kernel `F.scaled_dot_product_attention`. Both take
# (batch, heads, T, head size), so we add two leading dimensions of size 1.

# %%
from helpers.attention import CausalSelfAttention, scaled_dot_product_attention

q4, k4, v4 = (t[None, None] for t in (q, k, v))  # (1, 1, T, hs)
helpers_output, helpers_weights = scaled_dot_product_attention(q4, k4, v4, causal=True)
torch_output = F.scaled_dot_product_attention(q4, k4, v4, is_causal=True)
assert torch.allclose(helpers_output[0, 0], head_output, atol=1e-6)
assert torch.allclose(helpers_weights[0, 0], head_weights, atol=1e-6)
assert torch.allclose(torch_output[0, 0], head_output, atol=1e-5)
print("from scratch == helpers.attention == torch.nn.functional.scaled_dot_product_attention")

# %% [markdown]
# ### Step 7: several heads
# One head asks one question. A layer runs several heads side by side, each with its own slice of the
# query, key and value vectors; their outputs are put back side by side and mixed by one more learned
# matrix (the output projection). GPT-2 makes all queries, keys and values with one big matrix `c_attn`.

# %%
def multi_head_from_scratch(x: torch.Tensor, c_attn: nn.Linear, c_proj: nn.Linear, n_head: int, causal: bool = True):
    """x (T, C) -> output (T, C) and weights (n_head, T, T), one head at a time."""
    q, k, v = c_attn(x).split(x.size(-1), dim=-1)  # each (T, C)
    size = x.size(-1) // n_head
    outputs, all_weights = [], []
    for head in range(n_head):
        part = slice(head * size, (head + 1) * size)
        out, w = attention_from_scratch(q[:, part], k[:, part], v[:, part], causal)  # (T, size), (T, T)
        outputs.append(out)
        all_weights.append(w)
    return c_proj(torch.cat(outputs, dim=-1)), torch.stack(all_weights)  # (T, C), (n_head, T, T)


torch.manual_seed(0)
attention_layer = CausalSelfAttention(model.config).eval()  # helpers' multi-head attention, freshly initialised
with torch.no_grad():
    ours, ours_weights = multi_head_from_scratch(x, attention_layer.c_attn, attention_layer.c_proj, model.config.n_head)
    theirs, theirs_weights = attention_layer(x[None], return_weights=True)  # (1, T, C), (1, n_head, T, T)
print(f"{model.config.n_head} heads of size {C // model.config.n_head}: output {tuple(ours.shape)}, "
      f"weights {tuple(ours_weights.shape)}")
assert torch.allclose(ours, theirs[0], atol=1e-5) and torch.allclose(ours_weights, theirs_weights[0], atol=1e-6)
print("multi-head from scratch == helpers.attention.CausalSelfAttention")

# %% [markdown]
# ### Check your own attention
# `helpers.exercise_checks.check_attention` runs an attention function on fixed queries, keys and values
# (already projected, (T, C) each, several heads) and compares it with `helpers.attention`. When the numbers
# differ it says which classic mistake they match: dividing by √d_model instead of √d_head, no scaling, a
# mask off by one either way, no mask, the softmax over the wrong axis. The heads of step 7, without the
# output projection:

# %%
from helpers.exercise_checks import ExerciseMistake, check_attention


def my_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, n_head: int) -> torch.Tensor:
    """(T, C) queries, keys, values -> (T, C): each head on its slice, the outputs side by side."""
    size = q.size(-1) // n_head
    heads = [slice(h * size, (h + 1) * size) for h in range(n_head)]
    return torch.cat([attention_from_scratch(q[:, part], k[:, part], v[:, part])[0] for part in heads], dim=-1)


check_attention(my_attention)


def scaled_by_model_width(q, k, v, n_head):  # a mistake on purpose: √C where each head needs √(C / n_head)
    return my_attention(q / math.sqrt(n_head), k, v, n_head)  # times the √(C / n_head) inside: √C in all


try:
    check_attention(scaled_by_model_width)
except ExerciseMistake as mistake:
    print(mistake)

# %% [markdown]
# ## 3. The same computation inside a trained transformer
#
# The reference model is a small GPT trained on TinyWorld 2 (chapter 5 builds one like it).
# Each of its blocks normalises the residual stream (LayerNorm) and runs multi-head attention, then a
# small feed-forward network. Its first layer's attention weights are exactly our from-scratch
# computation applied to its trained matrices:

# %%
config = model.config
print(f"{model.num_parameters():,} parameters; {config.n_layer} layers x {config.n_head} heads, "
      f"{config.n_embd} numbers per token, context of {config.context_length} tokens, {config.vocab_size} token types")
with torch.no_grad():
    trace = model.trace(torch.tensor([ids]))  # attentions: n_layer x (1, n_head, T, T)
    first_layer_input = model.h[0].ln_1(model.wte.weight[ids] + model.wpe.weight[:T])  # (T, C)
    _, trained_weights = multi_head_from_scratch(first_layer_input, model.h[0].attn.c_attn,
                                                 model.h[0].attn.c_proj, config.n_head)
assert torch.allclose(trained_weights, trace.attentions[0][0], atol=1e-5)
print("from scratch on the trained layer 0 == model.trace(...).attentions[0]")

# %% [markdown]
# ### The trained model's attention matrices
# Every head of every layer makes its own (T, T) table for the sentence, like the one drawn in step 5. All
# 36 of them, one row of pictures per layer; in each, row *i* is where token *i* looks, and the grey upper
# triangle is the masked future:

# %%
figure, grid = plt.subplots(config.n_layer, config.n_head, figsize=(5.6, 5.8), dpi=64)  # 36 small pictures: low dpi
for layer in range(config.n_layer):
    for head in range(config.n_head):
        axes = grid[layer, head]
        axes.set_facecolor("#e9ecef")
        axes.imshow(trace.attentions[layer][0, head].float().masked_fill(~allowed, float("nan")),
                    cmap="Oranges", vmin=0, vmax=1)
        axes.set_xticks([])
        axes.set_yticks([])
        if layer == 0:
            axes.set_title(f"head {head}", fontsize=8)
        if head == 0:
            axes.set_ylabel(f"layer {layer}", fontsize=8)
figure.suptitle(f"every head of the reference model on the {T}-token sentence (query rows x key columns)",
                fontsize=9)
plt.show()

# %% [markdown]
# Trained heads are far from even. Many look mostly along the diagonal, at the token itself or the few just
# before it; others draw dark columns, a token that many later tokens look back at. Which of these heads matters
# for "she"? Looking at 36 pictures does not tell; section 5 measures it.

# %% [markdown]
# ## 4. Attention is blind to word order
#
# Nothing in the attention computation knows *where* a token is. Take the trained first layer, feed it
# the token vectors without their positions, and shuffle the tokens: without the causal mask every token
# gets exactly the same output as before, only shuffled along. Attention is *permutation equivariant*:
# "alice is reading a book" and "book is reading a alice" look the same to it.

# %%
block = model.h[0]


def first_layer(x: torch.Tensor, causal: bool = True) -> torch.Tensor:
    """The trained layer 0 attention on token vectors x (T, C), LayerNorm first as in the model: (T, C)."""
    return multi_head_from_scratch(block.ln_1(x), block.attn.c_attn, block.attn.c_proj, config.n_head, causal)[0]


with torch.no_grad():
    permutation = torch.randperm(T, generator=torch.Generator().manual_seed(1))
    plain, shuffled = first_layer(x, causal=False), first_layer(x[permutation], causal=False)
print("shuffled:", " ".join(pieces[i] for i in permutation))
print(f"largest difference between the shuffled input's outputs and the outputs shuffled along: "
      f"{(shuffled - plain[permutation]).abs().max():.1e} (the outputs themselves are about {plain.abs().mean():.2f})")
assert torch.allclose(shuffled, plain[permutation], atol=1e-5)

# %% [markdown]
# The causal mask does not rescue it: the last token sees the tokens before it as a *bag of words*.
# Shuffle everything before "she" and the output at "she" does not change at all.

# %%
before_she = x[: SHE + 1]  # "alice ... sofa . she"
order = torch.cat([torch.randperm(SHE, generator=torch.Generator().manual_seed(2)), torch.tensor([SHE])])
with torch.no_grad():
    change = (first_layer(before_she)[-1] - first_layer(before_she[order])[-1]).abs().max()
print("original:", " ".join(pieces[: SHE + 1]))
print("shuffled:", " ".join(pieces[i] for i in order), f"-> largest change of the output at 'she': {change:.1e}")
assert change < 1e-5

# %% [markdown]
# The fix: add to each token vector a vector for its position. GPT-2 (and our model) *learns* one vector per
# position (`model.wpe`, one row per position up to the context length). With positions, the shuffled
# sentence is a different input and "she" gets a different output:

# %%
with torch.no_grad():
    positions = model.wpe.weight[: SHE + 1]  # (T', C) one learned vector per position
    with_positions = first_layer(before_she + positions)[-1]
    shuffled_with_positions = first_layer(before_she[order] + positions)[-1]
change = (with_positions - shuffled_with_positions).abs().max()
print(f"largest change of the output at 'she' with positions: {change:.3f} "
      f"(the output itself is about {with_positions.abs().mean():.3f})")
assert change > 0.1 * with_positions.abs().mean()

# %% [markdown]
# ## 5. Which heads find "alice"? Measure, don't just look
#
# First: does the model know who "she" is? We ask it about 200 **held-out** hero stories, written by TinyWorld
# from a seed no corpus of the series uses and checked against the 300,000 documents the model was trained on
# (none of them is one). Each story stops right before its first pronoun, and the model must choose between
# "she" and "he": P(right) is the probability it gives the right one of the two (0.5 is a coin flip).

# %%
from helpers.experiments.abilities import AbilityResult
from helpers.experiments.attention_probes import antecedent_distance, hero_stories, pronoun_pairs, right_probabilities
from helpers.pretrained import corpus_texts, recipe_named


def mean_and_se(values: torch.Tensor) -> tuple[float, float]:
    """The mean of per-item values and its standard error, the uncertainty every figure below carries."""
    return float(values.mean()), float(values.std() / math.sqrt(len(values)))


pretraining_text, _ = corpus_texts(recipe_named("tinyworld2-l"))  # the 300,000 documents it was trained on
N_STORIES = 200
stories = hero_stories(N_STORIES, pretraining_text=pretraining_text)
pairs = pronoun_pairs(stories)
distances = torch.tensor([antecedent_distance(tokenizer, story) for story in stories], dtype=torch.float)
print(pairs[0].prompt, "->", pairs[0].right, "or", pairs[0].wrong, "?")
print(f"the hero's name is {distances.mean():.0f} tokens back on average ({distances.min():.0f} to "
      f"{distances.max():.0f})")
p_right = right_probabilities(model, tokenizer, pairs)  # (N,)
pronoun_result = AbilityResult(float((p_right > 0.5).float().mean()), N_STORIES)
print(f"the reference model chooses the right pronoun in {pronoun_result} of the stories; "
      f"mean P(right) {mean_and_se(p_right)[0]:.3f} ± {mean_and_se(p_right)[1]:.3f}")
assert pronoun_result.accuracy - 0.5 > 3 * pronoun_result.se  # far above a coin flip

# %% [markdown]
# Now where it looks. For every layer and head we read the attention of the last token before the pronoun —
# the "." whose output predicts it — and sum the weight it puts on the hero's name. The baseline is attention
# spread evenly over the tokens it can see: the name's share of them (its tokens over the prompt's length).

# %%
from helpers.experiments.attention_probes import look_back_attention, look_back_items

found = look_back_attention(model, look_back_items(tokenizer, stories))
print("mean attention weight on the hero's name, from the '.' before the pronoun (rows: layers, columns: heads)")
print(found.mean_on_target)
even, even_se = mean_and_se(found.even_share)
print(f"attention spread evenly would give it {even:.3f} ± {even_se:.3f}")
antecedent_heads = found.top_heads(2)
for layer, head in antecedent_heads:
    gap, gap_se = mean_and_se(found.on_target[layer, head] - found.even_share)
    print(f"L{layer} H{head}: {found.mean_on_target[layer, head]:.3f} on the name, {gap:+.3f} ± {gap_se:.3f} over even; "
          f"the name is its most-attended token in {found.hit_rate[layer, head]:.0%} of the stories")
    assert gap > 3 * gap_se  # the head looks at the hero's name far more than attention spread evenly would
third = found.top_heads(3)[-1]
print(f"the next head, L{third[0]} H{third[1]}, puts {found.mean_on_target[third]:.3f} on it")

# %% [markdown]
# Two heads of the last layer stand out: **L5 H0** and **L5 H3** put on average 0.57 and 0.40 of their
# attention on a name about 50 tokens back, where attention spread evenly would give it 0.04; the next head,
# L4 H1, puts 0.06 there, and none of the other 33 more. These are the **antecedent heads**.
# (Which heads take this job is decided in training; another training run could give it to other heads, so the
# chapter finds them by measuring, never by their numbers.)
#
# `AttentionLab` shows it for the chapter's sentence: the first antecedent head, seen from the "." right before
# "she", with the text coloured by its attention (pick another layer, head or query token, or another view):

# %%
from helpers.widgets import AttentionLab, attention_from, attention_maps

antecedent_layer, antecedent_head = antecedent_heads[0]
lab = AttentionLab(model, tokenizer, SENTENCE, layer=antecedent_layer, head=antecedent_head, query=SHE - 1,
                   view="tokens")
lab

# %%
maps = attention_maps(model, tokenizer, SENTENCE)
weights_before_she = attention_from(maps, layer=antecedent_layer, head=antecedent_head, query=SHE - 1)
top = sorted(zip(map(float, weights_before_she), maps.pieces, strict=True), reverse=True)[:3]
print("from the '.' before 'she', the top three: " + ", ".join(f"{piece.strip()} {w:.2f}" for w, piece in top))
assert top[0][1].strip() == "alice"

# %% [markdown]
# 0.94 of the head's attention from that "." lands on "alice", 25 tokens back. The same head in the "one head"
# view: its whole query x key matrix for the sentence. The framed row, the "." before "she", is the one coloured
# above, dark under "alice". No other row looks at "alice" that hard: once "she" is written, the rows after it
# look at "she" instead (the dark column under it) — the pronoun now carries the gender.

# %%
AttentionLab(model, tokenizer, SENTENCE, layer=antecedent_layer, head=antecedent_head, query=SHE - 1,
             view="one head").snapshot()

# %% [markdown]
# And the "all heads" view of its layer, the head framed: the other heads of layer 5 look elsewhere.

# %%
AttentionLab(model, tokenizer, SENTENCE, layer=antecedent_layer, head=antecedent_head, query=SHE - 1,
             view="all heads").snapshot()

# %% [markdown]
# ## 6. Switch heads off: does the model use what the heads find?
#
# Attention weights show where a head looks, not whether the model *uses* what it finds. The test is to remove
# heads and measure. `heads_switched_off` zeroes a head's output inside its block (its slice of the vector that
# enters the output projection), as if the head were not there. We switch off the two antecedent heads, and,
# as the baseline, two heads drawn at random from the other 34, in eight draws.

# %%
import random

from helpers.experiments.attention_probes import heads_switched_off

with heads_switched_off(model, antecedent_heads):
    p_without = right_probabilities(model, tokenizer, pairs)  # (N,)
other_heads = [(layer, head) for layer in range(config.n_layer) for head in range(config.n_head)
               if (layer, head) not in antecedent_heads]
DRAWS = 8
draws = random.Random(0)
random_drops = []  # per draw, the mean drop in P(right) over the stories
for _ in range(DRAWS):
    chosen = draws.sample(other_heads, len(antecedent_heads))
    with heads_switched_off(model, chosen):
        random_drops.append(float((p_right - right_probabilities(model, tokenizer, pairs)).mean()))
        print(f"  off: {', '.join(f'L{i} H{j}' for i, j in chosen)}: drop {random_drops[-1]:+.3f}")
drop, drop_se = mean_and_se(p_right - p_without)
random_drop, random_drop_se = mean_and_se(torch.tensor(random_drops))
print(f"P(right) with every head on: {p_right.mean():.3f}")
print(f"the two antecedent heads off: {p_without.mean():.3f}, a drop of {drop:.3f} ± {drop_se:.3f}; "
      f"they still choose right in {float((p_without > 0.5).float().mean()):.1%} of the stories")
print(f"two random other heads off: a drop of {random_drop:.3f} ± {random_drop_se:.3f} (over {DRAWS} draws)")
ablation_margin = (drop - random_drop) / math.hypot(drop_se, random_drop_se)
print(f"the antecedent heads cost {drop - random_drop:.3f} more: {ablation_margin:.1f} standard errors")
assert ablation_margin > 3

# %% [markdown]
# Switching the two antecedent heads off takes P(right) from 0.995 down to 0.868, a drop of 0.127 ± 0.006; two
# other heads, in eight random draws, cost nothing measurable (no draw moves it by more than 0.001). So the model
# *uses* what these heads find. Yet it still prefers the right pronoun in every story: the two heads carry much
# of the evidence, not all of it, and weaker paths (L4 H1 and L4 H3 look at the name a little) carry the rest.
#
# One head at a time:

# %%
alone = {}
for layer, head in antecedent_heads:
    with heads_switched_off(model, [(layer, head)]):
        alone[(layer, head)] = float(right_probabilities(model, tokenizer, pairs).mean())
    print(f"only L{layer} H{head} off: P(right) {alone[(layer, head)]:.3f}")

# %% [markdown]
# The effects do not add up. Switching off L5 H0 alone costs more (P(right) 0.801) than switching off both
# (0.868), and L5 H3 alone costs nothing (0.998). So the two are not spare copies of each other: L5 H0 carries
# the name, and with L5 H0 gone, switching L5 H3 off as well *raises* P(right) again — in this run, what L5 H3
# adds helps only alongside L5 H0. The heads the model relies on are found by switching heads off, in the
# combinations you care about, not by looking at pictures.

# %% [markdown]
# ## 7. The count model of chapter 1 on the same stories
#
# Chapter 1's count model predicts the next word from the last n − 1 words only. We count the words of the
# first 60,000 of the model's 300,000 pretraining documents (a fifth, to keep this cell to seconds) and ask a
# 5-gram the same question: after "... the sofa .", is "she" or "he" more likely? Four words back never reach
# a name twenty and more words away.

# %%
from helpers.experiments.abilities import AbilityTest, ChoiceItem, ngram_scorer, words
from helpers.ngram_model import NGramModel

documents = pretraining_text.split("\n")[:60_000]  # a fifth of the pretraining documents
five_gram = NGramModel.train(words("".join(document + "\n" for document in documents)), 5)
pronoun_test = AbilityTest("pronoun", tuple(ChoiceItem(pair.prompt, ((" she",), (" he",)), 0 if pair.right == "she" else 1)
                                            for pair in pairs), 0.5)
count_pronoun = pronoun_test.run(ngram_scorer(five_gram))
print(f"5-gram count model: right pronoun in {count_pronoun} of the stories")
print(f"the reference transformer:         {pronoun_result}")
assert abs(count_pronoun.accuracy - 0.5) < 3 * count_pronoun.se  # a coin flip, within noise
assert pronoun_result.accuracy - count_pronoun.accuracy > 3 * math.hypot(pronoun_result.se, count_pronoun.se)

# %% [markdown]
# The 5-gram is right in 43.5 ± 3.5% of the stories: a coin flip, within noise. After "... along the path ." it
# says the same thing whoever the hero is. The transformer, which can attend to any token of its window, gets
# every one.

# %% [markdown]
# ## 8. Memory: what if the antecedent falls outside the context window?
#
# ![Two windows over the same story: one still holds "alice", the other starts right after it and holds
# only "bob"](../images/03_context_window.png)
#
# A transformer looks back only as far as its context window (here 128 tokens): whatever fell out of the window
# is gone. First we crop each prompt to its last *k* tokens and split the stories by whether the hero's name is
# still in view.

# %%
from helpers.probes import pair_margins

WINDOWS = (16, 32, 64)  # with the whole window (128 tokens) every name is in view: section 5's 100%
in_view_results, out_of_view_results = {}, {}
print(f"{'window':>6}   {'name in view':>24}   {'name cut off':>24}")
for window in WINDOWS:
    correct = pair_margins(model, tokenizer, pairs, max_prompt_tokens=window) > 0  # (N,)
    in_view = distances <= window
    for results, group in ((in_view_results, in_view), (out_of_view_results, ~in_view)):
        if group.sum() >= 20:
            results[window] = AbilityResult(float(correct[group].float().mean()), int(group.sum()))
    print(f"{window:6d}   " + "   ".join(f"{str(results[window]):>13} of {int(group.sum()):3d}" if window in results
                                         else f"{'-':>13} of {int(group.sum()):3d}"
                                         for results, group in ((in_view_results, in_view),
                                                                (out_of_view_results, ~in_view))))
cut_off = out_of_view_results[32]  # the window that splits the stories most evenly
kept = in_view_results[32]
assert abs(cut_off.accuracy - 0.5) < 3 * cut_off.se  # with the name cut off: a coin flip, within noise
assert kept.accuracy - cut_off.accuracy > 3 * math.hypot(kept.se, cut_off.se)

# %% [markdown]
# With the hero's name in view the model is always right; with it cut off, at every window, it is at a coin
# flip within noise (52.7 ± 4.1% of 148 stories at a window of 32 tokens). Nothing else in a hero story tells the
# hero's gender: the people in between are of either gender.

# %% [markdown]
# Second, memory over distance: harmless scenery sentences ("the cats jumped on the rug .", no people in them)
# pushed in before the pronoun until the hero's name is at least *d* tokens back — at the end, beyond the window.

# %%
from helpers.experiments.attention_probes import stretched_pairs

STRETCH = (72, 108, 136)
stretched = {0: (float(distances.mean()), pronoun_result)}  # the stories as written: section 5
for min_distance in STRETCH:
    far_pairs, far_distances = stretched_pairs(tokenizer, stories, min_distance)
    far = AbilityResult(float((pair_margins(model, tokenizer, far_pairs) > 0).float().mean()), N_STORIES)
    stretched[min_distance] = (sum(far_distances) / N_STORIES, far)
for min_distance, (mean_distance, result) in stretched.items():
    print(f"the name at least {min_distance:3d} tokens back ({mean_distance:5.1f} on average): {result} right")

figure, axes = plt.subplots(figsize=(6.4, 3.0))
axes.errorbar([d for d, _ in stretched.values()], [r.accuracy for _, r in stretched.values()],
              yerr=[r.se for _, r in stretched.values()], fmt="o-", capsize=3, label="reference model")
axes.axvline(config.context_length, color="grey", linestyle="--", label="edge of the context window")
axes.axhline(0.5, color="black", linewidth=0.8, linestyle=":", label="coin flip")
axes.set_xlabel("tokens between the hero's name and the pronoun")
axes.set_ylabel("pronoun accuracy")
axes.set_ylim(0, 1.05)
axes.legend(fontsize=8, loc="lower left")
plt.show()
beyond = stretched[STRETCH[-1]][1]
assert abs(beyond.accuracy - 0.5) < 3 * beyond.se and stretched[0][1].accuracy - beyond.accuracy > 3 * beyond.se

# %% [markdown]
# With the name about 78 and even 112 tokens back, as far as in the longest of the 200 stories as written (111),
# the model is still right (100% and 99.5 ± 0.5%). About 140 tokens back, past the window's edge, it falls to 42.0 ± 3.5%:
# a coin flip, within noise (2.3 standard errors below it). Inside the window the memory holds; outside it there is
# none.

# %% [markdown]
# ## 9. Is self-attention the start of machine memory?
#
# A story is one thing; a conversation is where memory matters. In TinyWorld 2's support conversations the
# customer names a product, says how they feel, and the agent's reply names the product again:
#
# > customer : i want my money back for the chair . i am really angry . agent : i am so sorry for the trouble .
# > your refund for the **chair** is on its way .
#
# We stop 200 held-out conversations right before the product in the reply and let each model choose among
# TinyWorld's products. Three readers: the reference model with the whole conversation, the same model given
# only the agent's reply (the customer's message out of its view), and the 5-gram, which sees four words back.

# %%
from helpers.experiments.abilities import gpt_scorer
from helpers.experiments.attention_probes import product_prompt, support_conversations, support_items

PRODUCTS = world.lexicon.products
conversations = support_conversations(N_STORIES, pretraining_text=pretraining_text)


def product_test(prompts: list[str]) -> AbilityTest:
    """Which product comes next, as a choice among all of TinyWorld's products."""
    return AbilityTest("product", tuple(
        ChoiceItem(prompt, tuple((f" {product}",) for product in PRODUCTS), PRODUCTS.index(c.fields["item"]))
        for prompt, c in zip(prompts, conversations, strict=True)), 1 / len(PRODUCTS))


prompts = [product_prompt(c) for c in conversations]
whole = product_test(prompts)
reply_only = product_test([prompt[prompt.index("agent :"):] for prompt in prompts])
print(prompts[0], "->", conversations[0].fields["item"])
print("   given only the reply:", reply_only.items[0].prompt)
product_items = support_items(tokenizer, conversations)
product_distance = torch.tensor([len(item.ids) - item.target[0] for item in product_items], dtype=torch.float)
print(f"the product in the message is {product_distance.mean():.0f} tokens back on average")
most_common = max(PRODUCTS, key=[c.fields["item"] for c in conversations].count)
constant = AbilityResult(sum(c.fields["item"] == most_common for c in conversations) / N_STORIES, N_STORIES)
memory = {
    "reference model, the whole conversation": whole.run(gpt_scorer(model, tokenizer)),
    "reference model, only the agent's reply": reply_only.run(gpt_scorer(model, tokenizer)),
    "5-gram count model, the whole conversation": whole.run(ngram_scorer(five_gram)),
    f"constant answer ('{most_common}')": constant,
}
for name, result in memory.items():
    print(f"{name:45} {result}")
remembered = memory["reference model, the whole conversation"]
only_reply = memory["reference model, only the agent's reply"]
for name, result in memory.items():
    if result is not remembered:  # every other reader is more than 3 standard errors below
        assert remembered.accuracy - result.accuracy > 3 * math.hypot(remembered.se, result.se), name

# %% [markdown]
# How does the reply reach back to the message? The same measurement as for the pronoun, from the token before
# the product in the reply:

# %%
looking_back = look_back_attention(model, product_items)
product_heads = looking_back.top_heads(2)
product_even, _ = mean_and_se(looking_back.even_share)
for layer, head in product_heads:
    gap, gap_se = mean_and_se(looking_back.on_target[layer, head] - looking_back.even_share)
    print(f"L{layer} H{head}: {looking_back.mean_on_target[layer, head]:.3f} of its attention on the product in the "
          f"message ({gap:+.3f} ± {gap_se:.3f} over even, {product_even:.3f})")
    assert gap > 3 * gap_se
del five_gram  # millions of counts: free them

# %% [markdown]
# **Yes — the start of one: a short-term memory over the context window, read by attention.** Measured:
#
# - *It is a look-up of the context.* With the whole conversation the reference model names the customer's
#   product in all 200 replies, the product about 26 tokens back; the 5-gram, which cannot look back past four
#   words, names the most common product and is right 12.5 ± 2.3% of the time, as a constant answer is (13.0 ±
#   2.4%). Two heads of layer 4 put 0.99 and 0.92 of their attention on the product in the message.
# - *It ends at the window.* Given only the reply, the same model is no better than the constant answer (12.5 ±
#   2.3%); and in the stories, with the hero's name cropped out of view or pushed beyond the 128-token window, it
#   is at a coin flip. Nothing of the text before the window survives.
#
# It is not the memory of a person who remembers yesterday: once the text is gone, so is what attention could
# see. What a model keeps *after* the text is gone lives in its weights, learned in training — chapter 8 measures
# how a model memorizes a secret it saw during training.

# %% [markdown]
# ## What we measured
#
# Each claim of the chapter, the reference model's figure (± one standard error) and the baseline it beats by at
# least three standard errors, from this run ("100.0 ± 0.0%" is no miss in 200; a "guess" row is within three
# standard errors of its chance level):

# %%
from IPython.display import Markdown


def share(result: AbilityResult) -> str:
    return f"{100 * result.accuracy:.1f} ± {100 * result.se:.1f}%"


best_layer, best_head = antecedent_heads[0]
rows = [
    ("From-scratch attention equals `helpers.attention`, PyTorch's fused kernel and the trained layer 0",
     "equal to 1e-5", "—"),
    ("Chooses the hero's pronoun 20+ words after the name", share(pronoun_result),
     f"coin flip 50%; 5-gram {share(count_pronoun)}"),
    (f"An antecedent head (L{best_layer} H{best_head}) looks back at the name",
     f"{found.mean_on_target[best_layer, best_head]:.3f} ± "
     f"{mean_and_se(found.on_target[best_layer, best_head])[1]:.3f} of its attention",
     f"attention spread evenly: {even:.3f}"),
    ("Switching the two antecedent heads off lowers P(right pronoun)", f"by {drop:.3f} ± {drop_se:.3f}",
     f"two random other heads: {random_drop:.3f} ± {random_drop_se:.3f} ({DRAWS} draws)"),
    ("With the name cropped out of a 32-token window, the pronoun is a guess", share(cut_off),
     f"name in view: {share(kept)}; coin flip 50%"),
    (f"With the name pushed {stretched[STRETCH[-1]][0]:.0f} tokens back, beyond the window", share(beyond),
     f"the stories as written: {share(stretched[0][1])}"),
    ("A support reply names the product from the customer's message", share(remembered),
     f"only the reply in view: {share(only_reply)}; "
     f"5-gram {share(memory['5-gram count model, the whole conversation'])}"),
]
Markdown("| claim | result | baseline |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))

# %% [markdown]
# ## Recap
#
# - Attention = scores (query · key), scaled by 1/√d, masked so that no token sees the future, turned into
#   weights by a softmax, used to mix the values. Queries, keys and values come from learned matrices; a
#   layer runs several heads side by side and mixes their outputs. Our from-scratch code gives the same
#   numbers as `helpers.attention`, as PyTorch's `scaled_dot_product_attention` and as the trained model's
#   own first layer.
# - Attention alone ignores word order (permutation equivariance, asserted); learned position vectors fix it.
# - The reference model chooses the hero's pronoun in every one of 200 held-out stories, the name about 50
#   tokens back; chapter 1's count model, a 5-gram, is at a coin flip.
# - Two heads of its last layer look from the "." before the pronoun back to the hero's name, with about half
#   their attention where even attention would give 0.04. Switching them off costs P(right pronoun) 0.127, two
#   random other heads nothing measurable; the model still leans the right way without them, so weaker paths
#   carry some of the name too, and head effects do not add up (L5 H0 alone costs more than both). The heads are
#   found by measuring, so the same code finds them in any training run.
# - Attention is a short-term memory bounded by the context window: with the name, or the customer's message,
#   out of view, the model guesses.
#
# ## Exercises
#
# 1. **The first token.** With the causal mask, what is the output of the first token ("alice") in step 6,
#    and why? Check it in code.
#
#    <details><summary>Solution</summary>
#
#    Its row of weights is [1, 0, 0, ...] (it can only see itself), so its output is its own value vector:
#
#    ```python
#    assert torch.allclose(head_output[0], v[0]) and head_weights[0, 0] == 1
#    ```
#    </details>
#
# 2. **Where does "she" itself look?** Section 5 read the attention of the "." before the pronoun. Use
#    `attention_maps` and `attention_from` to list the three tokens the antecedent head attends to most *from
#    "she"*, and from "place" at the end of the sentence.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    maps = attention_maps(model, tokenizer, SENTENCE)
#    for query in (SHE, len(maps.pieces) - 2):
#        weights = attention_from(maps, layer=antecedent_layer, head=antecedent_head, query=query)
#        print(maps.pieces[query], sorted(zip(weights, maps.pieces), reverse=True)[:3])
#    ```
#    Compare with the "one head" picture of section 5: after the pronoun, the head's rows look at "she", not at
#    "alice".
#    </details>
#
# 3. **A whole layer off.** Switch off all six heads of one layer at a time. Which layer does the pronoun
#    depend on most?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    for layer in range(config.n_layer):
#        with heads_switched_off(model, [(layer, head) for head in range(config.n_head)]):
#            print(layer, f"{right_probabilities(model, tokenizer, pairs).mean():.3f}")
#    ```
#    Switching heads off is not additive: a whole layer can cost more or less than its heads one at a time.
#    </details>
#
# 4. **Temperature inside attention.** Divide the trained layer's scores by an extra factor of 2, or
#    multiply them by 2, and look at the largest weight of each row. Which way makes attention sharper?
#
#    <details><summary>Solution</summary>
#
#    Multiplying the scores makes the softmax sharper (closer to one-hot), dividing makes it flatter — the
#    same effect as the 1/√d scaling in step 4:
#
#    ```python
#    q, k, _ = model.h[0].attn.c_attn(first_layer_input).split(C, dim=-1)
#    size = C // config.n_head
#    head_scores = (q[:, :size] @ k[:, :size].T / math.sqrt(size)).masked_fill(~allowed, float("-inf"))
#    for factor in (0.5, 1, 2):
#        print(factor, softmax(head_scores * factor).max(-1).values.mean().item())
#    ```
#    </details>
#
# 5. **Plant a mistake.** Copy `attention_from_scratch` and break it: `tril(-1)` instead of `tril()`, or
#    `softmax` over `dim=-2`. What does `check_attention` say, and which output row shows the mistake first?
#
#    <details><summary>Solution</summary>
#
#    `tril(-1)` hides each token from itself: the first token then sees nothing, its scores are all -inf and
#    its row of weights is NaN; the checker names "a token cannot see itself". Over `dim=-2` each *column*
#    sums to 1 instead of each row; the first row is no longer [1, 0, ...], and the checker names "softmax
#    over the wrong axis".
#    </details>
#
# 6. **The product heads.** Section 9 found two heads that look from the reply back to the product. Switch them
#    off, and as a baseline two random other heads, and measure the product's accuracy each time.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    with heads_switched_off(model, product_heads):
#        print("product heads off:", whole.run(gpt_scorer(model, tokenizer)))
#    chosen = random.Random(1).sample([h for h in other_heads if h not in product_heads], 2)
#    with heads_switched_off(model, chosen):
#        print(chosen, "off:", whole.run(gpt_scorer(model, tokenizer)))
#    ```
#    </details>
#
# ## What comes next
#
# Chapter 4 puts the reference model to work (stories, translation, sentiment, a support bot). Chapter 5 builds
# the whole GPT around the attention of this chapter — embeddings, LayerNorm, the feed-forward block, residual
# connections — and chapter 6 trains it. Chapter 7 returns to attention heads: the induction heads that let a
# model copy from its context, the mechanism behind in-context learning.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
