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
# *"Alice is reading a book by the river; she loves the peaceful environment."* Who is *she*? You know at
# once: Alice, not the book and not the river. A model that predicts the next word must find out too, and
# chapter 1's count model could not: it only sees the last two words. Transformers look back over the
# whole text with **self-attention**: every token asks a question of every token before it and takes a
# weighted mix of the answers.
#
# After this chapter you will be able to:
#
# - compute attention by hand — scores, softmax, weighted sum, scaling, causal mask, query/key/value
#   projections, several heads — and check it against `helpers.attention` and PyTorch's
#   `scaled_dot_product_attention` (same numbers);
# - show why a transformer needs position information (attention alone cannot see word order);
# - find the heads of a trained transformer that look back from the pronoun to its antecedent, measure how
#   often they do, switch heads off (one at a time and together) and measure what the model loses;
# - measure what happens to the model's "memory" when the antecedent falls outside its context window.
#
# **Run time:** about 10 seconds on an idle 2-core CPU with its two models in the helpers' cache: the
# chapters' pretrained TinyWorld model and this chapter's story model. A first run trains whichever is
# missing once and caches it (the story model takes about a minute and a half); the last cell prints this
# run's time.

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
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

# %% [markdown]
# ## 1. The sentence, as TinyWorld writes it
#
# TinyWorld, the series' corpus, writes lowercase words separated by spaces, with the full stop as its own
# word. The chapter's sentence is one of its documents, so we know exactly how likely it is.

# %%
from helpers.tinyworld import TinyWorld

SENTENCE = "alice is reading a book by the river . she loves the peaceful environment ."
world = TinyWorld(0)
print(SENTENCE)
print(f"a TinyWorld document: {world.is_valid(SENTENCE)}, probability {math.exp(world.log_prob(SENTENCE)):.2e}")
assert world.is_valid(SENTENCE)

# %% [markdown]
# We take the token embeddings of the chapters' pretrained model (chapter 5 builds a model like it, chapter 6
# trains it; here we only read its weights): each token becomes a vector of numbers. For now, no positions.

# %%
from helpers.pretrained import pretrained

model, tokenizer = pretrained("tinyworld", progress=False)
model.eval()
ids = tokenizer.encode(SENTENCE)
pieces = [piece.strip() for piece in tokenizer.token_strings(ids)]
T, C = len(ids), model.config.n_embd
with torch.no_grad():
    x = model.wte.weight[ids].clone()  # (T, C) one vector per token
print(f"{T} tokens: {pieces}")
print(f"x: {tuple(x.shape)} = (tokens, numbers per token); x[0][:6] = {x[0, :6]}")
SHE = pieces.index("she")


def show_row(values: torch.Tensor, label: str) -> None:
    """Print one row of numbers under the tokens they belong to."""
    print(label)
    print("  " + " ".join(f"{p:>9}" for p in pieces[: len(values)]))
    print("  " + " ".join(f"{v:9.3f}" for v in values.tolist()))


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
# largest share (about 0.14) goes to "she" itself: a vector matches itself best (its dot product with
# itself is its squared length). Nothing points at "alice". A model needs a way to ask a *different*
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
# ### Step 6: queries, keys and values — learned questions and answers
# ![One attention head seen from "she": each token offers a key and a value, "she" brings a query; the
# weights are the softmax of query · key, the output is the weighted sum of the values](../images/03_query_key_value.png)
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
# The chapters' pretrained model is a small GPT trained on TinyWorld (chapter 5 trains one like it).
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
before_she = x[: SHE + 1]  # "alice ... river . she"
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
# ## 5. A transformer trained on pronoun stories
#
# The chapters' pretrained model reads every kind of TinyWorld text; pronoun stories are a small part of it.
# For this chapter we train a smaller transformer on pronoun stories only, so that every training window
# holds several pronouns to predict: 2 layers of 4 heads, 64 numbers per token, 1,500 steps on 20,000 stories
# (`helpers.experiments.attention_probes.story_model`, trained once, then cached like the pretrained
# model; it reads with the pretrained model's tokenizer). Half of its stories have *distractor characters*:
# a hero, one or more people of the other gender, then the pronoun meaning the hero:
#
# > mia is playing with a ball by the river . bob is singing a song in the garden . the cat slept on the
# > log . jack is writing a letter by the river . **she**
#
# the other half none, the chapter's kind ("alice is reading a book by the river . **she**").
#
# We test it on 300 **held-out** stories of each kind (from a TinyWorld stream no training text came
# from). Pronoun accuracy comes from `helpers.probes.pronoun_accuracy`: the share of stories where the model
# gives the right pronoun a higher probability than the wrong one, a forced choice between "she" and "he"
# (0.5 is a coin flip).

# %%
from helpers.experiments.attention_probes import STORY_MODEL, story_model
from helpers.probes import pronoun_accuracy, pronoun_stories

story, _ = story_model()  # the same tokenizer as the pretrained model; a progress bar if it trains now
story_config = story.config
print(f"story model: {story.num_parameters():,} parameters; {story_config.n_layer} layers x {story_config.n_head} "
      f"heads, {story_config.n_embd} numbers per token, context of {story_config.context_length} tokens; "
      f"{STORY_MODEL.training.max_steps} steps on {STORY_MODEL.documents:,} stories")
N_STORIES = 300
stories = pronoun_stories(N_STORIES)  # hero, distractors of the other gender, pronoun
simple_stories = pronoun_stories(N_STORIES, with_distractors=False)  # hero, pronoun
accuracy = pronoun_accuracy(story, tokenizer, stories)
simple_accuracy = pronoun_accuracy(story, tokenizer, simple_stories)
general_accuracy = pronoun_accuracy(model, tokenizer, stories)
print(f"pronoun accuracy of the story model: {accuracy:.1%} with distractors, {simple_accuracy:.1%} without")
print(f"the chapters' general pretrained model, with distractors: {general_accuracy:.1%}")
assert accuracy > 0.95 and simple_accuracy > 0.95 and general_accuracy < accuracy - 0.1

# %% [markdown]
# The story model gets every pronoun of the test stories right: 100% with distractors and without. The chapters'
# general model, which saw far fewer pronoun stories per training step, gets 70% of the stories with
# distractors. Now: *how* does the story model know?
#
# ## 6. Which head finds "alice"? Measure, don't just look
#
# For every layer and head we read the attention of the last token before the pronoun — the "." whose
# output predicts it — over the 300 stories, and ask: how often is the antecedent the token it looks at
# most, and how much of its attention lands on the antecedent (and, with distractors, on the distractors)?
#
# Which heads do what is decided by the accidents of training (the random start, the order of the batches):
# train the same recipe with another seed and the heads below sit elsewhere (exercise 6). The text quotes the
# run saved with this notebook; the `assert` cells check what held in all six runs we trained (seeds 0 to 3
# on two threads, seeds 0 and 1 on one).

# %%
from helpers.experiments.attention_probes import antecedent_attention, pronoun_items

without_distractors = antecedent_attention(story, pronoun_items(tokenizer, simple_stories))
with_distractors = antecedent_attention(story, pronoun_items(tokenizer, stories))
on_distractors = with_distractors.on_distractors.mean(-1)  # (n_layer, n_head)
print("          without distractors                    with distractors")
print("head   antecedent is top  weight on it    antecedent is top  weight on it  weight on distractors")
for layer in range(story_config.n_layer):
    for head in range(story_config.n_head):
        print(f"L{layer} H{head} {without_distractors.hit_rate[layer, head]:17.0%}"
              f"  {without_distractors.mean_on_antecedent[layer, head]:12.2f}"
              f"    {with_distractors.hit_rate[layer, head]:17.0%}"
              f"  {with_distractors.mean_on_antecedent[layer, head]:12.2f}  {on_distractors[layer, head]:21.2f}")
alice_layer, alice_head = without_distractors.best_head()
antecedent_heads = [divmod(int(i), story_config.n_head)  # the two heads with the most weight on the antecedent
                    for i in without_distractors.mean_on_antecedent.flatten().argsort(descending=True)[:2]]
print(f"the alice head: L{alice_layer} H{alice_head}, the antecedent is its top token in "
      f"{without_distractors.hit_rate[alice_layer, alice_head]:.0%} of the stories without distractors")
print("the two heads with the most weight on the antecedent: " + ", ".join(
    f"L{i} H{j} ({without_distractors.mean_on_antecedent[i, j]:.2f})" for i, j in antecedent_heads))
best_hit_rate = without_distractors.hit_rate[alice_layer, alice_head]
assert best_hit_rate > 0.45 and without_distractors.mean_on_antecedent.max() > 0.35  # a head finds the hero ...
assert with_distractors.hit_rate.max() < best_hit_rate / 2  # ... and with distractors, no head does

# %% [markdown]
# Two results:
#
# - **Without distractors there are "alice heads"** in layer 1: L1 H1 makes the antecedent the token it
#   looks at most in 73% of the stories, L1 H2 in 51%; they put on average 0.61 and 0.48 of their attention
#   on the hero's name. They look from the "." before the pronoun back to the name.
# - **With distractors no head picks the antecedent**: the best makes it its top token in 6% of the
#   stories. Instead L1 H2 puts 0.86 of its attention on the *distractors*.
#
# A story has about ten tokens before the pronoun, so attention spread evenly would give the name about 0.1.
#
# Split by the hero's gender, the two alice heads behave very differently:

# %%
male_hero = torch.tensor([s.fields["gender"] == "male" for s in simple_stories])  # (N,)
for layer, head in antecedent_heads:
    weight = without_distractors.on_antecedent[layer, head]  # (N,)
    print(f"L{layer} H{head}: weight on the hero's name when it is a boy's {weight[male_hero].mean():.2f}, "
          f"a girl's {weight[~male_hero].mean():.2f}")
weights_by_gender = [(without_distractors.on_antecedent[i, j][male_hero].mean(),
                      without_distractors.on_antecedent[i, j][~male_hero].mean()) for i, j in antecedent_heads]
assert max(abs(boy - girl) for boy, girl in weights_by_gender) > 0.3  # names of one gender draw far more

# %% [markdown]
# A boy's name draws most of their attention (0.88 and 0.90), a girl's name much less (0.32 and 0.04):
# this model has a default, "she", and these heads look for the evidence against it. (Other training runs
# pick the other default, or split the work: one head looks for boys, the other for girls.) So on the chapter's
# own sentence the picture is faint. Here is the alice head L1 H1 in the AttentionLab, seen from the "."
# right before "she" (pick another layer, head or query token; "all heads" shows the whole layer):

# %%
from helpers.widgets import AttentionLab

lab = AttentionLab(story, tokenizer, SENTENCE, layer=alice_layer, head=alice_head, query=SHE - 1, view="tokens")
lab

# %%
from helpers.widgets import attention_from, attention_maps

HIS_SENTENCE = "bob is reading a book by the river . he loves the peaceful environment ."
assert world.is_valid(HIS_SENTENCE)
on_name = {}
for text in (SENTENCE, HIS_SENTENCE):
    maps = attention_maps(story, tokenizer, text)
    weights = attention_from(maps, layer=alice_layer, head=alice_head, query=SHE - 1)  # from the "." before
    on_name[text.split(" ")[0]] = float(weights[0])
    top = sorted(zip(map(float, weights), maps.pieces, strict=True), reverse=True)[:3]
    print(f"{text.split(' . ')[0]} . -> top three: " + ", ".join(f"{piece.strip()} {w:.2f}" for w, piece in top))
    if text == HIS_SENTENCE:
        assert top[0][1].strip() == "bob"  # in the sentence about bob, the head looks at bob most
assert on_name["bob"] > on_name["alice"]

# %% [markdown]
# "alice" gets 0.15 of the head's attention, about as much as "the" (0.14); the largest share (0.30) stays on
# the "." itself. "bob", in the same sentence about him, gets 0.89. The picture of the sentence about bob (a
# fixed picture; type any story into the lab above to explore it):

# %%
AttentionLab(story, tokenizer, HIS_SENTENCE, layer=alice_layer, head=alice_head, query=SHE - 1,
             view="tokens").snapshot()

# %% [markdown]
# And with a distractor, the other alice head, L1 H2,
# looks from the "." before "she" at the distractor "bob", not at alice:

# %%
STORY = "alice is reading a book by the river . bob waves from across the road . she loves the peaceful environment ."
assert world.is_valid(STORY)
story_pieces = [p.strip() for p in tokenizer.token_strings(tokenizer.encode(STORY))]
other_layer, other_head = next(head for head in antecedent_heads if head != (alice_layer, alice_head))
AttentionLab(story, tokenizer, STORY, layer=other_layer, head=other_head, query=story_pieces.index("she") - 1,
             view="tokens").snapshot()

# %% [markdown]
# ## 7. Switch heads off: does the model use what the heads find?
#
# Attention weights show where a head looks, not whether the model *uses* what it finds. The test is to
# remove heads and measure. `heads_switched_off` zeroes a head's output inside its block (its slice of the
# vector that enters the output projection), as if the head were not there. First one head at a time:

# %%
from helpers.experiments.attention_probes import ablation_accuracies, heads_switched_off

simple_ablations = ablation_accuracies(story, tokenizer, simple_stories)  # (n_layer, n_head): one head off
ablations = ablation_accuracies(story, tokenizer, stories)
print(f"all heads on: {simple_accuracy:.1%} without distractors, {accuracy:.1%} with")
print("one head switched off, without distractors (rows: layers, columns: heads):")
print(simple_ablations)
print("... with distractors:")
print(ablations)
print(f"the alice head L{alice_layer} H{alice_head} off: {simple_ablations[alice_layer, alice_head]:.1%} without "
      f"distractors, {ablations[alice_layer, alice_head]:.1%} with")
assert simple_ablations.median() > simple_accuracy - 0.05  # most heads can go, one at a time

# %% [markdown]
# One head off at a time, the model hardly notices: switching off the alice head L1 H1 costs nothing (100%
# without distractors, 100% with); switching off L1 H2 costs 11 points without distractors (89.3%) and 20
# with them (80.0%); every other head, at most 1 point. That does not mean the model ignores L1 H1: the
# other alice head, L1 H2, reads the same name, so either one is nearly enough — in this run the heads are
# **redundant**. The test is to switch them off *together*; as a control, every pair of the six other heads:

# %%
from itertools import combinations


def accuracies_without(heads):
    """Pronoun accuracy (without distractors, with them) with these heads' outputs zeroed."""
    with heads_switched_off(story, heads):
        return pronoun_accuracy(story, tokenizer, simple_stories), pronoun_accuracy(story, tokenizer, stories)


other_heads = [(layer, head) for layer in range(story_config.n_layer) for head in range(story_config.n_head)
               if (layer, head) not in antecedent_heads]
both_off = accuracies_without(antecedent_heads)
pairs_off = torch.tensor([accuracies_without(pair) for pair in combinations(other_heads, 2)])  # (15, 2)
typical_pair, worst_pair = pairs_off.median(dim=0).values, pairs_off.min(dim=0).values
print(f"{'switched off':>30}   without distractors   with distractors")
print(f"{'the two alice heads':>30}   {both_off[0]:19.1%}   {both_off[1]:16.1%}")
print(f"{'a pair of other heads, median':>30}   {typical_pair[0]:19.1%}   {typical_pair[1]:16.1%}")
print(f"{'the worst of the 15 pairs':>30}   {worst_pair[0]:19.1%}   {worst_pair[1]:16.1%}")
assert both_off[0] < min(simple_accuracy, typical_pair[0]) - 0.2  # without distractors they carry the pronoun
assert both_off[1] < accuracy - 0.05  # with distractors they matter too, less

# %% [markdown]
# Zeroed together, the two alice heads take the model from always right down to 64.0% without distractors
# and 71.3% with them, while switching off a pair of the other heads costs little: the median pair keeps
# 100% and 98.7%, even the worst of the 15 keeps 98.3% and 92.0%. So the model *uses* what these heads find. Without
# distractors the two stand in for each other (either one alone zeroed keeps 89.3% or more, both 64.0%);
# with distractors L1 H2 does most of the work (80.0% without it, 71.3% without both).
#
# **What do they read with distractors?** TinyWorld's stories have a regularity: every distractor has the
# *other* gender. So "bob is in view, so *she*" works as well as "the hero is mia, so *she*" — and the
# distractors are the names L1 H2 looks at. We can test which rule the model learned: turn every distractor
# into the hero's gender ("mia ... lily ... anna ... she"), a story TinyWorld never writes. Every name now
# says *she*: a model that reads the hero's gender stays right; one that learned "the pronoun is the gender
# the distractors do not have" turns wrong.

# %%
from helpers.experiments.attention_probes import same_gender_pairs
from helpers.probes import accuracy as pair_accuracy

same_gender = same_gender_pairs(stories)
print(same_gender[0].prompt, "->", same_gender[0].right, "or", same_gender[0].wrong, "?")
same_gender_accuracy = pair_accuracy(story, tokenizer, same_gender)
print(f"pronoun accuracy with same-gender distractors: {same_gender_accuracy:.1%} (the usual stories: {accuracy:.1%})")
assert same_gender_accuracy < 0.2 < 0.9 < accuracy

# %% [markdown]
# 0.7% (2 of 300 stories): with distractors, the model practically never resolves the pronoun. It reads the
# distractors' names and answers with the other gender — a shortcut that is right in every story TinyWorld
# writes, and wrong in nearly every story where it no longer holds. The heads that look back at the hero's name are real in the stories
# without distractors; with distractors L1 H2 looks at "bob" instead and the model answers "not his
# gender". A model learns what predicts the next token in *its* data, not the rule we had in mind.

# %% [markdown]
# ## 8. The count model of chapter 1 on the same stories
#
# Chapter 1's count model predicts the next word from the last n − 1 words only. We count the words of the
# story model's 20,000 training stories and ask it the same question: after "... by the river .", is "she"
# or "he" more likely? A trigram reads "river ." — nothing about who is in the story. A 6-gram reads five
# words back, which now and then reaches a name or a "his".

# %%
import re

from helpers.experiments.attention_probes import count_model_margins, story_texts
from helpers.ngram_model import NGramModel

training_text = story_texts(STORY_MODEL, STORY_MODEL.documents, STORY_MODEL.world_seed)  # the story model's text
words = re.findall(r"\S+|\n", training_text)  # words, and "\n" between documents
count_accuracy = {}
for n in (3, 6):
    count_model = NGramModel.train(words, n)
    count_accuracy[n] = {kind: float((count_model_margins(count_model, probes) > 0).float().mean())
                         for kind, probes in (("with", stories), ("without", simple_stories))}
    print(f"{n}-gram count model ({len(words):,} training words): pronoun accuracy {count_accuracy[n]['with']:.1%} "
          f"with distractors, {count_accuracy[n]['without']:.1%} without")
print(f"story transformer (a window of {story_config.context_length} tokens):   pronoun accuracy {accuracy:.1%} "
      f"with distractors, {simple_accuracy:.1%} without")
assert 0.4 < count_accuracy[3]["with"] < 0.6 and max(count_accuracy[6].values()) < 0.8 < min(accuracy, simple_accuracy)

# %% [markdown]
# The trigram is a coin flip (50.0% with distractors, 51.7% without): after "river ." it says the same
# thing whoever the hero is. The 6-gram is no better (52.0% and 50.0%): five words back rarely reach a name
# or a "his". The transformer, which can attend to any token of its window, gets all of them (100%).

# %% [markdown]
# ## 9. Memory: what if the antecedent falls outside the context window?
#
# ![Two windows over the same story: one still holds "alice", the other starts right after it and holds
# only "bob"](../images/03_context_window.png)
#
# A transformer looks back only as far as its context window (here 128 tokens): whatever fell out of the
# window is gone. First we crop each prompt to its last *k* tokens and split the stories by which names are
# still in view: the antecedent, only distractors, or no name at all.

# %%
from helpers.experiments.attention_probes import VIEWS, distance_accuracies, window_accuracies

WINDOWS = (4, 8, 16, 32, 64, story_config.context_length)
results = window_accuracies(story, tokenizer, stories, WINDOWS)
print(f"{'window':>6} {'accuracy':>9}   " + "   ".join(f"{view:>26}" for view in VIEWS))
for r in results:
    print(f"{r.window:6d} {r.accuracy:9.1%}   " + "   ".join(
        f"{n:4d} stories, {acc:6.1%} right" if n else f"{0:4d} stories,       -    " for n, acc in r.by_view.values()))
for view, (low, high) in zip(VIEWS, ((0.9, 1.0), (0.9, 1.0), (0.0, 0.65)), strict=True):
    assert all(low < r.by_view[view][1] <= high for r in results if r.by_view[view][0] >= 50), view

# %% [markdown]
# With no name left in the window the model is at a coin flip (45.0% and 52.7% in the rows with at least
# 50 such stories). With a name in view it is right 98% to 100% of the time, whether that name is the
# antecedent or only a distractor: cropping the antecedent away costs nothing as long as someone of the
# other gender is still in view — the shortcut again.
#
# Second, the real test of memory: the simple stories, where the hero is the only clue, with harmless
# scenery sentences ("the cat sat on the mat .", no people in them) pushed in before the pronoun until the
# antecedent is at least *d* tokens back — eventually beyond the window.

# %%
DISTANCES = (0, 16, 32, 64, 120, 136)
distances = distance_accuracies(story, tokenizer, simple_stories, DISTANCES)
print(f"{'antecedent at least':>19} {'on average':>10} {'beyond the window':>18} {'accuracy':>9}")
for r in distances:
    print(f"{r.min_distance:12d} tokens {r.mean_distance:10.0f} {r.beyond_window:18d} {r.accuracy:9.1%}")

figure, axes = plt.subplots(figsize=(7, 3.2), dpi=90)
axes.plot([r.mean_distance for r in distances], [r.accuracy for r in distances], "o-",
          label="stories without distractors, scenery pushed in")
axes.axvline(story_config.context_length, color="grey", linestyle="--", label="edge of the context window")
axes.axhline(0.5, color="black", linewidth=0.8, linestyle=":", label="coin flip")
axes.set_xlabel("tokens between the antecedent and the pronoun")
axes.set_ylabel("pronoun accuracy")
axes.set_ylim(0, 1.02)
axes.legend(fontsize=8, loc="lower left")
axes.set_title("How far back does the model still find alice?", fontsize=10)
plt.show()
assert distances[0].accuracy > 0.9 and all(r.accuracy < 0.65 for r in distances if r.min_distance >= 64)

# %% [markdown]
# Right after the hero's sentence (the name about 10 tokens back) the model is right every time; about 19
# tokens back, 99.7%; about 36 back, 87%; from about 68 tokens back it is near a coin flip (55%), although the
# name is still well inside the 128-token window; past the window's edge it stays there (46%). The window is
# an upper bound, not a promise: this small model's grip on a name fades long before the name falls out —
# it was trained on stories where the name was never that far back.
#
# ## 10. Is self-attention the start of machine memory?
#
# The chapter's numbers, side by side:

# %%
memory = {
    "count model (trigram), no look-back": count_accuracy[3]["without"],
    "transformer, the antecedent in view": simple_accuracy,
    "transformer, no name left in view (window of 8)": results[1].by_view["no name in view"][1],
    "transformer, alice beyond the window": distances[-1].accuracy,
    "transformer, the two alice heads switched off": both_off[0],
}
for name, value in memory.items():
    print(f"{name:50} {value:6.1%}")
assert memory["transformer, the antecedent in view"] > 0.9 > 0.8 > max(
    value for name, value in memory.items() if name != "transformer, the antecedent in view")

# %% [markdown]
# **Yes — the start of one: a short-term memory over the context window, read by attention.** Measured:
#
# - *It is a look-up of the context.* With the hero in view the transformer chooses the right pronoun
#   every time; the count model, which cannot look back past two words, is at a coin flip (52%); with the
#   two heads that look back at the name switched off (zeroed), the transformer falls to 64%.
# - *It ends at the window.* With no name left in the window, or with the hero beyond it, the model is at
#   a coin flip (45% and 46%). Nothing of the text before the window survives.
# - *It fades, and it is only as good as training made it.* In this small model the memory of the hero is
#   gone about 70 tokens back, half a window; and what it reads from the names with distractors is a
#   shortcut of its data ("not the distractors' gender": 0.7% with same-gender distractors).
#
# It is not the memory of a person who remembers yesterday: once the text is gone, so is what attention
# could see. What a model keeps *after* the text is gone lives in its weights, learned in training —
# chapter 8 measures how a model memorizes a secret it saw during training.

# %% [markdown]
# ## Recap
#
# - Attention = scores (query · key), scaled by 1/√d, masked so that no token sees the future, turned into
#   weights by a softmax, used to mix the values. Queries, keys and values come from learned matrices; a
#   layer runs several heads side by side and mixes their outputs. Our from-scratch code gives the same
#   numbers as `helpers.attention` and as PyTorch's `scaled_dot_product_attention`, and as the trained
#   model's own attention.
# - Attention alone ignores word order (permutation equivariance, asserted); learned position vectors fix
#   it.
# - A 2-layer transformer trained on pronoun stories gets every pronoun of the test stories right; the count
#   model of chapter 1 is at a coin flip (trigram and 6-gram alike).
# - Without distractors two heads look from the "." before the pronoun back to the hero's name (in this run
#   both in layer 1, looking much harder when it is a boy's). Switching off the one that looks hardest
#   costs nothing, zeroing both costs about a third of the pronouns (64% right): the heads are redundant,
#   and the ones the model relies on are found by switching heads off, not by looking at pictures. Which
#   heads they are is an accident of training; that some heads do this, and the shortcut below, are not.
# - With distractors the model takes a shortcut of its data: it reads the distractors' names and answers
#   with the other gender (0.7% right once the distractors share the hero's gender).
# - Attention is a short-term memory bounded by the context window — and, in a small model, by much less.
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
# 2. **Where does "she" itself look?** The chapter read the attention of the "." before the pronoun. Use
#    `helpers.widgets.attention_maps` and `attention_from` to list the three tokens the alice head attends
#    to most *from "she"* in the chapter's sentence.
#
#    <details><summary>Solution</summary>
#
#    ```python
#    from helpers.widgets import attention_from, attention_maps
#
#    maps = attention_maps(story, tokenizer, SENTENCE)
#    weights = attention_from(maps, layer=alice_layer, head=alice_head, query=SHE)
#    print(sorted(zip(weights, maps.pieces), reverse=True)[:3])
#    ```
#    From "she" the head looks at no name at all: "she" itself (0.25), "." (0.15) and "reading" (0.14). The
#    name matters at the "." before it, whose output predicts the pronoun.
#    </details>
#
# 3. **A whole layer off.** Switch off all four heads of one layer at a time. Which layer does the pronoun
#    depend on most?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    for layer in range(story_config.n_layer):
#        with heads_switched_off(story, [(layer, head) for head in range(story_config.n_head)]):
#            print(layer, f"{pronoun_accuracy(story, tokenizer, simple_stories):.1%}",
#                  f"{pronoun_accuracy(story, tokenizer, stories):.1%}")
#    ```
#    Without layer 0: 84.7% without distractors, 77.7% with; without layer 1 (where the alice heads sit):
#    90.0% without distractors and 45.7% with — a coin flip. With distractors the pronoun depends most on
#    layer 1. Without distractors, zeroing all of layer 1 costs *less* than zeroing only the two alice heads
#    (64.0%): switching heads off is not additive, so measure the combination you care about.
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
# 6. **Another training run.** Train the story model again with another seed (about 75 seconds, then
#    cached) and repeat section 6 and the pair test of section 7 on it. Which heads find the hero now, and
#    what stays the same?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    import dataclasses
#
#    reseeded = dataclasses.replace(STORY_MODEL, training=dataclasses.replace(STORY_MODEL.training, seed=1))
#    other, _ = story_model(reseeded)
#    found = antecedent_attention(other, pronoun_items(tokenizer, simple_stories))
#    print(found.mean_on_antecedent)  # (n_layer, n_head): the weight each head puts on the hero's name
#    heads = [divmod(int(i), story_config.n_head) for i in found.mean_on_antecedent.flatten().argsort()[-2:]]
#    with heads_switched_off(other, heads):
#        print(heads, pronoun_accuracy(other, tokenizer, simple_stories))
#    print(pronoun_accuracy(other, tokenizer, stories), pair_accuracy(other, tokenizer, same_gender))
#    ```
#    With seed 1 the heads that look hardest at the hero are L0 H1 (0.51) and L1 H2 (0.61): one of them has
#    moved to layer 0. Zeroing both leaves 42.0% of the pronouns without distractors. What stays: the model
#    gets every pronoun of the usual stories right (100%), and it takes the same shortcut with distractors
#    (3.7% with same-gender distractors). Where a mechanism sits is an accident of training; what the data
#    rewards is not.
#    </details>
#
# 7. **Mean ablation.** Zeroing a head also removes what it adds to *every* story, whoever the hero is.
#    Mean ablation replaces its output by its average over other stories instead, so only what it reads from
#    this story is lost. Does it cost less than zeroing the two alice heads?
#
#    <details><summary>Solution</summary>
#
#    ```python
#    from helpers.experiments.attention_probes import mean_head_outputs
#
#    means = mean_head_outputs(story, tokenizer, [s.text for s in pronoun_stories(100, seed=99)])
#    with heads_switched_off(story, antecedent_heads, means=means):
#        print(pronoun_accuracy(story, tokenizer, simple_stories), pronoun_accuracy(story, tokenizer, stories))
#    ```
#    In this notebook's run, mean ablation costs less than zeroing: 89.0% without distractors and 77.7% with
#    (zeroed: 64.0% and 71.3%). Part of what zeroing takes away is what the two heads add in every story,
#    whoever the hero is. But it depends on the model: on the seed-1 model of exercise 6, mean ablation of
#    its two heads costs about as much as zeroing them (36.7% against 42.0%). Measure before you say what a
#    head "does".
#    </details>
#
# ## What comes next
#
# Chapter 4 puts the pretrained model to work (stories, translation, sentiment). Chapter 5 builds the whole
# GPT around the attention of this chapter — embeddings, LayerNorm, the feed-forward block, residual
# connections — and chapter 6 trains it. Chapter 7 returns to attention heads: the induction heads that let a
# model copy from its context, the mechanism behind in-context learning.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
