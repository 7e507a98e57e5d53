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
from segan_core.fontlog import quiet_font_reading
from segan_core.glyphs.embox import EmBox

quiet_font_reading()  # fontTools' warnings about fonts we read go to the log, not the terminal


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


FONT_SUFFIXES = (".ttf", ".otf", ".ttc", ".woff", ".woff2")
MAX_SUBSET_FILES = 1024  # a folder of web-font subsets (fontsource ships about 120 per CJK font)


class FontRenderer:
    """One font, opened once, rendering characters at any of the supported sizes.

    ``path`` is a font file, or a folder of subset files of one font (the WOFF2 subsets a web-font package
    ships, split by Unicode range): each character is drawn from the file whose cmap has it.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            files = sorted(p for p in self.path.iterdir() if p.suffix.lower() in FONT_SUFFIXES and p.is_file())
            if not files:
                raise FontError(f"folder holds no font files ({', '.join(FONT_SUFFIXES)}): {self.path}")
            if len(files) > MAX_SUBSET_FILES:
                raise FontError(f"folder holds {len(files)} font files, more than {MAX_SUBSET_FILES}: {self.path}")
        elif self.path.is_file():
            files = [self.path]
        else:
            raise FontError(f"font file not found: {self.path}")
        self.files = tuple(files)
        self._cmap: dict[int, str] = {}
        self._file_of: dict[int, int] = {}  # code point -> index into self.files
        self._notdef: set[str] = set()
        units, family = None, None
        for index, file in enumerate(files):
            cmap, upem, name, notdef = _read_font(file)
            for code, glyph in cmap.items():
                if code not in self._cmap:
                    self._cmap[code], self._file_of[code] = glyph, index
            units, family = units or upem, family or name
            self._notdef.add(notdef)
        if not self._cmap:
            raise FontError(f"font has no Unicode character map: {self.path}")
        self.units_per_em = int(units or 1000)
        self.family = family or self.path.stem
        self._pil_fonts: dict[tuple[int, int], ImageFont.FreeTypeFont] = {}

    @cached_property
    def sha256(self) -> str:
        if len(self.files) == 1 and self.files[0] == self.path:
            return file_sha256(self.path)
        listing = "\n".join(f"{f.name}\t{file_sha256(f)}" for f in self.files)
        return hashlib.sha256(listing.encode()).hexdigest()

    def glyph_name(self, char: str) -> str | None:
        return self._cmap.get(ord(char))

    @property
    def chars(self) -> tuple[str, ...]:
        """Every character the font maps, in code point order."""
        return tuple(chr(code) for code in sorted(self._cmap))

    def file_for(self, char: str) -> Path:
        """The font file that draws ``char`` (the first file for a character the font lacks)."""
        return self.files[self._file_of.get(ord(char), 0)]

    def _pil_font(self, em_px: int, index: int = 0) -> ImageFont.FreeTypeFont:
        font = self._pil_fonts.get((em_px, index))
        if font is None:
            file = self.files[index]
            try:
                font = ImageFont.truetype(str(file), size=em_px, layout_engine=ImageFont.Layout.BASIC)
            except OSError as exc:
                raise FontError(f"FreeType cannot open {file}: {exc}") from None
            self._pil_fonts[(em_px, index)] = font
        return font

    def render(self, char: str, size: int) -> np.ndarray:
        """Ink image (size x size, uint8) of ``char``; all zeros if the font has no ink for it."""
        box = EmBox(size)
        image = Image.new("L", (size, size), 0)
        ImageDraw.Draw(image).text(
            (box.margin, box.baseline_px),
            char,
            fill=255,
            font=self._pil_font(box.em_px, self._file_of.get(ord(char), 0)),
            anchor="ls",
        )
        return np.asarray(image, dtype=np.uint8)

    def check(self, char: str, image: np.ndarray | None = None) -> MissingGlyph | None:
        """Why the font cannot provide ``char`` (``None`` if it can). ``image`` avoids a re-render."""
        name = self.glyph_name(char)
        if name is None:
            return MissingGlyph(char, "not in cmap")
        if name in self._notdef or name == ".notdef":
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


def _read_font(path: Path) -> tuple[dict[int, str], int, str | None, str]:
    """(cmap, units per em, family name, name of glyph 0) of one font file; a FontError if it is not one."""
    try:
        font = TTFont(str(path), lazy=True, fontNumber=0)
        cmap = font.getBestCmap() or {}
        glyph_order = font.getGlyphOrder()
        notdef = glyph_order[0] if glyph_order else ".notdef"
        return dict(cmap), int(font["head"].unitsPerEm), _family_name(font), notdef
    except (TTLibError, KeyError, AssertionError, ValueError, OSError, ImportError) as exc:
        raise FontError(f"not a usable font file: {path} ({exc})") from None


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
