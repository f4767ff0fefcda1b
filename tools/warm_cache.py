"""Train (or load) every model the chapters share, so that no chapter cell trains for minutes.

A learner's first run trains these inside the chapter that first needs them; an instructor can run this
once before a class instead, and the test session runs it before the first notebook (see conftest.py), so
nbval never waits on a cell that trains. The cache is `ULLM_CACHE_DIR` (or `.cache/`), as for the chapters.

    python tools/warm_cache.py
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable


def shared_models() -> dict[str, Callable[[], object]]:
    """Each model the chapters share, by name, with the exact call the chapters make (so the cache keys match)."""
    from helpers.experiments.in_context_regression import train_regression_model
    from helpers.experiments.scaling import run_sweep
    return {
        "compute sweep (chapter 2)": run_sweep,
        "in-context regressor (chapter 7)": train_regression_model,
    }


def main() -> None:
    for name, build in shared_models().items():
        started = time.perf_counter()
        print(f"{name} ...", flush=True)
        build()
        print(f"{name}: ready in {time.perf_counter() - started:.0f} s", flush=True)


if __name__ == "__main__":
    sys.exit(main())
