"""The chapters' ready-made models: trained once from a recipe, cached, verified at every load, rebuilt if damaged.

`pretrained()` returns (model, tokenizer): the reference model the chapters build on, tinyworld2-l. A recipe
whose weights the repository commits loads from there (`helpers/reference_models/<name>-<fingerprint>`, written
by `make pretrain`, half precision, every file's sha256 checked). Any other recipe is trained at its first call:
generate its TinyWorld 2 text, train a byte-level BPE tokenizer on it, train the model (with a progress bar),
and store both as a checkpoint in cache_dir("pretrained", "<name>-<fingerprint>"); later calls load that
checkpoint after checking the sha256 of every file. The fingerprint hashes the whole recipe (model shape,
tokenizer size, training settings, and the generated text itself): change any of it and the model is trained
again, in a folder of its own, never answered with the weights of the old one. As for every model trained once
(helpers.cached_models): a damaged cache gives a warning and is rebuilt, never loaded; an interrupted first
training resumes from its last checkpoint at the next call; while one process trains a model, another asking for
it waits (a file lock) instead of training it too.

Recipes
tinyworld2-xs .. tinyworld2-l
                 the size ladder (LADDER, 50 thousand to 2.9 million parameters, the same 12 million tokens each);
                 too slow to train in a chapter, so their weights are committed; the largest is REFERENCE_MODEL
tinyworld2-mini  a small model on less of the same text, trained in a minute or two: for tests, the torchrun demo and
                 quick experiments

Simplified on purpose: one recipe per name (no registry of versions); the corpus is held in memory.
"""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from helpers import tinyworld2
from helpers.cached_models import TrainingJob, cached_tokenizer, trained_once
from helpers.checkpoints import Checkpoint, has_checkpoint, load_checkpoint, save_checkpoint
from helpers.model import GPT, GPTConfig
from helpers.runtime import cache_dir, cache_fingerprint
from helpers.tokenizers import Tokenizer
from helpers.training import TrainingConfig

RECIPE_FORMAT = 1  # bump when the way a recipe turns into a model changes, so caches are rebuilt
WORLDS = {"tinyworld2": tinyworld2.TinyWorld}
COMMITTED_WEIGHTS = Path(__file__).resolve().parent / "reference_models"


@dataclass(frozen=True)
class Recipe:
    """Everything that decides a pretrained model: data, tokenizer, model shape and training settings."""

    name: str
    description: str
    world_seed: int  # TinyWorld(seed) generates the training documents, TinyWorld(seed + 1) the validation ones
    train_documents: int
    val_documents: int
    vocab_size: int  # BPE vocabulary, "<|endoftext|>" included
    model: dict[str, Any]  # GPTConfig fields other than vocab_size
    training: TrainingConfig
    model_seed: int = 0  # initial weights
    corpus: str = "tinyworld2"  # the WORLDS entry that writes the documents
    tokenizer_documents: int | None = None  # the BPE learns from the first this many training documents (None: all)

    def model_config(self, vocab_size: int) -> GPTConfig:
        """The model's full configuration once the tokenizer's vocabulary size is known."""
        return GPTConfig(vocab_size=vocab_size, **self.model)


RECIPES: dict[str, Recipe] = {
    # ~0.28M parameters, 600 steps of 16 x 64 tokens: 1.9 minutes on a busy 2-core machine, data and tokenizer
    # included (benchmarks/pretrained_quality.py); 1.85x the entropy floor. For tests, the torchrun demo, quick looks.
    "tinyworld2-mini": Recipe(
        name="tinyworld2-mini",
        description="a small, fast TinyWorld 2 model for tests and quick experiments",
        world_seed=0,
        train_documents=10_000,
        val_documents=200,
        vocab_size=512,
        model=dict(context_length=64, n_layer=2, n_head=2, n_embd=96),
        training=TrainingConfig(max_steps=600, batch_size=16, learning_rate=5e-3, warmup_steps=30,
                                eval_every=100, eval_batches=4, checkpoint_every=200, seed=0),
    ),
}


def _ladder_step(name: str, n_layer: int, n_head: int, n_embd: int, learning_rate: float) -> Recipe:
    """One size of the TinyWorld 2 ladder: every size reads the same 3,000 batches of 32 x 128 tokens."""
    return Recipe(
        name=name,
        description=f"TinyWorld 2, {n_layer} layers of width {n_embd}",
        world_seed=0,
        train_documents=300_000,  # 12.9 million tokens: each size sees every document about once
        val_documents=1_000,
        tokenizer_documents=20_000,
        vocab_size=1024,
        model=dict(context_length=128, n_layer=n_layer, n_head=n_head, n_embd=n_embd),
        training=TrainingConfig(max_steps=3000, batch_size=32, learning_rate=learning_rate, warmup_steps=150,
                                min_lr_ratio=0.1, weight_decay=0.1, eval_every=300, eval_batches=4,
                                checkpoint_every=300, seed=0),
    )


LADDER = ("tinyworld2-xs", "tinyworld2-s", "tinyworld2-m", "tinyworld2-l")  # smallest first
REFERENCE_MODEL = LADDER[-1]  # the model the chapters read, probe and fine-tune
RECIPES.update({recipe.name: recipe for recipe in (
    _ladder_step("tinyworld2-xs", 1, 2, 32, 3e-3), _ladder_step("tinyworld2-s", 2, 2, 64, 3e-3),
    _ladder_step("tinyworld2-m", 4, 4, 128, 3e-3), _ladder_step("tinyworld2-l", 6, 6, 192, 2e-3))})


@dataclass
class PreparedData:
    """A corpus ready for training: its tokenizer, token ids, and the validation text for per-character measurements."""

    tokenizer: Tokenizer
    train_ids: torch.Tensor  # (N_train,)
    val_ids: torch.Tensor  # (N_val,)
    val_text: str
    fingerprint: str  # sha256 of what decides the models trained on it (the recipe, the sweep): the cache key


def recipe_named(name: str) -> Recipe:
    """The recipe of a pretrained model, or a ValueError listing the names there are."""
    if name not in RECIPES:
        raise ValueError(f"there is no pretrained model {name!r}; choose one of {sorted(RECIPES)}.")
    return RECIPES[name]


def seed_twin(name: str, seed: int) -> str:
    """The name of the recipe's twin trained from another seed (initial weights and batch order), registered on
    first use; how far a figure moves between twins says how much of it is luck. Twins train into the cache."""
    recipe = recipe_named(name)
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}.")
    if seed == recipe.training.seed:
        return name
    twin = f"{name}-seed{seed}"
    RECIPES.setdefault(twin, dataclasses.replace(recipe, name=twin, model_seed=seed,
                                                 training=dataclasses.replace(recipe.training, seed=seed)))
    return twin


def corpus_texts(recipe: Recipe) -> tuple[str, str]:
    """The recipe's training and validation texts (the same every time; the ladder's sizes share theirs)."""
    return _generated_texts(recipe.corpus, recipe.world_seed, recipe.train_documents, recipe.val_documents)


@functools.lru_cache(maxsize=1)  # the last corpus asked for: every size of the ladder reads the same one
def _generated_texts(corpus: str, world_seed: int, train_documents: int, val_documents: int) -> tuple[str, str]:
    world = WORLDS[corpus]
    return world(world_seed).corpus_text(train_documents), world(world_seed + 1).corpus_text(val_documents)


def tokenizer_text(recipe: Recipe, train_text: str) -> str:
    """What the recipe's BPE learns its merges from: the training text, or its first tokenizer_documents."""
    if recipe.tokenizer_documents is None:
        return train_text
    return WORLDS[recipe.corpus](recipe.world_seed).corpus_text(recipe.tokenizer_documents)


def fingerprint(recipe: Recipe, train_text: str, val_text: str) -> str:
    """sha256 of everything that decides the model: settings, defaults filled in, and the texts."""
    settings = dataclasses.asdict(recipe) | {"name": None, "description": None, "format": RECIPE_FORMAT}
    settings["model"] = dataclasses.asdict(recipe.model_config(recipe.vocab_size))
    return cache_fingerprint(settings, train_text.encode("utf-8"), val_text.encode("utf-8"))


def cache_folder(recipe: Recipe, key: str) -> Path:
    """The cache folder of one version of a recipe (its name and the start of its fingerprint)."""
    return cache_dir("pretrained", f"{recipe.name}-{key[:16]}")


def prepare_data(recipe: Recipe, *, texts: tuple[str, str] | None = None, progress: bool = True) -> PreparedData:
    """Generate the texts (unless given), train or load the cached tokenizer, and encode the texts."""
    train_text, val_text = texts or corpus_texts(recipe)
    key = fingerprint(recipe, train_text, val_text)
    tokenizer = cached_tokenizer(cache_folder(recipe, key) / "tokenizer.json", tokenizer_text(recipe, train_text),
                                 recipe.vocab_size, progress=progress)
    train_ids = torch.tensor(tokenizer.encode(train_text), dtype=torch.long)
    val_ids = torch.tensor(tokenizer.encode(val_text), dtype=torch.long)
    return PreparedData(tokenizer, train_ids, val_ids, val_text, key)


def build_model(recipe: Recipe, tokenizer: Tokenizer) -> GPT:
    """The recipe's untrained model, with the same initial weights every time."""
    with torch.random.fork_rng():
        torch.manual_seed(recipe.model_seed)
        return GPT(recipe.model_config(tokenizer.vocab_size))


def pretrained(name: str = REFERENCE_MODEL, *, progress: bool = True) -> tuple[GPT, Tokenizer]:
    """A trained model and its tokenizer: from the cache when intact, else trained now (once) and cached."""
    checkpoint = pretrained_checkpoint(name, progress=progress)
    return checkpoint.build_model(), checkpoint.tokenizer()


def pretrained_checkpoint(name: str = REFERENCE_MODEL, *, progress: bool = True) -> Checkpoint:
    """The verified checkpoint behind `pretrained(name)` (with its history): committed, cached, or trained now."""
    recipe = recipe_named(name)
    texts = corpus_texts(recipe)
    committed = committed_folder(recipe, fingerprint(recipe, *texts))
    if has_checkpoint(committed):
        return load_checkpoint(committed)
    return trained_checkpoint(name, progress=progress, texts=texts)


def committed_folder(recipe: Recipe, key: str) -> Path:
    """Where the repository keeps a recipe's trained weights (present for the ladder only)."""
    return COMMITTED_WEIGHTS / f"{recipe.name}-{key[:16]}"


def commit_weights(name: str, *, progress: bool = True) -> Path:
    """Train (or take from the cache) the recipe's model and write it in half precision to COMMITTED_WEIGHTS."""
    recipe = recipe_named(name)
    texts = corpus_texts(recipe)
    checkpoint = trained_checkpoint(name, progress=progress, texts=texts)
    folder = committed_folder(recipe, fingerprint(recipe, *texts))
    save_checkpoint(folder, checkpoint.build_model().half(), step=checkpoint.step, history=checkpoint.history,
                    tokenizer_ref=checkpoint.tokenizer(), training_config=checkpoint.training_config)
    return folder


def trained_checkpoint(name: str, *, progress: bool = True, texts: tuple[str, str] | None = None) -> Checkpoint:
    """The recipe's checkpoint in the cache, trained now (once) if the cache does not hold it."""
    recipe = recipe_named(name)
    texts = texts or corpus_texts(recipe)

    def prepare() -> TrainingJob:
        data = prepare_data(recipe, texts=texts, progress=progress)
        return TrainingJob(build_model(recipe, data.tokenizer), data.train_ids, data.val_ids, data.tokenizer)

    folder = cache_folder(recipe, fingerprint(recipe, *texts)) / "model"
    return trained_once(folder, recipe.training, prepare, what=f"{name!r} model", progress=progress)
