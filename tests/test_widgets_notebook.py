"""The labs inside a real kernel, as tools/build_notebooks.py runs the chapters (nbclient, widget state stored).

What a reader without widgets sees (GitHub, nbviewer) is the image/png next to each widget in the saved
notebook: it must be the lab's latest picture, also when later cells change the lab (a training run
ending, a setting changed from code).
"""

import base64
import hashlib

import nbformat
import pytest
from nbclient import NotebookClient

pytestmark = pytest.mark.slow

CELLS = [
    """\
import hashlib
import torch
torch.set_num_threads(1)
from helpers.model import GPT, GPTConfig
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import CharacterTokenizer
from helpers.training import TrainingConfig, train
from helpers.widgets import AttentionLab, TrainingDashboard
corpus = TinyWorld(0).corpus_text(100)
tokenizer = CharacterTokenizer.train(corpus)
ids = tokenizer.encode(corpus)
torch.manual_seed(0)
model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32))
dashboard = TrainingDashboard(tokenizer, "alice", sample_every=10, max_new_tokens=10)
dashboard""",
    """\
config = TrainingConfig(max_steps=20, batch_size=4, eval_every=5, eval_batches=1, warmup_steps=2)
history = train(model, ids[:5000], ids[5000:8000], config, callbacks=[dashboard], progress=False)""",
    """\
lab = AttentionLab(model, tokenizer, "alice is")
lab""",
    "lab.head.value = 2",
    "print(hashlib.sha256(dashboard.png).hexdigest(), hashlib.sha256(lab.png).hexdigest())",
]


def test_saved_notebook_keeps_each_labs_latest_picture(tmp_path):
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    NotebookClient(notebook, timeout=300, kernel_name="python3", store_widget_state=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert not [o for cell in outputs for o in cell if o.output_type == "error"]
    assert not [o for cell in outputs for o in cell if o.get("name") == "stderr"], "something printed a warning"
    dashboard_hash, lab_hash = outputs[4][0].text.split()
    for cell, expected in ((0, dashboard_hash), (2, lab_hash)):
        (shown,) = outputs[cell]
        assert "application/vnd.jupyter.widget-view+json" in shown.data
        assert hashlib.sha256(base64.b64decode(shown.data["image/png"])).hexdigest() == expected
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]
    assert state["state"], "widget state is stored, so nbviewer can draw the widgets too"
