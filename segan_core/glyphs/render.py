"""Render characters from a font file into grayscale glyph images on the fixed em box.

Images are ``uint8`` arrays of *ink coverage*: 0 is paper, 255 is full ink. :func:`to_paper`
turns them into black-on-white pictures for display and PNG files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont

from segan_core.errors import FontError
from segan_core.glyphs.embox import EmBox


@dataclass(frozen=True)
class MissingGlyph:
    char: str
    reason: str  # "not in cmap" | "maps to .notdef" | "empty outline"

    def __str__(self) -> str:
        return f"{self.char} (U+{ord(self.char):04X}): {self.reason}"


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class FontRenderer:
    """One font file, opened once, rendering characters at any of the supported sizes."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise FontError(f"font file not found: {self.path}")
        try:
            font = TTFont(str(self.path), lazy=True, fontNumber=0)
            cmap = font.getBestCmap()
            self.units_per_em = int(font["head"].unitsPerEm)
            self.family = _family_name(font) or self.path.stem
            glyph_order = font.getGlyphOrder()
        except (TTLibError, KeyError, AssertionError, ValueError, OSError) as exc:
            raise FontError(f"not a usable font file: {self.path} ({exc})") from None
        if not cmap:
            raise FontError(f"font has no Unicode character map: {self.path}")
        self._cmap: dict[int, str] = dict(cmap)
        self._notdef = glyph_order[0] if glyph_order else ".notdef"
        self._pil_fonts: dict[int, ImageFont.FreeTypeFont] = {}

    @cached_property
    def sha256(self) -> str:
        return file_sha256(self.path)

    def glyph_name(self, char: str) -> str | None:
        return self._cmap.get(ord(char))

    def _pil_font(self, em_px: int) -> ImageFont.FreeTypeFont:
        font = self._pil_fonts.get(em_px)
        if font is None:
            try:
                font = ImageFont.truetype(str(self.path), size=em_px, layout_engine=ImageFont.Layout.BASIC)
            except OSError as exc:
                raise FontError(f"FreeType cannot open {self.path}: {exc}") from None
            self._pil_fonts[em_px] = font
        return font

    def render(self, char: str, size: int) -> np.ndarray:
        """Ink image (size x size, uint8) of ``char``; all zeros if the font has no ink for it."""
        box = EmBox(size)
        image = Image.new("L", (size, size), 0)
        ImageDraw.Draw(image).text(
            (box.margin, box.baseline_px), char, fill=255, font=self._pil_font(box.em_px), anchor="ls"
        )
        return np.asarray(image, dtype=np.uint8)

    def check(self, char: str, image: np.ndarray | None = None) -> MissingGlyph | None:
        """Why the font cannot provide ``char`` (``None`` if it can). ``image`` avoids a re-render."""
        name = self.glyph_name(char)
        if name is None:
            return MissingGlyph(char, "not in cmap")
        if name == self._notdef or name == ".notdef":
            return MissingGlyph(char, "maps to .notdef")
        if image is None:
            image = self.render(char, 64)
        if not image.any():
            return MissingGlyph(char, "empty outline")
        return None

    def render_checked(self, char: str, size: int) -> tuple[np.ndarray | None, MissingGlyph | None]:
        """``(image, None)`` when the font has real ink for ``char``, else ``(None, reason)``."""
        if self.glyph_name(char) is None:
            return None, MissingGlyph(char, "not in cmap")
        image = self.render(char, size)
        missing = self.check(char, image)
        return (None, missing) if missing else (image, None)


def _family_name(font: TTFont) -> str | None:
    try:
        name = font["name"]
    except KeyError:
        return None
    for name_id in (16, 1):
        record = name.getDebugName(name_id)
        if record:
            return record
    return None


def to_paper(ink: np.ndarray) -> np.ndarray:
    """Ink coverage -> black ink on white paper (for display and PNG files)."""
    return (255 - ink).astype(np.uint8)


def from_paper(picture: np.ndarray) -> np.ndarray:
    """Black-on-white picture -> ink coverage."""
    return (255 - picture).astype(np.uint8)


@cache
def label_font(px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The bundled Kai source font at ``px`` pixels, for labels on figures, sheets and templates (CJK-capable)."""
    from segan_core.resources import SOURCE_FONT

    try:
        return ImageFont.truetype(str(SOURCE_FONT), size=max(6, px))
    except OSError:
        return ImageFont.load_default()
