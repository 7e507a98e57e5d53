"""Hand edits of one written glyph in the review (issue 31, fault 9): erase a speck, move, scale, baseline.

A :class:`CellEdit` is a small, resolution-free recipe kept in the review (``review.json``), never a
new picture: the import's own ``chars/<char>.png`` stays as it was, and :func:`apply_edit` redraws the
edited glyph whenever the reviewed glyphs are written (:func:`segan_core.scans.corrections.apply_review`)
or previewed. Images here are *ink* images (paper 0, ink up to 255), square, any size.

The edit, applied in this order:

1. **erase** — every connected ink blob (8-connected) that holds one of the seed points is removed; a
   seed is a click, stored as a fraction of the image (``x``, ``y`` in 0..1), so it names the same blob
   at any image size. A click beside thin ink takes the nearest blob within ``CLICK_RADIUS``.
2. **scale** — about the centre of the written ink's bounding box (the glyph before erasing, so
   removing a speck never shifts the rest).
3. **move** — ``dx``, ``dy`` as fractions of the em (right, down), and the **baseline** shift, a
   fraction of the em *up* (the glyph sits higher on the font's baseline; the two vertical moves add up).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import cv2
import numpy as np

from segan_core.errors import SeganError
from segan_core.glyphs.embox import EmBox

CLICK_RADIUS = 0.03  # a click this close to a blob (fraction of the image) erases it
MAX_SEEDS = 256
SCALE_RANGE = (0.25, 4.0)
MOVE_RANGE = (-1.0, 1.0)  # dx, dy, baseline: at most one em either way


@dataclass(frozen=True)
class CellEdit:
    """One glyph's edit (steps in the module docstring); the default changes nothing."""

    erase: tuple[tuple[float, float], ...] = ()
    scale: float = 1.0
    dx: float = 0.0
    dy: float = 0.0
    baseline: float = 0.0

    def __post_init__(self) -> None:
        check_edit(self)

    @property
    def is_identity(self) -> bool:
        return not self.erase and not self.moves

    @property
    def moves(self) -> bool:
        """Whether the glyph is scaled or shifted (not only erased)."""
        return self.scale != 1.0 or self.dx != 0.0 or self.dy != 0.0 or self.baseline != 0.0

    def to_json(self) -> dict:
        data: dict = {"erase": [[round(x, 5), round(y, 5)] for x, y in self.erase]}
        data.update({k: round(getattr(self, k), 5) for k in ("scale", "dx", "dy", "baseline")})
        return data

    @classmethod
    def from_json(cls, data: object) -> CellEdit:
        """The edit saved by :meth:`to_json`; ``SeganError`` (one line) for anything else."""
        if not isinstance(data, dict):
            raise SeganError(f"a cell edit must be an object, not {type(data).__name__}")
        unknown = set(data) - {"erase", "scale", "dx", "dy", "baseline"}
        if unknown:
            raise SeganError(f"unknown cell edit field {sorted(unknown)[0]!r}")
        seeds = data.get("erase", [])
        if not isinstance(seeds, list) or len(seeds) > MAX_SEEDS:
            raise SeganError(f"a cell edit's 'erase' must be a list of at most {MAX_SEEDS} [x, y] points")
        erase = tuple(_point(seed) for seed in seeds)
        values = {k: _number(data.get(k, 1.0 if k == "scale" else 0.0), k) for k in ("scale", "dx", "dy", "baseline")}
        return cls(erase, **values)


def check_edit(edit: CellEdit) -> None:
    """One-line ``SeganError`` for an edit out of range (scale 0.25-4, moves within one em, seeds in 0..1)."""
    if len(edit.erase) > MAX_SEEDS:
        raise SeganError(f"a cell edit erases at most {MAX_SEEDS} blobs, not {len(edit.erase)}")
    for x, y in edit.erase:
        if not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
            raise SeganError(f"an erased point must lie in the image (0..1), not ({x}, {y})")
    if not (isinstance(edit.scale, int | float) and SCALE_RANGE[0] <= edit.scale <= SCALE_RANGE[1]):
        raise SeganError(f"a cell edit's scale must be {SCALE_RANGE[0]}..{SCALE_RANGE[1]}, not {edit.scale}")
    for name in ("dx", "dy", "baseline"):
        value = getattr(edit, name)
        if not (isinstance(value, int | float) and MOVE_RANGE[0] <= value <= MOVE_RANGE[1]):
            raise SeganError(f"a cell edit's {name} must be {MOVE_RANGE[0]}..{MOVE_RANGE[1]} em, not {value}")


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise SeganError(f"a cell edit's {name} must be a number, not {value!r}")
    return float(value)


def _point(seed: object) -> tuple[float, float]:
    if not isinstance(seed, list | tuple) or len(seed) != 2:
        raise SeganError(f"an erased point must be [x, y], not {seed!r}")
    return _number(seed[0], "erase x"), _number(seed[1], "erase y")


def ink_blobs(ink: np.ndarray) -> np.ndarray:
    """Label image of the glyph's connected ink blobs (8-connected; 0 = paper)."""
    _, labels = cv2.connectedComponents((ink > 0).astype(np.uint8), connectivity=8)
    return labels


def blob_at(ink: np.ndarray, x: float, y: float, labels: np.ndarray | None = None) -> int:
    """The blob under the point (``x``, ``y``: fractions of the image), else the nearest one within
    ``CLICK_RADIUS``; 0: none."""
    labels = ink_blobs(ink) if labels is None else labels
    size = ink.shape[0]
    col, row = min(size - 1, max(0, int(x * size))), min(size - 1, max(0, int(y * size)))
    if labels[row, col]:
        return int(labels[row, col])
    reach = max(1, round(CLICK_RADIUS * size))
    top, left = max(0, row - reach), max(0, col - reach)
    window = labels[top:row + reach + 1, left:col + reach + 1]
    rows, cols = np.nonzero(window)
    if not len(rows):
        return 0
    distance = (rows + top - row) ** 2 + (cols + left - col) ** 2
    nearest = int(distance.argmin())
    return int(window[rows[nearest], cols[nearest]]) if distance[nearest] <= reach**2 else 0


def erased_mask(ink: np.ndarray, seeds: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Where the blobs the seeds name lie (bool, the image's shape)."""
    labels = ink_blobs(ink)
    chosen = {blob_at(ink, x, y, labels) for x, y in seeds} - {0}
    return np.isin(labels, list(chosen)) if chosen else np.zeros(ink.shape, bool)


def toggle_erase(edit: CellEdit, ink: np.ndarray, x: float, y: float) -> CellEdit:
    """A click on the written glyph: erase the blob there, or bring it back if it is erased already."""
    labels = ink_blobs(ink)
    blob = blob_at(ink, x, y, labels)
    if not blob:
        return edit
    kept = tuple(seed for seed in edit.erase if blob_at(ink, *seed, labels) != blob)
    if len(kept) < len(edit.erase):
        return replace(edit, erase=kept)
    return replace(edit, erase=(*edit.erase, (x, y)))


def ink_centre(ink: np.ndarray) -> tuple[float, float]:
    """Centre of the ink's bounding box in pixels (the image centre when there is no ink)."""
    rows, cols = np.nonzero(ink)
    if not len(rows):
        return (ink.shape[1] - 1) / 2, (ink.shape[0] - 1) / 2
    return (cols.min() + cols.max()) / 2, (rows.min() + rows.max()) / 2


def edit_matrix(ink: np.ndarray, edit: CellEdit) -> np.ndarray:
    """The 2x3 affine map of the edit's scale and moves, in pixels of ``ink``."""
    em = EmBox(ink.shape[0]).em_px if ink.shape[0] % 16 == 0 and ink.shape[0] >= 16 else ink.shape[0]
    cx, cy = ink_centre(ink)
    s = edit.scale
    tx = cx - s * cx + edit.dx * em
    ty = cy - s * cy + (edit.dy - edit.baseline) * em
    return np.array([[s, 0.0, tx], [0.0, s, ty]])


def apply_edit(ink: np.ndarray, edit: CellEdit) -> np.ndarray:
    """The edited ink image (same size, uint8, paper 0); the identity edit gives ``ink`` back unchanged."""
    if ink.ndim != 2 or ink.shape[0] != ink.shape[1]:
        raise SeganError(f"a glyph image must be square and grey, not {ink.shape}")
    out = ink
    if edit.erase:
        out = ink.copy()
        out[erased_mask(ink, edit.erase)] = 0
    if edit.moves:
        size = ink.shape[0]
        moved = cv2.warpAffine(out.astype(np.float32), edit_matrix(ink, edit), (size, size), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        out = np.clip(np.rint(moved), 0, 255).astype(np.uint8)
    return out
