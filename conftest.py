"""Settings for the whole test session (unit tests and notebooks): where files go, and the shared models first.

- The cache lives outside the repository: `ULLM_CACHE_DIR`, by default `<tmp>/ullm-test-cache` (kept between
  runs on one machine). CI points it at a new empty folder, so every CI run is a learner's first run.
- The optional downloads come from the read-only test mirror when it is there (CI sets ULLM_MIRROR itself).
- Before the first notebook cell runs, `tools/warm_cache.py` trains (or loads) every model the chapters share, in
  its own process with its own time limit, so that no notebook cell trains for minutes under nbval. nbval reads
  a cell's output messages only after the cell ends; a cell that trains for minutes floods that channel, and
  nbval then gives up after 5 s (a constant in nbval 0.11) waiting for the rest.
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent

os.environ.setdefault("ULLM_CACHE_DIR", str(Path(tempfile.gettempdir()) / "ullm-test-cache"))
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "ullm-test-hypothesis"))
_mirror = ROOT.parent / "shared" / "data"
if "ULLM_MIRROR" not in os.environ and _mirror.is_dir():
    os.environ["ULLM_MIRROR"] = str(_mirror)

WARM_CACHE_TIMEOUT = 30 * 60  # seconds; cold, the shared models take about 6 minutes on a 2-core CPU
NOTEBOOK_OUTPUT_WAIT = 60  # seconds nbval waits for a cell's next output message once the cell has ended

_shared_models_ready: list[bool] = []


def pytest_runtest_setup(item):
    if type(item).__name__ != "IPyNbCell":
        return
    item.output_timeout = NOTEBOOK_OUTPUT_WAIT  # nbval 0.11 sets 5 s and offers no option for it
    if not _shared_models_ready:
        _shared_models_ready.append(_warm_cache())


def _warm_cache() -> bool:
    """Run tools/warm_cache.py once; fail the notebook tests with its output if it fails or runs out of time."""
    command = [sys.executable, str(ROOT / "tools" / "warm_cache.py")]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=WARM_CACHE_TIMEOUT, cwd=ROOT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"building the chapters' shared models took more than {WARM_CACHE_TIMEOUT} s "
                    f"({' '.join(command)}); the notebooks need them.", pytrace=False)
    if result.returncode != 0:
        pytest.fail(f"building the chapters' shared models failed ({' '.join(command)}), so the notebooks cannot "
                    f"run:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}", pytrace=False)
    return True
