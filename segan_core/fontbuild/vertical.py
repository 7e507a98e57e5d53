"""Vertical text: ``.vert`` alternates of the CJK punctuation and brackets, and the ``vert`` feature using them.

Where an alternate comes from, first that applies (:func:`vertical_records`):

1. the source font's own ``vert`` substitution (GSUB single substitutions of its ``vert``/``vrt2`` feature);
2. the source font's glyph for the Unicode vertical presentation form (U+FE10–FE19, U+FE30–FE48), found
   through the form's ``<vertical>`` decomposition (the fullwidth ``（`` shares the form of ``(``);
3. the horizontal glyph transformed as Unicode's vertical forms show it: brackets, dashes, the ellipsis
   and the tilde rotated 90° clockwise about the em-box centre; the full stop, commas, colon, semicolon,
   ``！`` and ``？`` kept upright and moved (full stop and commas from the lower left to the upper right of
   the em box, the others centred), as GB/T 15834 sets them in vertical Chinese.

The builder names each alternate ``<glyph>.vert``; :func:`feature_text` writes one ``sub X by X.vert`` per
pair (the same text goes into a UFO's ``features.fea``), so a designer who draws another ``.vert`` glyph in
the UFO gets it into the feature by the name alone.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Iterator

from fontTools.pens.boundsPen import BoundsPen

from segan_core.fontbuild.glyphs import GlyphRecord, glyph_name
from segan_core.fontbuild.metrics import ADVANCE, ASCENT, DESCENT

VERT_SUFFIX = ".vert"
# the fullwidth punctuation and brackets that need a vertical form, by how they are made when the source
# font has none: kept upright and moved (PLACED), or turned 90° clockwise (ROTATED)
PLACED_CORNER = "，。、．"  # lower left -> upper right
PLACED_CENTRE = "：；！？"
ROTATED = "「」『』（）《》〈〉【】〔〕〖〗｛｝［］—―‥…～＿"
VERT_CHARS = PLACED_CORNER + PLACED_CENTRE + ROTATED
VERTICAL_FORM_RANGES = ((0xFE10, 0xFE19), (0xFE30, 0xFE48))
Matrix = tuple[float, float, float, float, float, float]


def unicode_vertical_forms() -> dict[str, int]:
    """NFKC form of a horizontal character -> the code point of its vertical presentation form."""
    forms: dict[str, int] = {}
    for lo, hi in VERTICAL_FORM_RANGES:
        for cp in range(lo, hi + 1):
            parts = unicodedata.decomposition(chr(cp)).split()
            if len(parts) == 2 and parts[0] == "<vertical>":
                forms.setdefault(unicodedata.normalize("NFKC", chr(int(parts[1], 16))), cp)
    return forms


def rotate_clockwise(advance: int = ADVANCE) -> Matrix:
    """90° clockwise about the centre of the em box (``advance`` wide, DESCENT..ASCENT tall)."""
    cx, cy = advance / 2, (ASCENT + DESCENT) / 2
    return (0, -1, 1, 0, cx - cy, cy + cx)


def placement(char: str, bounds: tuple[float, float, float, float], advance: int = ADVANCE) -> Matrix:
    """The upright move of :data:`PLACED_CORNER` / :data:`PLACED_CENTRE` glyphs with ink ``bounds``."""
    x0, y0, x1, y1 = bounds
    if char in PLACED_CORNER:  # as far from the top right as it was from the bottom left
        return (1, 0, 0, 1, (advance - x1) - x0, (ASCENT - (y0 - DESCENT)) - y1)
    return (1, 0, 0, 1, (advance - x1 - x0) / 2, 0)


def source_vert_map(font) -> dict[str, str]:
    """The source font's own ``vert``/``vrt2`` single substitutions (glyph -> glyph); empty without GSUB."""
    if "GSUB" not in font:
        return {}
    table = font["GSUB"].table
    if table.FeatureList is None or table.LookupList is None:
        return {}
    indices = {i for rec in table.FeatureList.FeatureRecord if rec.FeatureTag in ("vert", "vrt2")
               for i in rec.Feature.LookupListIndex}  # fmt: skip
    mapping: dict[str, str] = {}
    for index in sorted(indices):
        lookup = table.LookupList.Lookup[index]
        for sub in lookup.SubTable:
            if lookup.LookupType == 7:
                sub = sub.ExtSubTable
            for source, target in (getattr(sub, "mapping", None) or {}).items():
                mapping.setdefault(source, target)
    return mapping


def vertical_records(fallback, in_font: Iterable[int]) -> Iterator[GlyphRecord]:
    """``.vert`` alternates, from ``fallback`` (a :class:`~segan_core.fontbuild.fallback.FallbackFont`), of the
    :data:`VERT_CHARS` among the code points ``in_font`` that the fallback font drew full width."""
    present = set(in_font)
    own = source_vert_map(fallback.font)
    forms = unicode_vertical_forms()
    for char in VERT_CHARS:
        cp = ord(char)
        source = fallback.cmap.get(cp)
        if cp not in present or source is None or fallback.advance(source) != ADVANCE:
            continue
        name = glyph_name(cp) + VERT_SUFFIX
        form = fallback.cmap.get(forms.get(unicodedata.normalize("NFKC", char), -1))
        alternate = next((a for a in (own.get(source), form) if a and a != ".notdef" and _ink(fallback, a)), None)
        bounds = _ink(fallback, source)
        if alternate is not None:  # AR PL KaitiM GB maps U+FE31..FE44 to empty glyphs: those are passed over
            yield fallback.record(name, alternate)
        elif bounds is None:
            continue
        elif char in ROTATED:
            yield fallback.record(name, source, rotate_clockwise())
        else:
            yield fallback.record(name, source, placement(char, bounds))


def _ink(fallback, source_name: str) -> tuple[float, float, float, float] | None:
    """The ink box of a fallback glyph (UPM 1000), None when it draws nothing."""
    pen = BoundsPen(None)
    fallback.outline(source_name).draw(pen)
    return pen.bounds


def vert_pairs(glyph_order: Iterable[str]) -> list[tuple[str, str]]:
    """(glyph, glyph.vert) for every ``.vert`` glyph whose base glyph is in the font, in glyph order."""
    names = list(glyph_order)
    known = set(names)
    return [(n.removesuffix(VERT_SUFFIX), n) for n in names
            if n.endswith(VERT_SUFFIX) and n.removesuffix(VERT_SUFFIX) in known]  # fmt: skip


def feature_text(glyph_order: Iterable[str]) -> str:
    """OpenType feature code (feaLib / UFO ``features.fea``) of the ``vert`` feature; empty without pairs."""
    pairs = vert_pairs(glyph_order)
    if not pairs:
        return ""
    lines = ["languagesystem DFLT dflt;", "languagesystem hani dflt;", "", "feature vert {"]
    lines += [f"    sub {base} by {alternate};" for base, alternate in pairs]
    lines += ["} vert;", ""]
    return "\n".join(lines)
