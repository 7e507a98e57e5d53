"""Issue 31, "what font tools have": File > Open recent (text files and model folders)."""

from __future__ import annotations

from pathlib import Path


def test_open_recent_lists_what_was_opened_and_opens_it_again(qtbot, window, tiny_models, tmp_path: Path):
    text = tmp_path / "poem.txt"
    text.write_text("天地玄黄", encoding="utf-8")
    assert window.generate.load_text_file(text)
    assert window.generate.open_model(Path(tiny_models["style"]))
    gone = tmp_path / "gone.txt"
    gone.write_text("日月", encoding="utf-8")
    assert window.generate.load_text_file(gone)
    gone.unlink()
    window._fill_recent()
    actions = [a for a in window.recent_menu.actions() if a.text().startswith("&")]
    names = [a.text() for a in actions]
    assert names[0].startswith("&1 gone.txt") and names[1].startswith(f"&2 {Path(tiny_models['style']).name}")
    assert names[2].startswith("&3 poem.txt") and "(text," in names[2] and "(model," in names[1]
    assert not actions[0].isEnabled() and actions[2].isEnabled()  # a file that is gone is greyed out
    window.generate.set_text("")
    actions[2].trigger()
    assert window.generate.text.toPlainText() == "天地玄黄"
    window.context.settings.add_recent(text)  # opened again: first, and not twice
    assert window.context.settings.recent.count(str(text)) == 1 and window.context.settings.recent[0] == str(text)
    next(a for a in window.recent_menu.actions() if a.text() == "&Clear the list").trigger()
    assert window.context.settings.recent == []
