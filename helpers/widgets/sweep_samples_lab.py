"""SweepSamplesLab: a slider over the model sizes of chapter 2's ladder, showing what each one wrote.

Every size continued the same prompt with the same seed (chapter 2 generates them), so moving the slider
shows the text getting better with size and nothing else.

Simplified on purpose: the texts are given; the lab generates nothing itself.
"""

from __future__ import annotations

import textwrap

import ipywidgets as widgets
from matplotlib.figure import Figure

from helpers.widgets.base import Lab
from helpers.widgets.drawing import MONO, figure_style, new_figure


class SweepSamplesLab(Lab):
    """A slider over model sizes showing the text each one generated from the same prompt and seed."""

    def __init__(self, samples: dict[str, str], captions: dict[str, str] | None = None, start: str | None = None):
        if not samples or not all(isinstance(t, str) for t in samples.values()):
            raise ValueError("samples must map model size names to generated texts, e.g. {'XS': '...', 'XL': '...'}.")
        self.samples, self.captions = dict(samples), dict(captions or {})
        self.slider = widgets.SelectionSlider(options=list(samples), value=start or list(samples)[-1],
                                              description="model size", continuous_update=False)
        super().__init__([self.slider], "sweep-samples")
        self._observe(self.slider)
        self.refresh()

    def _view_key(self) -> object:
        return self.slider.value

    def _draw(self) -> tuple[Figure, list[str]]:
        name = self.slider.value
        lines = [line for paragraph in self.samples[name].split("\n") for line in textwrap.wrap(paragraph, 95) or [""]]
        lines = lines[:12]
        with figure_style():
            figure = new_figure(0.7 + 0.22 * len(lines))
            title = f"{name}: {self.captions.get(name, '')}".rstrip(": ")
            figure.text(0.02, 1 - 0.3 / figure.get_figheight(), title, size=11, weight="bold", va="top")
            for i, line in enumerate(lines):
                figure.text(0.02, 1 - (0.65 + 0.22 * i) / figure.get_figheight(), line, family=MONO, size=9.5,
                            va="top", parse_math=False)
        return figure, []
