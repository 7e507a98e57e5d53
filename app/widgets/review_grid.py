"""The review grid of a scan import: every cell's glyph, its character and its flag (colour + text).

Tiles are painted from small thumbnails (``set_thumbnails``, made off the UI thread by the view); a cell's
full image is read only when it is shown large (``glyph``). Several cells can be selected (Ctrl+click
toggles one, Shift+click or Shift+arrows select a range, Ctrl+A all); ``delete_pressed`` asks the view
to drop them. The filters come from the core (``segan_core.scans.corrections.review_filters``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QRect, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QIcon,
    QImage,
    QKeyEvent,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
)
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from app.imaging import to_qimage
from segan_core.scans.corrections import FILTERS, Review, review_filters
from segan_core.scans.review import SHORT, STATUS_COLOURS

CHAR_ROLE = Qt.ItemDataRole.UserRole
DROPPED_COLOUR = (150, 150, 150)
RELABELLED_COLOUR = (0, 110, 200)
ACCEPTED_COLOUR = (0, 130, 110)
REDO_KEYS = (
    Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier | Qt.Key.Key_Z,
    Qt.KeyboardModifier.ControlModifier | Qt.Key.Key_Y,
)
FILTER_NAMES = {"decision": "Needs a decision", "empty": "Empty boxes", "flagged": "Flagged and changed",
                "all": "All"}


def flag_text(status: str) -> str:
    """The short flag shown under a glyph: empty / border / label? / rescan (nothing when ok)."""
    return "" if status == "ok" else SHORT.get(status, status)


@dataclass
class ReviewCell:
    """One template cell as the grid shows it."""

    char: str  # the template character (the cell's image is chars/<char>.png)
    status: str  # ok / empty / touches-border / label-mismatch / duplicate-replaced
    image: Path | None  # None: nothing written in the box
    label: str | None = None  # a corrected label
    dropped: bool = False
    accepted: bool = False  # "it is right": the flag was false
    edited: bool = False  # the glyph is hand-edited (cell editor)

    def caption(self) -> str:
        if self.dropped:
            return f"{self.char} dropped"
        mark = " ✎" if self.edited else ""
        if self.label and self.label != self.char:
            return f"{self.char}→{self.label}{mark}"
        if self.accepted:
            return f"{self.char} ✓{mark}"
        flag = flag_text(self.status)
        return (f"{self.char} {flag}" if flag else self.char) + mark

    def changed(self) -> bool:
        return self.dropped or self.accepted or self.edited or bool(self.label and self.label != self.char)


class ReviewGrid(QListWidget):
    """Cells in template order; ``cell_selected(char)`` when the current cell changes, ``delete_pressed`` on Delete."""

    cell_selected = Signal(str)
    delete_pressed = Signal()
    undo_pressed = Signal()  # Ctrl+Z here even where the page's shortcuts do not reach (a window not active)
    redo_pressed = Signal()

    def __init__(self, cell: int = 72, parent=None) -> None:
        super().__init__(parent)
        self.cell = cell
        self.caption_h = max(16, cell // 4)
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(cell, cell + self.caption_h))
        self.setGridSize(QSize(cell + 10, cell + self.caption_h + 10))
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.cells: dict[str, ReviewCell] = {}
        self.review = Review()
        self.mode = "all"
        self._items: dict[str, QListWidgetItem] = {}
        self._glyphs: dict[str, QImage] = {}
        self._thumbs: dict[str, QImage] = {}
        self.currentItemChanged.connect(self._current_changed)

    def set_cells(self, cells: list[ReviewCell]) -> None:
        self.blockSignals(True)
        try:
            self.clear()
            self.cells = {c.char: c for c in cells}
            self._items = {}
            self._glyphs = {}
            self._thumbs = {}
            for cell in cells:
                item = QListWidgetItem()
                item.setData(CHAR_ROLE, cell.char)
                item.setSizeHint(QSize(self.cell + 8, self.cell + self.caption_h + 8))
                self.addItem(item)
                self._items[cell.char] = item
                self.refresh(cell.char)
        finally:
            self.blockSignals(False)

    @property
    def thumb_size(self) -> int:
        return self.cell - 6

    def set_thumbnails(self, thumbs: dict[str, np.ndarray]) -> None:
        """Grey glyph images of ``thumb_size`` px (black ink on white) for the cells' tiles."""
        self._thumbs.update({c: to_qimage(a) for c, a in thumbs.items() if c in self.cells})
        self.setUpdatesEnabled(False)
        try:
            for char in thumbs:
                self.refresh(char)
        finally:
            self.setUpdatesEnabled(True)

    def has_thumbnails(self) -> bool:
        return all(c.image is None or c.char in self._thumbs for c in self.cells.values())

    def set_glyph(self, char: str, glyph: np.ndarray | None, thumb: np.ndarray | None = None) -> None:
        """Show ``char`` as ``glyph`` (grey, black on white: an edited glyph) with its tile ``thumb``;
        ``None``: the cell's own image again (read on demand)."""
        if char not in self.cells:
            return
        if glyph is None:
            self._glyphs.pop(char, None)
        else:
            self._glyphs[char] = to_qimage(glyph)
        if thumb is not None:
            self._thumbs[char] = to_qimage(thumb)
        self.refresh(char)

    def refresh(self, char: str) -> None:
        cell, item = self.cells.get(char), self._items.get(char)
        if cell is None or item is None:
            return
        item.setIcon(QIcon(self._tile(cell)))
        tip = f"{cell.char}  U+{ord(cell.char):04X}  ({cell.status})"
        if cell.label and cell.label != cell.char:
            tip += f"\nrelabelled as {cell.label}"
        if cell.dropped:
            tip += "\ndropped from the dataset"
        if cell.accepted:
            tip += "\nits flag is false: it is right as written"
        if cell.edited:
            tip += "\nthe glyph is edited"
        item.setToolTip(tip)

    def set_review(self, review: Review) -> list[str]:
        """Take the review's state into the cells; returns the cells whose state changed (their tiles redrawn)."""
        self.review = review
        changed = []
        for char, cell in self.cells.items():
            state = (review.relabel.get(char), char in review.drop, char in review.accept, char in review.edits)
            if state != (cell.label, cell.dropped, cell.accepted, cell.edited):
                cell.label, cell.dropped, cell.accepted, cell.edited = state
                self.refresh(char)
                changed.append(char)
        self.set_filter(self.mode)
        return changed

    def filtered(self) -> dict[str, tuple[str, ...]]:
        """The cells each filter shows (``FILTERS``); "flagged" also counts cells changed in the tiles themselves."""
        shown = review_filters({c: cell.status for c, cell in self.cells.items()}, self.review)
        flagged = set(shown["flagged"]) | {c for c, cell in self.cells.items() if cell.changed()}
        shown["flagged"] = tuple(c for c in self.cells if c in flagged)
        return shown

    def filter_label(self, mode: str, counts: dict[str, tuple[str, ...]] | None = None) -> str:
        counts = self.filtered() if counts is None else counts
        return f"{FILTER_NAMES[mode]} ({len(counts[mode])})"

    def set_filter(self, mode: str | bool) -> None:
        """Show only the cells of one of ``FILTERS`` (``True``: "flagged", ``False``: "all")."""
        if isinstance(mode, bool):
            mode = "flagged" if mode else "all"
        if mode not in FILTERS:
            raise ValueError(f"no review filter {mode!r}")
        self.mode = mode
        shown = set(self.filtered()[mode])
        for char, item in self._items.items():
            item.setHidden(char not in shown)

    def select(self, char: str) -> None:
        """Make ``char`` the current and only selected cell."""
        item = self._items.get(char)
        if item is not None:
            self.setCurrentItem(item, QItemSelectionModel.SelectionFlag.ClearAndSelect)

    def select_chars(self, chars: list[str] | tuple[str, ...]) -> None:
        """Select exactly these cells (the first becomes the current one)."""
        self.clearSelection()
        for index, char in enumerate(chars):
            item = self._items.get(char)
            if item is None:
                continue
            if index == 0:
                self.setCurrentItem(item, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            item.setSelected(True)

    def current_char(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(CHAR_ROLE)

    def selected_chars(self) -> list[str]:
        """The selected cells that are shown, in template order."""
        chosen = {item.data(CHAR_ROLE) for item in self.selectedItems() if not item.isHidden()}
        return [c for c in self.cells if c in chosen]

    def glyph(self, cell: ReviewCell) -> QImage | None:
        if cell.image is None:
            return None
        image = self._glyphs.get(cell.char)
        if image is None:
            image = QImage(str(cell.image))
            if image.isNull():
                return None
            self._glyphs[cell.char] = image
        return image

    def keyPressEvent(self, event: QKeyEvent) -> None:
        signal = self._key_signal(event)
        if signal is None:
            super().keyPressEvent(event)
            return
        signal.emit()
        event.accept()

    def _key_signal(self, event: QKeyEvent):
        if event.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and not event.modifiers():
            return self.delete_pressed
        if event.matches(QKeySequence.StandardKey.Undo):
            return self.undo_pressed
        if event.matches(QKeySequence.StandardKey.Redo) or event.keyCombination() in REDO_KEYS:
            return self.redo_pressed
        return None

    def _colour(self, cell: ReviewCell) -> QColor:
        if cell.dropped:
            return QColor(*DROPPED_COLOUR)
        if cell.label and cell.label != cell.char:
            return QColor(*RELABELLED_COLOUR)
        if cell.accepted:
            return QColor(*ACCEPTED_COLOUR)
        return QColor(*STATUS_COLOURS.get(cell.status, (255, 0, 255)))

    def _tile(self, cell: ReviewCell) -> QPixmap:
        size, caption = self.cell, self.caption_h
        pixmap = QPixmap(size, size + caption)
        pixmap.fill(QColor("white"))
        painter = QPainter(pixmap)
        thumb = self._thumbs.get(cell.char)
        if thumb is not None:
            painter.drawImage(3, 3, thumb)
        if cell.dropped:
            painter.fillRect(QRect(0, 0, size, size), QColor(255, 255, 255, 170))
        colour = self._colour(cell)
        flagged = cell.status != "ok" or cell.changed()
        painter.setPen(QPen(colour, 3 if flagged else 1))
        painter.drawRect(1, 1, size - 3, size - 3)
        font = QFont()
        pixels = caption - 4
        font.setPixelSize(pixels)
        while pixels > 8 and QFontMetrics(font).horizontalAdvance(cell.caption()) > size - 2:
            pixels -= 1
            font.setPixelSize(pixels)
        painter.setFont(font)
        painter.setPen(QColor("black") if not flagged else colour)
        painter.drawText(QRect(0, size, size, caption), Qt.AlignmentFlag.AlignCenter, cell.caption())
        painter.end()
        return pixmap

    def _current_changed(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None:
            self.cell_selected.emit(current.data(CHAR_ROLE))
