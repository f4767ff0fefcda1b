"""Hugging Face GPT-2 and the helpers GPT give the same logits both ways; loading fails clearly offline."""

import json
import socket

import pytest
import torch
from transformers import GPT2Config, GPT2LMHeadModel

from helpers import gpt2_interop
from helpers.downloads import DownloadError
from helpers.gpt2_interop import (
    from_hf_model,
    from_pretrained,
    gpt_config_from_hf,
    save_hf_directory,
    to_hf_model,
)
from helpers.model import GPT, GPTConfig

# Random small shapes: widths, heads, depths, vocabularies and tying all vary.
CONFIGS = [
    dict(vocab_size=97, n_positions=32, n_embd=32, n_layer=2, n_head=4, tie_word_embeddings=True),
    dict(vocab_size=50, n_positions=20, n_embd=48, n_layer=3, n_head=3, tie_word_embeddings=False),
    dict(vocab_size=211, n_positions=64, n_embd=64, n_layer=1, n_head=8, tie_word_embeddings=True),
    dict(vocab_size=13, n_positions=16, n_embd=24, n_layer=4, n_head=2, tie_word_embeddings=False),
]


def hf_model(seed, attn_implementation="eager", **config):
    torch.manual_seed(seed)
    hf_config = GPT2Config(bos_token_id=None, eos_token_id=None, **config)
    hf_config._attn_implementation = attn_implementation
    model = GPT2LMHeadModel(hf_config).eval()
    with torch.no_grad():  # non-zero biases and LayerNorm parameters, so every mapping is exercised
        for name, parameter in model.named_parameters():
            if name.endswith("bias") or ".ln_" in name:
                parameter.add_(0.1 * torch.randn_like(parameter))
    return model


def random_ids(vocab_size, length, batch=3, seed=0):
    return torch.randint(0, vocab_size, (batch, length), generator=torch.Generator().manual_seed(seed))


@pytest.mark.parametrize("attn_implementation", ["eager", "sdpa"])
@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_hf_weights_give_the_same_logits_in_helpers(index, attn_implementation):
    config = CONFIGS[index]
    reference = hf_model(index, attn_implementation, **config)
    model = from_hf_model(reference)
    assert model.num_parameters() == reference.num_parameters()
    ids = random_ids(config["vocab_size"], config["n_positions"])
    with torch.no_grad():
        torch.testing.assert_close(model(ids), reference(ids).logits, atol=1e-4, rtol=0)


@pytest.mark.parametrize("index", range(len(CONFIGS)))
def test_helpers_weights_give_the_same_logits_in_hf(index):
    config = CONFIGS[index]
    torch.manual_seed(index)
    model = GPT(gpt_config_from_hf(GPT2Config(**config))).eval()
    exported = to_hf_model(model)
    ids = random_ids(config["vocab_size"], config["n_positions"] // 2)
    with torch.no_grad():
        torch.testing.assert_close(exported(ids).logits, model(ids), atol=1e-4, rtol=0)
    back = from_hf_model(exported)
    for name, tensor in model.state_dict().items():
        assert torch.equal(back.state_dict()[name], tensor), name


def test_exported_directory_loads_in_transformers(tmp_path):
    torch.manual_seed(0)
    model = GPT(GPTConfig.preset("tiny", vocab_size=40, context_length=24)).eval()
    directory = save_hf_directory(model, tmp_path / "exported", eos_token_id=39)
    files = {path.name for path in directory.iterdir()}
    assert "model.safetensors" in files and "config.json" in files
    assert not any(name.endswith((".bin", ".pt", ".pth")) for name in files)
    assert json.loads((directory / "config.json").read_text())["eos_token_id"] == 39
    loaded = GPT2LMHeadModel.from_pretrained(directory).eval()
    ids = random_ids(40, 24)
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids).logits, model(ids), atol=1e-4, rtol=0)
        greedy = loaded.generate(ids[:1, :5], max_new_tokens=6, do_sample=False, pad_token_id=0)
    from helpers.generation import generate_ids

    assert generate_ids(model, ids[0, :5], 6, temperature=0) == greedy[0].tolist()


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(activation_function="relu"), "activation_function"),
        (dict(n_inner=100), "n_inner"),
        (dict(layer_norm_epsilon=1e-6), "layer_norm_epsilon"),
        (dict(scale_attn_by_inverse_layer_idx=True), "scale_attn_by_inverse_layer_idx"),
    ],
)
def test_gpt2_variants_the_model_does_not_have_are_refused(change, message):
    with pytest.raises(ValueError, match=message):
        gpt_config_from_hf(GPT2Config(n_embd=32, n_head=4, **change))


def test_export_needs_biases_and_a_valid_end_of_text():
    model = GPT(GPTConfig.preset("tiny", vocab_size=10, bias=False))
    with pytest.raises(ValueError, match="bias=True"):
        to_hf_model(model)
    with pytest.raises(ValueError, match="eos_token_id"):
        to_hf_model(GPT(GPTConfig.preset("tiny", vocab_size=10)), eos_token_id=10)


def test_from_pretrained_offline_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(DownloadError, match="HF_HUB_OFFLINE") as error:
        from_pretrained("gpt2", cache_dir=tmp_path / "hf-cache")
    assert "Connect to the internet" in str(error.value)


def test_from_pretrained_without_network_says_what_to_do(tmp_path, monkeypatch):
    import huggingface_hub

    def no_network(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'huggingface.co'")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(gpt2_interop, "hub_reachable", lambda: True)  # the server answers, then the download fails
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", no_network)
    with pytest.raises(DownloadError, match="could not be downloaded.*ConnectionError"):
        from_pretrained("gpt2", cache_dir=tmp_path)


def test_from_pretrained_with_the_hub_unreachable_answers_from_the_cache_at_once(tmp_path, monkeypatch):
    import huggingface_hub

    asked = []

    def cache_only(*args, local_files_only=False, **kwargs):
        asked.append(local_files_only)
        raise huggingface_hub.errors.LocalEntryNotFoundError("not in the cache")

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.setattr(gpt2_interop, "hub_reachable", lambda: False)
    monkeypatch.setattr(huggingface_hub, "hf_hub_download", cache_only)
    with pytest.raises(DownloadError, match="Hub cannot be reached and they are not in the cache"):
        from_pretrained("gpt2", cache_dir=tmp_path)
    assert asked == [True]  # the cache only: no download retried for half a minute


def test_hub_reachable_is_false_for_a_closed_port(monkeypatch):
    import huggingface_hub

    with socket.socket() as probe:  # a port nothing listens on: bind, then close
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(huggingface_hub.constants, "ENDPOINT", f"http://127.0.0.1:{port}")
    assert gpt2_interop.hub_reachable(timeout=1.0) is False


def test_from_pretrained_loads_from_the_hugging_face_cache_offline(tmp_path, monkeypatch):
    """A cache laid out as huggingface_hub lays it out, holding a small stand-in for "gpt2"."""
    reference = hf_model(0, **CONFIGS[0])
    snapshot = tmp_path / "models--openai-community--gpt2" / "snapshots" / ("0" * 40)
    reference.save_pretrained(snapshot)
    (tmp_path / "models--openai-community--gpt2" / "refs").mkdir()
    (tmp_path / "models--openai-community--gpt2" / "refs" / "main").write_text("0" * 40)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    model = from_pretrained("gpt2", cache_dir=tmp_path)
    ids = random_ids(97, 32)
    with torch.no_grad():
        torch.testing.assert_close(model(ids), reference(ids).logits, atol=1e-4, rtol=0)
    assert not model.training


def test_from_pretrained_names_the_models_it_knows():
    with pytest.raises(ValueError, match="gpt2-medium"):
        from_pretrained("gpt-3")
