"""Draw chapter 2's diagram into images/: a probe as a minimal pair, for each phenomenon the chapter measures.

    python tools/draw_chapter2.py

The three prompts are TinyWorld documents cut before the word that shows the phenomenon; the right word is
one TinyWorld could write next, the wrong one is not (helpers.probes builds the same pairs).
"""

from __future__ import annotations

from diagram import INK, canvas, save
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

MUTED, RIGHT, WRONG, CLUE = "#6e7781", "#b2f2bb", "#ffc9c9", "#ffec99"
MONO = "DejaVu Sans Mono"
DPI = 100

ROWS = (
    ("agreement", [("the", None), ("cat", CLUE), ("near", None), ("the", None), ("dogs", None)], "is", "are",
     "the verb agrees with the cat, not with the nearer dogs"),
    ("pronoun", [("alice", CLUE), ("is reading a book by the river .", None), ("bob", None),
                 ("is fishing .", None)], "she", "he",
     "the hero is alice; bob is a distractor"),
    ("negation", [("i read the book last week . it was", None), ("not bad", CLUE), (". the ending was", None)],
     "good", "bad", '"not bad" is praise: copying "bad" is wrong'),
)


def draw_minimal_pairs() -> None:
    """One row per phenomenon: the prompt (its clue highlighted), then the right and the wrong next word."""
    figure, ax = canvas(10, 3.6, dpi=DPI, x=(0, 1), y=(0, 1))
    renderer = figure.canvas.get_renderer()
    ax.text(0.01, 0.95, "A probe: which next word does the model find more likely?", size=11, color=INK,
            weight="bold")
    for row, (name, pieces, right, wrong, note) in enumerate(ROWS):
        y = 0.78 - row * 0.27
        ax.text(0.01, y, name, size=10, color=MUTED, va="center")
        x = 0.12
        for text, fill in pieces:
            label = ax.text(x + 0.006, y, text, ha="left", va="center", size=9.5, family=MONO, color=INK)
            box = label.get_window_extent(renderer).transformed(ax.transAxes.inverted())
            width = box.width + 0.012
            if fill:
                ax.add_patch(FancyBboxPatch((x, y - 0.05), width, 0.1, boxstyle="round,pad=0.003,rounding_size=0.01",
                                            facecolor=fill, edgecolor="none", zorder=0))
            x += width + 0.006
        for offset, (word, fill, mark) in enumerate(((right, RIGHT, "✓"), (wrong, WRONG, "✗"))):
            target_y = y + (0.06 if offset == 0 else -0.06)
            ax.add_patch(FancyArrowPatch((x + 0.005, y), (0.80, target_y), arrowstyle="-|>", mutation_scale=10,
                                         color=MUTED, lw=1.0))
            ax.add_patch(FancyBboxPatch((0.805, target_y - 0.04), 0.07, 0.08,
                                        boxstyle="round,pad=0.003,rounding_size=0.01", facecolor=fill,
                                        edgecolor="none"))
            ax.text(0.84, target_y, word, ha="center", va="center", size=9.5, family=MONO, color=INK)
            ax.text(0.885, target_y, mark, ha="left", va="center", size=10, color=INK)
        ax.text(0.12, y - 0.1, note, size=8.5, color=MUTED, va="center", style="italic")
    ax.text(0.01, 0.0, "accuracy = share of pairs where P(right word) > P(wrong word); a coin flip scores 50%",
            size=9, color=MUTED)
    save(figure, "02_minimal_pairs.png")


if __name__ == "__main__":
    draw_minimal_pairs()
