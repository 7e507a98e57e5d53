"""The Generate view's glyph cache: the glyphs of the text kept, the others up to a byte budget (issue 31).

A glyph of the preview is its source, both skeletons, the generated glyph, three heatmaps and, for a style with
a second stage, the 256 px glyph: about 90 KB with the stage, 25 KB without. The glyphs of the characters in the
text are always kept (the grid and the detail panel show them); those of characters typed earlier and deleted
since ("spare" glyphs: they come back at once if retyped) are kept up to :data:`SPARE_BUDGET` bytes, the least
recently used dropped first. Every glyph is stored as its own arrays, never as views into the arrays of the chunk
it was generated with, so that dropping one frees its bytes (a view would keep the whole chunk's arrays alive).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, MutableMapping
from dataclasses import replace

import numpy as np

from app.views.detail import GlyphResult

SPARE_BUDGET = 64 << 20  # bytes of glyphs of characters no longer in the text (about 700 glyphs with a second stage)


def _own(array: np.ndarray | None) -> np.ndarray | None:
    """``array`` with memory of its own (a view is copied out of its base)."""
    if array is None or (array.base is None and array.flags.c_contiguous):
        return array
    return np.array(array, order="C", copy=True)


def own_arrays(result: GlyphResult) -> GlyphResult:
    """The same glyph, every array owning its memory."""
    return replace(
        result, source=_own(result.source), source_skeleton=_own(result.source_skeleton),
        generated=_own(result.generated), generated_skeleton=_own(result.generated_skeleton),
        heatmaps={kind: _own(values) for kind, values in result.heatmaps.items()}, upscaled=_own(result.upscaled),
    )


def result_nbytes(result: GlyphResult) -> int:
    """The bytes of a glyph's arrays."""
    arrays = [result.source, result.source_skeleton, result.generated, result.generated_skeleton,
              result.upscaled, *result.heatmaps.values()]
    return sum(a.nbytes for a in arrays if a is not None)


class PreviewCache(MutableMapping[str, GlyphResult]):
    """char -> :class:`GlyphResult`, with its own byte accounting (:attr:`nbytes`, :attr:`spare_nbytes`).

    :meth:`keep` names the characters of the text: they are never dropped. The others ("spare") are dropped, least
    recently stored or kept first, as soon as they hold more than ``budget`` bytes. Reading never reorders (the
    view iterates the cache while it reads it).
    """

    def __init__(self, budget: int = SPARE_BUDGET) -> None:
        self.budget = budget
        self._items: OrderedDict[str, GlyphResult] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._kept: frozenset[str] = frozenset()
        self.nbytes = 0  # every glyph held
        self.spare_nbytes = 0  # the glyphs of characters not in the text
        self.dropped = 0  # glyphs dropped to stay within the budget, since the cache was made

    # -- the mapping ----------------------------------------------------------------------------------

    def __getitem__(self, char: str) -> GlyphResult:
        return self._items[char]

    def __setitem__(self, char: str, result: GlyphResult) -> None:
        if char in self._items:
            self._forget(char)
        result = own_arrays(result)
        size = result_nbytes(result)
        self._items[char] = result
        self._sizes[char] = size
        self.nbytes += size
        if char not in self._kept:
            self.spare_nbytes += size
            self._drop_spare()

    def __delitem__(self, char: str) -> None:
        if char not in self._items:
            raise KeyError(char)
        self._forget(char)

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, char: object) -> bool:
        return char in self._items

    def clear(self) -> None:
        self._items.clear()
        self._sizes.clear()
        self.nbytes = self.spare_nbytes = 0

    # -- the budget -----------------------------------------------------------------------------------

    def keep(self, chars: Iterable[str]) -> None:
        """The characters now in the text: kept whatever their size, and the most recently used; the glyphs of the
        others are spare and fit the budget from now on."""
        self._kept = frozenset(chars)
        for char in self._kept & self._items.keys():
            self._items.move_to_end(char)
        self.spare_nbytes = sum(size for char, size in self._sizes.items() if char not in self._kept)
        self._drop_spare()

    def spare(self) -> list[str]:
        """The characters of the spare glyphs, least recently used first."""
        return [char for char in self._items if char not in self._kept]

    def _drop_spare(self) -> None:
        if self.spare_nbytes <= self.budget:
            return
        for char in self.spare():
            if self.spare_nbytes <= self.budget:
                break
            self._forget(char)
            self.dropped += 1

    def _forget(self, char: str) -> None:
        del self._items[char]
        size = self._sizes.pop(char)
        self.nbytes -= size
        if char not in self._kept:
            self.spare_nbytes -= size
