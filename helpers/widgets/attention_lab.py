"""AttentionLab: where each token looks, as one head's heatmap, a layer's grid of heads, or coloured text.

`attention_maps` runs the model once (model.trace) and keeps every layer's and head's weights; choosing
a layer, a head or a query token afterwards only redraws. Three views:

- "one head":  the (query x key) weight matrix of one head; row i says how token i spreads its attention
  over tokens 0..i (the upper triangle is the future, which a causal model cannot see);
- "all heads": the same matrix for every head of the layer, side by side, the chosen head framed;
- "tokens":    the text itself, each token coloured by how much the chosen query token attends to it
  (the "she" -> "Alice" picture).

Long inputs are capped to the first `max_tokens` tokens, with a notice. That is exact, not an
approximation: attention only looks backwards, so later tokens cannot change what earlier ones attend to.
Simplified on purpose: no attention rollout or head attribution; weights are shown as the model has them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import numpy as np
import torch
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.colors import PowerNorm
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from helpers.widgets.base import (
    Lab,
    check_choice,
    check_lab_tokenizer,
    check_text,
    check_traceable,
    offer_positions,
    trace_text,
)
from helpers.widgets.drawing import (
    ACCENT,
    INK,
    MARGIN,
    MONO,
    MONO_ADVANCE,
    draw_token_flow,
    figure_style,
    flow_height,
    new_figure,
    set_title,
    stacked_axes,
    visible,
)

ATTENTION_COLOURS = colormaps["Oranges"]
FUTURE_FILL = "#f1f3f5"
VIEWS = ("one head", "all heads", "tokens")


@dataclass(frozen=True)
class AttentionMaps:
    """Every attention weight of one text: weights[layer, head, query, key] (rows sum to 1 over keys <= query)."""

    ids: list[int]
    pieces: list[str]
    weights: torch.Tensor  # (n_layer, n_head, T, T)
    total_tokens: int  # how many tokens the whole text had before the cap

    @property
    def truncated(self) -> bool:
        """True when only the first tokens of the text are shown."""
        return self.total_tokens > len(self.ids)


def attention_maps(model: nn.Module, tokenizer, text: str, max_tokens: int = 48) -> AttentionMaps:
    """Run the model once on (the first max_tokens tokens of) text and keep every head's attention."""
    trace, shown, total = trace_text(model, tokenizer, text, max_tokens,
                                     "The text is empty: type a sentence to see where its tokens look.")
    weights = torch.stack([layer[0] for layer in trace.attentions]).float().cpu()  # (n_layer, n_head, T, T)
    return AttentionMaps(shown, tokenizer.token_strings(shown), weights, total)


def attention_from(maps: AttentionMaps, layer: int, head: int, query: int) -> list[float]:
    """How much the query token attends to each token of the text (0 for tokens after it)."""
    n_layer, n_head, length, _ = maps.weights.shape
    check_choice("layer", layer, 0, n_layer - 1)
    check_choice("head", head, 0, n_head - 1)
    check_choice("query", query, 0, length - 1)
    return maps.weights[layer, head, query].tolist()


def _label_size(length: int) -> float:
    return max(5.5, min(9.0, 10.5 - length / 8))


def attention_fill(weight: float):
    """The colour of an attention weight; a square-root scale, so spread-out attention still shows."""
    return ATTENTION_COLOURS(0.04 + 0.92 * math.sqrt(max(weight, 0.0)))


def _draw_matrix(axes: Axes, matrix: torch.Tensor, labels: list[str] | None, size: float) -> object:
    length = matrix.shape[0]
    future = np.triu(np.ones((length, length), dtype=bool), k=1)
    colours = ATTENTION_COLOURS.with_extremes(bad=FUTURE_FILL)
    image = axes.imshow(np.ma.masked_array(matrix.numpy(), future), cmap=colours, norm=PowerNorm(0.5, 0, 1),
                        interpolation="nearest")
    axes.set_xticks([])
    axes.set_yticks([])
    if labels is not None:  # plain texts: much faster to draw than one matplotlib Tick per token
        box, (width, height) = axes.get_position(), axes.figure.get_size_inches()
        below, left = 4 / 72 / (box.height * height), 4 / 72 / (box.width * width)  # 4 points, in axes units
        for position, label in enumerate(labels):
            axes.text(position, -below, label, rotation=90, ha="center", va="top", family=MONO, size=size,
                      transform=axes.get_xaxis_transform())
            axes.text(-left, position, label, ha="right", va="center", family=MONO, size=size,
                      transform=axes.get_yaxis_transform())
    return image


def _inches_axes(figure: Figure, left: float, bottom: float, width: float, height: float) -> Axes:
    w, h = figure.get_size_inches()
    return figure.add_axes((left / w, bottom / h, width / w, height / h))


def heatmap_figure(maps: AttentionMaps, layer: int, head: int, query: int | None = None) -> Figure:
    """One head's attention matrix: row = the token looking, column = the token looked at."""
    matrix = maps.weights[layer, head]  # (T, T)
    length = matrix.shape[0]
    size = _label_size(length)
    labels = [visible(p)[:14] for p in maps.pieces]
    room = 0.25 + max(len(label) for label in labels) * size * MONO_ADVANCE / 72
    side = max(3.0, min(7.0, 0.2 * length + 1.0))
    with figure_style():
        figure = new_figure(side + room + 0.95)
        axes = _inches_axes(figure, room + 0.3, room + 0.25, side, side)
        image = _draw_matrix(axes, matrix, labels, size)
        if query is not None:
            axes.add_patch(Rectangle((-0.5, query - 0.5), query + 1, 1, fill=False, edgecolor=ACCENT, linewidth=2))
        labelpad = (room - 0.25) * 72 + 6  # points: past the token labels
        axes.set_xlabel("key: the token looked at", size=9, labelpad=labelpad)
        axes.set_ylabel("query: the token looking", size=9, labelpad=labelpad)
        colourbar = figure.colorbar(image, cax=_inches_axes(figure, room + side + 0.55, room + 0.25, 0.15, side))
        colourbar.set_label("attention weight", size=9)
        set_title(axes, f"Layer {layer}, head {head}: each row spreads 100% of its attention over the tokens up to "
                        "itself (grey: the future, which it cannot see)")
    return figure


def grid_figure(maps: AttentionMaps, layer: int, head: int | None = None) -> Figure:
    """Every head of one layer side by side (one colour scale), the chosen head framed."""
    n_head, length = maps.weights.shape[1], maps.weights.shape[2]
    columns = min(n_head, 6)
    rows = math.ceil(n_head / columns)
    cell = (9.0 - 2 * MARGIN) / columns
    with figure_style():
        figure = new_figure(rows * (cell + 0.3) + 0.5)
        height = figure.get_figheight()
        for index in range(n_head):
            row, column = divmod(index, columns)
            axes = _inches_axes(figure, MARGIN + column * cell + 0.1, height - 0.5 - (row + 1) * (cell + 0.3) + 0.05,
                                cell - 0.2, cell - 0.2)
            _draw_matrix(axes, maps.weights[layer, index], None, 6.0)  # the overview has no token labels
            chosen = index == head
            axes.set_title(f"head {index}", size=9, color=ACCENT if chosen else INK,
                           weight="bold" if chosen else "normal")
            for spine in axes.spines.values():
                spine.set_edgecolor(ACCENT if chosen else "#adb5bd")
                spine.set_linewidth(3 if chosen else 0.8)
        figure.text(MARGIN / 9.0, 1 - 0.3 / height, f"Layer {layer}: all {n_head} heads "
                    f"(row = token looking, column = token looked at; {length} tokens)", size=10, va="center")
    return figure


def tokens_figure(maps: AttentionMaps, layer: int, head: int, query: int) -> Figure:
    """The text with each token coloured by how much the query token attends to it."""
    weights = attention_from(maps, layer, head, query)
    fills = [attention_fill(w) if j <= query else FUTURE_FILL for j, w in enumerate(weights)]
    labels = [f"{w:.0%}" if j <= query else "" for j, w in enumerate(weights)]
    outlines = [j == query for j in range(len(weights))]
    with figure_style():
        figure, (axes,) = stacked_axes([flow_height(maps.pieces, labels, MARGIN)], left=MARGIN)
        draw_token_flow(axes, maps.pieces, fills, sublabels=labels, outlines=outlines)
        set_title(axes, f"Layer {layer}, head {head}: where token {query} “{visible(maps.pieces[query])}” (framed) "
                        "looks. Darker = more attention; grey tokens come after it and are invisible to it.")
    return figure


class AttentionLab(Lab):
    """Pick a layer, a head and a query token; see one head, all heads of the layer, or the coloured text."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        text: str = "chloe is picking flowers by the river . leo is drawing a map . she smiles at the view .",
        *,
        layer: int = 0,
        head: int = 0,
        query: int | None = None,
        view: str = "one head",
        max_tokens: int = 48,
    ):
        self.model = check_traceable(model)
        self.tokenizer = check_lab_tokenizer(tokenizer, model)
        check_text("text", text)
        config = model.config
        check_choice("layer", layer, 0, config.n_layer - 1)
        check_choice("head", head, 0, config.n_head - 1)
        check_choice("max_tokens", max_tokens, 1, 10_000)
        if view not in VIEWS:
            raise ValueError(f"view must be one of {VIEWS}; got {view!r}.")
        self.max_tokens = max_tokens
        self.text = widgets.Text(value=text, description="Text", continuous_update=False,
                                 layout=widgets.Layout(width="100%"))
        self.layer = widgets.Dropdown(options=[(f"layer {i}", i) for i in range(config.n_layer)], value=layer,
                                      description="Layer", layout=widgets.Layout(width="180px"))
        self.head = widgets.Dropdown(options=[(f"head {i}", i) for i in range(config.n_head)], value=head,
                                     description="Head", layout=widgets.Layout(width="180px"))
        self.head.add_class("ullm-head")
        self.query = widgets.Dropdown(description="Query", layout=widgets.Layout(width="260px"))
        self.view = widgets.ToggleButtons(options=VIEWS, value=view)
        super().__init__([self.text, widgets.HBox([self.layer, self.head, self.query]), self.view], "attention-lab")
        self._maps: tuple[str, AttentionMaps] | None = None
        self._initial_query = query
        self._observe(self.text, self.layer, self.head, self.query, self.view)
        self.refresh()

    def maps(self) -> AttentionMaps:
        """The attention weights of the current text (the model runs once per text)."""
        if self._maps is None or self._maps[0] != self.text.value:
            self._maps = (self.text.value, attention_maps(self.model, self.tokenizer, self.text.value, self.max_tokens))
        return self._maps[1]

    def _prepare(self) -> None:
        offer_positions(self.query, self.maps().pieces, self._initial_query)

    def _view_key(self) -> object:
        return (self.text.value, self.layer.value, self.head.value, self.query.value, self.view.value)

    def _draw(self) -> tuple[Figure, list[str]]:
        maps = self.maps()
        layer, head, query = self.layer.value, self.head.value, self.query.value
        if self.view.value == "one head":
            figure = heatmap_figure(maps, layer, head, query)
        elif self.view.value == "all heads":
            figure = grid_figure(maps, layer, head)
        else:
            figure = tokens_figure(maps, layer, head, query)
        notes = []
        if maps.truncated:
            notes.append(f"Showing the first {len(maps.ids)} of {maps.total_tokens} tokens. Attention only looks "
                         "backwards, so the rest cannot change what these tokens attend to.")
        return figure, notes
