"""The labs in a real browser: JupyterLab 4 and Notebook 7 driven through Debian's Chromium with Playwright.

The test writes a small demo notebook (a character model trained for a few seconds, then every lab),
starts JupyterLab on 127.0.0.1 with a token, runs all cells, changes AttentionLab's head and
SamplingLab's temperature, and checks that the pictures changed, that no error or warning is shown, that
the saved notebook keeps a PNG next to each widget, and that the labs still read on the dark theme. It
then opens the same notebook in Notebook 7. Screenshots go to $ULLM_TEST_ARTIFACTS when set (CI can
keep them), else to pytest's temporary folder; the path is printed.

With CI=true the test runs or fails; elsewhere it skips only when Chromium (or Playwright) is missing.
"""

import base64
import hashlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.ui

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"
DONE = "ALL LABS READY"
TIMEOUT_MS = 120_000
# The notebook's kernel is connected and idle: JupyterLab's execution indicator says so, Notebook 7's kernel
# status shows no text then (it names the state only while starting, connecting or dead).
KERNEL_READY = """() => {
    const indicator = document.querySelector('.jp-Notebook-ExecutionIndicator');
    if (indicator) return indicator.dataset.status === 'idle';
    const status = document.querySelector('.jp-NotebookKernelStatus');
    return status !== null && status.textContent.trim() === '';
}"""

DEMO_CELLS = [
    """\
# A character model trained for a few seconds, with the dashboard as the training loop's callback.
import torch
from helpers.model import GPT, GPTConfig
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import CharacterTokenizer, WordTokenizer
from helpers.training import TrainingConfig, train
from helpers.widgets import AttentionLab, LogitLens, NextTokenLab, SamplingLab, TokenizerLab, TrainingDashboard
from helpers.windows import split_ids

corpus = TinyWorld(0).corpus_text(300)
tokenizer = CharacterTokenizer.train(corpus)
train_ids, val_ids = split_ids(tokenizer.encode(corpus))
torch.manual_seed(0)
model = GPT(GPTConfig.preset("tiny", vocab_size=tokenizer.vocab_size, context_length=64))
dashboard = TrainingDashboard(tokenizer, "alice is", sample_every=40, max_new_tokens=40)
dashboard""",
    """\
config = TrainingConfig(max_steps=80, batch_size=16, learning_rate=3e-3, warmup_steps=10, eval_every=20,
                        eval_batches=2)
history = train(model, train_ids, val_ids, config, callbacks=[dashboard], progress=False)""",
    'SamplingLab(model, tokenizer, "alice is reading a book . she", top_k=10, seed=0)',
    'AttentionLab(model, tokenizer, "chloe is picking flowers by the river . she smiles .")',
    'NextTokenLab(model, tokenizer, "bob is")',
    'TokenizerLab({"characters": tokenizer, "words": WordTokenizer.train(corpus)}, "alice is reading", '
    'compare="words")',
    'LogitLens(model, tokenizer, "the cat sat on the mat")',
    "import hashlib\nprint(hashlib.sha256(dashboard.png).hexdigest())",
    f"print({DONE!r})",
]


def demo_notebook() -> nbformat.NotebookNode:
    """The notebook the browser runs, built from the cells above (nothing to keep in sync on disk)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in DEMO_CELLS]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def playwright_api():
    """Playwright's sync API, or a skip (a failure under CI) naming what is missing."""
    reason = None
    if not CHROMIUM.is_file():
        reason = f"no Chromium at {CHROMIUM}: install it with `apt-get install chromium` to run the browser test"
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        reason = reason or "Playwright for Python is not installed (pip install -r requirements.txt)"
    if reason:
        if IN_CI:
            pytest.fail(f"CI=true but the browser test cannot run: {reason}")
        pytest.skip(reason)
    return sync_playwright


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("ULLM_TEST_ARTIFACTS") or tmp_path_factory.mktemp("artifacts")) / "browser"
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nbrowser screenshots: {folder}")
    return folder


@pytest.fixture(scope="module")
def jupyter(tmp_path_factory):
    """A JupyterLab server on a free local port with a token, serving a folder holding the demo notebook."""
    root = tmp_path_factory.mktemp("jupyter-root")
    home = tmp_path_factory.mktemp("jupyter-home")
    nbformat.write(demo_notebook(), root / "labs_demo.ipynb")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
    port, token = free_port(), os.urandom(16).hex()
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(home / "config"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(home / "workspaces"),
        OMP_NUM_THREADS="1",  # a tiny model trains fastest on one thread, especially on a busy machine
    )
    command = [
        sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--ServerApp.allow_root=True")  # CI containers run as root
    log = open(home / "server.log", "w")  # noqa: SIM115 - closed in the finaliser below
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited ({server.returncode}):\n{(home / 'server.log').read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not answer in 60 s:\n{(home / 'server.log').read_text()[-3000:]}")
                time.sleep(0.3)
        yield {"url": url, "token": token, "root": root, "log": home / "server.log"}
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def browser(playwright_api):
    with playwright_api() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def wait_for_new_picture(page, selector: str, old_source: str) -> None:
    """Wait until the lab's picture (an <img>) shows a different image than before."""
    page.wait_for_function(
        "([selector, old]) => { const img = document.querySelector(selector);"
        " return img && img.src !== old && img.complete && img.naturalWidth > 0; }",
        arg=[selector, old_source], timeout=TIMEOUT_MS,
    )


def changed_pixels(before: bytes, after: bytes) -> float:
    """The share of pixels that differ between two screenshots of the same area."""
    from PIL import Image, ImageChops

    first, second = (Image.open(io.BytesIO(png)).convert("RGB") for png in (before, after))
    if first.size != second.size:
        return 1.0
    difference = ImageChops.difference(first, second).convert("L").point(lambda v: 255 if v > 16 else 0)
    return sum(difference.histogram()[255:]) / (first.size[0] * first.size[1])


def assert_no_errors(page) -> None:
    """No traceback or stderr output, no widget that failed to show, no warning in any lab."""
    stderr = page.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    assert stderr.count() == 0, f"error output shown: {stderr.first.inner_text()[:2000]}"
    body = page.inner_text("body")
    assert "Error displaying widget" not in body and "Traceback" not in body
    warnings = [text for text in page.locator(".ullm-lab-notice").all_inner_texts() if "⚠" in text]
    assert not warnings, f"a lab shows a warning: {warnings}"


def run_all_cells(page) -> None:
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Run All Cells", exact=True).click()
    page.get_by_text(DONE, exact=True).last.wait_for(timeout=TIMEOUT_MS)
    # every lab has drawn its first picture
    page.wait_for_function("document.querySelectorAll('.ullm-lab-picture[src]').length >= 6", timeout=TIMEOUT_MS)


def test_labs_in_jupyterlab(jupyter, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{jupyter['url']}/lab/tree/labs_demo.ipynb?token={jupyter['token']}")
    page.get_by_text("| Idle").first.wait_for(timeout=TIMEOUT_MS)
    run_all_cells(page)
    assert_no_errors(page)
    page.screenshot(path=artifacts / "jupyterlab-all-cells.png", full_page=True)

    # AttentionLab: another head redraws the heatmap.
    attention = page.locator(".ullm-attention-lab")
    attention.scroll_into_view_if_needed()
    picture = ".ullm-attention-lab .ullm-lab-picture"
    before_source = page.get_attribute(picture, "src")
    before = attention.screenshot(path=artifacts / "attention-head-0.png")
    attention.locator(".ullm-head select").select_option(label="head 1")
    wait_for_new_picture(page, picture, before_source)
    after = attention.screenshot(path=artifacts / "attention-head-1.png")
    assert changed_pixels(before, after) > 0.001, "the attention picture did not change with the head"

    # SamplingLab: a higher temperature re-weights the bars.
    sampling = page.locator(".ullm-sampling-lab")
    sampling.scroll_into_view_if_needed()
    picture = ".ullm-sampling-lab .ullm-lab-picture"
    before_source = page.get_attribute(picture, "src")
    before = sampling.screenshot(path=artifacts / "sampling-temperature-1.png")
    track = sampling.locator(".ullm-temperature .noUi-target").bounding_box()
    page.mouse.click(track["x"] + track["width"] * 0.85, track["y"] + track["height"] / 2)
    wait_for_new_picture(page, picture, before_source)
    after = sampling.screenshot(path=artifacts / "sampling-temperature-high.png")
    assert changed_pixels(before, after) > 0.001, "the sampling picture did not change with the temperature"
    readout = sampling.locator(".ullm-temperature .widget-readout").inner_text()
    assert float(readout) > 1.2, f"the temperature slider reads {readout}"
    assert_no_errors(page)

    # The saved notebook keeps a PNG of each lab next to its widget, for GitHub and nbviewer.
    page.keyboard.press("Control+s")
    page.wait_for_function("document.querySelector('.jp-mod-dirty') === null", timeout=TIMEOUT_MS)  # saved
    saved = nbformat.read(jupyter["root"] / "labs_demo.ipynb", as_version=4)
    bundles = [o.get("data", {}) for cell in saved.cells for o in cell.get("outputs", [])]
    widgets = [b for b in bundles if "application/vnd.jupyter.widget-view+json" in b]
    assert len(widgets) == 6 and all("image/png" in b for b in widgets), "a lab left no PNG in the notebook"
    # The dashboard was shown before training: the end of the run refreshed its saved PNG.
    final_picture = saved.cells[-2].outputs[0]["text"].strip()
    assert hashlib.sha256(base64.b64decode(widgets[0]["image/png"])).hexdigest() == final_picture
    assert not [o for cell in saved.cells for o in cell.get("outputs", []) if o.get("output_type") == "error"]

    # Dark theme: the labs keep their white picture, so they read the same.
    page.locator(".lm-MenuBar-itemLabel", has_text="Settings").first.click()
    page.locator(".lm-Menu-itemLabel").get_by_text("Theme", exact=True).hover()
    page.locator(".lm-Menu-itemLabel").get_by_text("JupyterLab Dark", exact=True).click()
    page.wait_for_function("document.body.dataset.jpThemeLight === 'false'", timeout=TIMEOUT_MS)
    attention.scroll_into_view_if_needed()
    dark = attention.screenshot(path=artifacts / "attention-dark-theme.png")
    from PIL import Image

    box = page.locator(".ullm-attention-lab .ullm-lab-picture").bounding_box()
    shot = Image.open(io.BytesIO(page.screenshot(clip=box))).convert("RGB")
    assert shot.getpixel((5, 5)) == (255, 255, 255), "the picture should keep its white background"
    assert dark and box["width"] > 400
    assert_no_errors(page)
    page.close()


def test_labs_in_notebook_7(jupyter, browser, artifacts):
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{jupyter['url']}/notebooks/labs_demo.ipynb?token={jupyter['token']}")
    page.locator(".jp-Notebook").first.wait_for(timeout=TIMEOUT_MS)
    page.wait_for_function(KERNEL_READY, timeout=TIMEOUT_MS)  # connected and idle: running all cells is safe
    run_all_cells(page)
    assert_no_errors(page)
    attention = page.locator(".ullm-attention-lab")
    attention.scroll_into_view_if_needed()
    picture = ".ullm-attention-lab .ullm-lab-picture"
    before_source = page.get_attribute(picture, "src")
    before = attention.screenshot(path=artifacts / "notebook7-attention-head-0.png")
    attention.locator(".ullm-head select").select_option(label="head 2")
    wait_for_new_picture(page, picture, before_source)
    after = attention.screenshot(path=artifacts / "notebook7-attention-head-2.png")
    assert changed_pixels(before, after) > 0.001
    page.screenshot(path=artifacts / "notebook7-all-cells.png", full_page=True)
    page.close()

