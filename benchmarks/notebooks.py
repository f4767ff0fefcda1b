"""Wall time and peak memory of every chapter, cold (empty cache: models are trained) and warm (cache filled).

Each chapter runs in a fresh kernel, as a learner's "Restart and run all" would. Peak memory is the
largest resident set of the kernel and its child processes, sampled every 0.1 s. Prints a table and
writes it as JSON to benchmarks/results/notebooks.json.

`python -m benchmarks.notebooks --keep-cache DIR` runs in DIR (which must be empty or absent) and leaves the
models the cold pass trained there, e.g. to build the chapters from them afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import tempfile
import threading
import time
from pathlib import Path

import jupytext
import psutil
import torch
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "notebooks.json"


def _peak_memory_watcher(client: NotebookClient, peak: list[int], stop: threading.Event) -> None:
    while not stop.wait(0.1):
        manager = client.km
        pid = getattr(getattr(manager, "provisioner", None), "pid", None) if manager else None
        if pid is None:
            continue
        try:
            process = psutil.Process(pid)
            total = process.memory_info().rss + sum(c.memory_info().rss for c in process.children(recursive=True))
        except psutil.Error:
            continue
        peak[0] = max(peak[0], total)


def run_chapter(source: Path) -> dict:
    """Execute one chapter in a fresh kernel; return its wall time (s), peak memory (MB) and any failing cell."""
    notebook = jupytext.read(source)
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    peak, stop = [0], threading.Event()
    watcher = threading.Thread(target=_peak_memory_watcher, args=(client, peak, stop), daemon=True)
    watcher.start()
    started = time.perf_counter()
    error = None
    try:
        client.execute()
    except CellExecutionError as failure:  # record it and go on: the other chapters still get measured
        error = str(failure).strip().splitlines()[-1][:200]
    finally:
        stop.set()
        watcher.join()
    return {"seconds": round(time.perf_counter() - started, 1), "peak_mb": round(peak[0] / 2**20), "error": error}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-cache", type=Path, help="an empty folder to run in and keep")
    arguments = parser.parse_args(argv if argv is not None else [])
    if arguments.keep_cache and arguments.keep_cache.exists() and any(arguments.keep_cache.iterdir()):
        parser.error(f"{arguments.keep_cache} is not empty: a cold run needs an empty cache.")
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    table: dict[str, dict] = {}
    kept = contextlib.nullcontext(str(arguments.keep_cache)) if arguments.keep_cache else None
    with kept or tempfile.TemporaryDirectory(prefix="ullm-bench-cache-") as cache:
        os.environ["ULLM_CACHE_DIR"] = cache  # kernels inherit it: cold means an empty cache
        for phase in ("cold", "warm"):
            for source in sources:
                result = run_chapter(source)
                table.setdefault(source.stem, {})[phase] = result
                failed = f"  FAILED: {result['error']}" if result["error"] else ""
                print(f"{source.stem:40s} {phase}: {result['seconds']:7.1f} s  {result['peak_mb']:6d} MB{failed}",
                      flush=True)
    totals = {phase: round(sum(row[phase]["seconds"] for row in table.values()), 1) for phase in ("cold", "warm")}
    threads = torch.get_num_threads()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {threads} threads"
    print(f"\n{'chapter':40s} {'cold s':>8s} {'warm s':>8s} {'peak MB':>8s}")
    for name, row in table.items():
        peak = max(row["cold"]["peak_mb"], row["warm"]["peak_mb"])
        failed = "  (failed: see above)" if row["cold"]["error"] or row["warm"]["error"] else ""
        print(f"{name:40s} {row['cold']['seconds']:8.1f} {row['warm']['seconds']:8.1f} {peak:8d}{failed}")
    print(f"{'whole series':40s} {totals['cold']:8.1f} {totals['warm']:8.1f}")
    print(f"machine: {machine}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "chapters": table, "totals": totals}, indent=2) + "\n")


if __name__ == "__main__":
    import sys

    main(sys.argv[1:])
