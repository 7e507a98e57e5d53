"""Generate view: typing fills the grid; a click shows seven panels; export; marks; errors."""

from __future__ import annotations

from pathlib import Path

from app.widgets.glyph_grid import MISSING, NOT_HAN, READY


def type_text(widget, text: str) -> None:
    """Type ``text`` key by key (QTest.keyClicks cannot send CJK characters)."""
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char))


def _type(qtbot, view, text: str) -> None:
    with qtbot.waitSignal(view.generated, timeout=20000):
        view.text.clear()
        type_text(view.text, text)


def test_typing_fills_the_grid(qtbot, window, errors):
    view = window.generate
    _type(qtbot, view, "永字八法")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == list("永字八法"), timeout=20000)
    assert view.grid.chars() == list("永字八法")
    assert errors == []


def test_non_han_is_marked_not_dropped(qtbot, window):
    view = window.generate
    _type(qtbot, view, "天a地!")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["天", "地"], timeout=20000)
    assert view.grid.chars() == ["天", "a", "地", "!"]
    assert view.grid.state("a") == NOT_HAN and view.grid.state("!") == NOT_HAN
    assert "not Han" in view.status.text()
    assert len(view.text.extraSelections()) == 2


def test_missing_source_glyph_is_marked(qtbot, window, monkeypatch):
    view = window.generate
    model = view.model
    monkeypatch.setattr(model, "missing", lambda chars: {c: "source font: not in cmap" for c in chars if c == "地"})
    _type(qtbot, view, "天地")
    assert view.grid.state("地") == MISSING
    assert view.grid.state("天") == READY
    assert "missing from the source font" in view.status.text()


def test_clicking_a_glyph_shows_seven_panels(qtbot, window):
    view = window.generate
    _type(qtbot, view, "永字")
    qtbot.waitUntil(lambda: "字" in view.grid.ready_chars(), timeout=20000)
    item = view.grid.item_for("字")
    rect = view.grid.visualItemRect(item)
    from PySide6.QtCore import Qt

    qtbot.mouseClick(view.grid.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    panels = view.detail.panels()
    assert len(panels) == 7
    assert view.detail.result is not None and view.detail.result.char == "字"
    for panel in panels:
        assert panel.has_image(), panel.title.text()
        assert panel.picture.size > 0
    # overlay toggle and zoom change what is shown
    cam = view.detail.heat_panels["cam"]
    before = cam.picture.copy()
    view.detail.overlay.setChecked(False)
    assert not (cam.picture == before).all() or cam.picture.shape != before.shape
    width = cam.pixmap().width()
    view.detail.zoom.setValue(view.detail.zoom.value() + 2)
    assert cam.pixmap().width() > width


def test_export_png_and_svg(qtbot, window, tmp_path, errors):
    view = window.generate
    _type(qtbot, view, "天地")
    qtbot.waitUntil(lambda: len(view.grid.ready_chars()) == 2, timeout=20000)
    view.grid.selectAll()
    written = view.export_selection("png", tmp_path)
    assert sorted(p.name for p in written) == ["地.png", "天.png"]
    assert (tmp_path / "天.png").read_bytes()[:4] == b"\x89PNG"
    single = tmp_path / "one.svg"
    view.grid.clearSelection()
    view.grid.setCurrentItem(view.grid.item_for("天"))
    assert view.export_selection("svg", single) == [single]
    assert single.read_text().startswith("<svg") and "<path" in single.read_text()
    # an unwritable place: an error dialog, and the app keeps working
    assert view.export_selection("png", Path("/nonexistent/folder/x.png")) == []
    assert errors and "not found" in errors[-1][1]
    _type(qtbot, view, "黄")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["黄"], timeout=20000)


def test_text_file_errors_and_drop_target(qtbot, window, tmp_path, errors):
    view = window.generate
    assert not view.load_text_file(tmp_path / "missing.txt")
    assert "not found" in errors[-1][1]
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe\xfa bad")
    assert not view.load_text_file(bad)
    assert "UTF-8" in errors[-1][1]
    good = tmp_path / "good.txt"
    good.write_text("日月\n", encoding="utf-8")
    with qtbot.waitSignal(view.generated, timeout=20000):
        window.open_path(good)
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["日", "月"], timeout=20000)


def test_open_bad_model_folder_shows_error(qtbot, window, tmp_path, errors):
    assert not window.generate.open_model(tmp_path)
    assert "not a style model folder" in errors[-1][1]
    assert window.generate.model is not None  # the previous model is still in use


def test_long_paste_fills_progressively_and_new_text_wins(qtbot, window):
    from tests.app.conftest import TRAIN_TEXT

    view = window.generate
    chunks = []
    view.generated.connect(chunks.append)
    view.set_text(TRAIN_TEXT)  # 46 characters: several chunks
    qtbot.waitUntil(lambda: len(chunks) >= 1, timeout=20000)
    view.set_text("天地人")  # while the paste is still being generated
    qtbot.waitUntil(lambda: view.grid.ready_chars() == list("天地人") and not view._generating, timeout=30000)
    assert view.grid.chars() == list("天地人")
    assert view.last_latency_ms is not None


def test_a_change_while_idle_is_drawn_at_once_and_typing_during_a_draw_waits_for_a_pause(qtbot, window):
    """Issue 29's preview latency: a burst of keys while the generator is idle is one regeneration on the event
    loop's next turn (no 80 ms pause first); keys typed while it draws wait for the pause, as before."""
    from app.views.generate import DEBOUNCE_MS

    view = window.generate
    qtbot.waitUntil(lambda: not view._generating and not view.debounce.isActive(), timeout=20000)
    calls = []
    view.debounce.timeout.connect(lambda: calls.append(view.text.toPlainText()))
    view.text.blockSignals(True)
    view.text.clear()
    view.text.blockSignals(False)
    view.debounce.stop()
    type_text(view.text, "天地玄黄")  # four key presses in one turn of the event loop, as a paste
    assert view.debounce.isActive() and view.debounce.interval() == 0
    qtbot.waitUntil(lambda: calls == ["天地玄黄"], timeout=5000)
    qtbot.waitUntil(lambda: view.grid.ready_chars() == list("天地玄黄"), timeout=20000)

    view._generating = True  # a draw under way: the next keys wait for a pause
    try:
        type_text(view.text, "宇")
        assert view.debounce.interval() == DEBOUNCE_MS
        type_text(view.text, "宙")  # still a burst: the pause restarts, still the long one
        assert view.debounce.interval() == DEBOUNCE_MS and view.debounce.isActive()
    finally:
        view.debounce.stop()
        view._generating = False


def _drop(widget, path: Path) -> None:
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    point = widget.rect().center()
    enter = QDragEnterEvent(point, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    widget.dragEnterEvent(enter)
    assert enter.isAccepted()
    drop = QDropEvent(QPointF(point), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    widget.dropEvent(drop)


def test_drag_and_drop_text_file_and_image_folder(qtbot, window, tmp_path):
    text = tmp_path / "chars.txt"
    text.write_text("玄黄", encoding="utf-8")
    with qtbot.waitSignal(window.generate.generated, timeout=20000):
        _drop(window.generate, text)
    qtbot.waitUntil(lambda: window.generate.grid.ready_chars() == ["玄", "黄"], timeout=20000)
    folder = tmp_path / "scans"
    folder.mkdir()
    _drop(window.train, folder)
    assert window.train.images.text() == str(folder)
    _drop(window, folder)  # onto the window: a folder goes to Train
    assert window.tabs.currentWidget() is window.train


def test_broken_model_folder_fails_to_load_and_the_previous_style_stays(qtbot, window, tmp_path, errors):
    view = window.generate
    previous = view.entry.key
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text('{"format": "segan-checkpoint", "version": 1, "kind": "segan"}')
    (broken / "weights.safetensors").write_bytes(b"not really weights")
    view.open_model(broken)
    qtbot.waitUntil(lambda: bool(errors), timeout=20000)
    assert errors[-1][0] == "Cannot load the model"
    assert "Traceback" not in errors[-1][1]
    assert view.entry.key == previous and view.model is not None
    _type(qtbot, view, "霜")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["霜"], timeout=20000)


def test_grid_updates_incrementally(qapp):
    from app.widgets.glyph_grid import PENDING, READY, GlyphGrid

    grid = GlyphGrid()
    grid.set_chars([(c, PENDING, "") for c in "天地人"])
    import numpy as np

    grid.set_glyph("地", np.zeros((32, 32), np.uint8))
    first = grid.item_for("天")
    grid.set_chars([(c, PENDING, "") for c in "天人地和"])  # 地 moved, 和 added
    assert grid.chars() == list("天人地和")
    assert grid.item_for("天") is first  # unchanged prefix kept
    assert grid.state("地") == READY  # a ready glyph keeps its image when it moves
    assert grid.state("和") == PENDING


def test_opening_a_bundled_styles_model_folder_selects_that_style(qtbot, monkeypatch):
    from app.main_window import MainWindow
    from segan_core.styles import load_styles

    style = next((s for s in load_styles() if s.has_model), None)
    assert style is not None, "a bundled model is expected in models/"
    window = MainWindow()
    qtbot.addWidget(window)
    errors = []
    monkeypatch.setattr(window.context, "report", lambda *a, **k: errors.append(a))
    assert window.generate.open_model(style.model_dir)
    assert window.generate.entry.key == f"style:{style.id}"
    assert errors == []


def test_a_baseline_model_opens_and_generates_without_heatmaps(qtbot, window, tmp_path, errors, tiny_models):
    import dataclasses

    from segan_core.jobs import run_to_end
    from segan_core.training.presets import get_baseline_preset
    from segan_core.training.runs import RunOptions, train_baseline

    model, train = get_baseline_preset("tiny-32")
    folder = tmp_path / "baseline"
    train = dataclasses.replace(train, num_threads=1)
    run_to_end(train_baseline([tiny_models["data"]], model, train, RunOptions(out=folder, max_steps=1)))
    view = window.generate
    assert view.open_model(folder), errors
    qtbot.waitUntil(lambda: view.model is not None and view.model.kind == "baseline", timeout=20000)
    assert "attention none" in view.model_label.text() and "zi2zi baseline" in view.entry.name
    _type(qtbot, view, "永字")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["永", "字"], timeout=20000)
    view.grid.setCurrentItem(view.grid.item_for("永"))
    qtbot.waitUntil(lambda: view.detail.result is not None and view.detail.result.char == "永", timeout=20000)
    assert view.detail.glyph_panels and all(p.has_image() for p in view.detail.glyph_panels.values())
    assert not any(p.has_image() for p in view.detail.heat_panels.values())
    assert errors == []


def test_the_last_text_is_restored_and_the_first_launch_text_shown(qtbot, app_home, errors):
    """Issue 31, fault 7: choosing the first style saved the still-empty box as the last text."""
    from app.main_window import MainWindow
    from app.settings import Settings

    first = MainWindow()
    qtbot.addWidget(first)
    assert first.generate.text.toPlainText() == "永字八法天地玄黄"  # the documented first-launch text
    first.generate.text.setPlainText("春眠不觉晓")
    first.generate.regenerate()
    first.context.runner.shutdown()
    first.close()
    again = MainWindow()
    qtbot.addWidget(again)
    assert again.generate.text.toPlainText() == "春眠不觉晓"
    assert Settings().last_text == "春眠不觉晓"
    again.context.runner.shutdown()


def test_the_detail_panel_follows_the_style_and_the_text(qtbot, window, tiny_models, tmp_path):
    """Issue 31, fault 4: after a style switch or a text change the panel showed the old glyph."""
    import shutil

    view = window.generate
    _type(qtbot, view, "永字")
    view.grid.setCurrentItem(view.grid.item_for("永"))
    view.show_detail("永")
    first = view.detail.result
    assert first is not None and first.char == "永"

    other = tmp_path / "other-style"  # another model folder: another style, its own glyphs
    shutil.copytree(tiny_models["style"], other)
    with qtbot.waitSignal(view.model_ready, timeout=20000):
        assert view.open_model(other)
    assert view.detail.result is not first  # cleared at once, or the new style's own glyph
    qtbot.waitUntil(lambda: view.detail.result is not None and view.detail.result is view.cache.get("永"),
                    timeout=20000)

    view.text.setPlainText("字")  # 永 is gone from the text (字 is cached: nothing to generate)
    view.regenerate()
    assert view.detail.result is None or view.detail.result.char != "永"


def test_a_long_text_says_how_many_glyphs_are_drawn_while_it_draws(qtbot, window, errors):
    """Issue 31, "Also": 500 pasted characters showed "…" cells with no count while they generated."""
    from segan_core.charset import gb2312_level1

    view = window.generate
    texts: list[str] = []
    show = view.status.setText
    view.status.setText = lambda text: (texts.append(text), show(text))
    text = "".join(gb2312_level1()[:300])
    view.set_text(text)
    qtbot.waitUntil(lambda: len(view.grid.ready_chars()) == 300, timeout=60000)
    counts = [t for t in texts if "drawn " in t and " of 300…" in t]
    assert counts and counts[0].count("drawn 0 of 300…") == 1  # the count starts at once ...
    assert len(set(counts)) >= 2  # ... and moves
    assert "drawn" not in view.status.text()  # and goes once every glyph is there
    assert errors == []


def test_a_glyph_left_without_its_second_stage_is_drawn_again(qtbot, window, errors):
    """Issue 29: the grid shows the generator's glyphs before the second stage's; a draw that stopped between the two
    (the stage failed) leaves a glyph without its 256 px version, which the next change draws again."""
    from dataclasses import replace

    view = window.generate
    with qtbot.waitSignal(view.model_ready, timeout=60000):
        assert view.select_style("style:ma-shan-zheng")
    assert view.stage is not None
    _type(qtbot, view, "永字")
    qtbot.waitUntil(lambda: all(c in view.cache and view.cache[c].upscaled is not None for c in "永字"), timeout=60000)
    view.cache["永"] = replace(view.cache["永"], upscaled=None)
    view.regenerate()
    qtbot.waitUntil(lambda: view.cache["永"].upscaled is not None, timeout=60000)
    assert errors == []
