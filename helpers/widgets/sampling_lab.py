"""SamplingLab: temperature, top-k and top-p re-weight one cached distribution; a seeded button samples text.

The model runs once per prompt: its logits are cached, and every slider move only calls
helpers.generation.reweight on them, so the bars follow the sliders instantly. `sampling_view` is the
plain computation (which tokens survive, with what probability); the picture shades what top-k and
top-p cut away. "Generate" runs helpers.generation.generate_ids with the current settings and seed and
colours each new token by the probability the sampler gave it.

Simplified on purpose: one prompt and one continuation at a time; bars show the most likely tokens only.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter
from torch import nn

from helpers.checks import check_model
from helpers.generation import generate_ids, prompt_ids, reweight
from helpers.widgets.base import (
    WIDE_LABEL,
    Lab,
    check_choice,
    check_lab_tokenizer,
    check_text,
)
from helpers.widgets.drawing import (
    ACCENT,
    CUT,
    INK,
    MONO,
    MUTED,
    draw_token_flow,
    figure_style,
    flow_height,
    label_room,
    set_title,
    stacked_axes,
    visible,
)
from helpers.widgets.next_token_lab import (
    entropy_bits,
    next_token_logits,
    percentages,
    probability_fill,
    recent,
    sampled_probabilities,
)

TOP_K_SLIDER_MAX = 100  # 0 on the slider means "no top-k"


@dataclass(frozen=True)
class SamplingView:
    """What the sampling settings do to one distribution, for the `show` most likely tokens."""

    token_ids: list[int]  # most likely first (by logit, ties by id), the same order at every temperature
    before: list[float]  # probability after temperature alone
    after: list[float]  # probability after temperature, top-k and top-p (0 for a cut token)
    kept: int  # how many tokens of the whole vocabulary can still be sampled
    kept_mass: float  # the share of the temperature-only probability that the kept tokens held
    entropy_bits: float  # of the distribution one samples from


def sampling_view(
    logits: torch.Tensor,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
    show: int = 20,
) -> SamplingView:
    """Apply the settings to next-token logits (vocab_size,) and report what survives, for the bars."""
    if not isinstance(logits, torch.Tensor) or logits.dim() != 1:
        raise TypeError("logits must be a 1-D tensor (vocab_size,) of one position's next-token scores.")
    check_choice("show", show, 1, logits.numel())
    before = reweight(logits, temperature)  # (V,) temperature only; checks the settings too
    after = reweight(logits, temperature, top_k, top_p)  # (V,)
    order = torch.sort(logits.float(), descending=True, stable=True).indices[:show]
    kept = after > 0
    return SamplingView(
        token_ids=order.tolist(),
        before=before[order].tolist(),
        after=after[order].tolist(),
        kept=int(kept.sum()),
        kept_mass=float(before[kept].sum()),
        entropy_bits=entropy_bits(after),
    )


def settings_label(temperature: float, top_k: int | None, top_p: float | None) -> str:
    """The settings in words, for titles."""
    return (f"temperature {temperature:g} · top-k {'off' if top_k is None else top_k} · "
            f"top-p {'off' if top_p is None else f'{top_p:g}'}")


def draw_sampling_bars(axes, view: SamplingView, pieces: list[str]) -> None:
    """Grey bars: probability after temperature; blue bars: after the cuts; hatched: cut away."""
    positions = list(range(len(view.token_ids)))
    cut = [after == 0 for after in view.after]
    axes.barh(positions, view.before, height=0.8, color=["white" if c else "#e9ecef" for c in cut],
              edgecolor=[MUTED if c else "#ced4da" for c in cut], linewidth=0.8)
    for position, is_cut, before in zip(positions, cut, view.before, strict=True):
        if is_cut:
            axes.barh(position, before, height=0.8, color="none", edgecolor=CUT, hatch="////", linewidth=0)
    axes.barh(positions, view.after, height=0.45, color=ACCENT)
    labels = [visible(p) for p in pieces]
    axes.set_yticks(positions, labels=labels, family=MONO)
    for tick, is_cut in zip(axes.get_yticklabels(), cut, strict=True):
        tick.set_color(MUTED if is_cut else INK)
    axes.invert_yaxis()
    top = max(view.before + view.after + [1e-9])
    axes.set_xlim(0, top * 1.45 if top < 0.7 else 1.15)  # room on the right for the legend
    for position, after, is_cut in zip(positions, view.after, cut, strict=True):
        note = " cut" if is_cut else f" {after:.1%}"
        axes.text(max(after, view.before[position]), position, note, va="center", size=8.5,
                  color=MUTED if is_cut else INK)
    axes.xaxis.set_major_formatter(PercentFormatter(1.0))
    axes.spines[["top", "right"]].set_visible(False)
    axes.legend(handles=[Patch(facecolor="#e9ecef", edgecolor="#ced4da", label="after temperature"),
                         Patch(facecolor=ACCENT, label="sampled from (after top-k / top-p)"),
                         Patch(facecolor="white", edgecolor=CUT, hatch="////", label="cut away")],
                loc="lower right", fontsize=8, frameon=False)


def sampling_figure(
    view: SamplingView,
    pieces: list[str],
    settings: str,
    continuation: tuple[list[str], list[float | None], str] | None = None,
) -> Figure:
    """The lab's picture: the re-weighted bars, and the last generated continuation when there is one."""
    left = label_room([visible(p) for p in pieces])
    with figure_style():
        heights = [0.24 * len(pieces) + 0.3]
        if continuation is not None:
            heights.append(flow_height(continuation[0], percentages(continuation[1]), left))
        figure, axes = stacked_axes(heights, gap=0.8, left=left)
        draw_sampling_bars(axes[0], view, pieces)
        set_title(axes[0], f"{settings} → {view.kept} token{'s' * (view.kept != 1)} can be drawn, holding "
                  f"{view.kept_mass:.0%} of the probability · entropy {view.entropy_bits:.2f} bits")
        if continuation is not None:
            generated_pieces, probabilities, label = continuation
            draw_token_flow(axes[1], generated_pieces, [probability_fill(p) for p in probabilities],
                            sublabels=percentages(probabilities))
            set_title(axes[1], f"Generated with {label}: new tokens coloured by the probability they were drawn with")
    return figure


class SamplingLab(Lab):
    """Sliders for temperature, top-k and top-p over one cached distribution, and a seeded Generate button."""

    def __init__(
        self,
        model: nn.Module,
        tokenizer,
        prompt: str = "alice is reading a book in the garden . she",
        *,
        temperature: float = 1.0,
        top_k: int | None = None,
        top_p: float | None = None,
        seed: int = 0,
        max_new_tokens: int = 40,
        show: int = 20,
    ):
        self.model = check_model(model)
        self.tokenizer = check_lab_tokenizer(tokenizer, model)
        check_text("prompt", prompt)
        vocab = model.config.vocab_size
        reweight(torch.zeros(2), temperature, top_k, top_p)  # the same checks and messages as generation
        check_choice("seed", seed, 0, 2**31 - 1)
        check_choice("max_new_tokens", max_new_tokens, 1, 1000)
        check_choice("show", show, 1, min(vocab, 60))
        self.max_new_tokens, self.show = max_new_tokens, show
        k_max = min(vocab, max(TOP_K_SLIDER_MAX, top_k or 0))
        self.prompt = widgets.Text(value=prompt, description="Prompt", continuous_update=False,
                                   layout=widgets.Layout(width="100%"))
        self.temperature = widgets.FloatSlider(value=temperature, min=0.0, max=max(2.0, temperature), step=0.05,
                                               description="Temperature", continuous_update=False, style=WIDE_LABEL,
                                               readout_format=".2f")
        self.top_k = widgets.IntSlider(value=min(top_k or 0, k_max), min=0, max=k_max, description="Top-k",
                                       continuous_update=False)
        self.top_p = widgets.FloatSlider(value=1.0 if top_p is None else top_p, min=0.01, max=1.0, step=0.01,
                                         description="Top-p", continuous_update=False, readout_format=".2f")
        self.seed = widgets.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="Seed",
                                           layout=widgets.Layout(width="160px"))
        self.generate_button = widgets.Button(description="Generate", icon="play", button_style="primary")
        hint = widgets.HTML("<small>top-k 0 and top-p 1 mean off · temperature 0 means always the top token</small>")
        super().__init__([self.prompt, widgets.HBox([self.temperature, self.top_k, self.top_p]), hint,
                          widgets.HBox([self.seed, self.generate_button])], "sampling-lab")
        self.temperature.add_class("ullm-temperature")
        self.continuation: tuple[list[str], list[float | None], str] | None = None
        self.generated_text: str | None = None
        self._logits: tuple[str, torch.Tensor] | None = None
        self.model_calls = 0  # tests check that slider moves do not call the model
        self.prompt.observe(self._prompt_changed, names="value")
        self._observe(self.temperature, self.top_k, self.top_p)
        self.generate_button.on_click(lambda _: self._act(self.generate))
        self.refresh()

    def settings(self) -> tuple[float, int | None, float | None]:
        """(temperature, top_k, top_p) as helpers.generation takes them (None = off)."""
        return (float(self.temperature.value), self.top_k.value or None,
                None if self.top_p.value >= 1.0 else float(self.top_p.value))

    def logits(self) -> torch.Tensor:
        """The model's next-token logits after the prompt (vocab_size,), computed once per prompt."""
        prompt = self.prompt.value
        if self._logits is None or self._logits[0] != prompt:
            self._logits = (prompt, next_token_logits(self.model, prompt_ids(self.tokenizer, prompt)))
            self.model_calls += 1
        return self._logits[1]

    def view(self) -> SamplingView:
        """What the current settings do to the cached distribution."""
        return sampling_view(self.logits(), *self.settings(), show=min(self.show, self.model.config.vocab_size))

    def generate(self) -> str:
        """Sample a continuation with the current settings and seed; return the whole text."""
        temperature, top_k, top_p = self.settings()
        start = prompt_ids(self.tokenizer, self.prompt.value)
        with warnings.catch_warnings():  # a long prompt gets the lab's notice instead of a printed warning
            warnings.filterwarnings("ignore", message="the prompt has")
            ids = generate_ids(self.model, start, self.max_new_tokens, temperature=temperature, top_k=top_k,
                               top_p=top_p, seed=self.seed.value)
        self.model_calls += 1
        probabilities = [None] * len(start) + sampled_probabilities(
            self.model, ids, len(start), temperature=temperature, top_k=top_k, top_p=top_p)
        pieces, probabilities = recent(self.tokenizer.token_strings(ids), probabilities)
        label = f"{settings_label(temperature, top_k, top_p)} · seed {self.seed.value}"
        self.continuation = (pieces, probabilities, label)
        self.generated_text = self.prompt.value + self.tokenizer.decode(ids[len(start):])
        self.refresh()
        return self.generated_text

    def _prompt_changed(self, change: dict) -> None:
        self.continuation = None
        self.generated_text = None
        self.refresh()

    def _view_key(self) -> object:
        return (self.prompt.value, self.settings(), id(self.continuation))

    def _draw(self) -> tuple[Figure, list[str]]:
        view = self.view()
        pieces = self.tokenizer.token_strings(view.token_ids)
        figure = sampling_figure(view, pieces, settings_label(*self.settings()), self.continuation)
        notes = []
        n_prompt = len(prompt_ids(self.tokenizer, self.prompt.value))
        if n_prompt > self.model.config.context_length:
            notes.append(f"The prompt has {n_prompt} tokens; the model sees only the last "
                         f"{self.model.config.context_length}.")
        return figure, notes
