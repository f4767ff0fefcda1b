"""LogitLens: what the model would predict if it stopped after each layer.

Every block adds to the residual stream; `model.unembed` (the final LayerNorm and the output head) turns
any stream vector into next-token scores. Applied to the hidden states after each block, it shows the
prediction forming layer by layer: often wrong or vague at the embeddings, sharpening towards the top.
`logit_lens` is the plain computation (one model.trace call); the lab draws it as a table: one row per
layer (the model's real output at the top), one column per input token, each cell the most likely next
token, coloured by its probability and framed when it is the token that really comes next. Below it,
the top candidates at one chosen position, layer by layer.

Long inputs are capped to the first `max_tokens` tokens (exact: later tokens cannot change earlier
predictions). Simplified on purpose: no tuned lens (no learned per-layer translators), so the middle
layers of a deep model may read as noise.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from torch import nn

from helpers.generation import reweight
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
    MARGIN,
    MONO,
    MONO_ADVANCE,
    figure_style,
    ink_on,
    new_figure,
    set_title,
    visible,
)
from helpers.widgets.next_token_lab import probability_fill


@dataclass(frozen=True)
class LensReadout:
    """The top next-token candidates read out after each layer, at each position of a text."""

    ids: list[int]  # the input tokens (T,)
    pieces: list[str]
    layer_names: list[str]  # "embeddings", "block 0", ... bottom to top
    top_ids: torch.Tensor  # (n_layer + 1, T, top), most likely first
    top_probabilities: torch.Tensor  # (n_layer + 1, T, top)
    top_pieces: list[list[list[str]]]  # [layer][position][rank]
    total_tokens: int  # tokens in the whole text, before the cap


def logit_lens(model: nn.Module, tokenizer, text: str, top: int = 5, max_tokens: int = 16) -> LensReadout:
    """Read the next-token prediction out of every layer's hidden state (final LayerNorm + head on each)."""
    check_choice("top", top, 1, check_traceable(model).config.vocab_size)
    trace, shown, total = trace_text(model, tokenizer, text, max_tokens,
                                     "The text is empty: type a few words to see the prediction form layer by layer.")
    hidden = torch.stack([h[0] for h in trace.hidden_states])  # (n_layer + 1, T, C)
    with torch.no_grad():
        probabilities = reweight(model.unembed(hidden).float().cpu())  # (n_layer + 1, T, vocab_size)
    values, indices = probabilities.topk(top, dim=-1)  # (n_layer + 1, T, top) each
    top_pieces = [[tokenizer.token_strings(position.tolist()) for position in layer] for layer in indices]
    names = ["embeddings"] + [f"block {i}" for i in range(model.config.n_layer)]
    return LensReadout(shown, tokenizer.token_strings(shown), names, indices, values, top_pieces, total)


def lens_figure(readout: LensReadout, position: int | None = None) -> Figure:
    """The table of top-1 predictions (layers x positions) and, for one position, every layer's top candidates."""
    n_rows, length, top = readout.top_ids.shape
    position = length - 1 if position is None else check_choice("position", position, 0, length - 1)
    size = 8.0 if length <= 10 else 7.0
    label_width = 0.35 + max(len(name) for name in readout.layer_names) * 9 * 0.55 / 72
    cell_width = (9.0 - label_width - MARGIN) / length
    characters = max(3, int(cell_width * 72 / (size * MONO_ADVANCE)) - 1)
    cell_height = 0.32
    detail_height = 0.2 * (n_rows + 1)
    table_height = cell_height * n_rows
    with figure_style():
        figure = new_figure(0.75 + table_height + 0.6 + detail_height + MARGIN)
        height = figure.get_figheight()
        bottom = height - 0.75 - table_height
        table = figure.add_axes((label_width / 9.0, bottom / height, length * cell_width / 9.0, table_height / height))
        table.set_xlim(0, length)
        table.set_ylim(0, n_rows)
        for row in range(n_rows):
            for column in range(length):
                probability = float(readout.top_probabilities[row, column, 0])
                fill = probability_fill(probability)
                table.add_patch(Rectangle((column, row), 1, 1, facecolor=fill, edgecolor="white", linewidth=1))
                follows = column + 1 < length and int(readout.top_ids[row, column, 0]) == readout.ids[column + 1]
                if follows:
                    table.add_patch(Rectangle((column + 0.06, row + 0.08), 0.88, 0.84, fill=False,
                                              edgecolor=ink_on(fill), linewidth=1.6))
                label = visible(readout.top_pieces[row][column][0])[:characters]
                table.text(column + 0.5, row + 0.5, label, ha="center", va="center", family=MONO, size=size,
                           color=ink_on(fill))
        table.add_patch(Rectangle((position, 0), 1, n_rows, fill=False, edgecolor="#0969da", linewidth=2.2))
        table.set_yticks([r + 0.5 for r in range(n_rows)], labels=readout.layer_names, size=9)
        table.set_xticks([c + 0.5 for c in range(length)],
                         labels=[visible(p)[:characters] for p in readout.pieces], family=MONO, size=size)
        table.tick_params(length=0)
        for spine in table.spines.values():
            spine.set_visible(False)
        set_title(table, "Most likely next token read out after each layer (top row: the model's real output). "
                         "Darker = more probable; framed = the token that really comes next in the text.")
        table.set_xlabel("input token (the prediction is for the token after it)", size=9)
        detail = figure.add_axes((MARGIN / 9.0, MARGIN / height, 1 - 2 * MARGIN / 9.0, detail_height / height))
        detail.set_axis_off()
        detail.set_xlim(0, 1)
        detail.set_ylim(n_rows, -0.6)
        detail.text(0, -0.6, f"After token {position} “{visible(readout.pieces[position])}”, layer by layer:",
                    size=10, va="top")
        for row in range(n_rows):
            layer = n_rows - 1 - row  # the output first, as in the table
            candidates = "   ".join(
                f"{visible(piece)[:12]} {float(p):.0%}"
                for piece, p in zip(readout.top_pieces[layer][position], readout.top_probabilities[layer, position],
                                    strict=True)
            )
            detail.text(0, row + 0.5, f"{readout.layer_names[layer]:>10}  {candidates}", family=MONO, size=8.5,
                        va="center")
    return figure


class LogitLens(Lab):
    """Type a text; see the next-token prediction after every layer, and one position's candidates in detail."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        text: str = "the cat sat on the mat . the dog",
        *,
        top: int = 5,
        position: int | None = None,
        max_tokens: int = 16,
    ):
        self.model = check_traceable(model)
        self.tokenizer = check_lab_tokenizer(tokenizer, model)
        check_text("text", text)
        check_choice("top", top, 1, min(10, model.config.vocab_size))
        check_choice("max_tokens", max_tokens, 1, 10_000)
        self.max_tokens = max_tokens
        self.text = widgets.Text(value=text, description="Text", continuous_update=False,
                                 layout=widgets.Layout(width="100%"))
        self.position = widgets.Dropdown(description="Position", layout=widgets.Layout(width="260px"))
        self.top = widgets.IntSlider(value=top, min=1, max=min(10, model.config.vocab_size), description="Top",
                                     continuous_update=False)
        super().__init__([self.text, widgets.HBox([self.position, self.top])], "logit-lens")
        self._readout: tuple[tuple[str, int], LensReadout] | None = None
        self._initial_position = position
        self._observe(self.text, self.position, self.top)
        self.refresh()

    def readout(self) -> LensReadout:
        """The lens read-out of the current text (the model runs once per text and top)."""
        key = (self.text.value, self.top.value)
        if self._readout is None or self._readout[0] != key:
            self._readout = (key, logit_lens(self.model, self.tokenizer, self.text.value, self.top.value,
                                             self.max_tokens))
        return self._readout[1]

    def _prepare(self) -> None:
        offer_positions(self.position, self.readout().pieces, self._initial_position)

    def _view_key(self) -> object:
        return (self.text.value, self.top.value, self.position.value)

    def _draw(self) -> tuple[Figure, list[str]]:
        readout = self.readout()
        notes = []
        if readout.total_tokens > len(readout.ids):
            notes.append(f"Showing the first {len(readout.ids)} of {readout.total_tokens} tokens (later tokens "
                         "cannot change the predictions at earlier positions).")
        return lens_figure(readout, self.position.value), notes
