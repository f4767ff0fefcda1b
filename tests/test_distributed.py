"""Data-parallel training under torchrun: two CPU processes (gloo) give the losses of one with the same global batch."""

import json
import os
import socket
import subprocess
import sys

import pytest

from helpers.runtime import REPOSITORY_ROOT

ARGUMENTS = ["--recipe", "tinyworld2-mini", "--max-steps", "12", "--eval-every", "4"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def run(command: list[str], history_path) -> dict:
    environment = dict(os.environ, GLOO_SOCKET_IFNAME="lo", MASTER_ADDR="127.0.0.1")
    result = subprocess.run(
        [*command, *ARGUMENTS, "--history", str(history_path)],
        cwd=REPOSITORY_ROOT, env=environment, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads(history_path.read_text())


@pytest.mark.slow
def test_two_processes_match_one_with_the_same_global_batch(tmp_path):
    module = ["-m", "helpers.train_distributed"]
    # The single process first: it also trains and caches the recipe's tokenizer for the two ranks.
    single = run([sys.executable, *module, "--threads", "1"], tmp_path / "single.json")
    torchrun = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--nnodes", "1",
                "--master_addr", "127.0.0.1", "--master_port", str(free_port())]
    parallel = run([*torchrun, *module, "--threads", "1"], tmp_path / "parallel.json")
    assert parallel["world_size"] == 2 and single["world_size"] == 1
    assert parallel["history"]["step"] == single["history"]["step"] == [0, 4, 8, 12]
    for name in ("train_loss", "val_loss"):
        assert parallel["history"][name] == pytest.approx(single["history"][name], rel=1e-4, abs=1e-4)
    assert single["history"]["val_loss"][-1] < single["history"]["val_loss"][0] - 0.2  # it did learn
