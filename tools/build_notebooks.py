"""Rebuild chapter notebooks from their paired sources and execute them top to bottom.

Each chapter is edited as `notebooks/NN_topic.py` (jupytext "percent" format: reviewable diffs) and
committed both as that source and as `notebooks/NN_topic.ipynb` with the outputs of one clean run,
so GitHub shows its figures. Usage:

    python tools/build_notebooks.py                # every chapter
    python tools/build_notebooks.py 03 notebooks/05_building_an_llm.py   # some chapters
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import time
from pathlib import Path

import jupytext
import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_ID = re.compile(r"[0-9a-f]{32}")


def chapter_sources(selection: list[str]) -> list[Path]:
    """The paired .py sources named by number prefix or path (all of them when none is named)."""
    sources = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.py"))
    if not selection:
        return sources
    chosen = [s for s in sources if any(s.name.startswith(x) or s.resolve() == Path(x).resolve() for x in selection)]
    if not chosen:
        raise SystemExit(f"No chapter matches {selection}; chapters: {[s.name for s in sources]}")
    return chosen


def make_diffs_quiet(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop execution timestamps, name each cell after its source and each widget after its place, so a
    rebuild changes only what changed (the kernel gives cells and widgets random ids on every run)."""
    seen: dict[str, int] = {}
    for cell in notebook.cells:
        cell.metadata.pop("execution", None)
        digest = hashlib.sha256(cell.source.encode("utf-8")).hexdigest()[:12]
        seen[digest] = seen.get(digest, 0) + 1
        cell.id = digest if seen[digest] == 1 else f"{digest}-{seen[digest]}"
    return renamed_widgets(notebook)


def renamed_widgets(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """The notebook with only the widget models its outputs show, renamed in the order they are met: from each
    displayed widget, in cell order, through the models it refers to. Models nothing shows (replaced
    children, for example) are dropped: no view can render them."""
    saved = notebook.metadata.get("widgets", {}).get(WIDGET_STATE, {})
    state = saved.get("state", {})
    if not state:
        return notebook
    queue = [output.data[WIDGET_VIEW]["model_id"] for cell in notebook.cells for output in cell.get("outputs", [])
             if WIDGET_VIEW in output.get("data", {})]
    order: list[str] = []
    while queue:
        model = queue.pop(0)
        if model in state and model not in order:
            order.append(model)
            queue += WIDGET_ID.findall(json.dumps(state[model], sort_keys=True))
    saved["state"] = {model: state[model] for model in order}
    names = {model: hashlib.sha256(f"widget {i}".encode()).hexdigest()[:32] for i, model in enumerate(order)}
    text = WIDGET_ID.sub(lambda match: names.get(match.group(), match.group()), nbformat.writes(notebook))
    return nbformat.reads(text, as_version=4)


def build(source: Path) -> float:
    """Convert one source to .ipynb, execute it in a fresh kernel in notebooks/, save; return seconds."""
    notebook = jupytext.read(source)
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.metadata.setdefault("jupytext", {})["formats"] = "ipynb,py:percent"
    started = time.perf_counter()
    NotebookClient(
        notebook, timeout=900, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS)}},
        store_widget_state=True,
    ).execute()
    elapsed = time.perf_counter() - started
    nbformat.write(make_diffs_quiet(notebook), source.with_suffix(".ipynb"))
    return elapsed


def main(argv: list[str]) -> None:
    for source in chapter_sources(argv):
        print(f"{source.name}: executing ...", flush=True)
        print(f"{source.name}: done in {build(source):.0f} s", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
