"""Synthetic filled-in scans of a template, for tests, benchmarks and demos.

1. :func:`fill_page` — render a template page and write a brush font's characters into its boxes,
   the box being the em square (exactly the mapping the importer reads back).
2. :func:`degrade` — what a scanner or a phone does to it: grey paper and uneven light, a rotation
   and a perspective warp onto a background, blur, noise; ``phone`` adds a strong perspective and a
   shadow. :func:`save_jpeg` then stores it at JPEG quality 70.

A writer does not always keep to the middle of the box: :class:`Placement` writes one character larger
and moved (e.g. tall characters whose top stroke reaches the box line, :func:`touching_top`), and
:func:`clean_glyph` draws the same placement as the truth.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from segan_core.glyphs.embox import EMBOX_DESCENT, EmBox
from segan_core.glyphs.render import FontRenderer
from segan_core.scans.template import BOX_LINE_MM, BOX_MM, Template, render_page

WRITE_SCALE = 0.82  # the writer's em, as a share of the box: a writer keeps inside the box
OVERSIZE = 1.15  # ... or does not
GLYPH_SIZE = 512  # glyphs are drawn at this size, then warped onto the page (sub-pixel exact)


@dataclass(frozen=True)
class Placement:
    """Where a writer puts one character: its em at ``scale`` of the box, moved by ``dx``, ``dy``
    (shares of the box, y down) from the centre."""

    scale: float = WRITE_SCALE
    dx: float = 0.0
    dy: float = 0.0


def fill_page(
    template: Template,
    page: int,
    font: Path,
    dpi: int = 150,
    written: Mapping[str, str | None] | None = None,
    oversize: Collection[str] = (),
    writer_scale: float = WRITE_SCALE,
    placed: Mapping[str, Placement] | None = None,
) -> np.ndarray:
    """The page with every cell's character written in ``font`` (dark ink) at ``writer_scale`` of the box.

    ``written`` overrides what goes into a cell: ``{cell char: another char}`` writes the wrong
    character, ``{cell char: None}`` leaves the box empty; characters in ``oversize`` are written
    too big for their box (strokes cross the box line); ``placed`` writes a cell's character at its own
    :class:`Placement`. ``font`` may be a folder of subset files.
    """
    written, placed = written or {}, placed or {}
    paper = render_page(template, page, dpi).astype(np.float32)
    scale = dpi / 25.4
    coverage = np.zeros_like(paper)
    box = EmBox(GLYPH_SIZE)
    for cell in template.page_cells(page):
        char = written.get(cell.char, cell.char)
        if char is None:
            continue
        k = cell.w * scale / box.em_px
        side = max(16, round(GLYPH_SIZE * k))
        place = placed.get(cell.char, Placement(OVERSIZE if cell.char in oversize else writer_scale))
        glyph = clean_glyph(font, char, GLYPH_SIZE, place.scale, (place.dx, place.dy))
        glyph = cv2.resize(glyph, (side, side), interpolation=cv2.INTER_AREA)
        f = k * GLYPH_SIZE / side  # page pixels per pixel of the shrunk glyph (about 1)
        tx = cell.x * scale - box.margin * k + 0.5 * f - 0.5
        ty = cell.y * scale - box.margin * k + 0.5 * f - 0.5
        onto_page = np.array([[f, 0, tx], [0, f, ty]])
        layer = cv2.warpAffine(glyph.astype(np.float32) / 255.0, onto_page, paper.shape[::-1], flags=cv2.INTER_LINEAR)
        coverage = np.maximum(coverage, layer)
    return (paper * (1.0 - 0.9 * coverage)).astype(np.uint8)


def _write(draw: ImageDraw.ImageDraw, font: Path, char: str, x: float, y: float, box: float, scale: float,
           offset: tuple[float, float] = (0.0, 0.0)) -> None:
    """Write ``char`` at ``scale`` of the box, centred, then moved by ``offset`` (shares of the box)."""
    em = scale * box
    font = Path(font)
    if font.is_dir():  # a folder of subsets: the file whose cmap has the character
        font = _renderer(font).file_for(char)
    pil_font = ImageFont.truetype(str(font), size=round(em))
    left, top = x + (box - em) / 2 + offset[0] * box, y + (box - em) / 2 + offset[1] * box
    draw.text((left, top + (1.0 - EMBOX_DESCENT) * em), char, fill=255, font=pil_font, anchor="ls")


@cache
def _renderer(folder: Path) -> FontRenderer:
    return FontRenderer(folder)


def clean_glyph(font: Path, char: str, size: int, scale: float = WRITE_SCALE,
                offset: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """The ink image the importer should return for a cell written by :func:`fill_page` (the truth).

    Drawn at ``GLYPH_SIZE`` and shrunk by area averaging, so its placement is exact at every size;
    ``offset`` moves it from the centre (shares of the box, y down).
    """
    box = EmBox(GLYPH_SIZE)
    image = Image.new("L", (GLYPH_SIZE, GLYPH_SIZE), 0)
    _write(ImageDraw.Draw(image), font, char, box.margin, box.margin, box.em_px, scale, offset)
    glyph = np.asarray(image, np.uint8)
    return glyph if size == GLYPH_SIZE else cv2.resize(glyph, (size, size), interpolation=cv2.INTER_AREA)


def placed_glyph(font: Path, char: str, size: int, place: Placement) -> np.ndarray:
    """:func:`clean_glyph` of a character written at its own :class:`Placement`."""
    return clean_glyph(font, char, size, place.scale, (place.dx, place.dy))


def touching_top(font: Path, char: str, scale: float, gap_mm: float = 0.0) -> Placement:
    """A tall character at ``scale`` of the box, raised until its top stroke is ``gap_mm`` below the printed box
    line (0: the ink touches the line's inner side, as a writer filling the box does)."""
    box = EmBox(GLYPH_SIZE)
    rows = np.flatnonzero((clean_glyph(font, char, GLYPH_SIZE, scale) >= 128).any(axis=1))
    if not len(rows):
        return Placement(scale)
    top = float(rows[0]) - box.margin  # px below the em top
    below_edge = (gap_mm + BOX_LINE_MM / 2) / BOX_MM * box.em_px  # the line is centred on the box edge
    return Placement(scale, 0.0, (below_edge - top) / box.em_px)


def degrade(
    page: np.ndarray, seed: int, phone: bool = False, upside_down: bool = False, lens: float = 0.0
) -> np.ndarray:
    """Grey paper, uneven light, rotation (+-5 deg), perspective, blur and noise; ``phone``: more of it.

    ``lens``: radial (barrel) distortion of a phone lens, as the relative displacement at the corners
    of the picture (e.g. 0.01 = 1 %), which no homography can undo.
    """
    rng = np.random.default_rng(seed)
    h, w = page.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    light = 0.78 + 0.12 * (xx / w) * rng.uniform(0.5, 1.0) + 0.06 * (yy / h)
    if phone:
        cx, cy = rng.uniform(0.2, 0.8) * w, rng.uniform(0.2, 0.8) * h
        shadow = np.exp(-(((xx - cx) / (0.35 * w)) ** 2 + ((yy - cy) / (0.3 * h)) ** 2))
        light = light * (1.0 - 0.45 * shadow)
    sheet = page.astype(np.float32) * light
    if upside_down:
        sheet = sheet[::-1, ::-1]
    pad = int(0.08 * max(h, w))
    out_w, out_h = w + 2 * pad, h + 2 * pad
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], np.float32)
    jitter = (0.12 if phone else 0.01) * min(h, w)
    dst = src + pad + rng.uniform(-jitter, jitter, (4, 2)).astype(np.float32)
    if phone:
        dst[0, 0] += 0.08 * w
        dst[1, 0] -= 0.08 * w
    angle = np.radians(rng.uniform(-5, 5))
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    centre = np.array([out_w / 2, out_h / 2], np.float32)
    dst = (dst - centre) @ rot.T + centre
    warp = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    ground = 70.0 if phone else 235.0
    photo = cv2.warpPerspective(sheet, warp, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=ground)
    if lens:
        photo = _barrel(photo, lens)
    photo = cv2.GaussianBlur(photo, (0, 0), sigmaX=1.2 if phone else 0.9)
    photo += rng.normal(0, 6.0, photo.shape).astype(np.float32)
    return np.clip(photo, 0, 255).astype(np.uint8)


def _barrel(picture: np.ndarray, amount: float) -> np.ndarray:
    """Radial distortion: a point at relative radius r (1 at the corners) moves out by ``amount * r**3``."""
    h, w = picture.shape
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = (w - 1) / 2, (h - 1) / 2
    half_diagonal = float(np.hypot(cx, cy))
    r = np.hypot(xx - cx, yy - cy) / half_diagonal
    factor = 1.0 - amount * r**2  # sample inwards: the picture bulges outwards
    map_x, map_y = cx + (xx - cx) * factor, cy + (yy - cy) * factor
    return cv2.remap(picture, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def save_jpeg(picture: np.ndarray, path: Path, quality: int = 70) -> Path:
    """Store a synthetic scan as a JPEG at ``quality`` (the issue's target case)."""
    Image.fromarray(picture).save(path, format="JPEG", quality=quality)
    return path
