"""Same seed, same numbers: in a fresh process, and for a whole chapter run twice ("Restart and run all").

The in-process checks live next to what they test (tests/test_training.py: the same seed gives the same loss
history; tests/test_generation.py: the same seed gives the same text whatever ran before). Here the same
holds across processes, where nothing is shared but the code and the seed.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import jupytext
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CHAPTER = ROOT / "notebooks" / "01_next_word_prediction.py"  # about a minute, no pretrained model needed

RUN_AND_REPORT = """
import json, torch
from helpers.generation import generate
from helpers.model import GPT, GPTConfig
from helpers.runtime import seed_everything
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import CharacterTokenizer
from helpers.training import TrainingConfig, train

torch.set_num_threads(1)
seed_everything(3)
text = TinyWorld(0).corpus_text(200)
tokenizer = CharacterTokenizer.train(text)
ids = torch.tensor(tokenizer.encode(text))
model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=32, dropout=0.1))
config = TrainingConfig(max_steps=20, batch_size=8, warmup_steps=2, eval_every=5, eval_batches=2, seed=3)
history = train(model, ids[:9000], ids[9000:], config, progress=False)
text, unseeded = generate(model, tokenizer, "alice ", 40, seed=1), generate(model, tokenizer, "", 20)
print(json.dumps({"val_loss": history.val_loss, "train_loss": history.train_loss, "text": text, "unseeded": unseeded}))
"""


def fresh_process_result() -> dict:
    done = subprocess.run([sys.executable, "-c", RUN_AND_REPORT], capture_output=True, text=True, timeout=300,
                          cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_the_same_seed_gives_the_same_losses_and_text_in_a_fresh_process():
    first, second = fresh_process_result(), fresh_process_result()
    assert first == second
    assert len(first["val_loss"]) == 5 and first["val_loss"][-1] < first["val_loss"][0]  # it did learn
    assert first["text"].startswith("alice ")


# --- a whole chapter, twice ------------------------------------------------------------------------------

TIMING = re.compile(r"\d+(?:\.\d+)?\s*(?:s|seconds|ms)\b")  # "in 0.12 s", "run time: 61 s"


def printed_numbers(source: Path) -> list[tuple[int, str]]:
    """Run a chapter in a fresh kernel; return (cell index, what it printed) for every cell that printed.

    Cells that time themselves (they call time.perf_counter) have their durations blanked out: only the wall
    clock may differ between runs. Pictures and widgets are left out; their numbers are printed too.
    """
    notebook = jupytext.read(source)
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(source.parent)}}).execute()
    printed = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        text = "".join(
            output.get("text", "") if output.output_type == "stream" and output.name == "stdout"
            else output.get("data", {}).get("text/plain", "") if output.output_type == "execute_result" else ""
            for output in cell.outputs
        )
        if "perf_counter" in cell.source:
            text = TIMING.sub("<duration>", text)
        if text:
            printed.append((index, text))
    return printed


@pytest.mark.slow
def test_restart_and_run_all_twice_gives_the_same_printed_numbers():
    first, second = printed_numbers(CHAPTER), printed_numbers(CHAPTER)
    assert sum(bool(re.search(r"\d\.\d", text)) for _, text in first) >= 10  # there are numbers to compare
    assert [index for index, _ in first] == [index for index, _ in second]
    for (index, one), (_, other) in zip(first, second, strict=True):
        assert one == other, f"cell {index} printed different numbers on a second run"
