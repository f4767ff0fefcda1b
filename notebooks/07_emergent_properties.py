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
# 2. **Few-shot learning.** Does the chapters' pretrained TinyWorld model have an induction head? We
#    check, then prompt it with 0 to 8 examples of a task it never saw as a task. Then we train a small
#    transformer on prompts that are each a new task, and compare it with least squares.
# 3. **Translation nobody asked for.** The models of chapter 2's sweep and the pretrained model translate
#    into TinyWorld's toy language; whether that ability looks sudden or gradual depends on how it is
#    scored.
# 4. **Grokking.** A network that memorises its training data early and finds the general rule much,
#    much later.
#
# After this chapter you will be able to:
#
# - build the repeated-sequence task, an attention-only transformer, and the two scores that find
#   previous-token heads and induction heads, and check a claim of "in-context learning" against a
#   positional shortcut;
# - prompt a model with k examples and measure its accuracy against k;
# - train a transformer to fit a new function from the examples in its prompt, and compare it with least
#   squares and ridge regression;
# - score a model's outputs two ways (exact match, and log-likelihood per word) and explain why the first
#   makes a smooth improvement look like a sudden jump;
# - reproduce grokking and show what weight decay has to do with it.
#
# **Run time:** about 30 seconds on an idle 2-core CPU, with the pretrained TinyWorld model, chapter 2's
# sweep and section 3's in-context regression model in the cache (the first run trains whichever is
# missing, once: the regression model takes about half a minute); the last cell prints this run's time.
# Every other model of this chapter is trained live, so you watch it happen.

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
# ## 2. Does the pretrained TinyWorld model have an induction head?
#
# The chapters' pretrained model (chapter 5) read 2.5 million tokens of TinyWorld text. We give it the
# same test, with its own tokens: 30 random single-token words, then the same 30 words again. A model
# with an induction head finds the second copy far easier than the first.

# %%
import re

import torch.nn.functional as F

from helpers.pretrained import pretrained
from helpers.tinyworld import TinyWorld

model, tokenizer = pretrained("tinyworld")
word_ids = [tokenizer.encode(" " + word) for word in TinyWorld(0).vocabulary() if re.fullmatch(r"[a-z]+", word)]
words = torch.tensor([ids[0] for ids in word_ids if len(ids) == 1])  # TinyWorld words that are one token each
print(f"{len(words)} TinyWorld words are single tokens")
WORDS_PER_COPY = 30
indices, word_periods = repeated_blocks(64, 2 * WORDS_PER_COPY + 1, n_symbols=len(words),
                                        periods=(WORDS_PER_COPY, WORDS_PER_COPY), seed=0)
word_sequences = words[indices]  # (64, 61): 30 random words, the same 30 again, and the first one once more
print(tokenizer.decode(word_sequences[0, :12].tolist()), "...")
with torch.no_grad():
    losses = F.cross_entropy(model(word_sequences[:, :-1]).transpose(1, 2), word_sequences[:, 1:],
                             reduction="none")  # (64, 60): the loss of each next word
first_copy = float(losses[:, : WORDS_PER_COPY - 1].mean())
second_copy = float(losses[:, WORDS_PER_COPY - 1 :].mean())
_, _, pretrained_previous, pretrained_induction = measure_heads(model, word_sequences, word_periods)
print(f"loss on the first copy {first_copy:.1f} nats, on the second copy {second_copy:.1f} nats")
print(f"best induction score over its {pretrained_induction.numel()} heads: {float(pretrained_induction.max()):.2f} "
      f"(the toy two-layer model: {float(induction_history[-1, 1].max()):.2f})")

# %% [markdown]
# No. The second copy is no easier than the first (14.7 against 14.6 nats: random words are very
# surprising, twice), and no head scores above 0.02 as an induction head. TinyWorld text never repeats an
# arbitrary sequence of words; everything in it follows from its grammar, so copying never paid off in
# training and no general copying head formed. (Olsson et al. found induction heads in every model they
# trained on real text, which repeats names, phrases and code all the time.) What a model learns depends
# on what its data rewards, and this matters for the next experiment.

# %%
assert second_copy > first_copy - 0.5 and float(pretrained_induction.max()) < 0.1

# %% [markdown]
# ## 3. Few-shot learning
#
# Few-shot prompting (Brown et al., 2020) writes k solved examples of a task into the prompt, then the
# question, and reads the answer; the weights never change. Our task: give the Tiny word for an English
# noun, written as a dictionary, "dog : vapo . cat : miru . bird :". TinyWorld never writes a dictionary.
# Every Tiny word the model knows it learned from whole bilingual sentences ("english : the dog sees a
# cat . tiny : vapo na miru ko vidas ."), where it gets 92% of the words right (section 4). Can a
# handful of examples tell it what this new format asks?
#
# For each of the 22 nouns we ask the question with k other nouns as examples, drawn at random, five
# times with different examples. An answer counts when greedy decoding writes it exactly. Wrong answers
# are split into those that repeat one of the answers shown as examples, and the rest.

# %%
from helpers.experiments.few_shot import FewShotTask, few_shot_outcome, few_shot_questions
from helpers.generation import generate
from helpers.tinyworld.language import NOUNS

dictionary = FewShotTask("English noun -> Tiny noun", tuple(NOUNS.items()), template="{query} : {answer} .")
for k in (0, 2, 8):
    question = few_shot_questions(dictionary, k, seed=0)[1]
    answer = generate(model, tokenizer, "\n" + question.prompt, 3, temperature=0)[len(question.prompt) + 1 :]
    print(f"k={k}: {question.prompt!r} -> {answer!r} (right: {question.answer!r})")

# %%
SHOTS, SEEDS = (0, 1, 2, 4, 8), range(5)
outcomes = {k: [few_shot_outcome(model, tokenizer, dictionary, k, seed=seed) for seed in SEEDS] for k in SHOTS}
right = {k: sum(o.right for o in outcomes[k]) / len(SEEDS) for k in SHOTS}
copied = {k: sum(o.copied for o in outcomes[k]) / len(SEEDS) for k in SHOTS}
print(f"{'k':>2} {'right':>6} {'copied an example':>18} {'other':>6}")
for k in SHOTS:
    print(f"{k:2d} {right[k]:6.0%} {copied[k]:18.0%} {1 - right[k] - copied[k]:6.0%}")

figure, axes = plt.subplots(figsize=(6.5, 3.4))
axes.plot(SHOTS, [right[k] for k in SHOTS], "o-", color="C2", linewidth=2, label="right")
axes.plot(SHOTS, [copied[k] for k in SHOTS], "s--", color="C3", label="wrong: repeats an example's answer")
axes.set_xticks(SHOTS)
axes.set_xlabel("examples in the prompt (k)")
axes.set_ylabel("share of questions")
axes.set_ylim(0, 1)
axes.set_title("Few-shot: English noun -> Tiny noun, 22 nouns x 5 draws", fontsize=10)
axes.legend(fontsize=8)
plt.show()

# %% [markdown]
# With no example the model never answers right: "cat :" means nothing to it, and it carries on with English
# words ("cat : answer the question ..."). Examples help, slowly: 7% right with one, 15% with two,
# 24% with four. The knowledge was already there (the model translates most nouns inside sentences); the
# examples only tell it which knowledge the prompt asks for. That is few-shot learning, of a task that
# never appeared as a task.
#
# But it is weak, and it stops improving: with eight examples 19% are right, and 49% of the answers repeat
# one of the examples' answers instead (the eight-example question above gets a Tiny noun, "gesa", but the
# one for goat). Every example is one more Tiny word in view that the model may repeat, and without an
# induction head (section 2) it cannot look up which one belongs to which English word. Large models trained on real text, full of induction heads, keep
# improving with more examples (Brown et al., 2020).

# %%
assert right[0] < 0.05 and max(right[k] for k in SHOTS[1:]) > 0.15
assert copied[8] > copied[1] + 0.2

# %% [markdown]
# ### Few-shot learning, learned: a function from its examples
#
# The pretrained model's few-shot learning is weak, and section 2 suggests why: nothing in TinyWorld text
# rewarded using the examples in a prompt. What happens when the training data rewards exactly that? Garg
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
# models this chapter trains, this one is not trained live: the first run trains it (a minute or two) and
# caches it; later runs load it.

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
# Every model of chapter 2's sweep was trained only to predict the next token of TinyWorld text. One
# document in ten of that text is a bilingual passage, "english : ... tiny : ...". Nobody asked the
# models to translate, yet we can ask them now: give each one 200 held-out English sentences in that
# format and score what follows "tiny :" against the reference translation, two ways:
#
# - **exact match**: is the whole translation right, word for word (greedy decoding)? All or nothing;
# - **log-likelihood per word**: how probable is each word of the reference translation, given the ones
#   before it? A continuous score; 0 is perfect.
#
# Both are measured in one pass per sentence: greedy decoding writes the reference exactly when every
# reference token is the model's top choice given the reference so far. We score per word, not per
# token, so that models with different tokenizers compare.
#
# The sweep has five model sizes (16 thousand to 520 thousand parameters) trained on four data sizes.
# The chapters' pretrained model is bigger and trained on 6 times more tokens; we add it as the last
# point. The horizontal axis is training compute, about 6 × parameters × tokens (chapter 2).

# %%
import numpy as np

from helpers.experiments.few_shot import translation_pairs, translation_scores
from helpers.experiments.scaling import run_sweep, training_flops
from helpers.pretrained import recipe_named

sweep = run_sweep()
pairs = translation_pairs(200)
print(f"{len(pairs)} held-out sentences, e.g. {pairs[0][0]!r} -> {pairs[0][1]!r}")
translation = {run.key: translation_scores(sweep.model(run.size, run.tokens), sweep.tokenizer(), pairs)
               for run in sweep.runs}
compute = {run.key: run.flops for run in sweep.runs}
training = recipe_named("tinyworld").training
pretrained_tokens = training.max_steps * training.batch_size * model.config.context_length
compute["pretrained"] = training_flops(model.num_parameters(exclude_position_embeddings=True), pretrained_tokens)
translation["pretrained"] = translation_scores(model, tokenizer, pairs)
print(f"{'model':>12} {'compute':>9} {'exact match':>12} {'words right':>12} {'log-lik/word':>13}")
for key, scores in translation.items():
    print(f"{key:>12} {compute[key]:9.1e} {scores.exact_match:12.1%} {scores.word_accuracy:12.1%} "
          f"{scores.word_log_likelihood:13.2f}")

# %%
mean_words = translation["pretrained"].mean_words
figure, (left, middle, right) = plt.subplots(1, 3, figsize=(13.5, 3.6))
sizes = [size.name for size in sweep.config.sizes]
for i, size in enumerate([*sizes, "pretrained"]):
    keys = [key for key in translation if key.split("-")[0] == size]
    style = dict(marker="*" if size == "pretrained" else "o", s=70 if size == "pretrained" else 40, color=f"C{i}")
    x = [compute[key] for key in keys]
    left.scatter(x, [translation[key].exact_match for key in keys], label=size, **style)
    middle.scatter(x, [translation[key].word_log_likelihood for key in keys], **style)
    right.scatter([translation[key].word_accuracy for key in keys], [translation[key].exact_match for key in keys],
                  **style)
for axes in (left, middle):
    axes.set_xscale("log")
    axes.set_xlabel("training compute (FLOPs)")
left.set_ylabel("exact match (whole sentence)")
left.set_ylim(-0.03, 1.03)
left.set_title("All or nothing: looks like a sudden jump", fontsize=10)
left.legend(fontsize=7, loc="upper left")
middle.set_ylabel("log-likelihood per word (nats)")
middle.set_title("Per word: improves steadily with compute", fontsize=10)
p = np.linspace(0, 1, 101)
right.plot(p, p**mean_words, color="grey", linestyle=":", label=f"(words right)^{mean_words:.1f}")
right.set_xlabel("words right (teacher-forced)")
right.set_ylabel("exact match (whole sentence)")
right.set_xlim(0, 1)
right.set_ylim(-0.03, 1.03)
right.set_title("Exact match is about (words right)^(words)", fontsize=10)
right.legend(fontsize=8, loc="upper left")
plt.tight_layout()
plt.show()

# %% [markdown]
# Read the left panel as the story of when translation "emerges": every model of the sweep translates
# 0 of the 200 sentences exactly, across a 270-fold range of compute; then the pretrained model translates
# 43% of them. A sudden jump. The middle panel measures the same models on the same sentences, per word,
# and there is no jump: the log-likelihood improves steadily with compute, from -5.93 nats per word for
# the smallest model on the least data (the right word gets a probability of about 1 in 380) to -2.47
# for the largest sweep model (1 in 12) and -0.32 for the pretrained model (0.73). The share of words
# right climbs from 33% to 43% to 91.5%.
#
# Exact match needs all 7.9 words of a sentence right. At 43% per word that happens about 0.43^7.9 =
# 0.1% of the time; at 91.5% it happens about 0.915^7.9, roughly half the time (49.4%, printed below),
# close to the 43% we measured (the errors are not quite independent). The right panel draws that curve: it stays flat near zero
# until most words are right, then shoots up, and every model sits on it. The "jump" is the shape of
# x^7.9, not a sudden change inside the models. This is the argument of Schaeffer et al. (2023): many
# abilities reported to emerge suddenly in large models are scored all-or-nothing, and the same models
# scored per token improve smoothly. (Our sweep leaves an 11-fold gap in compute below the pretrained
# model, so the left panel cannot show where between them the jump happens; the curve says exact match
# passes 10% only once about 75% of the words are right.)

# %%
sweep_keys = [run.key for run in sweep.runs]
log_compute = np.log10([compute[key] for key in translation])
log_likelihood = np.array([translation[key].word_log_likelihood for key in translation])
correlation = float(np.corrcoef(log_compute, log_likelihood)[0, 1])
predicted = translation["pretrained"].word_accuracy ** mean_words
print(f"correlation of log-likelihood per word with log compute over all {len(translation)} models: {correlation:.2f}")
print(f"pretrained model: (words right)^{mean_words:.1f} = {predicted:.1%}, measured exact match "
      f"{translation['pretrained'].exact_match:.1%}")
assert max(translation[key].exact_match for key in sweep_keys) < 0.02 and translation["pretrained"].exact_match > 0.3
assert correlation > 0.8 and abs(predicted - translation["pretrained"].exact_match) < 0.1
for size in sizes:  # more data, better log-likelihood, for every size
    runs = [translation[run.key].word_log_likelihood for run in sweep.runs if run.size == size]
    assert runs[-1] > runs[0] + 1.0

# %% [markdown]
# ### Where in the model does the translation happen?
# The logit lens (chapter 3) reads the model's prediction out of each layer. Below, a sentence and its
# translation: each row is a layer, each column a position, each cell the token that layer would predict
# next (framed when it is the token that really follows). Choose another position, or type a sentence.

# %%
from helpers.widgets import LogitLens

PROMPT = "english : the big dog sees a cat . tiny :"
EXAMPLE = PROMPT + " vapo grana na miru ko vidas ."
assert tokenizer.encode(EXAMPLE)[: len(tokenizer.encode(PROMPT))] == tokenizer.encode(PROMPT)
lens = LogitLens(model, tokenizer, EXAMPLE, position=len(tokenizer.encode(PROMPT)) - 1, max_tokens=24)
lens

# %% [markdown]
# The same read-out over the 200 held-out sentences, at the position after "tiny :", where the first Tiny
# word must be predicted:

# %%
prompt_ids = [tokenizer.encode("\n" + f"english : {english} tiny :") for english, _ in pairs]
first_word = torch.tensor([tokenizer.encode("\n" + f"english : {english} tiny : {tiny}")[len(ids)]
                           for ids, (english, tiny) in zip(prompt_ids, pairs, strict=True)])  # (200,)
padded = torch.zeros(len(pairs), max(len(ids) for ids in prompt_ids), dtype=torch.long)  # (200, T) right-padded
for row, ids in enumerate(prompt_ids):
    padded[row, : len(ids)] = torch.tensor(ids)
last = torch.tensor([len(ids) - 1 for ids in prompt_ids])  # where each prompt ends
lens_trace = model.trace(padded)
with torch.no_grad():
    lens_right = [float((model.unembed(hidden[torch.arange(len(pairs)), last]).argmax(-1) == first_word).float().mean())
                  for hidden in lens_trace.hidden_states]  # one share per layer, embeddings first
for name, share in zip(["embeddings"] + [f"block {i}" for i in range(model.config.n_layer)], lens_right, strict=True):
    print(f"{name:>10}: first Tiny word is the top prediction in {share:5.1%} of sentences")

# %% [markdown]
# The first Tiny word is never the prediction of the embeddings or of the first block; it appears after
# the second block (15.5% of sentences), mostly after the third (59%), and the last block adds a little
# (67.5%; the first word, the translated subject, is the hardest of the sentence). Translating is not one
# step anywhere in the model: the answer is built up over the upper half of its layers.

# %%
assert lens_right[0] < 0.05 and lens_right[-1] > 0.5
assert all(lower <= upper + 0.05 for lower, upper in zip(lens_right, lens_right[1:], strict=False))  # builds up

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
# - **Partly, from a few examples.** The pretrained TinyWorld model has no induction head. Shown a few
#   examples of a dictionary format it never saw, it answers up to 24% of the questions right instead of
#   0%, using knowledge it picked up from bilingual sentences; more examples mostly give it more answers
#   to copy by mistake.
# - **Yes, when its training asks it to learn from examples.** A transformer trained on prompts that each
#   hold a different random linear function fits functions it never saw from its prompt alone: after 10
#   examples its error is 0.12 (answering 0 scores 0.94; ridge regression, the best possible, 0.06), and
#   where least squares breaks down, it does not. It learned no particular function; it learned a way of
#   fitting one.
# - **Yes, as a side effect of next-word prediction.** Nobody trained a translator, and the pretrained
#   model translates 43% of held-out sentences exactly (92% of the words). Whether that ability looks like
#   it "emerged" suddenly depends on the metric: per word it improved steadily across 21 models.
# - **Sometimes long after training seems to be over.** With weight decay, a network that had memorised
#   its training sums at step 200 found the rule of modular addition at step 950 (99% on unseen sums);
#   without weight decay it never did in 1,500 steps.
#
# So a model can do things nobody programmed and no example in its training asked for. But none of it
# comes from nowhere: each ability is a mechanism that next-token prediction (or the loss) rewarded on
# the training data. Random repeats rewarded copying, and an induction head formed; TinyWorld text did not,
# and none formed; prompts of random functions rewarded fitting them, and the model learned to fit. "Emergent" describes how an ability looks from outside, as a function of scale or
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
#   model never saw; in a small model without induction heads, more examples soon stop helping and give
#   it more wrong answers to copy.
# - **Learning to learn**: trained on prompts that each pose a new task (a random linear function given by
#   examples), a small transformer learns to solve new tasks from its prompt. Its error falls with every
#   example and behaves like ridge regression, not like least squares or nearest neighbour, within about
#   twice the best possible error.
# - **Emergence and metrics**: an all-or-nothing score (exact match) of a model that improves smoothly per
#   token looks like a sudden jump, because it is roughly (per-word accuracy)^(words per answer)
#   (Schaeffer et al., 2023).
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
# 3. **How good must each word be?** The pretrained model's translations have 7.9 words on average. What
#    per-word accuracy gives 50% exact match? And 99%?
#
# <details><summary>Solution</summary>
#
# With exact match ≈ p^7.9: p = 0.5^(1/7.9) ≈ 0.916 for 50%, and p = 0.99^(1/7.9) ≈ 0.9987 for 99%. Going
# from 92% to 99.9% of words right moves exact match from 50% to 99%, while going from 33% to 43% (the
# sweep, from its first run to its last) only moves it from 0.02% to 0.1%, which 200 sentences cannot even see.
# </details>
#
# 4. **Format matters.** Write the few-shot dictionary with "=" instead of ":"
#    (`FewShotTask(..., template="{query} = {answer} .")`) and measure accuracy against k.
#
# <details><summary>Solution</summary>
#
# ```python
# equals = FewShotTask("English noun -> Tiny noun", tuple(NOUNS.items()), template="{query} = {answer} .")
# print({k: few_shot_outcome(model, tokenizer, equals, k).right for k in SHOTS})
# ```
#
# 0% at every k: after "cat =" the model continues with "." (with no example, with "you"). TinyWorld never uses "=", while ":" comes
# before every translation ("tiny :"), so ":" points the model to what it knows and "=" points nowhere.
# Few-shot learning here relies on a format close to the training text.
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

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
