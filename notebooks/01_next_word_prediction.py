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
# are known.
#
# After this chapter you will be able to:
#
# - generate and read TinyWorld documents, and say how likely each one is (exactly), and what the best
#   possible next-word predictor would score (the *entropy floor*);
# - cut text into tokens three ways — characters, words, byte-pair encoding (BPE) — and train a small BPE;
# - build a count-based n-gram model, read its distribution after "the cat sat on the", sample from it,
#   and show where it fails;
# - build and train a first neural next-token predictor (an embedding and a linear layer) and compare its
#   loss with the count model and with the floor, in the same unit (nats per character);
# - measure how much more context helps, and walk a generation one token at a time;
# - build the kind of narrow spam tagger that came before LLMs, and show what it cannot do.
#
# **Run time:** about 15 seconds on an idle 2-core laptop CPU (13 s measured; a busy machine takes longer,
# and the last cell prints the time of this run). No download and no pretrained model is needed (GPT-2's
# tokenizer is shown when its files are available, and skipped otherwise).

# %%
import time

started = time.perf_counter()

import math
import random
import re
from collections import Counter
from dataclasses import dataclass

import matplotlib.pyplot as plt
import torch
import torch.nn.functional as F
from torch import nn

from helpers.runtime import seed_everything

seed_everything(0)
torch.set_printoptions(precision=3, sci_mode=False)
plt.rcParams.update({"figure.dpi": 90, "savefig.dpi": 90})
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
# messages, facts, translations into a toy language — written by a small grammar with known choice
# weights. For every document it knows the exact probability with which it wrote it.

# %%
from helpers.tinyworld import TinyWorld

world = TinyWorld(seed=0)
for doc in world.documents(6):
    print(f"{doc.kind:11} {str(doc.label):9} log p = {doc.log_prob:7.2f}  (1 in {math.exp(-doc.log_prob):,.0f})")
    print(f"            {doc.text}")

# %% [markdown]
# `log_prob` is the natural logarithm of the probability that TinyWorld writes exactly this text. The
# generator can also score any text you give it: a document it could have written gets the same number,
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
# ### The entropy floor: the best score any model can reach
#
# A model that predicts the next word assigns a probability to a whole text (multiply its probability for
# each word, given the words before). Its **cross-entropy** is how surprised it is on average: minus the log
# probability it gave the text, divided by the number of characters. Lower is better. No model can beat,
# on average, the generator itself: its average surprise is the **entropy** of TinyWorld, the floor under
# every loss in this series. One character unit makes every model comparable, whatever its tokens.
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
# A *nat* is the natural-log unit of surprise; divide by ln 2 ≈ 0.693 to get *bits*. About 0.29 bits per
# character means that, once you know the grammar perfectly, most characters are no surprise at all: after
# "the cat sat on the m" the rest of "mat" is certain.
#
# The rest of the chapter learns from a training text of 20,000 documents and measures on 1,000 other
# documents (a held-out *validation* text, drawn with another seed).

# %%
from helpers.tinyworld import DOCUMENT_SEPARATOR

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
# **Words.** The vocabulary is every word and punctuation mark; TinyWorld separates them with single
# spaces, and the line break that ends a document is a token of its own.

# %%
def split_words(text: str) -> list[str]:
    """TinyWorld text as words, punctuation marks and line breaks."""
    return re.findall(r"[^ \n]+|\n", text)


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
TokenizerLab(tokenizers, text="the cat sat on the mat . Tokenizers split unbelievably long words!",
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
# Since TinyWorld has a closed vocabulary (560 words and punctuation marks, plus the line break), the rest
# of this chapter uses **words** as tokens: every model then predicts "the next word", literally. Chapter 5
# returns to BPE for open text.
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
# **trigram** model reads the last two words, a **4-gram** the last three. After "the cat sat on the":

# %%
context = "the cat sat on the".split()
scratch = {}
for n in (2, 3, 4):
    grams = Counter(zip(*[train_words[i:] for i in range(n)], strict=False))  # every run of n words
    window = tuple(context[-(n - 1):])
    following = Counter({gram[-1]: count for gram, count in grams.items() if gram[:-1] == window})
    scratch[n] = {word: count / sum(following.values()) for word, count in following.items()}
    top = ", ".join(f"{w} {p:.2f}" for w, p in sorted(scratch[n].items(), key=lambda x: -x[1])[:5])
    print(f"{n}-gram reads {' '.join(window)!r:14} -> {top}")

# %% [markdown]
# With one word of context, "the" could be followed by any noun; "on the" narrows it to places and
# surfaces; "sat on the" to things one sits on. `helpers.ngram_model.NGramModel` keeps the same counts
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
# trusting the counts more when the context was seen often. Every word keeps a small probability.

# %%
t0 = time.perf_counter()
count_models = {n: NGramModel.train(train_words, n) for n in (2, 3, 4)}
print(f"counted in {time.perf_counter() - t0:.1f} s:", *count_models.values(), sep="\n  ")

figure, axes = plt.subplots(1, 3, figsize=(10, 2.6), sharex=True)
for ax, (n, model) in zip(axes, count_models.items(), strict=True):
    top = list(model.next_token_distribution(context).items())[:6]
    ax.barh([w for w, _ in top][::-1], [p for _, p in top][::-1], color="#4c8bf5")
    ax.set_title(f"{n}-gram after '{' '.join(context[-(n - 1):])}'", fontsize=10)
    ax.set_xlabel("probability")
figure.suptitle("The next word after 'the cat sat on the', with 1, 2 and 3 words of context", fontsize=11)
figure.tight_layout()
plt.show()

# %% [markdown]
# ### Sampling: the model writes
#
# To write, draw the next word at random with these probabilities, append it, and repeat (the loop of the
# picture at the top). From scratch, one draw:

# %%
distribution = count_models[4].next_token_distribution(context)
rng = random.Random(0)
draws = Counter(rng.choices(list(distribution), weights=list(distribution.values()))[0] for _ in range(1000))
print("1000 draws after 'the cat sat on the':", draws.most_common(5))
assert draws.most_common(1)[0][0] == "mat"

# %% [markdown]
# `model.generate(context, max_tokens, seed=..., stop=["\n"])` repeats the draw until the end of a document.
# Each model writes documents; TinyWorld then says which of them it could have written itself.

# %%
valid_share = {}
for n, model in count_models.items():
    documents = [" ".join(model.generate(["\n"], 100, seed=seed, stop=["\n"])[:-1]) for seed in range(60)]
    valid_share[n] = sum(world.is_valid(d) for d in documents) / len(documents)
    print(f"{n}-gram: {valid_share[n]:4.0%} of 60 sampled documents are valid TinyWorld; e.g.\n   {documents[1]}")
assert valid_share[2] < valid_share[4] < 1

# %% [markdown]
# The bigram writes word salad that is locally plausible; the 4-gram writes many valid documents, yet
# still stitches pieces together that TinyWorld would never write, because it cannot see what was said
# more than three words ago.
#
# ### Measuring a model: cross-entropy per character
#
# How good is a model at prediction? Score the validation text: for each word, the probability the model
# gave it (given the words before), then minus the sum of the logs, per character. From scratch for the
# bigram, then with the helper:

# %%
bigram = count_models[2]
previous = ["\n"] + val_words[:-1]  # the validation text starts a new document
nats = -sum(math.log(bigram.probability([before], word)) for before, word in zip(previous, val_words, strict=True))
print(f"bigram: {nats:,.0f} nats over {len(val_text):,} characters = {nats / len(val_text):.4f} nats per character")
count_loss = {n: m.cross_entropy(val_words, context=["\n"], characters=len(val_text)) for n, m in count_models.items()}
assert math.isclose(nats / len(val_text), count_loss[2], rel_tol=1e-9)
unsmoothed = NGramModel.train(train_words, 4, smoothing="none")
words_before = ["\n"] + val_words
zeros = sum(unsmoothed.probability(words_before[max(0, i - 3):i], words_before[i]) == 0
            for i in range(1, len(words_before)))
infinite = unsmoothed.cross_entropy(val_words, context=["\n"])
print(f"without smoothing, the 4-gram gives probability 0 to {zeros} of {len(val_words):,} validation words: "
      f"cross-entropy {infinite}")
assert zeros > 0 and infinite == math.inf
for n, loss in count_loss.items():
    print(f"{n}-gram: {loss:.4f} nats per character ({loss / floor.nats_per_char:.2f} x the entropy floor)")

# %% [markdown]
# ### Where counting fails: a pronoun whose antecedent is far back
#
# ![An n-gram model reads only the last n - 1 words; the name a pronoun refers to is often 30 words back.](../images/01_ngram_windows.png)
#
# TinyWorld's pronoun stories name a hero, then other people of the other gender, then say "she" or "he"
# about the hero. The right pronoun is decided by a word about thirty words back; the count models read at
# most three. Do they pick the right pronoun more often than a coin?

# %%
from helpers.tinyworld import pronoun_probe

stories = TinyWorld(seed=2).documents(300, "story", story_type="pronoun")
prompt, pronoun = pronoun_probe(stories[0])
print(f"{prompt} ___   (answer: {pronoun}, referring to {stories[0].fields['antecedent']})")
distances = [s.fields["pronoun_token"] - s.fields["antecedent_token"] for s in stories]
print(f"the antecedent is {min(distances)} to {max(distances)} words back, {sum(distances) / len(distances):.0f} "
      f"on average")


def count_pronoun_accuracy(model: NGramModel, stories) -> float:
    """How often the model gives the right pronoun more probability than the wrong one."""
    right = 0
    for story in stories:
        prompt, pronoun = pronoun_probe(story)
        words = ["\n"] + prompt.split(" ")
        other = "he" if pronoun == "she" else "she"
        right += model.probability(words, pronoun) > model.probability(words, other)
    return right / len(stories)


count_pronoun = {n: count_pronoun_accuracy(model, stories) for n, model in count_models.items()}
for n, accuracy in count_pronoun.items():
    print(f"{n}-gram picks the right pronoun in {accuracy:.0%} of {len(stories)} stories")
assert all(0.35 < accuracy < 0.65 for accuracy in count_pronoun.values())  # a coin flip

# %% [markdown]
# About half: a coin flip. The information is in the text, but outside the window. Counting longer windows
# does not fix it — a 30-word context almost never repeats exactly in any training text — which is why
# chapter 3 introduces attention, a way to look back over the whole text.
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
# came next, averaged over positions. An untrained model is about as good as a uniform guess, so its loss
# is near ln(563) ≈ 6.33 nats per word. By hand, then the helpers' function that the training loop uses:

# %%
from helpers.training import language_model_loss

targets = torch.tensor([tokenizer.encode("cat sat on the mat")])  # (1, 5): the next word at each position
picked = probabilities[0, torch.arange(5), targets[0]]  # (5,) probability of each true next word
loss_by_hand = -picked.log().mean()
print(f"loss by hand {loss_by_hand:.4f}, ln(V) = {math.log(vocab_size):.4f}")
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
# Training means: take a batch of windows of text, compute the loss, and nudge every number a little in the
# direction that lowers it (gradient descent, here the AdamW optimizer). `helpers.training.train` does that
# loop for any module that maps ids to logits; it cuts the token ids into windows of 32 words whose targets
# are the same words shifted by one.

# %%
from helpers.training import TrainingConfig, train

train_ids = torch.tensor(tokenizer.encode(train_text))  # (N_train,)
val_ids = torch.tensor(tokenizer.encode(val_text))  # (N_val,)
settings = TrainingConfig(max_steps=400, batch_size=32, learning_rate=0.03, warmup_steps=20, weight_decay=0.0,
                          eval_every=50, eval_batches=4, seed=0)
t0 = time.perf_counter()
history = train(neural_bigram, train_ids, val_ids, settings)
print(f"{settings.max_steps} steps of {settings.batch_size} x 32 words in {time.perf_counter() - t0:.0f} s; "
      f"validation loss {history.val_loss[0]:.2f} -> {history.val_loss[-1]:.2f} nats per word")

# %%
count_per_word = bigram.cross_entropy(val_words, context=["\n"])
figure, ax = plt.subplots(figsize=(7, 3))
ax.plot(history.step, history.val_loss, "o-", label="neural bigram (validation)")
ax.axhline(count_per_word, color="#e8590c", ls="--", label=f"count bigram ({count_per_word:.2f})")
ax.axhline(floor.nats_per_word, color="black", ls=":", label=f"TinyWorld's entropy floor ({floor.nats_per_word:.2f})")
ax.set(xlabel="training step", ylabel="nats per word", ylim=(0, 7), title="Learning to predict the next word")
ax.legend()
plt.show()

# %% [markdown]
# In nats per character, to compare with the floor. From scratch: the model reads one word, so the whole
# validation text fits in one forward pass; `helpers.scoring.nats_per_character` does the same for any
# model by sliding windows (it is what later chapters use for GPTs):

# %%
from helpers.scoring import nats_per_character

stream = torch.tensor([tokenizer.encode("\n") + tokenizer.encode(val_text)])  # (1, N + 1): a document starts
with torch.no_grad():
    nats = F.cross_entropy(neural_bigram(stream[:, :-1])[0], stream[0, 1:], reduction="sum").item()
neural_loss = {1: nats / len(val_text)}
print(f"neural bigram: {neural_loss[1]:.4f} nats per character; count bigram: {count_loss[2]:.4f}; "
      f"floor: {floor.nats_per_char:.4f}")
assert math.isclose(neural_loss[1], nats_per_character(neural_bigram, tokenizer, val_text), rel_tol=1e-4)
assert abs(neural_loss[1] - count_loss[2]) / count_loss[2] < 0.03

# %% [markdown]
# The neural bigram lands where the counts are, within a few percent: with one word of context, both learn
# the same thing, "which word tends to follow which". The difference is what comes next: a table of counts
# only grows, while a network can be given more inputs, more layers, and more data.
#
# The embedding already holds something: words that are followed by similar words get similar vectors.
# Nobody told the model what an animal, a name or a colour is. The nearest neighbours of a few words
# (cosine similarity of their vectors):

# %%
vectors = F.normalize(neural_bigram.embedding.weight.detach(), dim=1)  # (V, C), unit length
for word in ("cat", "alice", "red", "sat", "doctor", "she"):
    similarity = vectors @ vectors[tokenizer.encode(word)[0]]  # (V,)
    nearest = similarity.topk(6).indices[1:].tolist()
    print(f"{word:6} ~ {', '.join(tokenizer.token_strings(nearest))}")

# %% [markdown]
# Look at "she": its nearest neighbour is "he". What follows the two is the same, so a model that reads one
# word back has no reason to tell them apart — and, as section 3 showed, nothing in its window to choose
# between them.
#
# ## 5. Experiment: how much better does prediction get with more context?
#
# Reading 1, 2 or 3 words back: the count models are the bigram, trigram and 4-gram of section 3; the
# neural models are the same embedding + linear layer with `words_back` = 1, 2, 3.

# %%
neural_models = {1: neural_bigram}
for k in (2, 3):
    torch.manual_seed(0)
    neural_models[k] = NextWordModel(NextWordConfig(vocab_size, words_back=k))
    train(neural_models[k], train_ids, val_ids, settings, progress=False)
    neural_loss[k] = nats_per_character(neural_models[k], tokenizer, val_text)

print(f"{'words back':>10} {'count model':>12} {'neural model':>13}   (nats per character; floor {floor.nats_per_char:.3f})")
for k in (1, 2, 3):
    print(f"{k:10} {count_loss[k + 1]:12.4f} {neural_loss[k]:13.4f}")

figure, ax = plt.subplots(figsize=(6, 3.2))
ax.plot([1, 2, 3], [count_loss[k + 1] for k in (1, 2, 3)], "o-", label="count model (n-gram)")
ax.plot([1, 2, 3], [neural_loss[k] for k in (1, 2, 3)], "s--", label="neural model (embedding + linear)")
ax.axhline(floor.nats_per_char, color="black", ls=":", label="TinyWorld's entropy floor")
ax.set(xticks=[1, 2, 3], xlabel="words of context", ylabel="nats per character", ylim=(0, 0.5),
       title="More context, better prediction, diminishing returns")
ax.legend()
plt.show()

# %%
for losses in ({k: count_loss[k + 1] for k in (1, 2, 3)}, neural_loss):
    assert losses[1] > losses[2] > losses[3] > floor.nats_per_char  # more context helps; the floor holds
    assert losses[2] < 2 / 3 * losses[1]  # a second word of context cuts the loss by more than a third
    assert losses[1] - losses[2] > 3 * (losses[2] - losses[3])  # the third word helps far less than the second
assert neural_loss[3] < 1.02 * count_loss[4]

# %% [markdown]
# One word back to two cuts the loss by more than a third; the third word helps much less. With three words
# the neural model is slightly better than the 4-gram (0.255 against 0.260): the 4-gram knows only the
# exact three-word contexts it counted, while the network shares what it learns between similar words.
# Both kinds of model stay well above the floor: what is missing is not the next word or two but the
# far-back words (who the story is about, what the message asked), and neither model can see them.
#
# ## 6. NextTokenLab: a generation, one token at a time
#
# Writing with the neural model is the loop of the first picture: the model's probabilities for the next
# word, one draw, append, repeat. From scratch, with the 3-words-back model, six steps after "the cat sat
# on the" (the three most likely candidates at each step, then the word drawn):

# %%
writer = neural_models[3]


def shown(ids: list[int]) -> str:
    """Token ids as words, the line break drawn as ↵."""
    return " ".join(tokenizer.token_strings(ids)).replace("\n", "↵")


walk = tokenizer.encode("the cat sat on the")
generator = torch.Generator().manual_seed(0)
for step in range(6):
    with torch.no_grad():
        next_probabilities = writer(torch.tensor([walk]))[0, -1].softmax(dim=-1)  # (V,)
    if step == 0:
        first_probabilities = next_probabilities
    top = next_probabilities.topk(3)
    candidates = ", ".join(f"{shown([i])} {p:.2f}" for i, p in zip(top.indices.tolist(), top.values.tolist(),
                                                                   strict=True))
    walk.append(torch.multinomial(next_probabilities, 1, generator=generator).item())
    print(f"... {shown(walk[-4:-1]):18} -> {candidates:32} drew {shown(walk[-1:])!r} "
          f"({next_probabilities[walk[-1]]:.2f})")
print(shown(walk))

# %% [markdown]
# Drawing at random sometimes picks an unlikely word, and the model, reading three words, carries on from
# it as if nothing happened. The NextTokenLab does the same with buttons: it shows the candidates and the entropy of the distribution
# (how unsure the model is, in bits: 0 when it is certain); append the chosen token or a sampled one, undo,
# or type another prompt. Its probabilities are the ones computed above. Below, six sampled words.

# %%
from helpers.widgets import NextTokenLab

lab = NextTokenLab(writer, tokenizer, prompt="the cat sat on the", k=8, seed=0)
assert torch.allclose(lab.probabilities(), first_probabilities, atol=1e-6)
for _ in range(6):
    lab.append_sample()
print(shown(lab.ids()))
lab

# %% [markdown]
# ## 7. Before LLMs: a narrow spam tagger
#
# For decades, language software meant one program per narrow task. A classic example is the spam filter:
# count how often each word appears in spam and in normal messages ("ham"), then score a new message by
# how typical its words are of each. This is **naive Bayes** on word counts. From scratch, on TinyWorld's
# messages, for one message:

# %%
messages = [d for d in TinyWorld(seed=3).documents(600, "message") if d.label in ("ham", "spam")]
word_counts = {label: Counter() for label in ("ham", "spam")}
for d in messages:
    word_counts[d.label].update(d.text.split(" "))
known = set(word_counts["ham"]) | set(word_counts["spam"])
text = "urgent ! you have won a free car . call now to claim it ."
score = {}
for label, counts in word_counts.items():
    prior = math.log(sum(d.label == label for d in messages) / len(messages))
    total_words = sum(counts.values()) + len(known)  # add-one smoothing
    score[label] = prior + sum(math.log((counts[w] + 1) / total_words) for w in text.split(" ") if w in known)
print({label: round(s, 2) for label, s in score.items()}, "->", max(score, key=score.get))

# %%
from helpers.word_count_classifier import WordCountClassifier

tagger = WordCountClassifier.train([d.text for d in messages], [d.label for d in messages])
assert all(math.isclose(tagger.scores(text)[label], s) for label, s in score.items())
held_out = TinyWorld(seed=4).documents(1000, "message")
plain = [d for d in held_out if d.label in ("ham", "spam")]
spam_accuracy = tagger.accuracy([d.text for d in plain], [d.label for d in plain])
print(tagger, f"\naccuracy on {len(plain)} new ham and spam messages: {spam_accuracy:.1%}")
print("words that say spam:", [w for w, _ in tagger.telling_words("spam", 6)])
assert spam_accuracy > 0.95

# %% [markdown]
# Near perfect: on its narrow task, counting words works. Now what it cannot do.

# %%
harmful = [d for d in held_out if d.label == "harmful"]
filed = Counter(tagger.predict(d.text) for d in harmful)
passed_as_ham = filed["ham"] / len(harmful)
print(f"1. {len(harmful)} harmful messages (threats, insults) are filed as {dict(filed)}: "
      f"{passed_as_ham:.0%} pass as ham.")
question = "are we still meeting in the park tomorrow ?"
print(f"2. asked {question!r}, it can only say {tagger.predict(question)!r}; no answer, no reply.")
for other in ("the cat sat on the mat .", "three plus four is seven ."):
    probabilities = {label: f"{p:.0%}" for label, p in tagger.probabilities(other).items()}
    print(f"   {other!r} is not a message at all, yet: {probabilities}")
shuffled = text.split(" ")
random.Random(0).shuffle(shuffled)
shuffled = " ".join(shuffled)
same = all(math.isclose(tagger.scores(text)[label], tagger.scores(shuffled)[label]) for label in tagger.labels)
print(f"3. word order is invisible: {shuffled!r} gets the same scores: {same}")
assert passed_as_ham > 0.75 and same

# %% [markdown]
# A next-word model, trained on the same world but on no labels at all, can do what the tagger cannot:
# continue the message. Its continuation of "hey tom , are we still meeting":

# %%
prompt = "hey tom , are we still meeting"
for seed in range(3):
    print(prompt, " ".join(count_models[4].generate(prompt.split(" "), 12, seed=seed, stop=["\n"])).strip())

# %% [markdown]
# It is no spam filter either — but one model that predicts the next word well enough can be asked to do
# many tasks, which chapters 6 and 7 turn into classification and instruction following.
#
# ## 8. The Curiosity Spark, answered
#
# *Can a machine learn language well enough to predict what comes next in a conversation?* TinyWorld's
# messages are its conversations. On 300 new messages, how often is the model's single most likely next
# word the one that actually came, and how often does it pick the right pronoun in a story? (The pronoun
# test, written out below for the neural model, is `helpers.probes.pronoun_accuracy`, which chapters 2 and
# 3 use on transformers: same number.)

# %%
from helpers.probes import pronoun_accuracy

conversation = TinyWorld(seed=6).documents(300, "message")
message_text = "".join(d.text + "\n" for d in conversation)
ids = torch.tensor([tokenizer.encode("\n" + message_text)])  # (1, N + 1)
with torch.no_grad():
    guesses = neural_models[3](ids[:, :-1]).argmax(dim=-1)  # (1, N): the most likely next word everywhere
top1_neural = (guesses == ids[:, 1:]).float().mean().item()
message_words = split_words(message_text)
words_before = ["\n"] + message_words  # words_before[i] is the word before message_words[i]
hits = sum(next(iter(count_models[4].next_token_distribution(words_before[max(0, i - 2):i + 1]))) == word
           for i, word in enumerate(message_words))
top1_count = hits / len(message_words)
print(f"next word right on the first guess in messages: neural (3 words back) {top1_neural:.0%}, "
      f"4-gram {top1_count:.0%}")


def neural_pronoun_accuracy(model: NextWordModel, stories) -> float:
    """How often the neural model gives the right pronoun more probability than the wrong one."""
    she, he = tokenizer.encode("she")[0], tokenizer.encode("he")[0]
    right = 0
    for story in stories:
        prompt, pronoun = pronoun_probe(story)
        with torch.no_grad():
            logits = model(torch.tensor([tokenizer.encode("\n" + prompt)]))[0, -1]  # (V,)
        right += (logits[she] > logits[he]).item() == (pronoun == "she")
    return right / len(stories)


pronoun_neural = neural_pronoun_accuracy(neural_models[3], stories)
assert math.isclose(pronoun_neural, pronoun_accuracy(neural_models[3], tokenizer, stories), abs_tol=1e-6)
print(f"right pronoun: neural (3 words back) {pronoun_neural:.0%}, 4-gram {count_pronoun[4]:.0%}")
print(f"overall: {neural_loss[3]:.3f} nats per character against a floor of {floor.nats_per_char:.3f} "
      f"({neural_loss[3] / floor.nats_per_char - 1:.0%} above)")
assert top1_neural > 0.6 and top1_count > 0.6  # the next word of a message: right about three times in four
assert neural_loss[3] < 1.4 * floor.nats_per_char  # within 40% of the best possible
assert 0.35 < pronoun_neural < 0.65  # the pronoun: a coin flip

# %% [markdown]
# **Answer, measured.** Partly yes. After 400 training steps on 440,000 words, a model that reads the last
# three words guesses the next word of a new message right on its first try about three times in four (the
# 4-gram: 76%), and its average surprise is only about 30% above the best any model can do on TinyWorld
# (0.255 against 0.199 nats per character). But where the next word depends on something said far back —
# which person "she" is — it is no better than a coin (the 4-gram: 53%). Predicting what comes next *well*
# needs two things these models lack: much more capacity and data (chapter 2), and a way to look back over
# the whole text (chapter 3).
#
# ## Recap
#
# - A language model gives a probability to every possible next token; writing is repeated sampling.
# - TinyWorld knows the true probability of each document, so every model can be compared with the
#   entropy floor, in nats (or bits) per character, whatever its tokens.
# - Tokens: characters (tiny vocabulary, long sequences), words (short sequences, unknown words), BPE
#   (learned merges of bytes: nothing is unknown). A small BPE trains in well under a second.
# - Count models (n-grams) are tables of what followed each context; more context helps with diminishing
#   returns, and they cannot use anything outside their window (pronouns at chance).
# - A neural model of an embedding and a linear layer learns the same as the counts with one word of
#   context, and a bit more with three; it is trained by gradient descent on the cross-entropy loss.
# - Before LLMs, narrow tools like a word-count spam tagger did one task well and nothing else.
#
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
# About 0.42 for the 6-gram and 0.31 for the 8-gram (nats per character). Five characters of context are
# about one word ("the " plus a letter or two), so the 6-gram lands near the word bigram (0.44); seven
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
# About 0.35, 0.29 and 0.26: the loss falls as the data grows, because with little data most 4-word
# contexts are new and the model falls back on shorter ones. The first 1,000 documents use only 551 of the
# 561 words; without the full vocabulary the model gives the other 10 probability zero, and one of them in
# the validation text makes its cross-entropy infinite. Counting needs data that grows very fast with the
# context length — one reason for neural models, which share what they learn between similar words.
# </details>
#
# 3. **Greedy writing.** Make the 4-gram always pick its most likely next word instead of sampling,
#    starting from "the cat". What does it write, and why is that a problem?
#
# <details><summary>Solution</summary>
#
# ```python
# words = ["the", "cat"]
# for _ in range(15):
#     words.append(next(iter(count_models[4].next_token_distribution(words))))
# print(" ".join(words))
# ```
# "the cat . the cat sat on the mat . the cat sat on the mat ." Always taking the top word falls into the
# most common phrase and repeats it forever: the same context always gives the same choice. Chapter 4
# studies temperature, top-k and top-p sampling, which sit between always-the-top and fully random.
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
# Near perfect on TinyWorld — but only because someone labelled harmful examples. Every new task needs its
# own labelled data and its own model; a language model learns from unlabelled text and is then adapted.
# </details>
#
# ## Next
#
# Chapter 2 trains real (small) transformers on TinyWorld across model sizes and data sizes, and measures
# how their loss approaches the same entropy floor: why scale is what makes LLMs powerful. Chapter 3 comes
# back to the pronoun this chapter's models could not resolve. `helpers.ngram_model.NGramModel` and
# `helpers.word_count_classifier.WordCountClassifier` are the baselines later chapters compare with.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s")
