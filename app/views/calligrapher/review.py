"""Step 3, Review: the imported cells in a grid with their flags; relabel, drop, "it is right", edit a glyph, with
undo and redo; Apply runs ``apply_review``, which rebuilds the dataset from the import's own files."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget

from app.views.calligrapher.base import FINETUNE, FlowBase, describe
from app.widgets.cell_editor import CellEditor
from app.widgets.review_grid import FILTER_NAMES, ReviewCell, ReviewGrid, flag_text
from segan_core.calligrapher import shrink, thumbnails
from segan_core.charset import is_han
from segan_core.data.store import read_manifest
from segan_core.errors import InputFileError, SeganError
from segan_core.imageio import read_gray
from segan_core.scans.cell_edit import CellEdit
from segan_core.scans.corrections import (
    Review,
    ReviewHistory,
    apply_review,
    edited_glyph,
    load_review,
    needs_decision,
    read_report,
)
from segan_core.scans.importer import CHARS_DIR

SUMMARY_FLAGS = ("empty", "touches-border", "label-mismatch", "duplicate-replaced")


class ReviewPage(FlowBase):
    # -- the page ---------------------------------------------------------------------------------------------

    def _review_page(self) -> QWidget:
        """The cells as a grid (filtered), an action row (undo, redo, drop, "it is right", edit), the selected
        cell's editor, Apply."""
        self.review_summary = QLabel("Import scans first: the cells appear here.")
        self.review_summary.setWordWrap(True)
        self.show_filter = self._review_filter()
        self.grid = ReviewGrid()
        self.grid.cell_selected.connect(self._current_cell_changed)
        self.grid.itemSelectionChanged.connect(self._review_actions_state)
        self.grid.delete_pressed.connect(self.drop_selected)
        self.grid.undo_pressed.connect(self.undo_review)
        self.grid.redo_pressed.connect(self.redo_review)
        side_widget = self._cell_editor()
        self.apply_button = QPushButton("Apply && rebuild dataset")
        self.apply_button.clicked.connect(lambda: self.apply_review())
        self.review_status = QLabel()
        self.review_status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.review_summary, 1)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.show_filter)
        body = QHBoxLayout()
        body.addWidget(self.grid, 1)
        body.addWidget(side_widget)
        next_button = QPushButton("Next: fine-tune ›")
        next_button.clicked.connect(lambda: self.go_to(FINETUNE))
        bottom = QHBoxLayout()
        bottom.addWidget(self.apply_button)
        bottom.addWidget(self.review_status, 1)
        bottom.addWidget(next_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addLayout(self._review_actions(page))
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self._show_cell(None)
        return page

    def _review_filter(self) -> QComboBox:
        """All / Needs a decision / Empty boxes / Flagged and changed, each with its count (``_update_summary``)."""
        combo = QComboBox()
        for mode in ("all", "decision", "empty", "flagged"):
            combo.addItem(FILTER_NAMES[mode], mode)
        combo.setToolTip("Needs a decision: flagged cells not yet accepted, relabelled or dropped; "
                         "Empty boxes: nothing written")
        combo.currentIndexChanged.connect(lambda _i: self.grid.set_filter(combo.currentData()))
        return combo

    def _review_actions(self, page: QWidget) -> QHBoxLayout:
        """Undo / Redo (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y), Drop selected (Delete), It is right, Edit glyph…."""
        self.undo_action_button = QPushButton("Undo")
        self.undo_action_button.clicked.connect(self.undo_review)
        self.redo_action_button = QPushButton("Redo")
        self.redo_action_button.clicked.connect(self.redo_review)
        self.drop_selected_button = QPushButton("Drop selected")
        self.drop_selected_button.setToolTip("Leave the selected cells out of the dataset (Delete)")
        self.drop_selected_button.clicked.connect(self.drop_selected)
        self.accept_button = QPushButton("It is right")
        self.accept_button.setToolTip("The selected flagged cells are right as written: their flags are false")
        self.accept_button.clicked.connect(self.accept_selected)
        self.edit_button = QPushButton("Edit glyph…")
        self.edit_button.setToolTip("Erase a speck, move, scale or set the baseline of the current cell's glyph")
        self.edit_button.clicked.connect(lambda: self.edit_cell())
        self.selection_info = QLabel()
        row = QHBoxLayout()
        for widget in (self.undo_action_button, self.redo_action_button, self.drop_selected_button,
                       self.accept_button, self.edit_button):
            row.addWidget(widget)
        row.addWidget(self.selection_info, 1)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        keys = ((QKeySequence.StandardKey.Undo, self.undo_review), (QKeySequence("Ctrl+Shift+Z"), self.redo_review),
                (QKeySequence("Ctrl+Y"), self.redo_review))
        self.review_shortcuts = []
        for key, slot in keys:
            shortcut = QShortcut(QKeySequence(key), page, context=context)
            shortcut.activated.connect(slot)
            self.review_shortcuts.append(shortcut)
        return row

    def _cell_editor(self) -> QWidget:
        """The selected cell, large, with its label, "Drop this cell" and "Undo changes to this cell"."""
        self.cell_view = QLabel()
        self.cell_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cell_view.setFixedSize(200, 200)
        self.cell_view.setStyleSheet("background: white; border: 1px solid #bbb;")
        self.cell_info = QLabel("Select a cell")
        self.cell_info.setWordWrap(True)
        self.label_edit = QLineEdit()
        self.label_edit.setMaxLength(2)
        self.label_edit.setPlaceholderText("one Han character")
        self.label_edit.returnPressed.connect(self._set_label_clicked)
        self.label_button = QPushButton("Set label")
        self.label_button.clicked.connect(self._set_label_clicked)
        self.label_error = QLabel()
        self.label_error.setStyleSheet("color: #b00;")
        self.drop_button = QPushButton("Drop this cell")
        self.drop_button.setCheckable(True)
        self.drop_button.toggled.connect(self._drop_toggled)
        self.undo_button = QPushButton("Undo changes to this cell")
        self.undo_button.clicked.connect(self._undo_cell)
        label_row = QHBoxLayout()
        label_row.addWidget(QLabel("Label"))
        label_row.addWidget(self.label_edit, 1)
        label_row.addWidget(self.label_button)
        side = QVBoxLayout()
        side.addWidget(self.cell_view, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.cell_info)
        side.addLayout(label_row)
        side.addWidget(self.label_error)
        side.addWidget(self.drop_button)
        side.addWidget(self.undo_button)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(260)
        return side_widget

    # -- the review's state -----------------------------------------------------------------------------------

    @property
    def review(self) -> Review:
        """The corrections as they stand in the grid: the undo history's current state."""
        return self.history.current

    @property
    def relabel(self) -> dict[str, str]:
        return self.review.relabel

    @property
    def drop(self) -> frozenset[str]:
        return self.review.drop

    def pending(self) -> bool:
        """Corrections made in the grid but not applied to the dataset yet."""
        return self.review != (self.applied or Review())

    def load_import(self, folder: Path) -> None:
        """Show an import (and its saved review) in the review grid; a damaged review file: one line, no review."""
        report = read_report(folder)
        try:
            review, problem = load_review(folder), ""
        except InputFileError as exc:
            review, problem = Review(), f"{exc}; starting from no corrections (Apply replaces the file)."
        self.import_dir, self.report, self.applied = folder, report, review
        self.history = ReviewHistory(review)
        cells = []
        for record in report["cells"]:
            char = str(record["char"])
            image = folder / CHARS_DIR / f"{char}.png"
            cells.append(ReviewCell(char, str(record.get("status", "ok")), image if image.is_file() else None))
        self._show_cells(folder, cells, review)
        self._records = {str(r["char"]): r for r in report["cells"]}
        self._update_summary()
        self.review_status.setText(problem)
        shown = self.grid.filtered()
        first = next(iter(shown["decision"] or shown["flagged"] or shown["all"]), None)
        if first is not None:
            self.grid.select(first)
        self._describe_data()

    def _show_cells(self, folder: Path, cells: list[ReviewCell], review: Review) -> None:
        """The grid with the import's cells and its review; the thumbnails are drawn off the UI thread."""
        self.grid.set_cells(cells)
        self.grid.set_review(review)
        self.grid.set_filter(self.show_filter.currentData() or "all")
        self._drawn_edits = {}
        for char in review.edits:
            self._draw_edit(char)
        images = {c.char: c.image for c in cells if c.image is not None}
        edits = dict(review.edits)
        self.context.runner.start(  # a side job: it does not hold the view's buttons
            "thumbnails", thumbnails, images, self.grid.thumb_size, edits,
            on_finished=lambda thumbs: self._thumbnails_ready(folder, thumbs, edits),
            on_failed=lambda error: self.context.report(self, error, "Cannot show the cells"),
        )

    def _thumbnails_ready(self, folder: Path, thumbs: dict[str, np.ndarray], edits: dict[str, CellEdit]) -> None:
        if folder == self.import_dir:  # not an import replaced meanwhile; cells edited since keep their tiles
            self.grid.set_thumbnails({c: t for c, t in thumbs.items() if self.review.edits.get(c) == edits.get(c)})

    def _update_summary(self) -> None:
        if self.report is None:
            return
        counts = self.report.get("counts", {})
        flags = " · ".join(f"{counts.get(k, 0)} {flag_text(k)}" for k in SUMMARY_FLAGS)
        missing = self.report.get("not_scanned", "")
        review = self.review
        self.review_summary.setText(
            f"{counts.get('cells', 0)} cells ({flags})" + (f", {len(missing)} not scanned" if missing else "")
            + f". Your changes: {len(review.relabel)} relabelled, {len(review.drop)} dropped, "
            + f"{len(review.accept)} right as written, {len(review.edits)} edited"
            + (" (not applied yet)" if self.pending() else "") + "."
        )
        shown = self.grid.filtered()
        for index in range(self.show_filter.count()):
            self.show_filter.setItemText(index, self.grid.filter_label(self.show_filter.itemData(index), shown))
        self._review_actions_state()

    def _review_actions_state(self) -> None:
        """Undo / redo with what they would undo, and the actions on the selected cells."""
        self.undo_action_button.setEnabled(self.history.can_undo())
        self.undo_action_button.setToolTip(f"Undo {self.history.undo_text()} (Ctrl+Z)")
        self.redo_action_button.setEnabled(self.history.can_redo())
        self.redo_action_button.setToolTip(f"Redo {self.history.redo_text()} (Ctrl+Shift+Z, Ctrl+Y)")
        selected = self.grid.selected_chars()
        written = [c for c in selected if self.grid.cells[c].image is not None]
        flagged = self._flagged(selected)
        self.drop_selected_button.setEnabled(bool(written))
        self.accept_button.setEnabled(bool(flagged))
        current = self.grid.cells.get(self.grid.current_char() or "")
        self.edit_button.setEnabled(current is not None and current.image is not None)
        self.selection_info.setText(f"{len(selected)} selected" + (f", {len(flagged)} flagged" if flagged else "")
                                    if len(selected) > 1 else "")

    def _flagged(self, chars: list[str]) -> list[str]:
        cells = self.grid.cells  # still needing a decision: "it is right" never undoes a relabel or a drop
        return [c for c in chars if cells[c].image is not None and needs_decision(c, cells[c].status, self.review)]

    # -- the selected cell ------------------------------------------------------------------------------------

    def select_cell(self, char: str) -> None:
        """Make ``char`` the current and only selected cell."""
        self.grid.select(char)
        self._current_cell_changed(char)

    def _current_cell_changed(self, char: str) -> None:
        """The grid's current cell moved (a click, Ctrl/Shift+click, the keyboard): show it large."""
        self._show_cell(char)
        self._review_actions_state()

    def _show_cell(self, char: str | None) -> None:
        cell = self.grid.cells.get(char) if char else None
        enabled = cell is not None and cell.image is not None
        for widget in (self.label_edit, self.label_button, self.drop_button, self.undo_button):
            widget.setEnabled(enabled)
        self.label_error.clear()
        if cell is None:
            self.cell_view.clear()
            self.cell_info.setText("Select a cell")
            return
        glyph = self.grid.glyph(cell)
        if glyph is not None:
            self.cell_view.setPixmap(QPixmap.fromImage(glyph).scaled(
                196, 196, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        else:
            self.cell_view.setText("(nothing written)")
        self.cell_info.setText("<br>".join(self._cell_lines(cell)))
        self.label_edit.setText(cell.label or cell.char)
        self.drop_button.blockSignals(True)
        self.drop_button.setChecked(cell.dropped)
        self.drop_button.blockSignals(False)

    def _cell_lines(self, cell: ReviewCell) -> list[str]:
        """What the large view says of a cell: where it came from, its flag, what the recognizer read, the review."""
        record = self._records.get(cell.char, {})
        read = ", ".join(f"{c} {p:.2f}" for c, p in record.get("candidates", [])[:5])
        lines = [f"<b style='font-size:18px'>{cell.char}</b> page {record.get('page', '?')}, "
                 f"cell {record.get('cell', '?')}, from {record.get('file', '?')}",
                 f"Flag: {flag_text(cell.status) or 'none'}" + (f" ({cell.status})" if cell.status != "ok" else "")]
        if read:
            lines.append(f"Recognizer reads: {read}")
        if record.get("replaced"):
            lines.append(f"Replaces the scan in {record['replaced']}")
        if cell.label:
            lines.append(f"Relabelled as <b>{cell.label}</b>")
        if cell.dropped:
            lines.append("<b>Dropped</b> from the dataset")
        if cell.accepted:
            lines.append("<b>Right as written</b>: the flag was false")
        if cell.edited:
            lines.append("The glyph is <b>edited</b> (Edit glyph…)")
        return lines

    def _set_label_clicked(self) -> None:
        char = self.grid.current_char()
        if char is not None:
            self.relabel_cell(char, self.label_edit.text().strip())

    # -- the actions ------------------------------------------------------------------------------------------

    def relabel_cell(self, char: str, label: str) -> bool:
        """Give the cell of ``char`` another character (one Han character); its own character undoes it."""
        cell = self.grid.cells.get(char)
        if cell is None or cell.image is None:
            return False
        if not is_han(label):
            self.label_error.setText(f"{label!r} is not one Han character" if label else "type one Han character")
            return False
        self._change(self.review.relabelled(char, label), f"relabel {char}→{label}" if label != char else
                     f"relabel of {char}")
        return True

    def drop_cell(self, char: str, dropped: bool = True) -> None:
        cell = self.grid.cells.get(char)
        if cell is None or cell.image is None:
            return
        self._change(self.review.dropped({char}, dropped), f"{'drop' if dropped else 'keep'} {char}")

    def drop_selected(self) -> int:
        """Drop every selected cell that has a glyph (Delete); returns how many."""
        chars = [c for c in self.grid.selected_chars() if self.grid.cells[c].image is not None]
        if chars:
            self._change(self.review.dropped(chars), f"drop {len(chars)} cells" if len(chars) > 1 else
                         f"drop {chars[0]}")
        return len(chars)

    def accept_selected(self) -> int:
        """"It is right": the selected flagged cells are right as written (a false flag); returns how many."""
        chars = self._flagged(self.grid.selected_chars())
        if chars:
            self._change(self.review.accepted(chars),
                         f"“it is right” for {len(chars)} cells" if len(chars) > 1 else f"“it is right” for {chars[0]}")
        return len(chars)

    def edit_cell(self, char: str | None = None) -> CellEditor | None:
        """Open the cell editor on ``char`` (default: the current cell); its OK records the edit."""
        char = char or self.grid.current_char()
        cell = self.grid.cells.get(char or "")
        if cell is None or cell.image is None:
            return None
        try:
            ink = 255 - read_gray(cell.image)
        except SeganError as exc:
            self.context.report(self, exc, "Cannot edit the glyph")
            return None
        editor = CellEditor(cell.char, ink, self.review.edits.get(cell.char), self)
        editor.accepted.connect(lambda: self._change(self.review.edited(cell.char, editor.edit()), f"edit {cell.char}"))
        editor.finished.connect(lambda _result: setattr(self, "cell_editor", None))
        self.cell_editor = editor
        editor.open()
        return editor

    def _drop_toggled(self, checked: bool) -> None:
        char = self.grid.current_char()
        if char is not None:
            self.drop_cell(char, checked)

    def _undo_cell(self) -> None:
        char = self.grid.current_char()
        if char is not None:
            self._change(self.review.reset({char}), f"reset of {char}")

    def undo_review(self) -> bool:
        """Ctrl+Z: the review as it was before the last action (drop, relabel, accept, edit)."""
        if self.history.undo() is None:
            return False
        self._review_changed()
        return True

    def redo_review(self) -> bool:
        """Ctrl+Shift+Z / Ctrl+Y: the action undone last, again."""
        if self.history.redo() is None:
            return False
        self._review_changed()
        return True

    def _change(self, review: Review, what: str) -> None:
        if self.history.push(review, what):
            self._review_changed()

    def _review_changed(self) -> None:
        """The grid, the edited glyphs, the selected cell and the summary after the review changed."""
        self.grid.set_review(self.review)
        for char in set(self._drawn_edits) | set(self.review.edits):
            if self._drawn_edits.get(char) != self.review.edits.get(char):
                self._draw_edit(char)
        self._show_cell(self.grid.current_char())
        self._update_summary()
        self.review_status.setText("Changes not applied yet: press Apply" if self.pending() else "")

    def _draw_edit(self, char: str) -> None:
        """The cell's tile and large view with its edit (or without, when the edit is undone)."""
        cell = self.grid.cells.get(char)
        edit = self.review.edits.get(char)
        if cell is None or cell.image is None:
            return
        try:
            glyph = edited_glyph(cell.image, edit)
        except SeganError:
            return  # an unreadable picture: the large view says so
        self.grid.set_glyph(char, glyph if edit is not None else None, shrink(glyph, self.grid.thumb_size))
        if edit is None:
            self._drawn_edits.pop(char, None)
        else:
            self._drawn_edits[char] = edit

    # -- apply ------------------------------------------------------------------------------------------------

    def apply_review(self) -> bool:
        """Run the corrections job (rebuilds the dataset); False if not started."""
        if self.job is not None:
            return False
        if self.import_dir is None:
            self.context.report(self, SeganError("import scans first"), "Nothing to review")
            return False
        review = self.review
        self.review_status.setText("Applying the corrections…")
        job = partial(apply_review, accept=review.accept, edits=review.edits)
        self._start("review", job, self.import_dir, review.relabel, review.drop,
                    on_progress=lambda e: self.review_status.setText(f"Rebuilding: {describe(e)}…"),
                    on_finished=lambda dataset: self._review_applied(dataset, review), title="Review failed")
        return True

    def _review_applied(self, dataset: Path, review: Review) -> None:
        self.applied = review
        counts = read_manifest(dataset).get("counts", {})
        self.review_status.setText(
            f"Dataset rebuilt: {counts.get('train', 0)} train / {counts.get('dev', 0)} dev / "
            f"{counts.get('test', 0)} test characters."
        )
        self._update_summary()
        self._describe_data()
        self.review_applied.emit(dataset)
