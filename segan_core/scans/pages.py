"""The pictures of scanned pages a user hands in: image files and (multi-page) PDFs.

Image files are read with :func:`segan_core.imageio.read_gray` (pixel count checked from the header
before decoding). A multi-page TIFF (what a scanner's document feeder writes) gives one picture per
frame, each frame's size checked before it is decoded. PDFs are rasterized page by page with PDFium
(pypdfium2) at ``PDF_DPI``; the render scale is lowered for oversized pages so a page never exceeds
the same pixel cap. One import takes at most ``MAX_PICTURES`` page pictures in all (twice the pages
of the largest template), counted from the PDF's page tree and the TIFF's frame directory before
anything is decoded.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from segan_core.errors import InputFileError
from segan_core.imageio import MAX_PIXELS, image_size, read_gray
from segan_core.scans.template import MAX_PAGES

PDF_DPI = 250
MAX_SIDE = 6000  # a page never needs more pixels than this on its long side (A4 at ~500 dpi)
POINTS_PER_INCH = 72.0
MAX_PICTURES = 2 * MAX_PAGES  # every page of the largest template, scanned twice


@dataclass(frozen=True)
class PagePicture:
    """One picture of a page: where it came from (``file`` or ``file#p2``) and its grey pixels."""

    name: str
    gray: np.ndarray


def is_pdf(path: Path) -> bool:
    """True when the file starts with the PDF signature (whatever its suffix)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(5) == b"%PDF-"
    except OSError:
        return False


def _open_pdf(path: Path):  # -> pypdfium2.PdfDocument (imported lazily)
    """Open a PDF; PDFium refuses a document without pages, which gets its own message."""
    import pypdfium2 as pdfium

    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        with open(path, "rb") as handle:
            head = handle.read(1 << 20)
        if re.search(rb"/Count\s*0\b", head) and not re.search(rb"/Type\s*/Page\b", head):
            raise InputFileError(f"{path}: the PDF has no pages") from None
        raise InputFileError(f"{path}: not a readable PDF ({exc})") from None


def pdf_page_count(path: Path) -> int:
    """Number of pages; a one-line error for a damaged PDF or one without pages."""
    pdf = _open_pdf(path)
    try:
        count = len(pdf)
    finally:
        pdf.close()
    if count == 0:
        raise InputFileError(f"{path}: the PDF has no pages")
    return count


def check_inputs(paths: tuple[Path, ...]) -> int:
    """Check every input exists and is a picture or a PDF with pages; returns the number of pictures."""
    if not paths:
        raise InputFileError("no scanned pages given")
    total = 0
    for path in paths:
        if not path.is_file():
            raise InputFileError(f"scanned page not found: {path}")
        pdf = is_pdf(path)
        count = pdf_page_count(path) if pdf else _frame_count(path)
        if count > MAX_PICTURES:
            what = f"{count} pages" if pdf else f"more than {MAX_PICTURES} frames"
            raise InputFileError(f"{path}: {what}; a scan import takes at most {MAX_PICTURES} page pictures "
                                 f"(a template has at most {MAX_PAGES} pages)")
        total += count
    if total > MAX_PICTURES:
        raise InputFileError(f"{total} page pictures given; a scan import takes at most {MAX_PICTURES} "
                             f"(a template has at most {MAX_PAGES} pages): import them in parts")
    return total


def read_pages(paths: tuple[Path, ...]) -> Iterator[PagePicture]:
    """Every page picture in the order given (PDF pages and TIFF frames in document order)."""
    for path in paths:
        if is_pdf(path):
            yield from _pdf_pages(path)
        elif _frame_count(path) > 1:
            yield from _tiff_frames(path)
        else:
            yield PagePicture(path.name, read_gray(path, max_pixels=MAX_PIXELS, max_side=MAX_SIDE))


def _frame_count(path: Path) -> int:
    """Frames in a picture file (1 for all but multi-page TIFFs); a one-line error for a non-picture."""
    image_size(path)  # the shared header checks: exists, not empty, a picture, not a bomb
    with Image.open(path) as image:
        if image.format != "TIFF":
            return 1
        try:  # walk the frame directory no further than the cap: a TIFF may claim a million frames
            image.seek(MAX_PICTURES)
        except EOFError:
            pass
        except (OSError, ValueError, SyntaxError) as exc:
            raise InputFileError(f"{path}: TIFF frame directory is damaged ({exc})") from None
        else:
            return MAX_PICTURES + 1
    with Image.open(path) as image:  # afresh: after a failed seek Pillow's n_frames is wrong
        return int(image.n_frames)


def _tiff_frames(path: Path) -> Iterator[PagePicture]:
    """Each frame of a multi-page TIFF, its size checked against the pixel cap before decoding."""
    with Image.open(path) as image:
        for index in range(image.n_frames):
            image.seek(index)
            width, height = image.size
            name = f"{path.name}#p{index + 1}"
            if width * height > MAX_PIXELS:
                raise InputFileError(f"{name}: picture is {width} x {height} pixels, more than the "
                                     f"{MAX_PIXELS / 1e6:.0f} MP limit")
            try:
                gray = np.asarray(image.convert("L"), dtype=np.uint8)
            except (OSError, ValueError) as exc:
                raise InputFileError(f"{name}: picture data is damaged ({exc})") from None
            if max(gray.shape) > MAX_SIDE:
                factor = MAX_SIDE / max(gray.shape)
                gray = cv2.resize(gray, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
            yield PagePicture(name, gray)


def _pdf_pages(path: Path) -> Iterator[PagePicture]:
    """Rasterize each PDF page in grey at ``PDF_DPI`` (less for pages too big for the pixel cap)."""
    import pypdfium2 as pdfium

    pdf = _open_pdf(path)
    try:
        for index in range(len(pdf)):
            page = pdf[index]
            width_pt, height_pt = page.get_size()
            scale = PDF_DPI / POINTS_PER_INCH
            scale = min(scale, MAX_SIDE / max(width_pt, height_pt, 1.0))
            scale = min(scale, (MAX_PIXELS / max(width_pt * height_pt, 1.0)) ** 0.5)
            try:
                bitmap = page.render(scale=scale, grayscale=True)
                gray = np.array(bitmap.to_numpy(), dtype=np.uint8)
            except pdfium.PdfiumError as exc:
                raise InputFileError(f"{path}: page {index + 1} cannot be rendered ({exc})") from None
            if gray.ndim == 3:
                gray = gray[..., 0] if gray.shape[2] == 1 else gray[..., :3].mean(axis=2).astype(np.uint8)
            yield PagePicture(f"{path.name}#p{index + 1}", gray)
    finally:
        pdf.close()
