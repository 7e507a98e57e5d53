"""Checkpoint folders: ``weights.safetensors`` + ``config.json``, and a separate resumable train state.

Nothing is ever unpickled. Loading checks the format name and version, the kind of model, and every
tensor name and shape, so a truncated, foreign or mismatched file gives one clear error.

Layout of a checkpoint folder::

    config.json               format, version, kind, model config, training config, data manifest hash, splits
    weights.safetensors       the inference network(s) (fp16 allowed)
    train_state.safetensors   every network, every optimizer tensor, RNG states (only while training)
    train_state.json          step, epoch position, optimizer hyper-parameters, python/numpy RNG
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file
from torch import nn

from segan_core.atomic import atomic_path, write_text_atomic
from segan_core.errors import CheckpointError
from segan_core.model_folder import CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CONFIG_FILE, WEIGHTS_FILE, ModelFolder

STATE_FILE = "train_state.safetensors"
STATE_JSON = "train_state.json"


SNAPSHOTS_DIR = "snapshots"
SNAPSHOT_PREFIX = "step-"


def snapshot_folder(out: Path, step: int) -> Path:
    """Where ``TrainConfig.keep_snapshots`` puts the inference files of the checkpoint at ``step``."""
    return out / SNAPSHOTS_DIR / f"{SNAPSHOT_PREFIX}{step:06d}"


def snapshot_step(folder: Path) -> int:
    """The step of a snapshot folder (:func:`snapshot_folder`'s inverse)."""
    return int(folder.name.removeprefix(SNAPSHOT_PREFIX))


def list_snapshots(out: Path | str) -> list[Path]:
    """A run's snapshot folders, oldest first."""
    folder = Path(out) / SNAPSHOTS_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"{SNAPSHOT_PREFIX}*") if (p / WEIGHTS_FILE).is_file())


def save_tensors_atomic(path: Path, tensors: dict[str, torch.Tensor], metadata: dict[str, str] | None = None) -> None:
    """Write ``weights.safetensors``-style files whole or not at all: a full disk is one line and the
    previous file (the last checkpoint) is untouched."""
    with atomic_path(path) as tmp:
        save_file({k: v.detach().contiguous().cpu() for k, v in tensors.items()}, str(tmp), metadata=metadata)


def load_tensors(path: Path) -> dict[str, torch.Tensor]:
    if not path.is_file():
        raise CheckpointError(f"checkpoint file missing: {path}")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError, RuntimeError) as exc:
        raise CheckpointError(f"checkpoint file is truncated or not a safetensors file: {path} ({exc})") from None


def module_tensors(prefix: str, module: nn.Module, dtype: torch.dtype | None = None) -> dict[str, torch.Tensor]:
    out = {}
    for name, tensor in module.state_dict().items():
        if dtype is not None and tensor.is_floating_point():
            tensor = tensor.to(dtype)
        out[f"{prefix}.{name}"] = tensor
    return out


def load_module(module: nn.Module, tensors: dict[str, torch.Tensor], prefix: str, source: Path) -> None:
    """Copy ``prefix.*`` tensors into ``module``; missing/extra names or shape mismatches are a clear error."""
    expected = module.state_dict()
    found = {k[len(prefix) + 1 :]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
    missing = sorted(set(expected) - set(found))
    extra = sorted(set(found) - set(expected))
    if missing or extra:
        detail = []
        if missing:
            detail.append(f"{len(missing)} tensors missing (e.g. {missing[0]})")
        if extra:
            detail.append(f"{len(extra)} unexpected (e.g. {extra[0]})")
        raise CheckpointError(f"{source} does not match its config.json for network '{prefix}': {', '.join(detail)}")
    for name, value in found.items():
        if value.shape != expected[name].shape:
            raise CheckpointError(
                f"{source}: tensor {prefix}.{name} has shape {tuple(value.shape)}, the config needs "
                f"{tuple(expected[name].shape)}"
            )
    module.load_state_dict({k: v.to(expected[k].dtype) for k, v in found.items()})


HEADER_KEYS = ("format", "version", "kind")  # what write_config puts before a config's body


def config_body(config: dict[str, Any], drop: tuple[str, ...] = ()) -> dict[str, Any]:
    """A read config without its header (:data:`HEADER_KEYS`) and the keys in ``drop``: what write_config takes."""
    return {k: v for k, v in config.items() if k not in HEADER_KEYS and k not in drop}


def write_config(folder: Path, kind: str, body: dict[str, Any]) -> None:
    config = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "kind": kind, **body}
    write_text_atomic(folder / CONFIG_FILE, json.dumps(config, ensure_ascii=False, indent=1))


def read_config(folder: Path | str, kind: str | None = None) -> dict[str, Any]:
    """The checked config.json of a checkpoint folder (see :meth:`ModelFolder.read_config`)."""
    return ModelFolder(folder).read_config(kind)


def set_config_entry(folder: Path, key: str, value: Any, kind: str | None = None) -> None:
    """Rewrite ``folder/config.json`` (atomically) with ``key`` set to ``value``, the rest as it was."""
    config = read_config(folder, kind)
    write_config(Path(folder), str(config["kind"]), {**config_body(config), key: value})


def weights_hash(folder: Path) -> str:
    """SHA-256 of weights.safetensors: identifies a model for caches and reports."""
    digest = hashlib.sha256()
    with open(folder / WEIGHTS_FILE, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- optimizer state <-> flat tensors + JSON ---------------------------------------------------------


def optimizer_tensors(prefix: str, optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict]:
    state = optimizer.state_dict()
    tensors = {}
    scalars: dict[str, dict[str, Any]] = {}
    for index, values in state["state"].items():
        for key, value in values.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{prefix}.{index}.{key}"] = value
            else:
                scalars.setdefault(str(index), {})[key] = value
    return tensors, {"param_groups": state["param_groups"], "scalars": scalars}


def load_optimizer(
    optimizer: torch.optim.Optimizer, prefix: str, tensors: dict[str, torch.Tensor], meta: dict, source: Path
) -> None:
    state: dict[int, dict[str, Any]] = {}
    for name, value in tensors.items():
        if not name.startswith(prefix + "."):
            continue
        index, key = name[len(prefix) + 1 :].split(".", 1)
        state.setdefault(int(index), {})[key] = value
    for index, values in meta.get("scalars", {}).items():
        state.setdefault(int(index), {}).update(values)
    try:
        optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})
    except (KeyError, ValueError) as exc:
        raise CheckpointError(f"{source}: optimizer '{prefix}' does not match the model ({exc})") from None
