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
# # Chapter 1 — What a language model does: predict the next word
#
# Machines now read, write and hold conversations. Large language models (LLMs) such as ChatGPT are
# neural networks trained on huge amounts of text, and the task they are trained on is surprisingly
# small: **given the text so far, predict the next word**. Earlier programs managed narrow tasks —
# tagging spam, matching simple patterns — but not open-ended requests. This chapter asks the question
# the whole series starts from:
#
# > *Can a machine learn language well enough to predict what comes next in a conversation?*
#
# and answers it with numbers you measure yourself, on a small world of text whose true probabilities
# are known — including the true probability of every next word.
#
# After this chapter you will be able to:
#
# - generate and read TinyWorld documents (stories, reviews, support conversations, messages, lists), say
#   how likely each one is and what the true distribution of its next word is, exactly, and what the best
#   possible predictor would score (the *entropy floor*), in *nats*;
# - cut text into tokens three ways — characters, words, byte-pair encoding (BPE) — and train a small BPE;
# - build a count-based n-gram model, compare its distribution after "the cat sat on the" with the true
#   one, sample from it, and show where it fails;
# - write a training loop yourself (forward, loss, backward, gradient clipping, AdamW, learning-rate
#   schedule, evaluation), check that it gives the same losses as `helpers.training.train`, and train a
#   first neural next-word predictor with it;
# - measure a model three ways — cross-entropy per character, top-1 accuracy against what the true
#   distribution would score, and against a baseline — always with a standard error;
# - build the kind of narrow spam tagger that came before LLMs, and show what it cannot do.
#
# **Run time:** under a minute on a 2-core laptop CPU, about half of it TinyWorld computing true next-word
# distributions (a busy machine takes longer; the last cell prints the time of this run). No download
# and no pretrained model is needed (GPT-2's tokenizer is shown when its files are available, and skipped
# otherwise).

# %%
import time

started = time.perf_counter()

import math
import random
import re
import statistics
from collections import Counter
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from IPython.display import Markdown
from torch import nn

from helpers.runtime import seed_everything

seed_everything(0)
torch.set_num_threads(1)  # the chapter's models are tiny: one thread is as fast, and stays fast on a busy machine
torch.set_printoptions(precision=3, sci_mode=False)
plt.rcParams.update({"figure.dpi": 80, "savefig.dpi": 80})
print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")

# %% [markdown]
# ![Text goes in, a probability for every possible next token comes out; pick one, append it, repeat.](../images/01_next_word_loop.png)
#
# The picture is the whole chapter in one loop: the text so far is cut into **tokens**, a **model** gives
# a probability to every token that could come next, one is picked and appended, and the loop repeats.
# Everything below makes one part of it concrete. (The probabilities in the picture are those of the count
# model you build in section 3.)
#
# ## 1. Meet TinyWorld
#
# Real text has no answer key: nobody knows the true probability of the next word in a Wikipedia article.
# The series therefore uses **TinyWorld**, a generator of short English documents — stories, reviews,
# support conversations between a customer and an agent, messages, word lists — written by a small grammar
# with known choice weights. What a document means decides what it says later: a story's hero decides
# whether it later says "she" or "he", a customer's problem decides the agent's reply. For every document
# TinyWorld knows the exact probability with which it wrote it.
#
# Probabilities of whole texts are tiny, so we work with their logarithms. `log_prob` below is the
# *natural* logarithm, ln p. Its unit is the **nat**: an event of probability p carries −ln p nats of
# surprise, so a certain event carries 0 nats, a coin flip ln 2 ≈ 0.69 nats, one chance in a thousand 6.9
# nats. (With log base 2 the unit would be the *bit*: 1 nat = 1/ln 2 ≈ 1.44 bits.) Surprises of
# independent events add up, as logarithms of multiplied probabilities do.

# %%
from helpers.tinyworld2 import TinyWorld

world = TinyWorld(seed=0)
for doc in world.documents(6):
    print(f"{doc.kind:8} {str(doc.label):9} log p = {doc.log_prob:7.2f} nats  (1 in {math.exp(-doc.log_prob):,.0f})")
    print(f"         {doc.text}")

# %% [markdown]
# The generator can also score any text you give it: a document it could have written gets the same number,
# and a text it could never write gets probability zero (log probability minus infinity).

# %%
doc = world.document("story", story_type="scene")
print(doc.text)
print("world.log_prob(text) =", round(world.log_prob(doc.text), 4), " doc.log_prob =", round(doc.log_prob, 4))
scrambled = "cat the sat mat on the ."
print(f"{scrambled!r}: log p = {world.log_prob(scrambled)}, valid: {world.is_valid(scrambled)}")
assert math.isclose(world.log_prob(doc.text), doc.log_prob, rel_tol=1e-9)
assert world.log_prob(scrambled) == -math.inf and not world.is_valid(scrambled)

# %% [markdown]
# ### The true next word
#
# A language model's job is the next word, and TinyWorld knows the true answer to that too:
# `world.next_word_probabilities(prefix)` is the exact distribution of the word that follows a prefix of
# whole words ("\n", the document separator, stands for the end of the document). The probability of a
# whole document is the product of the probabilities of its words, each given the words before it, and of
# its end — so the log-probabilities add up. Checked on a support conversation, word by word:

# %%
conversation = world.document("support")
words = conversation.text.split(" ")
chained = 0.0
for i, word in enumerate(words + ["\n"]):  # every word, then the end of the document
    distribution = world.next_word_probabilities(" ".join(words[:i]))
    chained += math.log(distribution[word])
    if i in (0, 4, words.index("agent") + 2, len(words)):
        top = ", ".join(f"{w!r} {p:.2f}" for w, p in list(distribution.items())[:3])
        print(f"after {' '.join(words[max(0, i - 4):i])!r:32} the truth is {top}; it was {word!r}")
print(f"sum of the words' log-probabilities {chained:.6f} = the document's log_prob {conversation.log_prob:.6f}")
assert math.isclose(chained, conversation.log_prob, rel_tol=1e-9)

# %% [markdown]
# At the start of a document many words are possible; inside the agent's reply, the customer's problem has
# already decided most of what comes. Keep this tool in mind: later in the chapter it tells us how well the
# best possible predictor would do on the very positions where we test our models.
#
# ### The entropy floor: the best score any model can reach
#
# A model that predicts the next word assigns a probability to a whole text (multiply its probability for
# each word, given the words before). Its **cross-entropy** is how surprised it is on average: minus the log
# probability it gave the text, in nats, divided by the number of characters. Lower is better. No model
# can beat, on average, the generator itself: its average surprise is the **entropy** of TinyWorld, the
# floor under every loss in this series. One character unit makes every model comparable, whatever its
# tokens.
#
# From scratch: sample documents, average their surprise, divide by their average length (each document
# ends with a line break, which counts as one character).

# %%
sample = TinyWorld(seed=5).documents(4000)
surprise_per_document = sum(-d.log_prob for d in sample) / len(sample)  # nats
characters_per_document = sum(len(d.text) + 1 for d in sample) / len(sample)  # + 1: the line break
estimate = surprise_per_document / characters_per_document
print(f"from scratch: {surprise_per_document:.2f} nats per document / {characters_per_document:.1f} characters "
      f"= {estimate:.4f} nats per character")

# %% [markdown]
# TinyWorld computes the same quantity exactly (the entropy per document follows from the grammar's weights;
# only the average length is sampled):

# %%
floor = world.entropy_floor()
print(f"entropy floor: {floor.nats_per_char:.4f} nats per character = {floor.bits_per_char:.4f} bits per character")
print(f"               {floor.nats_per_word:.4f} nats per word (the line break counts as a word)")
assert abs(estimate - floor.nats_per_char) / floor.nats_per_char < 0.05

# %% [markdown]
# About 0.23 bits per character means that, once you know the grammar perfectly, most characters are no
# surprise at all: after "the cat sat on the m" the rest of "mat" is certain.
#
# The rest of the chapter learns from a training text of 20,000 documents and measures on 1,000 other
# documents (a held-out *validation* text, drawn with another seed).

# %%
from helpers.tinyworld2 import DOCUMENT_SEPARATOR

train_text = TinyWorld(seed=0).corpus_text(20_000)
val_text = TinyWorld(seed=1).corpus_text(1_000)
print(f"training text: {len(train_text):,} characters; validation text: {len(val_text):,} characters")
print(f"documents end with {DOCUMENT_SEPARATOR!r}; the first two:")
print(train_text[: train_text.index("\n", train_text.index("\n") + 1) + 1])

# %% [markdown]
# ## 2. Tokens: what a model reads
#
# A neural network computes with numbers, not letters. A **tokenizer** cuts text into pieces (tokens) and
# gives each piece an id. There are three common ways to cut.
#
# **Characters.** The vocabulary is every character of the training text.

# %%
characters = sorted(set(train_text))
char_to_id = {c: i for i, c in enumerate(characters)}
sentence = "the cat sat on the mat ."
char_ids = [char_to_id[c] for c in sentence]
print(f"{len(characters)} characters: {''.join(characters)!r}")
print(f"{len(char_ids)} tokens:", char_ids)

# %% [markdown]
# The same, from `helpers.tokenizers` (it also keeps an id for `<|endoftext|>` and one for unknown
# characters, after the ordinary ones):

# %%
from helpers.tokenizers import CharacterTokenizer

char_tokenizer = CharacterTokenizer.train(train_text)
assert char_tokenizer.encode(sentence) == char_ids
print(char_tokenizer, "->", char_tokenizer.token_strings(char_ids[:6]))

# %% [markdown]
# **Words.** The vocabulary is every word and punctuation mark (one character each, so the word game's
# arrow "->" is two tokens); the line break that ends a document is a token of its own.

# %%
def split_words(text: str) -> list[str]:
    """Text as words, single punctuation marks and line breaks (spaces dropped)."""
    return re.findall(r"\w+|[^\w\s]|\n", text)


word_vocabulary = sorted(set(split_words(train_text)))
word_to_id = {w: i for i, w in enumerate(word_vocabulary)}
word_ids = [word_to_id[w] for w in split_words(sentence)]
print(f"{len(word_vocabulary)} words, e.g. {word_vocabulary[100:108]}")
print(f"{len(word_ids)} tokens:", word_ids)

# %%
from helpers.tokenizers import WordTokenizer

tokenizer = WordTokenizer.train(train_text)  # the tokenizer of the rest of the chapter
assert tokenizer.encode(sentence) == word_ids
assert tokenizer.token_strings(tokenizer.encode(val_text)) == split_words(val_text)
print(tokenizer)

# %% [markdown]
# Words make short sequences, but a word the training text never showed has no id (it becomes `<|unk|>`),
# and real text has an endless supply of new words, names and typos. **Byte-pair encoding (BPE)**, used by
# GPT-2 and most LLMs, starts from the 256 possible bytes (so nothing is ever unknown) and learns to merge
# the most frequent neighbouring pair into a new token, again and again.
#
# From scratch, ten merges on a small text. (GPT-2 first cuts text into chunks — a word with its leading
# space, punctuation, ... — and never merges across chunks; `pre_split` does that cut.)

# %%
from helpers.tokenizers import pre_split

small_text = train_text[:20_000]
chunks = [list(chunk.encode("utf-8")) for chunk in pre_split(small_text, ["<|endoftext|>"])]
pieces = [bytes([b]) for b in range(256)]  # id -> bytes
merges = []
for _ in range(10):
    pairs = Counter(pair for ids in chunks for pair in zip(ids, ids[1:], strict=False))
    best = min(pairs, key=lambda pair: (-pairs[pair], pair))  # the most frequent pair (ties: smaller ids)
    new_id = len(pieces)
    pieces.append(pieces[best[0]] + pieces[best[1]])
    merges.append((pieces[best[0]], pieces[best[1]]))
    for i, ids in enumerate(chunks):  # replace the pair by the new id everywhere
        merged, j = [], 0
        while j < len(ids):
            if j + 1 < len(ids) and (ids[j], ids[j + 1]) == best:
                merged.append(new_id)
                j += 2
            else:
                merged.append(ids[j])
                j += 1
        chunks[i] = merged
    print(f"merge {len(merges):2}: {pieces[best[0]]!r:8} + {pieces[best[1]]!r:8} -> {pieces[-1]!r:10} "
          f"({pairs[best]} times)")

# %% [markdown]
# The helpers' trainer learns the same merges (faster: it only recounts the chunks a merge changed). Then
# a BPE with 500 tokens, trained live on the first 200,000 characters:

# %%
from helpers.tokenizers import BPETokenizer

assert BPETokenizer.train(small_text, vocab_size=256 + 1 + 10).merges == merges  # 256 bytes + <|endoftext|>
t0 = time.perf_counter()
bpe = BPETokenizer.train(train_text[:200_000], vocab_size=500)
print(f"trained {bpe} in {time.perf_counter() - t0:.2f} s")
bpe_ids = bpe.encode(sentence)
assert bpe_ids == bpe.encode_pure_python(sentence)  # the readable encoder and tiktoken's agree
print(f"{len(bpe_ids)} tokens:", bpe.token_strings(bpe_ids))

# %% [markdown]
# Type into the TokenizerLab to see any text cut by two tokenizers side by side (pick them in the
# drop-downs; GPT-2's is among them when its files are available). The picture below the controls is kept
# in the notebook, so you see it on GitHub too. Note how the word tokenizer turns every word TinyWorld never
# uses (and every capitalised one) into `<|unk|>`, while BPE falls back on smaller pieces.

# %%
from helpers.downloads import DownloadError
from helpers.tokenizers import gpt2_tokenizer
from helpers.widgets import TokenizerLab

tokenizers = {"words": tokenizer, "characters": char_tokenizer, "BPE (ours, 500)": bpe}
try:
    tokenizers["GPT-2"] = gpt2_tokenizer()
except DownloadError:
    print("GPT-2's tokenizer files are not available offline; the lab shows the other three.")
TokenizerLab(tokenizers, text="customer : my kettle arrived broken . Tokenizers split unbelievably long words!",
             compare="BPE (ours, 500)")

# %% [markdown]
# How many tokens does each need for the validation text? Fewer tokens means a model sees more text in
# the same number of steps, but a bigger vocabulary means more outputs to choose from.

# %%
print(f"{'tokenizer':16} {'vocabulary':>10} {'tokens':>8} {'characters per token':>21}")
for name, each in tokenizers.items():
    n_tokens = len(each.encode(val_text))
    print(f"{name:16} {each.vocab_size:10,} {n_tokens:8,} {len(val_text) / n_tokens:21.2f}")
unknown = sum(i == tokenizer.unk_id for i in tokenizer.encode("the zebra sat on the mat ."))
print(f"'zebra' is not a TinyWorld word: the word tokenizer makes {unknown} <|unk|> of it;"
      f" BPE cuts it into {bpe.token_strings(bpe.encode(' zebra'))}")
if "GPT-2" in tokenizers:
    gpt2 = tokenizers["GPT-2"]
    print("GPT-2, trained on web text, cuts ' unbelievably long words' into",
          gpt2.token_strings(gpt2.encode(" unbelievably long words")))

# %% [markdown]
# Since TinyWorld has a closed vocabulary (the words and punctuation marks counted above, plus the line
# break), the rest of this chapter uses **words** as tokens: every model then predicts "the next word",
# literally. Chapter 5 returns to BPE for open text.
#
# ## 3. A count-based next-word model
#
# The oldest way to predict the next word is to count. A **bigram** model looks at the last word only: after
# "the", which words followed in the training text, and how often?

# %%
train_words = split_words(train_text)
val_words = split_words(val_text)
bigrams = Counter(zip(train_words, train_words[1:], strict=False))
after_the = Counter({second: count for (first, second), count in bigrams.items() if first == "the"})
total = sum(after_the.values())
print(f"{len(train_words):,} training words; 'the' is followed by {len(after_the)} different words:")
for word, count in after_the.most_common(6):
    print(f"  the -> {word:8} {count:5} / {total} = {count / total:.3f}")

# %% [markdown]
# Dividing each count by the total turns counts into a probability distribution over the next word. A
# **trigram** model reads the last two words, a **4-gram** the last three. After "the cat sat on the" (a
# sentence TinyWorld writes in its animal scenes), and beside them the truth:

# %%
prompt = "the cat sat on the"
assert world.is_valid_prefix(prompt)
context = prompt.split()
scratch = {}
for n in (2, 3, 4):
    grams = Counter(zip(*[train_words[i:] for i in range(n)], strict=False))  # every run of n words
    window = tuple(context[-(n - 1):])
    following = Counter({gram[-1]: count for gram, count in grams.items() if gram[:-1] == window})
    scratch[n] = {word: count / sum(following.values()) for word, count in following.items()}
    top = ", ".join(f"{w} {p:.2f}" for w, p in sorted(scratch[n].items(), key=lambda x: -x[1])[:5])
    print(f"{n}-gram reads {' '.join(window)!r:14} -> {top}")
truth_after_prompt = world.next_word_probabilities(prompt)
print(f"TinyWorld's truth          -> {', '.join(f'{w} {p:.2f}' for w, p in list(truth_after_prompt.items())[:5])}")

# %% [markdown]
# With one word of context, "the" could be followed by any noun; "on the" narrows it to places and
# surfaces; "sat on the" to things one sits on, close to the truth (the counts read a sample of
# TinyWorld, so they are a little off). `helpers.ngram_model.NGramModel` keeps the same counts
# (`smoothing="none"` gives the raw frequencies):

# %%
from helpers.ngram_model import NGramModel

for n in (2, 3, 4):
    raw = NGramModel.train(train_words, n, smoothing="none").next_token_distribution(context)
    assert all(math.isclose(raw[w], p) for w, p in scratch[n].items())
    assert math.isclose(sum(raw[w] for w in scratch[n]), 1.0)
print("the from-scratch frequencies equal NGramModel's, for n = 2, 3, 4")

# %% [markdown]
# Raw counts have a flaw: a word never seen after a context gets probability zero, so a single new
# combination in a new text makes the whole text "impossible". `NGramModel` therefore **smooths** by
# default (Witten-Bell): it mixes each context's counts with the prediction of the next shorter context,
# trusting the counts more when the context was seen often. Every word keeps a small probability. The
# *unigram* (n = 1) reads no context at all: it always gives each word its overall frequency, and serves
# below as the baseline "no context".

# %%
t0 = time.perf_counter()
count_models = {n: NGramModel.train(train_words, n) for n in (1, 2, 3, 4)}
print(f"counted in {time.perf_counter() - t0:.1f} s:", *count_models.values(), sep="\n  ")

figure, axes = plt.subplots(1, 4, figsize=(11, 2.4), sharex=True)
shown_distributions = {f"{n}-gram after '{' '.join(context[-(n - 1):])}'": count_models[n].next_token_distribution(
    context) for n in (2, 3, 4)}
shown_distributions["TinyWorld's truth"] = truth_after_prompt
for ax, (title, distribution) in zip(axes, shown_distributions.items(), strict=True):
    top = list(distribution.items())[:6]
    ax.barh([w for w, _ in top][::-1], [p for _, p in top][::-1], color="#4c8bf5" if "gram" in title else "#495057")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("probability")
figure.suptitle("The next word after 'the cat sat on the', with 1, 2 and 3 words of context, and the truth",
                fontsize=11)
figure.tight_layout()
plt.show()

# %% [markdown]
# ### Sampling: the model writes
#
# To write, draw the next word at random with these probabilities, append it, and repeat (the loop of the
# picture at the top). From scratch, 1,000 draws of the next word. How close should the share of "mat"
# come to its probability p? A share measured on n independent draws wobbles around p by about
# √(p(1−p)/n): its **standard error**. We quote every measured figure in this series as value ± standard
# error; two figures that differ by less than about three standard errors are **within noise**, by more
# they really differ.

# %%
distribution = count_models[4].next_token_distribution(context)
rng = random.Random(0)
draws = Counter(rng.choices(list(distribution), weights=list(distribution.values()))[0] for _ in range(1000))
share_mat = draws["mat"] / 1000
se_mat = math.sqrt(distribution["mat"] * (1 - distribution["mat"]) / 1000)
print("1000 draws after 'the cat sat on the':", draws.most_common(5))
print(f"'mat' drawn {share_mat:.3f} of the time; its probability {distribution['mat']:.3f} ± {se_mat:.3f}: "
      f"{abs(share_mat - distribution['mat']) / se_mat:.1f} standard errors apart, within noise")
assert abs(share_mat - distribution["mat"]) < 3 * se_mat

# %% [markdown]
# `model.generate(context, max_tokens, seed=..., stop=["\n"])` repeats the draw until the end of a document.
# Each model writes 200 documents; TinyWorld then says which of them it could have written itself. The
# baseline is the bigram.

# %%
def share_with_se(hits: list) -> tuple[float, float]:
    """The share of True (or the mean of 0/1 values), and its standard error."""
    share = sum(hits) / len(hits)
    return share, math.sqrt(share * (1 - share) / len(hits))


valid_share = {}
for n in (2, 4):
    documents = [" ".join(count_models[n].generate(["\n"], 100, seed=seed, stop=["\n"])[:-1]) for seed in range(200)]
    valid_share[n] = share_with_se([world.is_valid(d) for d in documents])
    print(f"{n}-gram: {valid_share[n][0]:.1%} ± {valid_share[n][1]:.1%} of 200 sampled documents are valid "
          f"TinyWorld; e.g.\n   {documents[1]}")
valid_gain = valid_share[4][0] - valid_share[2][0]
valid_gain_se = math.hypot(valid_share[4][1], valid_share[2][1])
print(f"4-gram minus bigram: {valid_gain:.1%} ± {valid_gain_se:.1%}")
assert valid_gain > 3 * valid_gain_se and valid_share[4][0] < 1 - 3 * valid_share[4][1]

# %% [markdown]
# The bigram writes word salad that is locally plausible and never once a valid document; the 4-gram
# writes valid ones about one time in eight. The rest still stitch together pieces that TinyWorld would
# never write: a customer asks about a jacket and the agent promises a lamp, because the product was named
# more than three words ago.
#
# ### Measuring a model: cross-entropy per character
#
# How good is a model at prediction? Score the validation text: for each word, the probability the model
# gave it (given the words before), then minus the sum of the logs, per character. From scratch, keeping
# each word's surprise (its nats), then with the helper:

# %%
words_before = ["\n"] + val_words  # the validation text starts a new document
count_nats = {}  # n -> the surprise of every validation word, in nats
for n, model in count_models.items():
    count_nats[n] = [-math.log(model.probability(words_before[max(0, i - n + 1):i], words_before[i]))
                     for i in range(1, len(words_before))]
    helper = model.cross_entropy(val_words, context=["\n"], characters=len(val_text))
    assert math.isclose(sum(count_nats[n]) / len(val_text), helper, rel_tol=1e-9)
print(f"bigram: {sum(count_nats[2]):,.0f} nats over {len(val_text):,} characters = "
      f"{sum(count_nats[2]) / len(val_text):.4f} nats per character, as model.cross_entropy says")

# %% [markdown]
# A per-character loss is a ratio, total nats over total characters, and its standard error comes from how
# much it varies from document to document: add up each document's nats and characters, then the usual
# standard error of a ratio of means. To compare two models on the same text, take the difference of
# their nats document by document (a *paired* difference: the documents' own ease or difficulty cancels,
# so differences are measured far more precisely than each loss alone).

# %%
characters_of_document = [len(text) + 1 for text in val_text.split("\n")[:-1]]  # + 1: the line break
document_of_word, document = [], 0
for word in val_words:
    document_of_word.append(document)
    document += word == "\n"  # the line break is the last word of its document


def per_character(nats: list[float]) -> tuple[float, float]:
    """Nats per character of the validation text, from each word's nats, and its standard error."""
    by_document = [0.0] * len(characters_of_document)
    for document, value in zip(document_of_word, nats, strict=True):
        by_document[document] += value
    loss = sum(by_document) / sum(characters_of_document)
    residuals = [n - loss * c for n, c in zip(by_document, characters_of_document, strict=True)]
    return loss, statistics.stdev(residuals) / math.sqrt(len(residuals)) / statistics.fmean(characters_of_document)


def difference(nats_a: list[float], nats_b: list[float]) -> tuple[float, float]:
    """Model a's nats per character minus model b's, on the same words, with the standard error of the pair."""
    return per_character([a - b for a, b in zip(nats_a, nats_b, strict=True)])


count_loss = {n: per_character(nats) for n, nats in count_nats.items()}
for n, (loss, se) in count_loss.items():
    print(f"{n}-gram: {loss:.4f} ± {se:.4f} nats per character ({loss / floor.nats_per_char:.2f} x the entropy floor)")

# %% [markdown]
# And why smoothing is needed: without it, the 4-gram gives some validation words probability zero.

# %%
unsmoothed = NGramModel.train(train_words, 4, smoothing="none")
zeros = sum(unsmoothed.probability(words_before[max(0, i - 3):i], words_before[i]) == 0
            for i in range(1, len(words_before)))
infinite = unsmoothed.cross_entropy(val_words, context=["\n"])
print(f"without smoothing, the 4-gram gives probability 0 to {zeros} of {len(val_words):,} validation words: "
      f"cross-entropy {infinite}")
assert zeros > 0 and infinite == math.inf

# %% [markdown]
# ### Where counting fails: a pronoun whose antecedent is far back
#
# ![An n-gram model reads only the last n - 1 words; the name a pronoun refers to is 20 and more words back.](../images/01_ngram_windows.png)
#
# TinyWorld's hero stories name a hero, then tell of other people, then say "she" or "he" about the hero,
# at least twenty words after the name. The count models read at most three words. The baseline is a coin:
# do they pick the right pronoun more often than half the time? (A tie, the same probability for both,
# counts as half right.)

# %%
from helpers.tinyworld2 import pronoun_probe

stories = TinyWorld(seed=2).documents(300, "story", story_type="hero")
story_prompt, pronoun = pronoun_probe(stories[0])
print(f"{story_prompt} ___   (answer: {pronoun}, referring to {stories[0].fields['antecedent']})")
distances = [s.fields["distance"] for s in stories]
print(f"the hero's name is {min(distances)} to {max(distances)} words back, {statistics.fmean(distances):.0f} "
      f"on average")


def pronoun_scores(probability_of, stories) -> list[float]:
    """1 where the right pronoun gets more probability than the wrong one, 0 where less, 0.5 for a tie.

    probability_of(prompt, word) is the model's probability of word right after prompt."""
    scores = []
    for story in stories:
        prompt, pronoun = pronoun_probe(story)
        right, wrong = (probability_of(prompt, w) for w in (pronoun, "he" if pronoun == "she" else "she"))
        scores.append(1.0 if right > wrong else 0.5 if right == wrong else 0.0)
    return scores


count_pronoun = {}
for n in (2, 3, 4):
    scores = pronoun_scores(lambda prompt, word, model=count_models[n]: model.probability(["\n"] + split_words(prompt),
                                                                                           word), stories)
    count_pronoun[n] = (statistics.fmean(scores), 0.5 / math.sqrt(len(scores)))  # a coin's standard error
    print(f"{n}-gram picks the right pronoun in {count_pronoun[n][0]:.1%} ± {count_pronoun[n][1]:.1%} "
          f"of {len(stories)} stories")
assert all(abs(accuracy - 0.5) < 3 * se for accuracy, se in count_pronoun.values())  # a coin flip, within noise

# %% [markdown]
# Within noise of a coin flip, for every window. The information is in the text, but outside the window.
# Counting longer windows does not fix it — a 30-word context almost never repeats exactly in any
# training text — which is why chapter 3 introduces attention, a way to look back over the whole text.
#
# ## 4. A first neural next-token predictor
#
# Instead of a table of counts, a neural network learns numbers that produce the probabilities. The
# simplest one has two parts:
#
# 1. an **embedding**: a table with one learned vector (here 32 numbers) per token id;
# 2. a **linear layer**: from that vector, one score (a *logit*) for every possible next token.
#
# A **softmax** turns the scores into probabilities. Built from scratch, step by step, on "the cat sat on
# the" (ids from the word tokenizer):

# %%
vocab_size, n_embd = tokenizer.vocab_size, 32
torch.manual_seed(0)
embedding = nn.Embedding(vocab_size, n_embd)  # (V, C) table of vectors
head = nn.Linear(n_embd, vocab_size)  # C -> V scores
ids = torch.tensor([tokenizer.encode("the cat sat on the")])  # (B=1, T=5)
vectors = embedding(ids)  # (1, 5, 32): one vector per token
logits = head(vectors)  # (1, 5, V): scores for the token after each position
probabilities = logits.softmax(dim=-1)  # (1, 5, V), each row sums to 1
print("ids", tuple(ids.shape), "-> vectors", tuple(vectors.shape), "-> logits", tuple(logits.shape))
print(f"untrained: the most likely word after 'the' has probability {probabilities[0, -1].max():.4f} "
      f"(uniform would be 1/{vocab_size} = {1 / vocab_size:.4f})")

# %% [markdown]
# The **loss** is the cross-entropy again: minus the log probability the model gave the word that really
# came next, averaged over positions, in nats per word. An untrained model is about as good as a uniform
# guess, so its loss is near ln(V), the surprise of a uniform pick among V words. By hand, then the
# helpers' function that the training loop uses:

# %%
from helpers.training import language_model_loss

targets = torch.tensor([tokenizer.encode("cat sat on the mat")])  # (1, 5): the next word at each position
picked = probabilities[0, torch.arange(5), targets[0]]  # (5,) probability of each true next word
loss_by_hand = -picked.log().mean()
print(f"loss by hand {loss_by_hand:.4f} nats per word, ln(V) = {math.log(vocab_size):.4f}")
assert torch.allclose(loss_by_hand, language_model_loss(logits, targets))

# %% [markdown]
# As a module: the embedding and the linear layer, plus an option used in section 5 — read the last
# `words_back` words, by putting their vectors side by side before the linear layer. `config` holds the
# sizes (the training loop and the labs read the vocabulary size and window length from it).

# %%
@dataclass
class NextWordConfig:
    vocab_size: int
    words_back: int = 1  # how many previous words the prediction reads
    n_embd: int = 32
    context_length: int = 32  # length of the training windows (the model itself reads only words_back)


class NextWordModel(nn.Module):
    """Embedding + linear layer: the next word's scores from the vectors of the last words_back words."""

    def __init__(self, config: NextWordConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.n_embd)
        self.head = nn.Linear(config.words_back * config.n_embd, config.vocab_size)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        vectors = self.embedding(ids)  # (B, T, C)
        # the vector of the word k back, shifted into place; zeros before the start of the window
        back = [F.pad(vectors, (0, 0, k, 0))[:, : ids.shape[1]] for k in range(self.config.words_back)]
        return self.head(torch.cat(back, dim=-1))  # (B, T, words_back * C) -> (B, T, V)


torch.manual_seed(0)
neural_bigram = NextWordModel(NextWordConfig(vocab_size))
print(neural_bigram, f"\n{sum(p.numel() for p in neural_bigram.parameters()):,} parameters")

# %% [markdown]
# ### The training loop, written out
#
# Training means: take a batch of windows of text, compute the loss, and nudge every number a little in the
# direction that lowers it. We write the loop once, piece by piece, then check that
# `helpers.training.train` — the loop every later chapter uses — gives exactly the same numbers.
#
# **Windows and batches.** The token ids of the training text are cut into windows of 32 words; the targets
# of a window are the same words shifted by one. Each step takes a batch of 32 windows, in an order
# shuffled once per pass over the data (an *epoch*) from a seed, so the same seed gives the same batches.

# %%
from helpers.batches import ShuffledBatches
from helpers.training import TrainingConfig
from helpers.windows import TokenWindows

settings = TrainingConfig(max_steps=400, batch_size=32, learning_rate=0.03, warmup_steps=20, weight_decay=0.0,
                          eval_every=50, eval_batches=4, seed=0)
train_ids = torch.tensor(tokenizer.encode(train_text))  # (N_train,)
val_ids = torch.tensor(tokenizer.encode(val_text))  # (N_val,)
T, B = neural_bigram.config.context_length, settings.batch_size


def window_starts(ids: torch.Tensor) -> torch.Tensor:
    """Where each window begins: every T ids, leaving room for the last window's shifted targets."""
    return torch.arange(0, len(ids) - T, T)


def windows_at(ids: torch.Tensor, starts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The windows beginning at `starts` (B, T), and their targets: the same ids shifted by one (B, T)."""
    rows = ids[starts[:, None] + torch.arange(T + 1)]  # (B, T + 1)
    return rows[:, :-1], rows[:, 1:]


train_starts = window_starts(train_ids)


def training_batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Batch number `step`: the windows in this epoch's shuffled order, B at a time."""
    batches_per_epoch = len(train_starts) // B  # the incomplete last batch of an epoch is dropped
    epoch, position = divmod(step, batches_per_epoch)
    order = torch.randperm(len(train_starts), generator=torch.Generator().manual_seed(settings.seed * 1_000_003 + epoch))
    return windows_at(train_ids, train_starts[order[position * B:(position + 1) * B]])


helper_batches = ShuffledBatches(TokenWindows(train_ids, T), B, seed=settings.seed)
assert all(torch.equal(a, b) for step in (0, 1, 399, 800) for a, b in zip(training_batch(step), helper_batches(step),
                                                                           strict=True))
inputs, targets = training_batch(0)
print(f"{len(train_starts):,} windows, {len(train_starts) // B} batches per epoch; a batch: inputs "
      f"{tuple(inputs.shape)}, targets {tuple(targets.shape)}")
print("window 0 of batch 0:", " ".join(tokenizer.token_strings(inputs[0, :8].tolist())), "...")
print("its targets:        ", " ".join(tokenizer.token_strings(targets[0, :8].tolist())), "...")

# %% [markdown]
# **The learning-rate schedule.** The step size starts small and grows linearly for the first 20 steps (a
# *warmup*: the first gradients of a random model are large and erratic), then falls along a half cosine
# to a tenth of its peak by the last step, so the model settles.

# %%
from helpers.training import learning_rate_at


def learning_rate(step: int) -> float:
    """Linear warmup to the peak, then a cosine down to min_lr_ratio times the peak."""
    peak, lowest = settings.learning_rate, settings.learning_rate * settings.min_lr_ratio
    if step < settings.warmup_steps:
        return peak * (step + 1) / settings.warmup_steps
    progress = (step - settings.warmup_steps) / (settings.max_steps - settings.warmup_steps)
    return lowest + 0.5 * (peak - lowest) * (1 + math.cos(math.pi * progress))


assert all(learning_rate(step) == learning_rate_at(step, settings) for step in range(settings.max_steps))
print("learning rate at steps 0, 19, 100, 399:", [f"{learning_rate(s):.4f}" for s in (0, 19, 100, 399)])

# %% [markdown]
# **Evaluation.** Every 50 steps, the mean loss on the same four batches of training windows and of
# validation windows, spread evenly over each text, with the model in evaluation mode and no gradients.
# Fixed batches make every evaluation comparable with the previous one.

# %%
from helpers.batches import fixed_batches


def evaluation_batches(ids: torch.Tensor) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """settings.eval_batches batches of windows spread evenly over the text: the same ones every time."""
    starts = window_starts(ids)
    count = min(len(starts), settings.eval_batches * B)
    picked = starts[torch.linspace(0, len(starts) - 1, count).round().long()]
    return [windows_at(ids, picked[i:i + B]) for i in range(0, count, B)]


def evaluate_loss(model: nn.Module, batches) -> float:
    """The model's mean loss over the batches, in evaluation mode and without gradients."""
    model.eval()
    with torch.no_grad():
        losses = [F.cross_entropy(model(x).flatten(0, 1), y.flatten()).item() for x, y in batches]
    model.train()
    return sum(losses) / len(losses)


evaluation_sets = {"train": evaluation_batches(train_ids), "val": evaluation_batches(val_ids)}
for mine, theirs in zip(evaluation_sets["val"], fixed_batches(TokenWindows(val_ids, T), settings.eval_batches, B),
                        strict=True):
    assert all(torch.equal(a, b) for a, b in zip(mine, theirs, strict=True))
print(f"untrained: validation loss {evaluate_loss(neural_bigram, evaluation_sets['val']):.3f} nats per word, "
      f"ln(V) = {math.log(vocab_size):.3f}")

# %% [markdown]
# **The loop.** Each step: set the learning rate, run the model on a batch (forward), compute the loss,
# clear the old gradients and compute new ones (backward), clip the gradients so that their overall
# length is at most 1 (one unusual batch cannot throw the weights far), and let the **AdamW** optimizer
# update every weight. AdamW scales each weight's step by a running average of its gradients and keeps
# *weight decay* (a pull towards zero) for the matrices only; the decay is 0 in this chapter.

# %%
def train_in_view(model: nn.Module) -> tuple[list[float], list[tuple[int, float, float]]]:
    """Train the model with the loop written out; return the loss of every step and the evaluations."""
    matrices = [p for p in model.parameters() if p.dim() >= 2]  # embedding and linear weights
    others = [p for p in model.parameters() if p.dim() < 2]  # biases
    optimizer = torch.optim.AdamW([{"params": matrices, "weight_decay": settings.weight_decay},
                                   {"params": others, "weight_decay": 0.0}],
                                  lr=settings.learning_rate, betas=settings.betas)
    torch.manual_seed(settings.seed)  # what a model with random parts (dropout) would draw; none here
    step_losses, evaluations = [], []
    evaluations.append((0, *(evaluate_loss(model, evaluation_sets[s]) for s in ("train", "val"))))
    model.train()
    for step in range(settings.max_steps):
        for group in optimizer.param_groups:
            group["lr"] = learning_rate(step)
        inputs, targets = training_batch(step)
        logits = model(inputs)  # forward: (B, T, V)
        loss = F.cross_entropy(logits.flatten(0, 1), targets.flatten())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # the gradient of the loss with respect to every weight
        nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        optimizer.step()
        step_losses.append(loss.item())
        if (step + 1) % settings.eval_every == 0 or step + 1 == settings.max_steps:
            evaluations.append((step + 1, *(evaluate_loss(model, evaluation_sets[s]) for s in ("train", "val"))))
    return step_losses, evaluations


t0 = time.perf_counter()
step_losses, evaluations = train_in_view(neural_bigram)
print(f"{settings.max_steps} steps in {time.perf_counter() - t0:.1f} s; loss of steps 1, 2, 3: "
      f"{', '.join(f'{x:.4f}' for x in step_losses[:3])}; last: {step_losses[-1]:.4f}")
for step, train_loss, val_loss in evaluations[::2]:
    print(f"  step {step:3}: training {train_loss:.3f}, validation {val_loss:.3f} nats per word")

# %% [markdown]
# Now the same with `helpers.training.train`, on a twin of the model (same seed, so the same initial
# weights). `train` calls a `loss_fn(model, batch)` for every step; the one below also records the loss of
# each training step, so the two runs can be compared step for step.

# %%
from helpers.training import History, next_token_loss, train

helper_step_losses = []


def recorded_loss(model: nn.Module, batch) -> torch.Tensor:
    """The usual next-token loss, recorded when the model is training (not while it is evaluated)."""
    loss = next_token_loss(model, batch)
    if model.training:
        helper_step_losses.append(loss.item())
    return loss


torch.manual_seed(0)
twin = NextWordModel(NextWordConfig(vocab_size))
history: History = train(twin, train_ids, val_ids, settings, progress=False, loss_fn=recorded_loss)
step_gap = max(abs(a - b) for a, b in zip(step_losses, helper_step_losses, strict=True))
evaluation_gap = max(abs(mine - theirs) for (_, *pair), *losses in zip(evaluations, history.train_loss,
                                                                        history.val_loss, strict=True)
                     for mine, theirs in zip(pair, losses, strict=True))
weight_gap = max((a - b).abs().max().item() for a, b in zip(neural_bigram.parameters(), twin.parameters(),
                                                             strict=True))
print(f"{len(helper_step_losses)} steps; largest difference in a step's loss {step_gap:.1e}, in an evaluation "
      f"{evaluation_gap:.1e}, in a final weight {weight_gap:.1e}")
assert len(helper_step_losses) == settings.max_steps and step_gap <= 1e-6 and evaluation_gap <= 1e-6
assert weight_gap <= 1e-6 and [e[0] for e in evaluations] == history.step

# %% [markdown]
# The same numbers, step for step. From here on the chapter calls `train`, which does the same and more
# (checkpoints to resume from, training on several processes, a progress bar, live plots).

# %%
count_per_word = sum(count_nats[2]) / len(val_words)
figure, ax = plt.subplots(figsize=(7, 2.8))
ax.plot(history.step, history.val_loss, "o-", label="neural bigram (validation)")
ax.axhline(count_per_word, color="#e8590c", ls="--", label=f"count bigram ({count_per_word:.2f})")
ax.axhline(floor.nats_per_word, color="black", ls=":", label=f"TinyWorld's entropy floor ({floor.nats_per_word:.2f})")
ax.set(xlabel="training step", ylabel="nats per word", ylim=(0, 7), title="Learning to predict the next word")
ax.legend()
plt.show()

# %% [markdown]
# In nats per character, to compare with the floor and the count models. From scratch: the model reads one
# word, so the whole validation text fits in one forward pass, which gives every word's nats;
# `helpers.scoring.nats_per_character` computes the total for any model by sliding windows (it is what later
# chapters use for GPTs). The baseline is the count bigram, which reads the same one word; the unigram
# (no context) shows how much that one word is worth.

# %%
from helpers.scoring import nats_per_character

stream = torch.tensor([tokenizer.encode("\n") + tokenizer.encode(val_text)])  # (1, N + 1): a document starts


def neural_word_nats(model: nn.Module) -> list[float]:
    """The surprise, in nats, of every validation word under a model that reads at most a few words back."""
    with torch.no_grad():
        return F.cross_entropy(model(stream[:, :-1])[0], stream[0, 1:], reduction="none").tolist()


neural_nats = {1: neural_word_nats(twin)}
neural_loss = {1: per_character(neural_nats[1])}
assert math.isclose(neural_loss[1][0], nats_per_character(twin, tokenizer, val_text), rel_tol=1e-4)
gap_to_counts = difference(neural_nats[1], count_nats[2])
gain_over_unigram = difference(count_nats[1], neural_nats[1])
print(f"neural bigram {neural_loss[1][0]:.4f} ± {neural_loss[1][1]:.4f}; count bigram {count_loss[2][0]:.4f} ± "
      f"{count_loss[2][1]:.4f}; unigram {count_loss[1][0]:.4f}; floor {floor.nats_per_char:.4f} nats per character")
print(f"neural minus count bigram: {gap_to_counts[0]:+.4f} ± {gap_to_counts[1]:.4f} "
      f"({gap_to_counts[0] / count_loss[2][0]:+.1%}); unigram minus neural: {gain_over_unigram[0]:.4f} ± "
      f"{gain_over_unigram[1]:.4f}")
assert gain_over_unigram[0] > 3 * gain_over_unigram[1]  # it learned what one word of context tells
assert abs(gap_to_counts[0]) < 0.03 * count_loss[2][0]  # and lands within 3% of the counts

# %% [markdown]
# The neural bigram lands where the counts are: 1.6% worse, a small gap but a real one (many standard
# errors), against a unigram that it beats by a wide margin. With one word of context both learn the same
# thing, "which word tends to follow which"; the counts have it exactly, the network after 400 short steps
# nearly. The difference is what comes next: a table of counts only grows, while a network can be given
# more inputs, more layers, and more data.
#
# The embedding already holds something: words that are followed by similar words get similar vectors.
# Nobody told the model what an animal, a name or a product is. The nearest neighbours of a few words
# (cosine similarity of their vectors):

# %%
vectors = F.normalize(twin.embedding.weight.detach(), dim=1)  # (V, C), unit length


def nearest(word: str, k: int = 5) -> list[str]:
    """The k words whose vectors point most nearly the same way as this word's."""
    similarity = vectors @ vectors[tokenizer.encode(word)[0]]  # (V,)
    return tokenizer.token_strings(similarity.topk(k + 1).indices[1:].tolist())


for word in ("cat", "alice", "kettle", "sat", "she"):
    print(f"{word:6} ~ {', '.join(nearest(word))}")

# %% [markdown]
# Is that more than luck? For every name TinyWorld uses, is its nearest neighbour another name? The
# baseline is the share of names in the vocabulary: what a random neighbour would score.

# %%
names = set(world.lexicon.female_names) | set(world.lexicon.male_names)
name_neighbours = share_with_se([nearest(name, 1)[0] in names for name in sorted(names)])
names_base_rate = len(names) / vocab_size
print(f"{name_neighbours[0]:.0%} ± {name_neighbours[1]:.0%} of {len(names)} names have a name as nearest "
      f"neighbour; a random word is a name {names_base_rate:.1%} of the time")
assert name_neighbours[0] - names_base_rate > 3 * name_neighbours[1]

# %% [markdown]
# Look at "she": its nearest neighbour is "he". What follows the two is the same, so a model that reads one
# word back has no reason to tell them apart — and, as section 3 showed, nothing in its window to choose
# between them.
#
# ## 5. Experiment: how much better does prediction get with more context?
#
# Reading 1, 2 or 3 words back: the count models are the bigram, trigram and 4-gram of section 3; the
# neural models are the same embedding + linear layer with `words_back` = 1, 2, 3, trained by `train` with
# the same settings. Each is compared with the model of its kind that reads one word less (the baseline).

# %%
neural_models = {1: twin}
for k in (2, 3):
    torch.manual_seed(0)
    neural_models[k] = NextWordModel(NextWordConfig(vocab_size, words_back=k))
    train(neural_models[k], train_ids, val_ids, settings, progress=False)
    neural_nats[k] = neural_word_nats(neural_models[k])
    neural_loss[k] = per_character(neural_nats[k])
    assert math.isclose(neural_loss[k][0], nats_per_character(neural_models[k], tokenizer, val_text), rel_tol=1e-4)

print(f"{'words back':>10} {'count model':>16} {'neural model':>16}   (nats per character; floor {floor.nats_per_char:.3f})")
for k in (1, 2, 3):
    print(f"{k:10} {count_loss[k + 1][0]:9.4f} ± {count_loss[k + 1][1]:.4f} {neural_loss[k][0]:9.4f} ± "
          f"{neural_loss[k][1]:.4f}")
context_gain = {}  # (kind, k): what the k-th word back saves, against the model that reads one word less
for k in (2, 3):
    context_gain["count", k] = difference(count_nats[k], count_nats[k + 1])
    context_gain["neural", k] = difference(neural_nats[k - 1], neural_nats[k])
for (kind, k), (gain, se) in context_gain.items():
    print(f"{kind:6} model, word {k} back saves {gain:.4f} ± {se:.4f} nats per character")
neural_vs_4gram = difference(neural_nats[3], count_nats[4])
print(f"neural (3 back) minus 4-gram: {neural_vs_4gram[0]:+.4f} ± {neural_vs_4gram[1]:.4f}")

figure, ax = plt.subplots(figsize=(6, 3))
ax.plot([1, 2, 3], [count_loss[k + 1][0] for k in (1, 2, 3)], "o-", label="count model (n-gram)")
ax.plot([1, 2, 3], [neural_loss[k][0] for k in (1, 2, 3)], "s--", label="neural model (embedding + linear)")
ax.axhline(floor.nats_per_char, color="black", ls=":", label="TinyWorld's entropy floor")
ax.set(xticks=[1, 2, 3], xlabel="words of context", ylabel="nats per character", ylim=(0, 0.55),
       title="More context, better prediction, diminishing returns")
ax.legend()
plt.show()

# %%
for kind in ("count", "neural"):
    second, third = context_gain[kind, 2], context_gain[kind, 3]
    assert second[0] > 3 * second[1] and third[0] > 3 * third[1]  # each word back helps, beyond noise
    assert second[0] - third[0] > 3 * math.hypot(second[1], third[1])  # the third helps less than the second
for loss, se in (count_loss[4], neural_loss[3]):
    assert loss - floor.nats_per_char > 3 * se  # neither reaches the floor

# %% [markdown]
# A second word of context saves far more than a third, for both kinds of model (each step well beyond
# noise); with three words the neural model is close to the 4-gram but not better (its loss is higher by
# the small difference printed above): the 4-gram knows the exact three-word contexts it counted, and 400
# short steps do not give the network the time to learn as much. Both stay well above the floor: what is
# missing is not the next word or two but the far-back words (who the story is about, what the customer
# asked), and neither model can see them.
#
# ### Top-1 accuracy, and what the truth would score
#
# A second way to measure a predictor: how often is its single most likely next word the one that comes?
# That number needs a ceiling, because language is uncertain: after "the cat sat on the", even the true
# distribution picks "mat" only 30% of the time. The best possible guess at each position is the truth's
# most likely word, and it is right with probability max P(w | prefix); its **expected top-1 accuracy** is
# the mean of that over positions. TinyWorld gives it exactly. A model's guess is scored the same way, by
# the true probability that it is right (less noisy than checking it against the one word that happened).
#
# TinyWorld's distribution is over words; a model's is over tokens. From scratch, on the word tokenizer's ids
# (a word and its first token: the two words of more than one token, "->" and "phone case", count for their
# first):

# %%
def true_next_token(prefix: str) -> dict[int, float]:
    """TinyWorld's exact distribution of the next token after a prefix of whole words, as {token id: p}."""
    found = Counter()
    for word, probability in world.next_word_probabilities(prefix).items():
        found[tokenizer.encode(word)[0]] += probability
    return dict(found)


def neural_guess(model: nn.Module, prefix: str) -> int:
    """The model's most likely next token after the prefix (read as the start of a document)."""
    with torch.no_grad():
        return model(torch.tensor([tokenizer.encode("\n" + prefix)]))[0, -1].argmax().item()


def count_guess(model: NGramModel, prefix: str) -> int:
    """The count model's most likely next word after the prefix, as a token id."""
    return tokenizer.encode(next(iter(model.next_token_distribution(["\n"] + split_words(prefix)))))[0]


guessers = {"majority word (unigram)": lambda prefix: count_guess(count_models[1], prefix),
            "4-gram": lambda prefix: count_guess(count_models[4], prefix),
            "neural, 3 words back": lambda prefix: neural_guess(neural_models[3], prefix)}
assert guessers["4-gram"](prompt) == tokenizer.encode("mat")[0]

# %% [markdown]
# One random position in each of 100 validation documents (any word, or the end of the document):

# %%
t0 = time.perf_counter()
position_rng = random.Random(0)
top1 = {name: [] for name in ("TinyWorld (the ceiling)", *guessers)}
for text in val_text.split("\n")[:100]:
    words = text.split(" ")
    prefix = " ".join(words[: position_rng.randrange(len(words) + 1)])  # then the next word, or the end
    truth = true_next_token(prefix)
    top1["TinyWorld (the ceiling)"].append(max(truth.values()))
    for name, guess in guessers.items():
        top1[name].append(truth.get(guess(prefix), 0.0))
print(f"expected top-1 accuracy at {len(top1['4-gram'])} positions ({time.perf_counter() - t0:.0f} s):")
mean_with_se = lambda values: (statistics.fmean(values), statistics.stdev(values) / math.sqrt(len(values)))  # noqa: E731
for name, values in top1.items():
    print(f"  {name:24} {mean_with_se(values)[0]:6.1%} ± {mean_with_se(values)[1]:.1%}")
paired = lambda a, b: mean_with_se([x - y for x, y in zip(a, b, strict=True)])  # noqa: E731
top1_over_majority = paired(top1["neural, 3 words back"], top1["majority word (unigram)"])
top1_below_ceiling = {name: paired(top1["TinyWorld (the ceiling)"], top1[name]) for name in ("4-gram", "neural, 3 words back")}
print(f"neural (3 back) minus majority: {top1_over_majority[0]:+.1%} ± {top1_over_majority[1]:.1%}")
for name, (gap, se) in top1_below_ceiling.items():
    print(f"ceiling minus {name}: {gap:+.1%} ± {se:.1%}")
assert top1_over_majority[0] > 3 * top1_over_majority[1]
assert paired(top1["4-gram"], top1["majority word (unigram)"])[0] > 3 * paired(top1["4-gram"],
                                                                                top1["majority word (unigram)"])[1]
assert all(gap >= 0 for gap, _ in top1_below_ceiling.values())  # nobody beats the truth

# %% [markdown]
# Even the truth is right only about four times in five (80.5% ± 3.1%): the rest is real uncertainty
# (which name, which animal, which product), and no predictor can guess it. Against the majority word
# (15%), both models are far better; against the ceiling, both are 6.7 points short, but with a standard
# error of 2.3 to 2.4 points that gap is under three standard errors: on 100 positions of ordinary text it
# is not clearly more than noise. Top-1 accuracy is blunt: it only asks whether the best guess is right,
# while the cross-entropy above also charges for how sure the model was, and there the gap to the floor is
# many standard errors wide. Section 8 looks where the far-back words matter most, and the gap shows.
#
# ## 6. NextTokenLab: a generation, one token at a time
#
# Writing with the neural model is the loop of the first picture: the model's probabilities for the next
# word, one draw, append, repeat. From scratch, with the 3-words-back model, six steps after "the cat sat
# on the" (the three most likely candidates at each step, the word drawn, and TinyWorld's probability for
# that word where the text so far is still the start of a TinyWorld document):

# %%
writer = neural_models[3]


def shown(ids: list[int]) -> str:
    """Token ids as words, the line break drawn as ↵."""
    return " ".join(tokenizer.token_strings(ids)).replace("\n", "↵")


walk = tokenizer.encode(prompt)
generator = torch.Generator().manual_seed(0)
for _ in range(6):
    with torch.no_grad():
        next_probabilities = writer(torch.tensor([walk]))[0, -1].softmax(dim=-1)  # (V,)
    top = next_probabilities.topk(3)
    candidates = ", ".join(f"{shown([i])} {p:.2f}" for i, p in zip(top.indices.tolist(), top.values.tolist(),
                                                                   strict=True))
    text_so_far = " ".join(tokenizer.token_strings(walk))
    truth = true_next_token(text_so_far) if world.is_valid_prefix(text_so_far + " ") else None
    walk.append(torch.multinomial(next_probabilities, 1, generator=generator).item())
    true_p = "not a TinyWorld start" if truth is None else f"truth {truth.get(walk[-1], 0.0):.2f}"
    print(f"... {shown(walk[-4:-1]):18} -> {candidates:32} drew {shown(walk[-1:])!r:9} "
          f"({next_probabilities[walk[-1]]:.2f}; {true_p})")
print(shown(walk))

# %% [markdown]
# Drawing at random sometimes picks a word the truth would almost never write — here the end of the
# document after one scene sentence, to which TinyWorld gives a probability that rounds to 0.00 — and the
# model, reading three words, carries on from it as if nothing happened. The NextTokenLab does the same with
# buttons: it shows the candidates and the entropy of the distribution (how unsure the model is, in bits: 0
# when it is certain); append the chosen token or a sampled one, undo, or type another prompt. Given
# `truth=world`, it also marks TinyWorld's true probability on each candidate (a black tick) and gives the
# true entropy, wherever the text is the start of a TinyWorld document.
#
# Below, a support conversation cut inside the agent's reply, just before the product is named again. The
# truth is certain; the model, reading "to us . your", is not:

# %%
from helpers.widgets import NextTokenLab

reply_prompt = ("customer : i am still waiting for my kettle . no rush . agent : thank you for writing to us . "
                "your")
assert world.is_valid_prefix(reply_prompt)
lab = NextTokenLab(writer, tokenizer, prompt=reply_prompt, k=8, seed=0, truth=world)
with torch.no_grad():
    reply_probabilities = writer(torch.tensor([tokenizer.encode(reply_prompt)]))[0, -1].softmax(dim=-1)
assert torch.allclose(lab.probabilities(), reply_probabilities, atol=1e-6)
lab_truth = lab.true_probabilities()
assert lab_truth.keys() == true_next_token(reply_prompt).keys()
assert all(math.isclose(p, true_next_token(reply_prompt)[i]) for i, p in lab_truth.items())
kettle = tokenizer.encode("kettle")[0]
print(f"P(kettle): model {reply_probabilities[kettle]:.2f}, TinyWorld {lab_truth.get(kettle, 0.0):.2f}")
lab

# %% [markdown]
# The model, reading "to us . your", bets on how replies it has seen go on after "your" (a refund 38%, an
# order 21%) and gives the kettle 8%; the kettle was named 14 words before "your", out of its sight. Section 8
# measures what that costs over many conversations.
#
# ## 7. Before LLMs: a narrow spam tagger
#
# For decades, language software meant one program per narrow task. A classic example is the spam filter:
# count how often each word appears in spam and in normal messages ("ham"), then score a new message by
# how typical its words are of each. This is **naive Bayes** on word counts. From scratch, on TinyWorld's
# ham and spam messages, for one message:

# %%
messages = [d for d in TinyWorld(seed=3).documents(600, "message") if d.label in ("ham", "spam")]
word_counts = {label: Counter() for label in ("ham", "spam")}
for d in messages:
    word_counts[d.label].update(d.text.split(" "))
known = set(word_counts["ham"]) | set(word_counts["spam"])
text = "congratulations ! you have won a free laptop . visit our shop before midnight ."
assert world.is_valid(text)
score = {}
for label, counts in word_counts.items():
    prior = math.log(sum(d.label == label for d in messages) / len(messages))
    total_words = sum(counts.values()) + len(known)  # add-one smoothing
    score[label] = prior + sum(math.log((counts[w] + 1) / total_words) for w in text.split(" ") if w in known)
print(f"{len(messages)} training messages;", {label: round(s, 2) for label, s in score.items()}, "->",
      max(score, key=score.get))

# %% [markdown]
# The same from `helpers.word_count_classifier`, then its accuracy on new messages. The baseline is the
# majority class: always answering "ham", the more common label.

# %%
from helpers.word_count_classifier import WordCountClassifier

tagger = WordCountClassifier.train([d.text for d in messages], [d.label for d in messages])
assert all(math.isclose(tagger.scores(text)[label], s) for label, s in score.items())
held_out = TinyWorld(seed=4).documents(1000, "message")
plain = [d for d in held_out if d.label in ("ham", "spam")]
spam_accuracy = share_with_se([tagger.predict(d.text) == d.label for d in plain])
majority_share = share_with_se([d.label == "ham" for d in plain])
print(tagger, f"\naccuracy on {len(plain)} new ham and spam messages: {spam_accuracy[0]:.1%} ± {spam_accuracy[1]:.1%}"
      f"; always 'ham': {majority_share[0]:.1%} ± {majority_share[1]:.1%}")
print("words that say spam:", [w for w, _ in tagger.telling_words("spam", 6)])
assert spam_accuracy[0] - majority_share[0] > 3 * math.hypot(spam_accuracy[1], majority_share[1])

# %% [markdown]
# On its narrow task, counting words works. Now what it cannot do.

# %%
harmful = [d for d in held_out if d.label == "harmful"]
filed = Counter(tagger.predict(d.text) for d in harmful)
passed_as_ham = share_with_se([tagger.predict(d.text) == "ham" for d in harmful])
print(f"1. {len(harmful)} harmful messages (threats, insults) are filed as {dict(filed)}: "
      f"{passed_as_ham[0]:.0%} ± {passed_as_ham[1]:.0%} pass as ham. It has no word for 'harmful'.")
question = "hi alice , are we still meeting by the river tomorrow ?"
print(f"2. asked {question!r}, it can only say {tagger.predict(question)!r}; no answer, no reply.")
for other in ("the cat sat on the mat .", "customer : my lamp arrived broken ."):
    probabilities = {label: f"{p:.0%}" for label, p in tagger.probabilities(other).items()}
    print(f"   {other!r} is not a message at all, yet: {probabilities}")
shuffled = text.split(" ")
random.Random(0).shuffle(shuffled)
shuffled = " ".join(shuffled)
same = all(math.isclose(tagger.scores(text)[label], tagger.scores(shuffled)[label]) for label in tagger.labels)
print(f"3. word order is invisible: {shuffled!r} gets the same scores: {same}")
assert set(filed) <= {"ham", "spam"} and same

# %% [markdown]
# A next-word model, trained on the same world but on no labels at all, can do what the tagger cannot:
# continue the message. The 4-gram's continuations of "hi alice , are we still meeting" (a place, as a
# message would have it — then, with three words of memory, it drifts into other kinds of document):

# %%
message_start = "hi alice , are we still meeting"
for seed in range(3):
    print(message_start, " ".join(count_models[4].generate(message_start.split(" "), 12, seed=seed, stop=["\n"])).strip())

# %% [markdown]
# It is no spam filter either — but one model that predicts the next word well enough can be asked to do
# many tasks, which chapters 4, 6 and 7 turn into classification, replies and instruction following.
#
# ## 8. The Curiosity Spark, answered
#
# *Can a machine learn language well enough to predict what comes next in a conversation?* TinyWorld's
# support conversations are conversations with an answer key: the customer's problem (late delivery,
# refund, broken product, locked account, cancelled order) and mood decide what the agent replies, and
# the reply names the customer's product again. In 150 new conversations, at one random word of each
# agent's reply: how likely is each model's top guess to be right, and how surprised is it by the word
# that came (nats per word)? The truth gives the ceiling; the majority word (unigram) is the floor of
# guessing.

# %%
t0 = time.perf_counter()
reply_rng = random.Random(0)
reply_top1 = {name: [] for name in top1}
reply_nats = {name: [] for name in top1}
for conversation in TinyWorld(seed=6).documents(150, "support"):
    words = conversation.text.split(" ")
    position = reply_rng.randrange(words.index("agent") + 2, len(words))  # a word of the agent's reply
    prefix, word = " ".join(words[:position]), words[position]
    truth, target = true_next_token(prefix), tokenizer.encode(word)[0]
    reply_top1["TinyWorld (the ceiling)"].append(max(truth.values()))
    reply_nats["TinyWorld (the ceiling)"].append(-math.log(truth[target]))
    for name, guess in guessers.items():
        reply_top1[name].append(truth.get(guess(prefix), 0.0))
    for n, name in ((1, "majority word (unigram)"), (4, "4-gram")):
        reply_nats[name].append(-math.log(count_models[n].probability(["\n"] + split_words(prefix), word)))
    with torch.no_grad():
        logits = neural_models[3](torch.tensor([tokenizer.encode("\n" + prefix)]))[0, -1]
    reply_nats["neural, 3 words back"].append(-logits.log_softmax(dim=-1)[target].item())
print(f"the agent's reply, one word in each of 150 conversations ({time.perf_counter() - t0:.0f} s):")
print(f"  {'predictor':24} {'top-1 right (expected)':>23} {'nats per word':>15}")
for name in top1:
    (accuracy, se), (nats, nats_se) = mean_with_se(reply_top1[name]), mean_with_se(reply_nats[name])
    print(f"  {name:24} {accuracy:15.1%} ± {se:4.1%} {nats:8.3f} ± {nats_se:.3f}")

# %%
reply_gap = {name: paired(reply_top1["TinyWorld (the ceiling)"], reply_top1[name])
             for name in ("4-gram", "neural, 3 words back")}
reply_extra_nats = {name: paired(reply_nats[name], reply_nats["TinyWorld (the ceiling)"])
                    for name in ("4-gram", "neural, 3 words back")}
reply_over_majority = paired(reply_top1["4-gram"], reply_top1["majority word (unigram)"])
for name in reply_gap:
    print(f"{name}: {reply_gap[name][0]:.1%} ± {reply_gap[name][1]:.1%} below the ceiling in top-1, "
          f"{reply_extra_nats[name][0]:.3f} ± {reply_extra_nats[name][1]:.3f} nats per word above the truth")
print(f"4-gram minus majority word: {reply_over_majority[0]:+.1%} ± {reply_over_majority[1]:.1%}")
assert reply_over_majority[0] > 3 * reply_over_majority[1]  # the models have learned how agents reply
assert all(gap > 3 * se for gap, se in reply_gap.values())  # and fall short of the truth, beyond noise
assert all(extra > 3 * se for extra, se in reply_extra_nats.values())

# %% [markdown]
# **Answer, measured.** Partly yes. After 400 training steps on 760,000 words, a model that reads the last
# three words guesses a word of the agent's reply right 82.6% ± 2.9% of the time (the 4-gram 85.5% ± 2.7%,
# always guessing the most common word 13.3% ± 2.8%), where knowing the whole conversation would be right
# 96.6% ± 0.8% of the time: 14.0 ± 2.7 points short for the neural model, 11.1 ± 2.4 for the 4-gram, both
# beyond noise. The misses are words that depend on what the customer said many words earlier — which
# product (as in the lab above), which problem, what mood — and the models pay for them in surprise too:
# 0.40 ± 0.06 nats per word for the neural model and 0.35 ± 0.05 for the 4-gram, against the truth's
# 0.08 ± 0.02. The same blind spot puts them at a coin flip on a story's
# pronoun. Predicting what comes next *well* needs two things these models lack: much more capacity and data
# (chapter 2), and a way to look back over the whole text (chapter 3). With both, the transformers of
# chapters 3 and 4 close the gap: chapter 4's reference model replies right to all of 200 held-out support
# conversations.
#
# ## Recap
#
# - A language model gives a probability to every possible next token; writing is repeated sampling.
# - TinyWorld knows the true probability of each document and of each next word, so every model can be
#   compared with the best possible: the entropy floor in nats (or bits) per character, whatever its
#   tokens, and the truth's top-1 accuracy. A nat is the surprise −ln p of an event of probability p.
# - Tokens: characters (tiny vocabulary, long sequences), words (short sequences, unknown words), BPE
#   (learned merges of bytes: nothing is unknown). A small BPE trains in well under a second.
# - Count models (n-grams) are tables of what followed each context; more context helps with diminishing
#   returns, and they cannot use anything outside their window (pronouns at chance, replies that forget
#   the product).
# - A training loop is forward, loss, backward, gradient clipping, an AdamW step at a scheduled learning
#   rate, and regular evaluation on fixed batches; the one you wrote gives `helpers.training.train`'s
#   numbers exactly.
# - A neural model of an embedding and a linear layer learns nearly what the counts know with one word of
#   context, and its embedding groups similar words without being told.
# - Every figure comes with a standard error and a baseline; a difference of less than about three
#   standard errors is within noise.
# - Before LLMs, narrow tools like a word-count spam tagger did one task well and nothing else.
#
# ## What we measured
#
# Every claim of the chapter, the figure measured in this run (± one standard error) and the baseline it
# beats (or, where the claim is "no better than", matches):

# %%
def pm(value: tuple[float, float], percent: bool = False) -> str:
    """A measured value ± its standard error, as text."""
    return f"{value[0]:.1%} ± {value[1]:.1%}" if percent else f"{value[0]:.4f} ± {value[1]:.4f}"


rows = [
    ("your training loop gives `train`'s losses, step for step", f"largest difference {step_gap:.1e} nats",
     "`helpers.training.train`"),
    ("samples follow the model's probabilities", f"'mat' drawn {share_mat:.1%} ± {se_mat:.1%}",
     f"its probability {distribution['mat']:.1%} (within noise)"),
    ("the 4-gram writes valid documents", f"{pm(valid_share[4], True)} of 200", f"bigram {valid_share[2][0]:.1%}"),
    ("count models cannot resolve a pronoun 20+ words back", f"4-gram {pm(count_pronoun[4], True)}",
     "a coin, 50% (within noise)"),
    ("a neural bigram learns what follows a word (nats/char)", pm(neural_loss[1]),
     f"count bigram {count_loss[2][0]:.4f} (neural {gap_to_counts[0]:+.4f} ± {gap_to_counts[1]:.4f}); "
     f"unigram {count_loss[1][0]:.4f}"),
    ("its embedding puts names next to names", f"{pm(name_neighbours, True)} of {len(names)} names",
     f"a random word: {names_base_rate:.1%}"),
    ("a second word of context helps (nats/char saved)",
     f"count {pm(context_gain['count', 2])}; neural {pm(context_gain['neural', 2])}", "one word of context"),
    ("a third word helps, less", f"count {pm(context_gain['count', 3])}; neural {pm(context_gain['neural', 3])}",
     "two words of context"),
    ("three words back, neural against counts (nats/char)", f"neural {pm(neural_loss[3])}",
     f"4-gram {pm(count_loss[4])}; floor {floor.nats_per_char:.4f}"),
    ("top-1 accuracy, any word of new documents",
     f"neural (3 back) {pm(mean_with_se(top1['neural, 3 words back']), True)}; "
     f"4-gram {pm(mean_with_se(top1['4-gram']), True)}",
     f"majority word {pm(mean_with_se(top1['majority word (unigram)']), True)}; "
     f"ceiling {pm(mean_with_se(top1['TinyWorld (the ceiling)']), True)}"),
    ("a word-count tagger tells spam from ham", f"{pm(spam_accuracy, True)} of {len(plain)}",
     f"always 'ham': {majority_share[0]:.1%}"),
    ("it has no notion of harm", f"{pm(passed_as_ham, True)} of harmful messages pass as ham", "-"),
    ("top-1 accuracy in an agent's reply",
     f"neural (3 back) {pm(mean_with_se(reply_top1['neural, 3 words back']), True)}; "
     f"4-gram {pm(mean_with_se(reply_top1['4-gram']), True)}",
     f"majority word {pm(mean_with_se(reply_top1['majority word (unigram)']), True)}; "
     f"ceiling {pm(mean_with_se(reply_top1['TinyWorld (the ceiling)']), True)}"),
    ("nats per word in an agent's reply",
     f"neural (3 back) {pm(mean_with_se(reply_nats['neural, 3 words back']))}; "
     f"4-gram {pm(mean_with_se(reply_nats['4-gram']))}",
     f"the truth {pm(mean_with_se(reply_nats['TinyWorld (the ceiling)']))}"),
]
Markdown("\n".join(["| claim | result ± standard error | baseline |", "|---|---|---|",
                    *(f"| {claim} | {result} | {baseline} |" for claim, result, baseline in rows)]))

# %% [markdown]
# ## Exercises
#
# 1. **Characters instead of words.** Train 6-gram and 8-gram models on the *characters* of `train_text`
#    (`NGramModel.train(train_text, 6)`: a str is a sequence of characters) and compute their cross-entropy
#    per character on `val_text`. How do they compare with the word models? Why?
#
# <details><summary>Solution</summary>
#
# ```python
# for n in (6, 8):
#     char_model = NGramModel.train(train_text, n)
#     print(n, char_model.cross_entropy(val_text, context="\n"))  # tokens are characters: per character already
# ```
# About 0.45 for the 6-gram and 0.31 for the 8-gram (nats per character). Five characters of context are
# about one word ("the " plus a letter or two), so the 6-gram lands near the word bigram (0.49); seven
# characters reach part of a second word and the 8-gram comes closer to the word trigram (0.28). Character
# models also spend their predictions spelling each word letter by letter. Measuring per character is what
# makes this comparison fair. (The 8-gram takes several seconds to count.)
# </details>
#
# 2. **How much data does counting need?** Train the 4-gram on the first 1,000, 5,000 and 20,000 documents
#    and compare the validation cross-entropy per character. Why does the 1,000-document model need
#    `vocabulary=word_vocabulary`?
#
# <details><summary>Solution</summary>
#
# ```python
# docs = train_text.split("\n")
# for n_docs in (1_000, 5_000, 20_000):
#     words = split_words("\n".join(docs[:n_docs]) + "\n")
#     model = NGramModel.train(words, 4, vocabulary=word_vocabulary)
#     print(n_docs, model.cross_entropy(val_words, context=["\n"], characters=len(val_text)))
# ```
# About 0.33, 0.26 and 0.24: the loss falls as the data grows, because with little data most 4-word
# contexts are new and the model falls back on shorter ones. The first 1,000 documents use only 718 of the
# 731 words; without the full vocabulary the model gives the other 13 probability zero, and one of them in
# the validation text makes its cross-entropy infinite. Counting needs data that grows very fast with the
# context length — one reason for neural models, which share what they learn between similar words.
# </details>
#
# 3. **Greedy writing.** Make the 4-gram always pick its most likely next word instead of sampling,
#    starting from "customer :", for 40 words. What does it write, and why is that a problem?
#
# <details><summary>Solution</summary>
#
# ```python
# words = ["customer", ":"]
# for _ in range(40):
#     words.append(next(iter(count_models[4].next_token_distribution(words))))
# print(" ".join(words))
# ```
# "customer : hi , i want my money back for the lamp . i am really angry . agent : i am so sorry for the
# trouble . your order for the lamp . i am really angry . agent : i" — every conversation it writes is the
# same one (the most common problem, product and mood), and it soon loops: the same three words always give
# the same choice, and "for the lamp ." leads back into the customer's anger. Chapter 4 studies
# temperature, top-k and top-p sampling, which sit between always-the-top and fully random.
# </details>
#
# 4. **A harmful-message tagger.** Retrain the `WordCountClassifier` on all three labels (ham, spam,
#    harmful). How accurate is it now? What did it take?
#
# <details><summary>Solution</summary>
#
# ```python
# three = TinyWorld(seed=3).documents(600, "message")
# tagger3 = WordCountClassifier.train([d.text for d in three], [d.label for d in three])
# print(tagger3.accuracy([d.text for d in held_out], [d.label for d in held_out]))
# ```
# 100% of the 1,000 held-out messages on TinyWorld — but only because someone labelled harmful examples.
# Every new task needs its own labelled data and its own model; a language model learns from unlabelled
# text and is then adapted.
# </details>
#
# 5. **Your loop, changed.** In `train_in_view`, drop the line that clips the gradients, and train a fresh
#    `NextWordModel` with it. Then train its twin with `train` and `TrainingConfig(..., grad_clip=None)`
#    (`dataclasses.replace(settings, grad_clip=None)`). Are the two still equal, step for step? Did clipping
#    matter here?
#
# <details><summary>Solution</summary>
#
# Yes: still equal, step for step (largest difference 0). And the losses are exactly
# those of the clipped run: this small model's gradient norm never exceeds 0.41 in its 400 steps, so
# clipping at 1 never acted. `nn.utils.clip_grad_norm_` returns the norm before clipping; collect it in
# your loop to see. (Clipping earns its place in deeper models, whose gradients can spike.)
# </details>
#
# ## Next
#
# Chapter 2 climbs a ladder of real (small) transformers trained on TinyWorld 2, and measures how their loss
# approaches the same entropy floor and what each size learns: why scale is what makes LLMs powerful. Chapter 3 comes
# back to the pronoun this chapter's models could not resolve, and chapter 4 to the support conversations.
# `helpers.ngram_model.NGramModel` and `helpers.word_count_classifier.WordCountClassifier` are the
# baselines later chapters compare with.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
