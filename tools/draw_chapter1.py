"""Draw chapter 1's diagrams into images/: the next-word loop and what an n-gram model can see.

    python tools/draw_chapter1.py

The probabilities in the loop diagram are those of the chapter's 4-gram count model (TinyWorld 2, seed 0,
20,000 documents, cut into words and punctuation marks as the chapter does), so the picture agrees with the
numbers the notebook prints; the pronoun story is the first of the chapter's held-out hero stories.
"""

from __future__ import annotations

import re
from functools import partial

import diagram
from diagram import INK, canvas, save
from matplotlib.patches import FancyBboxPatch, Rectangle

from helpers.ngram_model import NGramModel
from helpers.tinyworld2 import TinyWorld, pronoun_probe

MUTED, ACCENT, SECOND = "#6e7781", "#0969da", "#bc4c00"
FILLS = ("#ffd8a8", "#a5d8ff", "#b2f2bb", "#ffc9c9", "#d0bfff")
DPI = 80
GAP = 0.02  # between token boxes


def box(ax, x, y, text, fill, width=None, size=11, mono=True):
    """A rounded box with centred text; returns its right edge."""
    width = width or 0.013 * len(text) + 0.03
    ax.add_patch(FancyBboxPatch((x, y - 0.045), width, 0.09, boxstyle="round,pad=0.005,rounding_size=0.015",
                                facecolor=fill, edgecolor="none"))
    ax.text(x + width / 2, y, text, ha="center", va="center", size=size, color=INK,
            family="DejaVu Sans Mono" if mono else "DejaVu Sans")
    return x + width


arrow = partial(diagram.arrow, colour=MUTED, width=1.5, head=14)


def draw_loop(distribution: dict[str, float]) -> None:
    """Text -> tokens -> model -> probabilities for the next token -> pick one -> append -> repeat."""
    figure, ax = canvas(9, 3.4, dpi=DPI, x=(0, 1), y=(0, 1))
    ax.text(0.02, 0.93, "1. the text so far, cut into tokens", size=10, color=MUTED)
    x = 0.02
    for i, word in enumerate("the cat sat on the".split()):
        x = box(ax, x, 0.78, word, FILLS[i % len(FILLS)]) + GAP
    ax.add_patch(FancyBboxPatch((0.47, 0.70), 0.12, 0.16, boxstyle="round,pad=0.01,rounding_size=0.02",
                                facecolor="#ddf4ff", edgecolor=ACCENT, lw=1.5))
    ax.text(0.53, 0.78, "language\nmodel", ha="center", va="center", size=11, color=INK)
    arrow(ax, (x, 0.78), (0.46, 0.78))
    ax.text(0.62, 0.93, "2. a probability for every possible next token", size=10, color=MUTED)
    top = list(distribution.items())[:5]
    for row, (word, p) in enumerate(top):
        y = 0.80 - row * 0.095
        ax.text(0.72, y, word, ha="right", va="center", size=10, family="DejaVu Sans Mono", color=INK)
        ax.add_patch(Rectangle((0.73, y - 0.03), 0.2 * p / top[0][1], 0.06,
                                   color=SECOND if row == 0 else "#a5d8ff"))
        ax.text(0.735 + 0.2 * p / top[0][1], y, f"{p:.0%}", va="center", size=9, color=INK)
    ax.text(0.72, 0.80 - 5 * 0.095 + 0.02, "...", ha="right", size=10, color=MUTED)
    arrow(ax, (0.60, 0.78), (0.64, 0.78))
    ax.text(0.62, 0.05, "3. pick one: the most likely,\n    or draw one at random", size=10, color=MUTED)
    x = 0.02
    for i, word in enumerate("the cat sat on the".split()):
        x = box(ax, x, 0.22, word, FILLS[i % len(FILLS)]) + GAP
    end = box(ax, x, 0.22, top[0][0], SECOND + "55")
    arrow(ax, (0.74, 0.40), ((x + end) / 2 + 0.01, 0.29), colour=SECOND, connection="arc3,rad=-0.2")
    ax.text(0.02, 0.05, "4. append it, and repeat from 1", size=10, color=MUTED)
    arrow(ax, (0.10, 0.31), (0.10, 0.69), colour=MUTED, style="-|>", connection="arc3,rad=0")
    ax.text(0.115, 0.50, "repeat", size=9, color=MUTED, va="center")
    save(figure, "01_next_word_loop.png")


def draw_windows(story) -> None:
    """What a bigram, trigram and 4-gram model read, and a pronoun whose antecedent is far outside."""
    figure, ax = canvas(9, 3.0, dpi=DPI, x=(0, 1), y=(0, 1))
    words = "the cat sat on the".split()
    for row, n in enumerate((2, 3, 4)):
        y = 0.88 - row * 0.16
        ax.text(0.0, y, f"{n}-gram reads {n - 1} word{'s' if n > 2 else ''}", va="center", size=10, color=INK)
        x = 0.25
        for i, word in enumerate(words):
            seen = i >= len(words) - (n - 1)
            x = box(ax, x, y, word, "#a5d8ff" if seen else "#f1f3f5", size=10) + GAP
        box(ax, x, y, "?", "#ffd8a8", size=10)
    prompt, pronoun = pronoun_probe(story)
    words, hero = prompt.split(" "), story.fields["antecedent"]
    start = story.fields["antecedent_token"]
    shown = [*words[start:start + 8], "...", *words[-9:]]  # the hero's sentence, ..., the last words
    y = 0.24
    ax.text(0.0, y + 0.11, f"A pronoun: the word that decides it ({hero}, {story.fields['distance']} words back) "
            f"is far outside the window", size=10, color=INK)
    x = 0.0
    for i, word in enumerate(shown):
        fill = "#ffc9c9" if word == hero and i == 0 else "#a5d8ff" if i >= len(shown) - 3 else "#f1f3f5"
        x = box(ax, x, y, word, fill, size=8.5, width=0.008 * len(word) + 0.008) + 0.012
    box(ax, x, y, f"{pronoun}?", "#ffd8a8", size=8.5, width=0.045)
    save(figure, "01_ngram_windows.png")


def main() -> None:
    text = TinyWorld(0).corpus_text(20_000)
    tokens = re.findall(r"\w+|[^\w\s]|\n", text)  # the chapter's split_words
    model = NGramModel.train(tokens, 4)
    draw_loop(model.next_token_distribution("the cat sat on the".split()))
    draw_windows(TinyWorld(seed=2).documents(1, "story", story_type="hero")[0])


if __name__ == "__main__":
    main()
