"""Fixtures of the unit tests (the session-wide settings are in the repository's conftest.py)."""

import errno
import socket
import urllib.request

import pytest
import torch

from helpers.pretrained import RECIPES, Recipe
from helpers.training import TrainingConfig


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Tests run their tiny models on one thread: fastest for them, and a busy machine cannot stall them at a
    thread barrier. Notebook kernels and subprocesses keep torch's default."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)

@pytest.fixture
def isolated_cache(tmp_path, monkeypatch):
    """An empty cache folder for tests that check what gets written, so they cannot see earlier runs."""
    monkeypatch.setenv("ULLM_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"

# A pretrained-model recipe that trains in seconds, for testing the mechanics of helpers.pretrained.
TINY_RECIPE = Recipe(
    name="test-tiny",
    description="seconds to train, for testing the mechanics",
    world_seed=3,
    train_documents=300,
    val_documents=20,
    vocab_size=300,
    model=dict(context_length=32, n_layer=1, n_head=2, n_embd=32),
    training=TrainingConfig(max_steps=20, batch_size=8, learning_rate=3e-3, warmup_steps=2, eval_every=10,
                            eval_batches=2, checkpoint_every=10),
)

@pytest.fixture
def tiny_recipe(monkeypatch, isolated_cache):
    """TINY_RECIPE, known to pretrained() under its name, with an empty cache."""
    monkeypatch.setitem(RECIPES, TINY_RECIPE.name, TINY_RECIPE)
    return TINY_RECIPE

class NoSocket(socket.socket):
    """A socket that cannot be made: as on a plane, or on CI without network."""

    def __init__(self, *args, **kwargs):
        raise OSError(errno.ENETUNREACH, "network is unreachable (sockets are blocked by the test)")

@pytest.fixture
def no_network(monkeypatch):
    """Block every socket in this process: creating one, connecting, and name lookups all fail."""

    def refuse(*args, **kwargs):
        raise OSError(errno.ENETUNREACH, "network is unreachable (sockets are blocked by the test)")

    monkeypatch.setattr(socket, "socket", NoSocket)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    with pytest.raises(OSError):
        urllib.request.urlopen("https://example.org", timeout=5)  # the block really holds
