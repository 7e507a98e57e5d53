"""Anything that turns characters into glyph images: a trained style model or a real font.

The batch exporter, the evaluator and the GUI take a :class:`GlyphSource`, so the same path runs
with a trained SE-GAN (``segan_core.inference.StyleModel``) or with glyphs rendered from a font
file (:class:`FontGlyphSource`: the "real font" reference row, and tests that need no model).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from segan_core.glyphs.render import FontRenderer


@runtime_checkable
class GlyphSource(Protocol):
    """Characters in, uint8 ink images (N, size, size) out."""

    @property
    def size(self) -> int: ...

    @property
    def identity(self) -> str:
        """A stable hash of whatever decides the output (weights, font file): the cache key."""
        ...

    @property
    def name(self) -> str: ...

    def missing(self, chars: Sequence[str]) -> dict[str, str]:
        """The characters this source cannot produce, each with a reason."""
        ...

    def generate(self, chars: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Ink images for ``chars`` (all must be producible: check :meth:`missing` first)."""
        ...


class FontGlyphSource:
    """Glyphs rendered straight from a font file, on the project's em box."""

    def __init__(self, font: Path | str | FontRenderer, size: int) -> None:
        self.renderer = font if isinstance(font, FontRenderer) else FontRenderer(font)
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    @property
    def identity(self) -> str:
        return f"font-{self.renderer.sha256[:16]}-{self._size}"

    @property
    def name(self) -> str:
        return self.renderer.family

    def missing(self, chars: Sequence[str]) -> dict[str, str]:
        out = {}
        for char in chars:
            why = self.renderer.check(char)
            if why:
                out[char] = why.reason
        return out

    def generate(self, chars: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not chars:
            return np.zeros((0, self._size, self._size), np.uint8)
        return np.stack([self.renderer.render(c, self._size) for c in chars])
