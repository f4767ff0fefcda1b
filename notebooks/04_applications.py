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
# - detect sentiment zero-shot by comparing the probabilities of label words, negation included;
# - wire these into a small support bot that picks the tone of its answer from your mood.
#
# **Run time:** about a minute on an idle 2-core laptop CPU once the pretrained model is cached (the first
# call of `pretrained()` trains it, about three minutes). The last cell prints this run's time.

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
# Type any opening line into the lab below; move the temperature, top-k and top-p sliders and watch the
# distribution of the next token change (the model is called once per prompt: the sliders only re-weight
# that cached distribution); press *Generate* for a continuation with those settings.

# %%
from helpers.widgets import SamplingLab

opening_line = "alice is reading a book by the river ."  # try your own
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
# This is the weakest of the four skills, and the numbers say so plainly: on plain verdicts ("it was awful")
# and on negated ones ("it was not bad") alike, the detector is no better than a coin flip. The model reads
# and writes reviews fluently, but predicting the next word of a review never forced it to link the
# verdict to the label word. The `helpers.probes` version gives the same numbers (asserted). Chapter 2
# measures how sentiment changes with model size, and chapter 6 teaches the skill by fine-tuning.

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
#
# *What would you ask an LLM to write?* Try it in the SamplingLab: on TinyWorld the honest answer is
# "what it has read": the measured validity shows exactly where it stops being able to.
#
# ## Exercises
#
# 1. Find the temperature at which at least 90% of stories are still valid.
# 2. Prompt the translator with a sentence that uses a word TinyWorld does not know. What happens?
#
# <details><summary>Solutions</summary>
#
# 1. Loop `quality_and_diversity("the cat", 24, temperature=t)` over `t` in steps of 0.1 from 0.3 and
#    stop at the first value below 90%; on this model it lies between the 0.3 and 0.6 measured above.
# 2. `translate("the dragon sees a cat .")`: the unknown word is split into sub-word tokens the model has
#    never seen in this position, and the output usually drops or garbles it — the model can only
#    reproduce the mapping it has seen evidence for.
#
# </details>
#
# **Next:** chapter 5 opens the box and builds this model from scratch, piece by piece.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
