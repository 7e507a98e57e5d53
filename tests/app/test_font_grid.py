"""Issue 31's "whole-font glyph grid": every glyph of the exported font, written ones marked, and the font-wide
size, baseline and spacing tried on the grid before the font is rebuilt with them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QFontDatabase, QImage

from app.widgets.font_grid import GENERATED, OTHER, WRITTEN, FontGridDialog
from segan_core.fontbuild import FontInfo, GlyphRecord, build_font, save_font
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.glyphs.render import FontRenderer

from ..test_font_layout import record


def _square(char: str, advance: int = 1000) -> GlyphRecord:
    """A 0.8 em square on the em box's centre: x 100-900, y -20-780."""
    return record(char, (100, -20, 900, 780), advance)


@pytest.fixture
def font(tmp_path) -> tuple[Path, str]:
    path = tmp_path / "grid.ttf"
    records = [_square("永"), _square("字"), _square("八"), _square("A", 500)]
    save_font(build_font(FontInfo(family="Grid Test", timestamp=1_700_000_000), records, "ttf"), path)
    font_id = QFontDatabase.addApplicationFont(str(path))
    yield path, QFontDatabase.applicationFontFamilies(font_id)[0]
    QFontDatabase.removeApplicationFont(font_id)


def _first_cell_ink(dialog) -> tuple[int, int, int]:
    """Ink pixels in the first cell and the ink's top and bottom rows."""
    view = dialog.view
    rect = view.visualRect(dialog.model.index(0))
    image = view.viewport().grab(rect).toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    pixels = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    ink = pixels[:, : image.width()] < 60
    rows = np.nonzero(ink.any(axis=1))[0]
    return int(ink.sum()), int(rows.min()), int(rows.max())


def test_every_glyph_is_listed_with_its_kind_and_the_filter_shows_one_kind(qtbot, font):
    path, family = font
    chars = FontRenderer(path).chars
    dialog = FontGridDialog(path, family, chars, frozenset("永"))
    qtbot.addWidget(dialog)
    kinds = {c: dialog.model.kinds[c] for c in "永字八A"}
    assert kinds == {"永": WRITTEN, "字": GENERATED, "八": GENERATED, "A": OTHER}
    assert "1 written by hand (marked), 2 generated" in dialog.counts.text()
    dialog.filter.setCurrentIndex(dialog.filter.findData(GENERATED))
    shown = [dialog.model.data(dialog.model.index(r)) for r in range(dialog.model.rowCount())]
    assert shown == ["八", "字"]  # code point order
    dialog.filter.setCurrentIndex(dialog.filter.findData(WRITTEN))
    assert dialog.model.rowCount() == 1


def test_the_layout_moves_the_drawn_glyphs_and_is_handed_back_for_the_rebuild(qtbot, font):
    path, family = font
    dialog = FontGridDialog(path, family, ("永",), frozenset(), cell=100)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    ink, _, _ = _first_cell_ink(dialog)
    assert ink > 4000  # an 80 x 80 px square (0.8 em at 100 px a cell)
    assert not dialog.rebuild_button.isEnabled()  # nothing to rebuild yet
    dialog.set_layout(GlyphLayout(scale=0.5, baseline=0, spacing=0))
    qtbot.wait(50)
    half, half_top, half_bottom = _first_cell_ink(dialog)
    assert half == pytest.approx(ink / 4, rel=0.15)
    dialog.set_layout(GlyphLayout(scale=0.5, baseline=100, spacing=200))
    qtbot.wait(50)
    _, up_top, up_bottom = _first_cell_ink(dialog)
    assert up_top == pytest.approx(half_top - 10, abs=2) and up_bottom == pytest.approx(half_bottom - 10, abs=2)
    assert dialog.view.visualRect(dialog.model.index(0)).width() >= 120  # the advance grew by 0.2 em
    with qtbot.waitSignal(dialog.rebuild_requested) as signal:
        dialog.rebuild_button.click()
    assert signal.args == [GlyphLayout(scale=0.5, baseline=100, spacing=200)]


def test_a_font_built_with_a_layout_is_drawn_as_built_until_another_is_tried(qtbot, tmp_path):
    path = tmp_path / "placed.ttf"
    built_with = GlyphLayout(scale=0.5)
    save_font(build_font(FontInfo(family="Grid Placed", timestamp=1_700_000_000), [_square("永")], "ttf",
                         built_with), path)  # fmt: skip
    font_id = QFontDatabase.addApplicationFont(str(path))
    try:
        family = QFontDatabase.applicationFontFamilies(font_id)[0]
        dialog = FontGridDialog(path, family, ("永",), frozenset(), built_with, cell=100)
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        small, _, _ = _first_cell_ink(dialog)
        assert dialog.boxes.size_box.value() == 50
        dialog.set_layout(GlyphLayout())  # back to full size: drawn twice as tall as the font holds it
        qtbot.wait(50)
        full, _, _ = _first_cell_ink(dialog)
        assert full == pytest.approx(small * 4, rel=0.15)
    finally:
        QFontDatabase.removeApplicationFont(font_id)


# -- in the Batch view: the exported font's grid, and a rebuild with the layout chosen there --------------------


def test_the_batch_view_opens_the_exported_font_and_rebuilds_it_with_the_layout_chosen(qtbot, window, tmp_path,
                                                                                       errors):
    from fontTools.ttLib import TTFont

    from ..conftest import MA_SHAN_ZHENG

    view = window.batch
    assert not view.glyphs_button.isEnabled()  # nothing exported yet
    view.use_font(MA_SHAN_ZHENG)
    view.family.setText("Grid Brush")
    view.set_charset("text", "永字八法")
    view.out.setText(str(tmp_path / "fonts"))
    for name, box in view.formats.items():
        box.setChecked(name == "ttf")
    view.quality_gate.setChecked(False)
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()
    qtbot.waitUntil(view.glyphs_button.isEnabled, timeout=10000)
    dialog = view.show_font_glyphs()
    assert dialog is not None
    shown = [dialog.model.data(dialog.model.index(r)) for r in range(4)]
    assert shown == list("永字八法")  # the request's order first, then the fallback's punctuation and Latin
    assert dialog.model.count(GENERATED) == 4 and dialog.model.count(OTHER) > 50
    ttf = tmp_path / "fonts" / "Grid-Brush.ttf"
    before = TTFont(ttf)
    name = before.getBestCmap()[ord("永")]
    width = before["hmtx"][name][0]
    dialog.set_layout(GlyphLayout(scale=0.9, baseline=-40, spacing=120))
    with qtbot.waitSignal(view.finished, timeout=120000):
        dialog.rebuild_button.click()
    assert errors == []
    after = TTFont(ttf)
    assert after["hmtx"][name][0] == width + 120
    assert after["glyf"][name].yMax == pytest.approx(380 + 0.9 * (before["glyf"][name].yMax - 380) - 40, abs=2)
    assert view.report.report.layout == GlyphLayout(0.9, -40, 120) and view.glyph_layout() == view.report.report.layout
    assert view.report.report.cache.traced == 0  # rebuilt from the cached outlines
    again = view.show_font_glyphs()
    assert again.boxes.size_box.value() == 90 and not again.rebuild_button.isEnabled()  # drawn as built
