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
# # Chapter 2 — Why LLMs are powerful: scale
#
# Chapter 1 trained a next-word predictor in seconds. Large language models do the same thing, only
# bigger: more parameters, more text, more compute. The claim of this chapter is that **scale is where the
# power comes from**: make the model larger and the loss falls along a smooth, predictable curve, and on
# the way the model picks up who "she" is, what a review means and whether "not bad" is praise, though
# nobody taught it any of them. Can it grasp emotion, or sarcasm? We do not argue: we take a family of
# models and measure.
#
# After this chapter you will be able to:
#
# - measure a loss that compares across tokenizers (nats per character) and put it next to the lowest loss
#   any model can reach on TinyWorld, its entropy floor;
# - count a GPT's parameters and the compute of a training run (about 6 × parameters × tokens) by hand;
# - read a ladder of model sizes on log-log axes, fit a power law with an irreducible term, and say where
#   the larger models gain;
# - decide which model size to train for a fixed compute budget, from a sweep you can rerun;
# - use a language model as a compressor, and compare it with gzip;
# - measure what bigger models learn, against the smaller ones and a count model.
#
# **Run time:** about a minute on an idle 2-core laptop CPU once the compute sweep is in the cache (the last
# cell prints this run's time). The first run trains the sweep once, 15 small models, in about three
# minutes more; the ladder's four models come with the course, so nothing else is trained.

# %%
import time

started = time.perf_counter()

import math
import statistics

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from helpers.runtime import seed_everything

seed_everything(0)
torch.set_printoptions(precision=3, sci_mode=False)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")


def mean_with_se(values) -> tuple[float, float]:
    """The mean of a sample and its standard error."""
    values = list(values)
    return statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values))


# %% [markdown]
# ## 1. A yardstick: nats per character, and the floor no model can beat
#
# A model's loss is the average surprise, in nats, at each next token. Different tokenizers cut the same
# text into different numbers of tokens, so a loss *per token* does not compare across them. A loss *per
# character* does: add up the surprise of every token of a text and divide by the number of characters.
#
# TinyWorld gives us something real corpora never do: the exact probability of every document. Its
# entropy — the average surprise of the generator itself — is the lowest loss any model can reach. We
# estimate it from sampled documents, then compare with the exact value `helpers.tinyworld2` computes
# from the grammar.

# %%
from helpers.tinyworld2 import TinyWorld

world = TinyWorld(0)
documents = world.documents(4000)
surprise = -sum(d.log_prob for d in documents)  # nats the generator spends writing these documents
characters = sum(len(d.text) + 1 for d in documents)  # + 1: the "\n" that ends every document counts too
floor_estimate = surprise / characters
floor = world.entropy_floor()
print(f"sampled estimate of the floor: {floor_estimate:.4f} nats per character")
print(f"exact entropy floor:           {floor.nats_per_char:.4f} nats per character "
      f"({floor.bits_per_char:.3f} bits, {floor.nats_per_document:.1f} nats per document)")
assert abs(floor_estimate - floor.nats_per_char) < 0.03 * floor.nats_per_char
FLOOR = floor.nats_per_char

# %% [markdown]
# ## 2. Counting a model: parameters
#
# Chapter 5 builds the GPT piece by piece; here we only count its numbers. With vocabulary *V*, context
# *T*, width *d* and *L* blocks: a token embedding (*V·d*, also used as the output layer), a position
# embedding (*T·d*), and per block two LayerNorms (2 × 2*d*), the attention's query/key/value and output
# projections (3*d*² + 3*d* and *d*² + *d*) and a feed-forward layer that widens to 4*d* and back
# (4*d*² + 4*d* and 4*d*² + *d*); a last LayerNorm (2*d*).

# %%
from helpers.model import GPT, GPTConfig


def count_parameters_by_hand(V: int, T: int, L: int, d: int) -> int:
    """Parameters of a GPT-2 style model with tied input and output embeddings."""
    block = 2 * 2 * d + (3 * d * d + 3 * d) + (d * d + d) + (4 * d * d + 4 * d) + (4 * d * d + d)
    return V * d + T * d + L * block + 2 * d


config = GPTConfig(vocab_size=768, context_length=64, n_layer=4, n_head=4, n_embd=96)
model = GPT(config)
print(f"by hand: {count_parameters_by_hand(768, 64, 4, 96):,}   GPT.num_parameters(): {model.num_parameters():,}")
assert count_parameters_by_hand(768, 64, 4, 96) == model.num_parameters()

# %% [markdown]
# Which parameters should a scaling law count? Kaplan et al. (2020) leave out the embeddings. Our models
# are so small that the output layer (the tied token embedding) is a large share of the work done at every
# token, so we count it and leave out only the position embeddings, a table lookup. That is
# `model.num_parameters(exclude_position_embeddings=True)`.

# %%
N = model.num_parameters(exclude_position_embeddings=True)
print(f"N = {N:,} = {model.num_parameters():,} - {64 * 96:,} position-embedding numbers")
assert N == model.num_parameters() - 64 * 96

# %% [markdown]
# ## 3. Counting a run: compute ≈ 6 N D
#
# A forward pass multiplies every token's vector by every weight matrix once: one multiplication and one
# addition per parameter, **2N** floating-point operations (FLOPs) per token. The backward pass costs
# about twice that (gradients for the activations and for the weights), so training on **D** tokens costs
# about **C = 6 N D** FLOPs. (Attention adds a term that grows with the context; at 128 tokens it is small.)

# %%
from helpers.experiments.scaling import training_flops

tokens = 3000 * 32 * 128  # 3,000 steps of 32 windows of 128 tokens: how section 4's models were trained
forward, backward = 2 * N * tokens, 4 * N * tokens
print(f"{tokens:,} tokens -> {forward + backward:.3g} FLOPs (forward {forward:.2g}, backward {backward:.2g})")
assert forward + backward == training_flops(N, tokens)

# %% [markdown]
# ## 4. The ladder: four sizes, the same 12 million tokens
#
# The course comes with four GPTs trained on TinyWorld 2 (`helpers.pretrained.LADDER`, smallest first; the
# largest is the reference model the later chapters use). They differ only in size: every one read the same
# 3,000 batches of 32 windows of 128 tokens (12.3 million tokens, each read once), with the same schedule.
# That is ample data for this small world (section 5 shows the largest coming within a few percent of the
# floor), so whatever separates them is their size.
#
# We measure each one on 600 documents of a TinyWorld stream no model was trained on, document by document,
# so that two models can be compared on the same documents (a paired difference, with its standard error).
# Beside them, chapter 1's best count model: a word 4-gram, counted on 20,000 documents as there.

# %%
from helpers.experiments.abilities import words
from helpers.ngram_model import NGramModel
from helpers.pretrained import LADDER, pretrained, pretrained_checkpoint
from helpers.scoring import continuation_log_probs, nats_per_character
from helpers.tinyworld2 import DOCUMENT_SEPARATOR

HELD_OUT_SEED = 4_000_003  # no corpus of the series is drawn from this seed
held_out = TinyWorld(HELD_OUT_SEED).documents(600)
lengths = np.array([len(d.text) + 1 for d in held_out])  # characters, the closing separator included
kinds = np.array([d.kind for d in held_out])


def document_nats(model, tokenizer) -> np.ndarray:
    """Each held-out document's surprise in nats, read after the end of a previous document (as in training).

    The documents that fit the model's context are read in batches; a longer one in overlapping windows.
    """
    texts = [d.text + DOCUMENT_SEPARATOR for d in held_out]
    fits = [len(tokenizer.encode(text)) < model.config.context_length for text in texts]
    batched = iter(-continuation_log_probs(model, tokenizer, [""] * sum(fits),
                                           [text for text, fit in zip(texts, fits, strict=True) if fit]).double())
    return np.array([float(next(batched)) if fit else nats_per_character(model, tokenizer, text) * len(text)
                     for text, fit in zip(texts, fits, strict=True)])


ladder, nats = {}, {}
for name in LADDER:
    model, tokenizer = pretrained(name, progress=False)
    history = pretrained_checkpoint(name, progress=False).history
    N, D = model.num_parameters(exclude_position_embeddings=True), history["tokens_seen"][-1]
    ladder[name] = {"model": model, "N": N, "D": D, "C": training_flops(N, D)}
    nats[name] = document_nats(model, tokenizer)

counted = words(TinyWorld(0).corpus_text(20_000))  # words, punctuation and each document's end, as in chapter 1
four_gram = NGramModel.train(counted, 4, vocabulary=[*world.vocabulary(), DOCUMENT_SEPARATOR])
nats["4-gram"] = np.array([-four_gram.log_likelihood(words(d.text + DOCUMENT_SEPARATOR), context=[DOCUMENT_SEPARATOR])
                           for d in held_out])
nats["floor"] = np.array([-d.log_prob for d in held_out])  # TinyWorld's own surprise: the floor

loss = {name: values.sum() / lengths.sum() for name, values in nats.items()}
print(f"{'model':>14} {'layers':>6} {'width':>5} {'N params':>10} {'D tokens':>11} {'C FLOPs':>8} {'nats/char':>9}")
for name in LADDER:
    m, row = ladder[name]["model"], ladder[name]
    print(f"{name:>14} {m.config.n_layer:6d} {m.config.n_embd:5d} {row['N']:10,d} {row['D']:11,d} {row['C']:8.2g} "
          f"{loss[name]:9.4f}")
print(f"{'4-gram':>14} {'':>6} {'':>5} {'':>10} {len(counted):11,d} {'':>8} {loss['4-gram']:9.4f}")
print(f"{'floor':>14} {'':>43} {loss['floor']:9.4f}   (TinyWorld's exact probability of these documents)")

# %% [markdown]
# Each step up the ladder, on the same 600 documents: how many nats per character it saves, with the
# standard error of that paired difference (a difference of each document's nats, divided by the mean
# length).

# %%
def saving(smaller: str, larger: str, among: np.ndarray | None = None) -> tuple[float, float]:
    """Nats per character `larger` saves over `smaller` on the held-out documents (or a subset), ± its s.e."""
    among = np.ones(len(held_out), bool) if among is None else among
    return mean_with_se((nats[smaller][among] - nats[larger][among]) / lengths[among].mean())


steps = list(zip(["4-gram", *LADDER[:-1]], LADDER, strict=True))
savings = {step: saving(*step) for step in steps}
for (smaller, larger), (value, se) in savings.items():
    print(f"{smaller:>14} -> {larger:<14} saves {value:.4f} ± {se:.4f} nats per character ({value / se:5.1f} s.e.)")
best_over_counts = saving("4-gram", LADDER[-1])
print(f"{'4-gram':>14} -> {LADDER[-1]:<14} saves {best_over_counts[0]:.4f} ± {best_over_counts[1]:.4f}")

# %% [markdown]
# Every step up in size lowers the held-out loss by more than 3 standard errors, though by less and less:
# 0.058 nats per character from XS to S, 0.008 from S to M, 0.0008 ± 0.0001 from M to L. The reference
# model (L) is within 3% of TinyWorld's floor (0.1666 against 0.1619 on these documents). The smallest
# model, one layer of width 32, is no better than chapter 1's 4-gram: it saves 0.0031 ± 0.0017 nats per
# character over it, within noise. From S up, the ladder beats the 4-gram by far: L by 0.0700 ± 0.0036.
#
# Where? The same savings, split by the kind of document:

# %%
print(f"{'kind':>12} {'documents':>9} " + " ".join(f"{name:>14}" for name in ("4-gram", *LADDER, "floor")))
by_kind = {}
for kind in sorted(set(kinds)):
    among = kinds == kind
    by_kind[kind] = {name: nats[name][among].sum() / lengths[among].sum() for name in ("4-gram", *LADDER, "floor")}
    print(f"{kind:>12} {among.sum():9d} " + " ".join(f"{value:14.4f}" for value in by_kind[kind].values()))

share = {kind: (nats["4-gram"][kinds == kind] - nats[LADDER[-1]][kinds == kind]).sum()
         / (nats["4-gram"] - nats[LADDER[-1]]).sum() for kind in by_kind}
print("share of the reference model's saving over the 4-gram, by kind: "
      + ", ".join(f"{kind} {value:.0%}" for kind, value in share.items()))

figure, ax = plt.subplots(figsize=(8, 3.2), dpi=80)
names = ("4-gram", *LADDER)
width = 0.8 / len(names)
for i, name in enumerate(names):
    ax.bar(np.arange(len(by_kind)) + i * width, [by_kind[k][name] / by_kind[k]["floor"] for k in by_kind], width,
           label=name.replace("tinyworld2-", ""))
ax.axhline(1, color="black", linestyle="--", linewidth=1, label="TinyWorld's floor")
ax.set_xticks(np.arange(len(by_kind)) + 0.4 - width / 2, list(by_kind))
ax.set_ylabel("loss / floor")
ax.set_title("Held-out loss by kind of document, as a multiple of the floor", fontsize=10)
ax.legend(fontsize=7, ncols=2)
plt.tight_layout()
plt.show()

# %% [markdown]
# Stories hold 70% of the reference model's saving over the 4-gram (they are 249 of the 600 documents,
# and the longest): the 4-gram sits 51% above the floor on stories, L 2%. Reviews, lists and support
# conversations share the rest; on the short messages (spam, harmful requests) even XS does worse than the
# 4-gram, and L gains little.
#
# What do these documents need that a count model cannot see? A 4-gram reads the last three words. In a
# story, "he" or "she" comes twenty and more words after the hero's name, and the closing sentence names
# the place the story opened with; a traveller's sentence in Tiny translates an English sentence a dozen
# words back; a support agent's reply depends on the whole customer message; a review's recommendation
# follows from evidence given sentences earlier. Attention can look that far (chapter 3 shows how); a
# count model has to guess.

# %%
assert all(value > 3 * se for value, se in [savings[step] for step in steps[1:]])  # every step up pays
assert best_over_counts[0] > 10 * best_over_counts[1]  # the reference model beats the 4-gram by far
assert loss[LADDER[-1]] < 1.06 * loss["floor"]  # ... and comes within 6% of the floor

# %% [markdown]
# The loss column, by hand for one held-out document and the reference model: its surprise at every token
# (each read after the text before it, starting from the document separator), summed, divided by the
# document's characters.

# %%
reference, tokenizer = ladder[LADDER[-1]]["model"], pretrained(LADDER[-1], progress=False)[1]
index = next(i for i, d in enumerate(held_out) if len(tokenizer.encode(d.text)) < 60)
text = held_out[index].text + DOCUMENT_SEPARATOR
ids = tokenizer.encode(DOCUMENT_SEPARATOR) + tokenizer.encode(text)
with torch.no_grad():
    logits = reference(torch.tensor([ids[:-1]]))[0]  # (T, vocab): a prediction after every token
surprise = F.cross_entropy(logits, torch.tensor(ids[1:]), reduction="sum")  # surprise at each next token, summed
print(repr(text))
print(f"{len(ids) - 1} tokens, {len(text)} characters: {surprise:.2f} nats -> {surprise / len(text):.4f} nats per "
      "character")
print(f"document_nats (helpers.scoring): {nats[LADDER[-1]][index] / lengths[index]:.4f}")
assert abs(surprise / len(text) - nats[LADDER[-1]][index] / lengths[index]) < 1e-4

# %% [markdown]
# ## 5. Loss against size, on log-log axes
#
# A power law *L = A·N^(−α)* is a straight line on log-log axes. Kaplan et al. (2020) fitted pure power
# laws of this form to language models' losses. But some loss can never be removed: the text itself is
# uncertain. So later work (Henighan et al., 2020; Hoffmann et al., 2022) added an **irreducible term**
# *E*: **L(N) = E + A·N^(−α)**. For TinyWorld we know what *E* should be: the entropy floor.
#
# ### Fitting the law by hand
#
# For a fixed *E*, the law is a straight line: log(*L* − *E*) = log *A* − α log *N*. So fitting it is a
# straight-line fit for every candidate *E*, and we keep the *E* whose line fits best (smallest error on
# log *L*).

# %%
N = np.array([ladder[name]["N"] for name in LADDER], dtype=float)
L = np.array([loss[name] for name in LADDER])


def line_for(E: float) -> tuple[float, float, float]:
    """A and alpha of the straight line through log(L - E) against log N, and its rms error on log L."""
    slope, intercept = np.polyfit(np.log(N), np.log(L - E), 1)
    fitted = E + np.exp(intercept) * N**slope
    return float(np.exp(intercept)), float(-slope), float(np.sqrt(np.mean((np.log(fitted) - np.log(L)) ** 2)))


for E in (0.0, loss["floor"]):
    A, alpha, error = line_for(E)
    print(f"E = {E:.4f}: A = {A:8.3g}, alpha = {alpha:.3f}, rms error on log L = {error:.4f}")
candidates = np.linspace(0, L.min() * 0.9999, 2000)
errors = [line_for(E)[2] for E in candidates]
E_by_hand = candidates[int(np.argmin(errors))]
print(f"best E on a grid of 2000: {E_by_hand:.4f} (rms error {min(errors):.4f})")

# %% [markdown]
# `helpers.experiments.scaling.fit_power_law` does the same search, then refines *E* between the grid's
# neighbours. Same answer:

# %%
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator

from helpers.experiments.scaling import fit_power_law

law = fit_power_law(N, L)
print(f"L(N) = {law.irreducible:.4f} + {law.scale:.3g} * N^-{law.exponent:.3f}  (rms error on log L "
      f"{law.rms_log_error:.4f}); the floor of these documents: {loss['floor']:.4f}")
assert abs(law.irreducible - E_by_hand) < 2 * (candidates[1] - candidates[0])
assert law.rms_log_error <= min(errors) + 1e-9


def log_axes(ax, y_ticks) -> None:
    """Log-log axes with plain numbers on the loss axis and no crowded minor labels."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_locator(FixedLocator(y_ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_yticklabels([f"{t:g}" for t in y_ticks])


figure, ax = plt.subplots(figsize=(6.5, 3.6), dpi=80)
grid = np.geomspace(N.min() / 2, N.max() * 30, 100)
ax.plot(N, L, "o", color="C0", label="the ladder, measured")
ax.plot(grid, law(grid), "-", color="C0", label=f"fit: E = {law.irreducible:.3f}")
ax.axhline(loss["4-gram"], color="C1", linestyle=":", label=f"chapter 1's 4-gram {loss['4-gram']:.3f}")
ax.axhline(loss["floor"], color="black", linestyle="--", linewidth=1, label=f"true floor {loss['floor']:.3f}")
log_axes(ax, (0.16, 0.2, 0.25, 0.3))
ax.set_xlabel("parameters N")
ax.set_ylabel("nats per character")
ax.set_title("L(N) on ample data: the fit levels off at the floor", fontsize=10)
ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Forcing E = 0 (Kaplan's pure power law) fits the four points badly (rms error 0.073 on log L), and so does
# E fixed at the floor (0.055): the curve is not a straight line in either view. The best E, 0.1665, fits
# them closely (0.002) and lands 3% above the true floor, at the reference model's own loss: on this much
# data the largest models have nearly stopped improving with size, and the last 3% above the floor is
# what all of them still miss (lists of pairs, where the floor is hardest to reach: 0.239 against 0.225).
# The fit has three numbers for four points, so it says little beyond that; the published laws span seven
# orders of magnitude (Kaplan et al., 2020) and still treat E as their least certain number. On real text no
# one can check it; on TinyWorld we can.

# %%
assert law.rms_log_error < 0.01  # four sizes lie on the law
assert abs(law.irreducible - loss["floor"]) < 0.05 * loss["floor"]  # ... whose E lands near the true floor

# %% [markdown]
# ## 6. Compute: which size wins for a fixed budget?
#
# The ladder gave every size the same data. In practice the budget is compute: C = 6 N D FLOPs can buy a
# large model trained on little text or a small one trained on a lot. Which is best? Hoffmann et al. (2022)
# answered it with **IsoFLOP** runs, and so do we: for each of three budgets, five sizes (from one layer of
# width 16 to three layers of width 96), each trained on D = C / (6 N) tokens of fresh TinyWorld 2 text
# (every token read once), at the same batch of 16 windows of 64 tokens, with the same schedule stretched to
# its number of steps. The bigger the model, the fewer tokens it gets.
#
# `helpers.experiments.scaling.run_sweep` trains the 15 runs once and caches them (a progress bar shows
# them); later runs read the cache.

# %%
from helpers.experiments.scaling import best_size, parabola_minimum, run_sweep

sweep = run_sweep()
print(f"{'run':>9} {'N params':>9} {'steps':>6} {'D tokens':>10} {'D/N':>6} {'C FLOPs':>8} {'nats/char':>9}")
for r in sweep.runs:
    print(f"{r.key:>9} {r.parameters:9,d} {r.steps:6d} {r.tokens:10,d} {r.tokens / r.parameters:6.1f} "
          f"{r.flops:8.2g} {r.val_nats_per_char:9.4f}")

# %% [markdown]
# Each budget, loss against size: too small a model cannot hold what the text offers, too large a one has
# too few tokens (and steps) to learn it. Somewhere between is the best size for the budget. Hoffmann et al.
# fit a parabola to loss against log N to find it between the sizes they trained; we do the same.

# %%
budgets = sweep.config.budgets
figure, ax = plt.subplots(figsize=(7.5, 4), dpi=80)
optimal = {}
for colour, budget in zip(plt.cm.viridis(np.linspace(0.1, 0.8, len(budgets))), budgets, strict=True):
    runs = sweep.at_budget(budget)
    sizes, losses = [r.parameters for r in runs], [r.val_nats_per_char for r in runs]
    best = best_size(sweep, budget)
    ax.plot(sizes, losses, "o-", color=colour, label=f"C = {budget:.0e} FLOPs: best {best}")
    if best in (runs[0].size, runs[-1].size):  # no bottom between the sizes: the optimum lies at or beyond an end
        print(f"C = {budget:.0e}: best run {best:>2}, at an end of the sizes: the optimum is not bracketed")
        continue
    optimal[budget] = parabola_minimum(sizes, losses)
    ax.axvline(optimal[budget], color=colour, linestyle=":", linewidth=1)
    print(f"C = {budget:.0e}: best run {best:>2}; parabola's minimum at N = {optimal[budget]:,.0f} "
          f"(D = {budget / (6 * optimal[budget]):,.0f} tokens, {budget / (6 * optimal[budget] ** 2):.0f} per parameter)")
ax.axhline(loss["floor"], color="black", linestyle="--", linewidth=1, label="TinyWorld's floor")
ax.set_xscale("log")
ax.set_xlabel("parameters N")
ax.set_ylabel("validation loss (nats per character)")
ax.set_title("Three budgets: loss against size (dotted: the parabola's minimum)", fontsize=10)
ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# Each curve is one budget. At 10¹¹ FLOPs the smallest size wins (0.413 nats per character): the larger
# ones get too few tokens and steps (XL: 38 steps, 1.46) and the optimum lies at or below XS. At 3·10¹¹ S
# wins (0.246, ahead of XS 0.337 and M 0.334), and the parabola puts the optimum at about 37,000
# parameters; at 10¹² M wins (0.209, ahead of S 0.218 and L 0.225) and the optimum moves to about 98,000.
# The optimum sits at 17–36 training tokens per parameter, close to the 20 Hoffmann et al. (2022) found for
# models a million times larger. Neither the biggest model nor the most data wins a fixed budget: a balance
# of the two does, and the balance moves to bigger models as the budget grows. (One seed per run: the
# closest call, M against S at 10¹², is 0.009 nats per character; read it with care.)

# %%
order = [size.name for size in sweep.config.sizes]
winners = [order.index(best_size(sweep, budget)) for budget in budgets]
assert winners == sorted(winners) and winners[-1] > winners[0]  # the best size grows with the budget
assert len(optimal) >= 2 and list(optimal.values()) == sorted(optimal.values())  # ... and so does the parabola's

# %% [markdown]
# ## 7. A language model is a compressor
#
# A model that gives the next token probability *p* can store that token in about −log₂ *p* bits:
# **arithmetic coding** turns a stream of probabilities into a stream of bits of that length, and a decoder
# that runs the same model gets the text back exactly (`helpers.compression`). So the loss in bits per
# character *is* a compressed size, and a better model is a better compressor. The round trip, on a few
# held-out documents:

# %%
from helpers.compression import classic_bits_per_char, compress, decompress, ideal_bits

short_text = "".join(d.text + DOCUMENT_SEPARATOR for d in held_out[:8])
coded = compress(reference, tokenizer, short_text)
assert decompress(reference, tokenizer, coded) == short_text  # back byte for byte
ideal = ideal_bits(reference, tokenizer, short_text)
code_bits = 8 * len(coded) - 64  # minus the header: the token count and a checksum, 4 bytes each
print(f"{len(short_text):,} characters -> {len(coded):,} bytes ({8 * len(coded) / len(short_text):.3f} bits per "
      f"character with its header); the code is {code_bits / ideal - 1:+.2%} longer than the model's ideal "
      f"{ideal:.0f} bits")
print(repr(coded[:24]), "...")
assert abs(code_bits / ideal - 1) < 0.01  # arithmetic coding spends what the model's probabilities say

# %% [markdown]
# Now the whole held-out text: every model's loss in bits per character (what its arithmetic code would
# spend), against gzip, bz2 and xz at their strongest settings, which know nothing about TinyWorld but
# look for repeated strings.

# %%
held_out_text = "".join(d.text + DOCUMENT_SEPARATOR for d in held_out)
bits = {name.replace("tinyworld2-", "GPT "): loss[name] / math.log(2) for name in LADDER}
bits |= {"4-gram": loss["4-gram"] / math.log(2)} | classic_bits_per_char(held_out_text)
bits["floor"] = loss["floor"] / math.log(2)
for name, value in sorted(bits.items(), key=lambda item: item[1]):
    print(f"{name:>8} {value:6.3f} bits per character   {'#' * round(value * 20)}")
best_classic = min(classic_bits_per_char(held_out_text).values())
assert all(bits[f"GPT {name.removeprefix('tinyworld2-')}"] < best_classic for name in LADDER)  # every model wins
assert bits["GPT l"] < best_classic / 4  # ... the reference model by more than four times

# %% [markdown]
# The code comes within 0.5% of what the model's probabilities say (the ideal, −log₂ *p* summed), and
# decodes back exactly. On the 600 held-out documents the reference model would store TinyWorld text in 0.240
# bits per character, four times smaller than the best general-purpose compressor (bz2, 1.00), and 3% above
# the floor no compressor can beat on average (0.234). Prediction and compression are the same problem; a
# better predictor is a better compressor, step by step up the ladder (Delétang et al., 2024, measured
# the same of large language models on text, images and audio).

# %% [markdown]
# ## 8. What do bigger models learn?
#
# A lower loss is an average over everything. To see *what* a model has learned, we ask it to choose,
# on documents cut just before the words that give the answer (`helpers.experiments.abilities`, the tests
# chapter 4 uses). They come from a TinyWorld stream no model was trained on, and any document that also
# occurs in the pretraining text is skipped (short support conversations often do):
#
# - **pronoun**: a story cut before its pronoun, twenty and more words after the hero's name: *she* or
#   *he*?
# - **sentiment (plain)**: a review whose evidence is plainly good or bad, cut before its recommendation
#   ("i would recommend it ." or "i would not recommend it ."): the model must carry the review's mood;
# - **sentiment (negated)**: the same, with evidence written as "not bad", "not good": copying the
#   adjective's mood is wrong;
# - **sentiment (sarcastic)**: praise ("well , that was wonderful") that is sincere or sarcastic, and only
#   the bare facts around it ("the bed was soft", "the shower was cold") tell which.
#
# With 200 items, a coin flip scores 50% ± 3.5% (one standard error). The 4-gram answers the same items.

# %%
from helpers.experiments.abilities import ability_tests, gpt_scorer, ngram_scorer
from helpers.pretrained import corpus_texts, recipe_named

training_text = corpus_texts(recipe_named(LADDER[-1]))[0]  # the 300,000 documents every size of the ladder read
all_tests = ability_tests(200, pretraining_text=training_text)  # no item is, or comes from, a document they read
tests = {name: test for name, test in all_tests.items() if name.startswith(("pronoun", "sentiment"))}
readers = {name.replace("tinyworld2-", ""): gpt_scorer(ladder[name]["model"], tokenizer) for name in LADDER}
readers = {"4-gram": ngram_scorer(four_gram)} | readers
learned = {(test, reader): tests[test].run(score) for test in tests for reader, score in readers.items()}
print(f"{'test':>22} " + " ".join(f"{reader:>13}" for reader in readers))
for test in tests:
    print(f"{test:>22} " + " ".join(f"{str(learned[test, reader]):>13}" for reader in readers))

# %%
figure, axes = plt.subplots(1, len(tests), figsize=(12, 2.8), dpi=80, sharey=True)
for ax, test in zip(axes, tests, strict=True):
    results = [learned[test, name.replace("tinyworld2-", "")] for name in LADDER]
    ax.errorbar(N, [r.accuracy for r in results], yerr=[r.se for r in results], fmt="o-", capsize=3)
    ax.axhline(learned[test, "4-gram"].accuracy, color="C1", linestyle=":", label="4-gram")
    ax.axhspan(0.5 - 0.035, 0.5 + 0.035, color="grey", alpha=0.2, label="coin flip ± 1 s.e.")
    ax.set_xscale("log")
    ax.set_title(test, fontsize=9)
    ax.set_xlabel("parameters N", fontsize=8)
    ax.set_ylim(0, 1.02)
axes[0].set_ylabel("accuracy")
axes[0].legend(fontsize=7, loc="lower right")
plt.tight_layout()
plt.show()

# %% [markdown]
# The 4-gram, reading three words, is at chance on all four (49.5–50%): the words that decide are too far
# back. XS, one layer of width 32, reads some of it: plain reviews 62.5%, sarcastic ones 78.5%, but negated
# ones 41.5%, below chance (it takes "not bad" as bad), and pronouns at chance (51.5%). From S up (two layers of
# width 64) every sentiment test is at 99–100%; the pronoun waits one more step, until M (four layers of
# width 128): S 55.5%, M and L 100%. Each ability appears at its own size, and once learned it stays.

# %%
top, bottom = LADDER[-1].replace("tinyworld2-", ""), LADDER[0].replace("tinyworld2-", "")
for test in tests:  # the reference model beats the 4-gram and the ladder's smallest by >= 3 standard errors
    for baseline in ("4-gram", bottom):
        a, b = learned[test, top], learned[test, baseline]
        assert a.accuracy - b.accuracy > 3 * math.hypot(a.se, b.se), (test, baseline)

# %% [markdown]
# ## 9. Read what each size writes
#
# Every model of the ladder continues the same prompt, "alice is", with the same random seed (temperature
# 0.8). Move the slider from the smallest to the largest model; the texts are printed below too.

# %%
import re

from helpers.generation import generate
from helpers.widgets import SweepSamplesLab

samples = {name.replace("tinyworld2-", ""): generate(ladder[name]["model"], tokenizer, "alice is", 60,
                                                     temperature=0.8, seed=0, stop_tokens=tokenizer.encode("\n"))
           for name in LADDER}
captions = {name.replace("tinyworld2-", ""): f"{ladder[name]['N']:,} parameters, {loss[name]:.4f} nats per character"
            for name in LADDER}


def valid_words(text: str) -> int:
    """How many of the text's first words TinyWorld could have written (all of them: the text is valid)."""
    words_of = text.split(" ")
    return next((k - 1 for k in range(1, len(words_of) + 1) if not world.is_valid_prefix(" ".join(words_of[:k]))),
                len(words_of))


for name, sample in samples.items():
    k = valid_words(sample)
    print(f"{name:>2}: {sample}")
    print(f"    valid for {k} of {len(sample.split(' '))} words" + (f"; then {sample.split(' ')[k]!r}" if k < len(
        sample.split(" ")) else ""))
    for english, tiny in re.findall(r'" ([^"]+ \.) " , and in tiny that is " ([^"]+ \.) "', sample):
        print(f"    its Tiny sentence is {'the' if world.translate(english) == tiny else 'not the'} translation of "
              f"{english!r} ({world.translate(english)!r})")
lab = SweepSamplesLab(samples, captions, start=top)
lab

# %% [markdown]
# Each sample breaks somewhere, and the break shows what each size has not learned. XS fails at its fifth
# word ("playing a ball": not something TinyWorld's people play); S and L at their eleventh, where a
# traveller speaks whom the story never introduced; M after 34 valid words. Before that, the larger models
# do what the smallest cannot: the Tiny sentences of S, M and L are exact translations of their English
# ones, XS's is not. One sample per size is an anecdote: chapter 4 measures validity on 200 stories per
# setting.

# %% [markdown]
# ## 10. Can a machine grasp sarcasm or emotion?
#
# The source text asks whether an LLM can grasp humour, sarcasm or emotion, "to some degree". TinyWorld 2
# has three of them in a form we can measure: negated praise and blame, sarcastic reviews whose words say
# the opposite of what they mean, and the mood of a customer (one of three; section 8 measured the first
# two). Does it take scale? The customer's mood, read from what the agent is expected to say first (the
# first sentence of a support reply depends on the customer's mood):

# %%
mood = all_tests["support mood"]
moods = {reader: mood.run(score) for reader, score in readers.items()}
print(f"{'':>22} " + " ".join(f"{reader:>13}" for reader in readers))
print(f"{mood.name:>22} " + " ".join(f"{str(moods[reader]):>13}" for reader in readers)
      + f"   (chance {mood.chance:.0%})")

# %% [markdown]
# **Yes, to some degree, and it takes scale for the harder part.** Emotion said in words is easy: every
# model of the ladder reads an upset or a calm customer from the message (100%), where the 4-gram manages
# 39.5% (chance 33%). Sentiment carried across a review (a recommendation that follows from the evidence)
# needs more: the smallest model reads plain reviews 62.5% of the time and sarcastic ones 78.5%, but
# turns negated ones upside down (41.5%); the next size up reads all three at 99–100%. TinyWorld's sarcasm is simple
# (a "well , that was wonderful" next to a cold shower), and our models only had to learn it from text that
# used it; large models reading real sarcasm still slip, and negation stays a known weak spot even for
# them (Ettinger, 2020; Truong et al., 2023).

# %%
a, b = moods[bottom], moods["4-gram"]
assert a.accuracy - b.accuracy > 3 * math.hypot(a.se, b.se)  # the smallest model already beats the 4-gram

# %% [markdown]
# ## Recap
#
# - **Nats per character** compare models whatever their tokenizer; TinyWorld 2's entropy floor, **0.1615
#   nats per character**, is the loss no model can beat.
# - A GPT's parameters can be counted by hand; training costs about **C = 6 N D** FLOPs.
# - On ample data, **every step up in size lowers the loss**, by less and less; the reference model comes
#   within 3% of the floor and beats chapter 1's 4-gram by 0.070 nats per character, most of it in stories,
#   where the words that decide are out of a count model's reach. **L(N) = E + A·N^(−α)** fits the ladder
#   with E 3% above the true floor.
# - For a **fixed compute budget**, a mid-sized model wins, and the best size grows with the budget, at
#   17–36 tokens per parameter.
# - A language model is a **compressor**: arithmetic coding with its probabilities stores TinyWorld text in
#   0.240 bits per character, four times smaller than bz2.
# - Abilities appear with size, each at its own: the mood of a customer at the bottom of the ladder,
#   negated and sarcastic reviews one step up, the pronoun 20+ words back two steps up.
#
# ## What we measured
#
# Every claim of the chapter, the figure measured in this run (± one standard error) and the baseline it
# beats:

# %%
from IPython.display import Markdown


def pm(value: tuple[float, float]) -> str:
    """A measured saving ± its standard error, as text."""
    return f"{value[0]:.4f} ± {value[1]:.4f}"


rows = [
    ("each step up the ladder lowers held-out loss (nats/char saved)",
     "; ".join(f"{b.removeprefix('tinyworld2-')} {pm(savings[a, b])}" for a, b in steps[1:]),
     "the next smaller model"),
    ("the reference model beats chapter 1's count model (nats/char)",
     f"{loss[LADDER[-1]]:.4f}, saving {pm(best_over_counts)}; {share['story']:.0%} of it in stories",
     f"4-gram {loss['4-gram']:.4f}; floor {loss['floor']:.4f}"),
    ("L(N) = E + A N^-α fits the ladder; E lands near the floor",
     f"E = {law.irreducible:.4f}, α = {law.exponent:.2f}, rms error {law.rms_log_error:.4f}",
     f"floor {loss['floor']:.4f}"),
    ("for a fixed compute budget the best size grows with the budget",
     "; ".join(f"{b:.0e}: {best_size(sweep, b)}" for b in budgets), "one seed per run"),
    ("a language model is a compressor (bits/char)", f"reference model {bits['GPT l']:.3f}, decoded byte for byte",
     f"bz2 {bits['bz2']:.3f}, xz {bits['xz']:.3f}, gzip {bits['gzip']:.3f}"),
    *[(f"{test}: accuracy grows with size", f"{top} {learned[test, top]}",
       f"{bottom} {learned[test, bottom]}; 4-gram {learned[test, '4-gram']}; chance 50%") for test in tests],
    ("a customer's mood read from their message", f"{top} {moods[top]}",
     f"{bottom} {moods[bottom]}; 4-gram {moods['4-gram']}; chance {mood.chance:.0%}"),
]
Markdown("| claim | result ± s.e. | baseline |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))

# %% [markdown]
# ## Exercises
#
# 1. **Kaplan's parameter count.** Kaplan et al. (2020) count parameters without the embeddings. Refit L(N)
#    on the ladder with N minus the token embedding (1024 × width). Do E and α change?
#
# <details><summary>Solution</summary>
#
# ```python
# non_embedding = np.array([ladder[name]["N"] - 1024 * ladder[name]["model"].config.n_embd for name in LADDER])
# print(non_embedding, fit_power_law(non_embedding, L))
# ```
# N shrinks most for the smallest models (XS is nearly three-quarters embedding), so the points spread further apart
# and α comes out smaller; E, fixed by where the curve flattens, moves much less. Published exponents are
# only comparable under one convention.
# </details>
#
# 2. **Extrapolate.** What does the L(N) fit predict for a model of 10 million parameters trained on the same
#    12 million tokens? For a billion? Why should you not believe the second number?
#
# <details><summary>Solution</summary>
#
# ```python
# print(law(1e7), law(1e9))
# ```
# Both are E, to four decimals: on this fit no size gets below 0.1665. The second number extrapolates more
# than two orders of magnitude past the largest model we have, from three fitted numbers and four points;
# and a billion parameters on 12 million tokens would mostly memorise its data.
# </details>
#
# 3. **Tokens per parameter.** For each budget of section 6, print D / N of every run. Which runs are
#    "undertrained" by Hoffmann et al.'s rule of about 20 tokens per parameter, and how did they do?
#
# <details><summary>Solution</summary>
#
# ```python
# for r in sweep.runs:
#     print(r.key, round(r.tokens / r.parameters, 1), round(r.val_nats_per_char, 3))
# ```
# The large models of the small budgets read less than one token per parameter (XL at 10¹¹: 0.09) and are
# the worst runs of all; the winners read between 15 and 43.
# </details>
#
# ## What comes next
#
# The reference model resolves "she" twenty and more words after the hero's name, where a count model
# guesses. Chapter 3 opens the transformer to see how: **self-attention**, the mechanism that lets "she"
# look back at "alice", built from scratch, then found inside this reference model and switched off to
# measure what it does.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
