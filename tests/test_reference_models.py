"""The committed TinyWorld 2 ladder (helpers/reference_models/, written by `make pretrain`): every size is there for
its current recipe, loads verified without training, and its held-out loss is what the series says of it."""

import pytest

from helpers.pretrained import COMMITTED_WEIGHTS, LADDER, corpus_texts, pretrained_checkpoint, recipe_named
from helpers.scoring import nats_per_character
from helpers.tinyworld2 import TinyWorld


@pytest.fixture(scope="module")
def held_out_losses():
    """Nats per character of each ladder size on its recipe's validation text, smallest size first."""
    losses = {}
    for name in LADDER:
        checkpoint = pretrained_checkpoint(name, progress=False)
        assert checkpoint.directory.parent == COMMITTED_WEIGHTS, f"{name} is not committed: run `make pretrain`"
        recipe = recipe_named(name)
        assert checkpoint.step == recipe.training.max_steps
        losses[name] = nats_per_character(checkpoint.build_model(), checkpoint.tokenizer(), corpus_texts(recipe)[1])
    return losses


def test_the_committed_weights_are_small_enough_for_the_repository():
    assert sum(path.stat().st_size for path in COMMITTED_WEIGHTS.rglob("*") if path.is_file()) <= 10_000_000


def test_the_reference_model_comes_within_10_percent_of_the_entropy_floor(held_out_losses):
    floor = TinyWorld(recipe_named(LADDER[-1]).world_seed).entropy_floor().nats_per_char
    assert held_out_losses[LADDER[-1]] <= 1.10 * floor


def test_the_loss_falls_with_every_step_up_the_ladder(held_out_losses):
    losses = [held_out_losses[name] for name in LADDER]
    assert losses == sorted(losses, reverse=True) and len(set(losses)) == len(losses)
