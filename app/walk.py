"""A scripted walk through the real window: the new calligrapher's whole path, as a user takes it (issue 31).

    QT_QPA_PLATFORM=xcb DISPLAY=:N python -m app.walk --out DIR [--result walk.json] [--work DIR]
        [--hand FONT] [--finetune-steps 2] [--finetune-minutes 5] [--base MODEL_DIR]

New calligrapher → save the core300 template (4 pages) → four synthetic scans of it, written by ``--hand`` (one box
left empty, one holding the wrong character, page 3 photographed by phone), **dropped on the Generate view** (a
dropped picture goes to the calligrapher's import) → import → review: a range picked with a click and a
Shift-click, one more cell with Ctrl-click (the character also written by mistake into box 17), Delete drops
them, Ctrl+Z / Ctrl+Shift+Z undo and redo, box 17 relabelled with what it holds, Apply → a very short fine-tune
of the bundled style → the Done page's verdict (draft or usable) → Batch & export with the new style → the
preview of the exported font, drawn from the file written.

Every step checks what it did (files written, cell counts, the verdict's words, the preview's font file) and
stops with one line saying what went wrong; a screenshot of the window is saved after each step in ``--out``
(gui-calligrapher-1-template.png … gui-calligrapher-6-export.png), and what each step found goes to ``--result``
as JSON. tests/app/test_walk_xvfb.py runs it under its own Xvfb; packaging/screenshots.py runs it for docs/img.
Its helpers (Xvfb, waiting on the GUI, screenshots, the synthetic scans) are the ones both use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"  # covers core300 (tests/fonts/README.md)
NAME = "Walk Hand"
EMPTY, WRONG_BOX, WRONG_CHAR = 5, 17, 20  # indexes into the template: an empty box; chars[20] written in box 17
EXPORT_TEXT = "永字八法天地玄黄宇宙洪荒日月盈昃辰宿列张"
SHOTS = ("gui-calligrapher-1-template.png", "gui-calligrapher-2-scans.png", "gui-calligrapher-3-review.png",
         "gui-calligrapher-4-finetune.png", "gui-calligrapher-5-done.png", "gui-calligrapher-6-export.png")


class WalkFailed(Exception):
    """A step did not do what it should: the one line says what."""


def expect(condition: object, problem: str) -> None:
    if not condition:
        raise WalkFailed(problem)


# -- Xvfb -------------------------------------------------------------------------------------------------------


def start_xvfb(size: str = "1400x900x24") -> tuple[subprocess.Popen, str]:
    """An Xvfb on a display it picks itself (``-displayfd``: never one in use); (its process, ":N")."""
    binary = shutil.which("Xvfb") or "/usr/bin/Xvfb"
    read, write = os.pipe()
    proc = subprocess.Popen([binary, "-displayfd", str(write), "-screen", "0", size, "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()  # written once the server accepts clients (empty if it died)
    if not number.isdigit():
        stop_xvfb(proc)
        raise WalkFailed(f"Xvfb did not start (exit status {proc.returncode})")
    return proc, f":{number}"


def stop_xvfb(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


# -- driving the GUI --------------------------------------------------------------------------------------------


def wait_until(app, condition, timeout_s: float = 300.0, what: str = "the GUI") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise WalkFailed(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shoot(app, widget, path: Path) -> Path:
    settle(app)
    pixmap = widget.grab()
    expect(pixmap.save(str(path)), f"cannot write {path}")
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})", flush=True)
    return path


def compact(path: Path) -> None:
    """Store a screenshot with a 256-colour palette (a third of the size; UI greys and glyphs survive)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def shoot_compact(app, widget, path: Path) -> Path:
    shoot(app, widget, path)
    compact(path)
    return path


def drop_files(widget, paths: list[Path]) -> None:
    """Drag ``paths`` over ``widget`` and drop them there, as a file manager does (enter, then drop)."""
    from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    centre = widget.rect().center()
    args = (Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPoint(centre), *args)
    QApplication.sendEvent(widget, enter)
    expect(enter.isAccepted(), f"{type(widget).__name__} refuses the drop of {len(paths)} file(s)")
    QApplication.sendEvent(widget, QDropEvent(QPointF(centre), *args))


def click_cell(grid, char: str, modifier=None) -> None:
    """A left click on the cell of ``char`` (with Ctrl or Shift held when ``modifier`` says so)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    item = next(grid.item(row) for row in range(grid.count()) if grid.item(row).data(Qt.ItemDataRole.UserRole) == char)
    grid.scrollToItem(item)
    centre = grid.visualItemRect(item).center()
    QTest.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier or Qt.KeyboardModifier.NoModifier, centre)


def make_scans(template_json: Path, hand: Path, folder: Path) -> list[Path]:
    """Every page of the template filled in by ``hand``, degraded like real scans (page 3 a phone photo); one box
    left empty and one holding the wrong character."""
    from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
    from segan_core.scans.template import load_template

    template = load_template(template_json)
    chars = template.chars
    mistakes = {chars[EMPTY]: None, chars[WRONG_BOX]: chars[WRONG_CHAR]}
    folder.mkdir(parents=True, exist_ok=True)
    scans = []
    for page in range(template.pages):
        filled = fill_page(template, page, hand, dpi=150, written=mistakes)
        picture = degrade(filled, seed=10 + page, phone=page == 2)
        scans.append(save_jpeg(picture, folder / f"scan-{page + 1}.jpg"))
    return scans


def never_block(shown: list[str]) -> None:
    """Error dialogs and "Replace?" questions are recorded and answered (Yes) instead of waiting for a click."""
    from PySide6.QtWidgets import QMessageBox

    from app.errors import ErrorBox

    ErrorBox.exec = lambda box: shown.append(box.text()) or 0

    def question(_parent, title, text, *_args, **_kwargs):
        shown.append(f"{title}: {text} (answered Yes)")
        return QMessageBox.StandardButton.Yes

    QMessageBox.question = staticmethod(question)


# -- the calligrapher's path --------------------------------------------------------------------------------------


class Walk:
    """The steps of the walk, in order (:meth:`run`); ``outcome`` holds what each one found."""

    def __init__(self, app, window, out: Path, work: Path, hand: Path = HAND, base: Path | None = None,
                 finetune_steps: int = 2, finetune_minutes: float = 5.0, shown: list[str] | None = None) -> None:
        from segan_core.resources import BUNDLED_MODELS_DIR

        self.app, self.window, self.out, self.work, self.hand = app, window, out, work, hand
        self.base = base or BUNDLED_MODELS_DIR / "ma-shan-zheng"
        self.finetune_steps, self.minutes = finetune_steps, finetune_minutes
        self.shown = shown if shown is not None else []
        self.flow = window.train.calligrapher
        self.outcome: dict = {"screenshots": []}
        self.out.mkdir(parents=True, exist_ok=True)

    @property
    def steps(self) -> tuple:
        return (self.template, self.drop_pages, self.import_pages, self.review, self.finetune, self.verdict,
                self.export)

    def run(self) -> dict:
        for step in self.steps:
            print(f"walk: {step.__name__}", flush=True)
            step()
        return self.outcome

    def shot(self, index: int, widget=None) -> None:
        path = shoot_compact(self.app, widget or self.window, self.out / SHOTS[index])
        self.outcome["screenshots"].append(str(path))

    def wait_for(self, signal, start, what: str, timeout_s: float = 300.0):
        """Connect to ``signal``, call ``start`` (False: not started), wait for the signal or the job's end."""
        got: list = []
        signal.connect(got.append)
        try:
            expect(start() is not False, f"{what} did not start: {self.shown}")
            wait_until(self.app, lambda: bool(got) or (self.flow.job is None and bool(self.shown)), timeout_s, what)
        finally:
            signal.disconnect(got.append)
        expect(got, f"{what} failed: {self.shown}")
        return got[0]

    def template(self) -> None:
        """New calligrapher: the name, core300, Save template → the PDF, its PNG pages and the sidecar."""
        window, flow = self.window, self.flow
        window.tabs.setCurrentWidget(window.train)
        window.train.modes.setCurrentWidget(flow)
        flow.name.setText(NAME)
        flow.name.editingFinished.emit()
        flow.charset.setCurrentIndex(flow.charset.findData("core300"))
        sheets = self.work / "sheets"
        sheets.mkdir(parents=True, exist_ok=True)
        pdf = sheets / "walk-hand-template.pdf"
        paths = [Path(p) for p in self.wait_for(flow.template_saved, lambda: flow.save_template(pdf), "the template")]
        sidecar = pdf.with_suffix(".json")
        pngs = sorted(p for p in paths if p.suffix == ".png")
        expect(pdf.is_file() and sidecar.is_file() and all(p.is_file() for p in pngs), f"template files: {paths}")
        expect(flow.template_json.text() == str(sidecar), "the sidecar is not the import's template")
        self.outcome["template"] = {"pdf": str(pdf), "sidecar": str(sidecar), "pages": len(pngs),
                                    "chars": len(json.loads(sidecar.read_text(encoding="utf-8"))["chars"])}
        self.shot(0)

    def drop_pages(self) -> None:
        """The four scanned pages dropped on the Generate view: they go to the calligrapher's import page."""
        from app.views.calligrapher import SCANS

        window, flow = self.window, self.flow
        scans = make_scans(Path(flow.template_json.text()), self.hand, self.work / "scans")
        window.tabs.setCurrentWidget(window.generate)
        settle(self.app, 0.2)
        drop_files(window.generate, scans)
        settle(self.app, 0.2)
        expect(window.tabs.currentWidget() is window.train, "the drop did not open the Train view")
        expect(flow.stack.currentIndex() == SCANS, "the drop did not open the calligrapher's scans page")
        expect(flow.pages() == scans, f"pages to import: {flow.pages()}")
        self.outcome["drop"] = {"pages": [str(p) for p in scans], "opened": "Train › New calligrapher › 2 Scans",
                                "errors": list(self.shown)}

    def import_pages(self) -> None:
        """Import at the base style's size: every cell of every page, with its flags."""
        from app.views.calligrapher import REVIEW, SCANS
        from segan_core.model.checkpoint import read_config

        flow = self.flow
        size = int(read_config(self.base)["model"]["image_size"])
        flow.dataset_size.setCurrentIndex(max(0, flow.dataset_size.findData(size)))
        report = self.wait_for(flow.imported, flow.start_import, "the import")
        counts = report.counts
        expect(counts["cells"] > 0 and len(report.pages) == len(flow.pages()), f"import counts: {counts}")
        expect(flow.stack.currentIndex() == REVIEW, "the import did not open the review")
        self.outcome["import"] = {"cells": counts["cells"], "pages": len(report.pages), "empty": counts.get("empty", 0),
                                  "label_check": report.label_check, "folder": str(report.out)}
        flow.go_to(SCANS)
        self.shot(1)

    def review(self) -> None:
        """Click, Shift-click and Ctrl-click cells; Delete drops them; Ctrl+Z / Ctrl+Shift+Z; relabel; Apply."""
        from app.views.calligrapher import REVIEW

        flow = self.flow
        flow.go_to(REVIEW)
        wait_until(self.app, flow.grid.has_thumbnails, 60, "the review grid's thumbnails")
        settle(self.app, 0.3)
        picked = self._multi_select()
        self._undo_redo(picked)
        chars = list(flow.grid.cells)
        flow.select_cell(chars[WRONG_BOX])
        flow.label_edit.setText(chars[WRONG_CHAR])
        flow.label_button.click()
        expect(flow.relabel == {chars[WRONG_BOX]: chars[WRONG_CHAR]}, f"relabel: {flow.relabel}")
        flow.grid.select_chars(picked)  # the multi-selection, dropped, in the screenshot
        flow.grid.scrollToTop()
        self.shot(2)
        from segan_core.data.store import read_manifest

        dataset = self.wait_for(flow.review_applied, flow.apply_review, "the review")
        counts = read_manifest(dataset).get("counts", {})
        expect(counts.get("train", 0) > 0 and not flow.pending(), f"the rebuilt dataset: {counts}")
        self.outcome["review"] = {"selected": picked, "dropped": sorted(flow.drop), "relabelled": dict(flow.relabel),
                                  "train": counts.get("train", 0), "dev": counts.get("dev", 0)}

    def _multi_select(self) -> list[str]:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        grid = self.flow.grid
        chars = list(grid.cells)
        click_cell(grid, chars[1])
        click_cell(grid, chars[4], Qt.KeyboardModifier.ShiftModifier)
        click_cell(grid, chars[WRONG_CHAR], Qt.KeyboardModifier.ControlModifier)  # its label goes to box 17's glyph
        picked = grid.selected_chars()
        wanted = [chars[i] for i in (1, 2, 3, 4, WRONG_CHAR)]
        expect(picked == wanted, f"click, Shift-click, Ctrl-click selected {picked}, not {wanted}")
        QTest.keyClick(grid, Qt.Key.Key_Delete)
        expect(set(self.flow.drop) == set(picked), f"Delete dropped {sorted(self.flow.drop)}")
        return picked

    def _undo_redo(self, picked: list[str]) -> None:
        from PySide6.QtCore import Qt
        from PySide6.QtTest import QTest

        grid, control = self.flow.grid, Qt.KeyboardModifier.ControlModifier
        QTest.keyClick(grid, Qt.Key.Key_Z, control)
        expect(not self.flow.drop, f"Ctrl+Z left {sorted(self.flow.drop)} dropped")
        QTest.keyClick(grid, Qt.Key.Key_Z, control | Qt.KeyboardModifier.ShiftModifier)
        expect(set(self.flow.drop) == set(picked), f"Ctrl+Shift+Z dropped {sorted(self.flow.drop)}")

    def finetune(self) -> None:
        """A very short fine-tune of the base style (``finetune_steps`` steps): the new style is written."""
        from app.views.calligrapher import FINETUNE

        flow = self.flow
        flow.go_to(FINETUNE)
        expect(flow.set_base(self.base), f"{self.base} is not offered as a base style")
        flow.budget.setValue(self.minutes)
        flow.max_steps.setValue(self.finetune_steps)
        result = self.wait_for(flow.finished, flow.start_finetune, "the fine-tune", timeout_s=1800)
        wait_until(self.app, lambda: flow.job is None, 600, "the fine-tune's end")
        expect(Path(result.out, "config.json").is_file(), f"no style written in {result.out}")
        self.result = result
        self.outcome["finetune"] = {"steps": result.steps, "out": str(result.out), "snapshot": result.snapshot,
                                    "cpu_minutes": round(result.cpu_minutes, 2), "status": flow.status.text()}
        flow.go_to(FINETUNE)
        self.shot(3)

    def verdict(self) -> None:
        """The Done page says how the style reads against the writer's own glyphs: a draft is not offered for export."""
        from app.views.calligrapher import DONE
        flow, result = self.flow, self.result
        flow.go_to(DONE)
        wait_until(self.app, lambda: flow.job is None and flow.done_preview.pixmap() is not None
                   and not flow.done_preview.pixmap().isNull(), 300, "the Done page's preview")
        verdict = result.verdict
        usable = verdict is None or verdict.usable
        summary = flow.done_summary.text()
        expect(("is a draft" in summary) != usable, f"the Done page says {summary!r} for usable={usable}")
        expect(flow.export_button.isEnabled() == usable, "the export button does not follow the verdict")
        expect(verdict is None or verdict.text in summary, "the Done page does not say how the style reads")
        entry = self.window.context.entry(f"dir:{Path(result.out).resolve()}")
        expect(entry is not None, "the new style is not in the style picker")
        self.outcome["verdict"] = {"usable": usable, "text": verdict.text if verdict else "", "summary": summary,
                                   "label": entry.label()}
        self.shot(4)

    def export(self) -> None:
        """Batch & export with the new style (the Done page's button; a draft picked in the Batch view's list),
        then the preview: drawn from the font file just written."""
        window, batch, folder = self.window, self.window.batch, str(Path(self.result.out).resolve())
        if self.flow.export_button.isEnabled():
            self.flow.export_button.click()
        else:
            window.tabs.setCurrentWidget(batch)
            batch.select_model(folder)
        chosen = str(batch.style.currentData()).removeprefix("dir:")  # the model folder, or its picker key
        expect(window.tabs.currentWidget() is batch, "the export did not open Batch & export")
        expect(chosen == folder, f"Batch & export shows {chosen}, not {folder}")
        batch.set_charset("text", EXPORT_TEXT)
        batch.out.setText(str(self.work / "fonts"))
        for name, box in batch.formats.items():
            box.setChecked(name == "ttf")
        done: list = []
        batch.finished.connect(done.append)
        expect(batch.start(), f"the export did not start: {self.shown}")
        wait_until(self.app, lambda: batch.job is None, 900, "the export")
        expect(done, f"the export failed: {self.shown}")
        self.outcome["export"] = self._preview_check(done[0])
        self.shot(5)

    def _preview_check(self, result) -> dict:
        from app import batch_api

        batch = self.window.batch
        font = next(p for p in batch_api.font_files(result) if p.suffix == ".ttf")
        expect(font.is_file(), f"no font at {font}")
        preview = batch.preview_path
        expect(preview is not None and preview.read_bytes() == font.read_bytes(),
               "the preview is not drawn from the font just written")
        family = font_family(font)
        expect(batch.font_family == family, f"the preview's family {batch.font_family!r}, the file's {family!r}")
        return {"font": str(font), "hanzi": result.report.hanzi_written, "preview_snapshot": str(preview),
                "preview_family": batch.font_family, "file_family": family, "family": batch.family.text()}


def font_family(path: Path) -> str:
    """The family name a font file declares (typographic family first, as Qt lists it)."""
    from fontTools.ttLib import TTFont

    with TTFont(str(path), lazy=True) as font:
        name = font["name"]
        return str(name.getDebugName(16) or name.getDebugName(1))


# -- the command ------------------------------------------------------------------------------------------------


def start_window(threads: int = 1):
    """The application and its main window, shown at the size of the docs' screenshots."""
    from PySide6.QtWidgets import QApplication

    from segan_core.model.device import configure_threads

    configure_threads(threads)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Segan Studio")
    from app.main_window import MainWindow
    from app.settings import Settings

    Settings().last_text = "永字八法"
    window = MainWindow()
    window.context.settings.threads = threads
    window.resize(1380, 860)
    window.move(10, 10)
    window.show()
    settle(app, 0.5)
    return app, window


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="folder for the screenshots")
    parser.add_argument("--result", type=Path, help="JSON file for what each step found")
    parser.add_argument("--work", type=Path, help="folder for the template, scans and fonts (default: --out)")
    parser.add_argument("--hand", type=Path, default=HAND, help="the font that 'writes' the scans")
    parser.add_argument("--base", type=Path, help="the base style's model folder (default: bundled Ma Shan Zheng)")
    parser.add_argument("--finetune-steps", type=int, default=2)
    parser.add_argument("--finetune-minutes", type=float, default=5.0, help="the fine-tune's CPU budget")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    shown: list[str] = []
    never_block(shown)
    outcome: dict = {}
    app, window = start_window()
    try:
        walk = Walk(app, window, args.out, args.work or args.out, args.hand, args.base, args.finetune_steps,
                    args.finetune_minutes, shown)
        outcome = walk.outcome
        walk.run()
        status = 0
    except WalkFailed as exc:
        outcome["failed"], status = str(exc), 1
    outcome["dialogs"] = shown
    if args.result is not None:
        args.result.write_text(json.dumps(outcome, ensure_ascii=False, indent=1), encoding="utf-8")
    print(outcome.get("failed", "walk: every step done"), flush=True)
    window.close()
    app.processEvents()
    return status


if __name__ == "__main__":
    sys.exit(main())
