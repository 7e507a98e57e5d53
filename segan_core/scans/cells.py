"""Cut the writing boxes out of a registered page and turn each into a clean ink glyph on the em box.

For one page:

1. :func:`working_page` — shrink the picture when it has far more pixels than the glyphs need (the
   homography is rescaled to match), then flatten its illumination into a *darkness* map
   (:mod:`segan_core.scans.cleanup`): shadows and grey paper become 0.
2. :func:`cut_cell` — one perspective warp per cell maps the box straight onto the em square of a
   ``size`` x ``size`` image (the box is the em square: the writer's size and position are kept).
   Everything outside the box, minus an inset that swallows the printed box line, is set to paper;
   so is the guide character (printed above the box). Rows/columns along the edges that are mostly
   dark are leftover box line and are erased. Then adaptive binarization and speck removal.
3. Checks per cell: ``empty`` (almost no ink) and ``touches-border`` (ink reaches the cut edge, so
   part of the character may be lost).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from segan_core.glyphs.embox import EmBox
from segan_core.scans.cleanup import LOW, binarize, darkness, paper_level, remove_specks
from segan_core.scans.registration import PageMatch
from segan_core.scans.template import BOX_MM, Cell

INSET_MM = 0.6  # cut this far inside the printed box line
EDGE_BAND_MM = 1.2  # leftover box line is looked for this far inside the cut
LINE_FRACTION = 0.6  # an edge row/column this dark along its length is box line, not writing
EMPTY_FRACTION = 0.002
STROKE_MM = 2.0


@dataclass(frozen=True)
class CellImage:
    """One writing box as a clean ink glyph (``size`` x ``size``, paper 0) and its checks."""

    cell: Cell
    ink: np.ndarray
    ink_fraction: float
    empty: bool
    touches_border: bool


def working_page(gray: np.ndarray, match: PageMatch, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(darkness map, homography)`` at a resolution just above what ``size`` px glyphs need."""
    needed = EmBox(size).em_px / BOX_MM
    homography = match.homography
    px_per_mm = match.px_per_mm
    if px_per_mm > 1.3 * needed:
        factor = 1.15 * needed / px_per_mm
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        homography = homography @ np.diag([1.0 / factor, 1.0 / factor, 1.0])
        px_per_mm *= factor
    paper = paper_level(gray, stroke_px=STROKE_MM * px_per_mm)
    return darkness(gray, paper), homography


def cut_cell(dark: np.ndarray, homography: np.ndarray, cell: Cell, size: int) -> CellImage:
    """One writing box as a clean glyph on the em box, with its checks.

    Steps: warp the box onto the em square (:func:`warp_cell`); keep only the inside of the box
    (``INSET_MM`` in from the printed line); erase leftover box line along the edges; binarize
    adaptively and drop specks; check for an empty box and for ink reaching the cut.
    """
    box = EmBox(size)
    warped = warp_cell(dark, homography, cell, size)
    inset = round(INSET_MM * box.em_px / cell.w)
    lo, hi = box.margin + inset, box.margin + box.em_px - inset
    inside = np.zeros_like(warped)
    inside[lo:hi, lo:hi] = warped[lo:hi, lo:hi]
    _erase_edge_lines(inside, lo, hi, round(EDGE_BAND_MM * box.em_px / cell.w))
    ink = remove_specks(binarize(inside), min_area=max(2, round((size / 64) ** 2 * 2)))
    solid = ink >= 128
    em_area = box.em_px**2
    return CellImage(
        cell=cell,
        ink=ink,
        ink_fraction=float(solid.sum() / em_area),
        empty=bool(solid.sum() < EMPTY_FRACTION * em_area),
        touches_border=_touches_cut(solid, lo, hi),
    )


def warp_cell(dark: np.ndarray, homography: np.ndarray, cell: Cell, size: int) -> np.ndarray:
    """The page (picture pixels, ``homography`` to mm) resampled so ``cell``'s box is the em square."""
    box = EmBox(size)
    scale = box.em_px / cell.w
    shift = box.margin - 0.5  # em edge at pixel *edge* ``margin``; OpenCV puts pixel centres at integers
    to_cell = np.array([[scale, 0, shift - cell.x * scale], [0, scale, shift - cell.y * scale], [0, 0, 1]])
    return cv2.warpPerspective(dark, to_cell @ homography, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)


def _touches_cut(solid: np.ndarray, lo: int, hi: int, ring: int = 2, min_pixels: int = 3) -> bool:
    """Whether ink lies within ``ring`` pixels of the cut edge (part of the writing may be lost)."""
    edge = solid[lo:hi, lo:hi].copy()
    edge[ring:-ring, ring:-ring] = False
    return bool(edge.sum() >= min_pixels)


def _erase_edge_lines(dark: np.ndarray, lo: int, hi: int, band: int) -> None:
    """Zero rows/columns near the cut edges that are dark along most of their length (box line)."""
    span = hi - lo
    region = dark[lo:hi, lo:hi] >= LOW
    rows = region.sum(axis=1) / span
    cols = region.sum(axis=0) / span
    for offset in list(range(band)) + list(range(span - band, span)):
        if rows[offset] > LINE_FRACTION:
            dark[lo + offset, lo:hi] = 0
        if cols[offset] > LINE_FRACTION:
            dark[lo:hi, lo + offset] = 0


def cut_page(gray: np.ndarray, match: PageMatch, cells: tuple[Cell, ...], size: int) -> list[CellImage]:
    """Every cell of one registered page."""
    dark, homography = working_page(gray, match, size)
    return [cut_cell(dark, homography, cell, size) for cell in cells]


def resize_ink(ink: np.ndarray, size: int) -> np.ndarray:
    """An ink glyph at another size (area averaging down, cubic up); paper stays 0."""
    if ink.shape[0] == size:
        return ink
    interpolation = cv2.INTER_AREA if ink.shape[0] > size else cv2.INTER_CUBIC
    return np.clip(cv2.resize(ink, (size, size), interpolation=interpolation), 0, 255).astype(np.uint8)
