"""How the labs draw: one figure style, PNG output, and text drawn as coloured token boxes.

Every lab figure is a matplotlib Figure that is not attached to pyplot (so nothing displays by itself in
a notebook), 900 pixels wide, with an explicit white background, so a picture reads the same in light
and dark notebook themes. Text never goes through matplotlib's maths parser: a "$" in a token is a dollar.

Token pieces are drawn in DejaVu Sans Mono (it ships with matplotlib, so every machine draws the same
glyphs): whitespace is made visible (␣ ↵ →) and a character the font lacks is written as its code point
(U+1F600) instead of an empty box. `flow` lays boxes out like text, in rows of monospaced cells.

Simplified on purpose: no text measuring; monospaced cells make the layout pure arithmetic.
"""

from __future__ import annotations

import io
import math
import textwrap
import unicodedata
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache

import matplotlib
from matplotlib import font_manager, ft2font
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

FIGURE_WIDTH = 9.0  # inches; at DPI this is a 900-pixel picture
DPI = 100
BACKGROUND = "white"  # explicit, so a figure looks the same on a light or a dark notebook theme
INK = "#1f2328"
MUTED = "#6e7781"
ACCENT = "#0969da"
SECOND = "#bc4c00"
CUT = "#d0d7de"  # what sampling settings remove
MONO = "DejaVu Sans Mono"  # ships with matplotlib, so every machine draws the same glyphs
MONO_SIZE = 10.5  # points
MONO_ADVANCE = 0.602  # width of one DejaVu Sans Mono character, in ems
MARGIN = 0.25  # inches around the drawing
# Light fills that keep dark text readable; neighbouring tokens get different colours.
TOKEN_FILLS = ("#ffd8a8", "#a5d8ff", "#b2f2bb", "#ffc9c9", "#d0bfff", "#fcc2d7", "#99e9f2", "#ffec99")


@contextmanager
def figure_style() -> Iterator[None]:
    """Matplotlib settings for lab figures: plain text (a '$' in a token is not maths), dark ink on white."""
    style = {
        "text.parse_math": False,
        "font.family": "DejaVu Sans",
        "font.size": 10,
        "text.color": INK,
        "axes.edgecolor": MUTED,
        "axes.labelcolor": INK,
        "xtick.color": INK,
        "ytick.color": INK,
        "figure.facecolor": BACKGROUND,
        "axes.facecolor": BACKGROUND,
        "savefig.facecolor": BACKGROUND,
    }
    with matplotlib.rc_context(style), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Glyph .* missing from")
        yield


def new_figure(height: float) -> Figure:
    """A lab-sized figure (FIGURE_WIDTH x height inches) not attached to pyplot, so nothing auto-displays."""
    figure = Figure(figsize=(FIGURE_WIDTH, max(height, 0.6)), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    return figure


def stacked_axes(
    heights: Sequence[float], gap: float = 0.8, top: float = 0.6, left: float = 0.9
) -> tuple[Figure, list[Axes]]:
    """A figure with axes stacked top to bottom, each `height` inches tall, with room for titles between."""
    total = top + sum(heights) + gap * (len(heights) - 1) + MARGIN
    figure = new_figure(total)
    axes, y = [], total - top
    width = 1 - (left + MARGIN) / FIGURE_WIDTH
    for height in heights:
        y -= height
        axes.append(figure.add_axes((left / FIGURE_WIDTH, y / total, width, height / total)))
        y -= gap
    return figure, axes


def label_room(labels: Sequence[str], size: float = MONO_SIZE) -> float:
    """Inches of left margin that tick labels this long need in the monospaced font."""
    longest = max((len(label) for label in labels), default=1)
    return min(3.0, 0.35 + longest * size * MONO_ADVANCE / 72)


def message_figure(text: str) -> Figure:
    """A small picture holding only a message: what a lab shows before its first good view."""
    with figure_style():
        figure = new_figure(0.8)
        figure.text(MARGIN / FIGURE_WIDTH, 0.5, "\n".join(textwrap.wrap(text, 100)), va="center", size=10,
                    color=MUTED)
    return figure


def figure_png(figure: Figure) -> bytes:
    """Render a figure to PNG bytes (what the lab shows, embeds and saves)."""
    buffer = io.BytesIO()
    with figure_style():
        figure.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND)
    return buffer.getvalue()


@cache
def _mono_glyphs() -> frozenset[int]:
    path = font_manager.findfont(font_manager.FontProperties(family=MONO), fallback_to_default=True)
    return frozenset(ft2font.FT2Font(path).get_charmap())


VISIBLE_WHITESPACE = {" ": "␣", "\n": "↵", "\t": "→", "\r": "␍"}


def visible(piece: str) -> str:
    """Make a token piece drawable: whitespace as ␣ ↵ →, characters the font lacks as U+XXXX."""
    glyphs = _mono_glyphs()
    out = []
    for character in piece:
        if character in VISIBLE_WHITESPACE:
            out.append(VISIBLE_WHITESPACE[character])
        elif ord(character) in glyphs and unicodedata.category(character)[0] != "C":
            out.append(character)
        else:
            out.append(f"U+{ord(character):04X}")
    return "".join(out) or "∅"


def ink_on(fill) -> str:
    """Black or white, whichever reads better on the fill colour."""
    red, green, blue = to_rgb(fill)
    return INK if 0.299 * red + 0.587 * green + 0.114 * blue > 0.55 else "white"


@dataclass(frozen=True)
class TokenBox:
    """Where one token sits in a flowed line of boxes, in character cells."""

    row: int
    column: int
    width: int


def flow(widths: Sequence[int], chars_per_row: int, newline_after: Sequence[bool] | None = None) -> list[TokenBox]:
    """Lay boxes of these widths (in cells) out left to right in rows, starting a new row after a newline."""
    boxes, row, column = [], 0, 0
    for index, width in enumerate(widths):
        width = min(width + 1, chars_per_row)  # one cell of air between boxes
        if column and column + width > chars_per_row:
            row, column = row + 1, 0
        boxes.append(TokenBox(row, column, width))
        column += width
        if newline_after is not None and newline_after[index]:
            row, column = row + 1, 0
    return boxes


def chars_per_row(axes_width_inches: float) -> int:
    """How many monospaced cells fit across an axes this wide."""
    return max(8, int(axes_width_inches * 72 / (MONO_SIZE * MONO_ADVANCE)))


SUBLABEL_SCALE = 0.62  # sublabels are drawn this much smaller than the token text


def _layout(pieces: Sequence[str], sublabels: Sequence[str] | None, width_inches: float):
    labels = [visible(p) for p in pieces]
    labels = [label if len(label) <= 40 else label[:39] + "…" for label in labels]
    widths = [len(label) for label in labels]
    if sublabels is not None:
        widths = [max(w, math.ceil(len(s) * SUBLABEL_SCALE)) for w, s in zip(widths, sublabels, strict=True)]
    cells = chars_per_row(width_inches)
    return labels, flow(widths, cells, [p.endswith("\n") for p in pieces]), cells


def row_height(with_sublabels: bool) -> float:
    """Inches one row of token boxes needs (taller when each box carries a small label underneath)."""
    return MONO_SIZE / 72 * (2.75 if with_sublabels else 1.85)


def flow_height(pieces: Sequence[str], sublabels: Sequence[str] | None = None, left: float = 0.9) -> float:
    """Inches a token flow of these pieces needs across a stacked_axes axes with this left margin."""
    _, boxes, _ = _layout(pieces, sublabels, FIGURE_WIDTH - left - MARGIN)
    rows = boxes[-1].row + 1 if boxes else 1
    return rows * row_height(sublabels is not None)


def draw_token_flow(
    axes: Axes,
    pieces: Sequence[str],
    fills: Sequence,
    *,
    sublabels: Sequence[str] | None = None,
    outlines: Sequence[bool] | None = None,
) -> None:
    """Draw token pieces as coloured boxes flowing like text, each with an optional small label below."""
    width_inches = axes.get_position().width * axes.figure.get_figwidth()
    labels, boxes, cells = _layout(pieces, sublabels, width_inches)
    rows = boxes[-1].row + 1 if boxes else 1
    axes.set_xlim(0, cells)
    axes.set_ylim(rows, 0)
    axes.set_axis_off()
    for index, (box, label) in enumerate(zip(boxes, labels, strict=True)):
        fill = fills[index]
        outlined = bool(outlines and outlines[index])
        axes.add_patch(FancyBboxPatch(
            (box.column + 0.08, box.row + 0.1), box.width - 0.16, 0.8, boxstyle="round,pad=0,rounding_size=0.15",
            facecolor=fill, edgecolor=INK if outlined else "none", linewidth=2.0 if outlined else 0,
        ))
        text_y = box.row + (0.38 if sublabels else 0.5)
        axes.text(box.column + box.width / 2, text_y, label, ha="center", va="center", family=MONO,
                  size=MONO_SIZE, color=ink_on(fill), parse_math=False)
        if sublabels:
            axes.text(box.column + box.width / 2, box.row + 0.74, sublabels[index], ha="center", va="center",
                      family=MONO, size=MONO_SIZE * SUBLABEL_SCALE, color=ink_on(fill), parse_math=False)


def set_title(axes: Axes, text: str, size: float = 10.0) -> None:
    """A title starting at the figure's left margin, wrapped to the figure's width (plan for two lines)."""
    figure_width = axes.figure.get_figwidth()
    box = axes.get_position()
    x = (MARGIN - box.x0 * figure_width) / (box.width * figure_width)  # the figure margin, in axes units
    characters = int((figure_width - 2 * MARGIN) * 72 / (size * 0.5))
    axes.set_title("\n".join(textwrap.wrap(text, characters)), loc="left", size=size, x=x, ha="left")
