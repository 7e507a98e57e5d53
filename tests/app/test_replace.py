"""The app's saves follow segan_core.outputs: what is not a previous export is replaced only if the user agrees."""

from __future__ import annotations

from tests.app.test_generate import _type


def _answers(monkeypatch, module: str, answer: bool) -> list[str]:
    asked: list[str] = []

    def confirm(parent, title: str, message: str) -> bool:
        asked.append(message)
        return answer

    monkeypatch.setattr(f"app.views.{module}.confirm_replace", confirm)
    return asked


def test_batch_asks_before_replacing_a_font_it_did_not_write(qtbot, window, tmp_path, brush_font, errors, monkeypatch):
    view = window.batch
    view.use_font(brush_font)
    view.set_charset("text", "永字")
    view.family.setText("Mine")
    view.out.setText(str(tmp_path))
    for name, box in view.formats.items():
        box.setChecked(name == "ttf")
    font = tmp_path / "Mine.ttf"
    font.write_bytes(b"the user's own font")
    asked = _answers(monkeypatch, "batch", False)
    assert not view.start()
    assert len(asked) == 1 and "not a previous output" in asked[0]
    assert font.read_bytes() == b"the user's own font" and errors == []
    asked = _answers(monkeypatch, "batch", True)
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()
    assert len(asked) == 1 and font.read_bytes()[:4] == b"\0\1\0\0"
    # now it is the previous export (listed in Mine.report.json): no question the next time
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)
    asked = _answers(monkeypatch, "batch", False)
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()
    assert asked == []


def test_glyph_export_asks_before_replacing_files(qtbot, window, tmp_path, errors, monkeypatch):
    view = window.generate
    _type(qtbot, view, "天地")
    qtbot.waitUntil(lambda: len(view.grid.ready_chars()) == 2, timeout=20000)
    view.grid.selectAll()
    (tmp_path / "天.png").write_bytes(b"a photo of the sky")
    asked = _answers(monkeypatch, "generate", False)
    assert view.export_selection("png", tmp_path) == []
    assert len(asked) == 1 and "天.png" in asked[0]
    assert (tmp_path / "天.png").read_bytes() == b"a photo of the sky" and not (tmp_path / "地.png").exists()
    asked = _answers(monkeypatch, "generate", True)
    assert sorted(p.name for p in view.export_selection("png", tmp_path)) == ["地.png", "天.png"]
    assert (tmp_path / "天.png").read_bytes()[:4] == b"\x89PNG"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp files left
