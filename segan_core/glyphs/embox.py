"""The fixed mapping between a font's em square and a square glyph image.

Every glyph image in the project (rendered, generated, traced back) uses this one mapping, so a
generated glyph keeps the baseline and body of the source font when it is exported.

The em square spans x in [0, UPM] and y in [-DESCENT*UPM, (1-DESCENT)*UPM] (the ideographic em box,
880/-120 for a 1000-unit font); it fills the image minus a margin of size/16 on each side, which
leaves room for brush strokes that overflow the em box.
"""

from __future__ import annotations

from dataclasses import dataclass

IMAGE_SIZES = (32, 64, 128, 256)
EMBOX_DESCENT = 0.12  # fraction of the em below the baseline


@dataclass(frozen=True)
class EmBox:
    """Pixel geometry of the em square inside a ``size`` x ``size`` image."""

    size: int

    def __post_init__(self) -> None:
        if self.size < 16 or self.size % 16:
            raise ValueError(f"image size must be a multiple of 16 (got {self.size})")

    @property
    def margin(self) -> int:
        return self.size // 16

    @property
    def em_px(self) -> int:
        return self.size - 2 * self.margin

    @property
    def baseline_px(self) -> int:
        """Row of the baseline, counted from the top of the image."""
        return self.margin + round((1.0 - EMBOX_DESCENT) * self.em_px)

    def to_pixels(self, x: float, y: float, upm: float) -> tuple[float, float]:
        """Font units (y up, origin at the glyph origin) -> image pixels (y down)."""
        scale = self.em_px / upm
        return self.margin + x * scale, self.baseline_px - y * scale

    def to_font_units(self, px: float, py: float, upm: float) -> tuple[float, float]:
        """Image pixels (y down) -> font units (y up); exact inverse of :meth:`to_pixels`."""
        scale = upm / self.em_px
        return (px - self.margin) * scale, (self.baseline_px - py) * scale
