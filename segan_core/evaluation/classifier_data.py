"""The glyph classifier's training data: fonts rendered once, then endless augmented batches for the engine.

Every font under ``fonts_dir/{source,print,brush}`` renders the *train*-split characters (no dev or
test character is ever shown to the classifier); a fixed share of the (font, character) glyphs is
kept aside for validation. A batch is a pure function of (seed, epoch, position), augmentation
included, so a resumed run draws exactly the batches an uninterrupted one would.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from segan_core.evaluation.checks import EvaluationError
from segan_core.jobs import CancelToken, Progress

FONT_GROUPS = ("source", "print", "brush")


def discover_fonts(fonts_dir: Path) -> list[tuple[str, Path]]:
    """``(group/file.ttf, path)`` for every font under fonts_dir/{source,print,brush}, sorted."""
    found = []
    for group in FONT_GROUPS:
        for path in sorted((fonts_dir / group).glob("*.[to]tf")):
            found.append((f"{group}/{path.name}", path))
    if not found:
        raise EvaluationError(f"no fonts found under {fonts_dir}/{{{','.join(FONT_GROUPS)}}}")
    return found


@dataclass(frozen=True)
class GlyphSet:
    """Every (font, character) glyph with real ink: uint8 images and their two labels."""

    images: np.ndarray  # (N, S, S) uint8 ink
    char_labels: np.ndarray  # (N,) int64 index into the characters
    font_labels: np.ndarray  # (N,) int64 index into the fonts
    fonts: tuple[tuple[str, str], ...]  # (group/file name, SHA-256) in label order

    def __len__(self) -> int:
        return len(self.images)

    def holdout(self, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
        """(train rows, validation rows): a seeded ``fraction`` of the glyphs (at least one) kept aside."""
        order = np.random.default_rng(seed).permutation(len(self))
        n_val = max(1, round(fraction * len(self)))
        return order[n_val:], order[:n_val]

    def fingerprint(self, chars: str, holdout: float) -> str:
        """SHA-256 of the fonts, the characters and the holdout: a resumed run must see the same data."""
        text = json.dumps({"fonts": self.fonts, "chars": chars, "holdout": holdout}, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


def render_training_set(
    fonts: list[tuple[str, Path]], chars: Sequence[str], size: int, cancel: CancelToken
) -> Generator[Progress, None, GlyphSet]:
    """Render ``chars`` in every font (a progress event and a cancel check per font); returns a GlyphSet."""
    from segan_core.glyphs.render import FontRenderer

    images, char_labels, font_labels, hashes = [], [], [], []
    for font_index, (name, path) in enumerate(fonts):
        cancel.raise_if_cancelled("classifier training")
        yield Progress("render", font_index, len(fonts), message=f"rendering {name}")
        renderer = FontRenderer(path)
        hashes.append((name, renderer.sha256))
        for char_index, char in enumerate(chars):
            image, missing = renderer.render_checked(char, size)
            if missing is None:
                images.append(image)
                char_labels.append(char_index)
                font_labels.append(font_index)
    if not images:
        where = fonts[0][1].parent.parent
        raise EvaluationError(f"none of the {len(chars)} characters has ink in the fonts under {where}")
    yield Progress("render", len(fonts), len(fonts), message=f"{len(images)} glyphs")
    return GlyphSet(np.stack(images), np.array(char_labels, np.int64), np.array(font_labels, np.int64), tuple(hashes))


def augment(x: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """Random affine (scale, rotation, shear, shift), stroke weight and blur on a (B,1,H,W) batch in [0, 1]."""
    import torch.nn.functional as F

    b = x.shape[0]

    def uniform(lo: float, hi: float) -> torch.Tensor:
        return torch.rand(b, generator=generator) * (hi - lo) + lo

    scale = uniform(0.85, 1.12)
    angle = uniform(-0.12, 0.12)
    shear = uniform(-0.15, 0.15)
    aspect = uniform(0.9, 1.1)
    tx, ty = uniform(-0.08, 0.08), uniform(-0.08, 0.08)
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(b, 2, 3)
    theta[:, 0, 0] = cos / (scale * aspect)
    theta[:, 0, 1] = (-sin + shear) / (scale * aspect)
    theta[:, 1, 0] = sin / scale
    theta[:, 1, 1] = cos / scale
    theta[:, 0, 2], theta[:, 1, 2] = tx, ty
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    x = F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)
    # stroke weight: dilate a third, erode a sixth
    pick = torch.rand(b, generator=generator)
    dilated = F.max_pool2d(x, 3, 1, 1)
    eroded = -F.max_pool2d(-x, 3, 1, 1)
    x = torch.where((pick < 0.33)[:, None, None, None], dilated, x)
    x = torch.where((pick > 0.83)[:, None, None, None], eroded, x)
    # light blur on a quarter
    blur = F.avg_pool2d(F.pad(x, (1, 1, 1, 1), mode="replicate"), 3, 1)
    x = torch.where((torch.rand(b, generator=generator) < 0.25)[:, None, None, None], blur, x)
    return x.clamp_(0.0, 1.0)


@dataclass
class ClassifierBatch:
    images: torch.Tensor  # (B, 1, S, S) float in [0, 1], augmented
    chars: torch.Tensor  # (B,) int64
    fonts: torch.Tensor  # (B,) int64

    def to(self, device: torch.device, channels_last: bool = False) -> ClassifierBatch:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        return ClassifierBatch(self.images.to(device, memory_format=fmt), self.chars.to(device), self.fonts.to(device))


def as_input(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, S, S) -> float (N, 1, S, S) in [0, 1], what the classifier reads."""
    return torch.from_numpy(images.astype(np.float32) / 255.0)[:, None]


class ClassifierBatches:
    """Shuffled, augmented batches over the training rows; every epoch covers each row once (the last batch
    of an epoch may be smaller). The engine's state/restore/next protocol."""

    def __init__(self, glyphs: GlyphSet, rows: np.ndarray, batch_size: int, seed: int) -> None:
        if len(rows) == 0:
            raise EvaluationError("no training glyphs left after the validation holdout")
        self.glyphs = glyphs
        self.rows = np.asarray(rows)
        self.batch_size = batch_size
        self.seed = seed
        self.epoch = 0
        self.position = 0
        self._order = self._epoch_order()

    @property
    def steps_per_epoch(self) -> int:
        return math.ceil(len(self.rows) / self.batch_size)

    def _epoch_order(self) -> np.ndarray:
        return self.rows[np.random.default_rng([self.seed, self.epoch]).permutation(len(self.rows))]

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def restore(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = self._epoch_order()

    def next(self) -> ClassifierBatch:
        if self.position >= self.steps_per_epoch:
            self.epoch += 1
            self.position = 0
            self._order = self._epoch_order()
        rows = self._order[self.position * self.batch_size : (self.position + 1) * self.batch_size]
        seed = int(np.random.default_rng([self.seed, self.epoch, self.position]).integers(2**62))
        self.position += 1
        images = augment(as_input(self.glyphs.images[rows]), torch.Generator().manual_seed(seed))
        return ClassifierBatch(
            images, torch.from_numpy(self.glyphs.char_labels[rows]), torch.from_numpy(self.glyphs.font_labels[rows])
        )
