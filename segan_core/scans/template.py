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
import math
import os
import re
import unicodedata
from contextlib import ExitStack
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw

from segan_core.atomic import atomic_path
from segan_core.charset import is_han
from segan_core.errors import CharsetError, InputFileError, OutputError, SeganError
from segan_core.glyphs.render import label_font
from segan_core.outputs import resolve

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

# what a sidecar may be: it is input from outside, read with every size and count bounded
MAX_SIDECAR_BYTES = 4 << 20  # 96 pages x 80 cells take ~1 MB
MAX_JSON_DEPTH = 6  # the sidecar's own nesting is 4 (markers -> page -> marker -> [x, y])
MAX_NAME_CHARS = 200
TEMPLATE_ID_RE = re.compile(r"[0-9a-f]{12}")
CELL_KEYS = frozenset({"page", "index", "char", "x", "y", "w", "h"})
MIN_BOX_MM, MAX_BOX_MM = 5.0, 50.0
MIN_DPI, MAX_DPI = 72, 600  # 600 dpi: an A4 page is 35 MP, 35 MB in grey

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
    """Read a sidecar JSON, validated completely (it is input from outside: a shared file, an edited one).

    One-line errors for a missing, oversized, too deeply nested, foreign or damaged file; every cell
    must be one Han character with a finite box of sane size on the page, so nothing later (file
    names, warps, divisions) sees a value the template command could not have written.
    """
    path = Path(path)
    return _template_from(_read_sidecar(path), path)


def _read_sidecar(path: Path) -> dict:
    """The sidecar's JSON object: size and nesting bounded before parsing; format and version checked."""
    if not path.exists():
        raise InputFileError(f"template file not found: {path}")
    if not path.is_file():
        raise InputFileError(f"{path}: not a template JSON file (not a regular file)")
    size = path.stat().st_size
    if size > MAX_SIDECAR_BYTES:
        raise InputFileError(f"{path}: {size / 2**20:.1f} MB is too big for a template sidecar "
                             f"(at most {MAX_SIDECAR_BYTES >> 20} MB)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputFileError(f"{path}: not a template JSON file ({exc})") from None
    depth = json_depth(text)
    if depth > MAX_JSON_DEPTH:
        raise InputFileError(f"{path}: not a template sidecar (JSON nested {depth} levels deep, "
                             f"a sidecar has at most {MAX_JSON_DEPTH})")
    try:
        data = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputFileError(f"{path}: not a template JSON file ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != TEMPLATE_FORMAT:
        raise InputFileError(f"{path}: not a Segan Studio template sidecar (format is not {TEMPLATE_FORMAT!r})")
    if data.get("version") != TEMPLATE_VERSION:
        raise InputFileError(f"{path}: template version {_show(data.get('version'))} is not supported")
    return data


def json_depth(text: str) -> int:
    """How deeply ``text``'s arrays and objects nest, counted without parsing (strings skipped)."""
    bare = re.sub(r'"(?:[^"\\]|\\.)*"', '""', text).encode("utf-8", "replace")
    codes = np.frombuffer(bare, np.uint8)
    steps = np.isin(codes, (0x5B, 0x7B)).astype(np.int32) - np.isin(codes, (0x5D, 0x7D))
    return int(np.cumsum(steps).max(initial=0))


def _show(value: object) -> str:
    """A value from the file, shown briefly in a message (a hostile value may be long)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _template_from(data: dict, path: Path) -> Template:
    """Validate every field the importer uses and build the :class:`Template`."""
    def damaged(problem: str) -> InputFileError:
        return InputFileError(f"{path}: damaged template sidecar: {problem}")

    template_id = data.get("template_id")
    if not isinstance(template_id, str) or not TEMPLATE_ID_RE.fullmatch(template_id):
        raise damaged(f"template_id {_show(template_id)} is not 12 lowercase hexadecimal digits")
    name = data.get("name")
    if not isinstance(name, str) or len(name) > MAX_NAME_CHARS or any(
            unicodedata.category(c).startswith("C") for c in name):
        raise damaged(f"name {_show(name)} is not a line of at most {MAX_NAME_CHARS} printable characters")
    pages = data.get("pages")
    if type(pages) is not int or not 1 <= pages <= MAX_PAGES:
        raise damaged(f"pages {_show(pages)} is not a whole number from 1 to {MAX_PAGES}")
    if "page_mm" in data and data["page_mm"] != [PAGE_W_MM, PAGE_H_MM]:
        raise damaged(f"page_mm {_show(data['page_mm'])} is not A4 ({PAGE_W_MM:g} x {PAGE_H_MM:g} mm)")
    chars = data.get("chars")
    per_page = COLUMNS * ROWS
    if not isinstance(chars, str) or not 1 <= len(chars) <= pages * per_page:
        raise damaged(f"chars is not a string of 1 to {pages * per_page} characters ({pages} pages)")
    for char in chars:
        if not is_han(char):
            raise damaged(f"chars holds {char!r} (U+{ord(char):04X}), not a Han character")
    if len(set(chars)) != len(chars):
        raise damaged("chars holds a character twice")
    raw_cells = data.get("cells")
    if not isinstance(raw_cells, list) or len(raw_cells) != len(chars):
        raise damaged(f"cells is not a list of {len(chars)} cells, one per character")
    cells = tuple(_cell_from(raw, number, chars[number], pages, damaged) for number, raw in enumerate(raw_cells))
    if len({(c.page, c.index) for c in cells}) != len(cells):
        raise damaged("two cells share a page and index")
    _check_files(data, damaged)
    return Template(template_id, name, tuple(chars), cells, pages)


def _cell_from(raw: object, number: int, char: str, pages: int, damaged) -> Cell:
    """One cell: exactly the keys of :class:`Cell`, its character that of ``chars``, its box on the page."""
    where = f"cell {number + 1}"
    if not isinstance(raw, dict) or set(raw) != CELL_KEYS:
        raise damaged(f"{where} is not an object with the keys {', '.join(sorted(CELL_KEYS))}")
    if raw["char"] != char:
        raise damaged(f"{where}: character {_show(raw['char'])} is not one Han character, or not chars[{number}]")
    for key, top in (("page", pages - 1), ("index", COLUMNS * ROWS - 1)):
        if type(raw[key]) is not int or not 0 <= raw[key] <= top:
            raise damaged(f"{where} ({char}): {key} {_show(raw[key])} is not a whole number from 0 to {top}")
    numbers = {}
    for key in ("x", "y", "w", "h"):
        value = raw[key]
        if type(value) not in (int, float) or not math.isfinite(value):
            raise damaged(f"{where} ({char}): {key} {_show(value)} is not a finite number of mm")
        numbers[key] = float(value)
    x, y, w, h = numbers["x"], numbers["y"], numbers["w"], numbers["h"]
    if not (MIN_BOX_MM <= w <= MAX_BOX_MM and MIN_BOX_MM <= h <= MAX_BOX_MM):
        raise damaged(f"{where} ({char}): box {w:g} x {h:g} mm is not {MIN_BOX_MM:g}-{MAX_BOX_MM:g} mm a side")
    if not (0 <= x and x + w <= PAGE_W_MM and 0 <= y and y + h <= PAGE_H_MM):
        raise damaged(f"{where} ({char}): box at ({x:g}, {y:g}) mm is not on the {PAGE_W_MM:g} x {PAGE_H_MM:g} mm page")
    return Cell(raw["page"], raw["index"], char, x, y, w, h)


def _check_files(data: dict, damaged) -> None:
    """``files`` (optional): the plain names of the PDF and PNG pages written beside the sidecar."""
    files = data.get("files")
    if files is None:
        return
    if not isinstance(files, list) or len(files) > MAX_PAGES + 1 or not all(_plain_name(f) for f in files):
        raise damaged(f"files is not a list of at most {MAX_PAGES + 1} plain file names")


def _plain_name(name: object) -> bool:
    return (isinstance(name, str) and 0 < len(name) <= 255 and name not in (".", "..")
            and not any(c in name for c in "/\\\0"))


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


# -- writing the sheet: never over a file that is not the sheet's own ---------------------------------------

@dataclass(frozen=True)
class SheetFiles:
    """The files one ``write_template`` writes: the PDF, the PNG pages (maybe none) and the sidecar."""

    pdf: Path
    pngs: tuple[Path, ...]
    sidecar: Path

    @classmethod
    def beside(cls, out_pdf: Path | str, pages: int, png: bool = True) -> SheetFiles:
        out_pdf = resolve(out_pdf)
        if out_pdf.name in ("", ".", "..") or out_pdf.stem in ("", "."):
            raise OutputError(f"--out {out_pdf} names no file; give the PDF to write, e.g. sheet.pdf")
        pngs = tuple(out_pdf.with_name(f"{out_pdf.stem}-p{n}.png") for n in range(1, pages + 1)) if png else ()
        return cls(out_pdf, pngs, out_pdf.with_suffix(".json"))

    @property
    def all(self) -> tuple[Path, ...]:
        return (self.pdf, *self.pngs, self.sidecar)


def check_sheet_outputs(files: SheetFiles, overwrite: bool = False) -> None:
    """Refuse, with one line, to write where ``segan template`` may not; nothing is written here.

    A symbolic link or a folder where a file would go is always refused. An existing file is replaced
    only when it is the sheet's own earlier output (the sidecar beside it is a valid template sidecar
    that lists it: its ``files``, or for sidecars older than that field the PDF and PNG pages named
    after it), or with ``overwrite``; either way only the files named in ``files`` are ever written.
    """
    for path in files.all:
        if path.is_symlink():
            raise OutputError(f"{path} is a symbolic link; segan template never writes through a link, "
                              f"choose another --out")
        if path.exists() and not path.is_file():
            raise OutputError(f"{path} is a folder (or not a regular file); choose another --out")
    existing = [path for path in files.all if path.exists()]
    if not existing or overwrite:
        return
    owned = sidecar_outputs(files.sidecar)
    foreign = [path for path in existing if path.name not in owned]
    if foreign:
        more = f" (and {len(foreign) - 1} more)" if len(foreign) > 1 else ""
        raise OutputError(f"{foreign[0]}{more} already exists and is not an earlier output of segan template "
                          f"(not listed in a template sidecar {files.sidecar.name}); choose another --out or pass "
                          f"--overwrite")


def sidecar_outputs(sidecar: Path) -> frozenset[str]:
    """The names a valid template sidecar says were written with it (itself included); empty if it is not one."""
    if sidecar.is_symlink() or not sidecar.is_file():
        return frozenset()
    try:
        data = _read_sidecar(sidecar)
        template = _template_from(data, sidecar)
    except SeganError:
        return frozenset()
    listed = data.get("files")
    if listed is None:  # sidecars written before the field: the template command's fixed names
        listed = [f"{sidecar.stem}.pdf", *(f"{sidecar.stem}-p{n}.png" for n in range(1, template.pages + 1))]
    return frozenset([sidecar.name, *listed])


def sweep_legacy_temps(folder: Path, stem: str) -> list[Path]:
    """Delete temp files that versions before PID-tagged temp names left for sheet ``stem`` when killed.

    Their names: ``.<stem>.pdf.XXXXXXXX.pdf``, ``.<stem>-p3.png.XXXXXXXX.png``, ``.<stem>.json.XXXXXXXX.json``
    (8 random characters). Today's temp names carry the writer's PID and :mod:`segan_core.atomic` sweeps
    those whose writer is gone.
    """
    legacy = re.compile(re.escape(f".{stem}") + r"(-p\d+\.png|\.pdf|\.json)\.[a-z0-9_]{8}\.(png|pdf|json)")
    swept = []
    try:
        entries = [e for e in os.scandir(folder) if legacy.fullmatch(e.name) and e.is_file(follow_symlinks=False)]
    except OSError:
        return swept
    for entry in entries:
        Path(entry.path).unlink(missing_ok=True)
        swept.append(Path(entry.path))
    return swept


def _listed(files: SheetFiles) -> list[str]:
    """The new sidecar's ``files``: this sheet's, and the earlier sheet's PNG pages it leaves in place."""
    names = [files.pdf.name, *(p.name for p in files.pngs)]
    page_png = re.compile(re.escape(files.pdf.stem) + r"-p\d+\.png")
    earlier = sorted(n for n in sidecar_outputs(files.sidecar) if page_png.fullmatch(n) and n not in names
                     and (files.pdf.parent / n).is_file())
    return names + earlier[: MAX_PAGES + 1 - len(names)]


def write_template(template: Template, out_pdf: Path | str, dpi: int = 300, png: bool = True,
                   overwrite: bool = False) -> list[Path]:
    """Write ``sheet.pdf``, ``sheet-p1.png``... (``png``) and ``sheet.json``; returns the paths written.

    Everything is checked first (``dpi``, :func:`check_sheet_outputs`), so a refused call writes
    nothing; temp files of a killed earlier run are swept (:mod:`segan_core.atomic`). Pages are
    rendered one at a time (memory stays at one page even for the 85 pages of GB2312) and appended to
    a temp PDF; every file is written under a temp name and renamed only when all are done. The
    sidecar's ``files`` lists what was written, plus PNG pages of the earlier sheet still beside it.
    """
    if type(dpi) is not int or not MIN_DPI <= dpi <= MAX_DPI:
        raise SeganError(f"--dpi {dpi} is out of range; a template is printed at {MIN_DPI} to {MAX_DPI} dpi")
    files = SheetFiles.beside(out_pdf, template.pages, png)
    check_sheet_outputs(files, overwrite)
    sidecar = template.to_json() | {"files": _listed(files)}
    with ExitStack() as stack:  # exits in reverse: the sidecar is renamed into place first, the PDF last
        pdf_tmp = stack.enter_context(atomic_path(files.pdf))
        png_tmps = [stack.enter_context(atomic_path(path)) for path in files.pngs]
        sidecar_tmp = stack.enter_context(atomic_path(files.sidecar))
        sweep_legacy_temps(files.pdf.parent, files.pdf.stem)
        for number in range(template.pages):
            page = Image.fromarray(render_page(template, number, dpi))
            page.save(pdf_tmp, format="PDF", append=number > 0, resolution=float(dpi))
            if png:
                page.save(png_tmps[number], format="PNG", dpi=(dpi, dpi))
        sidecar_tmp.write_text(json.dumps(sidecar, ensure_ascii=False, indent=1), encoding="utf-8")
    return list(files.all)
