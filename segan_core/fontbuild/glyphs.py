"""The glyphs a font is built from: names, code points, advances and drawable outlines."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fontTools.agl import UV2AGL
from fontTools.pens.basePen import AbstractPen

from segan_core.fontbuild.metrics import ADVANCE, ASCENT, DESCENT
from segan_core.vectorize.outline import Outline


def glyph_name(codepoint: int) -> str:
    """AGL name for ASCII/Latin-1 where one exists, else ``uniXXXX`` / ``uXXXXX``."""
    if codepoint < 0x100 and codepoint in UV2AGL:
        return UV2AGL[codepoint]
    return f"uni{codepoint:04X}" if codepoint <= 0xFFFF else f"u{codepoint:05X}"


@dataclass(frozen=True)
class GlyphRecord:
    """One glyph for the builder. ``quadratic`` feeds glyf (clockwise outer contours); ``cubic`` feeds
    CFF (counter-clockwise). Each is anything with ``draw(pen)``: an :class:`Outline` or a callable."""

    name: str
    codepoints: tuple[int, ...]
    advance: int
    quadratic: Outline | _Drawing
    cubic: Outline | _Drawing


class _Drawing:
    """Adapter: a ``draw(pen)`` callable as an object with a ``draw`` method."""

    def __init__(self, draw: Callable[[AbstractPen], None]) -> None:
        self._draw = draw

    def draw(self, pen: AbstractPen) -> None:
        self._draw(pen)


def drawing(draw: Callable[[AbstractPen], None]) -> _Drawing:
    return _Drawing(draw)


def _rect(pen: AbstractPen, x0: int, y0: int, x1: int, y1: int, clockwise: bool) -> None:
    points = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]  # clockwise in y-up coordinates
    if not clockwise:
        points.reverse()
    pen.moveTo(points[0])
    for p in points[1:]:
        pen.lineTo(p)
    pen.closePath()


def notdef_glyph() -> GlyphRecord:
    """The conventional hollow box, on the ideographic em box (inset 50 units, stroke 50)."""
    x0, y0, x1, y1 = 50, DESCENT + 50, ADVANCE - 50, ASCENT - 50

    def draw(pen: AbstractPen, outer_clockwise: bool) -> None:
        _rect(pen, x0, y0, x1, y1, outer_clockwise)
        _rect(pen, x0 + 50, y0 + 50, x1 - 50, y1 - 50, not outer_clockwise)

    return GlyphRecord(
        ".notdef", (), ADVANCE, drawing(lambda pen: draw(pen, True)), drawing(lambda pen: draw(pen, False))
    )


def empty_glyph(codepoint: int, advance: int = ADVANCE) -> GlyphRecord:
    nothing = Outline(())
    return GlyphRecord(glyph_name(codepoint), (codepoint,), advance, nothing, nothing)
