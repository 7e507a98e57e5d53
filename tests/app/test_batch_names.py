"""Issue 31, "Also": a 5-character vendor ID is not cut to 4 in the app; Start refuses it as the CLI does."""

from __future__ import annotations

from pathlib import Path


def test_a_five_character_vendor_id_is_refused_not_cut(qtbot, window, errors, tmp_path: Path):
    view = window.batch
    view.set_charset("text", "永字")
    view.out.setText(str(tmp_path / "out"))
    qtbot.keyClicks(view.names["vendor_id"], "ABCDE")
    typed = view.names["vendor_id"].text()
    assert typed.endswith("ABCDE")  # nothing silently dropped
    view.names["vendor_id"].setText("ABCDE")
    assert view.start() is False
    assert errors and "vendor ID must be exactly 4 printable ASCII characters" in errors[-1][1]
    assert "'ABCDE' (5 characters)" in errors[-1][1]
    assert not (tmp_path / "out").exists()


def test_open_folder_after_an_export_shows_the_fonts_folder(qtbot, window, errors, monkeypatch, tmp_path: Path):
    """Issue 31, "what font tools have": an Open folder after export (the destination is remembered already)."""
    from PySide6.QtGui import QDesktopServices

    from ..conftest import MA_SHAN_ZHENG

    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toLocalFile()) or True)
    view = window.batch
    view.use_font(MA_SHAN_ZHENG)
    view.set_charset("text", "永字")
    view.out.setText(str(tmp_path / "fonts"))
    for name, box in view.formats.items():
        box.setChecked(name == "ttf")
    view.quality_gate.setChecked(False)
    assert not view.open_folder_button.isEnabled()  # nothing exported yet
    with qtbot.waitSignal(view.finished, timeout=60000):
        assert view.start()
    qtbot.waitUntil(lambda: view.open_folder_button.isEnabled(), timeout=10000)
    view.open_folder_button.click()
    assert opened == [str(tmp_path / "fonts")] and any((tmp_path / "fonts").glob("*.ttf"))
    assert errors == []
