"""A model folder (``config.json`` + ``weights.safetensors``): validated, read and described.

"Is this a model folder?" has one answer, :func:`segan_core.resources.is_model_folder` (both files present:
the rule the model search path, the style catalogue and :meth:`ModelFolder.missing` all use; it sits in
``resources`` because finding a model by name needs it there). :class:`ModelFolder` says the rest: the style
registry, the batch exporter, the evaluator, the glyph classifier and the style catalogue read models through
it. It only reads files (no torch): loading the network is :mod:`segan_core.inference`'s job.

- :meth:`ModelFolder.missing`: the model files that are not there (empty for a model folder);
- :meth:`ModelFolder.validate`: a one-line error naming the folder and the missing files;
- :meth:`ModelFolder.read_config`: the checked ``config.json`` of a Segan checkpoint (format, version,
  kind, model shape caps), what every loader reads;
- :meth:`ModelFolder.describe`: kind, target name and a label for lists, never raising.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segan_core.config import validate_model_config
from segan_core.errors import CheckpointError, SeganError
from segan_core.readers import read_json
from segan_core.resources import MODEL_FILES

CHECKPOINT_FORMAT = "segan-checkpoint"
CHECKPOINT_VERSION = 1
WEIGHTS_FILE = "weights.safetensors"
CONFIG_FILE = "config.json"
STYLE_KINDS = ("segan", "baseline")  # kinds that turn Kai glyphs into a style (not the skeleton GAN)


@dataclass(frozen=True)
class ModelInfo:
    """What a list of models shows about one folder (from its config.json, best effort)."""

    kind: str | None  # "segan", "baseline", "skeleton-gan", ... (None: no kind recorded)
    target_name: str  # the style's name as recorded at training time, or the folder's name
    target: dict[str, Any]  # the config's data.target object ({} when absent)
    style_codes: int = 0  # > 1: a many-hands base (issue 32), which a writer is fitted from; not a style itself

    @property
    def is_style(self) -> bool:
        return self.kind in (None, *STYLE_KINDS) and not self.is_base

    @property
    def is_base(self) -> bool:
        return self.kind == "segan" and self.style_codes > 1  # ModelConfig.is_many_hands, read leniently


@dataclass(frozen=True)
class ModelFolder:
    path: Path

    def __init__(self, path: Path | str) -> None:
        object.__setattr__(self, "path", Path(path).expanduser())

    @property
    def config_path(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def weights_path(self) -> Path:
        return self.path / WEIGHTS_FILE

    @property
    def has_config(self) -> bool:
        """A ``config.json`` is there: the folder claims to be a model (or a training run)."""
        return self.config_path.is_file()

    def missing(self) -> list[str]:
        """The model files not in the folder (both when it does not exist)."""
        return [name for name in MODEL_FILES if not (self.path / name).is_file()]

    def validate(self, error: type[SeganError] = CheckpointError, what: str = "model folder") -> ModelFolder:
        """``self`` if both files are present, else ``error`` naming the folder and what is missing."""
        if not self.path.is_dir():
            raise error(f"{what} not found: {self.path}")
        missing = self.missing()
        if missing:
            raise error(f"{self.path} is not a {what} (missing {', '.join(missing)})")
        return self

    def raw_config(self) -> dict[str, Any]:
        """``config.json`` parsed but not checked; a clear error if it is missing or not JSON."""
        if not self.config_path.exists():
            raise CheckpointError(f"not a model folder (no {CONFIG_FILE}): {self.path}")
        data = read_json(self.config_path, CheckpointError, "model config")  # bounded; too deep is an error too
        if not isinstance(data, dict):
            raise CheckpointError(f"{self.config_path} is not a JSON object")
        return data

    def read_config(self, kind: str | None = None) -> dict[str, Any]:
        """The checked config of a Segan checkpoint: format, version, ``kind`` (when given), model caps."""
        folder, path = self.path, self.config_path
        if not folder.is_dir():
            raise CheckpointError(f"model folder not found: {folder}")
        if not path.is_file():
            raise CheckpointError(f"not a model folder (no {CONFIG_FILE}): {folder}")
        config = self.raw_config()
        if config.get("format") != CHECKPOINT_FORMAT:
            raise CheckpointError(f"{path} is not a Segan Studio checkpoint config")
        if config.get("version") != CHECKPOINT_VERSION:
            raise CheckpointError(
                f"{path} has checkpoint format version {config.get('version')}; this Segan Studio reads version "
                f"{CHECKPOINT_VERSION}"
            )
        if kind is not None and config.get("kind") != kind:
            raise CheckpointError(f"{folder} holds a '{config.get('kind')}' model, expected '{kind}'")
        validate_model_config(config, str(path))
        return config

    def describe(self) -> ModelInfo:
        """Kind and target of the model, read leniently (a damaged config gives an empty description)."""
        try:
            config = self.raw_config()
        except CheckpointError:
            config = {}
        data = config.get("data")
        target = data.get("target", {}) if isinstance(data, dict) else {}
        target = target if isinstance(target, dict) else {}
        kind = config.get("kind")
        model = config.get("model")
        codes = model.get("style_codes", 0) if isinstance(model, dict) else 0
        codes = codes if isinstance(codes, int) and not isinstance(codes, bool) else 0
        name = str(target.get("name") or self.path.name)
        return ModelInfo(str(kind) if kind is not None else None, name, target, codes)
