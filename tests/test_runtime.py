import random

import numpy as np
import pytest
import torch

from helpers import runtime
from helpers.runtime import (
    CACHED_MODEL_THREADS,
    SMALL_MODEL_THREADS,
    cache_dir,
    cache_fingerprint,
    cached_model_threads,
    seed_everything,
)


def test_same_seed_same_numbers():
    draws = []
    for _ in range(2):
        seed_everything(123)
        draws.append((random.random(), np.random.rand(), torch.rand(3).tolist()))
    assert draws[0] == draws[1]
    seed_everything(124)
    assert (random.random(), np.random.rand(), torch.rand(3).tolist()) != draws[0]


@pytest.mark.parametrize("seed", [-1, 1.5, "7"])
def test_bad_seeds_are_refused(seed):
    with pytest.raises(ValueError, match="non-negative integer"):
        seed_everything(seed)


def test_cache_folder_follows_the_environment_and_cannot_be_escaped(isolated_cache):
    folder = cache_dir("downloads")
    assert folder.is_dir() and folder.parent == isolated_cache.resolve()
    with pytest.raises(ValueError, match="leave the cache"):
        cache_dir("..", "elsewhere")
    with pytest.raises(ValueError, match="leave the cache"):
        cache_dir("/etc")


def test_cached_models_train_on_a_fixed_number_of_threads_and_the_setting_comes_back():
    before = torch.get_num_threads()
    with cached_model_threads():
        assert torch.get_num_threads() == CACHED_MODEL_THREADS
    assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError), cached_model_threads():
        raise RuntimeError("an interrupted training")
    assert torch.get_num_threads() == before
    with cached_model_threads(SMALL_MODEL_THREADS):
        assert torch.get_num_threads() == SMALL_MODEL_THREADS
    assert torch.get_num_threads() == before


def test_a_cached_model_is_keyed_by_its_settings_its_data_and_the_threads_it_trains_on(monkeypatch):
    key = cache_fingerprint({"steps": 10}, b"text")
    assert key == cache_fingerprint({"steps": 10}, b"text") and len(key) == 64
    assert cache_fingerprint({"steps": 11}, b"text") != key
    assert cache_fingerprint({"steps": 10}, b"text!") != key
    assert cache_fingerprint({"steps": 10}, b"te", b"xt") != key  # the data's pieces, not just their bytes
    assert cache_fingerprint({"steps": 10}, b"text", threads=CACHED_MODEL_THREADS) == key
    assert cache_fingerprint({"steps": 10}, b"text", threads=CACHED_MODEL_THREADS + 1) != key
    monkeypatch.setattr(runtime, "CACHED_MODEL_THREADS", CACHED_MODEL_THREADS + 1)
    assert cache_fingerprint({"steps": 10}, b"text") != key  # trained another way: trained again, never loaded
