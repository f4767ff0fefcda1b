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
# 2. **Few-shot learning.** The chapters' pretrained TinyWorld model is prompted with 0 to 8 examples of
#    a task it never saw as a task.
# 3. **Translation nobody asked for.** The models of chapter 2's sweep translate into TinyWorld's toy
#    language; whether that ability looks sudden or gradual depends on how it is scored.
# 4. **Grokking.** A network that memorises its training data early and finds the general rule much,
#    much later.
#
# After this chapter you will be able to:
#
# - build the repeated-sequence task, an attention-only transformer, and the two scores that find
#   previous-token heads and induction heads, and check a claim of "in-context learning" against a
#   positional shortcut;
# - prompt a model with k examples and measure its accuracy against k;
# - score a model's outputs two ways (exact match and per-token log-likelihood) and explain why one of
#   them makes a smooth improvement look like a sudden jump;
# - reproduce grokking and show what weight decay has to do with it.
#
# **Run time:** RUNTIME on a 2-core laptop CPU, with the pretrained TinyWorld model and chapter 2's sweep
# in the cache (the first run trains whichever is missing, once). Every model this chapter trains is
# trained live, so you watch it happen.

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
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

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
# sequences; it is the level a model that has not learned to look back will sit at.

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
two_layers = train_induction_model(2)
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
# FINDINGS_DROP

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
print(f"query {query} {TEXT[query]!r}: layer 1 head {induction_head} puts {float(weights[1][0, induction_head, query].max()):.2f} "
      f"on position {int(weights[1][0, induction_head, query].argmax())} "
      f"({TEXT[int(weights[1][0, induction_head, query].argmax())]!r}, which followed the first {TEXT[query]!r})")

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
# FINDINGS_SHORTCUT

# %%
assert shortcut["period 12"][0] < 0.05 and shortcut["periods 4-24"][0] > math.log(64)
assert shortcut["period 12"][1] < 0.3 and shortcut["periods 4-24"][1] < 0.3 and shortcut["periods 25-30 (unseen)"][1] < 0.6
assert shortcut["period 12"][2] > 0.9 and shortcut["periods 4-24"][2] < 0.4

# %% [markdown]
# ## 4. Grokking: generalisation long after memorisation
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
decayed = train_grokking(weight_decay=1.0, data=data)
undecayed = train_grokking(weight_decay=0.0, data=data)
print(f"two runs of {decayed.step[-1]} steps in {time.perf_counter() - grok_started:.0f} s")
for run in (decayed, undecayed):
    print(f"weight decay {run.weight_decay:g}: 100% training accuracy at step "
          f"{run.first_step('train_accuracy', 1.0)}, 99% test accuracy at step {run.first_step('test_accuracy', 0.99)}; "
          f"final test accuracy {run.test_accuracy[-1]:.1%}")

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
# FINDINGS_GROKKING

# %%
memorised, understood = decayed.first_step("train_accuracy", 1.0), decayed.first_step("test_accuracy", 0.99)
assert memorised is not None and understood is not None and understood >= 3 * memorised
assert undecayed.train_accuracy[-1] == 1.0 and max(undecayed.test_accuracy) < 0.1
assert decayed.weight_norm[-1] < decayed.weight_norm[decayed.step.index(memorised)] < undecayed.weight_norm[-1]

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
