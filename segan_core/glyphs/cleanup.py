"""From a grey picture of paper and ink to a clean ink image whose paper is exactly 0.

Used by every path that brings handwriting in: template cells, ``<char>.png`` folders and single
photos of one character, so grey or unevenly lit paper never becomes ink.

1. :func:`paper_level` — estimate the paper's brightness everywhere (illumination flattening): a grey
   closing on a shrunken copy removes the ink, a blur smooths what is left, and the map is scaled back.
2. :func:`darkness` — how much darker than its own paper each pixel is, 0 (paper) .. 255 (black).
3. :func:`sharpen` — optional (the template path): an unsharp mask of one picture pixel undoes some
   of the scanner's or the camera's blur, so hairline strokes keep their darkness and the narrow gaps
   of dense characters stay open.
4. :func:`binarize` — adaptive hysteresis: pixels clearly darker than the paper (``STRONG``) seed the
   strokes; their connected neighbours down to ``LOW`` join them; everything else is paper (0).
   Inside the strokes the darkness is ramped so edges stay anti-aliased; the ramp is centred on half
   the darkness of the stroke cores, so the edge sits where it was written, for black ink or grey pencil.
5. :func:`remove_specks` — connected ink blobs smaller than ``min_area`` pixels are dropped.
6. :func:`normalize_placement` — optional: scale and centre the ink on the em square.
"""

from __future__ import annotations

import cv2
import numpy as np

from segan_core.glyphs.embox import EmBox

LOW = 56  # darkness at which a pixel may belong to a stroke (faint print such as the centre cross stays below)
STRONG = 140  # darkness a stroke must reach somewhere
RAMP_HALF = 64  # the darkness ramp onto ink 0..255 spans the stroke edge's midpoint +- this
MID_RANGE = (72, 128)  # where that midpoint may lie (half the darkness of the stroke cores)
SHARPEN_SIGMA_PX = 1.0  # unsharp mask: the blur taken away, in picture pixels ...
SHARPEN_AMOUNT = 0.5  # ... and how much of the difference is added back


def paper_level(gray: np.ndarray, stroke_px: float) -> np.ndarray:
    """Paper brightness under every pixel (uint8, at least 1), ink removed.

    Steps: shrink so a stroke is ~2 px wide; grey closing (dilate = brightest neighbour) with a
    kernel a few strokes wide; blur; grow back to full size.
    """
    h, w = gray.shape
    factor = max(1.0, stroke_px / 2.0)
    small = cv2.resize(gray, (max(1, round(w / factor)), max(1, round(h / factor))), interpolation=cv2.INTER_AREA)
    k = 2 * max(2, round(3 * stroke_px / factor)) + 1
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (k, k))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.GaussianBlur(paper.astype(np.float32), (0, 0), sigmaX=k / 2)
    paper = np.clip(np.rint(paper), 1, 255).astype(np.uint8)
    return cv2.resize(paper, (w, h), interpolation=cv2.INTER_LINEAR)


def darkness(gray: np.ndarray, paper: np.ndarray) -> np.ndarray:
    """0 where a pixel is as bright as its paper, 255 where it is black (uint8): 255 * (1 - gray / paper).

    OpenCV's saturating uint8 arithmetic keeps this to two passes over a whole page.
    """
    brightness = cv2.divide(gray, paper, scale=255.0)  # min(255, 255 * gray / paper)
    return cv2.subtract(np.full_like(brightness, 255), brightness)


def sharpen(dark: np.ndarray, sigma: float = SHARPEN_SIGMA_PX, amount: float = SHARPEN_AMOUNT) -> np.ndarray:
    """Unsharp mask of a darkness map (uint8): ``dark + amount * (dark - blur(dark, sigma))``, clipped.

    Symmetric about a stroke edge, so wide strokes keep their edges where they are; narrower than the
    blur, a hairline gets back some of its lost darkness and a narrow gap some of its lost paper.
    """
    blurred = cv2.GaussianBlur(dark, (0, 0), sigma)
    return cv2.addWeighted(dark, 1.0 + amount, blurred, -amount, 0.0)  # saturates to 0..255 like the rest


def binarize(dark: np.ndarray) -> np.ndarray:
    """Ink image (uint8, paper exactly 0): hysteresis mask times the darkness ramp."""
    candidate = (dark >= LOW).astype(np.uint8)
    count, labels, _, _ = cv2.connectedComponentsWithStats(candidate, connectivity=8)
    if count <= 1:
        return np.zeros_like(dark)
    strong_labels = np.unique(labels[dark >= STRONG])
    keep = np.zeros(count, bool)
    keep[strong_labels] = True
    keep[0] = False
    mask = keep[labels]
    core = float(np.percentile(dark[mask], 90)) if mask.any() else 255.0
    mid = min(max(core / 2.0, MID_RANGE[0]), MID_RANGE[1])
    ramp = np.clip((dark.astype(np.float32) - (mid - RAMP_HALF)) * (255.0 / (2 * RAMP_HALF)), 0, 255)
    return np.where(mask, ramp, 0).astype(np.uint8)


def remove_specks(ink: np.ndarray, min_area: int) -> np.ndarray:
    """Drop connected ink blobs of fewer than ``min_area`` pixels."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0).astype(np.uint8), connectivity=8)
    small = stats[:, cv2.CC_STAT_AREA] < min_area
    small[0] = False
    if not small.any():
        return ink
    out = ink.copy()
    out[small[labels]] = 0
    return out


def clean_picture(gray: np.ndarray) -> np.ndarray:
    """A whole picture of one character (paper convention, any size) -> ink image, paper 0.

    A picture that is mostly dark is taken as light ink on dark ground and inverted first.
    """
    if gray.mean() < 96:
        gray = 255 - gray
    side = max(gray.shape)
    paper = paper_level(gray, stroke_px=max(2.0, side / 10))
    ink = binarize(darkness(gray, paper))
    return remove_specks(ink, min_area=max(2, round((side / 128) ** 2 * 2)))


def normalize_placement(ink: np.ndarray, fill: float = 0.9) -> np.ndarray:
    """Scale the ink's bounding box to ``fill`` of the em square and centre it on the em box."""
    rows, cols = np.nonzero(ink)
    if len(rows) == 0:
        return ink
    size = ink.shape[0]
    box = EmBox(size)
    crop = ink[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
    scale = fill * box.em_px / max(crop.shape)
    h, w = max(1, round(crop.shape[0] * scale)), max(1, round(crop.shape[1] * scale))
    resized = cv2.resize(crop, (w, h), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    out = np.zeros_like(ink)
    top = box.margin + (box.em_px - h) // 2
    left = box.margin + (box.em_px - w) // 2
    out[top:top + h, left:left + w] = resized
    return out
