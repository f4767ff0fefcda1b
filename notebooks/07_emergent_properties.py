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
# # Chapter 7 — Emergent properties
#
# As language models grow they show abilities nobody programmed into them. Shown a handful of solved
# examples in its prompt, a large model carries on the pattern (**few-shot learning**). Trained only to
# predict the next word of text that happens to contain translations, it translates. Complex abilities
# come out of plain next-word prediction. This chapter asks:
#
# > *Could a model learn tasks it was never taught?*
#
# and answers with four experiments you run on this laptop:
#
# 1. **In-context learning appears suddenly, with depth.** A two-layer transformer learns to copy
#    patterns it sees in its prompt, and the moment it does, its loss falls off a cliff; a one-layer
#    model never gets there. We open the model and watch the mechanism (an *induction head*) form.
# 2. **Few-shot learning.** Do the series' pretrained models, TinyWorld 2's size ladder of four GPTs, have
#    an induction head? We check, then prompt each with 0 to 3 examples of two tasks and measure how much the
#    examples help at each size. Then we train a small transformer on prompts that are each a new task, and
#    compare it with least squares.
# 3. **Translation nobody asked for.** The ladder translates into TinyWorld 2's toy language, in a format it
#    never saw; whether that ability looks sudden or gradual depends on how it is scored.
# 4. **Grokking.** A network that memorises its training data early and finds the general rule much,
#    much later.
#
# After this chapter you will be able to:
#
# - build the repeated-sequence task, an attention-only transformer, and the two scores that find
#   previous-token heads and induction heads, and check a claim of "in-context learning" against a
#   positional shortcut;
# - prompt a model with k examples, measure its accuracy against k at several model sizes, and test whether
#   the gain from examples grows with size, against a baseline;
# - train a transformer to fit a new function from the examples in its prompt, and compare it with least
#   squares and ridge regression;
# - score a model's outputs two ways (exact match, and log-likelihood per word) and explain why the first can
#   make a modest improvement per word look like a sudden jump;
# - reproduce grokking and show what weight decay has to do with it.
#
# **Run time:** about a minute on an idle 2-core CPU, with section 3's in-context regression model in the cache
# (the first run trains it, once, in about 40 seconds); the size ladder's weights come with the repository. The
# last cell prints this run's time. Every other model of this chapter is trained live, so you watch it happen.

# %%
import time

started = time.perf_counter()

import math

import matplotlib.pyplot as plt
import torch

from helpers.runtime import seed_everything

seed_everything(0)
torch.set_printoptions(precision=3, sci_mode=False)
plt.rcParams.update({"figure.dpi": 90, "savefig.dpi": 90})
print(f"torch {torch.__version__}")

# %% [markdown]
# ## 1. In-context learning from scratch: the induction head
#
# ### The task: a random block, repeated
# Each training sequence is a block of distinct random symbols, of random length (its *period*, 4 to 24),
# repeated until the context is full. The first block is pure noise: nothing can predict it. Every later
# symbol is fully predictable, but only by looking back into the sequence itself: "the last time I saw
# this symbol, what came after it?". No weight can store the answer, because every sequence is new. A
# model that solves this task is learning *in context*.
#
# We write one sequence by hand: draw the period, draw a random order of the 62 symbols (digits and
# letters) and keep the first `period` of them, then repeat.

# %%
from helpers.experiments.induction_heads import SYMBOLS, repeated_blocks, symbol_tokenizer

symbols = symbol_tokenizer()  # one character per symbol, so a sequence can be printed and typed
CONTEXT = 48  # the model reads 48 symbols and predicts the next one at each position

generator = torch.Generator().manual_seed(0)
period = int(torch.randint(4, 24 + 1, (1,), generator=generator))
order = torch.rand(1, len(SYMBOLS), generator=generator).argsort(dim=1)  # (1, 62): a random order of the symbols
block = order[0, :period]  # (period,) distinct symbols
sequence = block[torch.arange(CONTEXT + 1) % period]  # (49,): the block repeated
print(f"period {period}: {symbols.decode(sequence.tolist())}")
print(f"vocabulary: {symbols.vocab_size} tokens ({len(SYMBOLS)} symbols and two special tokens)")

# %% [markdown]
# `helpers.experiments.induction_heads.repeated_blocks` does the same, with the same random draws, for
# many sequences at once:

# %%
helper_sequence, helper_period = repeated_blocks(1, CONTEXT + 1, seed=0)  # (1, 49), (1,)
assert torch.equal(helper_sequence[0], sequence) and int(helper_period[0]) == period
sequences, periods = repeated_blocks(4, CONTEXT + 1, seed=1)  # (4, 49), (4,)
for s, p in zip(sequences, periods, strict=True):
    print(f"period {int(p):2d}: {symbols.decode(s.tolist())}")

# %% [markdown]
# ### What can be predicted, and what order tells you
# After the first block, a model that only knows *which* symbols have appeared (but not in what order)
# can narrow the next symbol down to the block's other P − 1 symbols: a loss of ln(P − 1) nats. To do
# better it must use order. We average that "order-blind" loss over the predictable positions of many
# sequences: it is the best a model can do without using order.

# %%
probe, probe_periods = repeated_blocks(2000, CONTEXT + 1, seed=99)
predictable = CONTEXT + 1 - probe_periods  # targets at positions period..48 repeat an earlier symbol
ORDER_BLIND = float((predictable * torch.log(probe_periods - 1.0)).sum() / predictable.sum())
print(f"chance (uniform over 64 tokens): {math.log(64):.2f} nats")
print(f"order-blind loss on the predictable positions: {ORDER_BLIND:.2f} nats")
print("perfect in-context copying: 0 nats")

# %% [markdown]
# ### The model: attention and nothing else
# To see the mechanism clearly we remove everything but attention: token and position embeddings,
# attention layers adding into the residual stream (chapter 3's `CausalSelfAttention`, reused), and a
# final linear layer that scores the 64 tokens. No MLPs. Two heads per layer.

# %%
from helpers.experiments.induction_heads import AttentionOnlyTransformer
from helpers.model import GPTConfig

config = GPTConfig(vocab_size=symbols.vocab_size, context_length=CONTEXT, n_layer=2, n_head=2, n_embd=64)
untrained = AttentionOnlyTransformer(config)
print(untrained)
print(f"{sum(p.numel() for p in untrained.parameters()):,} parameters")

# %% [markdown]
# ### Two scores that find the mechanism
# ![The previous-token head in layer 0 marks each token with the token before it; the induction head in
# layer 1 finds the token marked "after K" and copies it](../images/07_induction_head.png)
#
# How could attention solve the task? A head in the **last** layer, sitting on the current symbol (the
# second "K" above), should attend to the symbol that came *after* the previous "K" ("p") and copy it.
# But a key only says what its own token is; "p" cannot advertise "I came after K" unless an earlier
# layer wrote that into it. So a head in the **first** layer must attend from each token to the one just
# before it. This pair is an **induction head** (Olsson et al., 2022), and it needs two layers.
#
# Two scores measure it, for each head, from its attention weights:
#
# - **previous-token score**: the average weight a token puts on the token just before it;
# - **induction (prefix-matching) score**: for tokens that appeared before, the average weight put on the
#   tokens that *followed* the earlier copies.
#
# We write both by hand and try them on made-up attention patterns for the sequence "abcdeabcde".

# %%
tokens = torch.tensor(symbols.encode("abcdeabcde"))  # (T,)
T = len(tokens)
previous_pattern = torch.zeros(T, T)  # (query, key): every token looks one step back (the first at itself)
previous_pattern[0, 0] = 1.0
previous_pattern[torch.arange(1, T), torch.arange(T - 1)] = 1.0
induction_pattern = torch.eye(T)  # tokens with no earlier copy look at themselves ...
for t in range(T):
    after_copies = [s for s in range(1, t + 1) if tokens[s - 1] == tokens[t]]
    if after_copies:  # ... the others at what followed their previous copy
        induction_pattern[t] = 0.0
        induction_pattern[t, after_copies[-1]] = 1.0
uniform_pattern = torch.ones(T, T).tril() / torch.arange(1, T + 1)[:, None]  # spread evenly over the past


def previous_token_score(pattern: torch.Tensor) -> float:
    """Mean weight of each query (from the second on) on the key just before it."""
    return float(pattern.diagonal(offset=-1).mean())


def induction_score(pattern: torch.Tensor, tokens: torch.Tensor) -> float:
    """Mean weight, over queries whose token appeared before, on the keys that followed those earlier copies."""
    totals = []
    for t in range(len(tokens)):
        after_copies = [s for s in range(1, t + 1) if tokens[s - 1] == tokens[t]]
        if after_copies:
            totals.append(float(sum(pattern[t, s] for s in after_copies)))
    return sum(totals) / len(totals)


for name, pattern in (("previous-token", previous_pattern), ("induction", induction_pattern),
                      ("uniform", uniform_pattern)):
    print(f"{name:>14} pattern: previous-token score {previous_token_score(pattern):.2f}, "
          f"induction score {induction_score(pattern, tokens):.2f}")

# %% [markdown]
# Each score is 1 for the head it is meant to find and near 0 for the other; a head that spreads its
# attention evenly scores low on both. The `helpers` versions compute the same numbers for every head of
# a layer at once, from the (batch, heads, query, key) weights the model returns:

# %%
from helpers.experiments.induction_heads import induction_scores, previous_token_scores

heads = torch.stack([previous_pattern, induction_pattern, uniform_pattern])[None]  # (1, 3 heads, T, T)
helper_previous, helper_induction = previous_token_scores(heads, tokens[None]), induction_scores(heads, tokens[None])
print(f"helpers, per head: previous-token {helper_previous}, induction {helper_induction}")
mine = [(previous_token_score(p), induction_score(p, tokens))
        for p in (previous_pattern, induction_pattern, uniform_pattern)]
assert torch.allclose(torch.stack([helper_previous, helper_induction], dim=1), torch.tensor(mine))

# %% [markdown]
# ### Train two layers, and one
# `train_induction_model` trains on fresh sequences with the chapters' training loop (AdamW, warmup and
# cosine decay, 600 steps of 32 sequences), and at every evaluation (every 20 steps) measures, on 64
# held-out sequences, the loss on the predictable positions and both scores of every head.

# %%
from helpers.experiments.induction_heads import train_induction_model

run_started = time.perf_counter()
two_layers = train_induction_model(2, progress=False)  # progress=True shows a bar while it trains
two_seconds = time.perf_counter() - run_started
one_layer = train_induction_model(1, progress=False)
print(f"trained in {two_seconds:.0f} s (two layers) and {time.perf_counter() - run_started - two_seconds:.0f} s "
      "(one layer)")
for name, run in (("two layers", two_layers), ("one layer", one_layer)):
    print(f"{name:>10}: loss on the predictable positions {run.repeat_loss[0]:.2f} -> {run.repeat_loss[-1]:.2f} nats")

# %%
previous_history = two_layers.scores("previous_token")  # (evaluations, layer, head)
induction_history = two_layers.scores("induction")
steps = two_layers.step
drop = two_layers.steepest_drop()  # the evaluation that ends the largest fall of the loss
before, after = steps.index(drop) - 3, steps.index(drop) + 3  # 60 steps either side

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
left.plot(steps, two_layers.repeat_loss, label="two layers", color="C1", linewidth=2)
left.plot(one_layer.step, one_layer.repeat_loss, label="one layer", color="C0", linewidth=2)
left.axhline(math.log(64), color="grey", linestyle=":", linewidth=1, label="chance")
left.axhline(ORDER_BLIND, color="grey", linestyle="--", linewidth=1, label="order-blind")
left.set_xlabel("training step")
left.set_ylabel("loss on predictable positions (nats)")
left.set_title("Two layers leave the plateau suddenly; one layer never does", fontsize=10)
left.legend(fontsize=8)
for head in range(config.n_head):
    right.plot(steps, previous_history[:, 0, head], color="C2", alpha=1.0 if head == 0 else 0.5,
               label="previous-token score, layer 0 heads" if head == 0 else None)
    right.plot(steps, induction_history[:, 1, head], color="C3", alpha=1.0 if head == 0 else 0.5,
               label="induction score, layer 1 heads" if head == 0 else None)
for axes in (left, right):
    axes.axvspan(steps[before], steps[after], color="grey", alpha=0.15)
right.set_xlabel("training step")
right.set_ylabel("score")
right.set_ylim(0, 1)
right.set_title("The induction heads form during the drop (shaded)", fontsize=10)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

print(f"{'step':>5} {'loss':>6} {'best previous-token score (layer 0)':>37} {'best induction score (layer 1)':>32}")
for i in range(before - 2, after + 1):
    print(f"{steps[i]:5d} {two_layers.repeat_loss[i]:6.2f} {float(previous_history[i, 0].max()):37.2f} "
          f"{float(induction_history[i, 1].max()):32.2f}")
print(f"end  {two_layers.repeat_loss[-1]:6.2f} {float(previous_history[-1, 0].max()):37.2f} "
      f"{float(induction_history[-1, 1].max()):32.2f}")
print(f"one layer, end: loss {one_layer.repeat_loss[-1]:.2f}, best induction score "
      f"{float(one_layer.scores('induction')[-1].max()):.2f}")

# %% [markdown]
# For about 160 steps the two-layer model's loss creeps down (from 4.17 to 3.26 nats, still worse than
# the order-blind 2.32: it has not even learned which symbols are around). Then it falls off a cliff: 0.95
# nats at step 240, 0.12 at the end, almost perfect copying. The one-layer model ends at 2.76 nats, above
# the order-blind level, and none of its heads scores above 0.13 as an induction head.
#
# The scores say why the change is sudden. Between steps 140 and 260, the same 120 steps in which the
# loss falls from 3.43 to 0.67 nats, the best induction score in layer 1 goes from 0.11 to 0.76, and the
# previous-token score in layer 0 starts rising with it. Each head is useless without the other: an
# induction head has nothing to match until a previous-token head has written "what came before me"
# into every token, and that information helps nobody until a head in the next layer reads it. While
# both are weak the loss barely moves; once they fit together, it falls all at once.

# %%
assert one_layer.repeat_loss[-1] > ORDER_BLIND and float(one_layer.scores("induction")[-1].max()) < 0.3
assert two_layers.repeat_loss[before] > 3.0 and two_layers.repeat_loss[after] < 1.0 and two_layers.repeat_loss[-1] < 0.3
assert float(induction_history[before, 1].max()) < 0.2 and float(induction_history[after, 1].max()) > 0.6
assert float(induction_history[-1, 1].max()) > 0.9

# %% [markdown]
# ### Look inside
# The trained two-layer model reads symbols, so you can type your own sequence into the AttentionLab.
# "TinyWorld7" has ten distinct symbols; repeated three times, every symbol of the second and third copy
# can be predicted. Pick layer 1 and a query in the third copy: its head looks at the symbol that followed
# the query's first copy. Layer 0 shows where the previous-token heads look.

# %%
from helpers.widgets import AttentionLab

TEXT = "TinyWorld7" * 3
induction_head = int(induction_history[-1, 1].argmax())
lab = AttentionLab(two_layers.model, symbols, TEXT, layer=1, head=induction_head, query=len(TEXT) - 2)
lab

# %%
weights = two_layers.model.trace(torch.tensor([symbols.encode(TEXT)])).attentions  # per layer (1, heads, T, T)
query = len(TEXT) - 2  # the "d" of the third copy
row = weights[1][0, induction_head, query]  # (T,): where the induction head looks from there
target = int(row.argmax())
print(f"query {query} {TEXT[query]!r}: layer 1 head {induction_head} puts {float(row.max()):.2f} on position "
      f"{target} ({TEXT[target]!r}, which followed the first {TEXT[query]!r})")
assert TEXT[target - 1] == TEXT[query] and target < 10

# %% [markdown]
# The previous-token scores in the table are modest. The model's own attention tells why: the induction
# heads copy from the *first* copy of the block, near the start of the sequence, so layer 0 only needs to
# look one step back there. Measured on 256 held-out sequences:

# %%
probe_inputs = probe[:256, :-1]  # (256, 48)
attentions = two_layers.model.trace(probe_inputs).attentions  # per layer (256, heads, 48, 48)
previous_head = int(previous_history[-1, 0].argmax())
on_previous = attentions[0][:, previous_head].diagonal(offset=-1, dim1=-2, dim2=-1)  # (256, 47): queries 1..47
early_previous, late_previous = float(on_previous[:, :23].mean()), float(on_previous[:, 23:].mean())
into_start = float(attentions[1][:, induction_head, 24:, :24].sum(-1).mean())
print(f"layer 0 head {previous_head}: weight on the previous token {early_previous:.2f} for queries 1-23, "
      f"{late_previous:.2f} for queries 24-47")
print(f"layer 1 head {induction_head}: share of attention from queries 24-47 that lands on positions 0-23: "
      f"{into_start:.2f}")
assert early_previous > 2 * late_previous and into_start > 0.8

# %% [markdown]
# ### Beware the shortcut
# A low loss on repeated sequences is not proof of in-context learning. If every block had the same
# period, say 12, the answer would always sit 11 positions back, and a head could find it **by position
# alone**, without matching any content. One layer is enough for that. We train the one-layer model
# again on period-12 sequences only, and test both models on period 12, on the random periods 4-24 of
# training, and on periods 25-30 that neither model has seen.

# %%
from helpers.experiments.induction_heads import measure_heads

fixed_period = train_induction_model(1, periods=(12, 12), progress=False)
tests = {"period 12": (12, 12), "periods 4-24": (4, 24), "periods 25-30 (unseen)": (25, 30)}
shortcut = {}
print(f"{'test sequences':>24} {'one layer, period 12 only':>28} {'two layers, periods 4-24':>26}")
for name, test_periods in tests.items():
    test_sequences, test_period = repeated_blocks(256, CONTEXT + 1, periods=test_periods, seed=7)
    fixed = measure_heads(fixed_period.model, test_sequences, test_period)  # (loss, repeat loss, scores...)
    general = measure_heads(two_layers.model, test_sequences, test_period)
    shortcut[name] = (fixed[1], general[1], float(fixed[3].max()))
    print(f"{name:>24} {fixed[1]:21.2f} nats {general[1]:19.2f} nats")
print(f"the one-layer model's best 'induction score' on period 12: {shortcut['period 12'][2]:.2f}; "
      f"on periods 4-24: {shortcut['periods 4-24'][2]:.2f}")

# %% [markdown]
# Trained on period 12 only, the one-layer model predicts period-12 repeats perfectly (0.00 nats), and on
# them its head even scores 1.00 as an "induction head". On any other period it is confidently wrong:
# 8.85 nats, worse than guessing (4.16). It learned "copy what was 11 places back", a rule about
# positions, not about content. The two-layer model trained on random periods handles period 12, its
# training periods, and periods 25-30 it has never seen (0.39 nats). So the check has two parts: the
# period must vary in training, or a low loss proves nothing about in-context learning; and the model
# must be tested on sequences the shortcut cannot solve, or even the head scores are fooled.

# %%
assert shortcut["period 12"][0] < 0.05 and shortcut["periods 4-24"][0] > math.log(64)
assert shortcut["period 12"][1] < 0.3 and shortcut["periods 4-24"][1] < 0.3
assert shortcut["periods 25-30 (unseen)"][1] < 0.6
assert shortcut["period 12"][2] > 0.9 and shortcut["periods 4-24"][2] < 0.4

# %% [markdown]
# ## 2. Does the reference model have an induction head?
#
# The series' pretrained models are TinyWorld 2's size ladder (`helpers.pretrained.LADDER`): four GPTs, from one
# layer of width 32 to six layers of width 192, each trained to predict the next token of the same TinyWorld 2
# text. No chapter trains them: that takes far longer than a chapter should (`make pretrain` does it), so the
# repository ships their weights and `pretrained(name)` loads them, checking every file. The largest is the
# series' reference model. We give all four section 1's test, with their own tokens: 30 random single-token
# words, then the same 30 words again. A model with an induction head finds the second copy far easier than the
# first.

# %%
import re

import torch.nn.functional as F

from helpers.pretrained import LADDER, pretrained, recipe_named
from helpers.tinyworld2 import TinyWorld

ladder = {name: pretrained(name, progress=False) for name in LADDER}  # name -> (model, tokenizer), smallest first
for name, (ladder_model, _) in ladder.items():
    shape = ladder_model.config
    layers = f"{shape.n_layer} layer{'s' if shape.n_layer > 1 else ''}"
    print(f"{name:>13}: {shape.n_layer} x {shape.n_embd:<3} ({layers} of width {shape.n_embd}), "
          f"{ladder_model.num_parameters():>9,} parameters")
training = recipe_named(LADDER[-1]).training  # every size: the same batches of the same text
tokens_read = training.max_steps * training.batch_size * ladder[LADDER[-1]][0].config.context_length
print(f"each read {training.max_steps:,} batches of {training.batch_size} sequences of "
      f"{ladder[LADDER[-1]][0].config.context_length} tokens: {tokens_read / 1e6:.1f} million tokens")
model, tokenizer = ladder[LADDER[-1]]  # the reference model; the four sizes share one tokenizer
word_ids = [tokenizer.encode(" " + word) for word in TinyWorld(0).vocabulary() if re.fullmatch(r"[a-z]+", word)]
word_tokens = torch.tensor(sorted({ids[0] for ids in word_ids if len(ids) == 1}))  # words of one token each
print(f"{len(word_tokens)} TinyWorld 2 words are single tokens")
WORDS_PER_COPY = 30
indices, word_periods = repeated_blocks(64, 2 * WORDS_PER_COPY + 1, n_symbols=len(word_tokens),
                                        periods=(WORDS_PER_COPY, WORDS_PER_COPY), seed=0)
word_sequences = word_tokens[indices]  # (64, 61): 30 random words, the same 30 again, and the first one once more
print(tokenizer.decode(word_sequences[0, :12].tolist()), "...")

# %% [markdown]
# For every size, the loss on each copy, how much easier the second copy is (the mean over the 64 sequences, ±
# its standard error), and the best induction score of any head:

# %%
copying = {}
print(f"{'model':>13} {'first copy':>11} {'second copy':>12} {'second easier by':>17} {'best induction score':>21}")
for name, (ladder_model, _) in ladder.items():
    with torch.no_grad():
        losses = F.cross_entropy(ladder_model(word_sequences[:, :-1]).transpose(1, 2), word_sequences[:, 1:],
                                 reduction="none")  # (64, 60): the loss of each next word
    first, second = losses[:, : WORDS_PER_COPY - 1].mean(1), losses[:, WORDS_PER_COPY - 1 :].mean(1)  # (64,) each
    easier = first - second  # (64,): nats per word the repeat saves, per sequence
    _, _, _, scores = measure_heads(ladder_model, word_sequences, word_periods)  # (layers, heads) induction scores
    copying[name] = (float(first.mean()), float(second.mean()), float(easier.mean()),
                     float(easier.std() / len(easier) ** 0.5), float(scores.max()))
    print(f"{name:>13} {copying[name][0]:8.2f} nats {copying[name][1]:9.2f} nats "
          f"{copying[name][2]:+9.2f} ± {copying[name][3]:.2f} {copying[name][4]:21.2f}")
print(f"(the toy two-layer model of section 1: best induction score {float(induction_history[-1, 1].max()):.2f})")

# %% [markdown]
# No. At no size is the second copy easier than the first: for the 1 x 32 model the two cost the same (+0.00 ±
# 0.07 nats), and the others find the repeat *harder*, the reference model by 0.44 ± 0.06 nats per word (14.55
# against 14.12 nats: random words are very surprising, twice). The best induction score of any head, at any
# size, is 0.02; the toy model of section 1 reached 0.95.
#
# Olsson et al. (2022) found induction heads in every model with two or more layers that they trained on real
# text, which repeats names, phrases and code all the time. The 1 x 32 model has one layer, so it cannot build
# one (section 1). The other three have the layers and did not. TinyWorld 2 repeats words by their role (a story
# names its hero again, an agent names the customer's product again), but never an arbitrary sequence of words,
# so "what came after this token last time" never paid off in training. What a model learns depends on what its
# data rewards. Yet the next section shows these same models learning from the examples in their prompt: that
# needs no general copying head when the task is one the training text rehearsed.

# %%
assert all(best < 0.1 for *_, best in copying.values())  # no induction head at any size
assert all(saved < 2 * se for _, _, saved, se, _ in copying.values())  # the repeat is no easier at any size

# %% [markdown]
# ## 3. Few-shot learning across the size ladder
#
# Few-shot prompting (Brown et al., 2020) writes k solved examples of a task into the prompt, then the question,
# and reads the answer; the weights never change. GPT-3's paper summed up its result in one figure (its figure
# 1.2): accuracy against k, one line per model size, the larger models gaining far more from their examples. We
# draw that figure for the ladder, with k = 0 to 3 examples, on two held-out tasks of
# `helpers.experiments.abilities`, 200 questions each. An answer counts when greedy decoding writes it exactly.
#
# - **The word game.** TinyWorld 2 has lists such as "word game : cat -> cats , dog -> dogs ." in one of five
#   relations (plural, opposite, Tiny name, sound, gender), never named: only the items show it. Each question
#   asks about a word several relations map ("goat ->": "goats", its sound, or its Tiny name), so without examples
#   a model can only guess which relation is meant.
# - **Translation** into Tiny, TinyWorld 2's toy language, asked in a format no pretraining document uses:
#   '" the dog sees a cat . " in tiny is "'. With k examples, k solved translations in that format come first.
#
# "No pretraining document uses" is a claim about 47 million characters of text, so we check it, and we drop
# the held-out sentence pairs that the text does contain in another wording (as the abilities test does).

# %%
from helpers.experiments.abilities import AbilityResult, gpt_scorer, translation_pairs, word_game
from helpers.experiments.few_shot import few_shot_questions, translation_scores, translation_task
from helpers.pretrained import corpus_texts

SHOTS = (0, 1, 2, 3)
pretraining_text, _ = corpus_texts(recipe_named(LADDER[-1]))  # the 300,000 documents every size read
print(f"the tested format ' in tiny is ' occurs {pretraining_text.count(' in tiny is ')} times in the "
      f"{len(pretraining_text):,} characters of pretraining text")
candidates = translation_pairs(300)  # held-out (English, Tiny) pairs: the abilities test's, in its order
seen = [(english, tiny) for english, tiny in candidates if english in pretraining_text or tiny in pretraining_text]
pairs = [pair for pair in candidates if pair not in seen][:200]
assert pairs == translation_pairs(200, pretraining_text=pretraining_text)  # what the abilities test now asks
print(f"{len(seen)} of the first {len(candidates)} pairs occur (in another wording) in the pretraining text; "
      f"we keep the first {len(pairs)} of the others")
translation_questions = {k: few_shot_questions(translation_task(pairs), k, seed=0) for k in SHOTS}
word_games = {k: word_game(200, k) for k in SHOTS}  # 200 items each, the same cues at every k
print(translation_questions[1][0].prompt, translation_questions[1][0].answer)
print(word_games[3].items[0].prompt + word_games[3].items[0].target)

# %% [markdown]
# The format never occurs, and 73 of 300 held-out pairs do, which shows what the text contains instead: Tiny said
# next to English inside stories, in other wordings. Here is the first document that holds one of the dropped
# pairs, a hero story with two such sentences:

# %%
example = seen[0][0]
start = pretraining_text.index(example)
print(pretraining_text[pretraining_text.rindex("\n", 0, start) + 1 : pretraining_text.index("\n", start)])

# %% [markdown]
# Now every size answers all 200 questions of both tasks with 0, 1, 2 and 3 examples. Translation is scored
# with `translation_scores`, which also gives the per-word scores section 4 uses, in the same pass.

# %%
run_started = time.perf_counter()
translation = {name: {k: translation_scores(ladder_model, ladder_tokenizer, translation_questions[k]) for k in SHOTS}
               for name, (ladder_model, ladder_tokenizer) in ladder.items()}  # exact match, and per word
word_game = {name: {k: word_games[k].run(gpt_scorer(ladder_model, ladder_tokenizer)) for k in SHOTS}
             for name, (ladder_model, ladder_tokenizer) in ladder.items()}
few_shot = {"word game": word_game,
            "translation": {name: {k: AbilityResult(scores.exact_match, len(scores.exact))
                                   for k, scores in by_k.items()} for name, by_k in translation.items()}}
print(f"four sizes x two tasks x {len(SHOTS)} values of k x 200 items in {time.perf_counter() - run_started:.0f} s")
for task, results in few_shot.items():
    print(f"{task:>11}, accuracy ± standard error with k examples:")
    for name, by_k in results.items():
        print(f"{name:>13}: " + "".join(f"{str(result):>15}" for result in by_k.values()))

# %% [markdown]
# Two baselines. The bottom of the ladder, the 1 x 32 model, is the transformer the gain must grow from. And a
# model with no attention at all: chapter 1's count model, a 5-gram over words that predicts each word from the
# four before it, counted on the first 60,000 of the 300,000 pretraining documents (a fifth, to keep this cell
# to a few seconds).

# %%
from helpers.experiments.abilities import AbilityTest, CompletionItem, ngram_scorer, words
from helpers.ngram_model import NGramModel

documents = pretraining_text.split("\n")[:60_000]  # a fifth of the pretraining documents
five_gram = NGramModel.train(words("".join(document + "\n" for document in documents)), 5)
count_scorer = ngram_scorer(five_gram)
translation_tests = {k: AbilityTest(f"translation ({k} examples)", tuple(CompletionItem(q.prompt, " " + q.answer)
                                                                         for q in translation_questions[k]), 0.0)
                     for k in SHOTS}  # the same questions, scored by the count model
for task, task_tests in (("word game", word_games), ("translation", translation_tests)):
    few_shot[task]["5-gram"] = {k: task_tests[k].run(count_scorer) for k in SHOTS}
    print(f"5-gram, {task:>11}: " + "".join(f"{str(result):>15}" for result in few_shot[task]["5-gram"].values()))
del five_gram, count_scorer  # millions of counts: free them before the next sections train

# %%
figure, panels = plt.subplots(1, 2, figsize=(11, 3.6), sharey=True)
for axes, (task, results) in zip(panels, few_shot.items(), strict=True):
    for i, (name, by_k) in enumerate(results.items()):
        is_count_model = name == "5-gram"
        axes.errorbar(SHOTS, [100 * r.accuracy for r in by_k.values()], yerr=[100 * r.se for r in by_k.values()],
                      marker="s" if is_count_model else "o", linestyle=":" if is_count_model else "-",
                      color="grey" if is_count_model else f"C{i}", capsize=3,
                      label=name if is_count_model else f"{name} ({ladder[name][0].num_parameters() / 1e6:.2f}M)")
    axes.set_xticks(SHOTS)
    axes.set_xlabel("examples in the prompt (k)")
    axes.set_title(f"{task}: 200 held-out questions", fontsize=10)
panels[0].set_ylabel("accuracy (%), ± one standard error")
panels[0].legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# The figure has GPT-3's shape. Without examples every size gets 37 to 43% of the word game (the cue alone does
# not say which relation is asked); with one example the three larger sizes reach 99.5 to 100%, while the
# 1 x 32 model stops at about 67% however many examples it sees. Translation is starker: the 1 x 32 model
# translates no sentence exactly, with or without examples, and the three larger sizes translate 94 to 99.5%
# with one to three.
# Below, the gain from examples at the top of the ladder against the bottom, each ± its standard error; the
# asserts check that the top's gain exceeds the bottom's by more than 3 standard errors (they would fail if the
# gain were as large at the bottom), and that no size does clearly worse than the one below it.

# %%
def gain(results: dict[int, AbilityResult], k: int) -> tuple[float, float]:
    """Accuracy with k examples minus without, and the standard error of that difference."""
    return results[k].accuracy - results[0].accuracy, math.hypot(results[k].se, results[0].se)


CRITERION_SHOTS = {"word game": 3, "translation": 1}  # the benchmark's (benchmarks/capabilities.py)
for task, k in CRITERION_SHOTS.items():
    results = few_shot[task]
    (top, top_se), (bottom, bottom_se) = gain(results[LADDER[-1]], k), gain(results[LADDER[0]], k)
    counted, counted_se = gain(results["5-gram"], k)
    margin = (top - bottom) / math.hypot(top_se, bottom_se)
    print(f"{task}, {k} example(s): gain {100 * top:+.1f} ± {100 * top_se:.1f} points at the top, "
          f"{100 * bottom:+.1f} ± {100 * bottom_se:.1f} at the bottom ({margin:.1f} standard errors apart); "
          f"5-gram {100 * counted:+.1f} ± {100 * counted_se:.1f} (the top's gain "
          f"{'is' if top - counted > 3 * math.hypot(top_se, counted_se) else 'is not'} 3 standard errors above it)")
    assert top - bottom > 3 * math.hypot(top_se, bottom_se)  # the gain grows with size ...
    for smaller, larger in zip(LADDER, LADDER[1:], strict=False):  # ... and no size does clearly worse than the last
        below = results[smaller][k].accuracy - results[larger][k].accuracy
        assert below <= 3 * math.hypot(results[smaller][k].se, results[larger][k].se)

# %% [markdown]
# On both tasks the gain grows with size: by 5.4 standard errors on the word game (+60.5 ± 3.5 points at the
# top, +28.5 ± 4.8 at the bottom) and by 23 on translation (+73.0 ± 3.2 against none). Two things the figure
# does not say.
#
# - **The word game does not need a large model.** The 5-gram gains as much (+57.0 ± 3.5 points, 100% from one
#   example): the last example sits within its four words of context ("bears , duck ->": a plural came just
#   before), so counting "learns" this pattern in context too, and the top's gain is not 3 standard errors above
#   the 5-gram's. Translation is different: the 5-gram never translates a sentence, with or without examples,
#   because it has never seen '" in tiny is "' followed by Tiny.
# - **Zero-shot translation does not grow with size**: 0, 28.5, 3.0 and 26.5%. Section 4 looks at what the
#   models write instead.
#
# ### Few-shot learning, learned: a function from its examples
#
# The ladder learned from its examples, but on tasks its training text rehearsed: pretraining lists show their
# relation only by their items, and stories show Tiny next to English. What happens when the training data
# rewards learning from examples and nothing else? Garg
# et al. (2022) trained transformers on prompts in which *every prompt is a different task*, given only by
# examples. Here is a small version. Each prompt is a random linear function of five numbers, f(x) = w · x,
# with a new w for every prompt (five numbers drawn from a standard normal distribution, like the inputs).
# The prompt shows pairs x1, y1, x2, y2, ..., each y being f(x) plus a little noise (standard deviation
# 0.5), and at every x_k the model must predict f(x_k) from the k − 1 pairs before it. Since every prompt
# has a new w, no weight can hold the answer: the model has to work it out from its examples, in context.

# %%
from helpers.experiments.in_context_regression import RegressionConfig, least_squares_predictions, linear_tasks

task_config = RegressionConfig()  # 5 dimensions, 16 pairs per prompt, noise 0.5, and the model's sizes
one = linear_tasks(1, task_config, seed=0)  # one random function and its 16 pairs
print(f"w = {one.weights[0]}")
for k in range(3):
    print(f"x{k + 1} = {one.xs[0, k]}, y{k + 1} = {float(one.ys[0, k]):5.2f} "
          f"(f(x{k + 1}) = {float(one.targets[0, k]):5.2f})")

# %% [markdown]
# What can be done with k examples? Four algorithms that see the same examples give the model something to
# be compared with. Every error below is a squared error divided by the dimension, 5, so that answering 0
# scores about 1 (f(x) varies with a variance of 5).
#
# - **answer 0**, without looking at the examples;
# - **nearest neighbour**: copy the y of the earlier x that is closest to x_k;
# - **least squares**: find the w that fits the examples best, then answer w · x_k. With fewer examples
#   than dimensions many w fit exactly, and it takes the smallest;
# - **ridge regression**: least squares that also keeps w small (a penalty of 0.25 |w|², the noise
#   variance). Because w and the noise are drawn from normal distributions, this gives the average of all
#   the functions that could have produced the examples, weighted by how likely they are: on average, no
#   predictor can do better.
#
# Least squares by hand, for the 11th question of our prompt (10 examples before it), against the helper:

# %%
X, Y = one.xs[0, :10], one.ys[0, :10]  # (10, 5), (10,): the examples before question 11
w_fit = torch.linalg.lstsq(X, Y[:, None]).solution[:, 0]  # (5,): the w that fits them best
by_hand = float(one.xs[0, 10] @ w_fit)
from_helpers = float(least_squares_predictions(one.xs, one.ys)[0, 10])  # (1, 16): a prediction per question
print(f"fitted w = {w_fit}")
print(f"prediction for x11: {by_hand:.3f} by hand, {from_helpers:.3f} from helpers; true f(x11) = "
      f"{float(one.targets[0, 10]):.3f}")
assert abs(by_hand - from_helpers) < 1e-4

# %% [markdown]
# The model is chapter 5's GPT without a vocabulary: its blocks (`helpers.model.Block`, reused unchanged;
# 3 layers, 4 heads, width 64) between a linear layer that reads a vector of numbers into the residual
# stream and one that reads a single number out. It reads one token per question: token k holds the
# previous example and the new question, (x_{k−1}, y_{k−1}, x_k), and the causal mask lets it see every
# earlier example but never y_k. (Garg et al. give every x and every y a token of its own. Then the model
# must first learn to join each y to the x before it, a previous-token head as in section 1, and in our
# trials it had not left the plateau after 1,500 steps: exercise 5.)

# %%
from helpers.experiments.in_context_regression import InContextRegressor, pair_tokens

print("the first two tokens (x0 and y0 are zeros: no example yet):")
print(pair_tokens(one.xs, one.ys)[0, :2])  # (2, 11): (x_{k-1}, y_{k-1}, x_k)
regressor = InContextRegressor(task_config)
print(regressor)
print(f"{sum(p.numel() for p in regressor.parameters()):,} parameters")

# %% [markdown]
# Training draws 64 new random functions at every step (no function is ever seen twice) and minimises the
# squared error of all 16 predictions of each prompt, with the chapters' training loop. Unlike the other
# models this chapter trains, this one is not trained live: the first run trains it and caches it; later runs
# load it.

# %%
from helpers.experiments.in_context_regression import train_regression_model

regression = train_regression_model(progress=False)  # progress=True shows a bar when it trains
print(f"it trained for {regression.history['step'][-1]:,} steps of 64 new random functions each "
      "(once: later runs load it from the cache)")

# %% [markdown]
# We test it on 2,000 functions it never saw, next to the four algorithms, after 0 to 15 examples:

# %%
from helpers.experiments.in_context_regression import (
    errors_by_examples,
    model_predictions,
    nearest_neighbour_predictions,
    ridge_predictions,
)

held_out = linear_tasks(2000, task_config, seed=7)  # (2000, 16, 5) inputs: never among the training functions
predictions = {
    "transformer": model_predictions(regression.model, held_out.xs, held_out.ys),
    "least squares": least_squares_predictions(held_out.xs, held_out.ys),
    "ridge (best possible)": ridge_predictions(held_out.xs, held_out.ys, task_config.noise_std**2),
    "nearest neighbour": nearest_neighbour_predictions(held_out.xs, held_out.ys),
    "answer 0": torch.zeros_like(held_out.ys),
}
errors = {name: errors_by_examples(p, held_out.targets, task_config.dim) for name, p in predictions.items()}
SHOWN = (0, 1, 2, 3, 4, 5, 6, 8, 10, 15)
print(f"{'examples':>22}" + "".join(f"{k:>7}" for k in SHOWN))
for name, error in errors.items():
    print(f"{name:>22}" + "".join(f"{float(error[k]):7.3f}" for k in SHOWN))

figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
left.plot(regression.history["step"], regression.history["val_loss"], color="C1", linewidth=2)
left.set_xlabel("training step")
left.set_ylabel("held-out error, mean of the 16 questions")
left.set_title("Training: 64 new random functions at every step", fontsize=10)
examples = range(task_config.n_points)
styles = {"transformer": ("C1", "-", 2.5), "least squares": ("C0", "--", 1.5),
          "ridge (best possible)": ("C2", "-", 1.5), "nearest neighbour": ("C4", ":", 1.5),
          "answer 0": ("grey", ":", 1.0)}
for name, error in errors.items():
    color, style, width = styles[name]
    right.plot(examples, error, style, color=color, linewidth=width, label=name, markersize=4,
               marker="o" if name == "transformer" else None)
right.axvline(task_config.dim, color="grey", linewidth=0.8)
right.set_yscale("log")
right.set_ylim(0.01, 5)
right.set_xlabel("examples in the prompt (k)")
right.set_ylabel("squared error / dimension (log scale)")
right.set_title("In-context regression on 2,000 unseen functions", fontsize=10)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# Before any example every method can only answer 0, which scores 0.94 on these functions. Then the
# transformer's error falls with every example: 0.79 after one, 0.36 after four, 0.12 after ten, 0.07
# after fifteen. After 10 examples that is about twice the best possible (ridge regression, 0.057) and
# close to least squares (0.067), and six times better than copying the nearest example (0.74).
#
# Look at 4 and 5 examples (the grey line), about as many examples as dimensions. There least squares
# breaks down: the w that fits a few noisy examples exactly also fits their noise, and its error shoots
# up to 2.5 and 68. The transformer does not (0.36 and 0.29); like ridge regression, it prefers a small
# w. It was never shown any of these 2,000 functions, nor a rule for fitting functions: from 128,000
# prompts, each a different function, it learned a way of fitting a new one from its prompt, and the way
# it learned behaves like regularised least squares, not like copying the nearest example. It is not yet
# as good as the best algorithm; Garg et al. (2022), with larger models trained far longer, came much
# closer.

# %%
transformer, least_squares = errors["transformer"], errors["least squares"]
ridge, nearest, zero = errors["ridge (best possible)"], errors["nearest neighbour"], errors["answer 0"]
assert float(transformer[10]) < 0.2 and float(transformer[10]) < 0.25 * float(zero[10])  # far below answering 0
assert float(transformer[10]) < 3 * float(ridge[10]) and float(transformer[10]) < 3 * float(least_squares[10])
assert float(transformer[10]) < 0.5 * float(nearest[10])
assert float(transformer[5]) < 0.1 * float(least_squares[5])  # where least squares breaks down
assert float(transformer[15]) < float(transformer[10]) < float(transformer[5]) < float(transformer[1])

# %% [markdown]
# ## 4. Translation nobody asked for
#
# Nobody trained the ladder to translate: it was trained to predict the next token of TinyWorld 2 text, and Tiny
# is in that text only incidentally, as GPT-2's authors found French in WebText (Radford et al., 2019). A
# traveller from Tiny names things in Tiny ('the traveller points at the dog and says " vapo " .') and says
# sentences in both languages, and people in other stories do the same, in a dozen wordings ('... says " the dog
# sees a cat . " , and in tiny that is " vapo na miru ko vidas . "'). Counted in the pretraining text:

# %%
n_documents = pretraining_text.count("\n")
print(f"{n_documents:,} pretraining documents; {pretraining_text.count('a traveller from tiny'):,} are traveller "
      f"stories, {pretraining_text.count('the traveller points at the'):,} times a traveller names a thing in Tiny, "
      f"and ' in tiny ' occurs {pretraining_text.count(' in tiny '):,} times")

# %% [markdown]
# About one document in seventeen is a traveller story, and other stories hold bilingual sentences too. None of
# it uses the tested format, and none of the 200 tested pairs occurs in it (section 3).
#
# Did translation *emerge*, appear suddenly with size? That depends on how it is scored. We score the same
# translations, by the same models, of the same 200 held-out sentences, three ways:
#
# - **exact match**: is the whole translation right, word for word (greedy decoding)? All or nothing;
# - **words right**: the share of the reference's words greedy decoding writes, each given the reference words
#   before it (teacher forcing);
# - **log-likelihood per word**: how probable each word of the reference is, given the ones before it; 0 is
#   certain.
#
# All three come from the pass of section 3. They are counted per word, not per token, so that models with
# different tokenizers would compare, and their standard errors are over the 200 sentences.

# %%
print(f"{'model':>13} {'k':>2} {'exact match':>15} {'words right':>15} {'log-likelihood per word':>24}")
for name, by_k in translation.items():
    for k in (0, 1):
        scores = by_k[k]
        print(f"{name:>13} {k:2d} {100 * scores.exact_match:6.1f} ± {100 * scores.exact_match_se:3.1f}% "
              f"{100 * scores.word_accuracy:6.1f} ± {100 * scores.word_accuracy_se:3.1f}% "
              f"{scores.word_log_likelihood:14.3f} ± {scores.word_log_likelihood_se:.3f} nats")
mean_words = translation[LADDER[-1]][0].mean_words
print(f"a reference translation has {mean_words:.2f} words on average")

# %%
import numpy as np

parameters = [ladder[name][0].num_parameters() for name in LADDER]
figure, (left, middle, right) = plt.subplots(1, 3, figsize=(13.5, 3.6))
for k, marker in ((0, "o"), (1, "s")):
    by_size = [translation[name][k] for name in LADDER]
    left.errorbar(parameters, [s.exact_match for s in by_size], yerr=[s.exact_match_se for s in by_size],
                  marker=marker, capsize=3, label=f"{k} example{'s' if k != 1 else ''}")
    middle.errorbar(parameters, [-s.word_log_likelihood for s in by_size],
                    yerr=[s.word_log_likelihood_se for s in by_size], marker=marker, capsize=3, label=f"k = {k}")
    for i, s in enumerate(by_size):
        right.scatter(s.word_accuracy, s.exact_match, marker=marker, color=f"C{i}", s=50,
                      label=LADDER[i] if k == 0 else None)
for axes in (left, middle):
    axes.set_xscale("log")
    axes.set_xlabel("parameters")
    axes.legend(fontsize=8)
left.set_ylabel("exact match (whole sentence)")
left.set_ylim(-0.03, 1.03)
left.set_title("Exact match: all or nothing", fontsize=10)
middle.set_yscale("log")
middle.set_ylabel("- log-likelihood per word (nats, log scale)")
middle.set_title("Per word: how far from certain", fontsize=10)
p = np.linspace(0, 1, 101)
right.plot(p, p**mean_words, color="grey", linestyle=":", label=f"(words right)^{mean_words:.1f}")
right.set_xlabel("words right (teacher-forced)")
right.set_ylabel("exact match (whole sentence)")
right.set_xlim(0, 1)
right.set_ylim(-0.03, 1.03)
right.set_title("Exact match against words right (o: k = 0, s: k = 1)", fontsize=10)
right.legend(fontsize=8, loc="upper left")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the left panel as the story of when translation "emerges": with one example the 1 x 32 model translates
# nothing exactly and the 2 x 64 model 96.5% of the sentences. Here the jump shows in every metric: the
# log-likelihood per word improves fifty-fold between these two sizes (-1.902 to -0.037 nats), so with one
# example translation does appear between 50 thousand and 174 thousand parameters, and four sizes cannot say how
# sharply. Nor can we watch it appear during training: the ladder's weights are kept only at the end of training.
# Above 2 x 64 it is the other way round: exact match has little left to show (96.5 to 99.5%), while the
# log-likelihood per word still improves seven-fold (-0.037 to -0.005 nats).
#
# But exact match hides what the per-word scores see. The 1 x 32 model gets half the words right (50.6 ± 0.9%
# with one example), and exact match reads 0. Without examples, the 2 x 64 and 4 x 128 models differ by 88.1
# against 75.5% of words right; exact match turns that into 28.5 against 3.0%. A sentence is right only when
# all its 8.1 words are, so exact match is roughly (words right)^8.1, the dotted curve of the right panel: flat
# near zero until most words are right, then steep. Printed below: the one-example points sit on the curve; the
# zero-shot ones fall below it (the errors come together in the same sentences). This is the argument of
# Schaeffer et al. (2023): many abilities reported to emerge suddenly in large models are scored all or nothing,
# and an all-or-nothing score turns a modest change per word into a large change per answer.

# %%
for name in LADDER:
    predicted = [translation[name][k].word_accuracy ** mean_words for k in (0, 1)]
    print(f"{name:>13}: (words right)^{mean_words:.1f} = {predicted[0]:6.1%} and {predicted[1]:6.1%}; "
          f"exact match measured {translation[name][0].exact_match:6.1%} and {translation[name][1].exact_match:6.1%} "
          "(k = 0 and 1)")
zero_shot = [translation[name][0] for name in LADDER]
exact_swing = zero_shot[1].exact_match / zero_shot[2].exact_match
word_swing = zero_shot[1].word_accuracy / zero_shot[2].word_accuracy
print(f"from 2 x 64 to 4 x 128, zero-shot: exact match {exact_swing:.1f} times lower, words right {word_swing:.2f} "
      "times lower")
smallest = translation[LADDER[0]][1]
assert smallest.exact_match == 0 and smallest.word_accuracy > 0.4  # exact match reads 0 where half the words are right
assert exact_swing > 3 * word_swing  # the all-or-nothing score amplifies a small difference per word

# %% [markdown]
# What do the misses look like? The first three sentences each of three models gets wrong, with the model's own
# greedy translation:

# %%
from helpers.generation import generate


def greedy_answer(name: str, question) -> str:
    """The model's own greedy translation, up to the closing quote."""
    ladder_model, ladder_tokenizer = ladder[name]
    return generate(ladder_model, ladder_tokenizer, "\n" + question.prompt, 24, temperature=0)[
        len(question.prompt) + 1 :].split('"')[0].strip()


for name, k in ((LADDER[-1], 0), (LADDER[2], 0), (LADDER[0], 1)):
    misses = [i for i, right in enumerate(translation[name][k].exact) if not right][:3]
    print(f"{name}, {k} example(s):")
    for i in misses:
        question = translation_questions[k][i]
        english = pairs[i][0]  # question i asks pair i
        shown = f"  (the example's answer: {question.shown_answers[0]!r})" if question.shown_answers else ""
        print(f"  {english!r} -> {greedy_answer(name, question)!r}, right: {question.answer!r}{shown}")

# %% [markdown]
# The reference model's misses are near misses: it drops an adjective ("juna", young), writes "na" (the) for
# "ko" (a), or replaces the name "bob", which Tiny keeps as it is, with "mubo na" (the cow). The 4 x 128 model
# makes the same near misses, and one of its three answers is not Tiny at all but English ("the dog sees the dog
# ."): without an example, '" in tiny is "' does not always tell it that Tiny comes next. The 1 x 32 model, even
# with an example, writes Tiny-shaped sentences that start with "vapo na" (the dog) whatever the sentence, though
# often with the right verb ("trovas", "rigas"): it knows words but does not translate.
#
# ### Where in the model does the translation happen?
# The logit lens (chapter 3) reads the model's prediction out of each layer. Below, a one-example question and
# its answer in the reference model: each row is a layer, each column a position, each cell the token that layer
# would predict next (framed when it is the token that really follows). Choose another position, or type a
# sentence.

# %%
from helpers.widgets import LogitLens

question = translation_questions[1][0]
assert tokenizer.encode(question.prompt + " " + question.answer)[: len(tokenizer.encode(question.prompt))] == \
    tokenizer.encode(question.prompt)  # the prompt's tokens start the full text's
lens = LogitLens(model, tokenizer, question.prompt + " " + question.answer,
                 position=len(tokenizer.encode(question.prompt)) - 1, max_tokens=24)
lens

# %% [markdown]
# The same read-out over the 200 one-example questions: at each position of the answer, is the reference token
# the top prediction of that layer (teacher-forced, as exact match is scored)?

# %%
rows, answer_spans = [], []
for question in translation_questions[1]:
    prompt_ids, answer_ids = tokenizer.encode("\n" + question.prompt), tokenizer.encode(" " + question.answer)
    rows.append(prompt_ids + answer_ids[:-1])  # the model reads the prompt and the answer but its last token
    answer_spans.append((len(prompt_ids) - 1, answer_ids))  # where the answer's tokens are predicted
padded = torch.zeros(len(rows), max(map(len, rows)), dtype=torch.long)  # (200, T) right-padded
for row, ids in enumerate(rows):
    padded[row, : len(ids)] = torch.tensor(ids)
lens_trace = model.trace(padded)
lens_first, lens_all = [], []
with torch.no_grad():
    for hidden in lens_trace.hidden_states:  # embeddings, then after each block: (200, T, C)
        top = model.unembed(hidden).argmax(-1)  # (200, T)
        right = [top[row, start : start + len(ids)] == torch.tensor(ids)
                 for row, (start, ids) in enumerate(answer_spans)]
        lens_first.append(float(sum(r[0] for r in right)) / len(right))  # share of the 200 questions
        lens_all.append(float(torch.cat(right).float().mean()))
for name, first, every in zip(["embeddings"] + [f"block {i}" for i in range(model.config.n_layer)], lens_first,
                              lens_all, strict=True):
    first_se = math.sqrt(first * (1 - first) / len(rows))
    print(f"{name:>10}: first answer token right in {first:6.1%} ± {first_se:.1%} of questions, "
          f"all answer tokens {every:6.1%}")

# %% [markdown]
# In the reference model the first answer token is the top prediction of neither the embeddings nor the first
# two blocks (1.0% at most); it appears after the third block (82.0%) and is settled after the fifth (100%). Over
# all answer tokens the read-out climbs steadily, from 43.5% after the first block to 100% after the last.
# Translating is not one step anywhere in the model: the answer is built up over its upper layers.

# %%
assert lens_first[0] < 0.05 and lens_first[-1] > 0.95
assert all(lower <= upper + 0.05 for lower, upper in zip(lens_all, lens_all[1:], strict=False))  # builds up

# %% [markdown]
# ## 5. Grokking: generalisation long after memorisation
#
# The last experiment is about *when* an ability appears during training. The task is addition modulo
# 97: given two numbers a and b from 0 to 96, answer (a + b) mod 97. There are 97 × 97 = 9,409 such
# sums; the network trains on 40% of them and is tested on the other 60%, which it never sees. It is
# small: an embedding of 32 numbers for each of a and b, side by side, one hidden layer of 128 ReLU
# units, and a score for each of the 97 answers. Every step uses the whole training set (full-batch
# AdamW), and the loss is computed in float64 (see the note below).

# %%
from helpers.experiments.grokking import EmbeddingMLP, modular_addition_data, train_grokking

data = modular_addition_data(p=97, train_fraction=0.4, seed=0)
print(f"training pairs: {len(data.train_targets):,}, test pairs: {len(data.test_targets):,}")
print("first training examples:", [f"{a} + {b} = {y} (mod 97)" for (a, b), y in
                                   zip(data.train_inputs[:3].tolist(), data.train_targets[:3].tolist(), strict=True)])
print(EmbeddingMLP())

# %% [markdown]
# We train it twice, from the same initial weights, for 1,500 steps: once with weight decay 1 (AdamW
# pulls every weight a little towards zero at each step) and once without.

# %%
grok_started = time.perf_counter()
decayed = train_grokking(weight_decay=1.0, data=data)  # progress=True shows a bar while it trains
undecayed = train_grokking(weight_decay=0.0, data=data)
print(f"two runs of {decayed.step[-1]} steps in {time.perf_counter() - grok_started:.0f} s")
for run in (decayed, undecayed):
    memorised_at, understood_at = run.first_step("train_accuracy", 1.0), run.first_step("test_accuracy", 0.99)
    print(f"weight decay {run.weight_decay:g}: 100% training accuracy at step {memorised_at} (test accuracy then "
          f"{run.test_accuracy[run.step.index(memorised_at)]:.1%}), 99% test accuracy "
          f"{'never' if understood_at is None else f'at step {understood_at}'}; at the end: test accuracy "
          f"{run.test_accuracy[-1]:.1%}; size of the weights {run.weight_norm[0]:.0f} at the start, "
          f"{max(run.weight_norm):.0f} at most, {run.weight_norm[-1]:.0f} at the end")

# %%
figure, (left, right) = plt.subplots(1, 2, figsize=(11, 3.6))
for run, style in ((decayed, "-"), (undecayed, "--")):
    label = f"weight decay {run.weight_decay:g}"
    left.plot(run.step, run.train_accuracy, style, color="C0", label=f"train, {label}")
    left.plot(run.step, run.test_accuracy, style, color="C3", label=f"test, {label}")
    right.plot(run.step, run.weight_norm, style, color="C2", label=label)
left.set_xlabel("training step")
left.set_ylabel("accuracy")
left.set_title("Memorised early, understood much later (with weight decay)", fontsize=10)
left.legend(fontsize=8)
right.set_xlabel("training step")
right.set_ylabel("size of all weights (L2 norm)")
right.set_title("Weight decay shrinks the weights; without it they grow", fontsize=10)
right.legend(fontsize=8)
plt.tight_layout()
plt.show()

# %% [markdown]
# With weight decay 1 the network gets every training sum right by step 200, while its test accuracy
# sits at 0.4%, below the 1% of guessing: it has memorised a table, and a table says nothing about sums it
# has not seen. For hundreds of steps nothing visible happens. Then the test accuracy climbs and passes 99%
# at step 950, almost five times as long as memorising took. Without weight decay the network memorises
# just as fast (step 150), and its test accuracy stays at 0.1% to the end.
#
# The right panel shows the difference. Weight decay keeps pulling every weight towards zero, so among
# all the networks that fit the training set it favours small ones; the smallest way to fit every
# training sum is to compute addition itself (Nanda et al., 2023, found that such a network adds with
# sines and cosines of the inputs). With decay the weights grow while the network memorises, then shrink
# while it generalises; without decay nothing pulls, and they keep growing around the memorised table,
# to more than twice their starting size.
#
# A note on float64: once every training answer is right, the model keeps making the right answer more
# certain. In float32 its probability soon rounds to exactly 1, the gradient of those examples to 0, and
# learning stalls before it generalises (Prieto et al., 2025, call it softmax collapse). Computing the
# loss in float64 keeps those gradients alive.

# %%
memorised, understood = decayed.first_step("train_accuracy", 1.0), decayed.first_step("test_accuracy", 0.99)
assert memorised is not None and understood is not None and understood >= 3 * memorised
assert undecayed.train_accuracy[-1] == 1.0 and max(undecayed.test_accuracy) < 0.1
assert decayed.weight_norm[-1] < decayed.weight_norm[decayed.step.index(memorised)] < undecayed.weight_norm[-1]

# %% [markdown]
# ## 6. Could a model learn tasks it was never taught?
#
# Here is what this chapter measured.
#
# - **Yes, in context, once it has the mechanism.** No weight of the two-layer model stores any of the
#   test sequences, yet after training it predicts every repeat at 0.12 nats (the best possible without
#   looking back in the sequence is 2.32), even for periods it never saw (0.39 nats). The ability appeared
#   within about 120 of its 600 training steps, exactly when an induction head formed; with one layer it
#   never appeared. Trained with a fixed period, the same loss is reached by a positional shortcut that
#   fails on any other period, so the check matters.
# - **Yes, from a few examples, once the model is large enough.** None of TinyWorld 2's four pretrained models
#   has an induction head. Yet with one example the three larger ones play the word game almost perfectly
#   (99.5-100%, against 39.5-43% without examples) and translate 96.5-99.5% of held-out sentences exactly, in
#   a format they never saw; the 1 x 32 model gains 28.5 ± 4.8 points on the word game (three examples) and
#   nothing on translation. The gain grows with size on both tasks, but the word game is within a 5-gram's
#   reach too.
# - **Yes, when its training asks it to learn from examples.** A transformer trained on prompts that each
#   hold a different random linear function fits functions it never saw from its prompt alone: after 10
#   examples its error is 0.12 (answering 0 scores 0.94; ridge regression, the best possible, 0.06), and
#   where least squares breaks down, it does not. It learned no particular function; it learned a way of
#   fitting one.
# - **Yes, as a side effect of next-word prediction.** Nobody trained a translator, and the reference model
#   translates 26.5% of held-out sentences exactly with no example (88.8% of the words) and 99.5% with one,
#   from Tiny it met only in bilingual sentences inside stories. How sudden that looks depends partly on the
#   metric: the 1 x 32 model gets half the words right and exact match reads 0.
# - **Sometimes long after training seems to be over.** With weight decay, a network that had memorised
#   its training sums at step 200 found the rule of modular addition at step 950 (99% on unseen sums);
#   without weight decay it never did in 1,500 steps.
#
# So a model can do things nobody programmed and no example in its training asked for. But none of it
# comes from nowhere: each ability is a mechanism that next-token prediction (or the loss) rewarded on
# the training data. Random repeats rewarded copying, and an induction head formed; TinyWorld 2 text did not,
# and none formed, but its lists and bilingual sentences rewarded reading a relation or a language from
# context, and the ladder's larger models learned that; prompts of random functions rewarded fitting them, and
# the model learned to fit. "Emergent" describes how an ability looks from outside, as a function of scale or
# training time and of the metric, more than what happens inside.
#
# ## Recap
#
# - **In-context learning** is using information in the prompt that no weight stores. In transformers a
#   central mechanism is the **induction head**: a previous-token head in one layer, and in a later layer a
#   head that attends to the token after the previous copy of the current one and copies it. It needs two
#   layers, and it forms suddenly: the loss sits on a plateau, then drops as the two heads form together.
# - **Check for shortcuts**: a fixed offset lets a model solve "copying" by position alone. Randomise what
#   should not matter, and test on what the shortcut cannot solve.
# - **Few-shot prompting** writes solved examples into the prompt. It can unlock knowledge in a format the
#   model never saw, and the gain from examples grows with model size (GPT-3's figure 1.2, here on four
#   sizes): the smallest model gains less (the word game) or nothing (translation), the larger ones go from
#   guessing to nearly perfect with one example. Compare with a baseline: a count model also "learns" a
#   pattern in context when the last example sits within its reach.
# - **Learning to learn**: trained on prompts that each pose a new task (a random linear function given by
#   examples), a small transformer learns to solve new tasks from its prompt. Its error falls with every
#   example and behaves like ridge regression, not like least squares or nearest neighbour, within about
#   twice the best possible error.
# - **Emergence and metrics**: an all-or-nothing score (exact match) of a model that improves smoothly per
#   token looks like a sudden jump, because it is roughly (per-word accuracy)^(words per answer)
#   (Schaeffer et al., 2023). Score an ability per token too before calling it emergent.
# - **Grokking**: with weight decay, generalisation can arrive long after memorisation; weight decay drives
#   the network from a memorised table towards the compact rule.
#
# ## Exercises
#
# 1. **Where does the copying start?** Compute the two-layer model's loss at each position for sequences of
#    period 10. Before you run it: what do you expect at positions 0-8, at position 9, and after?
#
# <details><summary>Solution</summary>
#
# ```python
# tests, test_periods = repeated_blocks(256, CONTEXT + 1, periods=(10, 10), seed=3)
# with torch.no_grad():
#     per_position = F.cross_entropy(two_layers.model(tests[:, :-1]).transpose(1, 2), tests[:, 1:],
#                                    reduction="none").mean(0)  # (48,)
# print(per_position)
# ```
#
# About 4.2 nats (chance) at positions 0-8, where the next symbol is new. About 3.5 at position 9: the
# first block ends there, but the model cannot know the period yet, so it only partly bets on the block
# starting again. About 0.01 from position 10 on, where every symbol has an earlier copy.
# </details>
#
# 2. **Does depth alone give an induction head?** Train the *two*-layer model on period 12 only
#    (`train_induction_model(2, periods=(12, 12))`) and test it on periods 4-24.
#
# <details><summary>Solution</summary>
#
# ```python
# fixed_two = train_induction_model(2, periods=(12, 12), progress=False)
# tests, test_periods = repeated_blocks(256, CONTEXT + 1, periods=(4, 24), seed=7)
# print(measure_heads(fixed_two.model, tests, test_periods)[1])  # loss on the predictable positions
# ```
#
# About 9 nats: it takes the positional shortcut too, although it has the layers for an induction head.
# Depth makes the mechanism possible; the data decides whether it is worth learning.
# </details>
#
# 3. **How good must each word be?** A reference translation has 8.1 words on average. What per-word accuracy
#    gives 50% exact match? And 99%?
#
# <details><summary>Solution</summary>
#
# With exact match ≈ p^8.1: p = 0.5^(1/8.1) ≈ 0.918 for 50%, and p = 0.99^(1/8.1) ≈ 0.9988 for 99%. Going
# from 92% to 99.9% of words right moves exact match from 50% to 99%, while the 1 x 32 model's 50.6% of words
# gives about 0.4% exact match, which 200 sentences can barely see.
# </details>
#
# 4. **Format matters.** Ask for the translation without an example, but in a wording the pretraining text
#    uses: `FewShotTask("traveller", tuple(pairs), template='the traveller says " {query} " , and in tiny that
#    is " {answer} "')`. Before you run it: what exact match do you expect from each size?
#
# <details><summary>Solution</summary>
#
# ```python
# from helpers.experiments.few_shot import FewShotTask
#
# traveller = FewShotTask("traveller", tuple(pairs),
#                         template='the traveller says " {query} " , and in tiny that is " {answer} "')
# for name, (ladder_model, ladder_tokenizer) in ladder.items():
#     scores = translation_scores(ladder_model, ladder_tokenizer, few_shot_questions(traveller, 0))
#     print(name, f"{scores.exact_match:.1%} ± {scores.exact_match_se:.1%}")
# ```
#
# 0%, 97.5%, 100% and 99.5% in our run, with no example: as good as with one example in the unfamiliar format.
# The three larger models know Tiny; what one example fixes is the format, which tells them that Tiny comes
# next. Few-shot results depend on how close the prompt is to the training text, and the 1 x 32 model shows
# that no format helps a model that cannot translate.
# </details>
#
# 5. **x and y in tokens of their own.** Train the regression model with Garg et al.'s layout, in which
#    every x and every y has a token of its own (`dataclasses.replace(task_config, layout="interleaved")`),
#    for 1,500 steps at learning rate 1e-3 (a few minutes). Before you run it: which layout should learn
#    faster, and why?
#
# <details><summary>Solution</summary>
#
# ```python
# import dataclasses
#
# interleaved = train_regression_model(dataclasses.replace(task_config, layout="interleaved"), max_steps=1500,
#                                      learning_rate=1e-3, cache=False)
# print([round(loss, 3) for loss in interleaved.history["val_loss"]])
# ```
#
# Its error stays at about 1.0, what answering 0 scores, for all 1,500 steps (0.997 at the end in our run):
# it never leaves the plateau. With x and y in separate tokens, no example helps until two heads work
# together: one that copies each x into the token of its y (a previous-token head), and one in a later
# layer that combines the examples. Neither is of use without the other, as with the induction head of
# section 1, so the loss stays flat until both form. Our layout puts each example into one token, and its
# error fell from 1.00 to 0.77 in the first 100 steps.
# </details>
#
# 6. **More or less data for grokking.** Train with 30% and with 60% of the sums
#    (`modular_addition_data(train_fraction=...)`), 1,500 steps each, weight decay 1.
#
# <details><summary>Solution</summary>
#
# ```python
# for fraction in (0.3, 0.6):
#     run = train_grokking(1.0, data=modular_addition_data(train_fraction=fraction))
#     print(fraction, run.first_step("train_accuracy", 1.0), run.first_step("test_accuracy", 0.99),
#           run.test_accuracy[-1])
# ```
#
# With 60%, memorising (step 200) and generalising (99% at step 300) nearly coincide: with more data, a
# table is not much easier than the rule. With 30% the network memorises by step 150 and is still at
# about 59% test accuracy after 1,500 steps: the less data, the longer the wait.
# </details>
#
# ## What comes next
#
# Chapter 8 turns from what models can do to what they should do. Its first experiment starts where
# grokking did: a model memorises its training data, and a secret inserted into that data can be read
# back out. It then measures bias learned (and amplified) from skewed text, filters harmful requests, and
# uses the attention and logit-lens views of chapters 3 and 7 to explain one decision of the model.

# %% [markdown]
# ## What we measured
#
# Every claim of the chapter, with its figure ± one standard error and the baseline it is measured against.
# Sections 2 to 4 printed their standard errors above. For sections 1, 3 (regression) and 5, which printed
# means, the cell below computes them from the same models and data: a loss is the mean over the predictable
# positions, its standard error taken over the sequences. When something happened during training (the step of
# a drop) is one run of one seed, so it has no standard error here.

# %%
from helpers.experiments.few_shot import pooled_mean


def repeat_losses(model: torch.nn.Module, sequences: torch.Tensor, periods: torch.Tensor) -> list[list[float]]:
    """Per sequence: the losses of its predictable positions (the targets after its first block)."""
    with torch.no_grad():
        losses = F.cross_entropy(model(sequences[:, :-1]).transpose(1, 2), sequences[:, 1:], reduction="none")
    predictable = torch.arange(1, sequences.size(1))[None, :] >= periods[:, None]  # (N, T)
    return [row[mask].tolist() for row, mask in zip(losses, predictable, strict=True)]


measured = {  # claim -> (figure, its standard error): a mean over positions, its error over sequences
    "two layers, 2,000 held-out sequences (nats)": pooled_mean(repeat_losses(two_layers.model, probe, probe_periods)),
    "one layer, the same sequences (nats)": pooled_mean(repeat_losses(one_layer.model, probe, probe_periods)),
}
for name, test_periods in tests.items():
    test_sequences, test_period = repeated_blocks(256, CONTEXT + 1, periods=test_periods, seed=7)
    measured[f"one layer trained on period 12, tested on {name} (nats)"] = pooled_mean(
        repeat_losses(fixed_period.model, test_sequences, test_period))
    measured[f"two layers, tested on {name} (nats)"] = pooled_mean(
        repeat_losses(two_layers.model, test_sequences, test_period))
for name in ("transformer", "ridge (best possible)", "least squares", "nearest neighbour", "answer 0"):
    squared = (predictions[name] - held_out.targets) ** 2 / task_config.dim  # (2000, 16): per function and question
    for k in (5, 10):
        measured[f"{name}, error after {k} examples"] = pooled_mean([[value] for value in squared[:, k].tolist()])
for run in (decayed, undecayed):
    final = AbilityResult(run.test_accuracy[-1], len(data.test_targets))  # a share of the test sums, binomial error
    measured[f"grokking, weight decay {run.weight_decay:g}: final test accuracy"] = (final.accuracy, final.se)
for claim, (value, se) in measured.items():
    print(f"{claim:>68}: {value:.4f} ± {se:.4f}")

# %% [markdown]
# | claim | result ± standard error | baseline |
# |---|---|---|
# | §1 A two-layer attention-only model learns to copy in context | 0.116 ± 0.001 nats on the predictable positions of 2,000 held-out sequences | order-blind 2.32 nats (exact); one layer 2.733 ± 0.019 nats |
# | §1 The ability appears suddenly, as an induction head forms | between steps 140 and 260 the loss falls from 3.43 to 0.67 nats and the best induction score rises from 0.11 to 0.76 (one run) | one layer: best induction score 0.13 at the end |
# | §1 A fixed period teaches a positional shortcut, not copying | one layer trained on period 12: 0.0012 ± 0.0000 nats on period 12, 8.85 ± 0.31 on periods 4-24 | two layers trained on periods 4-24: 0.116 ± 0.003 nats on them, 0.386 ± 0.007 on unseen periods 25-30 |
# | §2 No model of the ladder has an induction head | 6 x 192: the repeat of 30 random words is 0.44 ± 0.06 nats per word *harder*; best induction score 0.02 or less at every size | section 1's two-layer model: 0.95 |
# | §3 Word game: the gain from 3 examples grows with size | +60.5 ± 3.5 points at 6 x 192 (39.5 → 100%) | 1 x 32: +28.5 ± 4.8 (5.4 standard errors less); 5-gram: +57.0 ± 3.5 (not 3 standard errors less) |
# | §3 Translation: the gain from 1 example grows with size | +73.0 ± 3.2 points at 6 x 192 (26.5 → 99.5%) | 1 x 32: +0.0 ± 0.0 (23 standard errors less); 5-gram: +0.0 ± 0.0 |
# | §3 A transformer fits new linear functions from its prompt | error 0.116 ± 0.006 after 10 examples | answer 0: 0.944 ± 0.038; nearest neighbour 0.738 ± 0.030; least squares 0.067 ± 0.004; ridge (best possible) 0.057 ± 0.003 |
# | §3 ... and does not break down where least squares does | error 0.285 ± 0.014 after 5 examples | least squares 68 ± 22; ridge 0.209 ± 0.011 |
# | §4 The tested translation format is new to the models | ' in tiny is ' occurs 0 times in the 47,263,280 characters of pretraining text; 73 of 300 held-out pairs occur there in another wording and are not tested | — |
# | §4 Translation with one example rises with size | exact match 0.0 / 96.5 ± 1.3 / 99.0 ± 0.7 / 99.5 ± 0.5% from 1 x 32 to 6 x 192 | 5-gram: 0.0% |
# | §4 Zero-shot translation does not rise steadily with size | exact match 0.0 / 28.5 ± 3.2 / 3.0 ± 1.2 / 26.5 ± 3.1% | 5-gram: 0.0% |
# | §4 With one example, translation jumps between 1 x 32 and 2 x 64 in every metric | log-likelihood per word −1.902 ± 0.039 → −0.037 ± 0.004 nats; words right 50.6 ± 0.9 → 99.6 ± 0.2%; exact match 0.0 → 96.5 ± 1.3% | — |
# | §4 Exact match hides what the per-word scores see | 1 x 32: exact match 0.0% with 50.6 ± 0.9% of the words right; zero-shot, 2 x 64 against 4 x 128: 88.1 ± 0.7 against 75.5 ± 0.9% of words, 28.5 ± 3.2 against 3.0 ± 1.2% of sentences | (words right)^8.1 = 96.6%, measured 96.5 ± 1.3% (2 x 64, one example) |
# | §4 The translation is built up over the reference model's upper layers | first answer token right after block 1: 1.0 ± 0.7%, block 2: 82.0 ± 2.7%, block 4: 100% | embeddings: 0.0% |
# | §5 Grokking: with weight decay, generalisation long after memorisation | every training sum right at step 200, 99% of test sums at step 950 (one run); 100.0 ± 0.0% at the end, of 5,645 test sums | no weight decay: memorised at step 150, 0.12 ± 0.05% of test sums at the end |

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
