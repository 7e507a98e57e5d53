"""Issue 31, fault 9: the review grid of the "New calligrapher" flow.

Multi-select (Ctrl/Shift+click, Shift+arrows), Delete, Ctrl+Z / Ctrl+Shift+Z / Ctrl+Y over every action;
"It is right" for a false flag (kept in review.json and after reopening); the filters "Needs a decision",
"Empty boxes", "All" with their counts; the cell editor (erase a speck, move, scale, baseline) with a live
preview, whose edit is in the dataset the fine-tune reads. The view is built on its own (no model needed),
on a 12-cell synthetic import.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QPoint, Qt

from segan_core.imageio import read_gray
from segan_core.jobs import run_to_end
from segan_core.scans.cell_edit import apply_edit
from segan_core.scans.charsets import core_set
from segan_core.scans.importer import ImportRequest, import_scans
from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
from segan_core.scans.template import make_template, write_template

ROOT = Path(__file__).resolve().parents[2]
HAND = ROOT / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"
CHARS = core_set("core300")[:12]
EMPTY = (CHARS[4], CHARS[7])
FALSE_FLAGS = (CHARS[1], CHARS[2])  # flagged label-mismatch by the recognizer, written right
BORDER = CHARS[5]  # written too big: touches-border
SPECKED = CHARS[3]  # a speck of ink beside the glyph
SPECK = (20, 30, 20, 30)  # the speck (256 px): rows 20..30, columns 20..30


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 12-cell import: two empty boxes, one touching the border, two false label flags, one speck."""
    folder = tmp_path_factory.mktemp("review-grid")
    template = make_template(CHARS, "grid")
    write_template(template, folder / "sheet.pdf", dpi=100, png=False)
    page = fill_page(template, 0, HAND, written=dict.fromkeys(EMPTY), oversize={BORDER})
    scan = save_jpeg(degrade(page, seed=7), folder / "page.jpg")
    out = folder / "import"
    run_to_end(import_scans(ImportRequest((scan,), folder / "sheet.json", out, dataset_size=32, check_labels=False)))
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for cell in report["cells"]:  # what a recognizer that misreads a hand reports
        if cell["char"] in FALSE_FLAGS:
            cell["status"], cell["flags"] = "label-mismatch", ["label-mismatch"]
            cell["candidates"] = [["人", 0.41], [cell["char"], 0.02]]
    (out / "report.json").write_text(json.dumps(report, ensure_ascii=False), encoding="utf-8")
    glyph = read_gray(out / "chars" / f"{SPECKED}.png")
    glyph[SPECK[0]:SPECK[1], SPECK[2]:SPECK[3]] = 0
    Image.fromarray(glyph).save(out / "chars" / f"{SPECKED}.png")
    return out


@pytest.fixture
def imported(scanned: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(scanned, tmp_path / "import"))


@pytest.fixture
def flow(qtbot, app_home, errors):
    from app.context import AppContext
    from app.views.calligrapher import REVIEW, CalligrapherFlow

    context = AppContext()
    view = CalligrapherFlow(context)
    qtbot.addWidget(view)
    view.resize(1100, 700)
    view.show()
    view.go_to(REVIEW)
    qtbot.waitExposed(view)
    yield view
    context.runner.shutdown()


def _load(qtbot, flow, folder: Path) -> None:
    flow.load_import(folder)
    qtbot.waitUntil(flow.grid.has_thumbnails, timeout=10000)


def _click(qtbot, grid, char: str, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    item = grid._items[char]
    grid.scrollToItem(item)
    qtbot.mouseClick(grid.viewport(), Qt.MouseButton.LeftButton, modifier, grid.visualItemRect(item).center())


def _visible(grid) -> list[str]:
    return [c for c, item in grid._items.items() if not item.isHidden()]


def test_multi_select_delete_and_undo_redo_of_every_action(qtbot, flow, imported, errors):
    _load(qtbot, flow, imported)
    grid = flow.grid
    _click(qtbot, grid, CHARS[0])
    _click(qtbot, grid, CHARS[2], Qt.KeyboardModifier.ControlModifier)  # Ctrl+click adds one
    assert grid.selected_chars() == [CHARS[0], CHARS[2]]
    _click(qtbot, grid, CHARS[0], Qt.KeyboardModifier.ControlModifier)  # ... and takes it away again
    assert grid.selected_chars() == [CHARS[2]]
    _click(qtbot, grid, CHARS[2])
    _click(qtbot, grid, CHARS[6], Qt.KeyboardModifier.ShiftModifier)  # Shift+click: the range from the last click
    assert grid.selected_chars() == list(CHARS[2:7])
    qtbot.keyClick(grid, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)  # the keyboard extends it
    assert grid.selected_chars() == list(CHARS[2:8])
    assert "6 selected" in flow.selection_info.text()

    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # every selected cell with a glyph is dropped; empty boxes have none
    dropped = {c for c in CHARS[2:8] if c not in EMPTY}
    assert flow.drop == dropped and all(grid.cells[c].dropped for c in dropped)
    assert "4 dropped" in flow.review_summary.text() and flow.pending()

    flow.select_cell(CHARS[9])
    assert flow.relabel_cell(CHARS[9], "宙")
    flow.select_cell(CHARS[1])
    flow.accept_button.click()
    assert flow.review.accept == {CHARS[1]}

    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo "it is right"
    assert flow.review.accept == set() and not grid.cells[CHARS[1]].accepted
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the relabel
    assert flow.relabel == {} and grid.cells[CHARS[9]].caption() == CHARS[9]
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)  # undo the drop of four cells
    assert flow.drop == set() and not any(c.dropped for c in grid.cells.values()) and not flow.pending()
    assert not flow.undo_action_button.isEnabled() and flow.redo_action_button.isEnabled()
    qtbot.keyClick(grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert flow.drop == dropped
    qtbot.keyClick(grid, Qt.Key.Key_Y, Qt.KeyboardModifier.ControlModifier)
    assert flow.relabel == {CHARS[9]: "宙"}
    flow.redo_action_button.click()
    assert flow.review.accept == {CHARS[1]} and not flow.redo_action_button.isEnabled()
    flow.undo_action_button.click()
    assert flow.review.accept == set()
    # a new action forgets what could be redone
    flow.drop_cell(CHARS[0])
    assert not flow.history.can_redo() and flow.drop == dropped | {CHARS[0]}
    assert errors == []


def test_it_is_right_clears_a_false_flag_and_is_kept_after_reopening(qtbot, flow, imported, errors):
    _load(qtbot, flow, imported)
    grid = flow.grid
    assert set(grid.filtered()["decision"]) == {*FALSE_FLAGS, BORDER}
    flow.select_cell(CHARS[0])  # an unflagged cell: nothing to clear
    assert not flow.accept_button.isEnabled()
    grid.select_chars(list(FALSE_FLAGS))
    assert flow.accept_button.isEnabled()
    flow.accept_button.click()
    assert flow.review.accept == set(FALSE_FLAGS)
    assert all(grid.cells[c].accepted and "✓" in grid.cells[c].caption() for c in FALSE_FLAGS)
    assert grid.filtered()["decision"] == (BORDER,) and "Needs a decision (1)" in _filter_texts(flow)
    assert "2 right as written" in flow.review_summary.text() and flow.pending()

    with qtbot.waitSignal(flow.review_applied, timeout=30000):
        assert flow.apply_review()
    saved = json.loads((imported / "review.json").read_text(encoding="utf-8"))
    assert saved["accept"] == sorted(FALSE_FLAGS) and not flow.pending()
    reopened = imported.parent / "reopened"
    shutil.copytree(imported, reopened)
    _load(qtbot, flow, reopened)
    assert flow.review.accept == set(FALSE_FLAGS) and grid.filtered()["decision"] == (BORDER,)
    assert all(grid.cells[c].accepted for c in FALSE_FLAGS) and not flow.pending()
    assert errors == []


def _filter_texts(flow) -> list[str]:
    return [flow.show_filter.itemText(i) for i in range(flow.show_filter.count())]


def test_filters_needs_a_decision_and_empty_boxes_with_counts(qtbot, flow, imported):
    _load(qtbot, flow, imported)
    texts = _filter_texts(flow)
    assert "All (12)" in texts and "Needs a decision (3)" in texts and "Empty boxes (2)" in texts
    flow.show_filter.setCurrentIndex(flow.show_filter.findData("decision"))
    assert _visible(flow.grid) == [CHARS[1], CHARS[2], BORDER]
    flow.show_filter.setCurrentIndex(flow.show_filter.findData("empty"))
    assert _visible(flow.grid) == list(EMPTY)
    flow.show_filter.setCurrentIndex(flow.show_filter.findData("decision"))
    flow.select_cell(BORDER)
    flow.drop_selected()  # decided: it leaves the filter, and its count
    assert _visible(flow.grid) == [CHARS[1], CHARS[2]] and "Needs a decision (2)" in _filter_texts(flow)
    flow.undo_review()
    assert _visible(flow.grid) == [CHARS[1], CHARS[2], BORDER] and "Needs a decision (3)" in _filter_texts(flow)
    flow.show_filter.setCurrentIndex(flow.show_filter.findData("all"))
    assert len(_visible(flow.grid)) == 12


def test_cell_editor_erases_a_speck_moves_scales_and_the_dataset_gets_it(qtbot, flow, imported, errors):
    from app.widgets.cell_editor import VIEW

    _load(qtbot, flow, imported)
    flow.select_cell(SPECKED)
    editor = flow.edit_cell()
    assert editor is flow.cell_editor and editor.isVisible()
    before = editor.result.pixmap().toImage()
    speck = QPoint(round((SPECK[2] + 5) * VIEW / 256), round((SPECK[0] + 5) * VIEW / 256))
    qtbot.mouseClick(editor.written, Qt.MouseButton.LeftButton, pos=speck)
    assert len(editor.edit().erase) == 1
    assert editor.preview()[SPECK[0]:SPECK[1], SPECK[2]:SPECK[3]].max() == 0  # the live preview lost the speck
    assert editor.preview().max() == 255  # ... and nothing else
    assert editor.result.pixmap().toImage() != before
    editor.scale.setValue(90.0)
    editor.move_x.setValue(5.0)
    editor.baseline.setValue(3.0)
    edit = editor.edit()
    assert (edit.scale, edit.dx, edit.baseline) == pytest.approx((0.9, 0.05, 0.03))
    editor.accept()
    assert flow.review.edits[SPECKED] == edit and flow.cell_editor is None
    assert flow.grid.cells[SPECKED].edited and "✎" in flow.grid.cells[SPECKED].caption()
    assert "1 edited" in flow.review_summary.text() and flow.pending()

    with qtbot.waitSignal(flow.review_applied, timeout=30000):
        assert flow.apply_review()
    written = 255 - read_gray(imported / "chars" / f"{SPECKED}.png")
    reviewed = 255 - read_gray(imported / "reviewed" / f"{SPECKED}.png")
    assert np.array_equal(reviewed, apply_edit(written, edit)) and not np.array_equal(reviewed, written)
    saved = json.loads((imported / "review.json").read_text(encoding="utf-8"))
    assert saved["edits"][SPECKED]["scale"] == pytest.approx(0.9)

    # Ctrl+Z undoes the edit; cancelling the editor changes nothing
    qtbot.keyClick(flow.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert SPECKED not in flow.review.edits and not flow.grid.cells[SPECKED].edited
    editor = flow.edit_cell(SPECKED)
    editor.scale.setValue(50.0)
    editor.reject()
    assert SPECKED not in flow.review.edits
    assert errors == []


def test_a_damaged_review_file_is_one_line_and_the_import_still_opens(qtbot, flow, imported, errors):
    (imported / "review.json").write_text('{"format": "segan-scan-review", "relabel": {}, "drop": [], '
                                          '"edits": {"x": {"scale": 50}}}', encoding="utf-8")
    _load(qtbot, flow, imported)
    assert len(flow.grid.cells) == 12 and flow.review.edits == {}
    assert "damaged review file" in flow.review_status.text() and "\n" not in flow.review_status.text()
    assert errors == []


def test_it_is_right_on_a_wide_selection_keeps_the_relabels_and_drops(qtbot, flow, imported, errors):
    """Select all, then "It is right": only the cells still needing a decision are accepted (review of the diff)."""
    _load(qtbot, flow, imported)
    flagged = sorted(FALSE_FLAGS)
    assert flow.relabel_cell(flagged[0], "宙")
    flow.grid.select_chars(list(flow.grid.cells))
    flow.accept_button.click()
    assert flow.review.relabel.get(flagged[0]) == "宙" and flagged[0] not in flow.review.accept
    assert set(flagged[1:]) <= flow.review.accept
    assert errors == []


def test_the_edit_menu_undoes_and_redoes_the_review(qtbot, window, imported, errors):
    """Font tools have an Edit menu with undo where editing happens: here, the review of the cells. It names what it
    would undo, works from the menu, and is off (saying where undo works) away from the review step."""
    from app.views.calligrapher import REVIEW

    window.update_edit_menu()
    assert not window.undo_action.isEnabled() and "review step" in window.undo_action.toolTip()
    flow = window.train.calligrapher
    window.tabs.setCurrentWidget(window.train)
    window.train.modes.setCurrentWidget(flow)
    flow.go_to(REVIEW)
    _load(qtbot, flow, imported)
    window.update_edit_menu()
    assert not window.undo_action.isEnabled()  # nothing done yet
    written = next(c for c in CHARS if c not in EMPTY)
    flow.select_cell(written)
    flow.drop_selected_button.click()
    assert flow.drop == {written}
    window.update_edit_menu()
    assert window.undo_action.isEnabled() and window.undo_action.text().startswith("&Undo ")
    window.undo_action.trigger()
    assert flow.drop == set()
    window.update_edit_menu()
    assert window.redo_action.isEnabled() and not window.undo_action.isEnabled()
    window.redo_action.trigger()
    assert flow.drop == {written}
    assert errors == []
