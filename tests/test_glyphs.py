import numpy as np
import pytest

from segan_core.errors import FontError
from segan_core.glyphs.embox import EmBox
from segan_core.glyphs.render import FontRenderer
from segan_core.glyphs.skeleton import skeletonize, thicken, thin

from .conftest import KOUZAN, MA_SHAN_ZHENG, SOURCE_FONT


@pytest.fixture(scope="module")
def kai() -> FontRenderer:
    return FontRenderer(SOURCE_FONT)


@pytest.mark.parametrize("size", [32, 64, 128, 256])
def test_rendering_is_deterministic_and_square(kai: FontRenderer, size: int):
    a = kai.render("永", size)
    b = FontRenderer(SOURCE_FONT).render("永", size)
    assert a.shape == (size, size) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    assert a.max() == 255


def test_rendering_keeps_position_not_cropped(kai: FontRenderer):
    size = 128
    one = kai.render("一", size)
    rows = np.nonzero(one.max(axis=1) > 127)[0]
    # 一 is a thin horizontal stroke at mid-height: not stretched to fill the box
    assert rows.max() - rows.min() < size * 0.15
    centre = (rows.max() + rows.min()) / 2
    assert size * 0.35 < centre < size * 0.6
    guo = kai.render("国", size)
    g_rows = np.nonzero(guo.max(axis=1) > 127)[0]
    assert g_rows.max() - g_rows.min() > size * 0.6
    # the ink stays inside the image with the em-box margin mostly free
    box = EmBox(size)
    assert guo[: box.margin // 2].max() == 0


def test_embox_mapping_round_trips():
    box = EmBox(64)
    for x, y in [(0, 0), (1000, 880), (500, -120), (123.5, 456.25)]:
        px, py = box.to_pixels(x, y, 1000)
        assert box.to_font_units(px, py, 1000) == pytest.approx((x, y))
    assert box.to_pixels(0, 880, 1000)[1] == pytest.approx(box.margin, abs=0.5)


def test_missing_glyphs_are_reported(kai: FontRenderer):
    assert kai.check("永") is None
    missing = kai.check("\U00020000")
    assert missing is not None and missing.reason == "not in cmap"
    kouzan = FontRenderer(KOUZAN)
    reasons = {kouzan.check(c).reason for c in "爱皑蔼" if kouzan.check(c)}
    assert reasons == {"not in cmap"}
    image, why = FontRenderer(MA_SHAN_ZHENG).render_checked("\U00020000", 32)
    assert image is None and "U+20000" in str(why)


def test_not_a_font_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"this is not a font")
    with pytest.raises(FontError, match="not a usable font file"):
        FontRenderer(bogus)
    with pytest.raises(FontError, match="not found"):
        FontRenderer(tmp_path / "none.ttf")


def test_thick_bar_thins_to_one_pixel_line_of_right_length():
    image = np.zeros((64, 64), np.uint8)
    image[28:37, 10:54] = 255  # 9 px thick, 44 px long
    skeleton = skeletonize(image)
    ys, xs = np.nonzero(skeleton)
    assert set(np.unique(skeleton)) <= {0, 255}
    # one pixel wide: every column has at most one skeleton pixel
    assert max(np.bincount(xs)) == 1
    assert 44 - 10 <= xs.max() - xs.min() + 1 <= 44
    assert ys.min() >= 28 and ys.max() <= 36


def test_skeleton_cleaning_removes_specks_and_thicken_widens():
    image = np.zeros((64, 64), np.uint8)
    image[30:35, 5:60] = 255
    image[5, 5] = 255  # a lone speck
    skeleton = skeletonize(image)
    assert skeleton[:10, :10].max() == 0
    one_px = thin((image > 127).astype(np.uint8) * 255)
    wide = thicken(one_px, 3)
    assert (wide > 0).sum() > 2 * (one_px > 0).sum()
    assert skeletonize(image, width=3).sum() == thicken(skeletonize(image), 3).sum()
