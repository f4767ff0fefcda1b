"""Hugging Face GPT-2 weights in and out of the helpers GPT (chapter 5).

The helpers GPT has GPT-2's architecture and GPT-2's parameter names, so converting is renaming plus one
twist: Hugging Face keeps GPT-2's linear layers as `Conv1D` modules whose weight is stored (in, out), the
transpose of torch's `nn.Linear` (out, in). Everything else (embeddings, LayerNorms, biases) maps as is.

from_hf_model / to_hf_model        a transformers GPT2LMHeadModel <-> a helpers GPT, same logits
save_hf_directory                  a folder transformers' from_pretrained loads (config.json + safetensors)
from_pretrained("gpt2")            OpenAI's released weights from the Hugging Face Hub (cached by it)

Weights are read only from safetensors files, never from pickles. Simplified on purpose: GPT-2's three
dropout rates become the helpers model's single `dropout` (0.0 by default when loading: set it for
fine-tuning), and GPT-2 variants the helpers model does not implement are refused with the reason.
"""

from __future__ import annotations

import os
import socket
import urllib.parse
from pathlib import Path

import huggingface_hub
import torch
from safetensors.torch import load_file
from transformers import GPT2Config, GPT2LMHeadModel

from helpers.downloads import DownloadError
from helpers.model import GPT, GPTConfig

# Parameters stored as Conv1D (in, out) in Hugging Face's GPT-2 and as nn.Linear (out, in) here.
TRANSPOSED = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
# Old checkpoints carry the causal mask as buffers; the helpers model builds its mask on the fly.
IGNORED = (".attn.bias", ".attn.masked_bias")
HUB_NAMES = {
    "gpt2": "openai-community/gpt2",
    "gpt2-medium": "openai-community/gpt2-medium",
    "gpt2-large": "openai-community/gpt2-large",
    "gpt2-xl": "openai-community/gpt2-xl",
}


def gpt_config_from_hf(hf_config: GPT2Config, *, dropout: float = 0.0) -> GPTConfig:
    """Translate a transformers GPT2Config, refusing the variants the helpers model does not have."""
    unsupported = {
        "activation_function": (
            hf_config.activation_function in ("gelu_new", "gelu_pytorch_tanh"),
            "gelu_new",
        ),
        "n_inner": (hf_config.n_inner in (None, 4 * hf_config.n_embd), None),
        "layer_norm_epsilon": (hf_config.layer_norm_epsilon == 1e-5, 1e-5),
        "scale_attn_weights": (hf_config.scale_attn_weights, True),
        "scale_attn_by_inverse_layer_idx": (not hf_config.scale_attn_by_inverse_layer_idx, False),
        "add_cross_attention": (not hf_config.add_cross_attention, False),
    }
    for name, (supported, expected) in unsupported.items():
        if not supported:
            raise ValueError(
                f"GPT2Config.{name}={getattr(hf_config, name)!r} is not GPT-2's architecture, which the "
                f"helpers model implements; use {name}={expected!r}."
            )
    return GPTConfig(
        vocab_size=hf_config.vocab_size,
        context_length=hf_config.n_positions,
        n_layer=hf_config.n_layer,
        n_head=hf_config.n_head,
        n_embd=hf_config.n_embd,
        dropout=dropout,
        bias=True,
        tie_weights=bool(hf_config.tie_word_embeddings),
    )


def hf_config_from_gpt(config: GPTConfig, *, eos_token_id: int | None = None) -> GPT2Config:
    """Describe a helpers configuration as a transformers GPT2Config (GPT-2 always has biases)."""
    if not config.bias:
        raise ValueError(
            "transformers' GPT-2 always has biases; only a model with bias=True can be exported."
        )
    if eos_token_id is not None and not 0 <= eos_token_id < config.vocab_size:
        raise ValueError(f"eos_token_id={eos_token_id} is outside the vocabulary [0, {config.vocab_size}).")
    return GPT2Config(
        vocab_size=config.vocab_size,
        n_positions=config.context_length,
        n_embd=config.n_embd,
        n_layer=config.n_layer,
        n_head=config.n_head,
        resid_pdrop=config.dropout,
        embd_pdrop=config.dropout,
        attn_pdrop=config.dropout,
        activation_function="gelu_new",
        tie_word_embeddings=config.tie_weights,
        bos_token_id=eos_token_id,
        eos_token_id=eos_token_id,
    )


def state_dict_from_hf(hf_state_dict: dict[str, torch.Tensor], config: GPTConfig) -> dict[str, torch.Tensor]:
    """Rename (and un-transpose) a GPT-2 state dict from transformers into the helpers GPT's names."""
    converted = {}
    for name, tensor in hf_state_dict.items():
        name = name.removeprefix("transformer.")
        if name.endswith(IGNORED):
            continue
        converted[name] = tensor.t().contiguous() if name.endswith(TRANSPOSED) else tensor
    if config.tie_weights and "wte.weight" in converted:
        # The head is the embedding: take the embedding, whatever copy of the head the file holds.
        converted["lm_head.weight"] = converted["wte.weight"]
    return converted


def state_dict_to_hf(model: GPT) -> dict[str, torch.Tensor]:
    """Rename (and transpose) a helpers GPT's parameters into transformers' GPT2LMHeadModel names."""
    converted = {}
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach()
        hf_name = name if name == "lm_head.weight" else f"transformer.{name}"
        converted[hf_name] = tensor.t().contiguous() if name.endswith(TRANSPOSED) else tensor
    return converted


def from_hf_model(hf_model: GPT2LMHeadModel, *, dropout: float = 0.0) -> GPT:
    """Copy a transformers GPT2LMHeadModel into a helpers GPT that gives the same logits."""
    config = gpt_config_from_hf(hf_model.config, dropout=dropout)
    return _load_converted(config, hf_model.state_dict(), source=type(hf_model).__name__)


def to_hf_model(model: GPT, *, eos_token_id: int | None = None) -> GPT2LMHeadModel:
    """Copy a helpers GPT into a transformers GPT2LMHeadModel (in eval mode) that gives the same logits."""
    hf_model = GPT2LMHeadModel(hf_config_from_gpt(model.config, eos_token_id=eos_token_id))
    hf_model.load_state_dict(state_dict_to_hf(model), strict=True)
    return hf_model.eval()


def save_hf_directory(model: GPT, directory: str | Path, *, eos_token_id: int | None = None) -> Path:
    """Write a helpers GPT as a Hugging Face folder that `GPT2LMHeadModel.from_pretrained` loads."""
    directory = Path(directory)
    # transformers writes config.json, generation_config.json and model.safetensors (never a pickle).
    to_hf_model(model, eos_token_id=eos_token_id).save_pretrained(directory)
    return directory


def from_pretrained(name: str = "gpt2", *, cache_dir: str | Path | None = None, dropout: float = 0.0) -> GPT:
    """Load OpenAI's GPT-2 weights ("gpt2" ... "gpt2-xl") from the Hugging Face Hub into a helpers GPT."""
    if name not in HUB_NAMES and name not in HUB_NAMES.values():
        raise ValueError(f"unknown GPT-2 model {name!r}; choose one of {sorted(HUB_NAMES)}.")
    repo_id = HUB_NAMES.get(name, name)
    # Read the environment now (huggingface_hub reads it once, at import), so HF_HUB_OFFLINE set in a
    # running notebook still means "use only what is cached".
    switched_off = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    unreachable = not switched_off and not hub_reachable()
    offline = switched_off or unreachable
    paths = {}
    try:
        for filename in ("config.json", "model.safetensors"):
            paths[filename] = huggingface_hub.hf_hub_download(
                repo_id, filename, cache_dir=cache_dir, local_files_only=offline
            )
    except Exception as error:  # the hub raises file, HTTP and connection errors of many kinds
        where = ("HF_HUB_OFFLINE=1 and they are not in the cache" if switched_off else
                 "the Hugging Face Hub cannot be reached and they are not in the cache" if unreachable else
                 "they could not be downloaded")
        raise DownloadError(
            f"GPT-2 weights {repo_id!r} are not available: {where} ({type(error).__name__}). Connect to the "
            f"internet and run from_pretrained({name!r}) again (unset HF_HUB_OFFLINE), or copy a Hugging "
            f"Face cache that holds {repo_id} to {cache_dir or 'the default Hugging Face cache (HF_HOME)'}. "
            "The chapters' own models (helpers.pretrained) need no network."
        ) from error
    config = gpt_config_from_hf(GPT2Config.from_json_file(paths["config.json"]), dropout=dropout)
    return _load_converted(config, load_file(paths["model.safetensors"]), source=repo_id)


def hub_reachable(timeout: float = 3.0) -> bool:
    """Whether the Hugging Face Hub's server accepts a connection: without a network, from_pretrained reads only the
    cache instead of retrying its downloads for half a minute."""
    endpoint = urllib.parse.urlparse(huggingface_hub.constants.ENDPOINT)
    port = endpoint.port or (443 if endpoint.scheme == "https" else 80)
    try:
        with socket.create_connection((endpoint.hostname, port), timeout=timeout):
            return True
    except OSError:
        return False


def _load_converted(config: GPTConfig, hf_state_dict: dict[str, torch.Tensor], *, source: str) -> GPT:
    model = GPT(config)
    converted = state_dict_from_hf(hf_state_dict, config)
    missing = sorted(set(model.state_dict()) - set(converted))
    unexpected = sorted(set(converted) - set(model.state_dict()))
    if missing or unexpected:
        raise ValueError(
            f"{source} does not hold GPT-2 weights: missing {missing[:5]}, unexpected {unexpected[:5]}."
        )
    model.load_state_dict(converted, strict=True)
    return model.eval()
