"""A small glyph classifier whose pooled features define the evaluator's Fréchet distance.

Trained on CPU from the fonts in ``shared/fonts`` (print, brush and the source Kai): one head names the
character, one names the font, so the 128-d pooled feature is sensitive to both content and style.
It only ever sees characters of the *train* split (``segan_core.data.split``), so no test character
is known to it. Shipped as ``models/evaluator/weights.safetensors`` + ``config.json``; reproduce it
with ``segan eval train-classifier`` (:mod:`.classifier_training`; the exact command is recorded in the config).

Two ``config.json`` formats load: the training engine's (``"format": "segan-checkpoint"``, ``"kind":
"classifier"``), which ``segan eval train-classifier`` writes, and the older ``"format":
"segan-glyph-classifier"`` of classifiers trained before it (the shipped ``models/evaluator``), whose
files are read as they are. Both hold the same ``model`` object and the same weights layout.

This feature space is the project's own: its Fréchet distances are *not* comparable to Inception FID.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from segan_core.errors import CheckpointError
from segan_core.evaluation.checks import EvaluationError
from segan_core.model_folder import CHECKPOINT_FORMAT, ModelFolder

CLASSIFIER_KIND = "classifier"  # the engine's config.json kind
LEGACY_FORMAT = "segan-glyph-classifier"  # config.json of classifiers trained before the engine (version 1)
LEGACY_VERSION = 1
INPUT_SIZE = 64


@dataclass(frozen=True)
class ClassifierConfig:
    """Shape of the network and its class lists: enough to rebuild it."""

    input_size: int = INPUT_SIZE
    widths: tuple[int, ...] = (32, 64, 128)
    feature_dim: int = 128
    chars: str = ""  # content classes, in head order
    fonts: tuple[str, ...] = ()  # style classes (font file names), in head order

    def to_json(self) -> dict:
        data = asdict(self)
        data["widths"] = list(self.widths)
        data["fonts"] = list(self.fonts)
        return data

    @classmethod
    def from_json(cls, data: dict) -> ClassifierConfig:
        return cls(
            input_size=int(data["input_size"]),
            widths=tuple(int(w) for w in data["widths"]),
            feature_dim=int(data["feature_dim"]),
            chars=str(data["chars"]),
            fonts=tuple(str(f) for f in data["fonts"]),
        )


def build_network(config: ClassifierConfig):
    """The CNN: a stride-2 stem and pool (64 -> 16 px), two conv stages with pooling, a last conv, global average
    pool, and two linear heads (character, font)."""
    import torch
    from torch import nn

    class GlyphNet(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            w = config.widths
            layers: list[nn.Module] = [
                nn.Conv2d(1, w[0], 5, stride=2, padding=2, bias=False), nn.BatchNorm2d(w[0]), nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            previous = w[0]
            for width in w[1:]:
                layers += [
                    nn.Conv2d(previous, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                    nn.Conv2d(width, width, 3, padding=1, bias=False), nn.BatchNorm2d(width), nn.ReLU(inplace=True),
                    nn.MaxPool2d(2),
                ]
                previous = width
            layers += [nn.Conv2d(previous, config.feature_dim, 3, padding=1, bias=False),
                       nn.BatchNorm2d(config.feature_dim), nn.ReLU(inplace=True)]
            self.body = nn.Sequential(*layers)
            self.dropout = nn.Dropout(0.2)
            self.char_head = nn.Linear(config.feature_dim, max(1, len(config.chars)))
            self.font_head = nn.Linear(config.feature_dim, max(1, len(config.fonts)))

        def features(self, x: torch.Tensor) -> torch.Tensor:
            return self.body(x).mean(dim=(2, 3))

        def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
            feats = self.features(x)
            dropped = self.dropout(feats)
            return feats, self.char_head(dropped), self.font_head(dropped)

    return GlyphNet()


def to_input(images: np.ndarray, size: int = INPUT_SIZE) -> np.ndarray:
    """uint8 ink images (N, S, S) -> float32 (N, 1, size, size) in [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 3:
        raise ValueError(f"expected (N, S, S) images, got shape {images.shape}")
    if images.shape[-1] != size:
        interp = cv2.INTER_AREA if images.shape[-1] > size else cv2.INTER_LINEAR
        images = np.stack([cv2.resize(img, (size, size), interpolation=interp) for img in images]) if len(images) \
            else np.zeros((0, size, size), np.uint8)
    return (images.astype(np.float32) / 255.0)[:, None]


# ---------------------------------------------------------------------------------------------- loading


class GlyphClassifier:
    """The trained classifier, in eval mode, turning glyph images into feature vectors."""

    def __init__(self, net, config: ClassifierConfig, folder: Path | None = None, meta: dict | None = None) -> None:
        self.net = net.eval()
        self.config = config
        self.folder = folder
        self.meta = meta or {}

    @classmethod
    def load(cls, folder: Path | str) -> GlyphClassifier:
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        model = ModelFolder(folder)
        folder, config_path, weights_path = model.path, model.config_path, model.weights_path
        missing = model.missing()
        if missing:
            raise EvaluationError(f"evaluator classifier file missing: {folder / missing[0]} "
                                  "(rebuild it with `segan eval train-classifier`)")
        meta = read_classifier_config(model)
        try:
            config = ClassifierConfig.from_json(meta["model"])
        except (KeyError, TypeError, ValueError) as exc:
            raise EvaluationError(f"glyph-classifier config is damaged: {config_path} ({exc})") from None
        try:
            state = load_file(str(weights_path))
        except (SafetensorError, OSError) as exc:
            raise EvaluationError(f"glyph-classifier weights are damaged: {weights_path} ({exc})") from None
        net = build_network(config)
        try:
            net.load_state_dict({k: v.float() for k, v in state.items()})
        except RuntimeError as exc:
            first = str(exc).splitlines()[0]
            raise EvaluationError(f"glyph-classifier weights do not match {config_path}: {first}") from None
        return cls(net, config, folder, meta)

    def features(self, images: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(N, S, S) uint8 ink images -> (N, feature_dim) float64 pooled features."""
        import torch

        x = to_input(images, self.config.input_size)
        out = np.zeros((len(x), self.config.feature_dim), np.float64)
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                batch = torch.from_numpy(x[start:start + batch_size])
                out[start:start + len(batch)] = self.net.features(batch).double().numpy()
        return out

    def predict(self, images: np.ndarray, batch_size: int = 256) -> tuple[list[str], list[str]]:
        """Predicted character and font for each image (characters only from the train split)."""
        import torch

        x = to_input(images, self.config.input_size)
        chars, fonts = [], []
        with torch.inference_mode():
            for start in range(0, len(x), batch_size):
                _, char_logits, font_logits = self.net(torch.from_numpy(x[start:start + batch_size]))
                chars += [self.config.chars[i] for i in char_logits.argmax(1).tolist()]
                fonts += [self.config.fonts[i] for i in font_logits.argmax(1).tolist()]
        return chars, fonts


def read_classifier_config(model: ModelFolder) -> dict[str, Any]:
    """The folder's config.json if it describes a glyph classifier, in either format (see the module doc)."""
    path = model.config_path
    try:
        meta = model.raw_config()
        if meta.get("format") == CHECKPOINT_FORMAT and meta.get("kind") == CLASSIFIER_KIND:
            return model.read_config(CLASSIFIER_KIND)  # the engine's checks: version, kind
    except CheckpointError as exc:
        raise EvaluationError(f"glyph-classifier config is damaged: {exc}") from None
    if meta.get("format") != LEGACY_FORMAT:
        raise EvaluationError(f"not a Segan glyph-classifier config: {path}")
    if meta.get("version") != LEGACY_VERSION:
        raise EvaluationError(f"{path} has glyph-classifier format version {meta.get('version')}; this Segan Studio "
                              f"reads version {LEGACY_VERSION}")  # fmt: skip
    return meta


_CACHE: dict[Path, GlyphClassifier] = {}


def default_classifier_dir() -> Path:
    from segan_core.resources import model_dir

    return model_dir("evaluator")  # one in a $SEGAN_MODELS_DIR folder first, else the shipped one


def load_classifier(folder: Path | str | None = None) -> GlyphClassifier:
    """The classifier in ``folder`` (default: the shipped ``models/evaluator``), loaded once per process."""
    folder = Path(folder) if folder is not None else default_classifier_dir()
    key = folder.resolve()
    if key not in _CACHE:
        _CACHE[key] = GlyphClassifier.load(folder)
    return _CACHE[key]


def forget_classifier(folder: Path | str) -> None:
    """Drop ``folder``'s cached classifier (it has just been retrained)."""
    _CACHE.pop(Path(folder).resolve(), None)
