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
# # Chapter 4 — Applications: writing, translating, reading the mood
#
# LLMs are used to translate, to detect the mood of a text (sentiment analysis, "a hidden mood
# detector") and to create content: articles, code, poems, jokes. A customer-support bot combines these:
# it understands both what you ask and how you feel. This chapter takes the TinyWorld model that the
# series pretrained (chapter 6 shows how) and puts it to each use, **measuring** how well it does instead
# of admiring a few examples. Because TinyWorld's grammar is known, we can check every generated text.
#
# After this chapter you will be able to:
#
# - generate text from your own opening line, and measure the trade-off between quality (valid TinyWorld
#   text) and diversity as temperature and top-p change;
# - translate by prompting with the pattern the model saw in pretraining, and score it against references;
# - detect sentiment zero-shot by comparing the probabilities of label words, then try the standard fixes
#   (calibration, few-shot examples, asking the way the text would go on) and tell a prompt that asks badly
#   from a model that does not know;
# - wire these into a small support bot that picks the tone of its answer from your mood.
#
# **Run time:** about 10 seconds on an idle 2-core laptop CPU once the pretrained model is cached (the first
# call of `pretrained()` trains it, about 2 minutes). The last cell prints this run's time.

# %%
import time

started = time.perf_counter()

import matplotlib.pyplot as plt

from helpers.generation import generate, next_token_distribution
from helpers.pretrained import pretrained
from helpers.runtime import seed_everything
from helpers.tinyworld import DOCUMENT_SEPARATOR, TinyWorld

seed_everything(0)
model, tokenizer = pretrained("tinyworld", progress=False)
world = TinyWorld(0)  # the generator, used here as the judge of what is valid text
newline = tokenizer.encode(DOCUMENT_SEPARATOR)  # a document ends at the separator: generation stops there
print(f"model: {model.num_parameters():,} parameters, {model.config.n_layer} layers, "
      f"context {model.config.context_length} tokens; tokenizer: {tokenizer.vocab_size} tokens")
print("stop token:", newline, tokenizer.token_strings(newline))

# %% [markdown]
# ## 1. Content creation: your own opening line
#
# ### Sampling settings, written out
#
# The model gives a score (a logit) to every token of its vocabulary; the softmax turns the scores into
# probabilities, and generation draws the next token from them. Three settings reshape those probabilities
# first, in this order:
#
# - **temperature** T: divide the logits by T (below 1 sharpens the distribution, above 1 flattens it;
#   T = 0 means greedy: always the most likely token);
# - **top-k**: keep only the k most likely tokens;
# - **top-p** (nucleus sampling): keep the most likely tokens while the ones ranked above each hold less
#   than p of the probability, so the token that crosses p is kept.
#
# The tokens left out get a logit of -inf, and the softmax spreads all the probability over the others:

# %%
import torch
import torch.nn.functional as F


def my_reweight(logits: torch.Tensor, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None) -> torch.Tensor:
    """(V,) logits -> (V,) probabilities to sample from."""
    if temperature == 0:  # greedy: all the probability on the best token
        return F.one_hot(logits.argmax(), logits.numel()).float()
    scores = logits / temperature
    order = scores.argsort(descending=True)  # token ids, most likely first
    keep = torch.ones_like(scores, dtype=torch.bool)
    if top_k is not None:
        keep[order[top_k:]] = False
    if top_p is not None:
        ranked = scores.masked_fill(~keep, float("-inf")).softmax(-1)[order]
        held_above = ranked.cumsum(0) - ranked  # probability of the tokens ranked above each one
        keep[order[held_above >= top_p]] = False
    return scores.masked_fill(~keep, float("-inf")).softmax(-1)


# %% [markdown]
# The same numbers as `helpers.generation.reweight`, which the lab and `generate` use, on the model's real
# next-token logits after the opening line below; `check_reweight` also runs it on fixed logits and, if it
# were wrong, would name the mistake it matches (temperature multiplied, top-k off by one, ...).

# %%
from helpers.exercise_checks import check_reweight
from helpers.generation import next_token_logits, prompt_ids, reweight

opening_line = "alice is reading a book by the river ."  # try your own
logits = next_token_logits(model, prompt_ids(tokenizer, opening_line))  # (V,)
for settings in [(1.0, None, None), (0.7, None, None), (1.0, 5, None), (0.8, None, 0.9), (1.2, 20, 0.8), (0, None, None)]:
    assert torch.allclose(my_reweight(logits, *settings), reweight(logits, *settings), atol=1e-6), settings
kept = (my_reweight(logits, 1.0, None, 0.9) > 0).sum().item()
print(f"{tokenizer.vocab_size} tokens; top-p 0.9 keeps {kept} of them after {opening_line!r}")
check_reweight(my_reweight)

# %% [markdown]
# ### The sampling lab
#
# Type any opening line into the lab below; move the temperature, top-k and top-p sliders and watch the
# distribution of the next token change (the model is called once per prompt: the sliders only re-weight
# that cached distribution); press *Generate* for a continuation with those settings.

# %%
from helpers.widgets import SamplingLab

lab = SamplingLab(model, tokenizer, prompt=opening_line, temperature=0.8, seed=0)
lab

# %%
story = lab.generate()
print(story)
assert story.startswith(opening_line)

# %% [markdown]
# ### Quality against diversity, measured
#
# Low temperature keeps the model on its most likely paths: correct but repetitive. High temperature
# explores: more varied, but the text breaks down. We can measure both because TinyWorld can tell whether
# a text is one it could have written (`world.is_valid`):
#
# - **quality** = share of generated documents that are valid TinyWorld text;
# - **diversity** = share of distinct first sentences among the samples (what the model wrote right after
#   the prompt; whole documents are long enough to differ somewhere even when they say the same thing).

# %%
def quality_and_diversity(prompt: str, n: int, *, temperature: float, top_p: float | None = None) -> tuple[float, float]:
    """Sample n documents from the prompt; return (share valid, share of distinct first sentences)."""
    texts = [generate(model, tokenizer, prompt, 60, temperature=temperature, top_p=top_p, seed=s,
                      stop_tokens=newline) for s in range(n)]
    valid = sum(world.is_valid(text) for text in texts) / n
    first_sentences = {text[len(prompt):].split(" .")[0] for text in texts}
    return valid, len(first_sentences) / n


settings = [(t, None) for t in (0.3, 0.6, 1.0, 1.4, 2.0)] + [(1.0, p) for p in (0.5, 0.8, 0.95)]
results = {}
for temperature, top_p in settings:
    results[(temperature, top_p)] = quality_and_diversity("the cat", 24, temperature=temperature, top_p=top_p)
    valid, distinct = results[(temperature, top_p)]
    print(f"temperature {temperature:3.1f}, top-p {top_p or 1.0:4.2f}: valid {valid:5.0%}, distinct {distinct:5.0%}")

# %%
figure, axis = plt.subplots(figsize=(6, 4), dpi=90)
for (temperature, top_p), (valid, distinct) in results.items():
    marker, colour = ("o", "tab:blue") if top_p is None else ("s", "tab:orange")
    axis.scatter(distinct, valid, marker=marker, color=colour)
    axis.annotate(f"T={temperature}" if top_p is None else f"p={top_p}", (distinct, valid),
                  textcoords="offset points", xytext=(5, -3), fontsize=8)
axis.set(xlabel="diversity: share of distinct first sentences", ylabel="quality: share of valid documents",
         title="Sampling settings trade quality for diversity (24 samples each)")
axis.scatter([], [], marker="o", color="tab:blue", label="temperature (top-p off)")
axis.scatter([], [], marker="s", color="tab:orange", label="top-p at temperature 1")
axis.legend(loc="lower left", fontsize=8)
plt.show()

# %%
cold, hot = results[(0.3, None)], results[(2.0, None)]
assert cold[0] > hot[0] + 0.3, "low temperature should give clearly more valid text"
assert hot[1] > cold[1], "high temperature should give more distinct texts"
assert results[(1.0, 0.5)][0] >= results[(1.0, None)][0], "top-p cuts the unlikely tail, so quality does not drop"

# %% [markdown]
# The numbers above are the answer, not an opinion: at temperature 0.3 nearly every story is valid but
# fewer than half of the samples start differently; at 2.0 almost all differ and none is valid. Top-p gets much of the
# quality back at temperature 1 by cutting the unlikely tail, where the broken words live.

# %% [markdown]
# ## 2. Translation by prompting
#
# The model never had a "translate" button. In pretraining it read bilingual passages such as
# `english : the dog sees a cat . tiny : vapo ko ...` inside ordinary text (TinyWorld's second language,
# *Tiny*, puts the verb last and adjectives after nouns, so translation is not word-for-word). Giving it
# the first half of that pattern makes translation the most likely continuation. We score it on held-out
# sentences against the generator's own reference translation.

# %%
def translate(english: str) -> str:
    """Greedy continuation of the bilingual pattern, up to the end of the document."""
    prompt = f"english : {english} tiny :"
    return generate(model, tokenizer, prompt, 40, temperature=0, stop_tokens=newline)[len(prompt):].strip()


held_out = TinyWorld(4242).documents(100, "bilingual")
print(held_out[0].fields["english"], "->", translate(held_out[0].fields["english"]))
print("reference:", held_out[0].fields["tiny"])

# %%
from helpers.pretrained import corpus_texts, recipe_named

training_text = corpus_texts(recipe_named("tinyworld"))[0]
pairs = [(d.fields["english"], d.fields["tiny"]) for d in held_out]
unseen = [(en, ref) for en, ref in pairs if f"english : {en} tiny" not in training_text]
outputs = {en: translate(en) for en, _ in pairs}


def word_accuracy(output: str, reference: str) -> float:
    """Share of reference words the output has in the same position."""
    out, ref = output.split(), reference.split()
    return sum(a == b for a, b in zip(out, ref, strict=False)) / len(ref)


exact = sum(outputs[en] == ref for en, ref in pairs) / len(pairs)
exact_unseen = sum(outputs[en] == ref for en, ref in unseen) / len(unseen)
words = sum(word_accuracy(outputs[en], ref) for en, ref in pairs) / len(pairs)
print(f"{len(pairs)} held-out sentences, {len(unseen)} never seen in pretraining")
print(f"exact match: {exact:.0%} (on never-seen sentences: {exact_unseen:.0%}); words in place: {words:.0%}")
assert len(unseen) > 50 and exact_unseen > 0.4 and words > 0.75

# %% [markdown]
# Almost none of the held-out sentences were in the training text, yet the model translates about half of
# them exactly and puts most words in the right place: it learned Tiny's word order and vocabulary from
# passages, not from a phrase book. The misses are mostly single words in the wrong slot.

# %% [markdown]
# ## 3. The hidden mood detector: sentiment, zero-shot
#
# We never trained a sentiment classifier. Instead we ask the language model which label word it finds
# more probable after a review written as an instruction. From scratch first, for one review:

# %%
review = TinyWorld(99).document("instruction", "sentiment", negation=True)
prompt = review.fields["prompt"]
# the prompt is read as a new document, after the separator, as every document was in pretraining
probabilities = next_token_distribution(model, tokenizer, DOCUMENT_SEPARATOR + prompt)  # (vocab_size,)
positive, negative = (probabilities[tokenizer.encode(f" {w}")[0]].item() for w in ("positive", "negative"))
print(prompt)
print(f"P(positive) = {positive:.3f}, P(negative) = {negative:.3f}; truth: {review.fields['response']}")

# %%
def zero_shot_sentiment(prompt: str) -> str:
    """The label whose word the model finds more probable after the prompt."""
    probabilities = next_token_distribution(model, tokenizer, DOCUMENT_SEPARATOR + prompt)
    score = {w: probabilities[tokenizer.encode(f" {w}")[0]].item() for w in ("positive", "negative")}
    return max(score, key=score.get)


from helpers.probes import accuracy, sentiment_pairs

results_by_kind = {}
for name, negation in (("plain verdicts", False), ("negated verdicts (not bad, not good)", True)):
    items = sentiment_pairs(200, negation=negation)
    mine = sum(zero_shot_sentiment(item.prompt) == item.right for item in items) / len(items)
    theirs = accuracy(model, tokenizer, items)  # helpers.probes compares the same two probabilities
    assert abs(mine - theirs) < 1e-6, (mine, theirs)
    results_by_kind[name] = mine
    print(f"{name:40s} accuracy {mine:.1%}")
plain, negated = results_by_kind.values()
assert 0.35 < plain < 0.65 and 0.35 < negated < 0.65, "the pretrained model reads sentiment at chance"

# %% [markdown]
# A coin flip, on plain verdicts ("it was awful") and on negated ones ("it was not bad") alike; the
# `helpers.probes` version gives the same numbers (asserted). Is the prompt to blame? Three standard fixes,
# each measured on the same 200 + 200 held-out reviews:
#
# - **Calibration** (Zhao et al., 2021). A model can prefer one label word whatever the input. Ask it the
#   question with *no* review (a content-free input), take its preference there as the bias, and subtract
#   it: decide by log P(positive) - log P(negative) minus the same difference for the content-free prompt.
# - **Few-shot prompting** (Brown et al., 2020). Put solved examples before the question, as earlier
#   documents, so the model sees what is asked: three other reviews with their answers (three is the most
#   that fit the model's 128-token context), with `FewShotTask` from `helpers.experiments.few_shot`
#   (chapter 7 uses it).
# - **Ask as the text would go on.** Reviews are far more common in TinyWorld than sentiment questions,
#   and in a review a second verdict carries the first one's sentiment: after "it was not bad . the story
#   was", TinyWorld writes "good", never "bad". Compare P(good) with P(bad) there (`review_pairs`, the
#   probe of chapter 2).

# %%
import torch

from helpers.experiments.few_shot import FewShotTask, few_shot_questions
from helpers.probes import LABEL_FLIP, MinimalPair, pair_margins, review_pairs
from helpers.scoring import continuation_log_probs

QUESTION = "instruction : is this review positive or negative ?"
content_free = f"{QUESTION} response :"  # the question with no review
bias = continuation_log_probs(model, tokenizer, [content_free] * 2, [" positive", " negative"])
bias = float(bias[0] - bias[1])  # log P(positive) - log P(negative) with nothing to read
print(f"content-free prompt: log P(positive) - log P(negative) = {bias:.2f}")


def positive_margins(items: list[MinimalPair]) -> torch.Tensor:
    """log P(positive) - log P(negative) for each sentiment question (N,)."""
    margins = pair_margins(model, tokenizer, items)  # log P(right) - log P(wrong)
    return torch.where(torch.tensor([item.right == "positive" for item in items]), margins, -margins)


methods = {}
for name, negation in (("plain", False), ("negated", True)):
    items = sentiment_pairs(200, negation=negation)
    truth = torch.tensor([item.right == "positive" for item in items])  # (N,)
    margins = positive_margins(items)  # (N,)
    reviews_and_labels = tuple((item.prompt[len(QUESTION) + 1 : -len(" response :")], item.right) for item in items)
    task = FewShotTask("sentiment", reviews_and_labels, template=QUESTION + " {query} response : {answer} .",
                       separator=DOCUMENT_SEPARATOR)
    shots = [MinimalPair(q.prompt, q.answer, LABEL_FLIP[q.answer]) for q in few_shot_questions(task, 3, seed=0)]
    guesses = {"label words": margins > 0, "calibrated": margins - bias > 0,
               "3-shot": positive_margins(shots) > 0}
    for method, guess in guesses.items():
        methods.setdefault(method, {})[name] = (float((guess == truth).float().mean()), float(guess.float().mean()))
    methods.setdefault("review goes on", {})[name] = (accuracy(model, tokenizer, review_pairs(200, negation=negation)),
                                                      None)
print(f"{'':15s} {'plain':>7s} {'negated':>8s}   share answered 'positive' (plain, negated)")
for method, scores in methods.items():
    shares = ", ".join(f"{share:.0%}" for _, share in scores.values()) if scores["plain"][1] is not None else "-"
    print(f"{method:15s} {scores['plain'][0]:7.1%} {scores['negated'][0]:8.1%}   {shares}")

# %%
assert all(0.35 < accuracy_ < 0.65 for scores in methods.values() for accuracy_, _ in scores.values())
assert methods["label words"]["plain"][1] > 0.9 and methods["calibrated"]["plain"][1] < 0.1  # the bias, flipped

# %% [markdown]
# None of them works: every method scores between 45.5% and 52% (asserted: within 35–65%, coin-flip
# territory). Calibration does what it promises, and that is the clue: uncalibrated, the model answers
# "positive" to 97% of plain reviews; calibrated, to none of them. It only moved a *constant* answer
# from one label to the other. A detector that always says the same thing scores the share of that class,
# whichever it says. Why is the answer constant? Look at the margins themselves, review by review:

# %%
figure, axis = plt.subplots(figsize=(6, 2.6), dpi=90)
items = sentiment_pairs(200, negation=None)  # TinyWorld's own mixture of plain and negated verdicts
margins = positive_margins(items)
is_positive = torch.tensor([item.right == "positive" for item in items])
bins = torch.linspace(float(margins.min()) - 0.05, max(float(margins.max()), bias) + 0.05, 40).tolist()
axis.hist(margins[is_positive].tolist(), bins=bins, alpha=0.6, label="positive reviews", color="tab:green")
axis.hist(margins[~is_positive].tolist(), bins=bins, alpha=0.6, label="negative reviews", color="tab:red")
axis.axvline(0, color="black", linewidth=1, label="label words decide here")
axis.axvline(bias, color="tab:blue", linestyle="--", linewidth=1, label="calibration decides here")
axis.set(xlabel="log P(positive) - log P(negative)", ylabel="reviews",
         title="Positive and negative reviews get the same answer")
axis.legend(fontsize=7, loc="upper left")
plt.tight_layout()
plt.show()
gap = float(margins[is_positive].mean() - margins[~is_positive].mean())
ranked = float((margins[is_positive][:, None] > margins[~is_positive][None, :]).float().mean())
print(f"margin {float(margins.mean()):.2f} ± {float(margins.std()):.2f} over 200 reviews; "
      f"mean of positive reviews minus mean of negative ones: {gap:+.3f}")
print(f"a positive review gets the larger margin in {ranked:.0%} of (positive, negative) pairs")
assert abs(gap) < 0.05 and 0.4 < ranked < 0.6

# %% [markdown]
# The margin moves from review to review (0.43 ± 0.17 nats), but not with the verdict: positive reviews
# average 0.004 nats *less* than negative ones, and a positive review gets the larger margin in 50% of
# (positive, negative) pairs, a coin flip. The two histograms lie on top of each other, so no threshold
# separates them, and calibration only moves the threshold (from the black line to the blue one).
#
# So the fault is not the prompt. Calibration, examples and better-phrased questions change how a model
# *uses* what it knows; they were designed for large models that know the answer but are asked badly
# (Zhao et al. measured calibration on GPT-3). They cannot add what the model never learned. In TinyWorld
# text the verdict decides only a few next words (a sentiment question's answer, a second verdict), and
# 600 steps of a 0.94M-parameter model did not pick that up. Chapter 2 found the same for every model size
# it trained; chapter 6 teaches the skill by fine-tuning.

# %% [markdown]
# ## 4. A support bot that hears how you feel
#
# A short pipeline: read the message, detect its mood with the zero-shot detector, pick the tone of the
# answer. (The answer text is a template: TinyWorld has no support conversations to learn replies from;
# the point is the *understanding* step, done by the language model.)

# %%
TONES = {
    "negative": "I am sorry to hear that. Let us fix it together:",
    "positive": "Great to hear! Here is how to get even more out of it:",
}


def support_reply(message: str) -> tuple[str, str]:
    """(mood, reply): the mood the model reads in the message and an answer in the matching tone."""
    text = " ".join(message.lower().replace(".", " .").replace(",", " ,").split())
    mood = zero_shot_sentiment(f"instruction : is this review positive or negative ? {text} response :")
    return mood, f"{TONES[mood]} ..."


for message in ["I watched the film last night. It was not bad.",
                "We visited the cafe on the corner. It was awful.",
                "I finished the new book yesterday. It was not disappointing."]:
    mood, reply = support_reply(message)
    print(f"{message:62s} -> {mood:8s} {reply}")

# %%
your_message = "i tried the soup at the cafe . it was not good ."  # try your own (TinyWorld words work best)
print(support_reply(your_message))
reviews = TinyWorld(7).documents(100, "review")
bot_accuracy = sum(support_reply(r.text)[0] == r.label for r in reviews) / len(reviews)
print(f"mood read correctly on {bot_accuracy:.0%} of 100 held-out reviews written as messages")
assert 0.3 < bot_accuracy < 0.8

# %% [markdown]
# The bot reads the mood right little more than half the time on TinyWorld's mixture of reviews:
# the pipeline works, but its mood detector is the weak zero-shot one measured above. A reliable bot needs
# a detector trained for the job — chapter 6 fine-tunes one, and you can plug it into `support_reply`.
#
# ## Recap
#
# - One pretrained next-token predictor did four jobs with no task-specific training: creative generation,
#   translation, sentiment and a support pipeline. Each was *prompted* into the behaviour — and measuring
#   each showed which ones it does well (writing, translation) and which it only imitates (sentiment).
# - Sampling settings trade quality for diversity; TinyWorld lets us measure both.
# - Translation and sentiment scores above are measured on held-out text, negation included.
# - Calibration, few-shot examples and better-phrased questions change how a model uses what it knows; they
#   cannot add what it never learned. Our model's answer about sentiment does not depend on the review, so
#   every prompt stays at a coin flip.
#
# *What would you ask an LLM to write?* Try it in the SamplingLab: on TinyWorld the honest answer is
# "what it has read": the measured validity shows exactly where it stops being able to.
#
# ## Exercises
#
# 1. Find the temperature at which at least 90% of stories are still valid.
# 2. Prompt the translator with a sentence that uses a word TinyWorld does not know. What happens?
# 3. Calibrate with other content-free inputs (Zhao et al. used "N/A" and an empty string): the question
#    around "n/a", or around "it was ." Does any of them give more than a coin flip?
# 4. Break `my_reweight` the way people often do: multiply by the temperature, or keep `top_k + 1` tokens,
#    or keep only the tokens whose running total stays below p. Run `check_reweight(my_reweight)` on each.
#
# <details><summary>Solutions</summary>
#
# 1. Loop `quality_and_diversity("the cat", 24, temperature=t)` over `t` in steps of 0.1 from 0.3 and
#    stop at the first value below 90%; on this model it lies between the 0.3 and 0.6 measured above.
# 2. `translate("the dragon sees a cat .")`: the unknown word is split into sub-word tokens the model has
#    never seen in this position, and the output usually drops or garbles it — the model can only
#    reproduce the mapping it has seen evidence for.
# 3. Replace `content_free` by `f"{QUESTION} n/a response :"` (or `f"{QUESTION} it was . response :"`) and
#    run the cell again: the bias changes (every one we tried was larger than the margin of any real review),
#    so the calibrated detector still answers one label for everything and stays at the share of that
#    class. A content-free input cannot create a difference between reviews that the model does not make.
# 4. `check_reweight` stops with an `ExerciseMistake` naming each one: "the logits are multiplied by the
#    temperature", "top-k keeps one token too many", "top-p drops the token that crosses p". The last one
#    matters most: with a very likely first token (probability above p) it keeps nothing at all.
#
# </details>
#
# **Next:** chapter 5 opens the box and builds this model from scratch, piece by piece.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
