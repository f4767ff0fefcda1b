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
# # Chapter 6 — Pretraining and fine-tuning
#
# Pretraining gives a model general language ability: it reads a lot of text and learns to predict the next
# token. Fine-tuning then teaches it one skill with a little labelled data: to sort text (spam or not spam),
# to read a mood, or to follow instructions. *Could you fine-tune your own personal assistant?* This chapter
# does each step on a laptop CPU and measures what pretraining buys, each time against the same model trained
# without it.
#
# After this chapter you will be able to:
#
# - put a classification head on a pretrained GPT, fine-tune it, and measure how many labelled examples
#   pretraining saves (the *sample-efficiency curve*: pretrained against from scratch, 16 to 256 labels);
# - pretrain a small GPT yourself on real text messages, with a tokenizer fit to them, fine-tune it into a spam
#   filter, and compare it with the same model trained on the labels alone (with 906 labels and with 16) and with
#   naive Bayes; read its confusion matrix and its errors;
# - write LoRA in eight lines, tune its learning rate, and measure what it costs and saves;
# - instruction fine-tune with the prompt tokens masked out of the loss, on instructions the model never read,
#   and measure exact match before and after;
# - resume an interrupted run exactly, and check that two processes under torchrun train like one.
#
# One pretrained model, three ways of training it: pretraining grades every next token; classification
# fine-tuning puts a new head on the last token; instruction fine-tuning writes each example in a prompt
# template and grades only the response.
#
# ![Pretraining, classification fine-tuning with a new head on the last token, and instruction fine-tuning with the loss on the response only](../images/ch6-pretraining-to-fine-tuning.png)
#
# **Run time:** about 6 minutes on an idle 2-core laptop CPU the first time (two of them measuring section 2's curve, two pretraining section 3's model, both then kept in the cache), under 4 minutes after that; the reference model's weights come with the repository. The last cell prints this run's time.

# %%
import time

started, started_cpu = time.perf_counter(), time.process_time()

import copy
import math
import warnings

import matplotlib.pyplot as plt
import torch

from helpers.experiments.abilities import EVALUATION_SEED, LABELLED_SEED
from helpers.model import GPT
from helpers.pretrained import corpus_texts, pretrained, recipe_named
from helpers.runtime import seed_everything
from helpers.tinyworld2 import TinyWorld
from helpers.training import TrainingConfig, train

warnings.filterwarnings("ignore", category=UserWarning)
torch.set_num_threads(1)  # small models: a second thread mostly waits; one keeps a shared machine responsive
seed_everything(0)
model, tokenizer = pretrained("tinyworld2-l", progress=False)
pretraining_text = corpus_texts(recipe_named("tinyworld2-l"))[0]  # what it read: no test item may come from it
print(f"reference model: {model.num_parameters():,} parameters, {model.config.n_layer} blocks, "
      f"{model.config.n_embd}-dimensional hidden states; tokenizer: {tokenizer.vocab_size} tokens; pretrained on "
      f"{len(pretraining_text):,} characters of TinyWorld 2")


def standard_error(share: float, n: int) -> float:
    """One standard error of a share measured on n independent items."""
    return math.sqrt(share * (1 - share) / n)


# %% [markdown]
# ## 1. A head on the last token
#
# The language model ends in a head that scores every token of the vocabulary. For classification we keep
# everything up to the final LayerNorm and put a new, small linear layer on top that scores the classes.
# Which position should it read? In a causal model only the **last** token has seen the whole text, so we read
# the final hidden state there. The text is a TinyWorld 2 review cut where the reviewer is about to say whether
# they would go back: the point where a pretrained model has already worked the verdict out, because the next
# words depend on it. `model.trace` gives the hidden states (before the final LayerNorm):

# %%
from helpers.experiments.sample_efficiency import labelled_examples

texts, labels, classes = labelled_examples("sentiment", 4, TinyWorld(LABELLED_SEED))
for text, label in zip(texts, labels, strict=True):
    print(f"{label:8s} {text}")
ids = torch.tensor([tokenizer.encode("\n" + texts[0])])  # (1, T): read as a new document, as in pretraining
hidden = model.trace(ids).hidden_states[-1]  # (1, T, C), the last block's output
last = model.ln_f(hidden[:, -1])  # (1, C): the final hidden state of the last token
torch.manual_seed(0)
head = torch.nn.Linear(model.config.n_embd, len(classes))  # C -> 2 class scores
print("ids", tuple(ids.shape), "hidden", tuple(hidden.shape), "last token", tuple(last.shape),
      "scores", head(last).detach())

# %% [markdown]
# `helpers.finetuning.GPTClassifier` does the same without keeping every layer's attention (so gradients
# flow), for padded batches: texts are padded on the right, and it reads the last *real* token of each.
# Same numbers:

# %%
from helpers.finetuning import GPTClassifier

classifier = GPTClassifier(model, len(classes))
classifier.head.load_state_dict(head.state_dict())
assert torch.allclose(classifier(ids), head(last), atol=1e-5)
print("GPTClassifier matches the cells above:", classifier(ids).detach())

# %% [markdown]
# ## 2. Does pretraining pay? Fewer labels for the same skill
#
# Two tasks, each on held-out TinyWorld 2 documents (the 400 test texts come from a seed no corpus uses, and
# none is a pretraining document):
#
# - **sentiment**: reviews whose evidence is negated ("the bed was not bad") or a bare fact ("the shower was
#   cold"); reading them needs negation and what the world considers good. Two classes.
# - **support**: a customer's message; the label is which reply it needs, the customer's intent and mood
#   together (four intents times three moods, twelve classes).
#
# For each, we fine-tune on n labelled examples two models of the same shape: the pretrained one, and one with
# random weights (*from scratch*). Both learn every weight, with a new head, for the same number of steps; each
# with the learning rate that suited it best. One run written out, on 16 reviews:

# %%
from helpers.experiments.sample_efficiency import LEARNING_RATES, TEST_SIZE, fine_tuned_accuracy
from helpers.finetuning import ClassificationData, accuracy_and_confusion, classification_loss

CURVE_STEPS = 30  # the same for every n: 30 batches of up to 16 examples
sentiment_test = labelled_examples("sentiment", TEST_SIZE, TinyWorld(EVALUATION_SEED))
texts, labels, classes = labelled_examples("sentiment", 16, TinyWorld(LABELLED_SEED + 0))  # seed 0's examples
length = model.config.context_length
train_set = ClassificationData(tokenizer, texts, labels, classes, max_length=length)
test_set = ClassificationData(tokenizer, *sentiment_test, max_length=length)
torch.manual_seed(0)
tuned = GPTClassifier(copy.deepcopy(model), len(classes))  # a copy: the reference model stays as it is
config = TrainingConfig(max_steps=CURVE_STEPS, batch_size=16, learning_rate=LEARNING_RATES["pretrained"],
                        warmup_steps=CURVE_STEPS // 10, weight_decay=0.01, eval_every=CURVE_STEPS, eval_batches=1,
                        seed=0)
train(tuned, train_set, train_set, config, loss_fn=classification_loss, progress=False)
by_hand = accuracy_and_confusion(tuned, test_set)[0]
helper = fine_tuned_accuracy(model, tokenizer, "sentiment", 16, "pretrained", 0, sentiment_test, CURVE_STEPS)
print(f"fine-tuned on 16 reviews: {by_hand:.1%} of {TEST_SIZE} held-out reviews right (helpers: {helper:.1%})")
assert by_hand == helper

# %% [markdown]
# The curve: three seeds (each draws its own labelled examples) for each task, start and n of 16 and 64, and one
# seed at 256 to show where the curve is going. It takes about two minutes the first time and is kept in the
# cache (`cached_sample_efficiency`, keyed by the settings, the model's weights and its pretraining text), so
# later runs read it.

# %%
import statistics

from helpers.experiments.sample_efficiency import STARTS, TASKS, cached_sample_efficiency, gap
from helpers.runtime import cached_model_threads

CURVE_SIZES, CURVE_SEEDS = (16, 64, 256), (0, 1, 2)
with cached_model_threads():  # the same threads whoever measures it first
    curve = cached_sample_efficiency(model, tokenizer, sizes=CURVE_SIZES[:2], seeds=CURVE_SEEDS,
                                     pretraining_text=pretraining_text, steps=CURVE_STEPS)
    curve |= cached_sample_efficiency(model, tokenizer, sizes=CURVE_SIZES[2:], seeds=CURVE_SEEDS[:1],
                                      pretraining_text=pretraining_text, steps=CURVE_STEPS)
chance = {"sentiment": 1 / 2, "support": 1 / 12}
figure, axes = plt.subplots(1, 2, figsize=(9, 3), dpi=80)
for axis, task in zip(axes, TASKS, strict=True):
    for start, colour in zip(STARTS, ("tab:blue", "tab:grey"), strict=True):
        axis.plot(CURVE_SIZES, [statistics.fmean(curve[task, start, n]) for n in CURVE_SIZES], "o-", color=colour,
                  label=start)
        for n in CURVE_SIZES:
            axis.plot([n] * len(curve[task, start, n]), curve[task, start, n], ".", color=colour, alpha=0.4)
    axis.axhline(chance[task], color="black", lw=0.8, ls=":", label="chance")
    axis.set_xscale("log")
    axis.set_xticks(CURVE_SIZES, [str(n) for n in CURVE_SIZES])
    axis.minorticks_off()
    axis.set_ylim(0, 1.02)
    axis.set_title(f"{task}: {TEST_SIZE} held-out texts", fontsize=9)
    axis.set_xlabel("labelled examples")
axes[0].set_ylabel("test accuracy (dots: seeds)")
axes[0].legend(fontsize=8, loc="lower left")
figure.tight_layout()
plt.show()
gaps = {(task, n): gap(curve, task, n) for task in TASKS for n in CURVE_SIZES}
for (task, n), (mean, se) in gaps.items():
    accuracies = {start: statistics.fmean(curve[task, start, n]) for start in STARTS}
    spread = f"± {se:.1%} over {len(CURVE_SEEDS)} seeds" if n in CURVE_SIZES[:2] else "(one seed)"
    print(f"{task:9s} n = {n:3d}: pretrained {accuracies['pretrained']:6.1%}, from scratch "
          f"{accuracies['from scratch']:6.1%}, gap {mean:+.1%} {spread}")

# %%
for task in TASKS:
    for n in (16, 64):
        mean, se = gaps[task, n]
        assert mean >= 3 * se and mean >= 0.15, f"pretraining pays on {task} with {n} labels"

# %% [markdown]
# With 16 labelled reviews the pretrained model reads 98.7% of the 400 held-out reviews right (the mean of three
# seeds), the same model from scratch 59.2%: pretraining is worth +39.5 ± 3.8 points, and +35.2 ± 4.7 with 64
# labels. On the support task (twelve classes, chance 8%) the gap is +20.2 ± 2.5 points with 16 labels, too few
# to show every class even once, and +40.9 ± 1.8 with 64 (70.2% against 29.3%). All four are asserted above
# three standard errors and 15 points. With 256 labels (one seed) the model from scratch still gets nowhere in
# the same 30 steps (50.0% on sentiment, 30.3% on support): the pretrained model needs few labels *and* few
# steps, because it already worked out what a review or a customer means while learning to predict the words
# that follow. With many more labels and steps the model from scratch would close part of the gap; on the budget
# of a fine-tuning run it does not.
#
# ## 3. Real SMS spam: pretrain on the collection, then fine-tune
#
# The same recipe on real text messages: UCI's SMS Spam Collection (5,574 messages, 747 of them spam), when the
# file is available (it is downloaded once; CI reads a local mirror). About 400 messages are there more than once
# (the same spam sent to many people); we keep one copy of each, so no test message is also a training message.
# We hold out a **balanced** test set, 150 spam and 150 ham, and 50 of each for validation; the remaining spam and
# as many ham messages are the labelled training set. A tagger that always says "ham" scores 50% on this test.

# %%
import random

from helpers.downloads import DownloadError, load

SMS_CLASSES = ["ham", "spam"]
try:
    lines = load("SMSSpamCollection", progress=False).read_text(encoding="utf-8").splitlines()
    sms = list(dict.fromkeys(tuple(line.split("\t", 1)) for line in lines if "\t" in line))  # one copy of each
except DownloadError as error:
    sms = None
    print("The SMS Spam Collection is not available, so this section is skipped:", str(error).splitlines()[0])

if sms is not None:
    by_label = {label: [text for lab, text in sms if lab == label] for label in SMS_CLASSES}
    print({label: len(texts) for label, texts in by_label.items()}, "messages in the collection")
    rng = random.Random(0)
    for texts in by_label.values():
        rng.shuffle(texts)
    n_spam = len(by_label["spam"])
    parts = {"test": (0, 150), "validation": (150, 200), "train": (200, n_spam)}  # per class: balanced
    sms_splits = {name: ([text for label in SMS_CLASSES for text in by_label[label][a:b]],
                         [label for label in SMS_CLASSES for _ in range(a, b)]) for name, (a, b) in parts.items()}
    for name, (texts, labels) in sms_splits.items():
        print(f"{name:10s} {len(texts):5d} messages, {labels.count('spam') / len(labels):.0%} spam")
    texts, labels = sms_splits["train"]
    for i in (0, 1, -2, -1):  # two of each class
        print(f"  {labels[i]:5s} {texts[i]}")

# %% [markdown]
# The baseline to beat is chapter 1's word-count tagger (naive Bayes): spam announces itself with words like
# "free", "txt" and "prize", so counting words is a strong method on this collection.

# %%
from helpers.word_count_classifier import WordCountClassifier

if sms is not None:
    sms_test_texts, sms_test_labels = sms_splits["test"]
    sms_tagger = WordCountClassifier.train(*sms_splits["train"])
    naive_bayes = sms_tagger.accuracy(sms_test_texts, sms_test_labels)
    print(f"word counts (naive Bayes): test accuracy {naive_bayes:.1%} ± "
          f"{standard_error(naive_bayes, len(sms_test_texts)):.1%}")

# %% [markdown]
# ### Pretraining on the messages themselves
#
# The reference model read only TinyWorld 2: its tokenizer cuts "Txt 87121 to win FA Cup tkts" into small
# pieces and its weights know none of these words. Real models are pretrained on text like the text they will
# work on. We can do that here: every message of the collection **outside the labelled test and validation
# sets** is unlabelled text to pretrain on (the labels are never used), about 4,800 messages. First a BPE
# tokenizer fit to them:

# %%
from helpers.tokenizers import BPETokenizer

SMS_VOCABULARY = 1024
if sms is not None:
    held_out = set(sms_splits["test"][0]) | set(sms_splits["validation"][0])
    unlabelled = [text for _, text in sms if text not in held_out]  # labels dropped; test messages left out
    sms_text = "\n".join(unlabelled) + "\n"  # one message per line, as TinyWorld's documents
    began = time.perf_counter()
    sms_tokenizer = BPETokenizer.train(sms_text, SMS_VOCABULARY)
    example = "Txt 87121 to win FA Cup tkts"
    print(f"{len(unlabelled):,} messages, {len(sms_text):,} characters; a {SMS_VOCABULARY}-token BPE in "
          f"{time.perf_counter() - began:.1f} s")
    for name, tok in (("TinyWorld 2's", tokenizer), ("the SMS", sms_tokenizer)):
        pieces = [tok.decode([i]) for i in tok.encode(example)]
        print(f"{name:14s} tokenizer: {len(pieces):2d} tokens {pieces}")

# %% [markdown]
# Then next-token pretraining, the same `train` as every chapter's, on a warmup-then-cosine learning-rate
# schedule (drawn below). About 5,000 messages are little text for a model, so it reads them many times over
# (many *epochs*): dropout (10% of the activations zeroed at random while training) keeps it from memorising them.
# It takes a few minutes, so it is trained once and kept in the cache (`trained_once`, keyed by the settings and
# the text), as every chapter's pretrained model is; later runs load it.

# %%
from helpers.experiments.sample_efficiency import cached_pretraining
from helpers.model import GPTConfig
from helpers.training import History, TrainingEvent, learning_rate_at
from helpers.widgets import TrainingDashboard
from helpers.windows import split_ids

SMS_LAYERS, SMS_WIDTH, SMS_CONTEXT, SMS_DROPOUT = 4, 128, 64, 0.1  # 0.9M parameters
SMS_PRETRAIN_STEPS = 800  # of 32 x 64 tokens
if sms is not None:
    sms_ids = torch.tensor(sms_tokenizer.encode(sms_text))  # (N,)
    sms_train_ids, sms_val_ids = split_ids(sms_ids, validation_fraction=0.05)
    sms_config = GPTConfig(vocab_size=sms_tokenizer.vocab_size, context_length=SMS_CONTEXT, n_layer=SMS_LAYERS,
                           n_head=4, n_embd=SMS_WIDTH, dropout=SMS_DROPOUT)
    pretrain_config = TrainingConfig(max_steps=SMS_PRETRAIN_STEPS, batch_size=32, learning_rate=3e-3,
                                     warmup_steps=SMS_PRETRAIN_STEPS // 10, eval_every=SMS_PRETRAIN_STEPS // 10,
                                     eval_batches=8, seed=0)
    epochs = SMS_PRETRAIN_STEPS * 32 * SMS_CONTEXT / len(sms_train_ids)
    print(f"{len(sms_ids):,} tokens; {SMS_PRETRAIN_STEPS} steps read the training tokens {epochs:.0f} times over")
    steps = range(pretrain_config.max_steps)
    plt.figure(figsize=(5, 2.2), dpi=80)
    plt.plot(steps, [learning_rate_at(s, pretrain_config) for s in steps])
    plt.xlabel("step")
    plt.ylabel("learning rate")
    plt.title("linear warmup, then cosine decay", fontsize=9)
    plt.tight_layout()
    plt.show()

# %%
if sms is not None:
    began = time.perf_counter()
    checkpoint = cached_pretraining(sms_config, pretrain_config, sms_text, sms_tokenizer, sms_train_ids, sms_val_ids)
    sms_model, sms_history = checkpoint.build_model(), History.from_dict(checkpoint.history)
    # the dashboard replays the run's evaluations; at the last one it also writes a sample from the trained model
    dashboard = TrainingDashboard(sms_tokenizer, prompt="Free", sample_every=SMS_PRETRAIN_STEPS, max_new_tokens=30)
    for step, train_loss, val_loss in zip(sms_history.step[:-1], sms_history.train_loss[:-1],
                                          sms_history.val_loss[:-1], strict=True):
        dashboard.record(step, train_loss, val_loss, SMS_PRETRAIN_STEPS)
    dashboard(TrainingEvent(SMS_PRETRAIN_STEPS, SMS_PRETRAIN_STEPS, {"train_loss": sms_history.train_loss[-1],
                                                                     "val_loss": sms_history.val_loss[-1]},
                            sms_model, sms_history))
    counts = torch.bincount(sms_train_ids, minlength=sms_tokenizer.vocab_size) + 1  # token frequencies, smoothed
    unigram = float(-(counts / counts.sum()).log()[sms_val_ids].mean())  # knowing only how common each token is
    print(f"{sms_model.num_parameters():,} parameters, {SMS_PRETRAIN_STEPS} steps ({time.perf_counter() - began:.0f} s "
          f"in this run, next to nothing when the cache holds it): validation loss {sms_history.val_loss[0]:.2f} -> "
          f"{sms_history.val_loss[-1]:.2f} nats per token (token frequencies alone: {unigram:.2f})")
    assert sms_history.val_loss[-1] < unigram - 0.5
dashboard if sms is not None else None

# %% [markdown]
# ### Fine-tuned, against the same model trained on the labels alone
#
# Now a two-class head on the last token of each message, every weight trained, on the labelled training set:
# once starting from the model pretrained above, once from random weights (the same architecture, the same
# steps; each start at the learning rate that suited it on the validation set). Messages longer than the
# model's 64-token context are cut at 64 tokens. Each start is fine-tuned with three seeds (the head's first
# weights, the dropout and the order of the batches differ); we score each test message by its share of right
# answers over the seeds.

# %%
from helpers.experiments.sample_efficiency import mean_and_se, paired_difference, per_item_scores
from helpers.finetuning import add_lora, predict, set_trainable, trainable_parameters

SMS_FINE_TUNE_STEPS, SMS_SEEDS = 100, (0, 1, 2)  # 100 steps of 32: about three passes over the 906 labelled messages
SMS_LEARNING_RATES = {"pretrained": 1e-3, "from scratch": 1e-3}  # the better of 3e-4 and 1e-3 on validation


def fine_tune_sms(start: str, data: dict, *, learning_rate: float, steps: int = SMS_FINE_TUNE_STEPS,
                  batch_size: int = 32, seed: int = 0) -> dict:
    """A spam classifier trained one way: its validation and test accuracy, test confusion and per-message
    correctness, trainable count, time."""
    torch.manual_seed(seed)
    classifier = GPTClassifier(GPT(sms_config) if start == "from scratch" else copy.deepcopy(sms_model), 2)
    trainable = add_lora(classifier, rank=4, alpha=8.0) if start == "LoRA" else set_trainable(classifier, "all")
    config = TrainingConfig(max_steps=steps, batch_size=batch_size, learning_rate=learning_rate,
                            warmup_steps=steps // 10, weight_decay=0.0, eval_every=steps, eval_batches=1, seed=seed)
    began = time.perf_counter()
    train(classifier, data["train"], data["validation"], config, loss_fn=classification_loss, progress=False)
    result = {"start": start, "trainable": trainable, "seconds": time.perf_counter() - began}
    result["validation"] = accuracy_and_confusion(classifier, data["validation"])[0]
    result["test"], result["confusion"] = accuracy_and_confusion(classifier, data["test"])
    result["correct"] = (predict(classifier, data["test"]) == data["test"].labels).float().tolist()  # (300,) 0 or 1
    result["classifier"] = classifier
    return result


if sms is not None:
    sms_data = {name: ClassificationData(sms_tokenizer, texts, labels, SMS_CLASSES, max_length=SMS_CONTEXT)
                for name, (texts, labels) in sms_splits.items()}
    print(f"{sms_data['train'].truncated} of {len(sms_data['train'])} training messages cut to {SMS_CONTEXT} tokens")
    sms_runs = {start: [fine_tune_sms(start, sms_data, learning_rate=SMS_LEARNING_RATES[start], seed=seed)
                        for seed in SMS_SEEDS] for start in ("from scratch", "pretrained")}
    sms_scores = {start: per_item_scores([r["correct"] for r in runs]) for start, runs in sms_runs.items()}
    nb_scores = [float(sms_tagger.predict(text) == label) for text, label in zip(sms_test_texts, sms_test_labels,
                                                                                  strict=True)]
    for start, runs in sms_runs.items():
        mean, se = mean_and_se(sms_scores[start])
        print(f"{start:13s} test {mean:6.1%} ± {se:.1%} (seeds: "
              + ", ".join(f"{r['test']:.1%}" for r in runs)
              + f"; validation {statistics.fmean(r['validation'] for r in runs):.1%}; "
                f"{statistics.fmean(r['seconds'] for r in runs):.0f} s a run)")
    print(f"naive Bayes   test {naive_bayes:6.1%} ± {mean_and_se(nb_scores)[1]:.1%}")

# %% [markdown]
# Where are the errors? The confusion matrix counts, for each true class (rows), what the classifier said
# (columns), here for seed 0 of each start; the messages the fine-tuned model gets wrong with most of its seeds
# follow.

# %%
if sms is not None:
    figure, axes = plt.subplots(1, 2, figsize=(7, 2.9), dpi=80)
    for axis, runs in zip(axes, sms_runs.values(), strict=True):
        r = runs[0]
        confusion = r["confusion"]
        axis.imshow(confusion, cmap="Blues", vmin=0, vmax=confusion.sum(1).max())
        for i in range(2):
            for j in range(2):
                axis.text(j, i, int(confusion[i, j]), ha="center", va="center", fontsize=12,
                          color="white" if i == j else "black")
        axis.set_xticks([0, 1], [f"said {c}" for c in SMS_CLASSES])
        axis.set_yticks([0, 1], [f"is {c}" for c in SMS_CLASSES])
        axis.set_title(f"{r['start']}, seed 0: test {r['test']:.1%}", fontsize=9)
    figure.tight_layout()
    plt.show()
    for text, label, share in zip(sms_test_texts, sms_test_labels, sms_scores["pretrained"], strict=True):
        if share < 0.5:
            print(f"is {label}, right with {round(share * len(SMS_SEEDS))} of {len(SMS_SEEDS)} seeds: {text[:100]}")

# %%
if sms is not None:
    (tuned_sms, tuned_se), (scratch_sms, scratch_se) = (mean_and_se(sms_scores[start])
                                                         for start in ("pretrained", "from scratch"))
    nb_se = mean_and_se(nb_scores)[1]
    sms_gap, sms_gap_se = paired_difference(sms_scores["pretrained"], sms_scores["from scratch"])
    nb_gap, nb_gap_se = paired_difference(sms_scores["pretrained"], nb_scores)
    print(f"pretrained minus from scratch: {sms_gap:+.1%} ± {sms_gap_se:.1%}; minus naive Bayes: {nb_gap:+.1%} ± "
          f"{nb_gap_se:.1%} (paired over the 300 test messages; unpaired the first would be ± "
          f"{math.hypot(tuned_se, scratch_se):.1%})")
    assert tuned_sms - 0.5 >= 3 * tuned_se, "far better than always saying ham"
    assert sms_gap >= -2 * sms_gap_se and nb_gap >= -2 * nb_gap_se, "not worse than either baseline beyond noise"

# %% [markdown]
# On the 300 held-out messages, the model pretrained on the collection's own messages and then fine-tuned is
# right on 95.1 ± 1.1% (the mean of three seeds), the same model trained on the 906 labelled messages alone on
# 94.8 ± 1.1%, naive Bayes on 95.7 ± 1.2%; all far above the 50% of always saying ham (asserted). Compared message
# by message, pretraining is worth +0.3 ± 0.8 points and naive Bayes is 0.6 ± 1.2 points ahead: within noise
# (asserted: the fine-tuned model is not worse than either beyond two standard errors). Most of its errors are
# spam let through, spam written like a friend's message. Pretraining read the messages eleven times over, with
# dropout, and took the validation loss from 6.95 to 4.29 nats per token, far below the 6.08 of token frequencies
# alone; but with all 906 labels the evidence is in the words ("free", "txt", "call", long numbers), and the
# labels alone teach them. The 96% this chapter aimed for was not reached by a 0.9M-parameter model in this
# budget; a course that fine-tunes GPT-2 small (124M parameters, pretrained on 40 GB of web text) reports 95.67%
# on a balanced split like this one, level with naive Bayes here.
#
# ### With few labels
#
# Section 2 found pretraining worth most when labels are few. The same question on SMS: 16 labelled messages (the
# first 8 ham and 8 spam of the training set), 30 steps of 16, the same learning rate for both starts:

# %%
if sms is not None:
    train_texts, train_labels = sms_splits["train"]  # the ham first, then the spam
    first_spam = train_labels.index("spam")
    picked = [*range(8), *range(first_spam, first_spam + 8)]
    few = {"train": ClassificationData(sms_tokenizer, [train_texts[i] for i in picked],
                                       [train_labels[i] for i in picked], SMS_CLASSES, max_length=64),
           "validation": sms_data["validation"], "test": sms_data["test"]}
    few_results = {start: fine_tune_sms(start, few, learning_rate=1e-3, steps=30, batch_size=16)
                   for start in ("from scratch", "pretrained")}
    few_gap, few_se = paired_difference(few_results["pretrained"]["correct"], few_results["from scratch"]["correct"])
    for r in few_results.values():
        print(f"16 labels, {r['start']:13s} test {r['test']:6.1%} ± {standard_error(r['test'], 300):.1%}")
    print(f"pretraining on the collection is worth {few_gap:+.1%} ± {few_se:.1%} (paired, over the test messages)")
    assert few_gap >= 3 * few_se, "with 16 labels, pretraining on the messages pays"

# %% [markdown]
# With 16 labels the model pretrained on the collection's messages is right on 94.7% of the test messages, the
# same model from scratch on 67.0%: pretraining is worth +27.7 ± 2.9 points (compared message by message;
# asserted above three standard errors). The unlabelled messages taught the model what messages look like; 16 labels are then enough to say
# which of them are spam. With 906 labels the model from scratch learns that from the labels themselves.
#
# ### Interrupted and resumed
#
# Long runs must survive interruptions. `train` saves a checkpoint (weights, optimizer state, random-number
# state, history) when it is stopped, and continues exactly where it left off. We stop a short pretraining run
# at step 30 of 50 (a callback raising KeyboardInterrupt, as Ctrl-C would), resume it in a fresh model, and
# compare with an uninterrupted run:

# %%
import tempfile

from helpers.training import TrainingInterrupted

if sms is not None:
    short = TrainingConfig(max_steps=50, batch_size=8, learning_rate=3e-3, warmup_steps=5, eval_every=25,
                           eval_batches=2, seed=0)
    small = GPTConfig(vocab_size=sms_tokenizer.vocab_size, context_length=32, n_layer=1, n_head=2, n_embd=32)

    def interrupt_at_30(event):
        if event.step == 30:
            raise KeyboardInterrupt

    with tempfile.TemporaryDirectory() as folder:
        torch.manual_seed(0)
        try:
            train(GPT(small), sms_train_ids, sms_val_ids, short, checkpoint_dir=folder, callbacks=[interrupt_at_30],
                  progress=False)
        except TrainingInterrupted as stop:
            print("interrupted:", str(stop).split(":")[0])
        torch.manual_seed(1)  # a fresh process would start with other random weights: the checkpoint replaces them
        resumed_history = train(GPT(small), sms_train_ids, sms_val_ids, short, checkpoint_dir=folder, progress=False)
    torch.manual_seed(0)
    straight_history = train(GPT(small), sms_train_ids, sms_val_ids, short, progress=False)
    print(f"final validation loss: resumed {resumed_history.val_loss[-1]:.6f}, "
          f"uninterrupted {straight_history.val_loss[-1]:.6f}")
    assert abs(resumed_history.val_loss[-1] - straight_history.val_loss[-1]) < 1e-6

# %% [markdown]
# ## 4. LoRA: fine-tuning a few numbers
#
# Fine-tuning every weight keeps a full copy of the model per task. LoRA (Hu et al., 2021) freezes every
# pretrained weight and learns a small low-rank update beside each linear layer: a frozen `W` (out x in)
# becomes `W + (alpha / r) B A`, with `A` (r x in) and `B` (out x r). `B` starts at zero, so at the start the
# model is exactly the pretrained one. Written out:

# %%
from torch import nn


class MyLoRA(nn.Module):
    """A frozen linear layer plus a trainable low-rank update: only A and B learn."""

    def __init__(self, base: nn.Linear, rank: int = 4, alpha: float = 8.0):
        super().__init__()
        self.base = base.requires_grad_(False)
        self.A = nn.Parameter(torch.randn(rank, base.in_features) / math.sqrt(base.in_features))  # (r, in)
        self.B = nn.Parameter(torch.zeros(base.out_features, rank))  # (out, r): zero, so nothing changes at first
        self.scale = alpha / rank

    def forward(self, x):
        return self.base(x) + (x @ self.A.T @ self.B.T) * self.scale  # (..., in) -> (..., out)


# %% [markdown]
# `helpers.finetuning.LoRALinear` is the same layer; `add_lora` wraps every attention and MLP linear layer of
# every block in one and freezes everything else but the new head:

# %%
from helpers.finetuning import LoRALinear

base = model.h[0].mlp.c_fc  # a pretrained 192 -> 768 linear layer of the reference model
torch.manual_seed(0)
mine = MyLoRA(copy.deepcopy(base))
torch.manual_seed(0)
theirs = LoRALinear(copy.deepcopy(base))
x = torch.randn(3, base.in_features)
assert torch.equal(mine(x), base(x))  # B = 0: the pretrained layer, unchanged
with torch.no_grad():
    mine.B.normal_()
    theirs.B.copy_(mine.B)
assert torch.allclose(mine(x), theirs(x)) and trainable_parameters(mine) == trainable_parameters(theirs)
print(f"full weight {base.weight.numel():,} numbers; LoRA rank 4 trains {trainable_parameters(mine):,} "
      f"({trainable_parameters(mine) / base.weight.numel():.1%})")

# %% [markdown]
# LoRA needs its own learning rate: its few numbers start from zero and must move far, so it is tuned on the
# validation set, not borrowed from full fine-tuning. A small grid on the SMS task:

# %%
if sms is not None:
    lora_grid = {lr: fine_tune_sms("LoRA", sms_data, learning_rate=lr) for lr in (3e-3, 1e-2)}
    for lr, r in lora_grid.items():
        print(f"LoRA, learning rate {lr:g}: validation {r['validation']:.1%}")
    best_lr = max(lora_grid, key=lambda lr: (lora_grid[lr]["validation"], -lr))
    lora = lora_grid[best_lr]
    full = sms_runs["pretrained"][0]  # seed 0, as LoRA's runs
    print(f"{'':24s} {'trainable':>10s} {'share':>6s} {'test':>7s} {'time':>6s}")
    for name, r in (("full fine-tuning", full), (f"LoRA (rate {best_lr:g})", lora)):
        print(f"{name:24s} {r['trainable']:10,d} {r['trainable'] / full['trainable']:6.1%} {r['test']:7.1%} "
              f"{r['seconds']:5.1f}s")
    assert round(abs(full["test"] - lora["test"]), 4) <= 0.02 and lora["trainable"] < full["trainable"] / 10

# %% [markdown]
# LoRA trains 33,026 numbers, 3.5% of what full fine-tuning trains (the adapters and the new head), and is right
# on 95.0% of the test messages against full fine-tuning's 94.3% (seed 0 of each; asserted: within 2 points). The
# smaller learning rate of the grid did better on validation (98.0% against 97.0%) and is kept. On this CPU a LoRA step costs about as much
# as a full one (the time column): the frozen weights still run forward, and backward for the gradients that
# reach the earlier adapters. What LoRA saves is memory (no optimizer state for the frozen weights) and what you keep per task:
# 33 thousand numbers instead of a copy of the model.
#
# ## 5. Instruction fine-tuning: your assistant
#
# TinyWorld 2 writes instructions ("instruction : translate to tiny : the dog runs . response : ...") for four
# tasks: translate a sentence, read a review's sentiment, answer a question about a short story, and send a
# customer's message to the right team. None of them is in the pretraining text: the reference model has never
# seen this format. The test instructions are held out twice over (`helpers.experiments.abilities.instruction_pairs`,
# tested): none is a fine-tuning instruction, and what each asks about (the review, the message, the story) is
# not a pretraining document; a sentence to translate, and its translation, occur nowhere in the pretraining
# text.

# %%
from helpers.experiments.abilities import instruction_pairs
from helpers.finetuning import IGNORE_INDEX, InstructionData, answer, exact_match, format_prompt

TEMPLATE = "instruction : {instruction} response :"
INSTRUCTION_STEPS, INSTRUCTION_LR = 60, 1e-3
tuning_pairs = instruction_pairs(400, seed=LABELLED_SEED)
test_pairs = instruction_pairs(100, pretraining_text=pretraining_text, exclude=tuning_pairs)
print(f"{len(tuning_pairs)} instructions to fine-tune on, {len(test_pairs)} held out; a test prompt and its own "
      f"target:\n  {format_prompt(test_pairs[0][0], TEMPLATE)!r}\n  -> {test_pairs[0][1]!r}")
instruction_data = InstructionData(tokenizer, tuning_pairs, template=TEMPLATE)
inputs, targets = instruction_data[0]
print("inputs", tuple(inputs.shape), "; targets counted in the loss:",
      repr(tokenizer.decode(targets[targets != IGNORE_INDEX].tolist())))

# %% [markdown]
# The collate function sets the targets of every prompt position to -100 (`IGNORE_INDEX`), which
# cross-entropy skips: the model is graded only on the answer, not on reproducing the question.

# %%
SHOWN = [next(pair for pair in test_pairs if pair[0].startswith(words)) for words in
         ("translate", "is this review", "answer the question", "which team")]
before = exact_match(model, tokenizer, test_pairs, TEMPLATE)
before_answers = [answer(model, tokenizer, instruction, TEMPLATE) for instruction, _ in SHOWN]
assistant = copy.deepcopy(model)
instruct_config = TrainingConfig(max_steps=INSTRUCTION_STEPS, batch_size=16, learning_rate=INSTRUCTION_LR,
                                 warmup_steps=INSTRUCTION_STEPS // 10, weight_decay=0.0,
                                 eval_every=INSTRUCTION_STEPS, eval_batches=2, seed=0)
began = time.perf_counter()
train(assistant, instruction_data, InstructionData(tokenizer, test_pairs[:32], template=TEMPLATE), instruct_config,
      progress=False)
instruct_seconds = time.perf_counter() - began
after = exact_match(assistant, tokenizer, test_pairs, TEMPLATE)
n_test = len(test_pairs)
print(f"exact match on {n_test} held-out instructions: before {before:.1%} ± {standard_error(before, n_test):.1%}, "
      f"after {instruct_config.max_steps} steps ({instruct_seconds:.0f} s) {after:.1%} ± "
      f"{standard_error(after, n_test):.1%}")
for (instruction, target), said in zip(SHOWN, before_answers, strict=True):
    print(f"\n{instruction}\n  target: {target!r}\n  before: {said!r}\n  after:  "
          f"{answer(assistant, tokenizer, instruction, TEMPLATE)!r}")
assert after - before >= 3 * standard_error(after, n_test)

# %% [markdown]
# Before fine-tuning, the reference model answers none of the 100 held-out instructions exactly (0.0%): it has
# never seen the format and carries on as if it were writing a document (the "before" lines). After 60 steps on
# 400 instructions (the time is printed above) it answers 68.0 ± 4.7% exactly, asserted at least three standard
# errors above the un-tuned model. It learned the template and where to stop, and it answers with what
# pretraining taught it: the sentences, reviews, stories and messages above are ones it never read.
#
# Your assistant: write instructions of your own (TinyWorld words work best).

# %%
for instruction in ["translate to tiny : the cat sees a dog .",
                    "is this review positive or negative ? i stayed at the hotel by the sea . the bed was not bad .",
                    "which team should answer this message ? customer : my lamp is broken ."]:
    print(f"{instruction!r:100s} -> {answer(assistant, tokenizer, instruction, TEMPLATE)!r}")

# %% [markdown]
# ## 6. Several processes: torchrun
#
# Data-parallel training runs the same `train` loop in several processes. Each process (a *rank*) holds a full
# copy of the model and takes its own slice of every global batch; after the backward pass, PyTorch's
# `DistributedDataParallel` averages the gradients over the ranks (an *all-reduce*), so every rank applies the
# same update, the one a single process would make with the whole batch. Nothing else changes: same seed, same
# batches, same losses, up to the rounding of sums done in another order. We check exactly that: the same short
# run, with one process and with two, at the same global batch of 8 windows.

# %%
import json
import os
import socket
import subprocess
import sys


def torchrun(processes: int, history: str) -> dict:
    """Run helpers.train_distributed for 8 steps under torchrun with this many processes; its metrics history."""
    with socket.socket() as probe:  # a free port for the processes to meet on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes),
               "--master_addr", "127.0.0.1", "--master_port", str(port), "-m", "helpers.train_distributed",
               "--recipe", "tinyworld2-mini", "--max-steps", "8", "--eval-every", "4", "--batch-size", "8",
               "--threads", "1", "--history", history]
    run = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd="..",
                         env=dict(os.environ, GLOO_SOCKET_IFNAME="lo"))
    assert run.returncode == 0, f"torchrun failed ({run.returncode}): " + run.stderr[-1500:]
    return json.loads(open(history).read())


print("torchrun --nproc_per_node 2 -m helpers.train_distributed --recipe tinyworld2-mini --max-steps 8 ...")
began = time.perf_counter()
with tempfile.TemporaryDirectory() as folder:
    runs = {processes: torchrun(processes, os.path.join(folder, f"{processes}.json")) for processes in (1, 2)}
for run in runs.values():
    print(f"{run['world_size']} process(es): training loss "
          + ", ".join(f"{loss:.5f}" for loss in run["history"]["train_loss"]))
torchrun_gap = max(abs(a - b) for name in ("train_loss", "val_loss")
                   for a, b in zip(runs[1]["history"][name], runs[2]["history"][name], strict=True))
print(f"largest difference between the two: {torchrun_gap:.1e} ({time.perf_counter() - began:.0f} s, mostly "
      f"starting the processes)")
assert runs[2]["world_size"] == 2 and torchrun_gap < 1e-4

# %% [markdown]
# One process and two reach the same losses at every step (the largest difference is printed above: rounding).
# Nearly all of the time goes into starting the processes (each imports PyTorch and builds its data); on a
# machine with many cores or GPUs, the steps are where the time goes and the ranks divide it.
#
# ## Recap
#
# - A classification head reads the final hidden state of the last token. Fine-tuned from the pretrained
#   model, it learns a task from 16 or 64 labels and 30 steps, where the same model trained from scratch stays
#   20 to 41 points behind (section 2's curve).
# - On real SMS spam a small GPT, pretrained on the collection's own unlabelled messages with a tokenizer fit to
#   them, fine-tunes to about 95% (three seeds), within noise of the same model trained on the labels alone and
#   of naive Bayes when 906 labels are there; with 16 labels, pretraining is worth about 28 points.
# - LoRA trains a small share of the numbers, with a learning rate of its own, and lands close to full
#   fine-tuning.
# - Instruction fine-tuning masks the prompt out of the loss and teaches a format and behaviour the model never
#   read; exact match on held-out instructions measures it.
# - Checkpoints make long runs resumable exactly; torchrun spreads the same loop over processes and gets the
#   same losses.
#
# *Could you fine-tune your own personal assistant?* On TinyWorld, yes: 400 instructions and 60 steps of
# fine-tuning on a laptop CPU took the reference model from 0% to 68% exact answers on instructions it never read,
# in a format it had never seen. What fine-tuning on examples does not teach is judgement: which of two
# acceptable answers a person prefers, or when to decline. That is the next step in making an assistant,
# preference tuning, and chapter 8 takes it: the model is tuned on pairs of a preferred and a rejected answer
# (direct preference optimization, DPO), with the same training loop.
#
# ## What we measured
#
# Each claim of the chapter, its figure from this run (± one standard error) and the baseline it beats by at
# least three standard errors (the SMS row says where a comparison is within noise):

# %%
from IPython.display import Markdown


def measured(share: float, n: int) -> str:
    return f"{share:.1%} ± {standard_error(share, n):.1%}"


def seeds(task: str, start: str, n: int) -> str:
    return f"{statistics.fmean(curve[task, start, n]):.1%}"


rows = [(f"Pretraining pays on {task} with {n} labels",
         f"{seeds(task, 'pretrained', n)} (gap {gaps[task, n][0]:+.1%} ± {gaps[task, n][1]:.1%}, 3 seeds)",
         f"from scratch {seeds(task, 'from scratch', n)}; chance {chance[task]:.0%}")
        for task in TASKS for n in (16, 64)]
if sms is not None:
    rows += [("A small GPT pretrained on the collection's messages, then fine-tuned on real SMS spam (3 seeds)",
              f"{tuned_sms:.1%} ± {tuned_se:.1%}",
              f"from scratch {scratch_sms:.1%} (gap {sms_gap:+.1%} ± {sms_gap_se:.1%}, paired), naive Bayes "
              f"{naive_bayes:.1%} (gap {nb_gap:+.1%} ± {nb_gap_se:.1%}); always ham 50%"),
             ("With 16 labelled messages, pretraining on the collection pays",
              f"{measured(few_results['pretrained']['test'], 300)} (gap {few_gap:+.1%} ± {few_se:.1%})",
              f"from scratch {measured(few_results['from scratch']['test'], 300)}"),
             ("LoRA lands close to full fine-tuning",
              f"{measured(lora['test'], 300)} training {lora['trainable'] / full['trainable']:.1%} of the numbers",
              f"full fine-tuning {measured(full['test'], 300)}")]
rows += [("Instruction fine-tuning teaches a format never read", f"{measured(after, n_test)} exact",
          f"the un-tuned model {measured(before, n_test)}"),
         ("Two processes train like one (torchrun)", f"largest loss difference {torchrun_gap:.1e}",
          "one process")]
Markdown("| claim | result | baseline |\n|---|---|---|\n" + "\n".join(f"| {a} | {b} | {c} |" for a, b, c in rows))

# %% [markdown]
# ## Exercises
#
# 1. Fine-tune only the head of the SMS model (`set_trainable(classifier, "head")` instead of `"all"` in
#    `fine_tune_sms`). How close does it get, and what does that say about what pretraining put in the last
#    hidden state?
# 2. Add a new task to your assistant: e.g. "say the opposite : it was good ." -> "it was bad .".
# 3. Pretrain the SMS model of section 3 for 300 steps instead of 800, and without dropout (`SMS_DROPOUT = 0.0`),
#    before fine-tuning it. How far does its validation loss get, and does the fine-tuned spam filter follow?
#
# <details><summary>Solutions</summary>
#
# 1. Add `"head"` as a start: `trainable = set_trainable(classifier, "head")` and raise the learning rate (a
#    single linear layer tolerates 1e-2). The pretrained features already separate much of spam from ham, so a
#    linear head alone does well; compare its test accuracy with the table, and with a head on the random
#    model's features.
# 2. Build pairs `(f"say the opposite : it was {a} .", f"it was {b} .")` from a few adjective pairs, add them
#    to `tuning_pairs` and fine-tune again; hold some adjective pairs out to test.
# 3. Set `SMS_PRETRAIN_STEPS = 300` and `SMS_DROPOUT = 0.0` in the pretraining cell and run the section again
#    (the other settings make another cache key, so this model is trained, not loaded). An earlier version of this
#    chapter did exactly that: the validation loss stopped near 4.8 nats per token, and the fine-tuned filter was
#    right on about 94% of the test messages, no better than the same model from scratch. Reading the 5,000
#    messages many more times, with dropout so as not to memorise them, is what made pretraining pay.
#
# </details>
#
# **Next:** chapter 7 looks at what appears in models as they grow: emergent abilities.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s "
      f"({time.process_time() - started_cpu:.0f} s of CPU time in this kernel, torchrun's processes not counted)")
