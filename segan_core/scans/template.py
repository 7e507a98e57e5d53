"""Template sheets: the page layout, its JSON sidecar, and rendering the pages to images and a PDF.

A sheet is a set of A4 pages. Each page has a grid of 8 x 10 writing boxes (20 mm squares); above
each box, *outside* the writing area, the guide character is printed small in light grey, and a
faint dashed centre cross runs through the box. Four ArUco markers sit in the page corners (ids
0-3, so their position also tells the page's orientation), and two more at the bottom centre name
the template (id ``100 + key``) and the page (id ``4 + page``). The sidecar JSON records the
template id, the marker positions and every cell's rectangle in page millimetres, so an importer
needs nothing else to read a scan.

All geometry is in millimetres from the top-left corner of the page (y down).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from segan_core.atomic import atomic_path
from segan_core.errors import CharsetError, InputFileError
from segan_core.glyphs.render import label_font

TEMPLATE_FORMAT = "segan-template"
TEMPLATE_VERSION = 1
PAGE_W_MM, PAGE_H_MM = 210.0, 297.0
COLUMNS, ROWS = 8, 10
BOX_MM = 20.0
PITCH_X_MM, PITCH_Y_MM = 23.0, 24.0
LABEL_MM = 4.0  # strip above each box holding the guide character
GRID_X0_MM = (PAGE_W_MM - COLUMNS * PITCH_X_MM) / 2 + (PITCH_X_MM - BOX_MM) / 2
GRID_Y0_MM = 30.0 + LABEL_MM
MARKER_MM = 12.0
MARKER_INSET_MM = 10.0
ARUCO_DICT = cv2.aruco.DICT_5X5_1000
CORNER_IDS = (0, 1, 2, 3)  # top-left, top-right, bottom-right, bottom-left
PAGE_ID_BASE = 4
MAX_PAGES = 96
TEMPLATE_ID_BASE = 100
TEMPLATE_KEYS = 900

# printing tones (0 black .. 255 white): light enough that thresholding drops them
BOX_TONE = 150
CROSS_TONE = 215
BOX_LINE_MM = 0.35
GUIDE_TONE = 165


@dataclass(frozen=True)
class Cell:
    """One writing box: its page (0-based), index on the page, character and rectangle in mm."""

    page: int
    index: int
    char: str
    x: float
    y: float
    w: float
    h: float


@dataclass(frozen=True)
class Template:
    """A whole sheet: id, marker layout and cells. ``key`` is the template's marker number."""

    template_id: str
    name: str
    chars: tuple[str, ...]
    cells: tuple[Cell, ...]
    pages: int

    @property
    def key(self) -> int:
        return int(self.template_id, 16) % TEMPLATE_KEYS

    @property
    def template_marker(self) -> int:
        return TEMPLATE_ID_BASE + self.key

    def page_cells(self, page: int) -> tuple[Cell, ...]:
        return tuple(c for c in self.cells if c.page == page)

    def markers(self, page: int) -> dict[int, tuple[float, float]]:
        """Marker id -> top-left corner (mm) of its square on ``page``."""
        far_x, far_y = PAGE_W_MM - MARKER_INSET_MM - MARKER_MM, PAGE_H_MM - MARKER_INSET_MM - MARKER_MM
        centre = PAGE_W_MM / 2
        return {
            CORNER_IDS[0]: (MARKER_INSET_MM, MARKER_INSET_MM),
            CORNER_IDS[1]: (far_x, MARKER_INSET_MM),
            CORNER_IDS[2]: (far_x, far_y),
            CORNER_IDS[3]: (MARKER_INSET_MM, far_y),
            self.template_marker: (centre - MARKER_MM - 8.0, far_y),
            PAGE_ID_BASE + page: (centre + 8.0, far_y),
        }

    def to_json(self) -> dict:
        return {
            "format": TEMPLATE_FORMAT,
            "version": TEMPLATE_VERSION,
            "template_id": self.template_id,
            "name": self.name,
            "pages": self.pages,
            "page_mm": [PAGE_W_MM, PAGE_H_MM],
            "aruco": {"dictionary": "DICT_5X5_1000", "marker_mm": MARKER_MM, "corners": list(CORNER_IDS),
                      "template_marker": self.template_marker, "page_marker_base": PAGE_ID_BASE},
            "markers": {str(p): {str(k): v for k, v in self.markers(p).items()} for p in range(self.pages)},
            "chars": "".join(self.chars),
            "cells": [asdict(c) for c in self.cells],
        }


def make_template(chars: tuple[str, ...], name: str = "custom") -> Template:
    """Lay ``chars`` out in reading order, 80 boxes a page; the id is a hash of the characters and layout."""
    if not chars:
        raise CharsetError("the template has no characters")
    per_page = COLUMNS * ROWS
    pages = -(-len(chars) // per_page)
    if pages > MAX_PAGES:
        raise CharsetError(f"{len(chars)} characters need {pages} pages; a template has at most {MAX_PAGES}")
    layout = f"v{TEMPLATE_VERSION}:{COLUMNS}x{ROWS}:{BOX_MM}:" + "".join(chars)
    template_id = hashlib.sha256(layout.encode()).hexdigest()[:12]
    cells = []
    for i, char in enumerate(chars):
        page, index = divmod(i, per_page)
        row, col = divmod(index, COLUMNS)
        cells.append(Cell(page, index, char, GRID_X0_MM + col * PITCH_X_MM, GRID_Y0_MM + row * PITCH_Y_MM,
                          BOX_MM, BOX_MM))
    return Template(template_id, name, tuple(chars), tuple(cells), pages)


def load_template(path: Path | str) -> Template:
    """Read a sidecar JSON; one-line errors for a missing, foreign or damaged file."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"template file not found: {path}")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: not a template JSON file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != TEMPLATE_FORMAT:
        raise InputFileError(f"{path}: not a Segan Studio template sidecar (format is not {TEMPLATE_FORMAT!r})")
    if data.get("version") != TEMPLATE_VERSION:
        raise InputFileError(f"{path}: template version {data.get('version')} is not supported")
    try:
        cells = tuple(Cell(**c) for c in data["cells"])
        return Template(str(data["template_id"]), str(data["name"]), tuple(data["chars"]), cells, int(data["pages"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputFileError(f"{path}: damaged template sidecar ({exc})") from None


def render_page(template: Template, page: int, dpi: int = 300) -> np.ndarray:
    """The printable page as an 8-bit grey image at ``dpi``.

    Steps: white A4 canvas; markers with a white quiet zone; header text; for each cell the box
    outline, the dashed centre cross and the small guide character above the box.
    """
    scale = dpi / 25.4
    width, height = round(PAGE_W_MM * scale), round(PAGE_H_MM * scale)
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for marker_id, (mx, my) in template.markers(page).items():
        _paste_marker(image, marker_id, mx, my, scale)
    header = f"Segan Studio  {template.name}  template {template.template_id}  page {page + 1}/{template.pages}"
    draw.text((30 * scale, 12 * scale), header, fill=0, font=label_font(round(4 * scale)))
    advice = "One character per box, black pen or brush, inside the box. Scan or photograph the whole page."
    draw.text((30 * scale, 18.5 * scale), advice, fill=90, font=label_font(round(3 * scale)))
    for cell in template.page_cells(page):
        _draw_cell(draw, cell, scale)
    pixels = np.array(image, dtype=np.uint8)
    for cell in template.page_cells(page):
        _draw_box(pixels, cell, scale)
    return pixels


def _paste_marker(image: Image.Image, marker_id: int, x_mm: float, y_mm: float, scale: float) -> None:
    """Draw the marker at its exact (sub-pixel) place and size: the importer's geometry rests on it."""
    bits = 7 * 32  # 5 x 5 bits + a 1-bit black border, 32 px a bit
    dictionary = cv2.aruco.getPredefinedDictionary(ARUCO_DICT)
    marker = cv2.aruco.generateImageMarker(dictionary, marker_id, bits, borderBits=1).astype(np.float32)
    k = MARKER_MM * scale / bits
    left, top = int(x_mm * scale) - 1, int(y_mm * scale) - 1
    side = int(MARKER_MM * scale) + 4
    # pixel centres at integers on both sides: marker pixel u covers page [x + k*u, x + k*(u+1))
    place = np.array([[k, 0, x_mm * scale - left + 0.5 * k - 0.5], [0, k, y_mm * scale - top + 0.5 * k - 0.5]])
    interpolation = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    if k < 1:  # area-average first so the warp does not alias
        small = round(bits * k * 4)
        marker = cv2.resize(marker, (small, small), interpolation=interpolation)
        place[:, :2] *= bits / small
        place[:, 2] = [x_mm * scale - left + 0.5 * place[0, 0] - 0.5, y_mm * scale - top + 0.5 * place[1, 1] - 0.5]
    patch = cv2.warpAffine(marker, place, (side, side), flags=cv2.INTER_LINEAR, borderValue=255)
    image.paste(Image.fromarray(np.clip(patch, 0, 255).astype(np.uint8)), (left, top))


def _draw_box(pixels: np.ndarray, cell: Cell, scale: float) -> None:
    """The box outline, centred on the box's edges to a sixteenth of a pixel (anti-aliased).

    The importer finds this line to align each cell, so it must sit exactly where the sidecar says.
    """
    bits = 4
    def fixed(mm: float) -> int:  # page mm -> OpenCV fixed-point pixel (pixel centres at integers)
        return round((mm * scale - 0.5) * (1 << bits))

    top_left = (fixed(cell.x), fixed(cell.y))
    bottom_right = (fixed(cell.x + cell.w), fixed(cell.y + cell.h))
    width = max(1, round(BOX_LINE_MM * scale))
    cv2.rectangle(pixels, top_left, bottom_right, BOX_TONE, thickness=width, lineType=cv2.LINE_AA, shift=bits)


def _draw_cell(draw: ImageDraw.ImageDraw, cell: Cell, scale: float) -> None:
    """The dashed centre cross and the guide character above the box."""
    x0, y0 = cell.x * scale, cell.y * scale
    x1, y1 = (cell.x + cell.w) * scale, (cell.y + cell.h) * scale
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    dash, thin = 1.5 * scale, max(1, round(0.2 * scale))
    for start in np.arange(x0 + dash / 2, x1 - dash / 2, 2 * dash):
        draw.line((start, cy, start + dash, cy), fill=CROSS_TONE, width=thin)
    for start in np.arange(y0 + dash / 2, y1 - dash / 2, 2 * dash):
        draw.line((cx, start, cx, start + dash), fill=CROSS_TONE, width=thin)
    draw.text((x0, y0 - 0.6 * scale), cell.char, fill=GUIDE_TONE, font=label_font(round(3.2 * scale)), anchor="ld")


def write_template(template: Template, out_pdf: Path | str, dpi: int = 300, png: bool = True) -> list[Path]:
    """Write ``sheet.pdf``, ``sheet.json`` and (``png``) ``sheet-p1.png``...; returns the paths written.

    Pages are rendered one at a time (memory stays at one page even for the 85 pages of GB2312) and
    appended to a temp PDF; every file is written under a temp name and renamed only when all are done.
    """
    out_pdf = Path(out_pdf)
    pngs = [out_pdf.with_name(f"{out_pdf.stem}-p{n}.png") for n in range(1, template.pages + 1)] if png else []
    sidecar = out_pdf.with_suffix(".json")
    with ExitStack() as stack:
        pdf_tmp = stack.enter_context(atomic_path(out_pdf))
        png_tmps = [stack.enter_context(atomic_path(path)) for path in pngs]
        sidecar_tmp = stack.enter_context(atomic_path(sidecar))
        for number in range(template.pages):
            page = Image.fromarray(render_page(template, number, dpi))
            page.save(pdf_tmp, format="PDF", append=number > 0, resolution=float(dpi))
            if png:
                page.save(png_tmps[number], format="PNG", dpi=(dpi, dpi))
        sidecar_tmp.write_text(json.dumps(template.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return [out_pdf, *pngs, sidecar]
