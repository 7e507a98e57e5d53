"""A writer's size and position on the em box, taken out for training and put back in the font (issue 32).

A hand written into template boxes sits at the writer's own size (often 75-85 % of the em) and a little off
centre. A model that starts from fonts filling the em would have to learn to shrink, which a few hundred
glyphs cannot teach it. So the fit trains on the writer's glyphs scaled and shifted by one transform for the
whole hand — the median over its characters of how their ink boxes differ from the source glyphs' — and the
model folder records that transform, which :meth:`Placement.apply` puts back on every generated glyph. One
transform for all characters keeps the writer's proportions between characters (a per-glyph fit would not).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from segan_core.errors import SeganError

INK = 128  # ink threshold for the boxes
MIN_PAIRS = 5  # fewer glyphs with ink than this: no placement is measured (identity)
LIMITS = {"scale": (0.3, 3.0), "dx": (-0.5, 0.5), "dy": (-0.5, 0.5)}


@dataclass(frozen=True)
class Placement:
    """Writer glyph = this transform of a source-placed glyph: scale about the image centre, then a shift.

    ``dx``, ``dy`` are in shares of the image side (so the same placement fits 64 and 256 px glyphs).
    """

    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0

    def __post_init__(self) -> None:
        for name, (low, high) in LIMITS.items():
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and low <= value <= high):
                raise SeganError(f"placement {name} must be a number in [{low}, {high}], got {value!r}")

    @property
    def is_identity(self) -> bool:
        return self.scale == 1.0 and self.dx == 0.0 and self.dy == 0.0

    def matrix(self, size: int) -> np.ndarray:
        centre = (size - 1) / 2
        shift_x = centre * (1 - self.scale) + self.dx * size
        shift_y = centre * (1 - self.scale) + self.dy * size
        return np.array([[self.scale, 0.0, shift_x], [0.0, self.scale, shift_y]], np.float64)

    def apply(self, images: np.ndarray) -> np.ndarray:
        """Put the writer's size and position on (N, size, size) uint8 ink images."""
        return images if self.is_identity else _warp(images, self.matrix(images.shape[-1]))

    def undo(self, images: np.ndarray) -> np.ndarray:
        """Take them off: the writer's glyphs as the source glyphs sit."""
        return images if self.is_identity else _warp(images, cv2.invertAffineTransform(self.matrix(images.shape[-1])))

    def to_json(self) -> dict[str, float]:
        return {"scale": round(self.scale, 4), "dx": round(self.dx, 4), "dy": round(self.dy, 4)}

    @classmethod
    def from_json(cls, data: object, where: str) -> Placement:
        if not isinstance(data, dict) or set(data) - set(LIMITS):
            raise SeganError(f"{where}: placement must be an object with scale, dx, dy")
        try:
            return cls(**data)
        except TypeError as exc:
            raise SeganError(f"{where}: placement {exc}") from None


def _warp(images: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    size = images.shape[-1]
    out = np.empty_like(images)
    for i, image in enumerate(images):
        out[i] = cv2.warpAffine(image, matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return out


def _box(image: np.ndarray) -> tuple[float, float, float] | None:
    """(centre x, centre y, mean of width and height) of the ink, or None without ink."""
    ys, xs = np.nonzero(image >= INK)
    if len(xs) == 0:
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return (x0 + x1 - 1) / 2, (y0 + y1 - 1) / 2, ((x1 - x0) + (y1 - y0)) / 2


def measure_placement(sources: np.ndarray, targets: np.ndarray) -> Placement:
    """The median transform from the source glyphs' ink boxes to the writer's (identity if too few glyphs)."""
    size = sources.shape[-1]
    centre = (size - 1) / 2
    scales, xs, ys = [], [], []
    for source, target in zip(sources, targets, strict=True):
        a, b = _box(source), _box(target)
        if a is None or b is None or a[2] < 2:
            continue
        scale = b[2] / a[2]
        scales.append(scale)
        xs.append((b[0] - (centre + scale * (a[0] - centre))) / size)
        ys.append((b[1] - (centre + scale * (a[1] - centre))) / size)
    if len(scales) < MIN_PAIRS:
        return Placement()
    clip = {name: (lambda v, lo=low, hi=high: min(hi, max(lo, v))) for name, (low, high) in LIMITS.items()}
    return Placement(
        clip["scale"](float(np.median(scales))), clip["dx"](float(np.median(xs))), clip["dy"](float(np.median(ys)))
    )
