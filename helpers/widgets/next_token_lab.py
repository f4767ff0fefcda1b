"""NextTokenLab: what the model expects next, and a generation walked one chosen token at a time.

The computation is in plain functions the other labs reuse: `next_token_probabilities` (ids -> the
model's distribution for the next token), `top_predictions`, `entropy_bits`, and `sampled_probabilities`
(how likely each token of a sequence was under given sampling settings, to colour text by it).

The lab works on token ids, not on re-encoded text, so appending a token appends exactly that token.
Simplified on purpose: the walk is limited to the model's context (older tokens scroll out of view of
the model, with a notice); sampling here uses temperature 1 and no cuts (SamplingLab has the knobs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import ipywidgets as widgets
import torch
from matplotlib import colormaps
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter
from torch import nn

from helpers.checks import check_model
from helpers.generation import next_token_logits, prompt_ids, reweight
from helpers.runtime import evaluating, model_device
from helpers.tinyworld2 import DOCUMENT_SEPARATOR
from helpers.widgets.base import (
    WIDE_LABEL,
    Lab,
    check_choice,
    check_lab_tokenizer,
    check_text,
)
from helpers.widgets.drawing import (
    ACCENT,
    INK,
    MONO,
    draw_token_flow,
    figure_style,
    flow_height,
    label_room,
    set_title,
    stacked_axes,
    visible,
)

PROBABILITY_COLOURS = colormaps["YlGnBu"]
PROMPT_FILL = "#e9ecef"
SHOWN_TOKENS = 160  # a walk longer than this is drawn from its last SHOWN_TOKENS tokens


@dataclass(frozen=True)
class Prediction:
    """One candidate next token: its id, readable piece and probability."""

    token_id: int
    piece: str
    probability: float


def next_token_probabilities(model: nn.Module, ids: Sequence[int]) -> torch.Tensor:
    """The model's probabilities (vocab_size,) for the token after ids, as NextTokenLab shows them."""
    return reweight(next_token_logits(model, ids))


def sampled_probabilities(
    model: nn.Module,
    ids: Sequence[int],
    start: int,
    *,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> list[float | None]:
    """For each token of ids[start:], the probability the sampler gave it (None where it left the context)."""
    ids = list(ids)
    window_start = max(0, len(ids) - model.config.context_length)
    with evaluating(model):
        logits = model(torch.tensor([ids[window_start:]], device=model_device(model)))[0]  # (T, vocab_size)
    probabilities = reweight(logits.float().cpu(), temperature, top_k, top_p)  # (T, vocab_size)
    result: list[float | None] = []
    for position in range(start, len(ids)):
        row = position - 1 - window_start  # the prediction for position is made at the position before it
        result.append(float(probabilities[row, ids[position]]) if row >= 0 else None)
    return result


def top_predictions(probabilities: torch.Tensor, tokenizer, k: int) -> list[Prediction]:
    """The k most likely next tokens, most likely first (ties: lower id first)."""
    if not isinstance(probabilities, torch.Tensor) or probabilities.dim() != 1:
        raise TypeError("probabilities must be a 1-D tensor (vocab_size,), e.g. from next_token_probabilities.")
    check_choice("k", k, 1, probabilities.numel())
    order = torch.sort(probabilities, descending=True, stable=True).indices[:k].tolist()
    pieces = tokenizer.token_strings(order)
    return [Prediction(i, piece, float(probabilities[i])) for i, piece in zip(order, pieces, strict=True)]


def true_token_probabilities(world, tokenizer, text: str) -> dict[int, float] | None:
    """TinyWorld's exact probability of each possible next token after `text`, read as whole words (a token ends
    the text's last word); None when no TinyWorld document starts with the text.

    A next word w is written as the tokens of " w" (of "w" at a document's start), so the next token is their
    first; words that share a first token add up. The document's end is the separator's token.
    """
    try:
        words = world.next_word_probabilities(text)
    except ValueError:
        return None
    separator = DOCUMENT_SEPARATOR
    found: dict[int, float] = {}
    for word, probability in words.items():
        piece = word if word == separator or not text.split() else " " + word
        first = tokenizer.encode(piece)[0]
        found[first] = found.get(first, 0.0) + probability
    return found


def entropy_bits(probabilities: torch.Tensor) -> float:
    """Shannon entropy in bits: 0 when the model is sure, log2(k) for a fair choice among k tokens."""
    p = probabilities.double()
    p = p[p > 0]
    return max(0.0, float(-(p * p.log2()).sum()))  # not -0.0 for a certain token


def probability_fill(probability: float | None):
    """The colour the labs give a token the model thought had this probability (grey when unknown)."""
    if probability is None:
        return PROMPT_FILL
    return PROBABILITY_COLOURS(0.1 + 0.85 * probability)


def draw_predictions(axes, predictions: Sequence[Prediction], highlight: int | None = None,
                     truth: dict[int, float] | None = None) -> None:
    """Horizontal bars of candidate tokens, most likely on top, the highlighted one in the accent colour; with
    `truth` (token id -> probability), a black tick on each bar where the true probability lies."""
    labels = [visible(p.piece) for p in predictions]
    values = [p.probability for p in predictions]
    colours = [ACCENT if p.token_id == highlight else "#a5d8ff" for p in predictions]
    positions = list(range(len(predictions)))
    axes.barh(positions, values, color=colours, height=0.7)
    axes.set_yticks(positions, labels=labels, family=MONO)
    axes.invert_yaxis()
    true_values = [truth.get(p.token_id, 0.0) for p in predictions] if truth is not None else []
    if truth is not None:
        axes.scatter(true_values, positions, marker="|", s=260, linewidths=2.2, color=INK, zorder=3,
                     label="TinyWorld's true probability")
        axes.legend(loc="lower right", fontsize=8, frameon=False)
    axes.set_xlim(0, max(values + true_values + [1e-9]) * 1.18)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.set_xlabel("probability")
    for position, value in zip(positions, values, strict=True):
        axes.text(value, position, f" {value:.1%}", va="center", size=8.5, color=INK)
    axes.spines[["top", "right"]].set_visible(False)


def percentages(probabilities: Sequence[float | None]) -> list[str]:
    """Small labels for token boxes: the probability as a percentage, blank where there is none."""
    return ["" if p is None else f"{p:.0%}" for p in probabilities]


def recent(pieces: Sequence[str], probabilities: Sequence[float | None]) -> tuple[list[str], list[float | None]]:
    """The last SHOWN_TOKENS tokens of a long text, after a "…" token standing for the rest."""
    if len(pieces) <= SHOWN_TOKENS:
        return list(pieces), list(probabilities)
    return ["…", *pieces[-SHOWN_TOKENS:]], [None, *probabilities[-SHOWN_TOKENS:]]


def draw_walk(axes, pieces: Sequence[str], probabilities: Sequence[float | None]) -> None:
    """The text so far as token boxes: prompt in grey, each added token coloured by its probability."""
    fills = [probability_fill(p) for p in probabilities]
    draw_token_flow(axes, pieces, fills, sublabels=percentages(probabilities))


def next_token_figure(
    predictions: Sequence[Prediction],
    entropy: float,
    pieces: Sequence[str],
    probabilities: Sequence[float | None],
    highlight: int | None = None,
    truth: dict[int, float] | None = None,
) -> Figure:
    """The lab's picture: the candidates for the next token above the walk so far (its end, when long); with
    `truth`, TinyWorld's true probabilities marked on the candidates and its entropy in the title."""
    pieces, probabilities = recent(pieces, probabilities)
    left = label_room([visible(p.piece) for p in predictions])
    with figure_style():
        heights = [0.27 * len(predictions) + 0.3, flow_height(pieces, percentages(probabilities), left)]
        figure, (bars, walk) = stacked_axes(heights, gap=0.8, left=left)
        draw_predictions(bars, predictions, highlight, truth)
        title = f"Next token · entropy {entropy:.2f} bits (like a fair pick among {2 ** entropy:.1f} tokens)"
        if truth is not None:
            title += f" · true entropy {entropy_bits(torch.tensor(list(truth.values()))):.2f} bits"
        set_title(bars, title)
        draw_walk(walk, pieces, probabilities)
        set_title(walk, "The text so far: prompt in grey, added tokens coloured by the probability they had")
    return figure


class NextTokenLab(Lab):
    """Type a prompt, see the top-k next tokens and the entropy; append a chosen or sampled token, repeat."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        prompt: str = "alice is reading a book in the garden . she",
        *,
        k: int = 10,
        seed: int = 0,
        truth=None,
    ):
        """truth: a TinyWorld (helpers.tinyworld2) whose exact next-word probabilities are marked beside the
        model's wherever the text so far is the start of one of its documents."""
        if truth is not None and not callable(getattr(truth, "next_word_probabilities", None)):
            raise TypeError(f"truth must be a TinyWorld (helpers.tinyworld2.TinyWorld), got {type(truth).__name__}.")
        self.truth = truth
        self.model = check_model(model)
        self.tokenizer = check_lab_tokenizer(tokenizer, model)
        vocab = model.config.vocab_size
        check_choice("k", k, 1, min(vocab, 50))
        check_choice("seed", seed, 0, 2**31 - 1)
        check_text("prompt", prompt)
        self.prompt = widgets.Text(value=prompt, description="Prompt", continuous_update=False,
                                   layout=widgets.Layout(width="100%"))
        self.k = widgets.IntSlider(value=k, min=1, max=min(vocab, 50), description="Show top", style=WIDE_LABEL,
                                   continuous_update=False)
        self.choice = widgets.Dropdown(description="Token", options=[], layout=widgets.Layout(width="260px"))
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="Seed",
                                           layout=widgets.Layout(width="160px"))
        self.append_chosen = widgets.Button(description="Append chosen", icon="plus")
        self.append_sampled = widgets.Button(description="Append sampled", icon="random")
        self.undo = widgets.Button(description="Undo", icon="undo")
        self.reset = widgets.Button(description="Reset", icon="refresh")
        rows = [self.prompt, widgets.HBox([self.k, self.seed]),
                widgets.HBox([self.choice, self.append_chosen, self.append_sampled, self.undo, self.reset])]
        super().__init__(rows, "next-token-lab")
        self.added: list[int] = []  # ids appended after the prompt
        self.added_probabilities: list[float] = []
        self._cache: tuple[tuple[int, ...], torch.Tensor] | None = None
        self.append_chosen.on_click(lambda _: self._act(lambda: self.append(self.choice.value)))
        self.append_sampled.on_click(lambda _: self._act(self.append_sample))
        self.undo.on_click(lambda _: self._act(self.remove_last))
        self.reset.on_click(lambda _: self._act(self.clear))
        self.prompt.observe(self._prompt_changed, names="value")
        self._observe(self.k, self.choice)
        self.refresh()

    # Computation ----------------------------------------------------------------------------------
    def ids(self) -> list[int]:
        """The prompt's ids followed by the appended ones."""
        return prompt_ids(self.tokenizer, self.prompt.value) + self.added

    def probabilities(self) -> torch.Tensor:
        """The model's next-token distribution after the current text (computed once per text)."""
        ids = tuple(self.ids())
        if self._cache is None or self._cache[0] != ids:
            self._cache = (ids, next_token_probabilities(self.model, ids))
        return self._cache[1]

    def predictions(self) -> list[Prediction]:
        """The top-k candidates for the next token."""
        return top_predictions(self.probabilities(), self.tokenizer, self.k.value)

    def true_probabilities(self) -> dict[int, float] | None:
        """TinyWorld's exact next-token probabilities after the text so far (None: no truth given, or no TinyWorld
        document starts with the text)."""
        if self.truth is None:
            return None
        text = self.full_text()
        if getattr(self.tokenizer, "kind", None) == "words":  # its text glues punctuation: TinyWorld spaces it
            text = " ".join(self.tokenizer.token_strings(self.ids() if self.prompt.value else self.added))
        return true_token_probabilities(self.truth, self.tokenizer, text)

    def full_text(self) -> str:
        """The prompt followed by the appended tokens, as text: decoded together, so that a word tokenizer puts
        the spaces between words (an empty prompt's end-of-text token is not part of the text)."""
        if not self.added or not self.prompt.value:
            return self.prompt.value + self.tokenizer.decode(self.added)
        return self.tokenizer.decode(self.ids())

    # Actions --------------------------------------------------------------------------------------
    def append(self, token_id: int | None) -> None:
        """Append a token id (one of the candidates, or any id of the vocabulary) and move on."""
        if token_id is None:
            raise ValueError("No token is chosen: pick one in the Token list first.")
        check_choice("token id", token_id, 0, self.model.config.vocab_size - 1)
        probability = float(self.probabilities()[token_id])
        self.added.append(token_id)
        self.added_probabilities.append(probability)
        self.refresh()

    def append_sample(self) -> int:
        """Sample the next token (seeded by the seed and the position, so a replay gives the same text)."""
        generator = torch.Generator().manual_seed(self.seed.value * 100_003 + len(self.added))
        token_id = int(torch.multinomial(self.probabilities(), 1, generator=generator))
        self.append(token_id)
        return token_id

    def remove_last(self) -> None:
        """Take back the last appended token."""
        if self.added:
            self.added.pop()
            self.added_probabilities.pop()
        self.refresh()

    def clear(self) -> None:
        """Go back to the bare prompt."""
        self.added.clear()
        self.added_probabilities.clear()
        self.refresh()

    def _prompt_changed(self, change: dict) -> None:
        self.added.clear()
        self.added_probabilities.clear()
        self.refresh()

    # View -----------------------------------------------------------------------------------------
    def _view_key(self) -> object:
        return (self.prompt.value, tuple(self.added), self.k.value, self.choice.value)

    def _prepare(self) -> None:
        options = [(f"{visible(p.piece)}  {p.probability:.1%}", p.token_id) for p in self.predictions()]
        if options != list(self.choice.options):
            values = [value for _, value in options]
            chosen = self.choice.value if self.choice.value in values else values[0]
            self.choice.options = options
            self.choice.value = chosen

    def _draw(self) -> tuple[Figure, list[str]]:
        ids = self.ids()
        predictions = self.predictions()
        pieces = self.tokenizer.token_strings(ids)
        n_prompt = len(ids) - len(self.added)
        probabilities = [None] * n_prompt + list(self.added_probabilities)
        truth = self.true_probabilities()
        figure = next_token_figure(predictions, entropy_bits(self.probabilities()), pieces, probabilities,
                                   self.choice.value, truth)
        notes = []
        if self.truth is not None and truth is None:
            notes.append("No TinyWorld document starts with this text, so there is no true distribution to show.")
        if len(ids) > self.model.config.context_length:
            notes.append(f"The text has {len(ids)} tokens; the model sees only the last "
                         f"{self.model.config.context_length}.")
        return figure, notes
