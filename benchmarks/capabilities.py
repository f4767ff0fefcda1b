"""Benchmark: what each model of the TinyWorld 2 ladder can do, next to count models, on held-out tests.

    python benchmarks/capabilities.py
    python benchmarks/capabilities.py --seed 1 --sizes tinyworld2-xs tinyworld2-s   # twins trained from seed 1

One table: a row per ability (helpers.experiments.abilities, plus held-out loss and a linear probe of sentiment on
the hidden states), a column per count model (word n-grams, n = 1 to 5, Witten-Bell smoothed, counted on the
ladder's training text) and per ladder size, the largest being the reference model. Each cell is a held-out
figure ± its standard error. Then the reference model fine-tuned on 16 and 64 labelled examples against the same
architecture trained from scratch (helpers.experiments.sample_efficiency, three seeds). Then each claim
the series makes is checked against its target (at least 3 standard errors over the baseline it names) and
the last line counts them: `capabilities: K of N hold`.

The ladder's weights are committed (`make pretrain` writes them), so this runs in a few minutes without
training (about 6 minutes, most of it fine-tuning); without them every size is trained first (about 40 minutes on
two cores).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from itertools import pairwise

from helpers.experiments.abilities import (
    LABELLED_SEED,
    AbilityResult,
    AbilityTest,
    ability_tests,
    gpt_scorer,
    ngram_scorer,
    words,
)
from helpers.experiments.linear_probe import LinearProbe, at_the_verdict
from helpers.experiments.sample_efficiency import gap, sample_efficiency
from helpers.ngram_model import NGramModel
from helpers.pretrained import LADDER, corpus_texts, pretrained, recipe_named, seed_twin
from helpers.scoring import nats_per_character
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, TinyWorld

NGRAM_ORDERS = (1, 2, 3, 4, 5)
LOSS_CHUNKS = 10  # the held-out text is scored in this many parts; their spread gives the loss's standard error
SENTIMENT = ("sentiment (plain)", "sentiment (negated)", "sentiment (sarcastic)")
PROBE = "sentiment, linear probe"
LABELS = (16, 64)  # the numbers of labelled examples at which pretraining must pay
SEEDS = (0, 1, 2)


class Figure:
    """A held-out figure and its standard error; a loss also keeps its value on each part of the text."""

    def __init__(self, value: float, se: float, parts: list[float] | None = None):
        self.value, self.se, self.parts = value, se, parts

    def above(self, other: Figure, margin: float = 3.0) -> bool:
        """Larger by at least `margin` standard errors of the difference (paired over the text's parts for losses:
        both models read the same parts, so the parts' own difficulty cancels)."""
        if self.parts is not None and other.parts is not None:
            differences = [a - b for a, b in zip(self.parts, other.parts, strict=True)]
            se = statistics.stdev(differences) / math.sqrt(len(differences))
        else:
            se = math.hypot(self.se, other.se)
        return self.value - other.value >= margin * se


def accuracy(result: AbilityResult) -> Figure:
    return Figure(result.accuracy, result.se)


def loss_figure(nats_per_char: Callable[[str], float], text: str) -> Figure:
    """Nats per character over the whole text, and its standard error from LOSS_CHUNKS parts of it."""
    documents = text.split(DOCUMENT_SEPARATOR)[:-1]
    size = math.ceil(len(documents) / LOSS_CHUNKS)
    parts = ["".join(d + DOCUMENT_SEPARATOR for d in documents[i:i + size]) for i in range(0, len(documents), size)]
    values = [nats_per_char(part) for part in parts]
    weights = [len(part) for part in parts]
    mean = sum(v * w for v, w in zip(values, weights, strict=True)) / sum(weights)
    return Figure(mean, statistics.stdev(values) / math.sqrt(len(values)), values)


def measure_column(score, nats_per_char, tests: dict[str, AbilityTest], val_text: str) -> dict[str, Figure]:
    column = {"held-out loss (nats/char)": loss_figure(nats_per_char, val_text)}
    for name, test in tests.items():
        column[name] = accuracy(test.run(score))
    return column


def ngram_column(n: int, train_words: list[str], tests, val_text: str) -> dict[str, Figure]:
    model = NGramModel.train(train_words, n)
    return measure_column(ngram_scorer(model), lambda text: model.cross_entropy(
        words(text), context=[DOCUMENT_SEPARATOR], characters=len(text)), tests, val_text)


def ladder_column(name: str, tests, val_text: str, probe_items) -> dict[str, Figure]:
    model, tokenizer = pretrained(name)
    column = measure_column(gpt_scorer(model, tokenizer), lambda text: nats_per_character(model, tokenizer, text),
                            tests, val_text)
    probe = LinearProbe.fit(model, tokenizer, probe_items)
    column[PROBE] = accuracy(probe.test(at_the_verdict([item for form in SENTIMENT for item in tests[form].items])))
    return column


def claims(table: dict[str, dict[str, Figure]], floor: float, gaps: dict[tuple[str, int], Figure],
           ladder: list[str]) -> list[tuple[str, bool | None, str]]:
    """Each claim the series makes of the ladder: (claim, holds (None: not measured here), the figures)."""
    sizes = [table[name] for name in ladder]
    reference, smallest = sizes[-1], sizes[0]
    ngrams = [table[f"{n}-gram"] for n in NGRAM_ORDERS]
    chance = Figure(0.5, 0.0)
    loss = "held-out loss (nats/char)"
    best_ngram = min(ngrams, key=lambda column: column[loss].value)
    losses = [column[loss] for column in sizes]
    found = []
    found.append(("held-out loss within 1.10x the floor, 3 SE below the best n-gram, falling with every size",
                  reference[loss].value <= 1.10 * floor and best_ngram[loss].above(reference[loss])
                  and all(a.above(b) for a, b in pairwise(losses)),
                  f"{reference[loss].value / floor:.3f}x floor; best n-gram {best_ngram[loss].value:.4f}; "
                  f"ladder {' > '.join(f'{f.value:.4f}' for f in losses)}"))
    plain, hard = "sentiment (plain)", ("sentiment (negated)", "sentiment (sarcastic)")
    found.append(("sentiment: >= 85% plain, >= 75% negated and sarcastic (3 SE over the majority class); "
                  "the smallest size near chance on negated reviews",
                  reference[plain].value >= 0.85 and reference[plain].above(chance)
                  and all(reference[h].value >= 0.75 and reference[h].above(chance) for h in hard)
                  and smallest[hard[0]].value < 0.60,
                  " / ".join(f"{reference[h].value:.0%}" for h in (plain, *hard))
                  + "; smallest " + " / ".join(f"{smallest[h].value:.0%}" for h in hard)))
    found.append(("sentiment read by a linear probe on the last hidden state where the verdict is due: >= 95% "
                  "(3 SE over the majority class)",
                  reference[PROBE].value >= 0.95 and reference[PROBE].above(chance),
                  f"{reference[PROBE].value:.1%}; smallest {smallest[PROBE].value:.1%}"))
    found.append(("pretraining pays: fine-tuned, >= 15 points over the same model from scratch (3 SE, over seeds) "
                  "at 16 and 64 labels, on sentiment (negated, bare facts) and on support (intent and mood)",
                  all(g.value >= 0.15 and g.above(Figure(0.0, 0.0)) for g in gaps.values()),
                  "; ".join(f"{task} at {size}: {g.value:+.1%} ± {g.se:.1%}" for (task, size), g in gaps.items())))
    zero, one = "translation (0 examples)", "translation (1 examples)"
    best = max((zero, one), key=lambda key: reference[key].value)
    found.append(("translation in an unseen format: about 0 at the bottom, >= 40% at the top, rising with size",
                  smallest[best].value <= 0.05 and reference[best].value >= 0.40
                  and not any(a.above(b) for a, b in pairwise(s[best] for s in sizes))  # no size clearly worse
                  and reference[best].above(smallest[best]),
                  f"{best}: " + " < ".join(f"{s[best].value:.0%}" for s in sizes)))
    shots = {"word game": 3, "notes": 4, "translation": 1}
    gains = {task: [Figure(column[f"{task} ({k} examples)"].value - column[f"{task} (0 examples)"].value,
                           math.hypot(column[f"{task} ({k} examples)"].se, column[f"{task} (0 examples)"].se))
                    for column in sizes] for task, k in shots.items()}
    growing = [task for task, k in shots.items()  # a real gain at the top, larger than at the bottom
               if gains[task][-1].above(Figure(0.0, 0.0)) and gains[task][-1].above(gains[task][0])
               and not any(a[f"{task} ({k} examples)"].above(b[f"{task} ({k} examples)"])  # nor a size doing worse
                           for a, b in pairwise(sizes))]
    found.append(("few-shot: the gain from examples larger at the top of the ladder than at the bottom, and "
                  "few-shot accuracy never falling with size, on two tasks", len(growing) >= 2,
                  "; ".join(f"{task} gain " + " -> ".join(f"{g.value:+.0%}" for g in gain)
                            for task, gain in gains.items())))
    best_pronoun = max(ngrams, key=lambda column: column["pronoun"].value)["pronoun"]
    found.append(("pronoun 20+ words back: >= 90%, best n-gram <= 60%",
                  reference["pronoun"].value >= 0.90 and best_pronoun.value <= 0.60
                  and reference["pronoun"].above(best_pronoun),
                  f"{reference['pronoun'].value:.0%} against {best_pronoun.value:.0%}"))
    return found


def main(argv: Sequence[str] = ()) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0,
                        help="measure the ladder's twins trained from this seed (trained first if not cached)")
    parser.add_argument("--sizes", nargs="+", choices=LADDER, default=list(LADDER),
                        help="ladder sizes to measure (the claims need all of them)")
    options = parser.parse_args(list(argv))
    ladder = [seed_twin(name, options.seed) for name in LADDER if name in options.sizes]
    started = time.perf_counter()
    recipe = recipe_named(LADDER[-1])
    train_text, val_text = corpus_texts(recipe)
    floor = TinyWorld(recipe.world_seed).entropy_floor().nats_per_char
    tests = ability_tests(200, pretraining_text=train_text)
    probe_tests = ability_tests(200, seed=LABELLED_SEED)
    probe_items = at_the_verdict([item for form in SENTIMENT for item in probe_tests[form].items])
    table: dict[str, dict[str, Figure]] = {}
    train_words = words(train_text)
    for n in NGRAM_ORDERS:
        table[f"{n}-gram"] = ngram_column(n, train_words, tests, val_text)
        table[f"{n}-gram"][PROBE] = Figure(math.nan, math.nan)
    del train_words
    for name in ladder:
        table[name] = ladder_column(name, tests, val_text, probe_items)
    rows = list(next(iter(table.values())))
    width = max(map(len, rows))
    print(f"TinyWorld 2, {len(next(iter(tests.values())).items)} items a test; entropy floor {floor:.4f} nats/char; "
          f"n-grams over words, the ladder over its BPE tokens; {LADDER[-1]} is the reference model")
    cell_width = max(17, *(len(column) + 2 for column in table))
    print(" " * width + "".join(f"{column:>{cell_width}}" for column in table))
    for row in rows:
        cells = []
        for column in table.values():
            figure = column[row]
            if math.isnan(figure.value):
                cells.append("-")
                continue
            cells.append(f"{figure.value:.4f}±{figure.se:.4f}" if row.startswith("held-out")
                         else f"{100 * figure.value:5.1f}±{100 * figure.se:4.1f}%")
        print(f"{row:<{width}}" + "".join(f"{cell:>{cell_width}}" for cell in cells))
    if len(ladder) < len(LADDER):
        print(f"\nthe claims need every size of the ladder ({time.perf_counter() - started:.0f} s)")
        return
    curve = sample_efficiency(*pretrained(ladder[-1]), sizes=LABELS, seeds=SEEDS, pretraining_text=train_text)
    gaps = {(task, size): Figure(*gap(curve, task, size)) for task, _, size in curve}
    print(f"\nfine-tuned {ladder[-1]} against the same model from scratch, held-out accuracy, mean over seeds "
          f"{list(SEEDS)}:")
    for (task, start, size), accuracies in curve.items():
        print(f"  {task:<10} {start:<13} {size:>5} labels: {statistics.fmean(accuracies):6.1%}  "
              f"(seeds: {', '.join(f'{a:.1%}' for a in accuracies)})")
    print()
    found = claims(table, floor, gaps, ladder)
    for claim, holds, figures in found:
        mark = {True: "holds", False: "FAILS", None: "not measured"}[holds]
        print(f"[{mark:>12}] {claim}: {figures}")
    print(f"capabilities: {sum(holds is True for _, holds, _ in found)} of {len(found)} hold "
          f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
