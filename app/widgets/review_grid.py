"""The review grid of a scan import: every cell's glyph, its character and its flag (colour + text).

Tiles are painted from small thumbnails (``set_thumbnails``, made off the UI thread by the view); a cell's
full image is read only when it is shown large (``glyph``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontMetrics, QIcon, QImage, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from app.imaging import to_qimage
from segan_core.scans.review import SHORT, STATUS_COLOURS

CHAR_ROLE = Qt.ItemDataRole.UserRole
DROPPED_COLOUR = (150, 150, 150)
RELABELLED_COLOUR = (0, 110, 200)


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

    def caption(self) -> str:
        if self.dropped:
            return f"{self.char} dropped"
        if self.label and self.label != self.char:
            return f"{self.char}→{self.label}"
        flag = flag_text(self.status)
        return f"{self.char} {flag}" if flag else self.char


class ReviewGrid(QListWidget):
    """Cells in template order; ``cell_selected(char)`` when the current cell changes."""

    cell_selected = Signal(str)

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
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.cells: dict[str, ReviewCell] = {}
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
        item.setToolTip(tip)

    def set_filter(self, flagged_only: bool) -> None:
        for char, item in self._items.items():
            cell = self.cells[char]
            item.setHidden(flagged_only and cell.status == "ok" and not cell.dropped and not cell.label)

    def select(self, char: str) -> None:
        item = self._items.get(char)
        if item is not None:
            self.setCurrentItem(item)

    def current_char(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(CHAR_ROLE)

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
        if cell.dropped:
            colour = QColor(*DROPPED_COLOUR)
        elif cell.label and cell.label != cell.char:
            colour = QColor(*RELABELLED_COLOUR)
        else:
            colour = QColor(*STATUS_COLOURS.get(cell.status, (255, 0, 255)))
        flagged = cell.status != "ok" or cell.dropped or bool(cell.label)
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
