"""No network and no disk space: the data and pretrained-model paths work with sockets blocked, and a full disk
never damages a learner's previous checkpoint or cached download (the message names the path and what to do).
"""

import errno
import shutil
from pathlib import Path

import pytest
import safetensors.torch
import torch

from helpers import downloads
from helpers.checkpoints import load_checkpoint, save_checkpoint
from helpers.downloads import REGISTRY, DownloadError, load
from helpers.files import sha256_of
from helpers.model import GPT, GPTConfig
from helpers.pretrained import pretrained
from helpers.tinyworld2 import TinyWorld
from helpers.tokenizers import BPETokenizer, CharacterTokenizer, load_tokenizer
from helpers.training import TrainingConfig, make_optimizer, train
from helpers.widgets import default_tokenizers
from helpers.windows import split_ids


def test_the_data_path_runs_without_network(no_network, isolated_cache, monkeypatch):
    monkeypatch.delenv("ULLM_MIRROR", raising=False)
    text = TinyWorld(0).corpus_text(200)
    assert TinyWorld(0).log_prob(text.split("\n")[0]) > -float("inf")
    bpe = BPETokenizer.train(text, 320)
    assert bpe.decode(bpe.encode(text)) == text
    bpe.save(isolated_cache / "bpe.json")
    assert load_tokenizer(isolated_cache / "bpe.json").encode(text) == bpe.encode(text)
    characters = CharacterTokenizer.train(text)
    train_ids, val_ids = split_ids(characters.encode(text))
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=characters.vocab_size, context_length=32))
    config = TrainingConfig(max_steps=4, batch_size=4, warmup_steps=1, eval_every=2, eval_batches=1)
    history = train(model, train_ids, val_ids, config, checkpoint_dir=isolated_cache / "run", progress=False)
    assert history.step == [0, 2, 4] and load_checkpoint(isolated_cache / "run").step == 4
    # the tokenizer lab's defaults leave GPT-2 out instead of failing when its files cannot be fetched
    assert set(default_tokenizers(n_documents=30, bpe_vocab_size=270)) == {"characters", "words", "BPE (270)"}


def test_the_pretrained_model_path_runs_without_network(no_network, tiny_recipe, monkeypatch):
    monkeypatch.delenv("ULLM_MIRROR", raising=False)
    model, tokenizer = pretrained(tiny_recipe.name, progress=False)  # trained here, offline
    again, _ = pretrained(tiny_recipe.name, progress=False)  # and loaded from the cache, offline
    assert model.config.vocab_size == tokenizer.vocab_size == tiny_recipe.vocab_size
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values(),
                                                 strict=True))


def test_an_uncached_download_without_network_says_what_to_do(no_network, isolated_cache, monkeypatch):
    monkeypatch.delenv("ULLM_MIRROR", raising=False)
    with pytest.raises(DownloadError) as caught:
        load("the-verdict.txt", progress=False)
    message = str(caught.value)
    destination = isolated_cache.resolve() / "downloads" / "the-verdict.txt"
    assert "Could not download the-verdict.txt" in message and "connect to the network" in message
    assert str(destination) in message and REGISTRY["the-verdict.txt"].sha256 in message  # where to put a copy
    assert list(destination.parent.iterdir()) == []


# --- a full disk -------------------------------------------------------------------------------------------


def disk_full(path) -> OSError:
    return OSError(errno.ENOSPC, "No space left on device", str(path))


def assert_names_the_path_and_what_to_do(error: BaseException, path: Path) -> None:
    message = str(error)
    assert str(path) in message, message
    assert "No space left on device" in message and "free some disk space" in message, message


@pytest.mark.parametrize("failing", ["weights", "manifest"])
def test_a_full_disk_during_a_checkpoint_save_keeps_the_previous_checkpoint(tmp_path, monkeypatch, failing):
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=12, context_length=16, n_layer=1, n_head=2, n_embd=16))
    optimizer = make_optimizer(model, TrainingConfig())
    save_checkpoint(tmp_path, model, optimizer, step=5)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    if failing == "weights":  # safetensors writes half of the weights, then the disk is full
        def half_then_full(tensors, filename, metadata=None):
            Path(filename).write_bytes(b"\0" * 100)
            raise disk_full(filename)

        monkeypatch.setattr(safetensors.torch, "save_file", half_then_full)
    else:  # every data file written; the disk fills while the manifest is written
        write_text = Path.write_text

        def manifest_fills_the_disk(self, data, *args, **kwargs):
            if self.name.startswith(".checkpoint.json"):
                write_text(self, data[:50], *args, **kwargs)
                raise disk_full(self)
            return write_text(self, data, *args, **kwargs)

        monkeypatch.setattr(Path, "write_text", manifest_fills_the_disk)
    with torch.no_grad():
        model.wte.weight.add_(1.0)
    with pytest.raises(OSError) as caught:
        save_checkpoint(tmp_path, model, optimizer, step=6)
    assert caught.value.errno == errno.ENOSPC
    assert_names_the_path_and_what_to_do(caught.value, tmp_path)
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before  # nothing new, nothing lost
    assert load_checkpoint(tmp_path).step == 5


def test_a_full_disk_during_training_stops_with_the_message_and_keeps_the_last_checkpoint(tmp_path, monkeypatch):
    ids = torch.arange(2000) % 12
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=12, context_length=16, n_layer=1, n_head=2, n_embd=16))
    config = TrainingConfig(max_steps=8, batch_size=4, warmup_steps=1, eval_every=4, eval_batches=1,
                            checkpoint_every=2)
    saves = []
    original = safetensors.torch.save_file

    def full_after_two_checkpoints(tensors, filename, metadata=None):
        saves.append(filename)
        if len(saves) > 4:  # two checkpoints of two files each fit on the disk
            raise disk_full(filename)
        return original(tensors, filename, metadata=metadata)

    monkeypatch.setattr(safetensors.torch, "save_file", full_after_two_checkpoints)
    with pytest.raises(OSError) as caught:
        train(model, ids[:1800], ids[1800:], config, checkpoint_dir=tmp_path, progress=False)
    assert_names_the_path_and_what_to_do(caught.value, tmp_path)
    assert load_checkpoint(tmp_path).step == 4


@pytest.mark.parametrize("source", ["mirror", "network"])
def test_a_full_disk_while_caching_a_download_keeps_the_cached_files(isolated_cache, monkeypatch, source):
    mirror = Path(downloads.os.environ["ULLM_MIRROR"])
    good = load("the-verdict.txt", progress=False)  # a file cached earlier
    good_bytes = good.read_bytes()

    if source == "mirror":
        def copy_half(source_path, destination, *args, **kwargs):
            Path(destination).write_bytes(Path(source_path).read_bytes()[:1000])
            raise disk_full(destination)

        monkeypatch.setattr(shutil, "copyfile", copy_half)
    else:
        monkeypatch.delenv("ULLM_MIRROR")
        payload = (mirror / "instruction-data.json").read_bytes()

        class Response:
            headers = {"Content-Length": str(len(payload))}

            def __init__(self):
                self.chunks = [payload[:65536], payload[65536:]]

            def read(self, size):
                return self.chunks.pop(0) if self.chunks else b""

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        monkeypatch.setattr(downloads.urllib.request, "urlopen", lambda url, timeout: Response())

        class FullDisk:
            """The file the download is written to: the disk fills at the first write."""

            def __init__(self, file, *args, **kwargs):
                self.file = file

            def write(self, data):
                raise disk_full(self.file)

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

        monkeypatch.setattr(downloads, "open", FullDisk, raising=False)
    with pytest.raises(OSError) as caught:
        load("instruction-data.json", progress=False)
    destination = isolated_cache.resolve() / "downloads" / "instruction-data.json"
    assert not isinstance(caught.value, DownloadError)  # not "connect to the network": the disk is the problem
    assert caught.value.errno == errno.ENOSPC
    assert_names_the_path_and_what_to_do(caught.value, destination)
    assert sorted(p.name for p in destination.parent.iterdir()) == ["the-verdict.txt"]  # no partial file
    assert good.read_bytes() == good_bytes and sha256_of(good) == REGISTRY["the-verdict.txt"].sha256

