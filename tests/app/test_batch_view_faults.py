"""Issue 31 ("the app as a designer lives in it"), faults 1, 2, 5 and 8, in the app."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from PySide6.QtGui import QImage

from ..conftest import KOUZAN, MA_SHAN_ZHENG
from .test_calligrapher import _drop

ROOT = Path(__file__).resolve().parents[2]
TEXT = "永字八法天地玄黄"


def _form(view, out: Path, text: str = TEXT) -> None:
    view.set_charset("text", text)
    view.out.setText(str(out))
    for name, box in view.formats.items():
        box.setChecked(name == "ttf")
    view.quality_gate.setChecked(False)


def _preview_pixels(view) -> bytes:
    image = view.preview.viewport().grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    return bytes(image.constBits())


# -- fault 1: the family follows the style; replacing another style's font asks; the preview is the new font ----


def test_family_name_defaults_to_the_style(window, tiny_models, tmp_path):
    view = window.batch
    view.select_model(tiny_models["style"])
    model_family = view.family.text()
    assert model_family.startswith("Segan ") and model_family != "Segan Brush"
    view.use_font(KOUZAN)
    assert view.family.text() == f"Segan {KOUZAN.stem}"
    view.use_font(MA_SHAN_ZHENG)  # still the default: follows the style
    assert view.family.text() == f"Segan {MA_SHAN_ZHENG.stem}"
    view.family.setText("Probe Brush")  # the user's own name is kept
    view.use_font(KOUZAN)
    assert view.family.text() == "Probe Brush"
    view.family.setText("Segan Brush")  # the old fixed default is not a name anyone chose
    view.select_model(tiny_models["style"])
    assert view.family.text() == model_family


def test_replacing_a_font_of_another_style_asks_and_the_preview_shows_the_new_font(qtbot, window, tmp_path, errors,
                                                                                     monkeypatch):
    view = window.batch
    questions: list[str] = []
    answer = [False]

    def confirm(_parent, _title, question):
        questions.append(question)
        return answer[0]

    monkeypatch.setattr("app.views.batch.confirm_replace", confirm)
    view.use_font(KOUZAN)
    view.family.setText("Probe Brush")
    _form(view, tmp_path / "fonts")
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()
    ttf = tmp_path / "fonts" / "Probe-Brush.ttf"
    report = json.loads(ttf.with_name("Probe-Brush.report.json").read_text(encoding="utf-8"))
    assert report["source"]["origin"] == f"font:{KOUZAN.resolve()}"
    kouzan_font, kouzan_preview = ttf.read_bytes(), _preview_pixels(view)
    assert questions == []  # nothing was replaced

    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)
    view.use_font(MA_SHAN_ZHENG)  # keep the name
    assert view.family.text() == "Probe Brush"
    assert not view.start()  # asked, and the answer was no: the Kouzan font stays
    assert len(questions) == 1 and str(ttf) in questions[0] and str(KOUZAN.resolve()) in questions[0]
    assert ttf.read_bytes() == kouzan_font and view.job is None

    answer[0] = True
    with qtbot.waitSignal(view.finished, timeout=120000):
        assert view.start()
        assert view.font_family is None  # while the new font is made, no old font poses as "the exported font"
        assert "Exporting" in view.preview.toPlainText()
    assert errors == []
    assert ttf.read_bytes() != kouzan_font
    assert view.preview_path is not None and view.preview_path.read_bytes() == ttf.read_bytes()
    qtbot.wait(50)
    assert _preview_pixels(view) != kouzan_preview


# -- fault 2: Resume after a cancel during "check"; no raw exception name in a dialog --------------------------------


def test_an_unexpected_error_dialog_names_no_exception_class(window, errors):
    from concurrent.futures.process import BrokenProcessPool

    from app.errors import show_error

    show_error(window, BrokenProcessPool("A child process terminated abruptly, the process pool is not usable anymore"),
               "Export failed")
    _title, message = errors[-1]
    assert "BrokenProcessPool" not in message and "Unexpected error" in message and "log file" in message
    show_error(window, KeyError("glyphs"))
    assert "KeyError" not in errors[-1][1] and "'glyphs'" not in errors[-1][1]


def test_resume_after_cancel_during_check(qtbot, window, tmp_path, errors):
    from segan_core.charset import gb2312_level1
    from segan_core.resources import SOURCE_FONT

    view = window.batch
    view.use_font(SOURCE_FONT)
    _form(view, tmp_path / "resume", text="".join(gb2312_level1()[:400]))  # 400: traced in a process pool
    stages = []

    def cancel_in_check(event):
        stages.append(event.stage)
        if event.stage == "check":
            view.cancel()

    with qtbot.waitSignal(view.stopped, timeout=120000):
        assert view.start()
        view.job.signals.progress.connect(cancel_in_check)
    assert "check" in stages and "glyphs" not in stages
    qtbot.waitUntil(lambda: view.resume_button.isEnabled(), timeout=10000)
    with qtbot.waitSignal(view.finished, timeout=240000) as blocker:
        assert view.start(resume=True)
    assert errors == []
    assert blocker.args[0].report.hanzi_written > 0


# -- fault 5: pictures and PDFs dropped on any view go to the New calligrapher import -------------------------------


def test_dropped_scan_pages_go_to_the_calligrapher_import(window, tmp_path, errors):
    from app.views.calligrapher import SCANS

    page = tmp_path / "page 1.png"
    image = QImage(40, 30, QImage.Format.Format_Grayscale8)
    image.fill(255)
    assert image.save(str(page))
    photo, pdf, notes = tmp_path / "page2.JPG", tmp_path / "pages.pdf", tmp_path / "notes.txt"
    photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    pdf.write_bytes(b"%PDF-1.4\n")
    notes.write_text("永字", encoding="utf-8")
    flow = window.train.calligrapher

    window.tabs.setCurrentWidget(window.generate)
    _drop(window.generate, [page])  # on the Generate view: not "not a UTF-8 text file"
    assert errors == []
    assert window.tabs.currentWidget() is window.train and window.train.modes.currentWidget() is flow
    assert flow.pages() == [page] and flow.stack.currentIndex() == SCANS

    window.tabs.setCurrentWidget(window.batch)
    _drop(window, [photo, notes, pdf])  # on another view (the window gets it): the pictures, not the text file
    assert errors == []
    assert window.tabs.currentWidget() is window.train
    assert flow.pages() == [page, photo, pdf]

    window.tabs.setCurrentWidget(window.generate)
    _drop(window.generate, [notes])  # a text file is still the text to write
    assert window.tabs.currentWidget() is window.generate and errors == []


# -- fault 8: small and high-DPI screens -------------------------------------------------------------------------------

MIN_SIZE_SCRIPT = """
import os, sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from app.main_window import MainWindow
window = MainWindow()
window.show()
app.processEvents()
hint = window.minimumSizeHint()
print(hint.width(), hint.height(), window.devicePixelRatioF())
window.close()
"""


def test_main_window_fits_1280x720_at_scale_1_and_1_5(qtbot, app_home, errors, tmp_path):
    from app.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720, hint
    for view in (window.generate, window.batch, window.train):  # every control reachable: the views scroll
        window.tabs.setCurrentWidget(view)
        assert window.tabs.currentWidget() is view
    window.resize(800, 450)
    qtbot.wait(50)
    assert window.width() <= 853 and window.height() <= 480
    window.close()

    env = dict(os.environ, QT_SCALE_FACTOR="1.5", QT_QPA_PLATFORM="offscreen", SEGAN_STUDIO_HOME=str(tmp_path / "h"))
    run = subprocess.run([sys.executable, "-c", MIN_SIZE_SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    width, height, ratio = run.stdout.split()[-3:]
    assert float(ratio) == 1.5
    assert int(width) <= 853 and int(height) <= 480, (width, height)


def test_detail_panels_scroll_at_5x_zoom(qtbot):
    from app.views.detail import DetailPanel

    detail = DetailPanel()
    qtbot.addWidget(detail)
    detail.resize(700, 260)
    detail.show()
    for panel in detail.panels():
        panel.set_ink(np.zeros((64, 64), np.uint8))
    detail.zoom.setValue(5)
    qtbot.wait(50)
    side = detail.panels()[0].pixmap().width()
    assert side == 240
    assert all(panel.view.height() >= side and panel.view.width() >= side for panel in detail.panels())  # not cropped
    assert detail.scroll.verticalScrollBar().maximum() > 0 and detail.scroll.horizontalScrollBar().maximum() > 0


# -- also: the ETA after a resume, and the style list ------------------------------------------------------------------


def test_eta_counts_the_pace_of_this_run_not_the_cached_glyphs(window):
    from segan_core.jobs import Progress

    view = window.batch
    view._stage_start = None
    view._on_progress(Progress("glyphs", 3000, 3755, elapsed_s=2.0))  # a resume: 3,000 outlines came from the cache
    assert "00:00" not in view.eta.text() and "00:01" not in view.eta.text()
    view._on_progress(Progress("glyphs", 3100, 3755, elapsed_s=12.0))  # 100 glyphs in 10 s: 655 left take 65.5 s
    assert "ETA 01:06" in view.eta.text() and "fonts are built" in view.eta.text()
    view._on_progress(Progress("glyphs", 3755, 3755, elapsed_s=77.5))
    assert "then the fonts are built" in view.eta.text()  # not a bare "ETA 00:00": the build is still to come
    view._on_progress(Progress("build", 0, 3755, "ttf", elapsed_s=78.0))
    assert "ETA —" in view.eta.text()


def test_every_list_of_the_batch_view_opens_on_screen(qtbot, window):
    """The style list (and every other drop-down of Batch & export) opens inside the screen, whichever item is
    current: Fusion puts the current item over the box, so the last style of a box near the top edge opened
    above the screen."""
    from PySide6.QtWidgets import QComboBox

    window.tabs.setCurrentWidget(window.batch)
    screen = window.screen().availableGeometry()
    window.setGeometry(screen)
    qtbot.wait(50)
    combos = window.batch.findChildren(QComboBox)
    assert window.batch.style in combos
    for combo in combos:
        if not combo.isVisible():
            continue
        for index in (0, combo.count() - 1):
            combo.setCurrentIndex(index)
            combo.showPopup()
            qtbot.wait(20)
            popup = combo.view().window()
            assert screen.contains(popup.geometry()), (combo.objectName() or combo.itemText(0), popup.geometry())
            combo.hidePopup()
