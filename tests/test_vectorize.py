"""Vectorizing glyph images: directions, em-box mapping, overlaps, serialisation, round-trip IoU."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from fontTools.pens.areaPen import AreaPen
from fontTools.pens.boundsPen import BoundsPen

from segan_core.fontbuild import FontInfo, GlyphRecord, build_font, glyph_name, save_font
from segan_core.glyphs.embox import EmBox
from segan_core.glyphs.render import FontRenderer
from segan_core.vectorize import Outline, TraceConfig, TracedGlyph, trace_glyph
from segan_core.vectorize.trace import clean_outline

from .conftest import MA_SHAN_ZHENG, ZHI_MANG_XING

# 50 GB2312 level-1 characters spread over the whole level (every 75th)
FIFTY = "啊办辟财吵楚措地杜凡俘戈棺耗槐稽奸街久堪葵黎琳侣茂铭溺旁屏钱蛆孺捎世谁锁体鸵慰犀削袖蜒揖荧遇糟招纸转"


def signed_areas(outline: Outline) -> list[float]:
    areas = []
    for contour in outline.contours():
        pen = AreaPen()
        contour.draw(pen)
        areas.append(pen.value)
    return areas


def ring(size: int = 64, outer: float = 24, inner: float = 12) -> np.ndarray:
    yy, xx = np.mgrid[:size, :size]
    r = np.hypot(yy - size / 2 + 0.5, xx - size / 2 + 0.5)
    return (((r < outer) & (r > inner)) * 255).astype(np.uint8)


def test_ring_traces_to_two_contours_of_opposite_direction():
    traced = trace_glyph(ring())
    cubic, quad = signed_areas(traced.cubic), signed_areas(traced.quadratic)
    assert len(cubic) == 2 and len(quad) == 2
    # fontTools' AreaPen: positive = counter-clockwise (y up)
    outer_c, inner_c = sorted(cubic, key=abs, reverse=True)
    assert outer_c > 0 > inner_c, "CFF: outer counter-clockwise, hole clockwise"
    outer_q, inner_q = sorted(quad, key=abs, reverse=True)
    assert outer_q < 0 < inner_q, "TrueType: outer clockwise, hole counter-clockwise"
    # area close to the true annulus: pi (24^2 - 12^2) px^2 in font units
    scale = 1000 / EmBox(64).em_px
    expected = np.pi * (24**2 - 12**2) * scale**2
    assert abs(outer_c + inner_c - expected) / expected < 0.02
    assert all(op in ("moveTo", "qCurveTo", "lineTo", "closePath") for op, _ in traced.quadratic.ops)
    assert any(op == "curveTo" for op, _ in traced.cubic.ops)


def test_square_maps_back_through_the_em_box():
    size = 64
    image = np.zeros((size, size), np.uint8)
    image[16:40, 20:44] = 255  # rows 16..40, columns 20..44 (pixel corners)
    traced = trace_glyph(image, TraceConfig(upsample=1))
    pen = BoundsPen(None)
    traced.cubic.draw(pen)
    box = EmBox(size)
    x0, y_top = box.to_font_units(20, 16, 1000)
    x1, y_bottom = box.to_font_units(44, 40, 1000)
    assert pen.bounds == pytest.approx((x0, y_bottom, x1, y_top), abs=1.0)


def test_blank_image_gives_an_empty_glyph_and_speckles_are_dropped():
    assert trace_glyph(np.zeros((64, 64), np.uint8)).is_empty
    speck = np.zeros((64, 64), np.uint8)
    speck[30, 30] = 255
    assert trace_glyph(speck, TraceConfig(turdsize=2)).is_empty
    assert not trace_glyph(speck, TraceConfig(turdsize=0)).is_empty


def test_overlapping_contours_are_merged():
    def square(x0, y0, x1, y1):
        return [("moveTo", ((x0, y0),)), ("lineTo", ((x0, y1),)), ("lineTo", ((x1, y1),)),
                ("lineTo", ((x1, y0),)), ("closePath", ())]  # fmt: skip

    overlapping = Outline(tuple(square(0, 0, 100, 100) + square(50, 50, 150, 150)))
    merged = clean_outline(overlapping, TraceConfig())
    areas = signed_areas(merged)
    assert len(areas) == 1
    assert areas[0] == pytest.approx(100 * 100 * 2 - 50 * 50)
    assert areas[0] > 0  # counter-clockwise after the winding fix


def test_outline_bytes_round_trip_and_config_keys():
    traced = trace_glyph(FontRenderer(MA_SHAN_ZHENG).render("永", 64))
    again = TracedGlyph.from_bytes(traced.to_bytes())
    assert again == traced
    assert not TracedGlyph.bytes_is_empty(traced.to_bytes())
    with pytest.raises(ValueError):
        Outline((("moveTo", ((0.5, 0),)),)).to_bytes()  # not integral
    assert TraceConfig().key != TraceConfig(upsample=2).key
    with pytest.raises(ValueError):
        TraceConfig(upsample=0)


def round_trip_iou(font: Path, size: int, tmp: Path) -> list[float]:
    renderer = FontRenderer(font)
    images = {c: renderer.render(c, size) for c in FIFTY}
    records = []
    for char, image in images.items():
        traced = trace_glyph(image)
        records.append(GlyphRecord(glyph_name(ord(char)), (ord(char),), 1000, traced.quadratic, traced.cubic))
    path = tmp / f"{font.stem}.ttf"
    save_font(build_font(FontInfo(family="Round Trip", timestamp=0), records, "ttf"), path)
    built = FontRenderer(path)
    ious = []
    for char, image in images.items():
        a, b = image >= 128, built.render(char, size) >= 128
        ious.append((a & b).sum() / (a | b).sum())
    return ious


@pytest.mark.parametrize("font", [MA_SHAN_ZHENG, ZHI_MANG_XING], ids=lambda p: p.stem)
def test_round_trip_ink_iou_at_128px(font, tmp_path):
    assert len(FIFTY) == 50
    ious = round_trip_iou(font, 128, tmp_path)
    assert np.mean(ious) >= 0.95, f"mean IoU {np.mean(ious):.4f}"
    assert min(ious) >= 0.90, f"worst IoU {min(ious):.4f}"


@pytest.mark.parametrize(
    ("size", "upsample", "turdsize"), [(64, 4, 1.0), (128, 2, 4.0), (256, 1, 16.0), (1024, 1, 256.0)]
)
def test_trace_settings_at_a_size_keep_the_effective_resolution(size, upsample, turdsize):
    config = TraceConfig().at_size(size)
    assert (config.upsample, config.turdsize) == (upsample, turdsize)
    assert config.threshold == TraceConfig().threshold
    assert (config.key == TraceConfig().key) == (size == 64)  # outlines of other settings never share a cache key


def test_a_quadratic_contour_without_on_curve_points_gets_its_implied_start():
    """skia-pathops draws a small round blob as ``qCurveTo(*off_curve, None)``; a GB2312 export died on one (薄,
    drawn by Ma Shan Zheng's int8 path). Such a contour gets the implied on-curve point as an explicit start."""
    from segan_core.vectorize.outline import Outline

    square = ((0, 0), (100, 0), (100, 100), (0, 100))
    outline = Outline.from_pen_value([("qCurveTo", (*square, None)), ("closePath", ())])
    assert outline.ops == (("moveTo", ((0.0, 50.0),)), ("qCurveTo", (*square, (0.0, 50.0))), ("closePath", ()))
    with pytest.raises(ValueError):
        Outline.from_pen_value([("qCurveTo", (None,))])


def test_the_glyph_that_stopped_an_export_is_traced():
    import cv2

    image = cv2.imread(str(Path(__file__).parent / "data" / "trace-implied-start-8584.png"), cv2.IMREAD_GRAYSCALE)
    traced = trace_glyph(image, TraceConfig())
    assert traced.cubic.contour_count == traced.quadratic.contour_count >= 5
    assert TracedGlyph.from_bytes(traced.to_bytes()).quadratic.contour_count == traced.quadratic.contour_count
