"""Draw chapter 7's diagram into images/: how two attention heads in two layers copy what came next last time.

    python tools/draw_chapter7.py

The sequence is a block of symbols repeated, as in the chapter's induction experiment. The arrows show
the mechanism the chapter then measures (Olsson et al., 2022): a previous-token head in layer 0, and an
induction head in layer 1 that reads what the previous-token head wrote. Simplified on purpose: plain
matplotlib boxes and arcs, no data.
"""

from __future__ import annotations

from diagram import INK, arrow, canvas, save
from matplotlib.patches import FancyBboxPatch

MUTED, PREVIOUS, INDUCTION, ANSWER = "#6e7781", "#1971c2", "#f08c00", "#2f9e44"
TOKENS = ["7", "K", "p", "2", "x", "7", "K"]  # a block of five symbols, then its repeat up to "K"
QUERY, MATCH = 6, 2  # the last "K" asks; "p" followed the earlier "K"


def token_box(axes, x: float, text: str, colour: str, filled: bool) -> None:
    """One token as a rounded box on the baseline."""
    axes.add_patch(FancyBboxPatch((x - 0.32, -0.3), 0.64, 0.6, boxstyle="round,pad=0.02,rounding_size=0.1",
                                  facecolor=colour if filled else "white", edgecolor=colour, linewidth=1.6))
    axes.text(x, 0, text, ha="center", va="center", size=13, family="DejaVu Sans Mono",
              color="white" if filled else INK, weight="bold")


def arc(axes, start: float, end: float, colour: str, rad: float, width: float, y: float = 0.32) -> None:
    """A curved arrow above the tokens, from the token that looks to the token it looks at."""
    arrow(axes, (start, y), (end, y), colour=colour, width=width, connection=f"arc3,rad={rad}")


def draw_induction_head() -> None:
    """The previous-token head marks "p" as "came after K"; the induction head finds it from the next "K"."""
    figure, axes = canvas(9.5, 3.6, x=(-1.4, len(TOKENS) + 2.6), y=(-1.35, 3.1))
    for i, token in enumerate(TOKENS):
        colour = INDUCTION if i == QUERY else ANSWER if i == MATCH else MUTED
        token_box(axes, i, token, colour, filled=i in (QUERY, MATCH))
    for i in range(1, len(TOKENS)):  # layer 0: every token looks one step back
        arc(axes, i, i - 1, PREVIOUS, rad=0.9, width=2.4 if i == MATCH else 0.8)
    arc(axes, QUERY, MATCH, INDUCTION, rad=0.45, width=2.6)
    token_box(axes, len(TOKENS) + 1.2, "p", ANSWER, filled=True)
    arrow(axes, (QUERY + 0.4, 0), (len(TOKENS) + 0.85, 0), colour=ANSWER, width=2, head=14)
    axes.text(len(TOKENS) + 1.2, -0.62, "predicted\nnext token", ha="center", va="top", size=9, color=ANSWER)
    axes.text(-0.9, 2.85, "layer 0, previous-token head:", size=10, color=PREVIOUS, weight="bold")
    axes.text(-0.9, 2.55, "each token copies which token came before it; \"p\" now carries \"after K\"",
              size=9.5, color=INK)
    axes.text(-0.9, 2.15, "layer 1, induction head:", size=10, color=INDUCTION, weight="bold")
    axes.text(-0.9, 1.85, "the new \"K\" looks for a token that carries \"after K\", finds \"p\" and copies it",
              size=9.5, color=INK)
    axes.text(-0.45, -0.6, "position", ha="right", va="top", size=8.5, color=MUTED)
    for i in range(len(TOKENS)):
        axes.text(i, -0.6, str(i), ha="center", va="top", size=8.5, color=MUTED)
    save(figure, "07_induction_head.png")


if __name__ == "__main__":
    draw_induction_head()
