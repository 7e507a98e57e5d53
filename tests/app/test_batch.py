"""Batch & export view: a 30-character font is written and previewed; cancel; quality gate; errors."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase

CHARS30 = "永字八法天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余"


def _form(view, out: Path, family: str = "Test Brush", text: str = CHARS30, gate: bool = False) -> None:
    view.set_charset("text", text)
    view.family.setText(family)
    view.out.setText(str(out))
    for name, box in view.formats.items():
        box.setChecked(name in ("ttf", "woff2"))
    view.quality_gate.setChecked(gate)


def test_font_style_batch_writes_and_previews_a_font(qtbot, window, tmp_path, brush_font, errors):
    view = window.batch
    view.use_font(brush_font)
    _form(view, tmp_path / "fonts")
    with qtbot.waitSignal(view.finished, timeout=120000) as blocker:
        assert view.start()
    result = blocker.args[0]
    assert errors == []
    ttf = tmp_path / "fonts" / "Test-Brush.ttf"
    assert ttf.is_file() and (tmp_path / "fonts" / "Test-Brush.woff2").is_file()
    assert result.report.hanzi_written == 30
    assert view.font_family == "Test Brush"
    assert "Test Brush" in QFontDatabase.families()
    assert view.preview.font().family() == "Test Brush"
    assert view.preview.toPlainText()
    assert "Wrote" in view.status.text()
    # Resume re-runs from the cache (every glyph reused)
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)
    with qtbot.waitSignal(view.finished, timeout=120000) as blocker:
        assert view.start(resume=True)
    assert blocker.args[0].report.cache.outline_hits == 30


def test_tiny_model_batch_with_quality_gate_flags_and_excludes(qtbot, window, tmp_path, tiny_models, errors):
    view = window.batch
    view.select_model(tiny_models["style"])
    assert view.style.currentData() == f"dir:{tiny_models['style'].resolve()}"  # a style reference for the core
    _form(view, tmp_path / "out", family="Tiny Gate", text=CHARS30[:12], gate=True)
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()
    assert errors == []
    flagged = [view.flagged.item(i) for i in range(view.flagged.count())
               if view.flagged.item(i).flags() & Qt.ItemFlag.ItemIsUserCheckable]
    assert flagged, "a 2-step tiny model should have unreadable glyphs"
    assert not flagged[0].icon().isNull()
    assert view.flagged.iconSize().width() >= 64  # a glyph large enough to judge, not a 16 px thumbnail
    gate = view.report.report.quality_gate
    for item in flagged:  # each row says what the recognizer read instead
        char = item.data(Qt.ItemDataRole.UserRole)
        read = gate.read[char]
        assert (f"reads it as {read}" if read else "reads nothing") in item.text()
    qtbot.waitUntil(lambda: view.exclude_button.isEnabled(), timeout=10000)
    flagged[0].setCheckState(Qt.CheckState.Checked)
    excluded = flagged[0].data(Qt.ItemDataRole.UserRole)
    with qtbot.waitSignal(view.finished, timeout=120000) as blocker:
        assert view.exclude_checked()
    report = blocker.args[0].report
    assert report.requested == 11 and report.hanzi_written == 11
    assert excluded not in report.quality_gate.unreadable
    # regenerate: the cached glyph is dropped and made again
    qtbot.waitUntil(lambda: view.regenerate_button.isEnabled(), timeout=10000)
    item = next(view.flagged.item(i) for i in range(view.flagged.count())
                if view.flagged.item(i).flags() & Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Checked)
    with qtbot.waitSignal(view.finished, timeout=120000) as blocker:
        assert view.regenerate_checked()
    assert blocker.args[0].report.cache.generated == 1


def test_cancel_stops_a_running_batch(qtbot, window, tmp_path, errors):
    from segan_core.resources import SOURCE_FONT

    view = window.batch
    view.use_font(SOURCE_FONT)  # 800 characters: the full Kai font, not the brush subset of tests/fonts
    from segan_core.charset import gb2312_level1

    _form(view, tmp_path / "big", family="Cancelled", text="".join(gb2312_level1()[:800]))
    seen = []

    def cancel_on_first(event):
        seen.append(event)
        if event.stage == "glyphs":
            view.cancel()

    view.job = None
    with qtbot.waitSignal(view.stopped, timeout=120000):
        assert view.start()
        view.job.signals.progress.connect(cancel_on_first)
    assert errors == []
    assert any(e.stage == "glyphs" for e in seen)
    assert not list((tmp_path / "big").glob("*.ttf"))
    assert "Cancelled" in view.status.text()
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)


def test_batch_input_errors_show_dialogs(qtbot, window, tmp_path, brush_font, errors):
    view = window.batch
    view.use_font(tmp_path / "missing.ttf")
    _form(view, tmp_path / "o")
    assert not view.start()
    assert "font file not found" in errors[-1][1]
    view.use_font(brush_font)
    bad = tmp_path / "bad.txt"
    bad.write_text("abc, no Hanzi here", encoding="utf-8")
    view.set_charset("file", str(bad))
    assert not view.start()
    assert "no Han characters" in errors[-1][1]
    view.set_charset("file", str(tmp_path / "nope.txt"))
    assert not view.start()
    assert "neither" in errors[-1][1] or "not found" in errors[-1][1]
    # an unwritable output folder fails inside the job: a dialog, and the view is usable again
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    _form(view, locked / "sub")
    count = len(errors)
    try:
        import os

        if os.access(locked, os.W_OK):  # running as root: use a path under a file instead
            (tmp_path / "afile").write_text("x")
            _form(view, tmp_path / "afile" / "sub")
        started = view.start()
        if started:
            qtbot.waitUntil(lambda: view.job is None, timeout=60000)
        assert len(errors) == count + 1
        assert "output" in errors[-1][1].lower() or "folder" in errors[-1][1].lower()
    finally:
        locked.chmod(0o700)
    _form(view, tmp_path / "ok", text="永字")
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()


def test_name_fields_go_into_the_font_and_are_remembered(qtbot, window, tmp_path, brush_font, errors):
    from fontTools.ttLib import TTFont

    from app.views.batch import BatchView

    view = window.batch
    view.use_font(brush_font)
    _form(view, tmp_path / "named", family="Named Brush", text=CHARS30[:6])
    view.names_toggle.setChecked(True)
    view.names["vendor_id"].setText("AB")
    assert not view.start()
    assert errors and "vendor ID must be exactly 4 printable ASCII characters" in errors[-1][1]
    values = {"family_zh": "命名楷书", "designer": "Designer D", "designer_url": "https://d.example",
              "vendor_id": "DDDD", "copyright": "(c) D", "licence_url": "https://l.example"}
    for key, value in values.items():
        view.names[key].setText(value)
    view.names["licence"].setPlainText("Licence L")
    view.names["description"].setPlainText("Described.")
    with qtbot.waitSignal(view.finished, timeout=120000) as blocker:
        assert view.start()
    font = TTFont(blocker.args[0].paths["ttf"])
    name = font["name"]
    assert name.getName(1, 3, 1, 0x0804).toUnicode() == "命名楷书"
    assert name.getName(9, 3, 1, 0x409).toUnicode() == "Designer D"
    assert font["OS/2"].achVendID == "DDDD"
    assert name.getName(10, 3, 1, 0x409).toUnicode().startswith("Described.\nMade with Segan Studio")
    # a new view (the next start of the app) shows the last values
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)
    again = BatchView(window.context)
    qtbot.addWidget(again)
    assert again.name_values()["family_zh"] == "命名楷书" and again.name_values()["vendor_id"] == "DDDD"
    assert again.name_values()["licence"] == "Licence L"
