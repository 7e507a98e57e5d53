"""The font-wide layout (size, baseline, spacing of the Hanzi) as the font is built: the numbers land in the font."""

from __future__ import annotations

import pytest
from fontTools.pens.boundsPen import BoundsPen
from fontTools.ttLib import TTFont

from segan_core.fontbuild import FontInfo, GlyphRecord, build_font, glyph_name, save_font
from segan_core.fontbuild.glyphs import drawing
from segan_core.fontbuild.layout import GlyphLayout


def square(x0: int, y0: int, x1: int, y1: int, clockwise: bool):
    def draw(pen) -> None:
        points = [(x0, y0), (x0, y1), (x1, y1), (x1, y0)]
        if not clockwise:
            points.reverse()
        pen.moveTo(points[0])
        for point in points[1:]:
            pen.lineTo(point)
        pen.closePath()

    return drawing(draw)


def record(char: str, box: tuple[int, int, int, int], advance: int = 1000) -> GlyphRecord:
    return GlyphRecord(glyph_name(ord(char)), (ord(char),), advance, square(*box, True), square(*box, False))


def built(tmp_path, fmt: str, layout: GlyphLayout | None) -> TTFont:
    records = [record("永", (100, -20, 900, 780)), record("A", (50, 0, 450, 700), advance=500)]
    font = build_font(FontInfo(family="Layout Test", timestamp=1_700_000_000), records, fmt, layout)
    path = tmp_path / f"layout.{fmt}"
    save_font(font, path)
    return TTFont(path)


def ink_box(font: TTFont, char: str) -> tuple[float, float, float, float]:
    name = font.getBestCmap()[ord(char)]
    pen = BoundsPen(font.getGlyphSet())
    font.getGlyphSet()[name].draw(pen)
    return pen.bounds


@pytest.mark.parametrize("fmt", ["ttf", "otf"])
def test_hanzi_are_scaled_about_the_em_centre_moved_and_spaced(tmp_path, fmt):
    font = built(tmp_path, fmt, GlyphLayout(scale=0.5, baseline=100, spacing=200))
    # 0.5 about (500, 380): x 100..900 -> 300..700, y -20..780 -> 180..580; +100 up; +100 right (half the spacing)
    assert ink_box(font, "永") == pytest.approx((400, 280, 800, 680), abs=1)
    assert font["hmtx"][font.getBestCmap()[ord("永")]][0] == 1200
    # not a Hanzi: as drawn
    assert ink_box(font, "A") == pytest.approx((50, 0, 450, 700), abs=1)
    assert font["hmtx"]["A"][0] == 500


def test_the_default_layout_changes_nothing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    plain = built(tmp_path / "a", "ttf", None)
    same = built(tmp_path / "b", "ttf", GlyphLayout())
    assert ink_box(plain, "永") == ink_box(same, "永") == pytest.approx((100, -20, 900, 780))
    assert GlyphLayout().describe() == "as drawn"
    assert GlyphLayout(0.95, 20, -50).describe() == "size 95 %, baseline +20, spacing -50"


@pytest.mark.parametrize(
    ("values", "message"),
    [((2.0, 0, 0), "size 2 is outside 0.5 to 1.5"), ((1.0, 400, 0), "baseline 400"), ((1.0, 0, -300), "spacing")],
)
def test_out_of_range_values_are_refused_by_name(values, message):
    with pytest.raises(ValueError, match=message):
        GlyphLayout(*values)


def test_json_round_trip_and_bad_entries():
    layout = GlyphLayout(0.9, -30, 80)
    assert GlyphLayout.from_json(layout.to_json()) == layout
    assert GlyphLayout.from_json(None) == GlyphLayout()
    with pytest.raises(ValueError, match="not a font-wide layout"):
        GlyphLayout.from_json({"scale": [1]})
