"""Cut the writing boxes out of a registered page and turn each into a clean ink glyph on the em box.

For one page:

1. :func:`working_page` — shrink the picture when it has far more pixels than the glyphs need (the
   homography is rescaled to match), then flatten its illumination into a *darkness* map
   (:mod:`segan_core.glyphs.cleanup`): shadows and grey paper become 0; sharpen it by one picture
   pixel (hairlines and the narrow gaps of dense characters survive the blur of the scan or photo).
2. :func:`cut_cell` — one perspective warp per cell maps the box straight onto the em square of a
   ``size`` x ``size`` image (the box is the em square: the writer's size and position are kept).
   The printed box line is *divided out* (:func:`divide_out_box_line`): its darkness profile across
   each side is measured and removed as a filter, so ink touching the line keeps every pixel inside
   the box. Everything outside the box is set to paper; so is the guide character (printed above the
   box). Rows/columns along the edges that are still mostly grey are leftover box line and are erased.
   Then adaptive binarization and speck removal.
3. Checks per cell: ``empty`` (almost no ink) and ``touches-border`` (ink reaches the cut edge, so
   part of the character may be lost).

Issue 31, fault 9: tall characters written up to the box line (塞, 量 on a phone photo) lost their top.
Two causes, both fixed: the cut sat 0.6 mm inside the box to swallow the line, taking the top 0.45 mm
of ink that touched it; and a long horizontal stroke near the box (量's last stroke) was taken for the
box line, so the cell was stretched and its top pushed out of the box. The line is now the box-line-like
peak (narrow, set apart by paper) nearest to where the homography puts it, never a broad stroke.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from segan_core.glyphs.cleanup import LOW, STRONG, binarize, darkness, paper_level, remove_specks, sharpen
from segan_core.glyphs.embox import EmBox
from segan_core.scans.registration import PageMatch
from segan_core.scans.template import BOX_MM, Cell

INSET_MM = 0.0  # cut at the box edge (the printed line's centre): the line is divided out, not cut away
LINE_BAND_MM = 1.0  # the box line is divided out this far on either side of the box edge
LINE_MAX_DARKNESS = 150  # darkest line profile divided out (printed grey 150: ~105, sharpened ~130); ink stays
MAX_LINE_MM = 1.0  # a peak wider than this at half height is a stroke (or a stroke on the line), not the line
EDGE_BAND_MM = 0.6  # leftover box line is looked for this far inside the cut
LINE_FRACTION = 0.6  # an edge row/column this dark along its length is box line, not writing
EMPTY_FRACTION = 0.002
STROKE_MM = 2.0
SEARCH_MM = 2.0  # the printed box line is looked for this far around where the homography puts it
LINE_DARKNESS = 30  # median darkness along a box line (printed grey 150: ~100 when sharp)


@dataclass(frozen=True)
class CellImage:
    """One writing box as a clean ink glyph (``size`` x ``size``, paper 0) and its checks."""

    cell: Cell
    ink: np.ndarray
    ink_fraction: float
    empty: bool
    touches_border: bool


def working_page(gray: np.ndarray, match: PageMatch, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``(darkness map, homography)`` at a resolution just above what ``size`` px glyphs need, sharpened."""
    needed = EmBox(size).em_px / BOX_MM
    homography = match.homography
    px_per_mm = match.px_per_mm
    if px_per_mm > 1.3 * needed:
        factor = 1.15 * needed / px_per_mm
        gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
        homography = homography @ np.diag([1.0 / factor, 1.0 / factor, 1.0])
        px_per_mm *= factor
    paper = paper_level(gray, stroke_px=STROKE_MM * px_per_mm)
    return sharpen(darkness(gray, paper)), homography


def cut_cell(dark: np.ndarray, homography: np.ndarray, cell: Cell, size: int) -> CellImage:
    """One writing box as a clean glyph on the em box, with its checks.

    Steps: warp the box onto the em square (:func:`warp_cell`); divide the printed box line out
    (:func:`divide_out_box_line`); keep only the inside of the box; erase leftover box line along the
    edges; binarize adaptively and drop specks; check for an empty box and for ink reaching the cut.
    """
    box = EmBox(size)
    px_per_mm = box.em_px / cell.w
    warped = divide_out_box_line(warp_cell(dark, homography, cell, size), box, round(LINE_BAND_MM * px_per_mm))
    inset = round(INSET_MM * px_per_mm)
    lo, hi = box.margin + inset, box.margin + box.em_px - inset
    inside = np.zeros_like(warped)
    inside[lo:hi, lo:hi] = warped[lo:hi, lo:hi]
    _erase_edge_lines(inside, lo, hi, max(1, round(EDGE_BAND_MM * px_per_mm)))
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
    """The page (picture pixels, ``homography`` to mm) resampled so ``cell``'s box is the em square.

    Steps: map the box's mm onto the em square; warp a wider view (``SEARCH_MM`` around the box) and
    find the printed box line on each side (:func:`_find_line`); where found, stretch and shift the
    mapping so the printed box lands exactly on the em square — this absorbs what one homography
    for the whole page cannot (lens distortion, paper curl, printer scaling); then warp the cell.
    """
    box = EmBox(size)
    scale = box.em_px / cell.w
    shift = box.margin - 0.5  # em edge at pixel *edge* ``margin``; OpenCV puts pixel centres at integers
    to_cell = np.array([[scale, 0, shift - cell.x * scale], [0, scale, shift - cell.y * scale], [0, 0, 1]])
    pad = round(SEARCH_MM * scale)
    view = np.array([[1, 0, pad], [0, 1, pad], [0, 0, 1]], float) @ to_cell @ homography
    wide = cv2.warpPerspective(dark, view, (size + 2 * pad, size + 2 * pad), flags=cv2.INTER_LINEAR, borderValue=0)
    first, last = box.margin + pad - 0.5, box.margin + box.em_px + pad - 0.5  # where the box edges should be
    reach = round(SEARCH_MM * scale)
    x0, x1 = _find_line(wide, first, reach, axis=1), _find_line(wide, last, reach, axis=1)
    y0, y1 = _find_line(wide, first, reach, axis=0), _find_line(wide, last, reach, axis=0)
    fix_x = _axis_fix(x0, x1, first, last)
    fix_y = _axis_fix(y0, y1, first, last)
    correction = np.array([[fix_x[0], 0, fix_x[1]], [0, fix_y[0], fix_y[1]], [0, 0, 1]])
    final = np.array([[1, 0, -pad], [0, 1, -pad], [0, 0, 1]], float) @ correction @ view
    return cv2.warpPerspective(dark, final, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)


def _find_line(
    wide: np.ndarray, expected: float, reach: int, axis: int, max_width: float | None = None
) -> float | None:
    """Sub-pixel position of the printed box line near ``expected`` (a column if ``axis`` 1, else a row).

    Steps: the profile across the line is the *median* darkness along it (over the middle 60 % of the
    box), so strokes of the writing that cross the line here and there do not move it; every peak
    that stands out (``LINE_DARKNESS``) and falls to half its height on both sides is a candidate, its
    centre midway between those two crossings (:func:`_half_height_span`; the line is several pixels
    wide and flat-topped, so a parabola through the darkest three pixels would be biased by up to half
    its width). A candidate wider than ``max_width`` (default ``MAX_LINE_MM``) is a stroke of the
    writing running along the line (a long horizontal near the box top or bottom), or such a stroke
    touching the line: never the line. The candidate nearest ``expected`` is the line; none: ``None``
    (a faint print, a smudge: the homography's position is kept).
    """
    n = wide.shape[0]
    along = slice(round(n * 0.2), round(n * 0.8))
    lo, hi = max(1, round(expected) - reach), min(n - 2, round(expected) + reach)
    band = wide[along, lo:hi + 1] if axis == 1 else wide[lo:hi + 1, along].T
    profile = np.median(band, axis=0).astype(np.float32)
    widest = MAX_LINE_MM * reach / SEARCH_MM if max_width is None else max_width
    centres = [0.5 * (a + b) for a, b in _peak_spans(profile) if b - a <= widest]
    if not centres:
        return None
    return lo + min(centres, key=lambda c: abs(lo + c - expected))


def _peak_spans(profile: np.ndarray) -> list[tuple[float, float]]:
    """The half-height span of each peak of ``profile`` that reaches ``LINE_DARKNESS`` and stands apart:
    the highest point between the two places where the profile falls to half of it (a box line next to
    a stroke is its own peak as long as the profile dips below half the line's darkness between them)."""
    spans: set[tuple[float, float]] = set()
    for peak in range(1, len(profile) - 1):
        value = profile[peak]
        if value < LINE_DARKNESS or value < profile[peak - 1] or value < profile[peak + 1]:
            continue
        span = _half_height_span(profile, peak)
        if span is not None and profile[math.ceil(span[0]):math.floor(span[1]) + 1].max() <= value:
            spans.add(span)
    return sorted(spans)


def _half_height_span(profile: np.ndarray, peak: int) -> tuple[float, float] | None:
    """The two places where ``profile`` falls to half its ``peak`` (linear interpolation).

    ``None`` when it does not fall that far on one side within the profile.
    """
    half = 0.5 * float(profile[peak])
    below = profile < half
    left = np.flatnonzero(below[:peak])
    right = np.flatnonzero(below[peak:])
    if not len(left) or not len(right):
        return None
    i, j = int(left[-1]), peak + int(right[0])  # last below before the peak, first below after it
    x0 = i + (half - profile[i]) / (profile[i + 1] - profile[i])
    x1 = j - 1 + (profile[j - 1] - half) / (profile[j - 1] - profile[j])
    return float(x0), float(x1)


def divide_out_box_line(warped: np.ndarray, box: EmBox, reach: int) -> np.ndarray:
    """The cell's darkness map with the printed box line removed as a filter, ink on it kept.

    The line sits on the em square's edges once the cell is aligned. Per side, its profile across
    (the median darkness along the middle 60 % of the side, as in :func:`_find_line`, capped at
    ``LINE_MAX_DARKNESS`` so a stroke lying on the line is never taken for it) is divided out:
    ink over grey line lets through ``t_ink * t_line`` of the light, so ``t / t_line`` is the ink
    alone — a stroke touching or crossing the line keeps its full darkness, the bare line becomes paper.
    """
    n = warped.shape[0]
    along = slice(round(n * 0.2), round(n * 0.8))
    light = 1.0 - warped.astype(np.float32) / 255.0
    out = light.copy()
    floor = 1.0 - LINE_MAX_DARKNESS / 255.0
    for edge in (box.margin, box.margin + box.em_px):  # the line's centre is the pixel edge ``edge``
        lo, hi = max(0, edge - reach), min(n, edge + reach)
        rows = np.maximum(np.median(light[lo:hi, along], axis=1), floor)
        out[lo:hi, :] /= rows[:, None]
        cols = np.maximum(np.median(light[along, lo:hi], axis=0), floor)
        out[:, lo:hi] /= cols[None, :]
    return np.clip(np.rint(255.0 * (1.0 - out)), 0, 255).astype(np.uint8)


def _axis_fix(found_first: float | None, found_last: float | None, first: float, last: float) -> tuple[float, float]:
    """``(scale, shift)`` along one axis taking the found box lines onto the expected ones."""
    if found_first is not None and found_last is not None and found_last - found_first > 0.5 * (last - first):
        k = (last - first) / (found_last - found_first)
        return k, first - k * found_first
    if found_first is not None:
        return 1.0, first - found_first
    if found_last is not None:
        return 1.0, last - found_last
    return 1.0, 0.0


def _touches_cut(solid: np.ndarray, lo: int, hi: int, ring: int = 2, min_pixels: int = 3) -> bool:
    """Whether ink lies within ``ring`` pixels of the cut edge (part of the writing may be lost)."""
    edge = solid[lo:hi, lo:hi].copy()
    edge[ring:-ring, ring:-ring] = False
    return bool(edge.sum() >= min_pixels)


def _erase_edge_lines(dark: np.ndarray, lo: int, hi: int, band: int) -> None:
    """Zero rows/columns near the cut edges that are grey along most of their length (box line left over
    where dividing it out failed, e.g. a line printed black). A row of ink as dark as writing is a
    stroke lying along the edge and is kept."""
    span = hi - lo
    region = dark[lo:hi, lo:hi]
    inked = region >= LOW
    rows, cols = inked.sum(axis=1) / span, inked.sum(axis=0) / span
    for offset in list(range(band)) + list(range(span - band, span)):
        if rows[offset] > LINE_FRACTION and _line_grey(region[offset, :]):
            dark[lo + offset, lo:hi] = 0
        if cols[offset] > LINE_FRACTION and _line_grey(region[:, offset]):
            dark[lo:hi, lo + offset] = 0


def _line_grey(values: np.ndarray) -> bool:
    """Whether the inked pixels of an edge row are grey like a printed line rather than dark like ink."""
    inked = values[values >= LOW]
    return bool(len(inked)) and float(np.median(inked)) < STRONG


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
