"""Which model and training configs a run uses: the one rule behind ``segan train ...`` and the Train view.

- resuming a run whose folder holds a ``config.json``: the saved configs, as they were;
- else starting from a trained style (``base``, the Train view's "fine-tune X"): that model's config
  and its recorded training config (the default preset's when it has none);
- else a preset (the machine's default when none is named), per kind of network.

Changes in ``new_model`` / ``new_train`` (and the ``bf16`` setting, resolved for this CPU) apply to
a new run only (a resumed run keeps its recipe, except a ``bf16`` given again, which a run that moved to
another CPU may need); ``always`` (threads, checkpoint cadence, ...) and
``max_steps`` apply to every run. A ``None`` value means "not set" and leaves the field alone. An
SE-GAN without its skeleton encoder has nothing for CRAM to attend to: unless an attention is named,
it uses SRAM.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from segan_core.config import BaselineConfig, ModelConfig, TrainConfig, from_dict, with_overrides
from segan_core.model.checkpoint import CONFIG_FILE, read_config
from segan_core.model.device import resolve_bf16
from segan_core.training.presets import (
    default_preset,
    get_baseline_preset,
    get_preset,
    get_skeleton_preset,
)

RunKind = Literal["segan", "skeleton-gan", "baseline"]


@dataclass(frozen=True)
class RunConfigs:
    model: ModelConfig | BaselineConfig
    train: TrainConfig
    resumed: bool  # the configs are the saved ones of the run in ``out``
    notes: list[str] = field(default_factory=list)  # choices made for the user (e.g. why bf16 is on/off)


def resolve_run_configs(
    kind: RunKind,
    out: Path,
    *,
    resume: bool = False,
    preset: str | None = None,
    base: Path | None = None,
    categories: int = 1,
    new_model: dict[str, Any] | None = None,
    new_train: dict[str, Any] | None = None,
    always: dict[str, Any] | None = None,
    max_steps: int | None = None,
    bf16: str | None = None,
) -> RunConfigs:
    """(model config, train config) of a run into ``out`` (see the module docstring for the rule)."""
    model_class = BaselineConfig if kind == "baseline" else ModelConfig
    resumed = resume and (Path(out) / CONFIG_FILE).is_file()
    model: ModelConfig | BaselineConfig
    if resumed:
        saved = read_config(out, kind=kind)
        model = from_dict(model_class, saved["model"], f"{out}/config.json model")
        train = from_dict(TrainConfig, saved["train"], f"{out}/config.json train")
    elif base is not None:
        saved = read_config(base, kind="segan")
        model = from_dict(ModelConfig, saved["model"], f"{base}/config.json model")
        train = get_preset(default_preset())[1]
        if "train" in saved:
            train = from_dict(TrainConfig, saved["train"], f"{base}/config.json train")
    elif kind == "baseline":
        model, train = get_baseline_preset(preset or default_preset(), categories)
    elif kind == "skeleton-gan":
        model, train = get_skeleton_preset(preset or default_preset())
    else:
        model, train = get_preset(preset or default_preset())
    notes: list[str] = []
    if not resumed:
        changes = dict(new_model or {})
        if (isinstance(model, ModelConfig) and changes.get("skeleton_encoder") is False
                and changes.get("attention") is None and model.attention == "cram"):
            changes["attention"] = "sram"
        model = with_overrides(model, **changes)
        train_changes = dict(new_train or {})
        if bf16 is not None:
            train_changes["bf16"], why = resolve_bf16(bf16)
            notes.append(why)
        train = with_overrides(train, **train_changes)
    elif bf16 is not None:  # asked for again on --resume: resolved for this CPU (a run may move between machines)
        resolved, why = resolve_bf16(bf16)
        if resolved != train.bf16:
            train = dataclasses.replace(train, bf16=resolved)
            notes.append(f"{why} (the run had it {'on' if not resolved else 'off'})")
    train = with_overrides(train, **(always or {}))
    if max_steps is not None:
        train = dataclasses.replace(train, max_steps=max_steps)
    return RunConfigs(model, train, resumed, notes)
