"""Vertical text: HarfBuzz (uharfbuzz) shaping top to bottom picks the .vert alternates of CJK punctuation and
brackets through the vert feature; horizontal text keeps the base glyphs; vhea/vmtx fit the alternates."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from segan_core.batch import BatchRequest, export_font
from segan_core.fontbuild.metrics import ADVANCE_HEIGHT, ASCENT, VERTICAL_ORIGIN_Y
from segan_core.fontbuild.vertical import VERT_CHARS, feature_text, rotate_clockwise, unicode_vertical_forms
from segan_core.jobs import run_to_end

from .conftest import MA_SHAN_ZHENG

hb = pytest.importorskip("uharfbuzz", reason="uharfbuzz is a dev dependency (pip install -e .[dev])")

TEXT = "永字八法天地玄黄"
LINE = "永，天「地」。法（八）、黄《玄》—…"


@pytest.fixture(scope="module")
def fonts(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("vert")
    request = BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=tuple(TEXT), out=tmp / "Vert.ttf",
                           formats=("ttf", "otf", "woff2"), cache_dir=tmp / "cache", workers=0,
                           timestamp=1_700_000_000, font_size=64)  # fmt: skip
    return run_to_end(export_font(request)).paths


def sfnt(path: Path) -> bytes:
    """The font's bytes; WOFF2 unpacked first (HarfBuzz reads sfnt only)."""
    font = TTFont(path)
    font.flavor = None
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def shape(path: Path, text: str, direction: str) -> tuple[list[str], list]:
    font = hb.Font(hb.Face(sfnt(path)))
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = direction
    hb.shape(font, buf, {})
    return [font.glyph_to_string(info.codepoint) for info in buf.glyph_infos], buf.glyph_positions


@pytest.mark.parametrize("fmt", ["ttf", "otf", "woff2"])
def test_vertical_shaping_picks_the_vertical_forms(fonts, fmt):
    names, positions = shape(fonts[fmt], LINE, "ttb")
    for char, name in zip(LINE, names, strict=True):
        if char in VERT_CHARS:
            assert name.endswith(".vert"), (char, name)
        else:
            assert not name.endswith(".vert"), (char, name)
    assert all(p.y_advance == -ADVANCE_HEIGHT for p in positions), "one em per glyph down the column"
    assert all(p.y_offset == -VERTICAL_ORIGIN_Y for p in positions), "every glyph hangs from the em-box top"
    horizontal, _ = shape(fonts[fmt], LINE, "ltr")
    assert not any(n.endswith(".vert") for n in horizontal)


def test_vertical_forms_are_where_unicode_puts_them(fonts):
    font = TTFont(fonts["ttf"])
    glyphs, cmap = font.getGlyphSet(), font.getBestCmap()

    def box(name: str) -> tuple[float, float, float, float]:
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        return pen.bounds

    comma, comma_v = box(cmap[ord("，")]), box(cmap[ord("，")] + ".vert")
    assert comma[0] < 500 and comma[3] < 380 and comma_v[0] > 500 and comma_v[1] > 380, "lower left -> upper right"
    dash, dash_v = box(cmap[ord("—")]), box(cmap[ord("—")] + ".vert")
    assert dash[2] - dash[0] > 4 * (dash[3] - dash[1]) and dash_v[3] - dash_v[1] > 4 * (dash_v[2] - dash_v[0])
    a, b, c, d, e, f = rotate_clockwise()
    x0, y0, x1, y1 = box(cmap[ord("「")])
    corners = [(a * x + c * y + e, b * x + d * y + f) for x in (x0, x1) for y in (y0, y1)]
    assert box(cmap[ord("「")] + ".vert") == pytest.approx(
        (min(p[0] for p in corners), min(p[1] for p in corners), max(p[0] for p in corners),
         max(p[1] for p in corners)), abs=2)  # fmt: skip
    for name in font.getGlyphOrder():
        if name.endswith(".vert"):
            advance, tsb = font["vmtx"][name]
            assert advance == ADVANCE_HEIGHT and tsb == ASCENT - box(name)[3]
    vhea = font["vhea"]
    assert vhea.ascent == 500 and vhea.descent == -500 and vhea.advanceHeightMax == ADVANCE_HEIGHT
    assert vhea.numberOfVMetrics == len(font["vmtx"].metrics) or vhea.numberOfVMetrics >= 1


def test_feature_text_and_unicode_forms():
    assert unicode_vertical_forms()["("] == 0xFE35 and unicode_vertical_forms()["。"] == 0xFE12
    text = feature_text(["uni3002", "uni3002.vert", "uniFF08.vert", "A"])
    assert "sub uni3002 by uni3002.vert;" in text and "uniFF08" not in text  # no base glyph: no rule
    assert feature_text(["A", "B"]) == ""


def test_no_fallback_glyphs_no_vert_feature(tmp_path):
    request = BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=tuple(TEXT[:2]), out=tmp_path / "NoVert.ttf",
                           cache_dir=tmp_path / "cache", workers=0, fallback_glyphs=False, font_size=64)
    font = TTFont(run_to_end(export_font(request)).paths["ttf"])
    assert "GSUB" not in font and not any(n.endswith(".vert") for n in font.getGlyphOrder())
