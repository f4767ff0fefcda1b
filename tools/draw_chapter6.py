"""Draw chapter 6's diagram into images/: one pretrained GPT, three ways of training it.

    python tools/draw_chapter6.py

Writes images/ch6-pretraining-to-fine-tuning.png. Left: pretraining, where every position predicts the
next token and every prediction counts in the loss. Middle: classification fine-tuning, where a new
two-class head reads only the last token's final hidden state. Right: instruction fine-tuning, where an
example is written in a prompt template and only the response's tokens count in the loss (the prompt's
targets are IGNORE_INDEX, -100). Simplified on purpose: plain matplotlib boxes, a few tokens per example.
"""

from __future__ import annotations

from functools import partial

import diagram
from diagram import INK, canvas, save
from matplotlib.patches import FancyBboxPatch

MUTED, FAINT = "#6e7781", "#d0d7de"
MODEL, LM_HEAD, NEW_HEAD, COUNTED = "#a5d8ff", "#ffd8a8", "#ffc9c9", "#2f9e44"
WIDTHS = (3.6, 4.6, 6.4)  # the three columns; the instruction example has the most tokens
GAP = 0.35


def box(axes, x: float, y: float, width: float, height: float, text: str, fill: str, *, size: float = 9,
        edge: str = INK, colour: str = INK, weight: str = "normal", mono: bool = False) -> None:
    """A rounded box centred on (x, y) with centred text."""
    axes.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height,
                                  boxstyle="round,pad=0.01,rounding_size=0.06", facecolor=fill, edgecolor=edge,
                                  linewidth=1.1))
    axes.text(x, y, text, ha="center", va="center", fontsize=size, color=colour, weight=weight,
              family="DejaVu Sans Mono" if mono else "DejaVu Sans")


arrow = partial(diagram.arrow, colour=MUTED, width=1.0, head=9)


def token_row(axes, left: float, y: float, tokens: list[str], fills: list[str], *, step: float,
              colours: list[str] | None = None, edges: list[str] | None = None, size: float = 8) -> list[float]:
    """One box per token, left to right from `left`; returns the centres."""
    centres = [left + step * (k + 0.5) for k in range(len(tokens))]
    for k, (x, token) in enumerate(zip(centres, tokens, strict=True)):
        box(axes, x, y, step * 0.9, 0.36, token, fills[k], size=size, mono=True,
            colour=(colours or [INK] * len(tokens))[k], edge=(edges or [INK] * len(tokens))[k])
    return centres


def column(axes, k: int, title: str, caption: str) -> tuple[float, float]:
    """Title and caption of column k; returns its left edge and width."""
    left, width = 0.2 + sum(WIDTHS[:k]) + k * GAP, WIDTHS[k]
    axes.text(left + width / 2, 4.75, title, ha="center", va="center", fontsize=10.5, weight="bold", color=INK)
    axes.text(left + width / 2, 0.2, caption, ha="center", va="center", fontsize=8, color=MUTED, style="italic")
    return left, width


def pretraining(axes) -> None:
    """Every position predicts the next token; every prediction counts."""
    left, width = column(axes, 0, "1. Pretraining", "every position predicts the next token;\n"
                                                            "every prediction counts in the loss")
    tokens, targets = ["the", "cat", "sat", "on"], ["cat", "sat", "on", "the"]
    step = width / len(tokens)
    xs = token_row(axes, left, 1.0, tokens, ["#eaeef2"] * 4, step=step)
    box(axes, left + width / 2, 2.05, width - 0.2, 0.6, "GPT (random start)", MODEL, size=9.5)
    box(axes, left + width / 2, 2.95, width - 0.2, 0.45, "vocabulary head",
        LM_HEAD, size=8.5)
    token_row(axes, left, 3.95, targets, ["white"] * 4, step=step, colours=[COUNTED] * 4, edges=[COUNTED] * 4)
    for x in xs:
        arrow(axes, (x, 1.2), (x, 1.73))
        arrow(axes, (x, 3.19), (x, 3.75), colour=COUNTED)
    axes.text(left + width / 2, 4.35, "targets: the text shifted by one", ha="center", fontsize=8,
              color=COUNTED)


def classification(axes) -> None:
    """The same GPT with its vocabulary head replaced by a two-class head on the last token."""
    left, width = column(axes, 1, "2. Classification fine-tuning", "a new, small head reads the last token,\n"
                                                                            "the only one that saw the whole text")
    tokens = ["win", "a", "free", "car", "!"]
    step = (width - 1.0) / len(tokens)  # room on the right for the two class scores
    xs = token_row(axes, left, 1.0, tokens, ["#eaeef2"] * len(tokens), step=step)
    box(axes, left + (width - 1.0) / 2, 2.05, width - 1.2, 0.6, "pretrained GPT", MODEL, size=9.5)
    for x in xs:
        arrow(axes, (x, 1.2), (x, 1.73))
    for x in xs[:-1]:
        axes.text(x, 2.6, "·", ha="center", va="center", fontsize=14, color=FAINT)
    box(axes, xs[-1], 2.95, 1.5, 0.45, "new head: 2", NEW_HEAD, size=8.5)
    arrow(axes, (xs[-1], 2.37), (xs[-1], 2.71))
    box(axes, xs[-1] - 0.45, 3.95, 0.75, 0.36, "ham", "white", size=8, mono=True, colour=MUTED, edge=MUTED)
    box(axes, xs[-1] + 0.45, 3.95, 0.75, 0.36, "spam", "white", size=8, mono=True, colour=COUNTED, edge=COUNTED,
        weight="bold")
    arrow(axes, (xs[-1], 3.19), (xs[-1], 3.75), colour=COUNTED)
    axes.text(left + 1.55, 3.95, "one label\nper text", ha="center", va="center", fontsize=8, color=COUNTED)


def instruction(axes) -> None:
    """A prompt template around the instruction; only the response's tokens count in the loss."""
    left, width = column(axes, 2, "3. Instruction fine-tuning", "the prompt's targets are -100 (ignored):\n"
                                                                         "the loss is on the response only")
    tokens = ["task:", "add", "two", "and", "one", "answer:", "three", "."]
    targets = ["-100", "-100", "-100", "-100", "-100", "three", ".", "\\n"]
    prompt = 6  # tokens of the prompt (template and instruction)
    step = width / len(tokens)
    fills = ["#fff3bf" if k in (0, 5) else "#eaeef2" for k in range(prompt)] + ["#d3f9d8"] * (len(tokens) - prompt)
    xs = token_row(axes, left, 1.0, tokens, fills, step=step, size=7)
    box(axes, left + width / 2, 2.05, width - 0.2, 0.6, "pretrained GPT", MODEL, size=9.5)
    box(axes, left + width / 2, 2.95, width - 0.2, 0.45, "vocabulary head (kept)", LM_HEAD, size=8.5)
    counted = [k >= prompt - 1 for k in range(len(tokens))]
    colours = [COUNTED if c else FAINT for c in counted]
    token_row(axes, left, 3.95, targets, ["white"] * len(tokens), step=step, colours=colours, edges=colours, size=7)
    for x, colour in zip(xs, colours, strict=True):
        arrow(axes, (x, 1.2), (x, 1.73))
        arrow(axes, (x, 3.19), (x, 3.75), colour=colour)
    axes.text(left + step * prompt / 2, 0.62, "prompt", ha="center", fontsize=8, color=MUTED)
    axes.text(left + step * (prompt + 1), 0.62, "response", ha="center", fontsize=8, color=COUNTED)
    axes.text(left + width / 2, 4.35, "targets", ha="center", fontsize=8, color=MUTED)


def draw() -> None:
    """The three panels side by side."""
    width = sum(WIDTHS) + 2 * GAP + 0.4
    figure, axes = canvas(width * 0.72, 5.0 * 0.72, x=(0, width), y=(0, 5.0))
    pretraining(axes)
    classification(axes)
    instruction(axes)
    for k in (1, 2):
        x = 0.2 + sum(WIDTHS[:k]) + k * GAP - GAP / 2
        axes.plot([x, x], [0.5, 4.9], color=FAINT, linewidth=1)
    save(figure, "ch6-pretraining-to-fine-tuning.png")


if __name__ == "__main__":
    draw()
