"""Check an exported font the way users' software will see it (Qt-free).

Three checks, each a function returning a :class:`Check`:

- :func:`check_ots` — the OpenType Sanitizer (the font loader of Chrome and Firefox) accepts it;
- :func:`check_fonttools` — fontTools reopens it and every sample glyph draws with the expected
  number of contours, the cmap and the vertical metrics are present;
- :func:`check_freetype` — FreeType (through Pillow) renders the sample characters with ink.

The fourth check of the project, loading in Qt's font database, lives in the tests (the core
never imports Qt).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from fontTools.ttLib import TTFont, TTLibError

from segan_core.errors import OutputError


class FontValidationError(OutputError):
    """A built font failed a validity check (it is not written)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.name}: {'ok' if self.ok else 'FAILED'}{' (' + self.detail + ')' if self.detail else ''}"


def check_ots(path: Path) -> Check:
    import ots

    try:
        result = ots.sanitize(str(path), capture_output=True)
    except OSError as exc:
        return Check("ots", False, f"cannot run ots-sanitize: {exc}")
    messages = (result.stderr or b"").decode("utf-8", "replace").strip().splitlines()
    if result.returncode != 0:
        return Check("ots", False, messages[-1] if messages else f"exit code {result.returncode}")
    warnings = [m for m in messages if m and "WARNING" in m.upper()]
    return Check("ots", True, f"{len(warnings)} warning(s)" if warnings else "")


def check_fonttools(path: Path, chars: Sequence[str] = ()) -> Check:
    from fontTools.pens.recordingPen import RecordingPen

    try:
        font = TTFont(str(path))
        cmap = font.getBestCmap()
        for tag in ("head", "hhea", "hmtx", "maxp", "name", "OS/2", "post", "vhea", "vmtx"):
            font[tag]  # decompiles the table
        if font["head"].unitsPerEm != 1000:
            return Check("fonttools", False, f"unitsPerEm is {font['head'].unitsPerEm}, expected 1000")
        glyph_set = font.getGlyphSet()
        for char in chars:
            name = cmap.get(ord(char))
            if name is None:
                return Check("fonttools", False, f"{char} (U+{ord(char):04X}) is not in the cmap")
            pen = RecordingPen()
            glyph_set[name].draw(pen)
            if not pen.value:
                return Check("fonttools", False, f"{char} (U+{ord(char):04X}) has an empty outline")
    except (TTLibError, KeyError, AssertionError, ValueError, OSError, IndexError) as exc:
        return Check("fonttools", False, f"{type(exc).__name__}: {exc}")
    return Check("fonttools", True, f"{len(font.getGlyphOrder())} glyphs")


def check_freetype(path: Path, chars: Sequence[str] = ()) -> Check:
    from PIL import Image, ImageDraw, ImageFont

    try:
        data = _sfnt_bytes(path)
        font = ImageFont.truetype(io.BytesIO(data), size=48)
        for char in chars:
            image = Image.new("L", (64, 64), 0)
            ImageDraw.Draw(image).text((8, 52), char, fill=255, font=font, anchor="ls")
            if not np.asarray(image).any():
                return Check("freetype", False, f"{char} (U+{ord(char):04X}) renders without ink")
    except (OSError, TTLibError, ValueError) as exc:
        return Check("freetype", False, f"{type(exc).__name__}: {exc}")
    return Check("freetype", True, f"{len(chars)} character(s) rendered")


def _sfnt_bytes(path: Path) -> bytes:
    """The font's bytes; WOFF/WOFF2 are unpacked first (FreeType builds may lack brotli)."""
    data = Path(path).read_bytes()
    if data[:4] in (b"wOF2", b"wOFF"):
        font = TTFont(io.BytesIO(data))
        font.flavor = None
        out = io.BytesIO()
        font.save(out, reorderTables=False)
        return out.getvalue()
    return data


def validate_font(path: Path | str, chars: Sequence[str] = ()) -> list[Check]:
    """Run the three checks; ``chars`` are characters that must be present and have ink."""
    path = Path(path)
    return [check_ots(path), check_fonttools(path, chars), check_freetype(path, chars)]


def require_valid(path: Path | str, chars: Sequence[str] = (), label: str | None = None) -> list[Check]:
    """:func:`validate_font`, raising :class:`FontValidationError` naming the first failed check."""
    checks = validate_font(path, chars)
    failed = [c for c in checks if not c.ok]
    if failed:
        raise FontValidationError(f"the built font {label or path} failed validation: {failed[0]}")
    return checks
