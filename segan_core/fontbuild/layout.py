"""Font-wide placement of the Hanzi: size, baseline and spacing, applied to the outlines as the font is built.

Calligraphr, FontForge's "Transform" and Glyphs' "Transformations" let a designer fix a whole font's look
in one place after seeing it: the characters a little too big, sitting too high, set too tight. A
:class:`GlyphLayout` is that one place here. It scales every Hanzi about the centre of its em box,
moves it up or down, and adds space to its advance (half on each side, so the ink stays centred in
its advance). Only Hanzi are touched: the punctuation and Latin copied from the fallback font keep their
own metrics, and the .notdef box and the spaces stay as they are. The glyph cache keeps the unadjusted
outlines, so trying another layout rebuilds the font without generating or tracing anything again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from fontTools.pens.transformPen import TransformPen

from segan_core.charset import is_han
from segan_core.fontbuild.glyphs import GlyphRecord, drawing
from segan_core.fontbuild.metrics import ADVANCE, ASCENT, DESCENT

SCALE_RANGE = (0.5, 1.5)  # of the glyph as drawn
BASELINE_RANGE = (-300, 300)  # font units (1000 to the em): up is positive
SPACING_RANGE = (-200, 500)  # font units added to each Hanzi's advance
CENTRE = (ADVANCE / 2, (ASCENT + DESCENT) / 2)  # the em box's centre: (500, 380)


@dataclass(frozen=True)
class GlyphLayout:
    """How every Hanzi of a font is placed: ``scale`` about the em box's centre, ``baseline`` units up (negative:
    down) and ``spacing`` units more advance (negative: tighter). The default changes nothing."""

    scale: float = 1.0
    baseline: int = 0
    spacing: int = 0

    def __post_init__(self) -> None:
        for name, value, (low, high) in (
            ("size", self.scale, SCALE_RANGE),
            ("baseline", self.baseline, BASELINE_RANGE),
            ("spacing", self.spacing, SPACING_RANGE),
        ):
            if not low <= value <= high:
                raise ValueError(f"the font-wide {name} {value:g} is outside {low:g} to {high:g}")

    @property
    def is_identity(self) -> bool:
        return self.scale == 1.0 and self.baseline == 0 and self.spacing == 0

    def matrix(self) -> tuple[float, float, float, float, float, float]:
        """The affine transform ``(xx, xy, yx, yy, dx, dy)`` of the outlines, in font units."""
        cx, cy = CENTRE
        s = self.scale
        return (s, 0.0, 0.0, s, cx - s * cx + self.spacing / 2, cy - s * cy + self.baseline)

    def apply(self, record: GlyphRecord) -> GlyphRecord:
        """``record`` placed by this layout when it is a Hanzi, else unchanged."""
        if self.is_identity or not any(is_han(chr(cp)) for cp in record.codepoints):
            return record
        matrix = self.matrix()

        def placed(outline: Any) -> Any:
            return drawing(lambda pen: outline.draw(TransformPen(pen, matrix)))

        return GlyphRecord(record.name, record.codepoints, record.advance + self.spacing,
                           placed(record.quadratic), placed(record.cubic))  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> GlyphLayout:
        """A layout from a report or settings entry; missing keys keep their default. ValueError on bad values."""
        if not data:
            return cls()
        try:
            values = float(data.get("scale", 1.0)), int(data.get("baseline", 0)), int(data.get("spacing", 0))
        except (TypeError, ValueError, AttributeError) as exc:
            raise ValueError(f"not a font-wide layout: {data!r} ({exc})") from None
        return cls(*values)

    def describe(self) -> str:
        """``size 95 %, baseline +20, spacing +50`` (units of 1/1000 em), or ``as drawn``."""
        if self.is_identity:
            return "as drawn"
        return f"size {self.scale * 100:.0f} %, baseline {self.baseline:+d}, spacing {self.spacing:+d}"

