"""Test-wide settings: a cache outside the repository and the read-only download mirror."""

import os
import tempfile
from pathlib import Path

import pytest
import torch

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent

# One cache for the whole test session, notebooks included (their kernels inherit the environment), kept
# between runs so the chapters' pretrained models are trained once per machine, never inside the repo.
os.environ.setdefault("ULLM_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ullm-test-cache"))
# Hypothesis keeps its example database outside the repository too.
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "ullm-test-hypothesis"))

# The optional downloads come from the test mirror when it is there (CI sets ULLM_MIRROR itself).
_mirror = REPOSITORY_ROOT.parent / "shared" / "data"
if "ULLM_MIRROR" not in os.environ and _mirror.is_dir():
    os.environ["ULLM_MIRROR"] = str(_mirror)


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
