"""Checkpoints: a learner's model, optimizer and progress saved so that nothing is lost and resuming is exact.

A checkpoint is a folder holding

checkpoint.json                       the manifest, written last: model config, step, history, training
                                      config, tokenizer reference, and the name, size and sha256 of every
                                      other file (plus a sha256 of the manifest itself)
model-<step>-<tag>.safetensors        the weights (tied weights stored once)
training-state-<step>-<tag>.safetensors  the optimizer's tensors and the random-number generator states
tokenizer-<step>-<tag>.json           the tokenizer, when one was given as an object

Saving writes new, uniquely named files first and the manifest last, replacing the old manifest in one
atomic rename; only then are the files of the previous checkpoint deleted. A save that dies half-way
(an exception, Ctrl-C, SIGKILL, a full disk) therefore leaves the previous manifest pointing at the
previous, complete files. Loading checks every size and checksum and raises a CheckpointError naming the
damaged file and what to do, instead of loading garbage.

A training run saves with `save_checkpoint` (every rank's `generator_states`, named by `states_of_ranks`) and
continues with `resume_training`, which refuses a checkpoint of another model or other settings.

Nothing here unpickles: tensors go through safetensors, everything else is JSON.
Simplified on purpose: one checkpoint per folder (the latest); no sharding of large models.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import safetensors.torch
import torch
from torch import nn

from helpers.files import atomic_path, sha256_of, write_text_atomically
from helpers.runtime import model_device

MANIFEST_NAME = "checkpoint.json"
FORMAT = "ullm-checkpoint"
VERSION = 1
_OWN_FILE_PREFIXES = ("model-", "training-state-", "tokenizer-")


class CheckpointError(ValueError):
    """A checkpoint is missing, truncated or altered; the message names the file and what to do."""


def has_checkpoint(directory: str | Path) -> bool:
    """True when `directory` holds a checkpoint manifest (intact or not), so training would resume from it."""
    return (Path(directory) / MANIFEST_NAME).is_file()


def save_checkpoint(
    directory: str | Path,
    model: nn.Module,
    optimizer: torch.optim.Optimizer | None = None,
    step: int = 0,
    history: Any = None,
    tokenizer_ref: Any = None,
    *,
    training_config: Any = None,
    rng_states: Mapping[str, torch.Tensor] | None = None,
) -> Path:
    """Save everything needed to use or resume a model, atomically; returns the manifest's path.

    tokenizer_ref: None, a name ("gpt2"), or a tokenizer object (saved inside the checkpoint).
    history: a training History (anything with `as_dict()`) or a plain dict of lists.
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch nn.Module (such as a helpers.model.GPT), got {type(model).__name__}.")
    if isinstance(step, bool) or not isinstance(step, int) or step < 0:
        raise ValueError(f"step must be a non-negative integer, got {step!r}.")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "step": step,
        "model_class": type(model).__name__,
        "model_config": config_as_dict(getattr(model, "config", None), "model.config"),
        "training_config": config_as_dict(training_config, "training_config") if training_config else None,
        "history": _history_dict(history),
        "tokenizer": None,
        "optimizer_param_groups": None,
        "files": {},
    }
    tag = f"{step:08d}-{secrets.token_hex(4)}"
    written: list[Path] = []
    try:
        path = directory / f"model-{tag}.safetensors"
        with atomic_path(path) as temporary:
            safetensors.torch.save_model(model, str(temporary))
        written.append(path)
        manifest["files"]["model"] = _describe(path)

        state_tensors: dict[str, torch.Tensor] = {}
        if optimizer is not None:
            tensors, manifest["optimizer_param_groups"], scalars = _flatten_optimizer(optimizer)
            state_tensors.update(tensors)
            manifest["optimizer_scalar_state"] = scalars
        for name, state in (rng_states or {}).items():
            state_tensors[f"rng.{name}"] = state.detach().cpu().contiguous()
        if state_tensors:
            path = directory / f"training-state-{tag}.safetensors"
            with atomic_path(path) as temporary:
                safetensors.torch.save_file(state_tensors, str(temporary))
            written.append(path)
            manifest["files"]["training_state"] = _describe(path)

        if isinstance(tokenizer_ref, str):
            manifest["tokenizer"] = {"name": tokenizer_ref}
        elif tokenizer_ref is not None:
            if not callable(getattr(tokenizer_ref, "save", None)):
                raise TypeError(f"tokenizer_ref must be a name such as 'gpt2' or a tokenizer; got {tokenizer_ref!r}.")
            path = directory / f"tokenizer-{tag}.json"
            written.append(path)
            tokenizer_ref.save(path)
            manifest["tokenizer"] = {"file": "tokenizer"}
            manifest["files"]["tokenizer"] = _describe(path)

        manifest["manifest_sha256"] = _manifest_digest(manifest)
        write_text_atomically(directory / MANIFEST_NAME, json.dumps(manifest, indent=1))
    except BaseException:
        for path in written:  # the old manifest still names the old files; drop the half-made new ones
            path.unlink(missing_ok=True)
        raise
    _remove_unreferenced_files(directory, {entry["path"] for entry in manifest["files"].values()})
    return directory / MANIFEST_NAME


@dataclass
class Checkpoint:
    """A verified checkpoint: its metadata, and methods that load its tensors into a model or optimizer."""

    directory: Path
    step: int
    model_config: dict
    history: dict
    training_config: dict | None
    manifest: dict

    def file(self, role: str) -> Path | None:
        """Path of the file with this role ("model", "training_state", "tokenizer"), or None."""
        entry = self.manifest["files"].get(role)
        return self.directory / entry["path"] if entry else None

    def load_weights(self, model: nn.Module) -> nn.Module:
        """Copy the saved weights into `model` (same architecture); returns the model."""
        try:
            device = str(model_device(model))
            safetensors.torch.load_model(model, str(self.file("model")), strict=True, device=device)
        except RuntimeError as error:
            raise ValueError(
                f"the weights in {self.directory} do not fit this {type(model).__name__} (saved config: "
                f"{self.model_config}); build the model from the same config, e.g. checkpoint.build_model().\n{error}"
            ) from None
        return model

    def build_model(self, factory: Callable[[dict], nn.Module] | None = None) -> nn.Module:
        """Build the saved model from its config (a helpers GPT unless `factory(config_dict)` says otherwise)."""
        if factory is None:
            if self.manifest.get("model_class") != "GPT":
                raise ValueError(
                    f"{self.directory} holds a {self.manifest.get('model_class')}, not a GPT; pass "
                    f"factory=lambda config: YourModel(...) to build it."
                )
            from helpers.model import GPT, GPTConfig

            factory = lambda config: GPT(GPTConfig(**config))
        model = self.load_weights(factory(dict(self.model_config)))
        model.eval()
        return model

    def load_optimizer_state(self, optimizer: torch.optim.Optimizer) -> None:
        """Restore the optimizer's moments and step counts, so the next update is the one a full run would make."""
        groups = self.manifest.get("optimizer_param_groups")
        if groups is None:
            raise ValueError(f"{self.directory} holds no optimizer state (it was saved without an optimizer).")
        state: dict[int, dict[str, Any]] = {}
        for key, tensor in self._state_tensors().items():
            if key.startswith("optimizer."):
                _, index, name = key.split(".", 2)
                state.setdefault(int(index), {})[name] = tensor
        for index, values in self.manifest.get("optimizer_scalar_state", {}).items():
            state.setdefault(int(index), {}).update(values)
        try:
            optimizer.load_state_dict({"state": state, "param_groups": groups})
        except ValueError as error:
            raise ValueError(
                f"the optimizer state in {self.directory} does not fit this optimizer: {error}. Build the optimizer "
                f"the same way (helpers.training.make_optimizer) for the same model."
            ) from None

    def rng_states(self) -> dict[str, torch.Tensor]:
        """The saved random-number generator states (name -> state tensor), empty when none were saved."""
        prefix = "rng."
        return {key[len(prefix) :]: value for key, value in self._state_tensors().items() if key.startswith(prefix)}

    def tokenizer(self):
        """The tokenizer saved with the model (None when none was recorded)."""
        reference = self.manifest.get("tokenizer")
        if reference is None:
            return None
        if "file" in reference:
            from helpers.tokenizers import load_tokenizer

            return load_tokenizer(self.file("tokenizer"))
        if reference.get("name") == "gpt2":
            from helpers.tokenizers import gpt2_tokenizer

            return gpt2_tokenizer()
        raise ValueError(f"{self.directory} refers to tokenizer {reference.get('name')!r}; load it yourself.")

    def _state_tensors(self) -> dict[str, torch.Tensor]:
        path = self.file("training_state")
        return safetensors.torch.load_file(str(path)) if path else {}


def load_checkpoint(directory: str | Path) -> Checkpoint:
    """Read and verify a checkpoint (sizes and sha256 of every file); raise CheckpointError if it is damaged."""
    directory = Path(directory)
    manifest_path = directory / MANIFEST_NAME
    advice = (
        f"Delete the folder {directory} and train again (or restore it from a copy); resuming from a damaged "
        f"checkpoint would give wrong numbers."
    )
    if not manifest_path.is_file():
        raise CheckpointError(
            f"There is no checkpoint in {directory} ({MANIFEST_NAME} is missing). Train with "
            f"checkpoint_dir={str(directory)!r} first, or check the path."
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CheckpointError(f"{manifest_path} is truncated or damaged ({error}). {advice}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise CheckpointError(f"{manifest_path} is not a helpers checkpoint manifest. {advice}")
    if manifest.get("version") != VERSION:
        raise CheckpointError(
            f"{manifest_path} has format version {manifest.get('version')!r}; this code reads version {VERSION}. "
            f"{advice}"
        )
    if manifest.get("manifest_sha256") != _manifest_digest(manifest):
        raise CheckpointError(f"{manifest_path} was altered after it was written (its checksum differs). {advice}")
    for role, entry in manifest["files"].items():
        path = directory / entry["path"]
        if not path.is_file():
            raise CheckpointError(f"{path} ({role}) is missing. {advice}")
        if path.stat().st_size != entry["bytes"]:
            raise CheckpointError(
                f"{path} ({role}) has {path.stat().st_size} bytes instead of {entry['bytes']}: it was truncated "
                f"or replaced. {advice}"
            )
        if sha256_of(path) != entry["sha256"]:
            raise CheckpointError(f"{path} ({role}) was altered: its sha256 differs from the manifest. {advice}")
    return Checkpoint(
        directory=directory,
        step=manifest["step"],
        model_config=manifest["model_config"],
        history=manifest["history"],
        training_config=manifest["training_config"],
        manifest=manifest,
    )


def generator_states() -> dict[str, torch.Tensor]:
    """This process's random-number generator states (dropout masks), to save with a training checkpoint."""
    states = {"torch_cpu": torch.get_rng_state()}
    if torch.cuda.is_available():
        states["torch_cuda"] = torch.cuda.get_rng_state()
    return states


def states_of_ranks(states: Sequence[Mapping[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """Every rank's generator states (rank 0's first) under one name each, as save_checkpoint stores them."""
    return {f"{name}_rank{rank}": state for rank, each in enumerate(states) for name, state in each.items()}


def resume_training(directory: str | Path, model: nn.Module, optimizer: torch.optim.Optimizer, training_config: Any,
                    *, may_change: Sequence[str] = (), rank: int = 0) -> Checkpoint:
    """Continue a run: check the checkpoint is of this model and these settings, then load its weights, the
    optimizer's state and this rank's generator states; the checkpoint holds the step and the history.

    Only the settings named in `may_change` (how long to go on, how often to look) may differ from the saved ones.
    """
    checkpoint = load_checkpoint(directory)
    own = config_as_dict(model.config) if hasattr(model, "config") else None
    if own is not None and own != checkpoint.model_config:
        raise ValueError(
            f"the checkpoint in {directory} is for a model with config {checkpoint.model_config}, not "
            f"{own}; use a new checkpoint_dir for a different model."
        )
    saved = checkpoint.training_config or {}
    changed = {
        name: (saved.get(name), value)
        for name, value in config_as_dict(training_config).items()
        if name not in may_change and saved.get(name) != value
    }
    if changed:
        raise ValueError(
            f"the checkpoint in {directory} was trained with other settings (saved, now): {changed}; "
            f"only {tuple(may_change)} may change when resuming. Use a new checkpoint_dir to start over."
        )
    checkpoint.load_weights(model)
    checkpoint.load_optimizer_state(optimizer)
    states = checkpoint.rng_states()
    if f"torch_cpu_rank{rank}" in states:
        torch.set_rng_state(states[f"torch_cpu_rank{rank}"])
    if torch.cuda.is_available() and f"torch_cuda_rank{rank}" in states:
        torch.cuda.set_rng_state(states[f"torch_cuda_rank{rank}"])
    return checkpoint


def config_as_dict(config: Any, what: str = "config") -> dict:
    """A configuration (dataclass, object with to_dict(), or mapping) as the JSON values a checkpoint stores."""
    if hasattr(config, "to_dict"):
        values = config.to_dict()
    elif dataclasses.is_dataclass(config) and not isinstance(config, type):
        values = dataclasses.asdict(config)
    elif isinstance(config, Mapping):
        values = dict(config)
    else:
        raise TypeError(f"{what} must be a dataclass (such as GPTConfig) or a dict, got {type(config).__name__}.")
    return json.loads(json.dumps(values))  # tuples become lists, as they will when read back


def _history_dict(history: Any) -> dict:
    if history is None:
        return {}
    if hasattr(history, "as_dict"):
        return history.as_dict()
    if isinstance(history, Mapping):
        return {key: list(values) for key, values in history.items()}
    raise TypeError(f"history must be a History or a dict of lists, got {type(history).__name__}.")


def _flatten_optimizer(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], list, dict]:
    """Split an optimizer state dict into named tensors (for safetensors) and JSON-ready settings."""
    state_dict = optimizer.state_dict()
    tensors, scalars = {}, {}
    for index, values in state_dict["state"].items():
        for name, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"optimizer.{index}.{name}"] = value.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(index), {})[name] = value
    groups = json.loads(json.dumps(state_dict["param_groups"]))  # tuples become lists; fails loudly if not JSON
    return tensors, groups, scalars


def _describe(path: Path) -> dict:
    return {"path": path.name, "bytes": path.stat().st_size, "sha256": sha256_of(path)}


def _manifest_digest(manifest: dict) -> str:
    body = {key: value for key, value in manifest.items() if key != "manifest_sha256"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode("utf-8")).hexdigest()


def _remove_unreferenced_files(directory: Path, keep: set[str]) -> None:
    """Delete earlier checkpoints' files and partial files left by a killed save (never anything else)."""
    for path in directory.iterdir():
        name = path.name.lstrip(".")
        ours = name.startswith(_OWN_FILE_PREFIXES) or name.startswith(MANIFEST_NAME)
        if ours and path.is_file() and path.name not in keep and path.name != MANIFEST_NAME:
            path.unlink(missing_ok=True)

