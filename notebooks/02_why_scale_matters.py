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
# power comes from**: make the model and its data larger and the loss falls along a smooth, predictable
# curve, and on the way the model picks up grammar, context and some nuance, though nobody taught it any
# of them. Can it grasp emotion, or a phrase like "not bad"? We do not argue: we train a family of models
# and measure.
#
# After this chapter you will be able to:
#
# - measure a loss that compares across tokenizers (nats per character) and put it next to the lowest loss
#   any model can reach on TinyWorld, its entropy floor;
# - count a GPT's parameters and the compute of a training run (about 6 × parameters × tokens) by hand;
# - read a sweep of models across sizes and data sizes on log-log axes and fit a power law with an
#   irreducible term, and say whether that term lands on the true floor;
# - measure what bigger models learn with minimal pairs (agreement, pronouns, negation);
# - decide which model size to train for a fixed compute budget.
#
# **Run time:** under 10 seconds on an idle 2-core laptop CPU with the sweep in the cache (the last cell
# prints this run's time). The first run trains the sweep once — 20 small models — and the chapters'
# pretrained TinyWorld model if no earlier chapter did: about 3½ minutes in all (203 s measured on an idle
# 2-core CPU); both are cached.

# %%
import time

started = time.perf_counter()

import math

import matplotlib.pyplot as plt
import numpy as np
import torch
import torch.nn.functional as F

from helpers.runtime import seed_everything

seed_everything(0)
torch.set_printoptions(precision=3, sci_mode=False)
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

# %% [markdown]
# ## 1. A yardstick: nats per character, and the floor no model can beat
#
# A model's loss is the average surprise, in nats, at each next token. Different tokenizers cut the same
# text into different numbers of tokens, so a loss *per token* does not compare across them. A loss *per
# character* does: add up the surprise of every token of a text and divide by the number of characters.
#
# TinyWorld gives us something real corpora never do: the exact probability of every document. Its
# entropy — the average surprise of the generator itself — is the lowest loss any model can reach. We
# estimate it from sampled documents, then compare with the exact value `helpers.tinyworld` computes
# from the grammar.

# %%
from helpers.tinyworld import TinyWorld

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
# about **C = 6 N D** FLOPs. (Attention adds a term that grows with the context; at 64 tokens it is small.)

# %%
from helpers.experiments.scaling import SweepConfig, training_flops

sweep_config = SweepConfig()
tokens = 400 * 16 * 64  # 400 steps of 16 windows of 64 tokens
forward, backward = 2 * N * tokens, 4 * N * tokens
print(f"{tokens:,} tokens -> {forward + backward:.3g} FLOPs (forward {forward:.2g}, backward {backward:.2g})")
assert forward + backward == training_flops(N, tokens)

# %% [markdown]
# ## 4. The sweep: five model sizes × four data sizes
#
# `helpers.experiments.scaling.run_sweep` trains every model size on every data size with the training
# loop of `helpers.training`:
#
# - **model sizes** from 1 block of width 16 to 4 blocks of width 96 (about 16 thousand to half a million
#   parameters; narrower models get larger learning rates);
# - **data sizes** from 51 thousand to 410 thousand tokens of fresh TinyWorld text, each token seen once.
#   Every run takes the same 400 optimizer steps (with the same warmup and cosine schedule); the data grows
#   with the batch: 2, 4, 8 or 16 windows of 64 tokens per step. (Growing the data through the number of
#   steps instead leaves the big models with too few updates: with 100 steps the largest model was the
#   worst of all five.)
# - every run is measured on the same 300 held-out documents, in nats per character.
#
# The first run trains all 20 models and caches their results and weights; later runs (and chapter 7,
# which reuses these models) read the cache. The table is the whole experiment.

# %%
from helpers.experiments.scaling import run_sweep

sweep = run_sweep()  # trains the 20 runs the first time (a progress bar shows them), then reads the cache
print(f"{'run':>10} {'layers':>6} {'width':>5} {'N params':>9} {'D tokens':>9} {'C FLOPs':>8} {'nats/char':>9}")
for r in sweep.runs:
    print(f"{r.key:>10} {r.n_layer:6d} {r.n_embd:5d} {r.parameters:9,d} {r.tokens:9,d} {r.flops:8.2g} "
          f"{r.val_nats_per_char:9.3f}")
print(f"TinyWorld's floor: {FLOOR:.3f} nats per character")

# %% [markdown]
# Read the table in blocks of four: every size gets better with more data (XS from 0.876 to 0.581 nats per
# character, XL from 0.825 to 0.283). Across blocks, on the largest data size, every bigger model beats
# the smaller ones: 0.581, 0.389, 0.340, 0.313, 0.283. The best run is still 42% above TinyWorld's floor.
#
# The loss column, by hand for one held-out document and the largest model: its surprise at every token
# (each read after the text before it, starting from the document separator), summed, divided by the
# document's characters.

# %%
from helpers.scoring import nats_per_character

xl_name = sweep_config.sizes[-1].name
xl_model, tokenizer = sweep.model(xl_name), sweep.tokenizer()
text = next(d.text + "\n" for d in TinyWorld(1).documents(20) if len(tokenizer.encode(d.text)) < 60)
ids = tokenizer.encode("\n") + tokenizer.encode(text)
with torch.no_grad():
    logits = xl_model(torch.tensor([ids[:-1]]))[0]  # (T, vocab): a prediction after every token
nats = F.cross_entropy(logits, torch.tensor(ids[1:]), reduction="sum")  # surprise at each next token, summed
print(repr(text))
print(f"{len(ids) - 1} tokens, {len(text)} characters: {nats:.2f} nats -> {nats / len(text):.4f} nats per character")
print(f"helpers.scoring.nats_per_character: {nats_per_character(xl_model, tokenizer, text):.4f}")
assert abs(nats / len(text) - nats_per_character(xl_model, tokenizer, text)) < 1e-4

# %% [markdown]
# ## 5. Loss against size, on log-log axes
#
# A power law *L = A·N^(−α)* is a straight line on log-log axes. Real losses bend away from the line
# because some loss can never be removed: the text itself is uncertain. So the law has an **irreducible
# term** *E*: **L(N) = E + A·N^(−α)**. For TinyWorld we know what *E* should be when data is unlimited:
# the entropy floor.

# %%
from matplotlib.ticker import FixedLocator, NullFormatter, NullLocator


def log_axes(ax, y_ticks=(0.2, 0.3, 0.4, 0.6, 1.0)) -> None:
    """Log-log axes with plain numbers on the loss axis and no crowded minor labels."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_locator(FixedLocator(y_ticks))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.set_yticklabels([f"{t:g}" for t in y_ticks])


data_sizes = sweep_config.data_sizes
colours = plt.cm.viridis(np.linspace(0.15, 0.85, len(data_sizes)))
figure, axes = plt.subplots(1, 2, figsize=(10, 3.8), dpi=90)
for colour, d in zip(colours, data_sizes, strict=True):
    runs = [r for r in sweep.runs if r.tokens == d]
    axes[0].plot([r.parameters for r in runs], [r.val_nats_per_char for r in runs], "o-", color=colour,
                 label=f"D = {runs[0].tokens / 1e3:.0f}k tokens")
for size in sweep_config.sizes:
    runs = [r for r in sweep.runs if r.size == size.name]
    axes[1].plot([r.tokens for r in runs], [r.val_nats_per_char for r in runs], "o-", label=f"{size.name}")
for ax, label in zip(axes, ("parameters N", "training tokens D"), strict=True):
    ax.axhline(FLOOR, color="black", linestyle="--", linewidth=1, label="TinyWorld's floor")
    log_axes(ax)
    ax.set_xlabel(label)
    ax.set_ylabel("validation loss (nats per character)")
    ax.legend(fontsize=7)
axes[0].set_title("Bigger models, same data", fontsize=10)
axes[1].set_title("More data, same model", fontsize=10)
plt.tight_layout()
plt.show()

# %% [markdown]
# On the largest data size (410k tokens) the five sizes fall on an orderly curve that bends as it nears
# the floor. With little data, size hardly matters: at 51k tokens the five losses lie between 0.78 and
# 1.04, and M even does worse than S (one run per point: a single run's luck shows). Along the data axis
# every size improves steadily, the bigger ones faster, and the smallest flattens first.
#
# ### Fitting the law by hand
#
# For a fixed *E*, the law is a straight line: log(*L* − *E*) = log *A* − α log *N*. So fitting it is a
# straight-line fit for every candidate *E*, and we keep the *E* whose line fits best (smallest error on
# log *L*). We fit the runs on the largest data size.

# %%
largest = sweep.largest_data()
N = np.array([r.parameters for r in largest], dtype=float)
L = np.array([r.val_nats_per_char for r in largest])


def line_for(E: float) -> tuple[float, float, float]:
    """A and alpha of the straight line through log(L - E) against log N, and its rms error on log L."""
    slope, intercept = np.polyfit(np.log(N), np.log(L - E), 1)
    fitted = E + np.exp(intercept) * N**slope
    return float(np.exp(intercept)), float(-slope), float(np.sqrt(np.mean((np.log(fitted) - np.log(L)) ** 2)))


for E in (0.0, FLOOR):
    A, alpha, error = line_for(E)
    print(f"E = {E:.3f}: A = {A:8.3g}, alpha = {alpha:.3f}, rms error on log L = {error:.4f}")
candidates = np.linspace(0, L.min() * 0.999, 2000)
errors = [line_for(E)[2] for E in candidates]
E_by_hand = candidates[int(np.argmin(errors))]
print(f"best E on a grid of 2000: {E_by_hand:.4f} (rms error {min(errors):.4f})")

# %% [markdown]
# `helpers.experiments.scaling.fit_power_law` does the same search, then refines *E* between the grid's
# neighbours. Same answer:

# %%
from helpers.experiments.scaling import fit_power_law

law_N = fit_power_law(N, L)
print(f"L(N) = {law_N.irreducible:.3f} + {law_N.scale:.3g} * N^-{law_N.exponent:.3f}  "
      f"(rms error on log L {law_N.rms_log_error:.4f})")
assert abs(law_N.irreducible - E_by_hand) < 2 * (candidates[1] - candidates[0])
assert law_N.rms_log_error <= min(errors) + 1e-9

# %% [markdown]
# Does the irreducible term depend on how much data the models had? Fit L(N) at every data size:

# %%
laws_N = {}
for d in data_sizes:
    runs = [r for r in sweep.runs if r.tokens == d]
    laws_N[d] = fit_power_law([r.parameters for r in runs], [r.val_nats_per_char for r in runs])
    law = laws_N[d]
    print(f"D = {d:7,d} tokens: E = {law.irreducible:.3f}, alpha = {law.exponent:.3f}, "
          f"rms error on log L {law.rms_log_error:.4f}, best measured {min(r.val_nats_per_char for r in runs):.3f}")

# %% [markdown]
# With 51k and 102k tokens the sizes barely differ, so there is no curve to fit: E comes out 0 with a tiny
# exponent and a poor fit. With 205k tokens the fitted E is 0.408, with 410k it is 0.264. The irreducible
# term of L(N) is not a property of the text alone but of the text *and how much of it the models saw*: the
# loss an unlimited model would reach on that much data. It falls toward the floor as the data grows.
#
# And along the other axis: each size trained on more and more data, *L(D) = E + B·D^(−β)*.

# %%
laws_D = {}
for size in sweep_config.sizes:
    runs = [r for r in sweep.runs if r.size == size.name]
    laws_D[size.name] = fit_power_law([r.tokens for r in runs], [r.val_nats_per_char for r in runs])
    law = laws_D[size.name]
    print(f"{size.name:>2}: E = {law.irreducible:.3f}, beta = {law.exponent:.3f}, rms error on log L {law.rms_log_error:.4f}")

xs_name = sweep_config.sizes[0].name
figure, axes = plt.subplots(1, 2, figsize=(10, 3.6), dpi=90)
grid = np.geomspace(N.min() / 3, N.max() * 30, 100)
axes[0].plot(N, L, "o", color="C0", label=f"measured, D = {data_sizes[-1] / 1e3:.0f}k tokens")
axes[0].plot(grid, law_N(grid), "-", color="C0", label=f"fit: E = {law_N.irreducible:.3f}")
axes[0].set_xlabel("parameters N")
axes[0].set_title("L(N): the fit levels off above the floor", fontsize=10)
grid = np.geomspace(data_sizes[0] / 3, data_sizes[-1] * 30, 100)
for colour, name in (("C2", xs_name), ("C3", xl_name)):
    runs = [r for r in sweep.runs if r.size == name]
    axes[1].plot([r.tokens for r in runs], [r.val_nats_per_char for r in runs], "o", color=colour,
                 label=f"{name}, measured")
    axes[1].plot(grid, laws_D[name](grid), "-", color=colour, label=f"{name} fit: E = {laws_D[name].irreducible:.3f}")
axes[1].set_xlabel("training tokens D")
axes[1].set_title("L(D): two sizes, extrapolated", fontsize=10)
for ax, ticks in zip(axes, ((0.2, 0.3, 0.4, 0.6, 1.0), (0.05, 0.1, 0.2, 0.4, 1.0)), strict=True):
    ax.axhline(FLOOR, color="black", linestyle="--", linewidth=1, label=f"true floor {FLOOR:.3f}")
    log_axes(ax, ticks)
    ax.set_ylabel("nats per character")
    ax.legend(fontsize=7)
plt.tight_layout()
plt.show()

# %% [markdown]
# So, does the fitted irreducible loss land near the real one? Not quite, and how it misses is the lesson:
#
# - L(N) on our largest data size levels off at **E = 0.264, a third above the true floor 0.199**. Forcing
#   E to be the floor fits the five points worse (rms error on log L 0.047 against 0.009).
# - Along the data axis the fits say E = 0 for four of the five sizes (their curves have not started to
#   bend) and E = 0.136 for XS: **below the floor, which no model can beat** — an extrapolation from four
#   points over a factor of 8 in data.
#
# Over one and a half orders of magnitude, a fitted irreducible term mostly measures what the models have
# *not learned yet*. The published laws span seven orders of magnitude (Kaplan et al., 2020) and still
# treat E as their least certain number. On real text no one can check it; on TinyWorld we can.

# %%
assert law_N.rms_log_error < 0.02  # five sizes on the largest data lie on the law
assert 1.1 * FLOOR < law_N.irreducible < 1.6 * FLOOR  # ... whose E lands above the true floor
assert laws_N[data_sizes[-2]].irreducible > law_N.irreducible  # less data: a higher E
assert laws_D[xs_name].irreducible < FLOOR  # an impossible extrapolation: below the floor

# %% [markdown]
# ## 6. What do bigger models learn? Probes with minimal pairs
#
# A lower loss is an average over everything. To see *what* a model has learned, we ask it to choose:
# the same prompt, two possible next words, only one of which TinyWorld could write. The model "knows"
# the phenomenon on that item when it gives the right word the higher probability.
#
# ![Three minimal pairs: agreement (the cat near the dogs -> is / are), pronoun (alice ... bob ... -> she /
# he), negation (it was not bad . the ending was -> good / bad)](../images/02_minimal_pairs.png)
#
# One pair by hand, with the largest model of the sweep:

# %%
prompt, right, wrong = "the cat near the dogs", "is", "are"
ids = tokenizer.encode("\n" + prompt)  # read as the start of a document, after the separator
with torch.no_grad():
    log_probs = F.log_softmax(xl_model(torch.tensor([ids]))[0, -1], dim=-1)  # (vocab,) for the next token
right_id, wrong_id = tokenizer.encode(" " + right), tokenizer.encode(" " + wrong)
print(f"tokens: {right!r} -> {right_id}, {wrong!r} -> {wrong_id}")
print(f"P({right!r}) = {log_probs[right_id[0]].exp():.3f}, P({wrong!r}) = {log_probs[wrong_id[0]].exp():.3f}")

# %% [markdown]
# The largest model of the sweep prefers the wrong *are* (0.27 against 0.07 for *is*): it follows the nearer
# noun *dogs*, not the subject *cat*. One pair is an anecdote; we need many.
#
# `helpers.scoring.continuation_log_probs` scores any continuation after a prompt this way (" " + word here),
# batched, and continuations of several tokens too; `helpers.probes.accuracy` is the share of pairs with
# log P(right) > log P(wrong).

# %%
from helpers.probes import MinimalPair, accuracy
from helpers.scoring import continuation_log_probs

scores = continuation_log_probs(xl_model, tokenizer, [prompt, prompt], [" " + right, " " + wrong])
print(f"helpers: log P = {[round(v, 4) for v in scores.tolist()]}")
assert torch.allclose(scores, torch.stack([log_probs[right_id[0]], log_probs[wrong_id[0]]]), atol=1e-5)
assert accuracy(xl_model, tokenizer, [MinimalPair(prompt, right, wrong)]) == float(scores[0] > scores[1])

# %% [markdown]
# The sweep measured five phenomena on 200 held-out pairs each (`helpers.probes.phenomenon_pairs`, from a
# TinyWorld stream no model was trained on), for every size on the largest data size:
#
# - **agreement**: "the cat near the dogs" → *is* / *are*;
# - **pronoun**: a story with a hero and people of the other gender → *she* / *he*;
# - **sentiment (plain)**: "it was good . the story was" → *good* / *bad*;
# - **sentiment (negated)**: "it was not bad . the story was" → *good* / *bad*: copying the adjective
#   is wrong, the model must read *not bad* as praise;
# - **label (negated)**: the same judgement as a task, "instruction : is this review positive or negative
#   ? ... it was not bad . response :" → *positive* / *negative*.
#
# With 200 pairs, a coin flip scores 50% ± 7% (two standard errors).

# %%
from helpers.probes import PHENOMENA

print(f"{'size':>4} {'N':>8} " + " ".join(f"{name:>15}" for name in PHENOMENA))
for r in largest:
    print(f"{r.size:>4} {r.parameters:8,d} " + " ".join(f"{r.probes[name]:15.1%}" for name in PHENOMENA))

# %% [markdown]
# Only agreement is above chance, at 65.5–72.5%, and it does not grow across the sweep. Pronouns,
# sentiment and labels all stay within coin-flip noise (42–61%). The largest model even scores 42% on
# pronouns. Is that a heuristic? Two simple rules on the same 200 stories:

# %%
from helpers.probes import pronoun_stories

stories = pronoun_stories(200)
hero_first = [s.fields["antecedent_char"] < min(s.fields["distractor_chars"]) for s in stories]
print(f"'the pronoun matches the first name':   {np.mean(hero_first):.1%} right (the hero comes first)")
print("'the pronoun matches the nearest name':  0.0% right (the last name before the pronoun is always a "
      "distractor)")

# %% [markdown]
# "Copy the gender of the nearest name" is always wrong here, "copy the first name" is right 73.5% of the
# time. The XL's 42% matches neither: the sweep's models have not learned who "she" is.
#
# ### One step further up: the chapters' pretrained model
#
# The sweep's largest run is what 2 minutes of a laptop buy. The chapters' pretrained TinyWorld model
# (`helpers.pretrained`, used from chapter 3 on) is one step further up the same road: wider, with a
# longer context, and trained on many more tokens. Same probes, same pairs:

# %%
from helpers.pretrained import pretrained, pretrained_checkpoint
from helpers.probes import pair_margins, phenomenon_pairs, probe_accuracies, pronoun_pairs

big_model, big_tokenizer = pretrained("tinyworld", progress=False)
history = pretrained_checkpoint("tinyworld", progress=False).history
big_N, big_D = big_model.num_parameters(exclude_position_embeddings=True), history["tokens_seen"][-1]
big_probes = probe_accuracies(big_model, big_tokenizer, phenomenon_pairs(200))
big_loss = nats_per_character(big_model, big_tokenizer, TinyWorld(1).corpus_text(300))
xl = largest[-1]
print(f"pretrained: N = {big_N:,}, D = {big_D:,} tokens seen, C = {training_flops(big_N, big_D):.2g} FLOPs "
      f"({training_flops(big_N, big_D) / xl.flops:.0f}x the {xl.key} run), {big_loss:.3f} nats per character")
print(" ".join(f"{name}: {value:.1%}" for name, value in big_probes.items()))

# %%
figure, axes = plt.subplots(1, len(PHENOMENA), figsize=(12, 3), dpi=90, sharey=True)
for ax, name in zip(axes, PHENOMENA, strict=True):
    ax.plot([r.flops for r in largest], [r.probes[name] for r in largest], "o-", label="sweep (D = 410k)")
    ax.plot([training_flops(big_N, big_D)], [big_probes[name]], "s", color="C3", label="pretrained")
    ax.axhspan(0.43, 0.57, color="grey", alpha=0.2, label="coin flip ± 2 s.e.")
    ax.set_xscale("log")
    ax.set_title(name, fontsize=9)
    ax.set_xlabel("training FLOPs", fontsize=8)
    ax.set_ylim(0, 1.02)
axes[0].set_ylabel("accuracy")
axes[0].legend(fontsize=7, loc="lower left")
plt.tight_layout()
plt.show()

# %% [markdown]
# With 11 times the compute of the XL run, agreement rises to 91.5% and pronouns to 73.5%. That is the
# first-name rule's score too; is the model just using that rule? Split its answers by whether the hero
# comes first:

# %%
big_right = (pair_margins(big_model, big_tokenizer, pronoun_pairs(stories)) > 0).numpy()
hero_first = np.array(hero_first)
print(f"hero first:       {big_right[hero_first].mean():.1%} right ({hero_first.sum()} stories)")
print(f"distractor first: {big_right[~hero_first].mean():.1%} right ({(~hero_first).sum()} stories; "
      "the first-name rule scores 0% here)")

# %% [markdown]
# When a distractor comes first, the first-name rule is always wrong, and the pretrained model is still
# right 62.3% of the time: it has learned part of the real rule. Chapter 3 looks inside it for the
# attention head that does it. Sentiment is another matter: plain or negated, in the review (45.5%) or as
# a labelled task (48.0% and 47.5%), the pretrained model stays at chance, like the whole sweep. Scale
# bought fluent text first, then grammar, then part of who-is-who; the feeling of a review is not yet in
# reach at this scale.

# %%
sweep_accuracies = {name: [r.probes[name] for r in largest] for name in PHENOMENA}
assert all(0.6 < a < 0.8 for a in sweep_accuracies["agreement"])  # above chance, flat across the sweep
assert all(0.35 < a < 0.65 for name in PHENOMENA if name != "agreement" for a in sweep_accuracies[name])
assert big_probes["agreement"] > 0.85 and big_probes["pronoun"] > 0.65  # more compute: grammar, then pronouns
assert big_right[~hero_first].mean() > 0.5  # ... not only by the first-name rule
assert all(big_probes[name] < 0.6 for name in PHENOMENA if "sentiment" in name or "label" in name)

# %% [markdown]
# ## 7. Compute: which size wins for a fixed budget?
#
# Every run cost C = 6 N D FLOPs. Plot each size's loss against the compute it used: for a small budget
# the small models are ahead, for a larger one the bigger models overtake them. The lower envelope of
# these curves is the best loss a budget can buy (Hoffmann et al., 2022, "Chinchilla").

# %%
BUDGET = 1e11
figure, ax = plt.subplots(figsize=(7.5, 4), dpi=90)
for size in sweep_config.sizes:
    runs = [r for r in sweep.runs if r.size == size.name]
    ax.plot([r.flops for r in runs], [r.val_nats_per_char for r in runs], "o-",
            label=f"{size.name} ({runs[0].parameters / 1e3:.0f}k params)")
ax.axvline(BUDGET, color="grey", linestyle=":", label=f"budget {BUDGET:.0e} FLOPs")
ax.axhline(FLOOR, color="black", linestyle="--", linewidth=1, label="TinyWorld's floor")
log_axes(ax)
ax.set_xlabel("training compute C = 6 N D (FLOPs)")
ax.set_ylabel("nats per character")
ax.legend(fontsize=7)
ax.set_title("Each size's loss against the compute it used", fontsize=10)
plt.show()

# %% [markdown]
# At the budget, read each curve (interpolating between its runs on log-log axes) and take the lowest. A
# size whose smallest run already costs more cannot take part; a size whose largest run costs less keeps
# that run's loss (the sweep has no more data for it, and a budget need not be spent).

# %%
def loss_at(size: str, budget: float) -> float | None:
    """The lowest loss a size reached with at most `budget` FLOPs, interpolated between its runs in log-log space."""
    runs = sorted((r for r in sweep.runs if r.size == size), key=lambda r: r.flops)
    log_c, log_l = np.log([r.flops for r in runs]), np.log([r.val_nats_per_char for r in runs])
    if math.log(budget) < log_c[0]:
        return None
    return float(np.exp(np.interp(math.log(budget), log_c, log_l)))  # np.interp stays flat past the last run


by_hand = {s.name: loss_at(s.name, BUDGET) for s in sweep_config.sizes}
by_hand = {name: loss for name, loss in by_hand.items() if loss is not None}
print(f"at {BUDGET:.0e} FLOPs: " + ", ".join(f"{name} {loss:.3f}" for name, loss in by_hand.items()))

# %%
from helpers.experiments.scaling import compute_optimal

choice = compute_optimal(sweep, BUDGET)
print(f"best size for {BUDGET:.0e} FLOPs: {choice.best}")
assert choice.losses.keys() == by_hand.keys()
assert all(abs(choice.losses[name] - by_hand[name]) < 1e-9 for name in by_hand)

# %% [markdown]
# And for every budget the sweep spans: the best size, and how many tokens it was given per parameter.

# %%
winners = {}
for budget in (1e10, 3e10, 1e11, 3e11, 1e12):
    choice = compute_optimal(sweep, budget)
    winners[budget] = choice.best
    others = ", ".join(f"{k} {v:.3f}" for k, v in choice.losses.items() if k != choice.best)
    print(f"{budget:6.0e} FLOPs: best {choice.best:>2} at {choice.losses[choice.best]:.3f} nats/char"
          + (f"   (others: {others})" if others else ""))

# %% [markdown]
# Each curve is one size; along it, more data. At a budget of 10¹¹ FLOPs, S (50k parameters) wins with
# 0.428 nats per character, ahead of the larger M (0.538) and L (0.663), which would need more compute to
# pay off, and of the smaller XS (0.581 with all its data). The best size grows with the budget: XS, then
# S, M and L. At 10¹² FLOPs L trained on all its data (0.313) still beats XL on 78% of its data (0.332,
# interpolated).
#
# This is the compute-optimal lesson (Hoffmann et al., 2022) in miniature: for a fixed budget neither the
# biggest model nor the most data wins, but a balance of the two, and the balance moves to bigger models as
# the budget grows.

# %%
order = [size.name for size in sweep_config.sizes]
assert winners[1e10] == "XS" and winners[1e11] == "S" and winners[1e12] == "L"
assert [order.index(w) for w in winners.values()] == sorted(order.index(w) for w in winners.values())

# %% [markdown]
# ## 8. Read what each size writes
#
# Every model of the largest data size continued the same prompt, "alice is", with the same random seed
# (temperature 0.8). Move the slider from the smallest to the largest model.

# %%
from helpers.widgets import SweepSamplesLab

samples = {r.size: r.sample for r in largest}
captions = {r.size: f"{r.parameters:,} parameters, {r.val_nats_per_char:.3f} nats per character" for r in largest}
lab = SweepSamplesLab(samples, captions, start=xl_name)
lab

# %% [markdown]
# XS strings TinyWorld's words into broken sentences ("we visiteding at the car by the dog is clear"). S
# and M write sentences but lose the thread, and M's "she forgets about his worries" breaks agreement. L and
# XL write stories TinyWorld could have written ("alice is baking a cake at the bakery . bob waves from
# across the road . she feels very happy ."), yet both slip: "tom walks past with her dog". L and XL start
# with the same words: with the same seed, two models that agree on the likely next tokens draw the same
# ones.

# %% [markdown]
# ## 9. Can a machine grasp sarcasm or emotion?
#
# TinyWorld has no sarcasm, but it has the simplest piece of it: saying the opposite of the word you use.
# "It was not bad" is praise built from a word of blame. We write 40 one-verdict reviews ourselves, one per
# TinyWorld adjective, plain ("it was awful .") and negated ("it was not awful ."), and ask every model the
# task TinyWorld's instructions pose: positive or negative?

# %%
from helpers.tinyworld import Lexicon

lexicon = Lexicon()
OPPOSITE = {"positive": "negative", "negative": "positive"}


def review_task(verdict: str) -> str:
    """A sentiment instruction about a one-verdict review, up to the answer."""
    return (f"instruction : is this review positive or negative ? i read the book last week . it was {verdict} . "
            "response :")


def handmade_pairs(negated: bool) -> list[MinimalPair]:
    """One pair per adjective: the review's label is right; "not" flips the adjective's sentiment."""
    pairs = []
    for adjectives, label in ((lexicon.positive_adjectives, "positive"), (lexicon.negative_adjectives, "negative")):
        for adjective in adjectives:
            truth = OPPOSITE[label] if negated else label
            pairs.append(MinimalPair(review_task(("not " if negated else "") + adjective), truth, OPPOSITE[truth]))
    return pairs


readers = {r.size: (sweep.model(r.size), tokenizer) for r in largest} | {"pretrained": (big_model, big_tokenizer)}
emotion = {}
print(f"{'model':>10} {'plain reviews':>14} {'negated reviews':>16}")
for name, (reader, reader_tokenizer) in readers.items():
    emotion[name] = [accuracy(reader, reader_tokenizer, handmade_pairs(negated)) for negated in (False, True)]
    print(f"{name:>10} {emotion[name][0]:14.0%} {emotion[name][1]:16.0%}")

# %% [markdown]
# And what the largest reader thinks, phrase by phrase: P(positive) against P(negative) as the answer.

# %%
for phrase in ("good", "bad", "not bad", "not good", "really awful", "not awful at all"):
    scores = continuation_log_probs(big_model, big_tokenizer, [review_task(phrase)] * 2, [" positive", " negative"])
    print(f"it was {phrase + ' .':<20} P(positive | one of the two) = {scores.softmax(0)[0]:.2f}")

# %% [markdown]
# **No, not at this scale.** None of our models, the pretrained one included, tells a positive review from
# a negative one: on these 40 hand-made reviews every model scores between 45% and 65% (a coin flip scores
# 50%), and the pretrained model gives "positive" a probability of 0.63–0.64 whatever the review says —
# "good", "bad", "not bad" or "really awful". The 200 held-out probes of section 6 agree (sentiment and
# labels at 44.5–61% for every size). What scale did buy, in order: fluent text (the loss), grammar
# (agreement 65.5–72.5% in the sweep, 91.5% with 11 times the compute), then part of who-is-who (pronouns
# 73.5%). Emotion, and the twist of saying the opposite of the word you use that sarcasm is built on, come
# later. Much larger language models classify the sentiment of reviews well, yet negation stays a known
# weak spot even for them (Ettinger, 2020; Truong et al., 2023).

# %%
assert all(0.3 <= a <= 0.7 for pair in emotion.values() for a in pair)  # every model: coin-flip territory

# %% [markdown]
# ## Recap
#
# - **Nats per character** compare models whatever their tokenizer; TinyWorld's entropy floor, **0.199 nats
#   per character**, is the loss no model can beat.
# - A GPT's parameters can be counted by hand; training costs about **C = 6 N D** FLOPs.
# - Across our sweep (16k to 521k parameters, 51k to 410k tokens) the loss falls with size and with data.
#   **L(N) = E + A·N^(−α)** fits the largest data size closely, but its E (0.264) lands a third above the
#   true floor, and fits along the data axis give impossible values: a fitted irreducible term is the least
#   trustworthy part of a scaling law.
# - **Minimal pairs** measure what a model learned. Our sweep learned some agreement; 11 times more compute
#   gave 91.5% agreement and 73.5% pronouns; sentiment and negation stayed at chance.
# - For a fixed compute budget a **mid-sized model** wins, and the best size grows with the budget.
#
# ## Exercises
#
# 1. **Kaplan's parameter count.** Kaplan et al. (2020) count parameters without the embeddings. Refit L(N)
#    on the largest data size with N minus the token embedding (768 × width). Do E and α change?
#
# <details><summary>Solution</summary>
#
# ```python
# non_embedding = np.array([r.parameters - 768 * r.n_embd for r in largest], dtype=float)
# print(non_embedding, fit_power_law(non_embedding, L))
# ```
# N runs from 3,312 to 447,552 instead; E = 0.239 and α = 0.41 (against 0.264 and 0.78): the exponent
# depends on what you count, E moves less. Published exponents are only comparable under one convention.
# </details>
#
# 2. **Extrapolate.** What does the L(N) fit predict for a model of 2 million parameters trained on the same
#    410k tokens? For a billion? Why should you not believe the second number?
#
# <details><summary>Solution</summary>
#
# ```python
# print(law_N(2e6), law_N(1e9))
# ```
# 0.271 and 0.264 (= E): on 410k tokens no size gets below E. The second number extrapolates more than three
# orders of magnitude beyond the largest model we trained, with an E we saw is too high or too low depending
# on the axis; and a billion parameters on 410k tokens would mostly memorise its data.
# </details>
#
# 3. **Agreement attraction.** Score "the cats near the dog" → *are* / *is* on every size. What do the models
#    do, and why might the nearer noun matter?
#
# <details><summary>Solution</summary>
#
# ```python
# for r in largest:
#     print(r.size, continuation_log_probs(sweep.model(r.size), tokenizer, ["the cats near the dog"] * 2,
#                                          [" are", " is"]))
# ```
# All five sizes prefer the wrong *is* (XL: log P −1.85 against −2.77 for *are*): they follow the number
# of the nearest noun, *dog*. People make the same slip ("the key to the cabinets are ...").
# </details>
#
# 4. **Tokens per parameter.** Hoffmann et al. (2022) found compute-optimal training at about 20 tokens per
#    parameter. Compute D / N for the runs on the largest data size. Which are "undertrained" by that rule?
#
# <details><summary>Solution</summary>
#
# ```python
# for r in largest:
#     print(r.size, r.tokens / r.parameters)
# ```
# 26, 8.2, 4.4, 2.1 and 0.8 tokens per parameter: only XS reaches 20. The others are short of data by that
# rule, which is why their curves along D still fall steeply and their fitted E along D is 0.
# </details>
#
# ## What comes next
#
# The pretrained model resolved 73.5% of pronouns, partly by the real rule. Chapter 3 opens the transformer
# to see how: **self-attention**, the mechanism that lets "she" look back at "alice", built from scratch,
# then found inside the trained model and switched off to measure what it does. Chapter 7 comes back to
# this sweep's models to ask whether new abilities appear suddenly with size.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
