"""Which attention head finds the antecedent of a pronoun, and what breaks without it (chapter 3).

The model: `story_model()`, a 2-layer transformer trained on TinyWorld pronoun stories only, half of them
with distractor characters ("mia ... bob ... she"), half without ("alice ... she"), so that every training
window holds many pronouns to predict. Trained once (1,500 steps of 32 x 128 tokens), cached like the
chapters' pretrained model (`STORY_MODEL` is its recipe; the tokenizer is the pretrained model's).

The probe: a held-out TinyWorld pronoun story up to its pronoun ("... nora is painting ... luke waves ."),
read as the model reads it in `helpers.probes` (after the document separator). The model should now say
"she", because the hero nora is female and every distractor is male. In the order the chapter uses them:

antecedent_attention   for every head, how much the query token (the last token before the pronoun, whose
                       output predicts it; or the pronoun itself) attends to the antecedent's token, and
                       how often the antecedent is the token it attends to most (`AntecedentAttention`)
heads_switched_off     a context manager that zeroes chosen heads' outputs (head ablation), with a forward
                       pre-hook on each layer's output projection, where the heads still sit side by side;
                       with `means` (from `mean_head_outputs`) it puts each head's average output there
                       instead (mean ablation: the head still says what it says on average, nothing specific)
ablation_accuracies    pronoun accuracy with each head switched off in turn (`helpers.probes` scores it)
same_gender_pairs      the probes with every distractor turned to the hero's gender, which TinyWorld never
                       writes: a model that learned "the pronoun is the gender no one else in view has"
                       now gets it wrong, one that reads the names' gender stays right
count_model_margins    the same probe for chapter 1's count model (helpers.ngram_model), which reads only
                       its last n - 1 words
window_accuracies      pronoun accuracy when the model reads only the last k tokens, split by which names
                       are still inside those k tokens (the antecedent; only distractors; none)
distance_accuracies    memory over distance: scenery sentences (no people) pushed between the antecedent and
                       the pronoun of stories without distractors, until the antecedent is k tokens back,
                       past the context window at the end

Simplified on purpose: the antecedent is one name (a word of one or more tokens), mentioned once;
attention "on the antecedent" sums the weights on its tokens; no attribution through later layers.
"""

from __future__ import annotations

import dataclasses
import math
import random
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import torch
from torch import nn

from helpers.batches import right_padded
from helpers.cached_models import TrainingJob, trained_once
from helpers.model import GPT, GPTConfig
from helpers.ngram_model import NGramModel
from helpers.pretrained import pretrained
from helpers.probes import PRONOUN_FLIP, MinimalPair, accuracy, pair_margins, pronoun_pairs
from helpers.runtime import cache_dir, cache_fingerprint, evaluating, model_device
from helpers.tinyworld import DOCUMENT_SEPARATOR, Document, TinyWorld, gender_swap, pronoun_probe
from helpers.training import TrainingConfig

QUERIES = ("before_pronoun", "pronoun")


@dataclass(frozen=True)
class StoryModelRecipe:
    """Everything that decides the chapter's story model: its stories, shape and training settings."""

    world_seed: int = 0  # TinyWorld(seed) writes the training stories, TinyWorld(seed + 1) the validation ones
    documents: int = 20_000
    simple_share: float = 0.5  # share of stories without distractors
    model: tuple[tuple[str, int], ...] = (("n_layer", 2), ("n_head", 4), ("n_embd", 64), ("context_length", 128))
    training: TrainingConfig = dataclasses.field(default_factory=lambda: TrainingConfig(
        max_steps=1500, batch_size=32, learning_rate=3e-3, warmup_steps=50, min_lr_ratio=0.1, weight_decay=0.1,
        eval_every=250, eval_batches=4, checkpoint_every=500, seed=0))
    tokenizer: str = "tinyworld"  # the pretrained model whose tokenizer it reads with
    model_seed: int = 0


STORY_MODEL = StoryModelRecipe()


def story_texts(recipe: StoryModelRecipe, n_documents: int, seed: int) -> str:
    """Pronoun stories, with and without distractors in the recipe's proportion, shuffled, one per line."""
    n_simple = round(n_documents * recipe.simple_share)
    world = TinyWorld(seed)
    texts = [d.text for d in world.documents(n_documents - n_simple, "story", story_type="pronoun")]
    texts += [d.text for d in world.documents(n_simple, "story", story_type="simple_pronoun")] if n_simple else []
    random.Random(seed).shuffle(texts)
    return "".join(text + DOCUMENT_SEPARATOR for text in texts)


def story_model(recipe: StoryModelRecipe = STORY_MODEL, *, progress: bool = True) -> tuple[GPT, object]:
    """The chapter's story transformer and its tokenizer: from the cache when intact, else trained now and cached."""
    _, tokenizer = pretrained(recipe.tokenizer, progress=progress)
    train_ids = torch.tensor(tokenizer.encode(story_texts(recipe, recipe.documents, recipe.world_seed)))
    val_ids = torch.tensor(tokenizer.encode(story_texts(recipe, 500, recipe.world_seed + 1)))
    key = cache_fingerprint(dataclasses.asdict(recipe), train_ids.numpy().tobytes(), val_ids.numpy().tobytes())

    def prepare() -> TrainingJob:
        with torch.random.fork_rng():
            torch.manual_seed(recipe.model_seed)
            model = GPT(GPTConfig(vocab_size=tokenizer.vocab_size, **dict(recipe.model)))
        return TrainingJob(model, train_ids, val_ids, tokenizer)

    folder = cache_dir("attention_probes", f"story-model-{key[:16]}") / "model"
    checkpoint = trained_once(folder, recipe.training, prepare, what="story model", progress=progress)
    return checkpoint.build_model(), tokenizer


@dataclass(frozen=True)
class PronounItem:
    """One probe story as token ids, with the positions of its antecedent's and distractors' tokens."""

    ids: list[int]  # the tokens the model reads: separator + story up to the query token
    antecedent: list[int]  # positions of the antecedent name's token(s)
    distractors: list[int]  # positions of every distractor name's token(s)
    pronoun: str  # "she" or "he", the right continuation


def token_spans(tokenizer, ids: Sequence[int]) -> list[tuple[int, int]]:
    """(start, end) character span of each token in the decoded text, to map character offsets to tokens."""
    spans, start = [], 0
    for piece_id in ids:
        end = start + len(tokenizer.decode([piece_id]))
        spans.append((start, end))
        start = end
    return spans


def _covering(spans: list[tuple[int, int]], start: int, end: int) -> list[int]:
    """Positions of the tokens that overlap the characters [start, end)."""
    return [i for i, (a, b) in enumerate(spans) if a < end and b > start]


def pronoun_items(
    tokenizer, stories: Sequence[Document], *, query: str = "before_pronoun", after: str = DOCUMENT_SEPARATOR
) -> list[PronounItem]:
    """Tokenise pronoun stories as the probes read them and locate each antecedent and distractor token.

    query="before_pronoun": the ids end with the last token before the pronoun (the position whose output
    predicts it, as in helpers.probes); query="pronoun": they end with the pronoun token itself.
    """
    if query not in QUERIES:
        raise ValueError(f"query must be one of {QUERIES}; got {query!r}.")
    items = []
    for story in stories:
        prompt, pronoun = pronoun_probe(story)  # raises ValueError for a story without a pronoun
        text = after + prompt + (" " + pronoun if query == "pronoun" else "")
        ids = tokenizer.encode(text)
        if tokenizer.decode(ids) != text:
            raise ValueError(f"the tokenizer does not round-trip {text[:40]!r}...; use a lossless tokenizer.")
        spans = token_spans(tokenizer, ids)
        fields, shift = story.fields, len(after)
        antecedent = _covering(spans, shift + fields["antecedent_char"],
                               shift + fields["antecedent_char"] + len(fields["antecedent"]))
        distractors = sorted({i for char, name in zip(fields["distractor_chars"], fields["distractors"], strict=True)
                              for i in _covering(spans, shift + char, shift + char + len(name))})
        items.append(PronounItem(ids, antecedent, distractors, pronoun))
    return items


def cropped(item: PronounItem, context_length: int) -> PronounItem:
    """The item's last context_length tokens, as helpers.probes crops a long prompt (names cut off vanish)."""
    cut = max(0, len(item.ids) - context_length)
    keep = lambda positions: [p - cut for p in positions if p >= cut]  # noqa: E731
    return PronounItem(item.ids[cut:], keep(item.antecedent), keep(item.distractors), item.pronoun)


@dataclass(frozen=True)
class AntecedentAttention:
    """Per head and story: attention of the query token on the antecedent and on the distractors."""

    on_antecedent: torch.Tensor  # (n_layer, n_head, N) summed weight on the antecedent's tokens
    on_distractors: torch.Tensor  # (n_layer, n_head, N) summed weight on all distractor name tokens
    antecedent_is_top: torch.Tensor  # (n_layer, n_head, N) bool: the most-attended token is the antecedent's

    @property
    def hit_rate(self) -> torch.Tensor:
        """(n_layer, n_head): share of stories where the head looks hardest at the antecedent."""
        return self.antecedent_is_top.float().mean(-1)

    @property
    def mean_on_antecedent(self) -> torch.Tensor:
        """(n_layer, n_head): the average attention weight on the antecedent."""
        return self.on_antecedent.mean(-1)

    def best_head(self) -> tuple[int, int]:
        """(layer, head) with the highest hit rate (ties: the higher mean weight on the antecedent)."""
        score = self.hit_rate + 1e-3 * self.mean_on_antecedent  # (n_layer, n_head)
        layer, head = divmod(int(score.argmax()), score.size(1))
        return layer, head


def antecedent_attention(
    model: nn.Module, items: Sequence[PronounItem], *, batch_size: int = 64
) -> AntecedentAttention:
    """Measure, for every layer and head, where the last token of each item looks (model.trace weights).

    An item longer than the model's context keeps its last tokens; an antecedent cut off gets no weight.
    """
    if not items:
        raise ValueError("antecedent_attention needs at least one PronounItem (see pronoun_items).")
    items = [cropped(item, model.config.context_length) for item in items]
    device = model_device(model)
    on_antecedent, on_distractors, is_top = [], [], []
    with evaluating(model):
        for start in range(0, len(items), batch_size):
            chunk = items[start : start + batch_size]
            ids = right_padded([item.ids for item in chunk])  # (b, T)
            attentions = model.trace(ids.to(device)).attentions  # n_layer x (b, nh, T, T)
            weights = torch.stack(attentions, dim=1).float().cpu()  # (b, n_layer, nh, T, T)
            for row, item in enumerate(chunk):
                looking = weights[row, :, :, len(item.ids) - 1, : len(item.ids)]  # (n_layer, nh, T_item)
                on_antecedent.append(looking[..., item.antecedent].sum(-1))
                on_distractors.append(looking[..., item.distractors].sum(-1))
                is_top.append(torch.isin(looking.argmax(-1), torch.tensor(item.antecedent, dtype=torch.long)))
    return AntecedentAttention(torch.stack(on_antecedent, -1), torch.stack(on_distractors, -1), torch.stack(is_top, -1))


def mean_head_outputs(model: nn.Module, tokenizer, texts: Sequence[str], *, after: str = DOCUMENT_SEPARATOR
                      ) -> dict[int, torch.Tensor]:
    """Each layer's average input to its output projection (C,) over every token of the texts: mean ablation's values.

    Head h of a layer owns the slice h * head_size : (h + 1) * head_size of that vector.
    """
    if not texts:
        raise ValueError("mean_head_outputs needs at least one text to average over.")
    context = model.config.context_length
    sums: dict[int, torch.Tensor] = {}
    counts = 0

    def record(layer: int):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor]) -> None:
            sums[layer] = sums.get(layer, 0) + inputs[0].reshape(-1, inputs[0].size(-1)).sum(0)  # (C,)
        return hook

    handles = [block.attn.c_proj.register_forward_pre_hook(record(layer)) for layer, block in enumerate(model.h)]
    try:
        with evaluating(model):
            for text in texts:
                ids = tokenizer.encode(after + text)[:context]
                model(torch.tensor([ids], device=model_device(model)))  # (1, T)
                counts += len(ids)
    finally:
        for handle in handles:
            handle.remove()
    return {layer: total / counts for layer, total in sums.items()}


@contextmanager
def heads_switched_off(
    model: nn.Module, heads: Iterable[tuple[int, int]], *, means: dict[int, torch.Tensor] | None = None
) -> Iterator[None]:
    """Silence the given (layer, head)s inside the block, for as long as the `with` lasts.

    Each head's output is a slice of the vector that enters the layer's output projection (attn.c_proj);
    a forward pre-hook sets that slice to zero (zero ablation: the head contributes nothing to the residual
    stream; the projection's bias, shared by all heads, stays) or, given `means` from `mean_head_outputs`,
    to the head's average output (mean ablation: the head no longer depends on the text in front of it).
    """
    config = model.config
    head_size = config.n_embd // config.n_head
    by_layer: dict[int, list[int]] = defaultdict(list)
    for layer, head in heads:
        if not (0 <= layer < config.n_layer and 0 <= head < config.n_head):
            raise ValueError(f"(layer, head) = {(layer, head)} does not exist: the model has layers "
                             f"0..{config.n_layer - 1} and heads 0..{config.n_head - 1}.")
        if means is not None and layer not in means:
            raise ValueError(f"means has no entry for layer {layer}; compute it with mean_head_outputs(model, ...).")
        by_layer[layer].append(head)

    def silence(layer: int, chosen: list[int]):
        def hook(module: nn.Module, inputs: tuple[torch.Tensor]) -> tuple[torch.Tensor]:
            heads_side_by_side = inputs[0].clone()  # (B, T, C) = n_head slices of head_size
            for head in chosen:
                part = slice(head * head_size, (head + 1) * head_size)
                heads_side_by_side[..., part] = 0.0 if means is None else means[layer][part]
            return (heads_side_by_side,)
        return hook

    handles = [model.h[layer].attn.c_proj.register_forward_pre_hook(silence(layer, chosen))
               for layer, chosen in by_layer.items()]
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def pronoun_margins(model: nn.Module, tokenizer, stories: Sequence[Document], **options) -> torch.Tensor:
    """log P(right pronoun) - log P(wrong one) per story (N,), as helpers.probes scores it."""
    return pair_margins(model, tokenizer, pronoun_pairs(stories), **options)


def ablation_accuracies(
    model: nn.Module, tokenizer, stories: Sequence[Document], *, means: dict[int, torch.Tensor] | None = None
) -> torch.Tensor:
    """(n_layer, n_head): pronoun accuracy with that one head switched off (compare with no head off)."""
    config = model.config
    table = torch.zeros(config.n_layer, config.n_head)
    for layer in range(config.n_layer):
        for head in range(config.n_head):
            with heads_switched_off(model, [(layer, head)], means=means):
                table[layer, head] = (pronoun_margins(model, tokenizer, stories) > 0).float().mean()
    return table


def same_gender_pairs(stories: Sequence[Document]) -> list[MinimalPair]:
    """Each story's pronoun probe with the distractors (names and "his"/"her") swapped to the hero's gender.

    Only the distractors' sentences hold gendered words besides the hero's name (TinyWorld's hero sentence
    has no possessive), so swapping the whole prompt and restoring the hero's name does exactly that.
    """
    pairs = []
    for story in stories:
        prompt, pronoun = pronoun_probe(story)
        words = gender_swap(prompt).split(" ")
        words[story.fields["antecedent_token"]] = story.fields["antecedent"]
        pairs.append(MinimalPair(" ".join(words), pronoun, PRONOUN_FLIP[pronoun]))
    return pairs


def count_model_margins(count_model: NGramModel, stories: Sequence[Document]) -> torch.Tensor:
    """log P(right pronoun) - log P(wrong one) per story (N,) under a word-level count model.

    The story is read as words after the document separator, as the transformer reads it.
    """
    margins = []
    for pair in pronoun_pairs(stories):
        context = [DOCUMENT_SEPARATOR, *pair.prompt.split(" ")]
        right, wrong = count_model.probability(context, pair.right), count_model.probability(context, pair.wrong)
        if right == 0.0 or wrong == 0.0:
            raise ValueError("the count model gives a pronoun probability zero; train it with smoothing='witten-bell' "
                             "on TinyWorld words.")
        margins.append(math.log(right) - math.log(wrong))
    return torch.tensor(margins)


VIEWS = ("antecedent in view", "only distractors in view", "no name in view")


@dataclass(frozen=True)
class WindowResult:
    """Pronoun accuracy when the model reads only the last `window` tokens of each prompt."""

    window: int
    accuracy: float  # over all stories
    by_view: dict[str, tuple[int, float]]  # for each of VIEWS: (number of stories, their accuracy or NaN)


def _first_tokens(spans: list[tuple[int, int]], chars: Sequence[int], names: Sequence[str], shift: int) -> list[int]:
    """Position of the first token of each name (given by its character offset in the story)."""
    pairs = zip(chars, names, strict=True)
    return [_covering(spans, shift + char, shift + char + len(name))[0] for char, name in pairs]


def name_distances(tokenizer, story: Document, *, after: str = DOCUMENT_SEPARATOR) -> tuple[int, int | None]:
    """How many last prompt tokens a window must keep to hold (the antecedent, the nearest distractor or None).

    A name counts as held when its first token is; the prompt is tokenised as helpers.probes reads it.
    """
    prompt, _ = pronoun_probe(story)
    ids = tokenizer.encode(after + prompt)
    spans, fields = token_spans(tokenizer, ids), story.fields
    (antecedent,) = _first_tokens(spans, [fields["antecedent_char"]], [fields["antecedent"]], len(after))
    distractors = _first_tokens(spans, fields["distractor_chars"], fields["distractors"], len(after))
    return len(ids) - antecedent, (len(ids) - max(distractors) if distractors else None)


def _share(correct: torch.Tensor) -> float:
    return float(correct.float().mean()) if len(correct) else float("nan")


def window_accuracies(
    model: nn.Module, tokenizer, stories: Sequence[Document], windows: Sequence[int], *, after: str = DOCUMENT_SEPARATOR
) -> list[WindowResult]:
    """Pronoun accuracy for each window size (the model sees only the last k prompt tokens), split by view.

    The views: the antecedent is in the window; only distractors (the other gender) are; no name is.
    """
    distances = [name_distances(tokenizer, story, after=after) for story in stories]
    antecedent = torch.tensor([a for a, _ in distances])  # (N,)
    distractor = torch.tensor([d if d is not None else 10**9 for _, d in distances])  # (N,)
    results = []
    for window in windows:
        correct = pronoun_margins(model, tokenizer, stories, after=after, max_prompt_tokens=window) > 0  # (N,)
        in_view = antecedent <= window
        only_distractors = ~in_view & (distractor <= window)
        groups = (in_view, only_distractors, ~in_view & ~only_distractors)
        by_view = {view: (int(group.sum()), _share(correct[group])) for view, group in zip(VIEWS, groups, strict=True)}
        results.append(WindowResult(window, _share(correct), by_view))
    return results


def scenery_sentences(seed: int = 0) -> Iterator[str]:
    """An endless seeded stream of TinyWorld scene sentences ("the cat sat on the mat ."): no people in them."""
    world = TinyWorld(seed)
    while True:
        text = world.document("story", story_type="scene").text
        yield from (sentence.strip() for sentence in re.findall(r"[^.]+ \.", text))


@dataclass(frozen=True)
class DistanceResult:
    """Pronoun accuracy with the antecedent pushed at least `min_distance` tokens back."""

    min_distance: int
    mean_distance: float  # tokens from the antecedent's first token to the end of the prompt, on average
    beyond_window: int  # stories whose antecedent no longer fits the model's context
    accuracy: float


def stretched_pairs(
    tokenizer, stories: Sequence[Document], min_distance: int, *, seed: int = 0, after: str = DOCUMENT_SEPARATOR
) -> tuple[list[MinimalPair], list[int]]:
    """Each story's pronoun probe with scenery added before the pronoun until the antecedent is far enough back.

    Returns the minimal pairs and each antecedent's distance in tokens (as `name_distances` counts it).
    """
    scenery = scenery_sentences(seed)
    pairs, distances = [], []
    for story in stories:
        prompt, pronoun = pronoun_probe(story)
        distance, _ = name_distances(tokenizer, story, after=after)
        length = len(tokenizer.encode(after + prompt))
        while distance < min_distance:
            prompt = f"{prompt} {next(scenery)}"
            new_length = len(tokenizer.encode(after + prompt))
            distance, length = distance + new_length - length, new_length
        pairs.append(MinimalPair(prompt, pronoun, PRONOUN_FLIP[pronoun]))
        distances.append(distance)
    return pairs, distances


def distance_accuracies(
    model: nn.Module, tokenizer, stories: Sequence[Document], min_distances: Sequence[int], *, seed: int = 0
) -> list[DistanceResult]:
    """Pronoun accuracy as the antecedent is pushed further back (use stories without distractors)."""
    results = []
    for min_distance in min_distances:
        pairs, distances = stretched_pairs(tokenizer, stories, min_distance, seed=seed)
        beyond = sum(d > model.config.context_length for d in distances)
        results.append(DistanceResult(min_distance, sum(distances) / len(distances), beyond,
                                      accuracy(model, tokenizer, pairs)))
    return results
