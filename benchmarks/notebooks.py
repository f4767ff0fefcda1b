"""Wall time and peak memory of every chapter, cold (empty cache: models are trained) and warm (cache filled).

Each chapter runs in a fresh kernel, as a learner's "Restart and run all" would. Peak memory is the
largest resident set of the kernel and its child processes, sampled every 0.1 s. Prints a table and
writes it as JSON to benchmarks/results/notebooks.json.
"""

from __future__ import annotations

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
    """Execute one chapter in a fresh kernel; return its wall time (s) and peak memory (MB)."""
    notebook = jupytext.read(source)
    client = NotebookClient(notebook, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(source.parent)}})
    peak, stop = [0], threading.Event()
    watcher = threading.Thread(target=_peak_memory_watcher, args=(client, peak, stop), daemon=True)
    watcher.start()
    started = time.perf_counter()
    try:
        client.execute()
    finally:
        stop.set()
        watcher.join()
    return {"seconds": round(time.perf_counter() - started, 1), "peak_mb": round(peak[0] / 2**20)}


def main() -> None:
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    table: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="ullm-bench-cache-") as cache:
        os.environ["ULLM_CACHE_DIR"] = cache  # kernels inherit it: cold means an empty cache
        for phase in ("cold", "warm"):
            for source in sources:
                result = run_chapter(source)
                table.setdefault(source.stem, {})[phase] = result
                print(f"{source.stem:40s} {phase}: {result['seconds']:7.1f} s  {result['peak_mb']:6d} MB", flush=True)
    totals = {phase: round(sum(row[phase]["seconds"] for row in table.values()), 1) for phase in ("cold", "warm")}
    threads = torch.get_num_threads()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {threads} threads"
    print(f"\n{'chapter':40s} {'cold s':>8s} {'warm s':>8s} {'peak MB':>8s}")
    for name, row in table.items():
        peak = max(row["cold"]["peak_mb"], row["warm"]["peak_mb"])
        print(f"{name:40s} {row['cold']['seconds']:8.1f} {row['warm']['seconds']:8.1f} {peak:8d}")
    print(f"{'whole series':40s} {totals['cold']:8.1f} {totals['warm']:8.1f}")
    print(f"machine: {machine}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"machine": machine, "chapters": table, "totals": totals}, indent=2) + "\n")


if __name__ == "__main__":
    main()
