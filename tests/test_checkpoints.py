"""Checkpoints: round trips, exact resume, interrupts (Ctrl-C, SIGKILL, a failing save) and damaged files."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import safetensors.torch
import torch

import helpers.checkpoints as checkpoints
from helpers.checkpoints import CheckpointError, has_checkpoint, load_checkpoint, save_checkpoint
from helpers.model import GPT, GPTConfig
from helpers.training import TrainingConfig, TrainingInterrupted, make_optimizer, train

VOCAB = 12
MODEL = dict(vocab_size=VOCAB, context_length=16, n_layer=1, n_head=2, n_embd=16)



def tiny_model(seed: int = 0, dropout: float = 0.1) -> GPT:
    torch.manual_seed(seed)
    return GPT(GPTConfig(**MODEL, dropout=dropout))


def pattern_ids(n: int = 3000) -> torch.Tensor:
    generator = torch.Generator().manual_seed(0)
    ids = torch.arange(n) % VOCAB
    noise = torch.randint(0, VOCAB, (n,), generator=generator)
    return torch.where(torch.rand(n, generator=generator) < 0.1, noise, ids)


IDS = pattern_ids()
CONFIG = TrainingConfig(max_steps=40, batch_size=8, learning_rate=1e-2, warmup_steps=4, eval_every=10,
                        eval_batches=2, checkpoint_every=5, seed=7)


def run(model, checkpoint_dir=None, callbacks=(), config=CONFIG):
    return train(model, IDS[:2500], IDS[2500:], config, checkpoint_dir=checkpoint_dir, callbacks=callbacks,
                 progress=False)


@pytest.fixture(scope="module")
def uninterrupted():
    """The reference: one run from start to end, dropout on (so the generator state must resume too)."""
    model = tiny_model()
    history = run(model)
    return history, model.state_dict()


def test_round_trip_keeps_weights_optimizer_history_and_generator_states(tmp_path):
    model = tiny_model()
    optimizer = make_optimizer(model, CONFIG)
    model(IDS[:16][None]).sum().backward()
    optimizer.step()
    rng = {"torch_cpu_rank0": torch.get_rng_state()}
    save_checkpoint(tmp_path, model, optimizer, 3, {"step": [3], "val_loss": [1.5]}, "gpt2",
                    training_config=CONFIG, rng_states=rng)
    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint.step == 3 and checkpoint.history == {"step": [3], "val_loss": [1.5]}
    assert checkpoint.model_config == GPTConfig(**MODEL, dropout=0.1).to_dict()
    assert checkpoint.training_config["seed"] == 7 and checkpoint.manifest["tokenizer"] == {"name": "gpt2"}
    assert torch.equal(checkpoint.rng_states()["torch_cpu_rank0"], rng["torch_cpu_rank0"])

    rebuilt = checkpoint.build_model()
    assert not rebuilt.training
    assert rebuilt.lm_head.weight is rebuilt.wte.weight  # tied weights stay tied
    model.eval()
    assert torch.equal(rebuilt(IDS[:16][None]), model(IDS[:16][None]))

    fresh_optimizer = make_optimizer(rebuilt, CONFIG)
    checkpoint.load_optimizer_state(fresh_optimizer)
    old, new = optimizer.state_dict()["state"], fresh_optimizer.state_dict()["state"]
    assert sorted(old) == sorted(new)
    for index, values in old.items():
        assert all(torch.equal(values[key], new[index][key]) for key in ("step", "exp_avg", "exp_avg_sq"))
    manifest = json.loads((tmp_path / "checkpoint.json").read_text())
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"].values())


def test_a_tokenizer_object_is_saved_inside_the_checkpoint(tmp_path):
    class RecordingTokenizer:
        def save(self, path):
            Path(path).write_text('{"kind": "test"}')

    save_checkpoint(tmp_path, tiny_model(), tokenizer_ref=RecordingTokenizer())
    checkpoint = load_checkpoint(tmp_path)
    assert checkpoint.file("tokenizer").read_text() == '{"kind": "test"}'


def test_only_the_latest_checkpoint_files_remain(tmp_path):
    model = tiny_model()
    for step in (1, 2, 3):
        save_checkpoint(tmp_path, model, make_optimizer(model, CONFIG), step, rng_states={"x": torch.zeros(2)})
    assert len(list(tmp_path.iterdir())) == 3  # manifest, weights, training state
    assert load_checkpoint(tmp_path).step == 3


def test_resuming_after_an_early_stop_matches_the_uninterrupted_run(tmp_path, uninterrupted):
    reference, reference_weights = uninterrupted
    first = run(tiny_model(), tmp_path, callbacks=[lambda event: event.step == 20 and event.stop()])
    assert first.step[-1] == 20 and load_checkpoint(tmp_path).step == 20
    model = tiny_model(seed=99)  # other initial weights: everything must come from the checkpoint
    history = run(model, tmp_path)
    assert history.as_dict() | {"elapsed": None} == reference.as_dict() | {"elapsed": None}
    assert all(torch.equal(model.state_dict()[k], v) for k, v in reference_weights.items())


def test_a_keyboard_interrupt_saves_a_checkpoint_and_resuming_matches(tmp_path, uninterrupted):
    reference, _ = uninterrupted

    def interrupt(event):
        if event.step == 30:
            raise KeyboardInterrupt

    with pytest.raises(TrainingInterrupted, match=f"step 30 of 40.*{tmp_path}") as caught:
        run(tiny_model(), tmp_path, callbacks=[interrupt])
    assert isinstance(caught.value, KeyboardInterrupt) and caught.value.history.step[-1] == 30
    assert load_checkpoint(tmp_path).step == 30
    assert run(tiny_model(), tmp_path).val_loss == reference.val_loss


def test_resuming_a_finished_run_changes_nothing(tmp_path, uninterrupted):
    reference, _ = uninterrupted
    run(tiny_model(), tmp_path)
    assert run(tiny_model(), tmp_path).val_loss == reference.val_loss


def test_resuming_may_extend_the_run_but_not_change_what_an_update_does(tmp_path):
    run(tiny_model(), tmp_path, config=TrainingConfig(**{**CONFIG.__dict__, "max_steps": 10}))
    longer = run(tiny_model(), tmp_path, config=TrainingConfig(**{**CONFIG.__dict__, "max_steps": 20}))
    assert longer.step == [0, 10, 20]
    with pytest.raises(ValueError, match="learning_rate"):
        run(tiny_model(), tmp_path, config=TrainingConfig(**{**CONFIG.__dict__, "learning_rate": 0.5}))
    other_model = GPT(GPTConfig(**{**MODEL, "n_embd": 32}))
    with pytest.raises(ValueError, match="new checkpoint_dir"):
        run(other_model, tmp_path)


@pytest.mark.parametrize("failing", ["save_file", "write_text_atomically"])
def test_a_save_that_fails_half_way_keeps_the_previous_checkpoint(tmp_path, monkeypatch, failing):
    model = tiny_model()
    optimizer = make_optimizer(model, CONFIG)
    save_checkpoint(tmp_path, model, optimizer, 5, rng_states={"x": torch.zeros(2)})
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def explode(*args, **kwargs):
        raise KeyboardInterrupt  # as if Ctrl-C arrived in the middle of writing

    if failing == "save_file":  # after the weights were written, while writing the optimizer state
        monkeypatch.setattr(safetensors.torch, "save_file", explode)
    else:  # every data file written, the manifest not yet
        monkeypatch.setattr(checkpoints, "write_text_atomically", explode)
    with torch.no_grad():
        model.wte.weight.add_(1.0)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(tmp_path, model, optimizer, 6, rng_states={"x": torch.zeros(2)})
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before
    assert load_checkpoint(tmp_path).step == 5


def corrupt(directory: Path, how: str) -> Path:
    manifest = directory / "checkpoint.json"
    weights = directory / json.loads(manifest.read_text())["files"]["model"]["path"]
    if how == "truncate weights":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
        return weights
    if how == "flip a byte":
        data = bytearray(weights.read_bytes())
        data[-1] ^= 0xFF
        weights.write_bytes(bytes(data))
        return weights
    if how == "delete weights":
        weights.unlink()
        return weights
    if how == "truncate manifest":
        manifest.write_text(manifest.read_text()[:100])
        return manifest
    if how == "edit manifest":
        manifest.write_text(manifest.read_text().replace('"step": 40', '"step": 4'))
        return manifest
    raise AssertionError(how)


@pytest.mark.parametrize(
    "how,message",
    [
        ("truncate weights", "truncated"),
        ("flip a byte", "sha256 differs"),
        ("delete weights", "missing"),
        ("truncate manifest", "truncated or damaged"),
        ("edit manifest", "altered"),
    ],
)
def test_damaged_checkpoints_are_refused_with_the_path_and_advice(tmp_path, how, message):
    run(tiny_model(), tmp_path)
    damaged = corrupt(tmp_path, how)
    with pytest.raises(CheckpointError, match=message) as caught:
        load_checkpoint(tmp_path)
    assert str(damaged) in str(caught.value) and "Delete the folder" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    with pytest.raises(CheckpointError):  # training does not silently start over on top of it
        run(tiny_model(), tmp_path)


def test_a_missing_checkpoint_says_so(tmp_path):
    assert not has_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="no checkpoint"):
        load_checkpoint(tmp_path)


def test_weights_that_do_not_fit_the_model_say_so(tmp_path):
    save_checkpoint(tmp_path, tiny_model())
    with pytest.raises(ValueError, match="do not fit"):
        load_checkpoint(tmp_path).load_weights(GPT(GPTConfig(**{**MODEL, "n_embd": 32})))


# A training script run in a subprocess, so that the tests can kill it for real. At the evaluation of step
# `block_at` it says "ready" and waits on its stdin: the parent signals it there, then writes a line, so the
# signal always arrives at the same step, however fast or busy the machine is.
SCRIPT = textwrap.dedent(
    """
    import sys
    import torch
    from helpers.model import GPT, GPTConfig
    from helpers.training import TrainingConfig, train

    directory, max_steps, block_at = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    torch.set_num_threads(1)
    generator = torch.Generator().manual_seed(0)
    ids = torch.arange(3000) % 12
    noise = torch.randint(0, 12, (3000,), generator=generator)
    ids = torch.where(torch.rand(3000, generator=generator) < 0.1, noise, ids)
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=12, context_length=16, n_layer=1, n_head=2, n_embd=16, dropout=0.1))
    config = TrainingConfig(max_steps=max_steps, batch_size=8, learning_rate=1e-2, warmup_steps=4, eval_every=2,
                            eval_batches=2, checkpoint_every=3, seed=7)

    def wait_for_the_parent(event):
        if event.step == block_at:
            print("ready", flush=True)
            sys.stdin.readline()  # returns when the parent, having signalled, writes a line

    history = train(model, ids[:2500], ids[2500:], config, checkpoint_dir=directory if directory != "-" else None,
                    callbacks=[wait_for_the_parent], progress=False)
    print(repr(history.val_loss[-1]))
    """
)


def run_script(tmp_path: Path, directory: str, max_steps: int = 60, block_at: int = -1) -> subprocess.Popen:
    script = tmp_path / "train_tiny.py"
    script.write_text(SCRIPT)
    command = [sys.executable, str(script), directory, str(max_steps), str(block_at)]
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def final_loss(process: subprocess.Popen) -> float:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return float(out.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("sig, saved_step", [(signal.SIGKILL, 9), (signal.SIGINT, 10)], ids=["SIGKILL", "SIGINT"])
def test_a_killed_or_interrupted_run_resumes_to_the_same_final_loss(tmp_path, sig, saved_step):
    reference = final_loss(run_script(tmp_path, "-"))
    directory = tmp_path / "run"
    process = run_script(tmp_path, str(directory), block_at=10)  # checkpoints at steps 3, 6 and 9
    assert process.stdout.readline().strip() == "ready", process.communicate()
    process.send_signal(sig)
    # then release it: after SIGKILL there is no one left to read; after SIGINT it ends step 10, saves and stops
    out, err = process.communicate(input="go\n", timeout=60)
    if sig == signal.SIGINT:
        assert "TrainingInterrupted" in err and "call train again" in err
    assert load_checkpoint(directory).step == saved_step  # the last checkpoint, or the step Ctrl-C ended
    assert final_loss(run_script(tmp_path, str(directory))) == reference
    assert load_checkpoint(directory).step == 60
    assert not [path for path in directory.iterdir() if path.name.endswith(".partial")]


def test_interrupt_handler_is_restored_after_training():
    before = signal.getsignal(signal.SIGINT)
    run(tiny_model(), config=TrainingConfig(**{**CONFIG.__dict__, "max_steps": 2}))
    assert signal.getsignal(signal.SIGINT) is before
    assert os.environ.get("ULLM_CACHE_DIR")  # tests never write into the repository
