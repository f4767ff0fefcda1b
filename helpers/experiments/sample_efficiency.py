"""Does pretraining pay? The pretrained model fine-tuned on a few labelled examples, against the same architecture
trained from scratch on the same examples (chapter 6's sample-efficiency curve).

    curve = sample_efficiency(model, tokenizer, sizes=(16, 64))   # {(task, start, size): [accuracy per seed]}
    gap(curve, "sentiment", 16)                                   # pretrained minus from scratch, ± its SE
    curve = cached_sample_efficiency(model, tokenizer, sizes=(16, 64))  # the same, measured once and kept

The tasks, both on held-out TinyWorld 2 documents (the test is drawn with abilities.EVALUATION_SEED and shares
no document with the pretraining text; seed k's labelled examples come from TinyWorld(LABELLED_SEED + k), a seed
no corpus uses):
sentiment   reviews whose evidence is negated ("the bed was not bad") or a bare fact ("the shower was cold"):
            reading them needs negation and what the world considers good, two classes
support     a customer's message: which of the agent's replies it needs, the intent and the mood together
            (four intents times three moods, twelve classes)

Each text ends where the corpus would go on with words that depend on the label (a review's recommendation
starts "i would", the agent's reply "agent :"), so the last hidden state, which the classifier reads, is where
a pretrained model has already worked the answer out; the model from scratch reads the same texts. Both learn
every parameter (helpers.finetuning.GPTClassifier, a new head), STEPS steps of up to 16 examples, each start
with the learning rate that suited it best on a small grid (LEARNING_RATES).

The cache. cached_sample_efficiency keeps every run's accuracy in cache_dir("sample_efficiency", <fingerprint>)
/ "curve.json" as soon as it is measured (an interrupted curve resumes); the fingerprint covers the settings, the
model's weights and the pretraining text, so another model or another recipe is measured afresh.

On real data (chapter 6's SMS spam), the same comparison with a model pretrained on the collection's own messages:
cached_pretraining   a GPT pretrained on a text once and kept in the cache (helpers.cached_models.trained_once,
                     keyed by its settings and the text), so a chapter's later runs load it
per_item_scores      each test item's share of right answers over several seeds
mean_and_se          an accuracy from per-item scores, with its standard error over the items
paired_difference    a - b item by item, with its standard error: two classifiers read the same test items, and
                     only the items where they disagree say which is better, so the paired error bar is the
                     honest (and much smaller) one

Simplified on purpose: one fixed number of steps for every size (the smallest sets are seen hundreds of times,
the largest a couple of times); no early stopping; a few seeds, each drawing its own labelled examples.
"""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import math
import random
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from helpers.cached_models import TrainingJob, trained_once
from helpers.checkpoints import Checkpoint
from helpers.experiments.abilities import EVALUATION_SEED, LABELLED_SEED, VERDICT_START, HeldOut, normalised
from helpers.files import write_text_atomically
from helpers.finetuning import ClassificationData, GPTClassifier, accuracy_and_confusion, classification_loss
from helpers.model import GPT, GPTConfig
from helpers.runtime import cache_dir, cache_fingerprint
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, TinyWorld
from helpers.training import TrainingConfig, train

TASKS = ("sentiment", "support")
STARTS = ("pretrained", "from scratch")
# Chosen at 16 and 64 labels among 1e-4 and 3e-4 (pretrained: larger steps undo what pretraining learned) and
# among 3e-4, 1e-3 and 3e-3 (from scratch).
LEARNING_RATES = {"pretrained": 3e-4, "from scratch": 1e-3}
STEPS = 100
TEST_SIZE = 400
SIZES = (8, 16, 32, 64, 128, 256, 1000)
CACHE_FORMAT = 1  # bump when what a run measures changes, so cached curves are measured again


@dataclass(frozen=True)
class Example:
    text: str
    label: str

    def texts(self) -> list[str]:
        """The text the leakage check compares with the pretraining documents."""
        return [self.text]


def labelled_examples(task: str, n: int, world: TinyWorld, pretraining: set[str] = frozenset()
                      ) -> tuple[list[str], list[str], list[str]]:
    """n (text, label) examples of a task, balanced over the classes' kinds, and the task's classes."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}.")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive number of examples, got {n!r}.")
    draw = HeldOut(world, set(pretraining))
    lexicon = world.lexicon
    if task == "sentiment":
        classes = ["positive", "negative"]
        per_kind = math.ceil(n / 4)
        examples = [item for label in classes for form in ("negated", "fact") for item in draw(
            per_kind, lambda doc: Example(doc.text[:doc.fields["closing_char"]].rstrip() + VERDICT_START, doc.label),
            "review", label, evidence_form=form)]
    else:
        classes = [f"{intent} {mood}" for intent, _, _ in lexicon.intents for mood, _, _ in lexicon.moods]
        examples = draw(n, lambda doc: Example(doc.fields["message"] + " agent :", f"{doc.label} {doc.fields['mood']}"),
                        "support")
    random.Random(world.seed).shuffle(examples)
    return [e.text for e in examples[:n]], [e.label for e in examples[:n]], classes


def fine_tuned_accuracy(gpt: GPT, tokenizer, task: str, n: int, start: str, seed: int = 0,
                        test: tuple[list[str], list[str], list[str]] | None = None, steps: int = STEPS) -> float:
    """Held-out accuracy after training a classifier on n labelled examples, from the pretrained `gpt` (a copy:
    the model passed in is never changed) or from a fresh model of its shape."""
    if start not in STARTS:
        raise ValueError(f"start must be one of {STARTS}, got {start!r}.")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
        raise ValueError(f"steps must be a positive number of training steps, got {steps!r}.")
    texts, labels, classes = labelled_examples(task, n, TinyWorld(LABELLED_SEED + seed))
    test = test or labelled_examples(task, TEST_SIZE, TinyWorld(EVALUATION_SEED))
    length = gpt.config.context_length
    train_set = ClassificationData(tokenizer, texts, labels, classes, max_length=length)
    test_set = ClassificationData(tokenizer, *test, max_length=length)
    torch.manual_seed(seed)
    classifier = GPTClassifier(copy.deepcopy(gpt) if start == "pretrained" else GPT(gpt.config), len(classes))
    config = TrainingConfig(max_steps=steps, batch_size=min(16, n), learning_rate=LEARNING_RATES[start],
                            warmup_steps=steps // 10, weight_decay=0.01, eval_every=steps, eval_batches=1, seed=seed)
    train(classifier, train_set, train_set, config, loss_fn=classification_loss, progress=False)
    return accuracy_and_confusion(classifier, test_set)[0]


def sample_efficiency(gpt: GPT, tokenizer, sizes: Sequence[int] = SIZES, seeds: Sequence[int] = (0, 1, 2),
                      tasks: Sequence[str] = TASKS, pretraining_text: str = "", steps: int = STEPS,
                      done: dict[str, float] | None = None, save: Callable[[dict[str, float]], None] | None = None
                      ) -> dict[tuple[str, str, int], list]:
    """Accuracy per seed for every task, start and number of labelled examples.

    `done` holds runs already measured (by run_key), which are not run again; `save` is given them after each run.
    """
    pretraining = {normalised(line) for line in pretraining_text.split(DOCUMENT_SEPARATOR) if line}
    done = {} if done is None else done
    curve = {}
    for task in tasks:
        test = None
        for size in sizes:
            for start in STARTS:
                for seed in seeds:
                    key = run_key(task, start, size, seed)
                    if key not in done:
                        test = test or labelled_examples(task, TEST_SIZE, TinyWorld(EVALUATION_SEED), pretraining)
                        done[key] = fine_tuned_accuracy(gpt, tokenizer, task, size, start, seed, test, steps)
                        if save is not None:
                            save(done)
                curve[task, start, size] = [done[run_key(task, start, size, seed)] for seed in seeds]
    return curve


def run_key(task: str, start: str, size: int, seed: int) -> str:
    """One run's name in the cached results."""
    return f"{task}/{start}/{size}/{seed}"


def cached_sample_efficiency(gpt: GPT, tokenizer, sizes: Sequence[int] = SIZES, seeds: Sequence[int] = (0, 1, 2),
                             tasks: Sequence[str] = TASKS, pretraining_text: str = "", steps: int = STEPS
                             ) -> dict[tuple[str, str, int], list]:
    """sample_efficiency, each run measured once and kept in the cache (keyed by the settings, weights and text)."""
    settings = {"format": CACHE_FORMAT, "steps": steps, "test_size": TEST_SIZE, "learning_rates": LEARNING_RATES,
                "config": dataclasses.asdict(gpt.config), "vocabulary": tokenizer.vocab_size}
    weights = b"".join(value.detach().cpu().numpy().tobytes() for value in gpt.state_dict().values())
    text = hashlib.sha256(pretraining_text.encode("utf-8")).digest()
    path = cache_dir("sample_efficiency", cache_fingerprint(settings, weights, text)[:16]) / "curve.json"
    try:
        done = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (json.JSONDecodeError, UnicodeDecodeError):
        done = {}  # a damaged file: measure again

    def save(runs: dict[str, float]) -> None:
        write_text_atomically(path, json.dumps(runs, indent=1, sort_keys=True))

    return sample_efficiency(gpt, tokenizer, sizes, seeds, tasks, pretraining_text, steps, done, save)


def gap(curve: dict[tuple[str, str, int], list], task: str, size: int) -> tuple[float, float]:
    """Pretrained minus from-scratch accuracy, and its standard error over the seeds (paired: each seed's two
    runs learn from the same examples)."""
    differences = [a - b for a, b in zip(curve[task, "pretrained", size], curve[task, "from scratch", size],
                                         strict=True)]
    se = statistics.stdev(differences) / math.sqrt(len(differences)) if len(differences) > 1 else math.nan
    return statistics.fmean(differences), se


def cached_pretraining(config: GPTConfig, training: TrainingConfig, text: str, tokenizer, train_ids: torch.Tensor,
                       val_ids: torch.Tensor, *, seed: int = 0) -> Checkpoint:
    """A GPT of `config` pretrained (next token) on `text`'s ids, trained once and then read from the cache."""
    settings = {"model": dataclasses.asdict(config), "training": dataclasses.asdict(training), "seed": seed}
    folder = cache_dir("pretraining", cache_fingerprint(settings, text.encode("utf-8"))[:16]) / "model"

    def prepare() -> TrainingJob:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            model = GPT(config)
        return TrainingJob(model, train_ids, val_ids, tokenizer)

    return trained_once(folder, training, prepare, what="pretrained model", progress=False)


def per_item_scores(runs: Sequence[Sequence[float]]) -> list[float]:
    """Each item's mean score over the runs: several seeds' 0/1 correctness on the same items -> one list."""
    if not runs or not runs[0] or any(len(run) != len(runs[0]) for run in runs):
        raise ValueError("give at least one run, every run scoring the same (non-empty) list of items.")
    return [statistics.fmean(scores) for scores in zip(*runs, strict=True)]


def mean_and_se(scores: Sequence[float]) -> tuple[float, float]:
    """The mean of per-item scores and its standard error (sample standard deviation / sqrt(items))."""
    if len(scores) < 2:
        raise ValueError(f"a standard error needs at least two items, got {len(scores)}.")
    return statistics.fmean(scores), statistics.stdev(scores) / math.sqrt(len(scores))


def paired_difference(a: Sequence[float], b: Sequence[float]) -> tuple[float, float]:
    """Mean of a[i] - b[i] over the same items, and its standard error: how much better a is, and how surely."""
    if len(a) != len(b):
        raise ValueError(f"a paired comparison needs scores of the same items; got {len(a)} and {len(b)}.")
    return mean_and_se([x - y for x, y in zip(a, b, strict=True)])
