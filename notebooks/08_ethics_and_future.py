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
# # Chapter 8 — Ethics and future directions
#
# LLMs learn from text people wrote, so they can leak private data, repeat and amplify the biases of that
# text, and produce harmful content. Building responsible, fair and transparent systems — above all in
# healthcare, finance and law — starts with *measuring* these risks. *Could models protect user data and be
# transparent about their decisions?* This chapter answers with experiments on TinyWorld, where we know
# exactly what went into the training data.
#
# After this chapter you will be able to:
#
# - mark generated text with a statistical watermark and detect it, with a measured false-positive rate;
# - measure how much a model memorised a secret (its *exposure*) and show that deduplication reduces it;
# - measure a gender-profession bias, see greedy decoding amplify it, and shrink it with counterfactual
#   data augmentation;
# - wrap generation in a harmful-content filter and measure its false positives and false negatives;
# - write a model card from your own measurements.
#
# **Run time:** about two minutes on a 2-core laptop CPU once the pretrained model is cached
# (it trains six tiny models of a few seconds each). The last cell prints this run's time.

# %%
import time

started = time.perf_counter()

import matplotlib.pyplot as plt
import torch

from helpers.generation import generate
from helpers.model import GPT, GPTConfig
from helpers.pretrained import pretrained
from helpers.runtime import seed_everything
from helpers.tinyworld import DOCUMENT_SEPARATOR, TinyWorld
from helpers.tokenizers import CharacterTokenizer
from helpers.training import TrainingConfig, train
from helpers.windows import split_ids

torch.set_num_threads(1)  # tiny models gain nothing from more threads
seed_everything(0)
model, tokenizer = pretrained("tinyworld", progress=False)
print(f"pretrained model: {model.num_parameters():,} parameters, vocabulary {tokenizer.vocab_size} tokens")

# %% [markdown]
# ## 1. Transparency: a watermark you can detect
#
# Can a reader tell that a text was written by *this* model? Kirchenbauer et al. (2023,
# [arXiv:2301.10226](https://arxiv.org/abs/2301.10226)) proposed a watermark that needs no access to the
# model to detect. At each step the previous token seeds a random split of the vocabulary; a share
# γ = 0.25 of it is the **green list**. Generation adds δ = 2 to the logits of the green tokens, nudging
# the model towards them where it has several good choices. Here is one green list:

# %%
from helpers.experiments.watermark import DELTA, GAMMA, detect, generate_watermarked, green_list

V = tokenizer.vocab_size
green = green_list(tokenizer.encode(" the")[-1], V)
print(f"green tokens after ' the': {int(green.sum())} of {V} (gamma = {GAMMA}), e.g.",
      tokenizer.token_strings(green.nonzero()[:8, 0].tolist()))

# %% [markdown]
# Text written without the watermark lands on green about a quarter of the time. The detector recounts
# the green tokens in a text of T scored tokens and computes
# $z = (\text{green} - \gamma T)/\sqrt{T\gamma(1-\gamma)}$; z above 3 happens by chance about once in 770 texts
# (one-sided p ≈ 0.0013). A small vocabulary repeats the same (previous, token) pairs — "the cat . the
# cat ." — and each repeat would count again, so the detector scores each distinct pair once.
#
# TinyWorld text is predictable (often only one next word makes sense), so the watermark can only tilt the
# few free choices and needs long texts. We generate 10 texts with the watermark and 10 without (same
# prompts, same sampling), 160 tokens each.

# %%
prompts = [doc.text.split(" ")[0] for doc in TinyWorld(11).documents(10)]
start_ids = [tokenizer.encode(p) for p in prompts]
marked = [generate_watermarked(model, ids, 160, delta=DELTA, seed=i) for i, ids in enumerate(start_ids)]
plain = [generate_watermarked(model, ids, 160, delta=0.0, seed=i) for i, ids in enumerate(start_ids)]
print("watermarked:", repr(tokenizer.decode(marked[0])[:120]))
print("plain:      ", repr(tokenizer.decode(plain[0])[:120]))
z_marked = [detect(s + m, V).z for s, m in zip(start_ids, marked, strict=True)]
z_plain = [detect(s + p, V).z for s, p in zip(start_ids, plain, strict=True)]
print("z watermarked:", [round(z, 1) for z in z_marked])
print("z plain:      ", [round(z, 1) for z in z_plain])

# %%
THRESHOLD = 3.0  # one-sided p of about 0.0013 per text
detection_rate = sum(z > THRESHOLD for z in z_marked) / len(z_marked)
false_positive_rate = sum(z > THRESHOLD for z in z_plain) / len(z_plain)
print(f"detected {detection_rate:.0%} of watermarked texts; false positives {false_positive_rate:.0%} "
      f"of plain texts (threshold z > {THRESHOLD})")
mean_marked, mean_plain = sum(z_marked) / len(z_marked), sum(z_plain) / len(z_plain)
print(f"mean z: watermarked {mean_marked:.1f}, plain {mean_plain:.1f}")
assert detection_rate >= 0.2 and false_positive_rate <= 0.1 and mean_marked > mean_plain + 1

# %% [markdown]
# How long must a text be? The evidence grows with the number of tokens: z grows like √T. We cut each
# text after its first T tokens and measure the detection rate for each length.

# %%
lengths = [16, 32, 64, 96, 128, 160]
rate_marked, rate_plain = [], []
for T in lengths:
    rate_marked.append(sum(detect(s + m[:T], V).z > THRESHOLD for s, m in zip(start_ids, marked, strict=True)) / len(marked))
    rate_plain.append(sum(detect(s + p[:T], V).z > THRESHOLD for s, p in zip(start_ids, plain, strict=True)) / len(plain))
fig, ax = plt.subplots(figsize=(5.5, 3), dpi=80)
ax.plot(lengths, rate_marked, "o-", label="watermarked")
ax.plot(lengths, rate_plain, "s--", label="plain (false positives)")
ax.set_xlabel("tokens generated")
ax.set_ylabel(f"share with z > {THRESHOLD:g}")
ax.set_ylim(-0.05, 1.05)
ax.legend()
plt.show()
print(dict(zip(lengths, rate_marked, strict=True)))
assert rate_marked[0] <= rate_marked[-1] and max(rate_plain) <= 0.1

# %% [markdown]
# Why ignore repeated pairs? Uniformly random tokens land on green a quarter of the time whatever we do,
# but a text that repeats itself counts the same lucky pair again and again:

# %%
generator = torch.Generator().manual_seed(0)
uniform = torch.randint(V, (400,), generator=generator).tolist()
repeated = uniform[:20] * 20  # the same 20 tokens said 20 times
for name, ids in [("uniform random", uniform), ("one phrase repeated", repeated)]:
    print(f"{name:20s} z counting every pair {detect(ids, V, ignore_repeated=False).z:6.1f}, "
          f"distinct pairs only {detect(ids, V).z:5.1f}")
assert abs(detect(uniform, V).z) < 3 and abs(detect(repeated, V).z) < abs(detect(repeated, V, ignore_repeated=False).z)

# %% [markdown]
# ## 2. Privacy: models remember
#
# Carlini et al. (2019, "The Secret Sharer", [arXiv:1802.08232](https://arxiv.org/abs/1802.08232)) planted
# a secret in training data and measured how much the trained model gives away. We plant
# "alice's pin is 4 7 1 ." (a three-digit PIN keeps the candidate space small enough to score every one of
# its 1,000 candidates) into 1,500 TinyWorld documents 0, 16 or 64 times, train a tiny character-level
# model for a few seconds, rank every candidate PIN by the model's log-likelihood, and compute the
# **exposure** log2(1000) − log2(rank): 0 bits when the secret ranks last, 10 bits when it ranks first.

# %%
from helpers.experiments.memorization import deduplicate, exposure, pin_candidates, rank_of, sequence_log_likelihoods
from helpers.tinyworld import insert_secret

SECRET = "alice's pin is 4 7 1 ."
candidates = pin_candidates("alice's pin is {} .", digits=3)
secret_index = candidates.index(SECRET)
documents = [doc.text for doc in TinyWorld(1).documents(1500)]
char_tokenizer = CharacterTokenizer.train("".join(d + DOCUMENT_SEPARATOR for d in documents) + "0123456789'")
print(f"{len(candidates)} candidates, {len(documents)} documents, {char_tokenizer.vocab_size} characters")


def train_tiny(texts, steps=200, seed=0):
    """A tiny character-level GPT trained for a few seconds on the given documents."""
    text = "".join(t + DOCUMENT_SEPARATOR for t in texts)
    train_ids, val_ids = split_ids(torch.tensor(char_tokenizer.encode(text)), 0.05)
    seed_everything(seed)
    tiny = GPT(GPTConfig.preset("tiny", vocab_size=char_tokenizer.vocab_size, context_length=64))
    train(tiny, train_ids, val_ids, TrainingConfig(max_steps=steps, batch_size=16, learning_rate=3e-3,
                                                   warmup_steps=20, eval_every=steps, eval_batches=2, seed=seed),
          progress=False)
    return tiny


def secret_report(tiny):
    """(rank, exposure, greedy continuation) of the secret for a trained tiny model."""
    scores = sequence_log_likelihoods(tiny, char_tokenizer, DOCUMENT_SEPARATOR, candidates)
    rank = rank_of(scores, secret_index)
    greedy = generate(tiny, char_tokenizer, DOCUMENT_SEPARATOR + "alice's pin is", 7, temperature=0)
    return rank, exposure(rank, len(candidates)), greedy[len(DOCUMENT_SEPARATOR + "alice's pin is"):]


privacy = {}
for times in (0, 16, 64):
    privacy[times] = secret_report(train_tiny(insert_secret(documents, SECRET, times, seed=0)))
    print(f"secret seen {times:2d} times: rank {privacy[times][0]:4d}, exposure {privacy[times][1]:4.1f} bits, "
          f"greedy continuation {privacy[times][2]!r}")

# %%
assert privacy[64][1] > privacy[0][1] + 2 and privacy[64][1] > 5

# %% [markdown]
# **Defence: deduplicate the training data.** Exact repeats are what the model memorises fastest; Kandpal
# et al. (2022, [arXiv:2202.06539](https://arxiv.org/abs/2202.06539)) found that deduplication strongly
# reduces extractable sequences. Deduplicating the corpus that held 64 copies leaves one:

# %%
with_secret = insert_secret(documents, SECRET, 64, seed=0)
deduplicated = deduplicate(with_secret)
print(f"{len(with_secret)} documents -> {len(deduplicated)} after deduplication; "
      f"copies of the secret: {with_secret.count(SECRET)} -> {deduplicated.count(SECRET)}")
privacy["deduplicated"] = secret_report(train_tiny(deduplicated))
print(f"after deduplication: rank {privacy['deduplicated'][0]}, exposure {privacy['deduplicated'][1]:.1f} bits")
assert privacy["deduplicated"][1] < privacy[64][1] - 1

# %% [markdown]
# ## 3. Bias: models learn and amplify skew
#
# In `TinyWorld(profession_gender_skew=0.9)`, 90% of the doctors, engineers, pilots ... are "he" and 90% of
# nurses, teachers, dancers ... are "she"; chefs, writers, painters and lawyers stay 50/50. We train a tiny
# character model on 3,000 such profession stories and probe P(he) / (P(he) + P(she)) after
# "the doctor said that".

# %%
from helpers.experiments.bias import counterfactual_augment, greedy_pronoun, minimal_pairs, p_he, stereotype_score
from helpers.tinyworld import gender_swap

skewed_world = TinyWorld(0, profession_gender_skew=0.9)
stories = [doc.text for doc in skewed_world.documents(3000, "story", story_type="profession")]
professions = skewed_world.lexicon.professions
pairs = minimal_pairs(professions, skewed_world.lexicon.profession_clauses)
print(stories[0], "|", gender_swap(stories[0]))


def bias_report(tiny):
    """P(he) per profession, greedy pronoun choices and the CrowS-Pairs-style score of a model."""
    probabilities = {name: p_he(tiny, char_tokenizer, name) for name, _ in professions}
    stereotyped = [(name, s) for name, s in professions if s]
    greedy_follows = sum(greedy_pronoun(tiny, char_tokenizer, name) == s for name, s in stereotyped) / len(stereotyped)
    gap = (sum(probabilities[n] for n, s in stereotyped if s == "he") / sum(s == "he" for _, s in stereotyped)
           - sum(probabilities[n] for n, s in stereotyped if s == "she") / sum(s == "she" for _, s in stereotyped))
    return probabilities, greedy_follows, gap, stereotype_score(tiny, char_tokenizer, pairs)


skewed = bias_report(train_tiny(stories, steps=300))
print("P(he):", {name: round(p, 2) for name, p in skewed[0].items()})
print(f"greedy writes the stereotyped pronoun for {skewed[1]:.0%} of stereotyped professions; "
      f"gap P(he | he-professions) - P(he | she-professions) = {skewed[2]:.2f}; stereotype score {skewed[3]:.0%}")
assert skewed[1] >= 0.6 and skewed[2] > 0.1 and skewed[3] > 0.55

# %% [markdown]
# **Counterfactual data augmentation** (CDA; Lu et al., 2018, [arXiv:1807.11714](https://arxiv.org/abs/1807.11714)):
# add a gender-swapped copy of every training story, so each profession appears equally often with each
# pronoun. Same model, same steps:

# %%
augmented = bias_report(train_tiny(counterfactual_augment(stories), steps=300))
print("P(he):", {name: round(p, 2) for name, p in augmented[0].items()})
print(f"gap {skewed[2]:.2f} -> {augmented[2]:.2f}; stereotype score {skewed[3]:.0%} -> {augmented[3]:.0%} (50% = no preference)")
assert abs(augmented[2]) < skewed[2] and abs(augmented[3] - 0.5) <= abs(skewed[3] - 0.5)

# %% [markdown]
# ## 4. Harmful content: a filter around generation
#
# TinyWorld's messages are labelled ham, spam or harmful ("i will hurt you ."). We train a filter that
# flags harmful messages — the word-count classifier of chapter 1 (helpers.word_count_classifier: it trains
# in milliseconds; chapter 6's fine-tuned classifier head would be the stronger choice) — and wrap
# generation so a flagged prompt, or a flagged continuation, gets a refusal.

# %%
from helpers.word_count_classifier import WordCountClassifier

train_messages = TinyWorld(2).documents(600, "message")
held_out = TinyWorld(3).documents(400, "message")
flagger = WordCountClassifier.train([m.text for m in train_messages],
                                    ["harmful" if m.label == "harmful" else "ok" for m in train_messages])
REFUSAL = "sorry , i can not help with that ."


def safe_generate(prompt: str, max_new_tokens: int = 20) -> str:
    """Generate a reply unless the prompt or the reply is flagged harmful; then refuse."""
    if flagger.predict(prompt) == "harmful":
        return REFUSAL
    reply = generate(model, tokenizer, prompt, max_new_tokens, temperature=0.8, seed=0,
                     stop_tokens=tokenizer.encode(DOCUMENT_SEPARATOR))[len(prompt):]
    return REFUSAL if flagger.predict(reply) == "harmful" else prompt + reply


for prompt in ["hey bob , see you soon", "tell me how to hurt bob ."]:
    print(repr(prompt), "->", repr(safe_generate(prompt)))

# %%
flagged = [flagger.predict(m.text) == "harmful" for m in held_out]
is_harmful = [m.label == "harmful" for m in held_out]
false_positive = sum(f and not h for f, h in zip(flagged, is_harmful, strict=True)) / sum(not h for h in is_harmful)
false_negative = sum(h and not f for f, h in zip(flagged, is_harmful, strict=True)) / sum(is_harmful)
print(f"{sum(is_harmful)} harmful of {len(held_out)} held-out messages; false positives {false_positive:.1%} "
      f"(harmless messages refused), false negatives {false_negative:.1%} (harmful ones let through)")
assert false_positive < 0.1 and false_negative < 0.2

# %% [markdown]
# ## 5. A model card from your measurements
#
# Mitchell et al. (2019, "Model Cards for Model Reporting", [arXiv:1810.03993](https://arxiv.org/abs/1810.03993))
# ask every released model to document its data, intended use and measured behaviour. This cell writes one
# from the numbers this notebook just measured:

# %%
card = f"""# Model card: TinyWorld tiny GPT (chapter 8)
- **Data:** TinyWorld synthetic English, {len(documents)} documents (privacy runs); {len(stories)} profession
  stories with a 90/10 gender-profession skew (bias runs).
- **Intended use:** teaching; not for real users or real data.
- **Memorisation:** a secret seen 64 times has exposure {privacy[64][1]:.1f} of {exposure(1, len(candidates)):.1f}
  bits (rank {privacy[64][0]} of {len(candidates)}); deduplication lowers it to {privacy['deduplicated'][1]:.1f} bits.
- **Bias:** pronoun gap {skewed[2]:.2f}, stereotype score {skewed[3]:.0%}; greedy decoding writes the stereotyped
  pronoun for {skewed[1]:.0%} of stereotyped professions. With CDA: gap {augmented[2]:.2f}, score {augmented[3]:.0%}.
- **Safety filter:** false positives {false_positive:.1%}, false negatives {false_negative:.1%} on
  {len(held_out)} held-out messages.
- **Watermark:** gamma {GAMMA}, delta {DELTA}; {detection_rate:.0%} of 160-token texts detected at z > {THRESHOLD:g},
  {false_positive_rate:.0%} false positives.
"""
print(card)

# %% [markdown]
# ## 6. Future directions
#
# - **Longer context.** Attention's cost grows with the square of the context; FlashAttention (Dao et al.,
#   2022, [arXiv:2205.14135](https://arxiv.org/abs/2205.14135)) computes it exactly with less memory
#   traffic, and rotary position embeddings (Su et al., 2021, [arXiv:2104.09864](https://arxiv.org/abs/2104.09864))
#   help models stretch to longer inputs.
# - **Alignment from human preferences.** Instruction-tuned models such as InstructGPT (Ouyang et al., 2022,
#   [arXiv:2203.02155](https://arxiv.org/abs/2203.02155)) are fine-tuned with reinforcement learning from
#   human feedback; Direct Preference Optimization (Rafailov et al., 2023,
#   [arXiv:2305.18290](https://arxiv.org/abs/2305.18290)) learns from the same preference pairs without RL.
# - **Tool use.** Toolformer (Schick et al., 2023, [arXiv:2302.04761](https://arxiv.org/abs/2302.04761))
#   teaches a model to call a calculator or a search engine instead of guessing — the fix for TinyWorld
#   arithmetic that chapter 7 measured.
#
# ## Recap
#
# - A watermark is detectable from the text alone, but on predictable TinyWorld text only 30% of 160-token
#   texts crossed z > 3 (mean z 2.6 against 0.4 unwatermarked, no false positives); distinct-pair counting
#   keeps z honest on a small vocabulary.
# - Exposure grows with the number of times a secret is seen; deduplication brings it down.
# - A tiny model trained briefly on 90/10 data learned part of the association (pronoun gap about 0.2,
#   stereotype score about 70%); greedy decoding turns any preference into always one pronoun (the
#   stereotyped one for 75% of stereotyped professions); counterfactual augmentation brought the gap to
#   about 0.02 and the score to about 50%.
# - A filter can refuse harmful requests; its false positive and false negative rates must be measured.
#
# ## Exercises
#
# 1. Lower δ from 2 to 1: how many tokens does detection need now?
# 2. Insert the secret 64 times but train for half the steps: does exposure drop?
#
# <details><summary>Solutions</summary>
#
# 1. Regenerate `marked` with `delta=1.0` and rerun the length sweep: fewer texts pass z > 4 at each length,
#    so detection needs longer texts — the green bonus shifts fewer choices.
# 2. `secret_report(train_tiny(insert_secret(documents, SECRET, 64, seed=0), steps=100))`: fewer passes over
#    the copies give the model fewer chances to memorise, so exposure is lower.
#
# </details>
#
# **Next:** this is the last chapter; go back to chapter 6 to train a stronger model and measure it again.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
