"""TokenizerLab: the same text cut by different tokenizers, as coloured token boxes with their ids.

`tokenize` is the plain computation; the lab shows one tokenizer, or two side by side ("compare with"),
each with its token count and characters per token. `default_tokenizers` gives the chapter-1
tokenizers (characters, words) and a small byte-level BPE, all trained on a TinyWorld corpus, plus
GPT-2's when its files are available (cached or from the mirror; offline without them it is left out).
Pass your own, e.g. the BPE tokenizer you trained: `TokenizerLab({"mine": my_bpe, **default_tokenizers()})`.

Whitespace is drawn visibly (␣ for a space, ↵ for a line break) and a byte-level token that is only part
of a character shows its bytes (\\xf0). Simplified on purpose: long texts are drawn up to `max_tokens`
tokens per tokenizer (the counts always cover the whole text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import ipywidgets as widgets
from matplotlib.figure import Figure

from helpers.widgets.base import (
    WIDE_LABEL,
    Lab,
    check_choice,
    check_lab_tokenizer,
    check_text,
)
from helpers.widgets.drawing import (
    MARGIN,
    TOKEN_FILLS,
    draw_token_flow,
    figure_style,
    flow_height,
    set_title,
    stacked_axes,
)

NO_COMPARISON = "(none)"


@dataclass(frozen=True)
class Tokenization:
    """One text cut by one tokenizer."""

    ids: list[int]
    pieces: list[str]  # the readable piece behind each id
    characters: int  # length of the text

    @property
    def characters_per_token(self) -> float:
        """How much text one token carries on average (higher: shorter sequences for the model)."""
        return self.characters / max(len(self.ids), 1)


def tokenize(tokenizer, text: str) -> Tokenization:
    """Encode text and keep the piece behind each id, to draw the token boundaries."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str; got {type(text).__name__}.")
    ids = list(tokenizer.encode(text))
    return Tokenization(ids, tokenizer.token_strings(ids), len(text))


def default_tokenizers(n_documents: int = 300, bpe_vocab_size: int = 400) -> dict[str, object]:
    """Characters, words and a small BPE trained on a TinyWorld corpus, and GPT-2's when its files are there."""
    from helpers.downloads import DownloadError
    from helpers.tinyworld2 import TinyWorld
    from helpers.tokenizers import BPETokenizer, CharacterTokenizer, WordTokenizer, gpt2_tokenizer

    corpus = TinyWorld(0).corpus_text(n_documents)
    tokenizers: dict[str, object] = {
        "characters": CharacterTokenizer.train(corpus),
        "words": WordTokenizer.train(corpus),
        f"BPE ({bpe_vocab_size})": BPETokenizer.train(corpus, bpe_vocab_size),
    }
    try:
        tokenizers["GPT-2"] = gpt2_tokenizer()
    except DownloadError:
        pass  # offline and not cached: the lab works with the others
    return tokenizers


def tokenizer_figure(results: Sequence[tuple[str, Tokenization]], max_tokens: int = 300) -> Figure:
    """One panel per tokenizer: the text as coloured token boxes, each with its id underneath."""
    panels = []
    for name, result in results:
        pieces = result.pieces[:max_tokens]
        ids = [str(i) for i in result.ids[:max_tokens]]
        panels.append((name, result, pieces, ids))
    with figure_style():
        heights = [flow_height(pieces or [""], ids or [""], MARGIN) for _, _, pieces, ids in panels]
        figure, axes = stacked_axes(heights, left=MARGIN)
        for ax, (name, result, pieces, ids) in zip(axes, panels, strict=True):
            fills = [TOKEN_FILLS[i % len(TOKEN_FILLS)] for i in range(len(pieces))]
            draw_token_flow(ax, pieces, fills, sublabels=ids)
            shown = "" if len(pieces) == len(result.ids) else f" (first {len(pieces)} drawn)"
            set_title(ax, f"{name}: {len(result.ids)} tokens for {result.characters} characters, "
                          f"{result.characters_per_token:.1f} characters per token{shown}")
    return figure


class TokenizerLab(Lab):
    """Type text; see it as tokens with ids and a count, for one tokenizer or two side by side."""

    def __init__(
        self,
        tokenizers: Mapping[str, object] | Sequence[object] | None = None,
        text: str = "the cat sat on the mat . Tokenizers split unbelievably long words!",
        *,
        compare: str | None = None,
        max_tokens: int = 300,
    ):
        named = self._named(default_tokenizers() if tokenizers is None else tokenizers)
        check_choice("max_tokens", max_tokens, 1, 5000)
        check_text("text", text)
        names = list(named)
        if compare is not None and compare not in named:
            raise ValueError(f"compare must be one of {names} or None; got {compare!r}.")
        self.tokenizers, self.max_tokens = named, max_tokens
        self.text = widgets.Textarea(value=text, description="Text", continuous_update=False,
                                     layout=widgets.Layout(width="100%", height="70px"))
        self.tokenizer = widgets.Dropdown(options=names, value=names[0], description="Tokenizer", style=WIDE_LABEL)
        self.compare = widgets.Dropdown(options=[NO_COMPARISON, *names], value=compare or NO_COMPARISON,
                                        description="Compare with", style=WIDE_LABEL)
        super().__init__([self.text, widgets.HBox([self.tokenizer, self.compare])], "tokenizer-lab")
        self._observe(self.text, self.tokenizer, self.compare)
        self.refresh()

    @staticmethod
    def _named(tokenizers) -> dict[str, object]:
        if isinstance(tokenizers, Mapping):
            named = dict(tokenizers)
        elif isinstance(tokenizers, Sequence) and not isinstance(tokenizers, str):
            named = {}
            for tokenizer in tokenizers:
                name = getattr(tokenizer, "name", type(tokenizer).__name__)
                named[name if name not in named else f"{name} ({len(named) + 1})"] = tokenizer
        else:
            named = {getattr(tokenizers, "name", "tokenizer"): tokenizers}
        if not named:
            raise ValueError("Give at least one tokenizer, e.g. TokenizerLab({'characters': tokenizer}).")
        for tokenizer in named.values():
            check_lab_tokenizer(tokenizer)
        return {str(name): tokenizer for name, tokenizer in named.items()}

    def selected(self) -> list[str]:
        """The names of the tokenizers shown: the chosen one, and the comparison when there is one."""
        names = [self.tokenizer.value]
        if self.compare.value not in (NO_COMPARISON, self.tokenizer.value):
            names.append(self.compare.value)
        return names

    def results(self) -> list[tuple[str, Tokenization]]:
        """The current text cut by each shown tokenizer."""
        return [(name, tokenize(self.tokenizers[name], self.text.value)) for name in self.selected()]

    def _view_key(self) -> object:
        return (self.text.value, tuple(self.selected()))

    def _draw(self) -> tuple[Figure, list[str]]:
        if not self.text.value:
            raise ValueError("Type some text to see its tokens.")
        results = self.results()
        notes = []
        longest = max(len(result.ids) for _, result in results)
        if longest > self.max_tokens:
            notes.append(f"The text has {longest} tokens; the picture shows the first {self.max_tokens}.")
        return tokenizer_figure(results, self.max_tokens), notes
