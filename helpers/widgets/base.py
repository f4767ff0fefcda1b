"""What every lab shares: the picture of its current view, a notice line for bad input, quiet updates.

A lab is a thin ipywidgets UI around plain functions. It holds controls, a notice line (an HTML label
that shows bad input as a message instead of a traceback) and a picture: the matplotlib figure of the
current view (drawn by helpers.widgets.drawing) as a PNG. The same PNG is

- the live view (an ipywidgets.Image, so no JavaScript of ours runs in the browser),
- an `image/png` fallback next to the widget in the cell's output, so a notebook read on GitHub or
  nbviewer still shows the picture (Jupyter shows the widget, other readers the PNG); when a cell's code
  changes the lab later (a training run ends, a setting is changed from code), that PNG is refreshed,
- what `save_png(path)` writes and `snapshot()` displays.

Updates happen only when needed: sliders report when released (`continuous_update=False`), a lab redraws
only when its inputs changed since the last picture, and `with lab.hold():` batches several changes into
one redraw.

Simplified on purpose: one picture per lab; no animation; no hover tooltips.
"""

from __future__ import annotations

import base64
import html
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import ipywidgets as widgets
import torch
from matplotlib.figure import Figure
from torch import nn

from helpers.checks import check_model, check_tokenizer
from helpers.files import atomic_path
from helpers.model import Trace
from helpers.runtime import evaluating, model_device
from helpers.widgets.drawing import figure_png, figure_style, message_figure, visible

WIDE_LABEL = {"description_width": "initial"}  # a control's whole description, not cut to the default width
NOTICE_STYLES = {
    "warning": "background:#fff3cd;color:#664d03;border:1px solid #e0b000",
    "info": "background:#ddf4ff;color:#0a3069;border:1px solid #54aeff",
}


def check_traceable(model: object) -> nn.Module:
    """Return the model if the labs can look inside it (a helpers GPT with .trace), else a TypeError."""
    check_model(model)
    if not hasattr(model, "trace"):
        raise TypeError(f"model must be a helpers.model.GPT (with .trace); {type(model).__name__} has no trace.")
    return model


def check_lab_tokenizer(tokenizer: object, model: nn.Module | None = None) -> object:
    """Return the tokenizer if it can also show its tokens as readable pieces and fits the model."""
    return check_tokenizer(tokenizer, model, needs=("encode", "decode", "token_strings", "vocab_size"))


def trace_text(model: nn.Module, tokenizer, text: str, max_tokens: int, if_empty: str) -> tuple[Trace, list[int], int]:
    """Run the model once on the first max_tokens tokens of a text (within its context): what the inside views show.

    Returns the trace, the ids it read and how many tokens the whole text has; an empty text raises `if_empty`.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}.")
    check_lab_tokenizer(tokenizer, check_traceable(model))
    check_choice("max_tokens", max_tokens, 1, 10_000)
    ids = list(tokenizer.encode(text))
    if not ids:
        raise ValueError(if_empty)
    shown = ids[: min(max_tokens, model.config.context_length)]
    with evaluating(model):
        trace = model.trace(torch.tensor([shown], device=model_device(model)))
    return trace, shown, len(ids)


def offer_positions(dropdown: widgets.Dropdown, pieces: Sequence[str], initial: int | None) -> None:
    """Offer one option per token ("3: cat"); keep the chosen position while it exists, else take the last token."""
    options = [(f"{i}: {visible(piece)}", i) for i, piece in enumerate(pieces)]
    if options != list(dropdown.options):
        previous = dropdown.value if dropdown.options else initial
        if previous is None or not 0 <= previous < len(options):
            previous = len(options) - 1
        dropdown.options = options
        dropdown.value = previous


def check_choice(name: str, value: int, low: int, high: int) -> int:
    """Return an int in [low, high], else a ValueError/TypeError naming the allowed range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be a whole number from {low} to {high}; got {value!r}.")
    if not low <= value <= high:
        raise ValueError(f"{name} must be from {low} to {high}; got {value}.")
    return value


def check_text(name: str, value: object) -> str:
    """Return the value if it is text, else a TypeError: a lab's text box holds a str and nothing else."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, e.g. {name}=\"alice is reading\"; got {type(value).__name__}.")
    return value


def running_a_cell() -> bool:
    """True while a notebook cell's code runs; False in a widget callback and outside Jupyter."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    kernel = getattr(get_ipython(), "kernel", None)
    if kernel is None or not hasattr(kernel, "get_parent"):
        return False
    parent = kernel.get_parent() or {}
    return parent.get("header", {}).get("msg_type") == "execute_request"


class Lab:
    """The shared part of every lab: controls on top, a notice line, the picture of the current view."""

    css_class = "ullm-lab"
    publish_on_refresh = True  # False: the lab decides itself when the saved PNG is refreshed

    def __init__(self, controls: Sequence[widgets.Widget], name: str):
        self.notice = widgets.HTML(layout=widgets.Layout(display="none"))
        self.notice.add_class("ullm-lab-notice")
        self.picture = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.picture.add_class("ullm-lab-picture")
        self.widget = widgets.VBox([*controls, self.notice, self.picture])
        self.widget.add_class(self.css_class)
        self.widget.add_class(f"ullm-{name}")
        self.renders = 0  # how many pictures were drawn: tests use it to check that nothing redraws needlessly
        self._shown_key: object = None
        self._holding = 0
        self._pending = False
        self._muted = 0
        self._displays: list = []  # IPython DisplayHandles of the places this lab is shown
        self.notice_text = ""  # the message shown now, as plain text

    # What a lab implements -------------------------------------------------------------------------
    def _view_key(self) -> object:
        """Everything the picture depends on, hashable: the lab redraws only when it changes."""
        raise NotImplementedError

    def _draw(self) -> tuple[Figure, list[str]]:
        """The figure of the current view and informational notes (e.g. 'input capped'); may raise ValueError."""
        raise NotImplementedError

    def _prepare(self) -> None:
        """Bring dependent controls up to date (e.g. a token list after new text) before the key is taken."""

    # Shared behaviour ------------------------------------------------------------------------------
    def refresh(self, force: bool = False) -> None:
        """Redraw if the inputs changed since the last picture; bad input becomes a message in the widget."""
        if self._holding:
            self._pending = True
            return
        try:
            with self.muted():
                self._prepare()
            key = self._view_key()
            if key == self._shown_key and not force:
                return
            with figure_style():
                figure, notes = self._draw()
            png = figure_png(figure)
        except (ValueError, TypeError, KeyError) as error:
            self._fail(str(error).strip("'\""))
            return
        except Exception as error:  # a learner sees a message, never a traceback
            self._fail(f"Something went wrong ({type(error).__name__}: {error}). "
                       "Try other input; if it persists, restart the kernel.")
            return
        self.picture.value = png
        self._shown_key = key
        self.renders += 1
        self.show_notice(" ".join(notes), "info")
        if self.publish_on_refresh:
            self._publish()

    def _fail(self, message: str) -> None:
        """Show what to change; keep the last good picture (or a placeholder when there is none yet)."""
        self.show_notice(message, "warning")
        if not self.picture.value:
            self.picture.value = figure_png(message_figure(message))

    def _act(self, action) -> None:
        """Run a button's action; bad input or a failure becomes a message instead of a traceback."""
        try:
            action()
        except (ValueError, TypeError, KeyError) as error:
            self._fail(str(error).strip("'\""))
        except Exception as error:  # a learner sees a message, never a traceback
            self._fail(f"Something went wrong ({type(error).__name__}: {error}).")

    def _on_change(self, change: dict) -> None:
        if not self._muted:
            self.refresh()

    @contextmanager
    def muted(self) -> Iterator[None]:
        """Change controls from code inside this block without each change asking for a redraw."""
        self._muted += 1
        try:
            yield
        finally:
            self._muted -= 1

    def _observe(self, *controls: widgets.Widget) -> None:
        for control in controls:
            control.observe(self._on_change, names="value")

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Change several controls inside this block and get one redraw at the end instead of one per change."""
        self._holding += 1
        try:
            yield
        finally:
            self._holding -= 1
            if not self._holding and self._pending:
                self._pending = False
                self.refresh()

    def show_notice(self, text: str, level: str = "warning") -> None:
        """Show a message above the picture, a warning (amber, ⚠) or information (blue); empty text hides it."""
        self.notice_text = text
        if not text:
            self.notice.value = ""
            self.notice.layout.display = "none"
            return
        style = NOTICE_STYLES[level]
        self.notice.value = (f'<div style="{style};padding:4px 8px;border-radius:4px;margin:2px 0">'
                             f"{'⚠ ' if level == 'warning' else ''}{html.escape(text)}</div>")
        self.notice.layout.display = ""

    @property
    def png(self) -> bytes:
        """The PNG of the current view."""
        return self.picture.value

    def save_png(self, path: str | os.PathLike) -> Path:
        """Write the current view to a PNG file (whole or not at all) and return its path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"path must be a file path such as 'lab.png'; got {type(path).__name__}.")
        path = Path(path)
        if path.suffix.lower() != ".png":
            raise ValueError(f"save_png writes PNG files; give a path ending in .png, not {path.name!r}.")
        path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_path(path) as temporary:
            Path(temporary).write_bytes(self.png)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)  # an ordinary file, not the private one a temporary file is
        return path

    def snapshot(self):
        """Display-ready PNG of the current view: end a cell with `lab.snapshot()` to keep this picture."""
        from IPython.display import Image

        return Image(data=self.png, format="png")

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # Jupyter draws the widget; GitHub, nbviewer and other readers without widgets fall back to the PNG.
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        return bundle

    def _ipython_display_(self) -> None:
        # Shown with a display id, so that code a cell runs later (the end of a training run, a setting
        # changed from code) can refresh the PNG the saved notebook keeps for readers without widgets.
        from IPython.display import display

        handle = display(self._repr_mimebundle_(), raw=True, display_id=True)
        if handle is not None:  # None outside IPython, where display only prints
            self._displays.append(handle)

    def _publish(self) -> None:
        """Refresh the saved-notebook PNG of every place this lab is shown, when a cell's code changed the view.

        Clicks in the browser do not publish: the browser re-renders the widget itself, and a display
        update from a widget callback has no cell to go to.
        """
        if self._displays and running_a_cell():
            bundle = self._repr_mimebundle_()
            for handle in self._displays:
                handle.update(bundle, raw=True)
