"""Draw chapter 5's two diagrams with matplotlib: the three stages of building an LLM and the GPT architecture.

Writes images/05_three_stages.png and images/05_gpt_architecture.png (small PNGs, white background).
Run from anywhere: `python tools/draw_architecture.py`.
"""

from __future__ import annotations

from diagram import INK, MUTED, arrow, canvas, save
from matplotlib.patches import FancyBboxPatch

FILLS = {
    "data": "#eaeef2",
    "embed": "#ffd8a8",
    "norm": "#d0bfff",
    "attn": "#a5d8ff",
    "ffn": "#b2f2bb",
    "add": "#ffffff",
    "head": "#ffc9c9",
}


def box(axes, x: float, y: float, width: float, height: float, text: str, fill: str, *, size: float = 10,
        weight: str = "normal", edge: str = INK, style: str = "round,pad=0.02,rounding_size=0.08") -> None:
    """A rounded box centred on (x, y) with centred text."""
    axes.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle=style,
                                  facecolor=fill, edgecolor=edge, linewidth=1.2))
    axes.text(x, y, text, ha="center", va="center", fontsize=size, color=INK, weight=weight)


def three_stages() -> None:
    """Architecture -> pretraining -> fine-tuning, with what each stage needs and gives."""
    figure, axes = canvas(9.0, 3.0)
    stages = [
        ("1. Architecture", "embeddings, attention,\nfeed-forward layers,\nresidual stream",
         "an untrained model:\nits text is noise", FILLS["attn"], "chapters 3 and 5"),
        ("2. Pretraining", "predict the next token\non a large unlabelled\ncorpus",
         "a foundation model:\nfluent, general", FILLS["ffn"], "chapters 5 and 6"),
        ("3. Fine-tuning", "a little labelled data\nfor one task (spam or not,\nfollow instructions)",
         "a classifier or\nan assistant", FILLS["embed"], "chapter 6"),
    ]
    for k, (title, body, result, fill, where) in enumerate(stages):
        x = 1.4 + 3.1 * k
        box(axes, x, 2.62, 2.5, 0.5, title, fill, size=12, weight="bold")
        axes.text(x, 1.75, body, ha="center", va="center", fontsize=9.5, color=INK)
        axes.text(x, 0.72, result, ha="center", va="center", fontsize=9.5, color=MUTED, style="italic")
        axes.text(x, 0.12, where, ha="center", va="center", fontsize=8.5, color=MUTED)
        arrow(axes, (x, 1.2), (x, 1.0), colour=MUTED)
        if k < 2:
            arrow(axes, (x + 1.3, 2.62), (x + 1.8, 2.62))
    save(figure, "05_three_stages.png")


def gpt_architecture() -> None:
    """The GPT from token ids to logits, one transformer block drawn out, shapes on the right."""
    figure, axes = canvas(6.2, 8.4)
    cx, width, height = 2.4, 2.8, 0.42

    def shape(y: float, text: str) -> None:
        axes.text(4.55, y, text, ha="left", va="center", fontsize=9, color=MUTED, family="DejaVu Sans Mono")

    # Bottom to top: ids, embeddings.
    axes.text(cx, 0.2, "token ids   e.g. [464, 3797, 3332]", ha="center", va="center", fontsize=9.5)
    shape(0.2, "(B, T)")
    box(axes, cx - 0.75, 0.85, 1.3, height, "token\nembedding", FILLS["embed"], size=8.5)
    box(axes, cx + 0.75, 0.85, 1.3, height, "position\nembedding", FILLS["embed"], size=8.5)
    arrow(axes, (cx - 0.75, 0.35), (cx - 0.75, 0.85 - height / 2))
    arrow(axes, (cx + 0.75, 0.35), (cx + 0.75, 0.85 - height / 2))
    box(axes, cx, 1.45, 0.36, 0.3, "+", FILLS["add"], size=11, style="circle,pad=0.02")
    arrow(axes, (cx - 0.75, 0.85 + height / 2), (cx - 0.18, 1.45))
    arrow(axes, (cx + 0.75, 0.85 + height / 2), (cx + 0.18, 1.45))
    shape(1.45, "(B, T, C)")

    # The transformer block, repeated n_layer times.
    bottom, top = 1.85, 6.05
    axes.add_patch(FancyBboxPatch((0.55, bottom), 3.7, top - bottom, boxstyle="round,pad=0.02,rounding_size=0.15",
                                  facecolor="#f6f8fa", edgecolor=MUTED, linewidth=1.0, linestyle="--"))
    axes.text(0.7, top - 0.2, "transformer block\n× n_layer", ha="left", va="top", fontsize=9, color=MUTED)
    arrow(axes, (cx, 1.45 + 0.16), (cx, 2.3 - height / 2))
    rows = [
        (2.3, "LayerNorm 1", FILLS["norm"]),
        (3.0, "masked multi-head\nattention", FILLS["attn"]),
        (4.15, "LayerNorm 2", FILLS["norm"]),
        (4.85, "feed-forward\nLinear 4C · GELU · Linear C", FILLS["ffn"]),
    ]
    for y, text, fill in rows:
        box(axes, cx, y, width, height if "\n" not in text else 0.5, text, fill, size=9)
    arrow(axes, (cx, 2.3 + height / 2), (cx, 3.0 - 0.25))
    arrow(axes, (cx, 4.15 + height / 2), (cx, 4.85 - 0.25))
    for add_y, from_y, branch_y in ((3.65, 3.0 + 0.25, 1.9), (5.55, 4.85 + 0.25, 3.8)):
        box(axes, cx, add_y, 0.36, 0.3, "+", FILLS["add"], size=11, style="circle,pad=0.02")
        arrow(axes, (cx, from_y), (cx, add_y - 0.16))
        # The residual connection: the block's input goes around and is added back.
        axes.plot([cx, 4.05, 4.05], [branch_y, branch_y, add_y], color="#cf222e", linewidth=1.4)
        arrow(axes, (4.05, add_y), (cx + 0.19, add_y), colour="#cf222e", width=1.4)
        shape(add_y, "(B, T, C)")
    arrow(axes, (cx, 3.65 + 0.16), (cx, 4.15 - height / 2))
    axes.text(4.1, 2.75, "residual", rotation=90, ha="left", va="center", fontsize=8.5, color="#cf222e")
    axes.text(4.1, 4.65, "residual", rotation=90, ha="left", va="center", fontsize=8.5, color="#cf222e")

    # Top: final norm, head, logits.
    arrow(axes, (cx, 5.55 + 0.16), (cx, 6.55 - height / 2))
    box(axes, cx, 6.55, width, height, "final LayerNorm", FILLS["norm"], size=9)
    arrow(axes, (cx, 6.55 + height / 2), (cx, 7.25 - height / 2))
    box(axes, cx, 7.25, width, height, "linear head (shares the\ntoken embedding's weights)", FILLS["head"], size=8.5)
    arrow(axes, (cx, 7.25 + height / 2), (cx, 7.95))
    axes.text(cx, 8.12, "logits: a score for every possible next token", ha="center", va="center", fontsize=9.5)
    shape(8.12, "(B, T, V)")
    save(figure, "05_gpt_architecture.png")


if __name__ == "__main__":
    three_stages()
    gpt_architecture()
