"""Every committed chapter reads well on GitHub: a clean run's outputs, figures that exist, no machine paths."""

import json
import re
from pathlib import Path

import jupytext
import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def test_every_chapter_has_its_paired_source_and_the_readme_lists_exactly_these_chapters():
    sources = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.py"))
    assert NOTEBOOKS and [p.stem for p in NOTEBOOKS] == [p.stem for p in sources], "build every source"
    listed = re.findall(r"^\| \d \| \[`(\d\d_\w+)`\]", (ROOT / "README.md").read_text(), re.MULTILINE)
    assert listed == [p.stem for p in NOTEBOOKS]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_valid_and_committed_from_one_clean_run(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    errors = [o for cell in code for o in cell.outputs if o.output_type == "error"]
    assert not errors, f"{path.name} was committed with errors: {[e.ename for e in errors]}"
    widgets = notebook.metadata.get("widgets", {})
    assert all("state" in value for value in widgets.values()), "widget metadata lacks 'state'"
    state = widgets.get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    shown = [o.data["application/vnd.jupyter.widget-view+json"]["model_id"] for cell in code for o in cell.outputs
             if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    referenced = re.findall(r"IPY_MODEL_([0-9a-f]{32})", json.dumps(state))
    assert all(model in state for model in shown + referenced), "a widget view or reference has no saved model"
    timestamped = [cell.id for cell in notebook.cells if "execution" in cell.metadata]
    assert not timestamped, "cells carry execution timestamps (noise in diffs): build with tools/build_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_matches_its_paired_source(path):
    committed = [c.source for c in nbformat.read(path, as_version=4).cells]
    paired = [c.source for c in jupytext.read(path.with_suffix(".py")).cells]
    assert committed == paired, f"{path.name} differs from its .py source: run tools/build_notebooks.py"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_images_exist_and_no_absolute_paths(path):
    text = path.read_text(encoding="utf-8")
    for cell in json.loads(text)["cells"]:
        if cell["cell_type"] == "markdown":
            for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]+src=\"([^\"]+)\"", "".join(cell["source"])):
                target = next(t for t in target if t)
                assert not target.startswith(("http://", "https://", "/")), target
                assert (path.parent / target).resolve().is_file(), f"{path.name} shows a missing image {target}"
    assert not re.search(r"(?<![\w.])/(home|root|tmp|Users|work|mnt|opt)/[A-Za-z0-9_.-]", text), (
        f"{path.name} contains an absolute machine path"
    )
