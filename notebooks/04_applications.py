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
# it understands both what you ask and how you feel. This chapter takes the series' reference model, a GPT
# pretrained on TinyWorld and nothing else, and puts it to each use, **measuring** how well it does against
# a baseline instead of admiring a few examples. Because TinyWorld's grammar is known, every generated text
# can be checked.
#
# After this chapter you will be able to:
#
# - write temperature, top-k and top-p sampling yourself, and measure the trade-off between quality (valid
#   TinyWorld text) and diversity they control;
# - translate by prompting with a pattern the model saw in pretraining, and with one it never saw;
# - read sentiment out of a model that was never trained to classify, and tell a prompt that asks badly
#   from a model that does not know;
# - build a support bot whose replies depend on what the customer wants and how they feel, and score it.
#
# **Run time:** about two minutes on an idle 2-core laptop CPU. The models' weights come with the course, so
# nothing is trained here; the last cell prints this run's time.

# %%
import time

started = time.perf_counter()

import matplotlib.pyplot as plt
import torch

from helpers.pretrained import pretrained
from helpers.runtime import seed_everything
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, TinyWorld

seed_everything(0)
model, tokenizer = pretrained("tinyworld2-l", progress=False)
world = TinyWorld(0)  # the generator, used here as the judge of what is valid text
newline = tokenizer.encode(DOCUMENT_SEPARATOR)  # a document ends at the separator: generation stops there
print(f"reference model: {model.num_parameters():,} parameters, {model.config.n_layer} layers of width "
      f"{model.config.n_embd}, context {model.config.context_length} tokens; tokenizer: {tokenizer.vocab_size} tokens")

# %% [markdown]
# The reference model read 12.9 million tokens of TinyWorld 2: stories, reviews, support conversations,
# messages and word lists (chapter 2 shows the size ladder it tops; `make pretrain` trained it once, in
# 26 minutes, and its weights are committed). It was trained for one thing only: to predict the next token.
# Every baseline this chapter compares with needs a name, and the first is the **smallest model of the same
# ladder**: one layer of width 32, trained on the same tokens.

# %%
small_model, small_tokenizer = pretrained("tinyworld2-xs", progress=False)
print(f"smallest ladder model: {small_model.num_parameters():,} parameters, {small_model.config.n_layer} layer "
      f"of width {small_model.config.n_embd}")

# %% [markdown]
# Why would a model trained only to predict the next token learn to translate, or to read a review's mood?
# Because in TinyWorld 2 it pays. TinyWorld knows the exact probability of every document, so it can score
# each document twice: as it is, and as a reader who never works out one hidden thing (the review's verdict,
# the customer's intent or mood, what a sentence means in Tiny) would have to predict it. The difference is
# what learning that thing is worth in next-token loss (`TinyWorld.ability_gain`):

# %%
print(f"{'ability':10s} {'documents where it matters':>27s} {'nats saved per such document':>30s}")
for ability in ("language", "sentiment", "intent", "mood"):
    gain = world.ability_gain(ability, 1000)
    print(f"{ability:10s} {gain.share_of_documents:27.1%} {gain.nats_per_document:30.2f}")
    assert gain.nats_per_char > 3 * gain.nats_per_char_se  # worth learning: more than noise

# %% [markdown]
# A reader who cannot translate loses 12.6 nats on each document that glosses a sentence (one document in
# seven): it must guess every Tiny word. Not knowing a review's verdict costs 1.35 nats per review, and not
# knowing the customer's intent or mood 1.6 and 1.1 nats per conversation. Each is worth learning, so a model
# that predicts well enough has learned it; the sections below check whether ours has, and whether we can get
# it out with the right prompt.

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
# ### The sampling lab: what would you ask an LLM to write?
#
# The source text asks what you would have an LLM write. Type it into the lab's *Prompt* box: any opening
# line. Move the temperature, top-k and top-p sliders and watch the distribution of the next token change
# (the model is called once per prompt: the sliders only re-weight that cached distribution); press
# *Generate* for a continuation with the settings shown beside it. TinyWorld words work best: the model has
# read nothing else.

# %%
from helpers.widgets import SamplingLab

lab = SamplingLab(model, tokenizer, prompt=opening_line, temperature=0.8, seed=0, max_new_tokens=60)
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
#
# 200 stories per setting, all starting "alice is", sampled as one batch; each share is quoted with its
# standard error, sqrt(p (1 - p) / 200), at most 3.5 points.

# %%
import math

from helpers.generation import generate_ids

SAMPLES = 200


def standard_error(share: float, n: int) -> float:
    return math.sqrt(share * (1 - share) / n)


def sample_stories(prompt: str, n: int, *, temperature: float, top_p: float | None = None) -> list[str]:
    """n documents continuing the prompt, sampled together (a batch of n copies of it), each up to the separator."""
    ids = generate_ids(model, [prompt_ids(tokenizer, prompt)] * n, 120, temperature=temperature, top_p=top_p,
                       seed=0, stop_tokens=newline)
    return [tokenizer.decode(row) for row in ids]


def quality_and_diversity(prompt: str, stories: list[str]) -> tuple[float, float]:
    """(share valid, share of distinct first sentences)."""
    valid = sum(world.is_valid(text) for text in stories) / len(stories)
    first_sentences = {text[len(prompt):].split(" .")[0] for text in stories}
    return valid, len(first_sentences) / len(stories)


settings = [(t, None) for t in (0.3, 0.6, 1.0, 1.4, 2.0)] + [(1.0, p) for p in (0.5, 0.8, 0.95)]
stories, results = {}, {}
for temperature, top_p in settings:
    stories[(temperature, top_p)] = sample_stories("alice is", SAMPLES, temperature=temperature, top_p=top_p)
    valid, distinct = results[(temperature, top_p)] = quality_and_diversity("alice is", stories[(temperature, top_p)])
    print(f"temperature {temperature:3.1f}, top-p {top_p or 1.0:4.2f}: valid {valid:6.1%} ± {standard_error(valid, SAMPLES):.1%}, "
          f"distinct first sentences {distinct:6.1%}")

# %%
figure, axis = plt.subplots(figsize=(6, 4), dpi=80)
for (temperature, top_p), (valid, distinct) in results.items():
    marker, colour = ("o", "tab:blue") if top_p is None else ("s", "tab:orange")
    axis.errorbar(distinct, valid, yerr=standard_error(valid, SAMPLES), fmt=marker, color=colour, capsize=2)
    axis.annotate(f"T={temperature}" if top_p is None else f"p={top_p}", (distinct, valid),
                  textcoords="offset points", xytext=(5, -3), fontsize=8)
axis.set(xlabel="diversity: share of distinct first sentences", ylabel="quality: share of valid documents",
         title=f"Sampling settings trade quality for diversity ({SAMPLES} stories each)")
axis.scatter([], [], marker="o", color="tab:blue", label="temperature (top-p off)")
axis.scatter([], [], marker="s", color="tab:orange", label="top-p at temperature 1")
axis.legend(loc="lower left", fontsize=8)
plt.show()

# %%
cold, hot, nucleus, plain = results[(0.3, None)], results[(2.0, None)], results[(1.0, 0.5)], results[(1.0, None)]
assert cold[0] - hot[0] > 3 * standard_error(cold[0], SAMPLES), "low temperature gives clearly more valid text"
assert hot[1] - cold[1] > 3 * standard_error(cold[1], SAMPLES), "high temperature gives clearly more distinct texts"
assert nucleus[0] - plain[0] > 3 * standard_error(plain[0], SAMPLES), "top-p cuts the tail where broken text lives"

# %% [markdown]
# The numbers are the answer, not an opinion. At temperature 0.3, 90.5% of the stories are valid, but only
# 8.5% of them start differently (17 distinct first sentences in 200); at 2.0, 96.5% differ and none is valid.
# At temperature 1, which samples exactly the model's own probabilities, fewer than half (48.5 ± 3.5%) are
# valid: the model puts a little probability on a mistake at nearly every word, and over a story of a hundred
# tokens the little amounts add up. Top-p gets much of the quality back at temperature 1 (81.5 ± 2.7% at
# p = 0.5) by cutting the unlikely tail, where the broken words live, and pays in diversity (4.5%).
#
# ### Where a story goes wrong
#
# TinyWorld can say more than "invalid": it can find the first word no TinyWorld document could have at
# that point (`world.is_valid_prefix` accepts exactly the beginnings of documents it can write). Here is that
# point in the invalid stories sampled at temperature 1, the wrong words in brackets:

# %%
def first_mistake(text: str) -> int:
    """How many words of the text a TinyWorld document can start with: the first wrong word's index."""
    words = text.split(" ")
    return max(k for k in range(len(words) + 1) if world.is_valid_prefix(" ".join(words[:k]) + " " * (0 < k < len(words))))


invalid = [text for text in stories[(1.0, None)] if not world.is_valid(text)]
mistakes = [(text.split(" "), first_mistake(text)) for text in invalid]
for words, k in mistakes[:6]:
    print("...", " ".join(words[max(0, k - 12) : k]), "[[", " ".join(words[k : k + 4]), "]]")
at_the_end = sum(len(words) - k <= 6 for words, k in mistakes)
PLACE_CUES = ("home from the", "she leaves the", "he leaves the", "down by the")  # the closing sentence's place
wrong_place = sum(" ".join(words[k - 3 : k]) in PLACE_CUES for words, k in mistakes)
print(f"\n{len(invalid)} invalid stories; in {at_the_end} the first mistake is in the last six words, and in "
      f"{wrong_place} it is the place named in the closing sentence")

# %% [markdown]
# In 71 of the 103 invalid stories the first mistake is in the last six words, and in 58 it is the same one:
# the closing sentence names the place the hero goes home from ("later , she takes the picture home from the
# market"), and it is not where the story put her many words before. The model writes each sentence well;
# what it loses is a fact from far back in the story. TinyWorld 2 makes stories refer back like this on purpose
# (chapter 3 looks at the attention that carries such facts); the count shows the reference model has learned
# it only in part, and that a wrong detail, not broken grammar, is what a good model typically gets wrong.

# %% [markdown]
# ## 2. Translation by prompting
#
# The model never had a "translate" button, and TinyWorld 2 has no translation documents. What it has is
# incidental bilingual text, inside stories: a traveller from the land of Tiny, a friend repeating a
# sentence, a sign with its Tiny version under it. About one document in seven has some (the table above), for instance:

# %%
from helpers.pretrained import corpus_texts, recipe_named

training_text = corpus_texts(recipe_named("tinyworld2-l"))[0]  # the text the model was pretrained on
glossed = next(line for line in training_text.split(DOCUMENT_SEPARATOR) if ", and in tiny that is" in line)
print(glossed)
print(f"\n{training_text.count(', and in tiny that is'):,} glosses in this form in "
      f"{training_text.count(DOCUMENT_SEPARATOR):,} pretraining documents")

# %% [markdown]
# *Tiny* puts the verb last and adjectives after nouns, so translation is not word for word. To translate,
# we write the first half of such a gloss and let greedy decoding finish it. The prompt starts with the
# separator that ends a document, so the model reads it as the start of a new one, as in pretraining. The test sentences come from
# TinyWorld's own English-to-Tiny pairs (chapter 6's instruction data, drawn with a seed no corpus uses), and
# we keep only sentences that occur **nowhere** in the pretraining text, so the model cannot simply recall a
# translation it read. The generator's translation is the reference.

# %%
from helpers.experiments.abilities import EVALUATION_SEED, translation_pairs
from helpers.generation import generate
from helpers.tinyworld2 import INSTRUCTIONS


def translate(english: str, model=model, tokenizer=tokenizer) -> str:
    """Greedy continuation of an English sentence glossed the way the stories gloss it, up to its closing quote."""
    prompt = f'{DOCUMENT_SEPARATOR}alice is reading a book by the river . tom says " {english} " , and in tiny that is "'
    return generate(model, tokenizer, prompt, 40, temperature=0, stop_tokens=newline)[len(prompt):].split('"')[0].strip()


drawn = TinyWorld(EVALUATION_SEED, mixture=INSTRUCTIONS).documents(300, "instruction", "translate")
english_and_tiny = [(doc.fields["instruction"].split(" : ", 1)[1], doc.fields["response"]) for doc in drawn]
unseen = [(english, tiny) for english, tiny in english_and_tiny
          if english not in training_text and tiny not in training_text]
pairs = unseen[:200]
print(f"{len(english_and_tiny) - len(unseen)} of {len(english_and_tiny)} drawn sentence pairs occur in the "
      f"pretraining text; we test on {len(pairs)} that do not")
assert pairs == translation_pairs(200, pretraining_text=training_text)  # the helpers' held-out pairs
english, tiny = pairs[0]
print(f"\n{english} -> {translate(english)}\nreference: {tiny}")

# %%
def exact_matches(translator, pairs, **models) -> list[tuple[str, str, str]]:
    """(English, reference, output) for every pair the translator gets wrong, word for word."""
    misses = []
    for english, tiny in pairs:
        output = translator(english, **models)
        if output != tiny:
            misses.append((english, tiny, output))
    return misses


misses = exact_matches(translate, pairs)
small_misses = exact_matches(translate, pairs, model=small_model, tokenizer=small_tokenizer)
gloss_accuracy, small_gloss_accuracy = (1 - len(misses) / len(pairs)), (1 - len(small_misses) / len(pairs))
print(f"exact match on {len(pairs)} unseen sentences: reference model {gloss_accuracy:.1%} ± "
      f"{standard_error(gloss_accuracy, len(pairs)):.1%}; smallest model {small_gloss_accuracy:.1%}")
for english, tiny, output in misses[:3]:
    print(f"  missed: {english!r} -> {output!r} (reference {tiny!r})")
for english, tiny, output in small_misses[:3]:
    print(f"  smallest model: {english!r} -> {output!r} (reference {tiny!r})")

# %%
assert gloss_accuracy - small_gloss_accuracy > 3 * standard_error(gloss_accuracy, len(pairs))
assert gloss_accuracy > 0.9

# %% [markdown]
# The reference model translates 199 of the 200 unseen sentences exactly (99.5 ± 0.5%); its one miss drops
# an adjective ("a lazy ball": "pala" without "pigra"). The smallest model of the ladder, trained on the same
# text, gets none: it writes Tiny-looking words in Tiny's order ("vapo na ... na trovas"), not the sentence it
# was given. The 73 sentences of 300 that we set aside show why the check matters: TinyWorld's sentences are
# short, and many of them occur somewhere in 300,000 documents.
#
# ### A format it never saw
#
# Now ask in a format no pretraining document uses, `" the dog runs . " in tiny is "`, first with no example
# (zero-shot), then with one solved example in front of the question (one-shot). The example is another
# unseen sentence; an answer counts when the model writes the reference exactly, up to the closing quote.

# %%
from helpers.experiments.abilities import translation_question

assert '" in tiny is "' not in training_text  # the format's middle, in no pretraining document


def in_new_format(english: str, model=model, tokenizer=tokenizer, example: tuple[str, str] | None = None) -> str:
    """Greedy translation asked as '" <english> " in tiny is "', after an optional solved example."""
    prompt = DOCUMENT_SEPARATOR + translation_question(english, [example] if example else [])
    return generate(model, tokenizer, prompt, 40, temperature=0, stop_tokens=newline)[len(prompt):].split('"')[0].strip()


next_pair = {english: pairs[(index + 1) % len(pairs)] for index, (english, _) in enumerate(pairs)}


def one_shot(english: str, **models) -> str:
    """The question after one solved example: the next test pair."""
    return in_new_format(english, example=next_pair[english], **models)


new_format = {}
for name, models in (("reference model", {}), ("smallest model", dict(model=small_model, tokenizer=small_tokenizer))):
    for shots, translator in ((0, in_new_format), (1, one_shot)):
        wrong = exact_matches(translator, pairs, **models)
        new_format[(name, shots)] = (1 - len(wrong) / len(pairs), wrong)
        accuracy = new_format[(name, shots)][0]
        print(f"{name:16s} {shots} example: {accuracy:6.1%} ± {standard_error(accuracy, len(pairs)):.1%}")
for english, tiny, output in new_format[("reference model", 0)][1][:3]:
    print(f"  zero-shot miss: {english!r} -> {output!r} (reference {tiny!r})")

# %%
zero_shot, with_example = new_format[("reference model", 0)][0], new_format[("reference model", 1)][0]
assert with_example - zero_shot > 3 * standard_error(zero_shot, len(pairs)), "one example tells it what is asked"
assert with_example - new_format[("smallest model", 1)][0] > 3 * standard_error(with_example, len(pairs))

# %% [markdown]
# Zero-shot, the reference model gets 26.5 ± 3.1% of them: it writes a Tiny sentence, but gets a word wrong
# (its misses above: a subject doubled or swapped), as if unsure what the quotes ask for. One solved example
# is enough: 99.0 ± 0.7%. The example does not teach Tiny (the model knew it already, as the glosses showed);
# it shows what this new format asks for. That is in-context learning, which chapter 7 measures across model sizes. The smallest
# model stays at 0% with or without the example: there is nothing for the example to unlock.

# %% [markdown]
# ## 3. The hidden mood detector: sentiment, with no training for it
#
# We never trained a sentiment classifier. But a TinyWorld review ends with a recommendation that follows
# its verdict ("i would go back", "i would not recommend it", ...), so a model that predicts the next words
# well must have worked out the verdict from the review. To read it, cut the review before its
# recommendation and compare how probable the model finds the good recommendations against the bad ones.
# Three kinds of held-out review (200 each, half positive, none of them a pretraining document), each harder
# for a model that only counts words:
#
# - **plain**: the evidence says it ("the music was bad");
# - **negated**: "the story was not poor", which a word counter reads as bad;
# - **sarcastic**: an exclamation that is sincere in a good review and ironic in a bad one ("what a wonderful
#   concert . the music was bad"), followed by a bare fact ("the shower was cold"); only the fact tells.

# %%
from helpers.experiments.abilities import ability_tests
from helpers.scoring import continuation_log_probs

GOOD = [f" {good} ." for good, _ in world.lexicon.recommendations]  # " i would go back .", ...
BAD = [f" {bad} ." for _, bad in world.lexicon.recommendations]


def positive_margins(reviews: list[str], model=model, tokenizer=tokenizer) -> torch.Tensor:
    """(N,) log P(a good recommendation comes next) - log P(a bad one does), per review."""
    closings = GOOD + BAD
    log_probs = continuation_log_probs(model, tokenizer, [review for review in reviews for _ in closings],
                                       closings * len(reviews)).view(len(reviews), len(closings))
    return log_probs[:, : len(GOOD)].logsumexp(1) - log_probs[:, len(GOOD) :].logsumexp(1)


tests = ability_tests(200, pretraining_text=training_text)  # held-out items: prompts cut before the closing
sarcastic = tests["sentiment (sarcastic)"].items[-1]  # a bad review
print(sarcastic.prompt)
closings = GOOD + BAD
probabilities = continuation_log_probs(model, tokenizer, [sarcastic.prompt] * len(closings), closings).exp()
for closing, probability in zip(closings, probabilities, strict=True):
    print(f"  P({closing!r:36}) = {probability:.4f}")
print(f"margin {float(positive_margins([sarcastic.prompt])[0]):+.1f} nats: the model expects a bad recommendation")

# %%
FORMS = ("plain", "negated", "sarcastic")
margins, truths = {}, {}
for form in FORMS:
    items = tests[f"sentiment ({form})"].items
    truths[form] = torch.tensor([item.answer == 0 for item in items])  # True: a positive review
    for name, models in (("reference", (model, tokenizer)), ("smallest", (small_model, small_tokenizer))):
        margins[(name, form)] = positive_margins([item.prompt for item in items], *models)


def sentiment_accuracy(name: str, form: str) -> float:
    return float(((margins[(name, form)] > 0) == truths[form]).float().mean())


# the helpers version of the same test (helpers.experiments.abilities) gives the same accuracy
from helpers.experiments.abilities import gpt_scorer

assert tests["sentiment (negated)"].run(gpt_scorer(model, tokenizer)).accuracy == sentiment_accuracy("reference", "negated")
print(f"{'':10s} {'majority class':>15s} {'smallest model':>15s} {'reference model':>16s}")
for form in FORMS:
    majority = max(float(truths[form].float().mean()), 1 - float(truths[form].float().mean()))
    reference, smallest = sentiment_accuracy("reference", form), sentiment_accuracy("smallest", form)
    print(f"{form:10s} {majority:15.1%} {smallest:9.1%} ± {standard_error(smallest, 200):.1%} "
          f"{reference:10.1%} ± {standard_error(reference, 200):.1%}")

# %%
for form, target in (("plain", 0.85), ("negated", 0.75), ("sarcastic", 0.75)):
    reference, smallest = sentiment_accuracy("reference", form), sentiment_accuracy("smallest", form)
    assert reference >= target and reference - 0.5 > 3 * standard_error(reference, 200), form  # majority: 50%
assert sentiment_accuracy("reference", "negated") - sentiment_accuracy("smallest", "negated") > 3 * standard_error(
    sentiment_accuracy("smallest", "negated"), 200)

# %% [markdown]
# The reference model reads the verdict of all 600 reviews (100%, against 50% for the majority class),
# negated and sarcastic ones included. The smallest model of the ladder shows what a model that has not learned
# it looks like: 62.5% on plain reviews, 78.5% on sarcastic ones, and 41.5% on negated ones, below a coin flip,
# because it reads "not bad" as bad. A perfect score on 200 items has a standard error of zero, which does not
# mean a perfect model: with no error in 200, the error rate may still be up to about 1.5% (3 / 200, the "rule
# of three" for a 95% bound).
#
# ### A prompt that asks badly
#
# The usual way to ask a model for a label is a question: "is this review positive or negative ?", then
# compare P(positive) with P(negative). Ask the reference model so, about the same 600 reviews, in the format
# of chapter 6's instruction data, which is not part of its pretraining text. If its answer is one label
# whatever the review, **calibration** (Zhao et al., 2021) is the standard fix: ask the same question with no
# review (a content-free input), take the model's preference there as its bias, and subtract it.

# %%
QUESTION = "instruction : is this review positive or negative ?"
assert QUESTION not in training_text
reviews = [item.prompt for form in FORMS for item in tests[f"sentiment ({form})"].items]
is_positive = torch.cat([truths[form] for form in FORMS])  # (600,)
log_probs = continuation_log_probs(model, tokenizer, [f"{QUESTION} {review} response :" for review in reviews for _ in (0, 1)],
                                   [" positive", " negative"] * len(reviews)).view(-1, 2)
asked = log_probs[:, 0] - log_probs[:, 1]  # (600,) log P(positive) - log P(negative)
bias = continuation_log_probs(model, tokenizer, [f"{QUESTION} response :"] * 2, [" positive", " negative"])
bias = float(bias[0] - bias[1])
goes_on = torch.cat([margins[("reference", form)] for form in FORMS])  # the recommendations' margins, as above


def ranked_right(margin: torch.Tensor) -> float:
    """Share of (positive, negative) review pairs in which the positive review gets the larger margin (0.5: none)."""
    return float((margin[is_positive][:, None] > margin[~is_positive][None, :]).float().mean())


asked_accuracy = float(((asked > 0) == is_positive).float().mean())
calibrated_accuracy = float(((asked - bias > 0) == is_positive).float().mean())
print(f"asked as a question: {asked_accuracy:.1%} right, 'positive' for {float((asked > 0).float().mean()):.0%} of reviews")
print(f"calibrated (content-free bias {bias:+.1f} nats): {calibrated_accuracy:.1%} right, "
      f"'positive' for {float((asked - bias > 0).float().mean()):.0%}")
print(f"positive review ranked above negative one: asked {ranked_right(asked):.1%}, "
      f"as the review goes on {ranked_right(goes_on):.1%}")

# %%
figure, axes = plt.subplots(1, 2, figsize=(9, 2.8), dpi=80)
for axis, margin, title, cut in ((axes[0], asked, "asked, calibrated: log P(positive) - log P(negative)", bias),
                                 (axes[1], goes_on, "as the review goes on: good - bad recommendation", 0.0)):
    bins = torch.linspace(float(margin.min()) - 0.1, float(margin.max()) + 0.1, 40).tolist()
    axis.hist(margin[is_positive].tolist(), bins=bins, alpha=0.6, label="positive reviews", color="tab:green")
    axis.hist(margin[~is_positive].tolist(), bins=bins, alpha=0.6, label="negative reviews", color="tab:red")
    axis.axvline(cut, color="black", linewidth=1, label="decision")
    axis.set(xlabel="nats", ylabel="reviews", title=title)
    axis.title.set_fontsize(9)
axes[0].legend(fontsize=7, loc="upper left")
plt.tight_layout()
plt.show()

# %%
chance = 3 * standard_error(0.5, len(reviews))
assert abs(calibrated_accuracy - 0.5) < chance and abs(ranked_right(asked) - 0.5) < 0.1, "asked badly: chance"
assert ranked_right(goes_on) > 0.99, "the same model, the same reviews: it knows"

# %% [markdown]
# Asked as a question, the model answers "negative" to every review (50.0% right: the share of negative
# reviews). Calibration does what it promises and moves the bias: now 77% of the answers are "positive". It is
# still right on only 47.7 ± 2.0%, a coin flip, and the left histogram shows why: positive and negative reviews
# get the same margins (a positive review ranks above a negative one in 42.8% of pairs), so no threshold
# separates them. On the right, the same model on the same reviews, read as the review goes on, separates them
# completely.
#
# So the fault is the prompt, not the model: it knows every verdict, but it never read the question "is this
# review positive or negative ?" followed by its answer. A pretrained model must be asked in the form of its
# pretraining text (GPT-2's authors got summaries by appending "TL;DR:", which is how the web marks them); to
# be asked in any form, it needs instruction tuning (chapter 6). Calibration was designed for models that know
# the answer and state it with a bias (Zhao et al. measured it on GPT-3, which had read plenty of questions);
# it cannot make an answer depend on a review when it does not.

# %% [markdown]
# ## 4. A support bot that hears how you feel
#
# TinyWorld's support conversations are a customer's message, with what they want (the **intent**: a late
# delivery, a refund, a broken item, a locked account, a cancellation) and how they feel (the **mood**:
# angry, calm or happy), then the agent's reply, whose first sentence answers the mood and whose second
# does what was asked. The bot is nothing but the language model continuing the conversation after
# "agent :". TinyWorld then reads the reply back: a valid conversation whose reply was written for the
# customer's intent and mood counts as right.

# %%
def support_reply(message: str, model=model, tokenizer=tokenizer) -> str:
    """The agent's reply to a customer's message: greedy decoding up to the end of the conversation."""
    prompt = f"{DOCUMENT_SEPARATOR}customer : {message} agent :"
    return generate(model, tokenizer, prompt, 40, temperature=0, stop_tokens=newline)[len(prompt):].strip()


def read_reply(message: str, reply: str) -> tuple[str, str] | None:
    """(intent, mood) TinyWorld would have written this reply for; None if it would never write it."""
    conversation = f"customer : {message} agent : {reply}"
    if not world.is_valid(conversation):
        return None
    parsed = world.parse(conversation)
    return parsed.label, parsed.fields["mood"]


drawn = TinyWorld(EVALUATION_SEED).documents(1500, "support")
conversations = [doc for doc in drawn if doc.text not in training_text][:200]
print(f"{sum(doc.text in training_text for doc in drawn)} of {len(drawn)} conversations drawn are in the pretraining "
      f"text word for word; we test on {len(conversations)} that are not")
assert len(conversations) == 200
example = conversations[0]
message = example.fields["message"].removeprefix("customer : ")
print(f"customer: {message}\nbot:      {support_reply(message)}\n"
      f"read as {read_reply(message, support_reply(message))}; the customer's intent and mood: "
      f"{(example.label, example.fields['mood'])}")

# %%
from collections import Counter

scores = {}
for name, models in (("reference", {}), ("smallest", dict(model=small_model, tokenizer=small_tokenizer))):
    outcomes = []
    for doc in conversations:
        message = doc.fields["message"].removeprefix("customer : ")
        reply = support_reply(message, **models)
        outcomes.append((message, reply, read_reply(message, reply), (doc.label, doc.fields["mood"])))
    scores[name] = outcomes
majority_answer, majority_count = Counter(needed for *_, needed in scores["reference"]).most_common(1)[0]
majority = majority_count / len(conversations)
print(f"{len(conversations)} held-out conversations; the most common need, {majority_answer}, is "
      f"{majority:.1%} of them (a bot with one constant reply scores that)")
for name, outcomes in scores.items():
    right = sum(read == needed for _, _, read, needed in outcomes) / len(outcomes)
    never = sum(read is None for _, _, read, _ in outcomes) / len(outcomes)
    print(f"{name:9s} model: right reply {right:6.1%} ± {standard_error(right, len(outcomes)):.1%}; "
          f"a reply TinyWorld would never write there: {never:.1%}")
    scores[name] = (right, outcomes)

# %%
bot_accuracy, bot_outcomes = scores["reference"]
small_accuracy, small_outcomes = scores["smallest"]
assert bot_accuracy >= 0.9 and bot_accuracy - majority > 3 * standard_error(bot_accuracy, len(bot_outcomes))
assert bot_accuracy - small_accuracy > 3 * standard_error(bot_accuracy, len(bot_outcomes))
print("the reference model's misses:", [outcome[:2] for outcome in bot_outcomes if outcome[2] != outcome[3]][:3] or "none")
print("the smallest model's misses, for contrast:")
for message, reply, read, needed in [outcome for outcome in small_outcomes if outcome[2] != outcome[3]][:3]:
    print(f"  {message}\n    -> {reply}\n    needed {needed}: " + ("a reply TinyWorld would never write here" if read is None
                                                              else f"written for {read}"))

# %% [markdown]
# The reference model's reply is right for all 200 held-out conversations (with no miss in 200, its error rate
# is below about 1.5%), against 12.5% for the best constant reply. It reads the mood even when a negation says
# it ("i am not angry at all , just curious" is a happy customer) and copies the customer's item into the
# reply. The smallest model answers the mood but gives nearly every customer the same action, for a lamp:
# a reply TinyWorld would never write, right for 3.5 ± 1.3%. Note what we had to exclude: 1,196 of the
# 1,500 conversations drawn were in the pretraining text word for word (support conversations are short and
# formulaic), so testing on them would have measured memory.
#
# Write your own message below (lower case, with spaces around punctuation, as TinyWorld writes):

# %%
your_message = "hello , the kettle stopped working . this is a joke ."  # try your own
your_reply = support_reply(your_message)
print(your_reply, "\n->", read_reply(your_message, your_reply))

# %% [markdown]
# ## Recap
#
# - One pretrained next-token predictor did four jobs with no task-specific training: writing, translation,
#   sentiment and a support bot. Each was *prompted* into the behaviour, and each was measured against a
#   baseline: the smallest model of the same ladder, the majority class, a constant reply.
# - Sampling settings trade quality for diversity, and TinyWorld measures both. The stories the reference
#   model gets wrong go wrong late, where they refer back to what was written long before.
# - A model translates in the pattern its pretraining text showed it, on sentences it never read; in a
#   format it never saw, one example is enough to tell it what is asked.
# - Sentiment, negated and sarcastic reviews included, is read from what the model expects next. Asked as a
#   question it never read, the same model answers by chance, and calibration cannot fix that: the way a model
#   is asked must match what it read (chapter 6 teaches it to follow instructions).
#
# ## What we measured
#
# Each claim of the chapter, the reference model's figure (± one standard error) and the baseline it beats
# by at least three standard errors, from this run:

# %%
from IPython.display import Markdown


def measured(share: float, n: int) -> str:
    return f"{share:.1%} ± {standard_error(share, n):.1%}"


rows = [
    ("Low temperature writes more valid stories than high", f"{measured(cold[0], SAMPLES)} valid at T = 0.3",
     f"T = 2.0: {measured(hot[0], SAMPLES)}"),
    ("High temperature writes more varied stories", f"{hot[1]:.1%} distinct first sentences at T = 2.0",
     f"T = 0.3: {measured(cold[1], SAMPLES)}"),
    ("Top-p cuts the broken tail", f"{measured(nucleus[0], SAMPLES)} valid at p = 0.5, T = 1",
     f"no top-p: {measured(plain[0], SAMPLES)}"),
    ("Translates unseen sentences in the pattern of its pretraining text",
     f"{measured(gloss_accuracy, len(pairs))} exact", f"smallest model: {measured(small_gloss_accuracy, len(pairs))}"),
    ("One example teaches a format never seen", f"{measured(with_example, len(pairs))} exact with one example",
     f"no example: {measured(zero_shot, len(pairs))}"),
    *[(f"Reads the sentiment of {form} reviews, untrained", measured(sentiment_accuracy("reference", form), 200),
       f"majority class 50%; smallest model {measured(sentiment_accuracy('smallest', form), 200)}") for form in FORMS],
    ("Asked in a format it never read, it does not answer", f"calibrated {measured(calibrated_accuracy, len(reviews))}",
     f"coin flip 50%; the same model as the review goes on {ranked_right(goes_on):.1%} of pairs ranked"),
    ("The support bot replies for the customer's intent and mood", measured(bot_accuracy, len(bot_outcomes)),
     f"constant reply {majority:.1%}; smallest model {measured(small_accuracy, len(small_outcomes))}"),
]
Markdown("| claim | result | baseline |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))

# %% [markdown]
# ## Exercises
#
# 1. Find the highest temperature at which at least 90% of the stories are still valid.
# 2. Translate a sentence with a word TinyWorld does not know ("the dragon sees a cat ."). What happens?
# 3. Calibrate the question with other content-free inputs (Zhao et al. used "N/A" and an empty string):
#    the question around "n/a", or around "it was .". Does any of them lift the question above a coin flip?
# 4. Break `my_reweight` the way people often do: multiply by the temperature, or keep `top_k + 1` tokens,
#    or keep only the tokens whose running total stays below p. Run `check_reweight(my_reweight)` on each.
# 5. Give the support bot a message whose mood is said with a negation ("i am not happy at all" is angry,
#    "i am not angry at all , just curious" is happy). Does it still answer the mood? And the smallest model?
#
# <details><summary>Solutions</summary>
#
# 1. Loop `quality_and_diversity("alice is", sample_stories("alice is", 200, temperature=t))` over `t` in steps
#    of 0.05 from 0.3 and stop at the first value below 90%: on this model 0.3 is the answer (90.5%); 0.35
#    already gives 86.5% and 0.5 gives 73.5%.
# 2. `translate("the dragon sees a cat .")`: "dragon" is split into sub-word tokens the model has never seen
#    in a gloss, and it writes some Tiny word it knows in its place or copies the pieces: a model can only
#    reproduce a mapping it has seen evidence for.
# 3. Replace `f"{QUESTION} response :"` by `f"{QUESTION} n/a response :"` (or `f"{QUESTION} it was . response
#    :"`) and run the cell again: the bias changes, but the ranking of the reviews does not (about half of the
#    positive reviews rank above a negative one, with any bias), so no threshold separates them. Calibration
#    moves the threshold; it cannot create a difference between reviews that the model's answer does not make.
# 4. `check_reweight` stops with an `ExerciseMistake` naming each one: "the logits are multiplied by the
#    temperature", "top-k keeps one token too many", "top-p drops the token that crosses p". The last one
#    matters most: with a very likely first token (probability above p) it keeps nothing at all.
# 5. `support_reply("my lamp arrived broken . i am not happy at all .")` answers as to an angry customer
#    ("i am so sorry for the trouble ."): the model read the whole phrase, not the word "happy". Run it with
#    `model=small_model, tokenizer=small_tokenizer` to compare (section 4 measured both on 200 messages).
#
# </details>
#
# **Next:** chapter 5 opens the box and builds this kind of model from scratch, piece by piece.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
