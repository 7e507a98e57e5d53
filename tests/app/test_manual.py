"""Issue 31, "what font tools have": a Help manual inside the app (docs/gui.md, shipped with it)."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence


def test_help_opens_the_manual_with_its_screenshots(qtbot, window):
    action = next(a for a in window.findChildren(type(window.menuBar().actions()[0])) if a.text() == "User &manual")
    assert action.shortcut() == QKeySequence(QKeySequence.StandardKey.HelpContents)
    action.trigger()
    manual = window.manual
    assert manual.isVisible() and not manual.isModal()
    text = manual.browser.toPlainText()
    assert "Generate" in text and "Batch" in text and len(text) > 5000
    image = manual.browser.document().resource(3, "img/gui-generate.png")  # QTextDocument.ImageResource
    assert image is not None and not image.isNull()
    action.trigger()  # a second F1 brings the same window forward
    assert window.manual is manual
