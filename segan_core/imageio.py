"""Read user pictures with memory bounded *before* decoding.

Every picture a user hands to Segan Studio (a ``<char>.png``, a scanned page, a phone photo) goes
through :func:`read_gray`: the header is read first, the pixel count is checked against a cap, and
only then is the image decoded. A 148 KB PNG that claims 30,000 x 30,000 pixels is refused in
milliseconds instead of taking 2.9 GB. Large JPEGs are decoded at a reduced scale (libjpeg's DCT
scaling) when that is enough for the caller.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from segan_core.errors import InputFileError

# pictures of one character: a phone photo of 12 MP is fine, a page scan at 600 dpi (A4: 35 MP) too
MAX_PIXELS = 64_000_000
MAX_FILE_BYTES = 512 * 1024 * 1024

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def image_size(path: Path) -> tuple[int, int]:
    """``(width, height)`` from the header only; a clear error for what is not a picture."""
    with _open(path) as image:
        return image.size


def read_gray(path: Path | str, max_pixels: int = MAX_PIXELS, max_side: int | None = None) -> np.ndarray:
    """Decode ``path`` to an 8-bit grey ``(h, w)`` array, refusing more than ``max_pixels`` pixels.

    ``max_side``: the caller needs no more than this many pixels on the long side; JPEGs are then
    decoded directly at a smaller scale (no full-size buffer), other formats are decoded and shrunk.
    The pixel cap applies to the picture as stored, before any scaling.
    """
    path = Path(path)
    with _open(path) as image:
        width, height = image.size
        if width <= 0 or height <= 0:
            raise InputFileError(f"{path}: picture has no pixels ({width} x {height})")
        if width * height > max_pixels:
            raise InputFileError(
                f"{path}: picture is {width} x {height} pixels, more than the {max_pixels / 1e6:.0f} MP limit"
            )
        if max_side is not None and max(width, height) > max_side and image.format == "JPEG":
            scale = max(width, height) / max_side
            image.draft("L", (int(width / scale), int(height / scale)))
        try:
            gray = _to_gray(image)
        except (OSError, ValueError, SyntaxError) as exc:  # truncated or corrupt data after a good header
            raise InputFileError(f"{path}: picture data is damaged ({exc})") from None
    if max_side is not None and max(gray.shape) > max_side:
        import cv2

        scale = max_side / max(gray.shape)
        size = (max(1, round(gray.shape[1] * scale)), max(1, round(gray.shape[0] * scale)))
        gray = cv2.resize(gray, size, interpolation=cv2.INTER_AREA)
    return gray


def _open(path: Path) -> Image.Image:
    if not path.is_file():
        raise InputFileError(f"picture not found: {path}")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if size == 0:
        raise InputFileError(f"{path}: file is empty (0 bytes)")
    if size > MAX_FILE_BYTES:
        raise InputFileError(f"{path}: file is {size / 2**20:.0f} MB, more than the {MAX_FILE_BYTES >> 20} MB limit")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        claimed = re.search(r"\((\d+) pixels\)", str(exc))  # Pillow: "Image size (N pixels) exceeds limit ..."
        size = f"{int(claimed.group(1)) / 1e6:.0f} MP" if claimed else "too many pixels"
        raise InputFileError(
            f"{path}: picture claims {size}, more than the {MAX_PIXELS / 1e6:.0f} MP limit (decompression bomb?)"
        ) from None
    except UnidentifiedImageError:
        raise InputFileError(f"{path}: not a picture Segan Studio can read (PNG, JPEG, TIFF, BMP, WebP)") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read ({exc.strerror or exc})") from None


def _to_gray(image: Image.Image) -> np.ndarray:
    """Flatten transparency onto white paper, then take luminance."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        paper = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        paper.alpha_composite(rgba)
        image = paper
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        return _deep_to_gray(np.asarray(image))
    return np.asarray(image.convert("L"), dtype=np.uint8).copy()


def _deep_to_gray(array: np.ndarray, band_pixels: int = 1 << 22) -> np.ndarray:
    """16-bit (or 32-bit integer) grey to 8 bits, a band of rows at a time in integers.

    A 64 MP 16-bit page stays 128 MB plus the 64 MB result; no float64 copy of it (512 MB each) is made.
    Pictures whose values all fit in 8 bits keep them; others are scaled from 0-65535.
    """
    top = int(array.max(initial=0))
    gray = np.empty(array.shape, np.uint8)
    rows = max(1, band_pixels // max(1, array.shape[1]))
    for start in range(0, array.shape[0], rows):
        band = np.clip(array[start:start + rows], 0, 65535).astype(np.int64)
        gray[start:start + rows] = band * 255 // 65535 if top > 255 else np.minimum(band, 255)
    return gray
