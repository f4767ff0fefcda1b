"""Draw chapter 3's static diagrams into images/: one attention head seen from "she", and a cropped context window.

    python tools/draw_attention.py

The numbers in the first picture are illustrative (chosen to read clearly, not measured); the chapter
measures the real ones. Simplified on purpose: plain matplotlib boxes and arrows, no data.
"""

from __future__ import annotations

from functools import partial

import diagram
from diagram import INK, canvas, save
from matplotlib.patches import FancyBboxPatch, Rectangle

MUTED = "#6e7781"
QUERY, KEY, VALUE, OUTPUT = "#f08c00", "#1971c2", "#2f9e44", "#862e9c"
WORDS = ["alice", "is", "reading", "a", "book", "by", "the", "river", ".", "she"]
# Illustrative weights of "she" over the tokens it can see (sum to 1; "alice" dominates).
WEIGHTS = [0.62, 0.03, 0.04, 0.02, 0.07, 0.02, 0.02, 0.08, 0.03, 0.07]


def box(axes, x: float, y: float, width: float, height: float, text: str, colour: str, *, filled: bool = False,
        size: float = 10.0) -> None:
    """A rounded box with centred text."""
    axes.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                  boxstyle="round,pad=0.02,rounding_size=0.08",
                                  facecolor=colour if filled else "white", edgecolor=colour, linewidth=1.6))
    axes.text(x, y, text, ha="center", va="center", size=size, color="white" if filled else INK,
              family="DejaVu Sans Mono")


arrow = partial(diagram.arrow, head=10)


def draw_query_key_value() -> None:
    """"she" asks a question (query), every token offers a label (key) and a content (value)."""
    figure, axes = canvas(10, 4.4, x=(-2.6, len(WORDS) + 0.5), y=(-0.45, 5.3))
    she = len(WORDS) - 1
    rows = {"tokens x": 0.0, "keys  k = W_k x": 0.8, "weights": 1.45, "values  v = W_v x": 3.5}
    for label, y in rows.items():
        axes.text(-2.55, y + (0.55 if label == "weights" else 0.0), label, size=9.5, color=INK, va="center")
    axes.text(-2.55, 1.7, "softmax(q·k / √d)", size=8.5, color=QUERY, va="center")
    for i, word in enumerate(WORDS):
        box(axes, i, 0, 0.94, 0.5, word, INK if i == she else MUTED, filled=i == she, size=9)
        box(axes, i, 0.8, 0.5, 0.36, "k", KEY, size=9)
        box(axes, i, 3.5, 0.5, 0.36, "v", VALUE, size=9)
        height = 1.5 * WEIGHTS[i]  # the weight of this token in "she"'s weighted sum, as a bar
        axes.add_patch(Rectangle((i - 0.22, 1.45), 0.44, height, facecolor=QUERY, alpha=0.85))
        axes.text(i, 1.5 + height, f"{WEIGHTS[i]:.2f}", ha="center", va="bottom", size=8.5, color=INK)
        arrow(axes, (i, 3.7), (6.5 + (i - 4.5) * 0.4, 4.58), colour=OUTPUT, width=0.4 + 4.0 * WEIGHTS[i])
    box(axes, she + 1.0, 0.8, 0.5, 0.36, "q", QUERY, filled=True, size=9)
    arrow(axes, (she + 0.45, 0.0), (she + 1.0, 0.6), colour=MUTED, width=0.8)
    axes.text(she + 1.0, 1.15, "q = W_q x", size=8.5, color=QUERY, ha="center", va="bottom", rotation=90)
    box(axes, 6.5, 4.85, 5.0, 0.5, "output of \"she\" = Σ weight × v", OUTPUT, filled=True, size=10)
    axes.text(-2.55, 4.85, "One attention head, seen from \"she\"\n(illustrative numbers)", size=11.5, color=INK,
              va="center", weight="bold")
    save(figure, "03_query_key_value.png")


def draw_context_window() -> None:
    """The model reads only the last `context` tokens: a cropped window can lose the antecedent."""
    story = "alice is reading a book by the river . bob waves from across the road . she".split()
    figure, axes = canvas(10, 2.2, x=(-0.6, len(story) - 0.3), y=(-1.3, 1.25))
    for row, (start, label) in enumerate(((0, "whole story in the window: \"alice\" can be looked up"),
                                          (1, "window cropped to start after \"alice\": only \"bob\" is left"))):
        y = 0.55 - 1.25 * row
        for i, word in enumerate(story):
            inside = i >= start
            colour = QUERY if i == len(story) - 1 else KEY if word in ("alice", "bob") else MUTED
            axes.text(i, y, word, ha="center", va="center", size=9.5, family="DejaVu Sans Mono",
                      color=colour if inside else "#adb5bd", weight="bold" if word in ("alice", "bob", "she") else None)
        axes.add_patch(FancyBboxPatch((start - 0.45, y - 0.27), len(story) - start - 0.1, 0.54,
                                      boxstyle="round,pad=0.02,rounding_size=0.1", facecolor="none", edgecolor=OUTPUT,
                                      linewidth=1.6))
        axes.text(-0.55, y + 0.42, label, size=9, color=INK)
    save(figure, "03_context_window.png")


if __name__ == "__main__":
    draw_query_key_value()
    draw_context_window()
