"""ASCII and CJK punctuation glyphs copied from the source font (AR PL KaitiM GB by default).

The style model only draws Hanzi; a usable font also needs Latin letters, digits and the CJK
punctuation that sits between Hanzi. These are copied from the source Kai font, scaled to UPM 1000.
The Arphic Public License allows redistributing modified versions; the builder records that in the
name table (copyright, licence description and URL).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pathops
from fontTools.pens.basePen import AbstractPen
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.reverseContourPen import ReverseContourPen
from fontTools.pens.transformPen import TransformPen
from fontTools.ttLib import TTFont, TTLibError

from segan_core.errors import FontError
from segan_core.fontbuild.glyphs import GlyphRecord, drawing, glyph_name
from segan_core.fontbuild.metrics import IDEOGRAPHIC_SPACE, UPM
from segan_core.vectorize.outline import Outline, record

FALLBACK_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x3001, 0x303F),  # CJK symbols and punctuation (U+3000 is always built as an empty glyph)
    (0xFF01, 0xFF5E),  # fullwidth ASCII variants
    (0xFFE0, 0xFFE5),  # fullwidth signs
)
FALLBACK_SINGLES = (0x00B7, 0x00D7, 0x00F7, 0x2014, 0x2015, 0x2016, 0x2018, 0x2019, 0x201C, 0x201D, 0x2026, 0x2030,
                    0x2032, 0x2033, 0x203B, 0x2103, 0x2116, 0x2160, 0x2190, 0x2191, 0x2192, 0x2193, 0x25A1, 0x25CB,
                    0x25CF, 0x2605, 0x2606)  # fmt: skip

ARPHIC_COPYRIGHT = "Copyright (c) 1994-1999 Arphic Technology Co., Ltd. (AR PL KaitiM GB fallback glyphs)"
ARPHIC_LICENCE = (
    "The Latin and punctuation glyphs are copied and scaled from AR PL KaitiM GB, which Arphic Technology "
    "distributes under the Arphic Public License; this font is a modified version under the same licence."
)
ARPHIC_LICENCE_URL = "https://www.freedesktop.org/wiki/Arphic_Public_License/"


def fallback_codepoints() -> list[int]:
    points = {cp for lo, hi in FALLBACK_RANGES for cp in range(lo, hi + 1)} | set(FALLBACK_SINGLES)
    points.discard(IDEOGRAPHIC_SPACE)
    return sorted(points)


@dataclass
class FallbackFont:
    """An opened source font, ready to hand out scaled copies of its glyphs."""

    path: Path

    def __post_init__(self) -> None:
        try:
            self.font = TTFont(str(self.path), lazy=True)
            self.cmap = self.font.getBestCmap() or {}
            self.scale = UPM / self.font["head"].unitsPerEm
            self.glyph_set = self.font.getGlyphSet()
            self.hmtx = self.font["hmtx"]
        except (OSError, TTLibError, KeyError, AssertionError) as exc:
            raise FontError(f"cannot read fallback glyphs from {self.path}: {exc}") from None
        self.is_quadratic = "glyf" in self.font
        self._normalised_cache: dict[str, Outline] = {}

    def records(self, codepoints: Iterable[int], exclude: set[int] = frozenset()) -> Iterator[GlyphRecord]:
        """A record for each code point the font maps to a real glyph (skipping ``exclude``)."""
        for cp in codepoints:
            source_name = self.cmap.get(cp)
            if cp in exclude or source_name is None or source_name == ".notdef":
                continue
            yield self.record(glyph_name(cp), source_name, codepoints=(cp,))

    def record(self, name: str, source_name: str, transform: tuple[float, ...] | None = None,
               codepoints: tuple[int, ...] = ()) -> GlyphRecord:
        """The source glyph ``source_name`` as glyph ``name``, optionally moved or turned by the affine
        ``transform`` (in UPM 1000 units); the advance stays the source glyph's."""

        def draw(pen: AbstractPen, ttf: bool) -> None:
            self._draw(source_name, TransformPen(pen, transform) if transform else pen, ttf)

        return GlyphRecord(name, codepoints, self.advance(source_name), drawing(lambda pen: draw(pen, True)),
                           drawing(lambda pen: draw(pen, False)))  # fmt: skip

    def advance(self, source_name: str) -> int:
        """The source glyph's advance width in UPM 1000 units."""
        return round(self.hmtx[source_name][0] * self.scale)

    def outline(self, source_name: str) -> Outline:
        """The source glyph scaled to UPM 1000 (see :meth:`_normalised`)."""
        return self._normalised(source_name)

    def _draw(self, name: str, pen: AbstractPen, ttf: bool) -> None:
        outline = self._normalised(name)
        if not ttf:
            outline.draw(pen)  # T2CharStringPen turns quadratic segments into cubics
        elif self.is_quadratic:
            outline.draw(ReverseContourPen(pen))
        else:
            outline.draw(Cu2QuPen(pen, 1.0, reverse_direction=True))

    def _normalised(self, name: str) -> Outline:
        """The glyph scaled to UPM 1000, overlaps removed, outer contours counter-clockwise.

        Source fonts do not agree on contour direction (AR PL KaitiM GB uses the PostScript
        direction inside glyf), so the direction is fixed here rather than assumed.
        """
        outline = self._normalised_cache.get(name)
        if outline is None:
            path = pathops.Path()
            self.glyph_set[name].draw(TransformPen(path.getPen(), (self.scale, 0, 0, self.scale, 0, 0)))
            path = pathops.simplify(path, fix_winding=True, keep_starting_points=True, clockwise=False)
            outline = self._normalised_cache[name] = record(path.draw)
        return outline
