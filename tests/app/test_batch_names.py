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
