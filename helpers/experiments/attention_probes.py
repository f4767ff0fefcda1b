"""Which attention heads look back from a pronoun to its antecedent, and what the model loses without them (chapter 3).

The probe: a held-out TinyWorld 2 hero story up to its first pronoun ("emma is baking a cake in the garden . leo
is knitting a scarf at the bakery . the sun is shining ."), read as the model reads a document (after the
separator). The model should now say "she": the hero, named 20 and more words earlier, is emma; the people in
between are of either gender, so only the hero's name tells. In the order the chapter uses them:

hero_stories          held-out hero stories: drawn from a seed no corpus uses, none a pretraining document
pronoun_pairs         each story as a minimal pair (prompt, right pronoun, wrong pronoun) for helpers.probes
look_back_items       the stories as token ids ending at the query token (the last token before the pronoun,
                      whose output predicts it), with the positions of the antecedent's tokens (`LookBackItem`)
support_conversations held-out support conversations whose agent's reply names the customer's product again;
                      `product_prompt` cuts one right before that name, `support_items` makes its LookBackItem
                      (the product's tokens in the customer's message)
look_back_attention   for every head, how much the query token attends to the looked-for tokens, against what
                      attention spread evenly over the tokens before it would give (`LookBack`)
heads_switched_off    a context manager that zeroes chosen heads' outputs (head ablation), with a forward pre-hook
                      on each layer's output projection, where the heads still sit side by side
right_probabilities   P(right pronoun) of each pair as a two-way choice, sigmoid(log P(right) - log P(wrong))
antecedent_distance   how many tokens back the antecedent is from the pronoun's prediction
stretched_pairs       scenery sentences (no people) pushed in before the pronoun until the antecedent is k
                      tokens back, past the context window at the end

Simplified on purpose: the antecedent is one name, its tokens' weights summed; no attribution through layers.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from helpers.batches import right_padded
from helpers.experiments.abilities import EVALUATION_SEED, normalised
from helpers.probes import MinimalPair, pair_margins
from helpers.runtime import evaluating, model_device
from helpers.tinyworld2 import DOCUMENT_SEPARATOR, Document, TinyWorld, pronoun_probe

PRONOUN_FLIP = {"she": "he", "he": "she"}


def _documents_in(text: str) -> set[str]:
    return {normalised(line) for line in text.split(DOCUMENT_SEPARATOR) if line}


def _check_count(n: object) -> None:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}.")


def hero_stories(n: int, *, seed: int = EVALUATION_SEED, pretraining_text: str = "") -> list[Document]:
    """n hero stories from TinyWorld(seed), skipping any that is a document of `pretraining_text`."""
    _check_count(n)
    world, seen, stories = TinyWorld(seed), _documents_in(pretraining_text), []
    while len(stories) < n:
        stories += [d for d in world.documents(n - len(stories), "story", story_type="hero")
                    if normalised(d.text) not in seen]
    return stories


def pronoun_pairs(stories: Sequence[Document]) -> list[MinimalPair]:
    """Each hero story up to its first pronoun, with the right pronoun and the wrong one."""
    pairs = []
    for story in stories:
        prompt, pronoun = pronoun_probe(story)  # a ValueError names what a story needs
        pairs.append(MinimalPair(prompt, pronoun, PRONOUN_FLIP[pronoun]))
    return pairs


def right_probabilities(model: nn.Module, tokenizer, pairs: Sequence[MinimalPair], **options) -> torch.Tensor:
    """(N,) P(right word) when the model must choose between the two words of each pair: 0.5 is a coin flip."""
    return torch.sigmoid(pair_margins(model, tokenizer, pairs, **options))


@dataclass(frozen=True)
class LookBackItem:
    """A text as token ids ending at the query token, and the positions of the tokens it should look back at."""

    ids: list[int]  # the document separator, then the text up to the query token
    target: list[int]  # positions of the looked-for word's tokens (the antecedent, the product)


def _token_positions(tokenizer, text: str, start: int, end: int) -> tuple[list[int], list[int]]:
    """The ids of `text` and the positions of the tokens that overlap its characters [start, end)."""
    ids = tokenizer.encode(text)
    if tokenizer.decode(ids) != text:
        raise ValueError(f"the tokenizer does not round-trip {text[:40]!r}...; use a lossless tokenizer.")
    positions, offset = [], 0
    for position, piece in enumerate(ids):
        width = len(tokenizer.decode([piece]))
        if offset < end and offset + width > start:
            positions.append(position)
        offset += width
    return ids, positions


def look_back_items(tokenizer, stories: Sequence[Document], *, after: str = DOCUMENT_SEPARATOR) -> list[LookBackItem]:
    """Each hero story up to the token before its pronoun, with the positions of the antecedent's tokens."""
    items = []
    for pair, story in zip(pronoun_pairs(stories), stories, strict=True):
        start = len(after) + story.fields["antecedent_char"]
        ids, target = _token_positions(tokenizer, after + pair.prompt, start, start + len(story.fields["antecedent"]))
        items.append(LookBackItem(ids, target))
    return items


def support_conversations(n: int, *, seed: int = EVALUATION_SEED, pretraining_text: str = "") -> list[Document]:
    """n support conversations whose reply names the customer's product again, none a pretraining document."""
    _check_count(n)
    world, seen, found = TinyWorld(seed), _documents_in(pretraining_text), []
    while len(found) < n:
        for doc in world.documents(n - len(found), "support"):
            item = doc.fields["item"]
            if item and f" {item} " in f" {doc.fields['reply']} " and normalised(doc.text) not in seen:
                found.append(doc)
    return found


def product_prompt(conversation: Document) -> str:
    """The conversation up to the product's name in the agent's reply: "... agent : ... your order for the"."""
    item = conversation.fields.get("item") if conversation.kind == "support" else None
    if not item or f" {item} " not in f" {conversation.fields['reply']} ":
        raise ValueError("product_prompt needs a support conversation whose reply names the customer's product "
                         "(see support_conversations).")
    reply_char = conversation.fields["reply_char"]
    return conversation.text[: reply_char + f" {conversation.fields['reply']} ".index(f" {item} ")].rstrip()


def support_items(tokenizer, conversations: Sequence[Document], *, after: str = DOCUMENT_SEPARATOR
                  ) -> list[LookBackItem]:
    """Each conversation up to the product's name in the reply, with the positions of that name in the message."""
    items = []
    for conversation in conversations:
        message, item = conversation.fields["message"], conversation.fields["item"]
        start = len(after) + f" {message} ".index(f" {item} ")
        items.append(LookBackItem(*_token_positions(tokenizer, after + product_prompt(conversation), start,
                                                    start + len(item))))
    return items


@dataclass(frozen=True)
class LookBack:
    """Per head and item: the query token's attention on the looked-for tokens, and on them if spread evenly."""

    on_target: torch.Tensor  # (n_layer, n_head, N) summed weight on the looked-for tokens
    even_share: torch.Tensor  # (N,) what even attention over the query's T tokens gives them: len(target) / T
    target_is_top: torch.Tensor  # (n_layer, n_head, N) bool: the most-attended token is one of them

    @property
    def mean_on_target(self) -> torch.Tensor:
        """(n_layer, n_head): the average attention weight on the looked-for tokens."""
        return self.on_target.mean(-1)

    @property
    def hit_rate(self) -> torch.Tensor:
        """(n_layer, n_head): share of items where the head looks hardest at the looked-for tokens."""
        return self.target_is_top.float().mean(-1)

    def top_heads(self, k: int) -> list[tuple[int, int]]:
        """The k (layer, head)s with the most weight on the looked-for tokens, most first."""
        n_head = self.on_target.size(1)
        return [divmod(int(i), n_head) for i in self.mean_on_target.flatten().argsort(descending=True)[:k]]


def look_back_attention(model: nn.Module, items: Sequence[LookBackItem], *, batch_size: int = 64) -> LookBack:
    """Measure, for every layer and head, where the last token of each item looks (model.trace weights)."""
    if not items:
        raise ValueError("look_back_attention needs at least one LookBackItem (see look_back_items).")
    context = model.config.context_length
    if any(len(item.ids) > context for item in items):
        raise ValueError(f"an item is longer than the model's context ({context} tokens); give shorter texts.")
    on_target, is_top = [], []
    with evaluating(model):
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            attentions = model.trace(right_padded([item.ids for item in chunk]).to(model_device(model))).attentions
            weights = torch.stack(attentions, dim=1).float().cpu()  # (b, n_layer, n_head, T, T)
            for row, item in enumerate(chunk):
                looking = weights[row, :, :, len(item.ids) - 1, : len(item.ids)]  # (n_layer, n_head, T_item)
                on_target.append(looking[..., item.target].sum(-1))
                is_top.append(torch.isin(looking.argmax(-1), torch.tensor(item.target)))
    even = torch.tensor([len(item.target) / len(item.ids) for item in items])
    return LookBack(torch.stack(on_target, -1), even, torch.stack(is_top, -1))


@contextmanager
def heads_switched_off(model: nn.Module, heads: Iterable[tuple[int, int]]) -> Iterator[None]:
    """Silence the given (layer, head)s inside the block, for as long as the `with` lasts.

    Each head's output is a slice of the vector that enters the layer's output projection (attn.c_proj); a
    forward pre-hook sets that slice to zero, so the head adds nothing to the residual stream (the projection's
    bias, shared by all heads, stays).
    """
    config = model.config
    head_size = config.n_embd // config.n_head
    by_layer: dict[int, list[int]] = defaultdict(list)
    for layer, head in heads:
        if not (0 <= layer < config.n_layer and 0 <= head < config.n_head):
            raise ValueError(f"(layer, head) = {(layer, head)} does not exist: the model has layers "
                             f"0..{config.n_layer - 1} and heads 0..{config.n_head - 1}.")
        by_layer[layer].append(head)

    def silence(chosen: list[int]):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor]) -> tuple[torch.Tensor]:
            heads_side_by_side = inputs[0].clone()  # (B, T, C) = n_head slices of head_size
            for head in chosen:
                heads_side_by_side[..., head * head_size : (head + 1) * head_size] = 0.0
            return (heads_side_by_side,)
        return hook

    handles = [model.h[layer].attn.c_proj.register_forward_pre_hook(silence(chosen))
               for layer, chosen in by_layer.items()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def antecedent_distance(tokenizer, story: Document, *, after: str = DOCUMENT_SEPARATOR) -> int:
    """How many of the prompt's last tokens a window must keep to still hold the antecedent's first token."""
    (item,) = look_back_items(tokenizer, [story], after=after)
    return len(item.ids) - item.target[0]


def scenery_sentences(seed: int = 0) -> Iterator[str]:
    """An endless seeded stream of TinyWorld 2 scene sentences ("the cats jumped on the rug ."): no people in them."""
    world = TinyWorld(seed)
    while True:
        text = world.document("story", story_type="scene").text
        yield from (sentence.strip() for sentence in re.findall(r"[^.]+ \.", text))


def stretched_pairs(tokenizer, stories: Sequence[Document], min_distance: int, *, seed: int = 0,
                    after: str = DOCUMENT_SEPARATOR) -> tuple[list[MinimalPair], list[int]]:
    """Each story's pronoun pair with scenery added before the pronoun until the antecedent is far enough back.

    Returns the pairs and each antecedent's distance in tokens (as `antecedent_distance` counts it).
    """
    scenery = scenery_sentences(seed)
    pairs, distances = [], []
    for story, pair in zip(stories, pronoun_pairs(stories), strict=True):
        prompt, distance = pair.prompt, antecedent_distance(tokenizer, story, after=after)
        length = len(tokenizer.encode(after + prompt))
        while distance < min_distance:
            prompt = f"{prompt} {next(scenery)}"
            new_length = len(tokenizer.encode(after + prompt))
            distance, length = distance + new_length - length, new_length
        pairs.append(MinimalPair(prompt, pair.right, pair.wrong))
        distances.append(distance)
    return pairs, distances
