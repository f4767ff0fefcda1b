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
# does each step on a laptop CPU and measures what it buys.
#
# After this chapter you will be able to:
#
# - put a classification head on a pretrained GPT and fine-tune it four ways (from scratch, last block only,
#   everything, LoRA), with accuracy on train/validation/test, a confusion matrix and the time each took;
# - fix the weak zero-shot sentiment of chapter 4 (negated reviews) with a fine-tuned head;
# - run the pretraining recipe live, read its learning-rate schedule and compare its loss with TinyWorld's
#   entropy floor, and resume an interrupted run from its checkpoint;
# - instruction fine-tune with the prompt tokens masked out of the loss, and measure exact match before/after;
# - train a small character-level model on real text (TinyShakespeare) when the file is available.
#
# One pretrained model, three ways of training it: pretraining grades every next token; classification
# fine-tuning puts a new two-class head on the last token; instruction fine-tuning writes each example in a
# prompt template and grades only the response.
#
# ![Pretraining, classification fine-tuning with a new head on the last token, and instruction fine-tuning with the loss on the response only](../images/ch6-pretraining-to-fine-tuning.png)
#
# **Run time:** under 2 minutes on an idle 2-core laptop CPU with the pretrained model cached (about 100 s
# measured); the last cell prints this run's time.

# %%
import time

started, started_cpu = time.perf_counter(), time.process_time()

import copy
import math
import warnings

import matplotlib.pyplot as plt
import torch

from helpers.model import GPT
from helpers.pretrained import pretrained
from helpers.runtime import seed_everything
from helpers.tinyworld import TinyWorld
from helpers.training import TrainingConfig, train

warnings.filterwarnings("ignore", category=UserWarning)
torch.set_num_threads(1)  # tiny models: a second thread mostly waits; one keeps a shared machine responsive
seed_everything(0)
model, tokenizer = pretrained("tinyworld", progress=False)
print(f"pretrained model: {model.num_parameters():,} parameters, {model.config.n_layer} blocks, "
      f"{model.config.n_embd}-dimensional hidden states; tokenizer: {tokenizer.vocab_size} tokens")

# %% [markdown]
# ## 1. Classification fine-tuning: spam or not spam
#
# TinyWorld messages are labelled ham (ordinary), spam or harmful. We keep ham and spam and split them into
# train, validation and test sets drawn from different seeds.

# %%
CLASSES = ["ham", "spam"]


def messages(seed: int, n: int) -> tuple[list[str], list[str]]:
    """Ham and spam messages from TinyWorld(seed) (harmful ones dropped): texts and labels."""
    documents = [d for d in TinyWorld(seed).documents(n, "message") if d.label in CLASSES]
    return [d.text for d in documents], [d.label for d in documents]


splits = {"train": messages(10, 500), "validation": messages(11, 250), "test": messages(12, 250)}
for name, (texts, labels) in splits.items():
    print(f"{name:10s} {len(texts):4d} messages, {labels.count('spam') / len(labels):.0%} spam")
for text, label in zip(*[part[:4] for part in splits["train"]], strict=True):
    print(f"  {label:5s} {text}")

# %% [markdown]
# ### A head on the last token, from scratch
#
# The language model ends in a head that scores every token of the vocabulary. For classification we keep
# everything up to the final LayerNorm and put a new, small linear layer on top that scores two classes.
# Which position should it read? In a causal model only the **last** token has seen the whole message, so
# we read the final hidden state there. `model.trace` gives the hidden states (before the final LayerNorm):

# %%
text = splits["train"][0][0]
ids = torch.tensor([tokenizer.encode("\n" + text)])  # (1, T): read as a new document, as in pretraining
hidden = model.trace(ids).hidden_states[-1]  # (1, T, C), the last block's output
last = model.ln_f(hidden[:, -1])  # (1, C): the final hidden state of the last token
torch.manual_seed(0)
head = torch.nn.Linear(model.config.n_embd, len(CLASSES))  # C -> 2 class scores
print("ids", tuple(ids.shape), "hidden", tuple(hidden.shape), "last token", tuple(last.shape),
      "scores", head(last).detach())

# %% [markdown]
# `helpers.finetuning.GPTClassifier` does the same without keeping every layer's attention (so gradients
# flow), for padded batches: messages are padded on the right, and it reads the last *real* token of each.
# Same numbers:

# %%
from helpers.finetuning import GPTClassifier

classifier = GPTClassifier(model, len(CLASSES))
classifier.head.load_state_dict(head.state_dict())
assert torch.allclose(classifier(ids), head(last), atol=1e-5)
print("GPTClassifier matches the cells above:", classifier(ids).detach())

# %% [markdown]
# ### Four ways to fine-tune
#
# - **from scratch**: the same architecture with random weights, everything trained (no pretraining);
# - **last block**: the pretrained model frozen except its last block, final LayerNorm and the new head;
# - **everything**: every weight trained;
# - **LoRA**: every pretrained weight frozen; each attention and MLP linear layer gets a small trainable
#   low-rank update (below), plus the head.
#
# LoRA in a few lines: a frozen weight `W` (out x in) becomes `W + (alpha / r) B A` with `A` (r x in) and
# `B` (out x r). `B` starts at zero, so at the start the model is exactly the pretrained one:

# %%
from helpers.finetuning import LoRALinear

base = model.h[0].mlp.c_fc  # a pretrained 128 -> 512 linear layer
lora = LoRALinear(copy.deepcopy(base), rank=4, alpha=8.0)
x = torch.randn(3, base.in_features)
assert torch.equal(lora(x), base(x))  # B = 0: identity update
n_lora = lora.A.numel() + lora.B.numel()
print(f"full weight {base.weight.numel():,} numbers; LoRA rank 4 trains {n_lora:,} ({n_lora / base.weight.numel():.1%})")

# %%
from helpers.finetuning import ClassificationData, accuracy_and_confusion, add_lora, classification_loss, set_trainable

data = {name: ClassificationData(tokenizer, texts, labels, CLASSES, max_length=64)
        for name, (texts, labels) in splits.items()}
print("padded training ids:", tuple(data["train"].ids.shape))


def fine_tune(how: str, data: dict, *, steps: int = 60, learning_rate: float = 1e-3, seed: int = 0) -> dict:
    """Fine-tune a classifier one way; its accuracies, test confusion matrix, trainable count and time."""
    torch.manual_seed(seed)
    gpt = GPT(model.config) if how == "from scratch" else copy.deepcopy(model)
    classifier = GPTClassifier(gpt, len(data["train"].classes))
    if how == "LoRA":
        trainable = add_lora(classifier, rank=4, alpha=8.0)
    else:
        trainable = set_trainable(classifier, {"last block": "last_block"}.get(how, "all"))
    config = TrainingConfig(max_steps=steps, batch_size=32, learning_rate=learning_rate, warmup_steps=5,
                            weight_decay=0.0, eval_every=steps, eval_batches=2, seed=seed)
    began = time.perf_counter()
    train(classifier, data["train"], data["validation"], config, loss_fn=classification_loss, progress=False)
    seconds = time.perf_counter() - began
    result = {"how": how, "trainable": trainable, "seconds": seconds, "classifier": classifier}
    for name, split in data.items():
        result[name], result[f"{name}_confusion"] = accuracy_and_confusion(classifier, split)
    return result


def show(results: list[dict]) -> None:
    """A table of the runs."""
    print(f"{'':14s} {'trainable':>10s} {'train':>7s} {'valid.':>7s} {'test':>7s} {'time':>7s}")
    for r in results:
        print(f"{r['how']:14s} {r['trainable']:10,d} {r['train']:7.1%} {r['validation']:7.1%} {r['test']:7.1%} "
              f"{r['seconds']:6.1f}s")


spam_results = [fine_tune(how, data) for how in ("from scratch", "last block", "everything", "LoRA")]
show(spam_results)
by_name = {r["how"]: r for r in spam_results}

# %%
figure, axes = plt.subplots(1, 4, figsize=(11, 2.8), dpi=80)
for axis, r in zip(axes, spam_results, strict=True):
    confusion = r["test_confusion"]
    axis.imshow(confusion, cmap="Blues")
    for i in range(2):
        for j in range(2):
            axis.text(j, i, int(confusion[i, j]), ha="center", va="center")
    axis.set_xticks([0, 1], CLASSES)
    axis.set_yticks([0, 1], CLASSES)
    axis.set_title(f"{r['how']}\ntest {r['test']:.0%}", fontsize=9)
    axis.set_xlabel("predicted")
axes[0].set_ylabel("true")
figure.tight_layout()
plt.show()

# %%
assert by_name["everything"]["test"] > 0.95 and by_name["LoRA"]["test"] > 0.9
assert by_name["LoRA"]["trainable"] < by_name["last block"]["trainable"] < by_name["everything"]["trainable"]

# %% [markdown]
# Honest result: TinyWorld's spam is *too easy* to tell the methods apart. All four sort every held-out test
# message correctly (asserted above 95% for "everything", 90% for LoRA), even the model trained from scratch:
# spam and ham use different template words. What differs is the cost: tuning the last block trains a fifth
# of the numbers and is the fastest of the four (the time column), and LoRA trains 33 thousand
# numbers, 3.5% of the model. Chapter 1's word-count tagger (naive Bayes) is also perfect on this split:

# %%
from helpers.word_count_classifier import WordCountClassifier

tagger = WordCountClassifier.train(*splits["train"])
print(f"word counts: test accuracy {tagger.accuracy(*splits['test']):.1%}")

# %% [markdown]
# ## 2. The real SMS Spam Collection
#
# The same recipe on real text messages (UCI's SMS Spam Collection), when the file is available (it is
# downloaded once; CI uses a local mirror). We take a balanced subset: 300 messages of each class for
# training, 100 each for validation and test. Our tokenizer was trained on TinyWorld only, so real SMS text
# ("Txt 87121 to win FA Cup tkts") falls apart into many small pieces, and the model has never seen most of
# its words: honest conditions for a 0.9M-parameter model.

# %%
import random

from helpers.downloads import DownloadError, load

try:
    lines = load("SMSSpamCollection", progress=False).read_text(encoding="utf-8").splitlines()
    sms = [line.split("\t", 1) for line in lines if "\t" in line]
except DownloadError as error:
    sms = None
    print("The SMS Spam Collection is not available, so this section is skipped:", str(error).splitlines()[0])

if sms is not None:
    rng = random.Random(0)
    by_label = {label: [text for lab, text in sms if lab == label] for label in CLASSES}
    print({label: len(texts) for label, texts in by_label.items()}, "messages in the collection")
    for texts in by_label.values():
        rng.shuffle(texts)
    sizes = {"train": (0, 300), "validation": (300, 400), "test": (400, 500)}
    sms_splits = {name: ([t for label in CLASSES for t in by_label[label][a:b]],
                         [label for label in CLASSES for _ in range(a, b)]) for name, (a, b) in sizes.items()}
    sms_data = {name: ClassificationData(tokenizer, texts, labels, CLASSES, max_length=48)
                for name, (texts, labels) in sms_splits.items()}
    print(f"{sms_data['train'].truncated} of 600 training messages cut to 48 tokens")
    sms_results = [fine_tune(how, sms_data, steps=80) for how in ("from scratch", "everything", "LoRA")]
    show(sms_results)
    sms_tagger = WordCountClassifier.train(*sms_splits["train"])
    print(f"word counts (naive Bayes): test accuracy {sms_tagger.accuracy(*sms_splits['test']):.1%}")
    sms_best = max(r["test"] for r in sms_results)
    assert sms_best > 0.8

# %% [markdown]
# On real SMS, from scratch reached 92.5% test accuracy, fine-tuning everything 91.5% and LoRA 86.0% (best
# asserted above 80%), each in seconds of CPU time (the table); the word-count tagger got 95.0%. For
# reference, the best-known from-scratch course reports **95.67%** with a fine-tuned GPT-2 small. What
# differs: GPT-2 has 124M parameters (over 100 times ours), was pretrained on millions of web pages of real
# English with a tokenizer made for it, and fine-tunes for several epochs on a larger balanced split. Our
# model was pretrained on TinyWorld's 540-word toy language, so its pretraining does not help here (the
# from-scratch model does as well), its tokenizer cuts 361 of the 600 training messages at 48 tokens, and it
# trains for 80 steps on 600 messages. Spam announces itself with words like "free", "txt" and "prize",
# which is why counting words is such a strong baseline on this dataset.

# %% [markdown]
# ## 3. The hidden mood detector, fixed
#
# Chapter 4 asked the pretrained model for the sentiment of reviews by prompting (label words, calibration,
# few-shot examples) and found it no better than a coin flip, on plain reviews and on negated ones ("it was
# not bad" is positive): pretraining never made it read the verdict. Fine-tuning a head on labelled reviews
# (with TinyWorld's own share of negated verdicts, 40%) should fix that.

# %%
SENTIMENTS = ["positive", "negative"]


def reviews(seed: int, n: int, negation: bool | None = None) -> tuple[list[str], list[str]]:
    """Review texts and labels from TinyWorld(seed); negation=True/False keeps only negated/plain verdicts."""
    documents = TinyWorld(seed).documents(n, "review", negation=negation)
    return [d.text for d in documents], [d.label for d in documents]


review_data = {"train": ClassificationData(tokenizer, *reviews(20, 600), SENTIMENTS, max_length=64),
               "validation": ClassificationData(tokenizer, *reviews(21, 200), SENTIMENTS, max_length=64),
               "test": ClassificationData(tokenizer, *reviews(22, 200), SENTIMENTS, max_length=64)}
sentiment = fine_tune("everything", review_data, steps=150)
show([sentiment])
from helpers.probes import LABEL_FLIP, MinimalPair, accuracy

held_out, zero_shot = {}, {}
for kind, negation in (("plain", False), ("negated", True)):
    texts, labels = reviews(23, 200, negation)
    held_out[kind] = accuracy_and_confusion(
        sentiment["classifier"], ClassificationData(tokenizer, texts, labels, SENTIMENTS, max_length=64))[0]
    asked = [MinimalPair(f"instruction : is this review positive or negative ? {text} response :", label,
                         LABEL_FLIP[label]) for text, label in zip(texts, labels, strict=True)]
    zero_shot[kind] = accuracy(model, tokenizer, asked)  # chapter 4's zero-shot label words, the same reviews
print(f"fine-tuned head: plain {held_out['plain']:.0%}, negated {held_out['negated']:.0%}; "
      f"zero-shot label words on the same reviews: plain {zero_shot['plain']:.0%}, negated {zero_shot['negated']:.0%}")
assert held_out["negated"] > 0.85 and held_out["plain"] > 0.85
assert all(0.35 < a < 0.65 for a in zero_shot.values())

# %%
probe = ["i watched the film last night . it was not bad .", "we visited the cafe on the corner . it was awful ."]
probe_data = ClassificationData(tokenizer, probe, ["positive", "negative"], SENTIMENTS, max_length=64)
from helpers.finetuning import predict

print([SENTIMENTS[i] for i in predict(sentiment["classifier"], probe_data)], "for", probe)

# %% [markdown]
# The fine-tuned head is right on 100% of held-out plain reviews and 100% of negated ones (asserted above
# 85% each), against 49% for both when the pretrained model is asked zero-shot, as in chapter 4, about the
# same reviews: 150 steps on 600 labelled reviews turn the general model into a reliable mood detector,
# negation included. Prompting could not bring out a skill the model did not have; fine-tuning taught it.
#
# ## 4. Pretraining, live
#
# Every chapter's model comes from a *recipe* (helpers.pretrained): TinyWorld text, a BPE tokenizer, a GPT
# and a training configuration. The full "tinyworld" recipe takes about two minutes; here we run the small
# "tinyworld-mini" recipe's data and model shape for a short run, watching the TrainingDashboard.

# %%
from helpers.pretrained import RECIPES, build_model, prepare_data
from helpers.scoring import nats_per_character
from helpers.training import learning_rate_at
from helpers.widgets import TrainingDashboard

recipe = RECIPES["tinyworld-mini"]
mini = prepare_data(recipe, progress=False)
live_config = TrainingConfig(max_steps=200, batch_size=16, learning_rate=5e-3, warmup_steps=20,
                             eval_every=25, eval_batches=2, seed=0)
steps = range(live_config.max_steps)
plt.figure(figsize=(5, 2.2), dpi=80)
plt.plot(steps, [learning_rate_at(s, live_config) for s in steps])
plt.xlabel("step")
plt.ylabel("learning rate")
plt.title("linear warmup, then cosine decay", fontsize=9)
plt.tight_layout()
plt.show()

# %%
live_model = build_model(recipe, mini.tokenizer)
dashboard = TrainingDashboard(mini.tokenizer, prompt="the cat", sample_every=100, max_new_tokens=30)
began = time.perf_counter()
live_history = train(live_model, mini.train_ids, mini.val_ids, live_config, callbacks=[dashboard], progress=False)
print(f"{live_config.max_steps} steps in {time.perf_counter() - began:.0f} s; "
      f"validation loss {live_history.val_loss[0]:.2f} -> {live_history.val_loss[-1]:.2f} nats per token")
dashboard

# %%
floor = TinyWorld(0).entropy_floor(n_documents=2000)
live_nats = nats_per_character(live_model, mini.tokenizer, mini.val_text[:4000])
print(f"entropy floor {floor.nats_per_char:.3f} nats/char; the live model {live_nats:.3f} "
      f"({live_nats / floor.nats_per_char:.2f}x the floor)")
assert live_history.val_loss[-1] < live_history.val_loss[0] / 2 and live_nats > floor.nats_per_char

# %% [markdown]
# No model can go below the entropy floor: it is the true randomness of TinyWorld's text. The 200-step run
# took the validation loss from 6.26 to 1.74 nats per token and ends at about 3.5 times the floor per
# character; the full recipe (600 steps of a bigger model) ends within 15% of it.
#
# ### Interrupted and resumed
#
# Training long runs means surviving interruptions. `train` saves a checkpoint (weights, optimizer state,
# random-number state, history) when it is stopped, and continues exactly where it left off. We stop a run
# at step 60 of 100 (a callback raising KeyboardInterrupt, as Ctrl-C would), resume it, and compare with an
# uninterrupted run:

# %%
import tempfile

from helpers.training import TrainingInterrupted

short = TrainingConfig(max_steps=100, batch_size=16, learning_rate=5e-3, warmup_steps=10, eval_every=20,
                       eval_batches=2, seed=0)


def interrupt_at_60(event):
    if event.step == 60:
        raise KeyboardInterrupt


with tempfile.TemporaryDirectory() as folder:
    first = build_model(recipe, mini.tokenizer)
    try:
        train(first, mini.train_ids, mini.val_ids, short, checkpoint_dir=folder, callbacks=[interrupt_at_60],
              progress=False)
    except TrainingInterrupted as stop:
        print("interrupted:", str(stop).split(":")[0])
    resumed = build_model(recipe, mini.tokenizer)  # a fresh process would start like this
    resumed_history = train(resumed, mini.train_ids, mini.val_ids, short, checkpoint_dir=folder, progress=False)
straight = build_model(recipe, mini.tokenizer)
straight_history = train(straight, mini.train_ids, mini.val_ids, short, progress=False)
print(f"final validation loss: resumed {resumed_history.val_loss[-1]:.6f}, uninterrupted {straight_history.val_loss[-1]:.6f}")
assert abs(resumed_history.val_loss[-1] - straight_history.val_loss[-1]) < 1e-6

# %% [markdown]
# ## 5. Instruction fine-tuning: your assistant
#
# TinyWorld's corpus already contains instructions ("instruction : add three and four . response : seven
# ."), so the pretrained model follows that format. To make the before/after comparison meaningful we teach
# it a **new prompt format** it has never seen, as chat models learn their own templates:

# %%
from helpers.finetuning import IGNORE_INDEX, InstructionData, exact_match, format_prompt

NEW_FORMAT = "### task : {instruction} ### answer :"
OLD_FORMAT = "instruction : {instruction} response :"


def instruction_pairs(seed: int, n: int) -> list[tuple[str, str]]:
    """(instruction, response) pairs from TinyWorld's instruction documents."""
    return [(d.fields["instruction"], d.fields["response"]) for d in TinyWorld(seed).documents(n, "instruction")]


train_pairs, test_pairs = instruction_pairs(30, 400), instruction_pairs(31, 40)
print(format_prompt(test_pairs[0][0], NEW_FORMAT), "->", test_pairs[0][1])
instruction_data = InstructionData(tokenizer, train_pairs, template=NEW_FORMAT)
inputs, targets = instruction_data[0]
print("inputs", tuple(inputs.shape), "; targets counted in the loss:",
      repr(tokenizer.decode(targets[targets != IGNORE_INDEX].tolist())))

# %% [markdown]
# The collate function sets the targets of every prompt position to -100 (`IGNORE_INDEX`), which
# cross-entropy skips: the model is graded only on the answer, not on reproducing the question.

# %%
before = {"own format": exact_match(model, tokenizer, test_pairs, OLD_FORMAT),
          "new format": exact_match(model, tokenizer, test_pairs, NEW_FORMAT)}
assistant = copy.deepcopy(model)
instruct_config = TrainingConfig(max_steps=60, batch_size=16, learning_rate=1e-3, warmup_steps=5,
                                 weight_decay=0.0, eval_every=30, eval_batches=2, seed=0)
began = time.perf_counter()
train(assistant, instruction_data, InstructionData(tokenizer, test_pairs, template=NEW_FORMAT), instruct_config,
      progress=False)
after = exact_match(assistant, tokenizer, test_pairs, NEW_FORMAT)
print(f"exact match on 40 held-out instructions: pretrained in its own format {before['own format']:.0%}, "
      f"in the new format {before['new format']:.0%}; after {instruct_config.max_steps} steps of fine-tuning "
      f"({time.perf_counter() - began:.0f} s) {after:.0%}")
assert after > before["new format"] + 0.3

# %% [markdown]
# Before fine-tuning, the pretrained model answers 52% of the held-out instructions exactly in the format it
# saw in pretraining, but only 12% in the new one. After 60 steps (the time is printed above) it answers 55%
# in the new format (asserted: at least 30 points up): it learned the new template and kept its skills.
#
# Your assistant: write instructions of your own (TinyWorld words work best).

# %%
from helpers.finetuning import answer

for instruction in ["add five and three .", "is this review positive or negative ? i read the book last week . "
                    "it was not boring .", "translate to tiny : the cat sees a dog ."]:
    print(f"{instruction!r:90s} -> {answer(assistant, tokenizer, instruction, NEW_FORMAT)!r}")

# %% [markdown]
# ## 6. Several processes: torchrun
#
# The same `train` loop runs data-parallel: each process computes the loss on its slice of every batch and
# PyTorch averages the gradients. The command (shown, then run for a few steps with two processes):

# %%
import subprocess
import sys

command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "-m", "helpers.train_distributed",
           "--recipe", "tinyworld-mini", "--max-steps", "4", "--eval-every", "2", "--batch-size", "8",
           "--threads", "1"]
print("torchrun --nproc_per_node 2 -m helpers.train_distributed --recipe tinyworld-mini --max-steps 4 ...")
began = time.perf_counter()
run = subprocess.run(command, capture_output=True, text=True, timeout=240, cwd="..")
lines = [line for line in run.stdout.splitlines() if "process(es)" in line]
print(lines[-1] if lines and run.returncode == 0 else f"torchrun failed ({run.returncode}): " + run.stderr[-1500:])
print(f"({time.perf_counter() - began:.0f} s, mostly starting the two processes)")
assert run.returncode == 0 and "2 process(es)" in lines[-1]

# %% [markdown]
# Two processes ran 4 data-parallel steps; nearly all of the time printed above goes into starting the two
# processes (each imports PyTorch and builds its data) rather than into the steps.
#
# ## 7. Real text: TinyShakespeare
#
# Everything above is TinyWorld. The same loop trains on real text: TinyShakespeare (1.1 MB of
# Shakespeare's plays), when the file is available (it is downloaded once; CI uses a local mirror). The
# chapter does not need it: without the file this section says so and the chapter goes on.

# %%
try:
    shakespeare = load("tinyshakespeare.txt", progress=False).read_text(encoding="utf-8")
except DownloadError as error:
    shakespeare = None
    print("TinyShakespeare is not available, so this section is skipped and the chapter continues without it:",
          str(error).splitlines()[0])
if shakespeare is not None:
    print(f"{len(shakespeare):,} characters; it begins:\n{shakespeare[:120]}")

# %% [markdown]
# A BPE tokenizer trained on TinyWorld would cut Shakespeare's words into small pieces, so we use the
# simplest tokenizer of chapter 1: one token per character, the vocabulary read off the text. The model is
# the size of the "tinyworld-mini" recipe (2 blocks, 96-dimensional), trained for a bounded 300 steps of
# 32 windows of 64 characters (about 0.6M characters, half a pass over the text), with the same `train`.

# %%
from helpers.generation import generate
from helpers.model import GPTConfig
from helpers.tokenizers import CharacterTokenizer
from helpers.windows import split_ids

if shakespeare is not None:
    characters = CharacterTokenizer.train(shakespeare)
    bard_train, bard_val = split_ids(characters.encode(shakespeare), validation_fraction=0.1)
    torch.manual_seed(0)
    bard = GPT(GPTConfig(vocab_size=characters.vocab_size, context_length=64, n_layer=2, n_head=4, n_embd=96))
    print(f"{characters.vocab_size} characters in the vocabulary; {bard.num_parameters():,} parameters")
    print("untrained:", repr(generate(bard, characters, "ROMEO:", 60, temperature=0.8, seed=0)))
    bard_config = TrainingConfig(max_steps=300, batch_size=32, learning_rate=3e-3, warmup_steps=20, eval_every=100,
                                 eval_batches=4, seed=0)
    began = time.perf_counter()
    bard_history = train(bard, bard_train, bard_val, bard_config, progress=False)
    print(f"{bard_config.max_steps} steps in {time.perf_counter() - began:.0f} s; validation loss "
          + " -> ".join(f"{loss:.2f}" for loss in bard_history.val_loss) + " nats per character")
    print(generate(bard, characters, "ROMEO:", 240, temperature=0.8, seed=0))

# %%
if shakespeare is not None:
    uniform = math.log(characters.vocab_size)  # a model that has learned nothing guesses uniformly
    assert abs(bard_history.val_loss[0] - uniform) < 0.2 and bard_history.val_loss[-1] < 2.45

# %% [markdown]
# The untrained model writes random characters; its loss starts at ln 67 = 4.2 nats, a uniform guess.
# After 300 steps the validation loss is 2.24 nats per character (asserted below 2.45), and the sample
# has the shape of a play: names in capitals followed by a colon, short lines, English-looking words, most
# of them not real. For scale: the character-level Shakespeare model of Karpathy's nanoGPT reaches about
# 1.47 with 10.7M parameters (45 times ours) trained on 5,000 batches of 64 x 256 characters (about 130
# times our 0.6M) on a GPU. Same loop, much more compute.
#
# ## Recap
#
# - Pretraining (next-token prediction on lots of text) gives general ability; the loss heads toward the
#   corpus's entropy floor, on a warmup-then-cosine learning-rate schedule, and checkpoints make long runs
#   resumable exactly.
# - Classification fine-tuning replaces the vocabulary head with a small one on the last token. Pretrained
#   models fine-tune fast; LoRA gets close while training a small fraction of the numbers.
# - A fine-tuned head reads negation that the zero-shot model missed.
# - Instruction fine-tuning masks the prompt out of the loss and teaches a format and behaviour; exact match
#   measures it.
# - The same loop trains on real text: a few hundred steps on TinyShakespeare already give the shape of a
#   play, if not its words.
#
# *Could you fine-tune your own personal assistant?* On TinyWorld, yes: a few hundred examples and seconds
# of CPU taught a new instruction format (measured above).
#
# ## Exercises
#
# 1. Fine-tune only the head (`set_trainable(classifier, "head")`) on the spam data. How close does it get?
# 2. Add a new task to your assistant: e.g. "say the opposite : it was good ." -> "it was bad .".
# 3. Train the TinyShakespeare model of section 7 longer (and bigger), or with a BPE tokenizer, and compare
#    samples and validation losses.
#
# <details><summary>Solutions</summary>
#
# 1. Add `"head"` to the mapping in `fine_tune` (`{"last block": "last_block", "head only": "head"}`) and run
#    `fine_tune("head only", data)`: the pretrained features already separate spam from ham, so a linear head
#    alone does well; compare its test accuracy with the table.
# 2. Build pairs `(f"say the opposite : it was {a} .", f"it was {b} .")` from a few adjective pairs, add them
#    to `train_pairs` and fine-tune again; hold some adjective pairs out to test.
# 3. Set `max_steps=2000` (and, say, `n_layer=4, n_embd=128`) and pass a
#    `TrainingDashboard(characters, prompt="ROMEO:")` in `callbacks` to watch the samples improve; the loss
#    keeps falling well below 2. For BPE: `BPETokenizer.train(shakespeare, 512)` and the same model with
#    `vocab_size=512`; compare losses in nats per *character* (the loss per token divided by the average
#    characters per token), since a token now covers several characters.
#
# </details>
#
# **Next:** chapter 7 looks at what appears in models as they grow: emergent abilities.

# %%
print(f"chapter run time: {time.perf_counter() - started:.0f} s "
      f"({time.process_time() - started_cpu:.0f} s of CPU time in this kernel, torchrun's processes not counted)")
