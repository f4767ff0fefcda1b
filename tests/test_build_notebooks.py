"""The chapter build writes byte-stable notebooks: the same run gives the same file whatever ids the kernel drew."""

import importlib.util
import json
import uuid
from pathlib import Path

import nbformat

SPEC = importlib.util.spec_from_file_location(
    "build_notebooks", Path(__file__).resolve().parent.parent / "tools" / "build_notebooks.py")
build_notebooks = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(build_notebooks)


def executed_notebook() -> nbformat.NotebookNode:
    """A notebook as nbclient leaves it: random cell and widget ids, timestamps, a widget nothing shows."""
    box, slider, layout, orphan = (uuid.uuid4().hex for _ in range(4))
    cell = nbformat.v4.new_code_cell("lab", execution_count=1, metadata={"execution": {"iopub.status.busy": "now"}})
    cell.outputs = [nbformat.v4.new_output("display_data", data={
        build_notebooks.WIDGET_VIEW: {"model_id": box, "version_major": 2, "version_minor": 0}})]
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("# title"), cell])
    state = {
        orphan: {"model_name": "LayoutModel", "state": {}},
        box: {"model_name": "VBoxModel", "state": {"children": [f"IPY_MODEL_{slider}"]}},
        slider: {"model_name": "IntSliderModel", "state": {"layout": f"IPY_MODEL_{layout}", "value": 3}},
        layout: {"model_name": "LayoutModel", "state": {}},
    }
    notebook.metadata["widgets"] = {build_notebooks.WIDGET_STATE: {"state": state, "version_major": 2}}
    return notebook


def test_two_runs_with_different_random_ids_are_written_byte_for_byte_the_same():
    first, second = (build_notebooks.make_diffs_quiet(executed_notebook()) for _ in range(2))
    assert nbformat.writes(first) == nbformat.writes(second)
    assert nbformat.writes(build_notebooks.make_diffs_quiet(first)) == nbformat.writes(first)  # idempotent
    nbformat.validate(first)
    assert all("execution" not in cell.metadata for cell in first.cells)


def test_widgets_a_view_shows_stay_connected_and_those_nothing_shows_are_dropped():
    notebook = build_notebooks.make_diffs_quiet(executed_notebook())
    state = notebook.metadata["widgets"][build_notebooks.WIDGET_STATE]["state"]
    assert sorted(model["model_name"] for model in state.values()) == ["IntSliderModel", "LayoutModel", "VBoxModel"]
    shown = notebook.cells[1].outputs[0].data[build_notebooks.WIDGET_VIEW]["model_id"]
    assert state[shown]["model_name"] == "VBoxModel"
    references = build_notebooks.WIDGET_ID.findall(json.dumps(state))
    assert references and all(reference in state for reference in references)
