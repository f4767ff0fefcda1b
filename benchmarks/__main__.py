"""Run every benchmark in one go and print its figures: `python -m benchmarks [name ...]`."""

import importlib
import pkgutil
import sys
import time
from pathlib import Path


def main(selection: list[str]) -> None:
    names = sorted(m.name for m in pkgutil.iter_modules([str(Path(__file__).parent)]) if not m.name.startswith("_"))
    for name in selection or names:
        print(f"\n===== benchmarks/{name}.py =====", flush=True)
        started = time.perf_counter()
        importlib.import_module(f"benchmarks.{name}").main()
        print(f"({name}: {time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
