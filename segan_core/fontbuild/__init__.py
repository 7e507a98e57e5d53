"""Glyph outlines -> TrueType / OpenType-CFF / WOFF2 fonts, and their validation.

- :mod:`.builder`: :func:`build_font` runs an ordered list of small table steps (``STEPS``).
- :mod:`.glyphs`: :class:`GlyphRecord`, ``.notdef``, glyph naming.
- :mod:`.fallback`: ASCII and CJK punctuation copied from the source font.
- :mod:`.validate`: OTS, fontTools and FreeType checks.
"""

from segan_core.fontbuild.builder import FORMATS, FontInfo, build_font, save_font
from segan_core.fontbuild.glyphs import GlyphRecord, glyph_name
from segan_core.fontbuild.validate import FontValidationError, require_valid, validate_font

__all__ = [
    "FORMATS",
    "FontInfo",
    "FontValidationError",
    "GlyphRecord",
    "build_font",
    "glyph_name",
    "require_valid",
    "save_font",
    "validate_font",
]
