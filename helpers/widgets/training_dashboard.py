"""TrainingDashboard: live loss curves and sample text while helpers.training.train runs.

Pass the dashboard as a callback: `train(model, train_ids, val_ids, config, callbacks=[dashboard])`.
At every evaluation it records the losses; every `sample_every` steps it also generates a short text
from `prompt` with a fixed seed, so the samples of one run differ only because the model learned.
The picture (train and validation loss against steps, and the last few samples) is redrawn at most once
every `min_seconds_between_draws` seconds, and always at the last step and when a new sample arrives, so
drawing never slows training down much.

Generating uses helpers.generation.generate with its own seeded generator and puts the model back in
training mode, so a run with the dashboard gives the same losses as a run without it.
Simplified on purpose: it shows what `train` measures (no gradient norms, no per-layer statistics).
"""

from __future__ import annotations

import textwrap
import time
from dataclasses import dataclass

from matplotlib.figure import Figure

from helpers.generation import generate
from helpers.widgets.base import (
    Lab,
    check_choice,
    check_lab_tokenizer,
)
from helpers.widgets.drawing import (
    ACCENT,
    MONO,
    MUTED,
    SECOND,
    figure_style,
    set_title,
    stacked_axes,
    visible,
)

SAMPLE_LINE = 100  # characters per line of sample text (what fits across the figure)
SAMPLES_SHOWN = 3


@dataclass(frozen=True)
class Sample:
    """A text the model generated at one step of training."""

    step: int
    text: str


def drawable(text: str) -> str:
    """Text with characters the figure font lacks written as code points, whitespace left as it is."""
    return "".join(c if c in " \n" else visible(c) for c in text)


def sample_lines(text: str, width: int = SAMPLE_LINE, max_lines: int = 3) -> list[str]:
    """A sample wrapped to the figure's width, at most max_lines lines (the last one ends in … when cut)."""
    lines = [wrapped for line in drawable(text).split("\n") for wrapped in (textwrap.wrap(line, width) or [""])]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][: width - 1] + "…"
    return lines


def dashboard_figure(
    steps: list[int],
    train_loss: list[float],
    val_loss: list[float],
    max_steps: int | None,
    samples: list[Sample],
) -> Figure:
    """Loss curves (train, validation) against steps, and the latest samples underneath."""
    shown = samples[-SAMPLES_SHOWN:]
    blocks = [sample_lines(sample.text) for sample in shown]
    text_height = 0.2 * sum(len(block) + 1 for block in blocks) if shown else 0.0
    with figure_style():
        figure, axes = stacked_axes([2.6] + ([text_height] if shown else []), left=0.8)
        curves = axes[0]
        if steps:
            curves.plot(steps, train_loss, color=ACCENT, marker="o", markersize=3, label="train loss")
            curves.plot(steps, val_loss, color=SECOND, marker="o", markersize=3, linestyle="--",
                        label="validation loss")
            curves.legend(loc="upper right", frameon=False)
            title = (f"Step {steps[-1]}{'' if max_steps is None else f' of {max_steps}'}: "
                     f"train loss {train_loss[-1]:.3f}, validation loss {val_loss[-1]:.3f}")
        else:
            title = "Waiting for the first evaluation…"
        curves.set_xlim(0, max(max_steps or 0, steps[-1] if steps else 1, 1))
        curves.set_xlabel("step")
        curves.set_ylabel("loss (nats per token)")
        curves.grid(alpha=0.3)
        curves.spines[["top", "right"]].set_visible(False)
        set_title(curves, title)
        if shown:
            panel = axes[1]
            panel.set_axis_off()
            lines_total = sum(len(block) + 1 for block in blocks)
            panel.set_ylim(lines_total, 0)
            panel.set_xlim(0, 1)
            row = 0
            for sample, block in zip(shown, blocks, strict=True):
                panel.text(0, row + 0.5, f"step {sample.step}", size=9, color=MUTED, va="center")
                for line in block:
                    row += 1
                    panel.text(0, row + 0.5, line, family=MONO, size=9, va="center")
                row += 1
            set_title(panel, "Samples from the same prompt and seed as training goes on")
    return figure


class TrainingDashboard(Lab):
    """A training callback that draws live loss curves and, every sample_every steps, a generated sample."""

    publish_on_refresh = False  # the saved-notebook PNG is refreshed once, at the end of the run

    def __init__(
        self,
        tokenizer=None,
        prompt: str = "",
        *,
        sample_every: int = 100,
        max_new_tokens: int = 80,
        temperature: float = 0.8,
        seed: int = 0,
        min_seconds_between_draws: float = 0.5,
    ):
        if tokenizer is not None:
            check_lab_tokenizer(tokenizer)
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a str; got {type(prompt).__name__}.")
        check_choice("sample_every", sample_every, 1, 10**9)
        check_choice("max_new_tokens", max_new_tokens, 1, 2000)
        check_choice("seed", seed, 0, 2**31 - 1)
        if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not temperature >= 0:
            raise ValueError(f"temperature must be a number >= 0; got {temperature!r}.")
        if not isinstance(min_seconds_between_draws, (int, float)) or min_seconds_between_draws < 0:
            raise ValueError(f"min_seconds_between_draws must be >= 0; got {min_seconds_between_draws!r}.")
        self.tokenizer, self.prompt = tokenizer, prompt
        self.sample_every, self.max_new_tokens = sample_every, max_new_tokens
        self.temperature, self.seed = float(temperature), seed
        self.min_seconds_between_draws = float(min_seconds_between_draws)
        self.steps: list[int] = []
        self.train_loss: list[float] = []
        self.val_loss: list[float] = []
        self.samples: list[Sample] = []
        self.max_steps: int | None = None
        self._next_sample = 0
        self._last_draw = float("-inf")
        super().__init__([], "training-dashboard")
        self.refresh()

    def __call__(self, event) -> None:
        """Record one evaluation of helpers.training.train (a TrainingEvent) and redraw when it is time."""
        try:
            if self.steps and event.step <= self.steps[-1]:
                self.clear()  # a new run: the same dashboard starts over
            self.record(event.step, event.metrics["train_loss"], event.metrics["val_loss"], event.max_steps)
            new_sample = self.tokenizer is not None and event.step >= self._next_sample
            if new_sample:
                self._next_sample = (event.step // self.sample_every + 1) * self.sample_every
                text = generate(event.model, self.tokenizer, self.prompt, self.max_new_tokens,
                                temperature=self.temperature, seed=self.seed)
                self.samples.append(Sample(event.step, text))
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            self._fail(f"The dashboard could not use this evaluation: {error}")
            return
        last = event.step >= event.max_steps or getattr(event, "stop_requested", False)
        first = len(self.steps) == 1
        if first or last or new_sample or time.monotonic() - self._last_draw >= self.min_seconds_between_draws:
            self.refresh()
        if last:
            self._publish()

    def record(self, step: int, train_loss: float, val_loss: float, max_steps: int | None = None) -> None:
        """Add one evaluation's losses (what __call__ does with a TrainingEvent)."""
        self.steps.append(int(step))
        self.train_loss.append(float(train_loss))
        self.val_loss.append(float(val_loss))
        self.max_steps = max_steps

    def clear(self) -> None:
        """Forget the recorded losses and samples (a new run starts)."""
        self.steps.clear()
        self.train_loss.clear()
        self.val_loss.clear()
        self.samples.clear()
        self._next_sample = 0

    def _view_key(self) -> object:
        return (tuple(self.steps), len(self.samples), self.samples[-1] if self.samples else None)

    def _draw(self) -> tuple[Figure, list[str]]:
        self._last_draw = time.monotonic()
        figure = dashboard_figure(self.steps, self.train_loss, self.val_loss, self.max_steps, self.samples)
        return figure, []

