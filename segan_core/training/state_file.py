"""``train_state.json`` read for ``--resume``: every field checked before any of it is used.

The engine restores the step, clocks, batch position, optimizer hyper-parameters and python/numpy RNG
states from it; a damaged or hand-edited file (strings for numbers, a list for the RNG, a 200k-deep
nesting) is one :class:`CheckpointError` naming the file and the field, never a traceback.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch.optim import Optimizer

from segan_core.errors import CheckpointError
from segan_core.readers import read_json

PYTHON_RNG_WORDS = 625  # random.getstate()[1]: 624 Mersenne Twister words + the position
NUMPY_RNG_WORDS = 624
WORD = 2**32


class _Bad(Exception):
    """One field is wrong: its path and what it should be."""


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)  # type: ignore[arg-type]


def _need(ok: bool, where: str, what: str) -> None:
    if not ok:
        raise _Bad(f"{where} must be {what}")


def _dict(value: object, where: str) -> Mapping[str, Any]:
    _need(isinstance(value, dict), where, "an object")
    return value  # type: ignore[return-value]


def _count(value: object, where: str, high: int | None = None) -> None:
    _need(_is_int(value) and value >= 0 and (high is None or value <= high), where,  # type: ignore[operator]
          f"an integer from 0{f' to {high}' if high is not None else ''}")


def _words(value: object, length: int, where: str) -> None:
    _need(isinstance(value, list) and len(value) == length and all(_is_int(w) and 0 <= w < WORD for w in value),
          where, f"a list of {length} 32-bit integers")


def _check_rng(rng: Mapping[str, Any]) -> None:
    py, npy = rng.get("python"), rng.get("numpy")
    _need(isinstance(py, list) and len(py) == 3, "rng.python", "[version, state, gauss]")
    _words(py[1], PYTHON_RNG_WORDS, "rng.python[1]")
    _need(_is_int(py[0]) and (py[2] is None or _is_number(py[2])), "rng.python", "[version, state, gauss]")
    _need(isinstance(npy, list) and len(npy) == 5 and npy[0] == "MT19937", "rng.numpy", "['MT19937', ...] of 5")
    _words(npy[1], NUMPY_RNG_WORDS, "rng.numpy[1]")
    _count(npy[2], "rng.numpy[2]", NUMPY_RNG_WORDS)
    _need(_is_int(npy[3]) and _is_number(npy[4]), "rng.numpy", "['MT19937', words, pos, has_gauss, gauss]")


def _like(saved: object, live: object, where: str) -> None:
    """A saved hyper-parameter has the kind of the live optimizer's (a number, a flag, a list of numbers)."""
    if isinstance(live, bool) or live is None:
        _need(saved is None or isinstance(saved, bool) or saved == live, where, "true, false or null")
    elif isinstance(live, (int, float)):
        _need(_is_number(saved), where, "a finite number")
    elif isinstance(live, (list, tuple)):
        _need(isinstance(saved, list) and len(saved) == len(live), where, f"a list of {len(live)}")
        for index, (item, model) in enumerate(zip(saved, live, strict=True)):  # type: ignore[arg-type]
            _like(item, model, f"{where}[{index}]")


def _check_optimizer(saved: object, optimizer: Optimizer, where: str) -> None:
    saved = _dict(saved, where)
    groups = saved.get("param_groups")
    _need(isinstance(groups, list) and len(groups) == len(optimizer.param_groups), f"{where}.param_groups",
          f"a list of {len(optimizer.param_groups)}")
    for index, (group, live) in enumerate(zip(groups, optimizer.param_groups, strict=True)):  # type: ignore[arg-type]
        group = _dict(group, f"{where}.param_groups[{index}]")
        params = group.get("params")
        _need(isinstance(params, list) and all(_is_int(p) for p in params), f"{where}.param_groups[{index}].params",
              "a list of integers")
        for key, value in live.items():
            if key != "params" and key in group:
                _like(group[key], value, f"{where}.param_groups[{index}].{key}")
    scalars = _dict(saved.get("scalars", {}), f"{where}.scalars")
    for index, values in scalars.items():
        _need(index.isdigit(), f"{where}.scalars", "keyed by parameter index")
        for key, value in _dict(values, f"{where}.scalars.{index}").items():
            _need(_is_number(value), f"{where}.scalars.{index}.{key}", "a finite number")


def check_train_state(state: object, optimizers: Mapping[str, Optimizer]) -> dict[str, Any]:
    """``state`` itself when every field the engine reads is of the right kind; else a ``_Bad`` naming it."""
    state = _dict(state, "the file")
    _count(state.get("step"), "step")
    for key in ("elapsed_s", "cpu_s"):
        _need(_is_number(state.get(key, 0.0)) and state.get(key, 0.0) >= 0, key, "a finite number, 0 or more")
    batches = _dict(state.get("batches"), "batches")
    _count(batches.get("epoch"), "batches.epoch")
    _count(batches.get("position"), "batches.position")
    saved = _dict(state.get("optimizers"), "optimizers")
    for name, optimizer in optimizers.items():
        _check_optimizer(saved.get(name), optimizer, f"optimizers.{name}")
    _check_rng(_dict(state.get("rng"), "rng"))
    return dict(state)


def read_train_state(path: Path, optimizers: Mapping[str, Optimizer]) -> dict[str, Any]:
    """The checked ``train_state.json`` of a run (bounded read, see :func:`check_train_state`)."""
    state = read_json(path, CheckpointError, "training state")
    try:
        return check_train_state(state, optimizers)
    except _Bad as exc:
        raise CheckpointError(f"{path} is damaged: {exc}; cannot resume from it") from None
