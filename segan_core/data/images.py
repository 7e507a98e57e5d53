"""Per-character image folders (``<char>.png``): the entry point for scanned handwriting."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from segan_core.errors import InputFileError
from segan_core.glyphs.cleanup import clean_picture
from segan_core.imageio import read_gray

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff")
MAX_GLYPH_SIDE = 2048  # pictures of one glyph are shrunk to this before framing (bounded memory)


def scan_image_folder(folder: Path) -> dict[str, Path]:
    """Map each character to its image file in ``folder`` (file stem = the character)."""
    if not folder.is_dir():
        raise InputFileError(f"image folder not found: {folder}")
    found: dict[str, Path] = {}
    root = folder.resolve()
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES and len(path.stem) == 1 and _inside(path, root):
            found[path.stem] = path
    if not found:
        raise InputFileError(f"no <char>.png images in {folder} (file names must be the character itself)")
    return found


def _inside(path: Path, root: Path) -> bool:
    """A regular file whose real location is in ``root``: symlinks out of the folder are not followed."""
    try:
        real = path.resolve(strict=True)
    except (OSError, RuntimeError):  # a dangling or looping link
        return False
    return real.parent == root and real.is_file()


def load_glyph_image(path: Path, size: int) -> np.ndarray:
    """Read a picture of one character and turn it into a ``size`` x ``size`` ink image.

    The picture is the whole glyph canvas, framed like the images Segan Studio renders and exports
    (the em square fills the middle 14/16, see :mod:`segan_core.glyphs.embox`); a non-square picture
    is centred on a square canvas first. The picture goes through the same cleanup as scanned
    template cells (:func:`segan_core.glyphs.cleanup.clean_picture`: illumination flattening, adaptive
    binarization, speck removal), so grey or unevenly lit paper becomes 0, never ink.
    """
    picture = read_gray(path, max_side=MAX_GLYPH_SIDE)
    ink = clean_picture(picture)
    h, w = ink.shape
    side = max(h, w)
    square = np.zeros((side, side), np.uint8)
    square[(side - h) // 2 : (side - h) // 2 + h, (side - w) // 2 : (side - w) // 2 + w] = ink
    interpolation = cv2.INTER_AREA if side >= size else cv2.INTER_CUBIC
    return cv2.resize(square, (size, size), interpolation=interpolation)
