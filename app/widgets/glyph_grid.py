"""A grid of glyph cells: one per typed character, marked when it cannot be generated."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem

from app.imaging import ink_pixmap

CHAR_ROLE = Qt.ItemDataRole.UserRole
STATE_ROLE = Qt.ItemDataRole.UserRole + 1

READY, PENDING, NOT_HAN, MISSING = "ready", "pending", "not Han", "missing"


def _placeholder(char: str, size: int, colour: QColor, note: str) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor("white"))
    painter = QPainter(pixmap)
    painter.setPen(colour)
    font = QFont()
    font.setPixelSize(int(size * 0.55))
    painter.setFont(font)
    painter.drawText(pixmap.rect().adjusted(0, -size // 8, 0, -size // 8), Qt.AlignmentFlag.AlignCenter, char)
    small = QFont()
    small.setPixelSize(max(9, size // 7))
    painter.setFont(small)
    painter.drawText(pixmap.rect().adjusted(2, 0, -2, -2), Qt.AlignmentFlag.AlignBottom | Qt.AlignmentFlag.AlignHCenter,
                     note)
    painter.setPen(colour)
    painter.drawRect(0, 0, size - 1, size - 1)
    painter.end()
    return pixmap


def _compatible(old: str, new: str) -> bool:
    """Can a cell in state ``old`` stand for one in state ``new``? (A ready glyph stays ready.)"""
    return old == new or (old == READY and new == PENDING)


class GlyphGrid(QListWidget):
    """Cells in typing order. ``glyph_activated(char)`` when a ready cell is clicked."""

    glyph_activated = Signal(str)

    def __init__(self, cell: int = 80, parent=None) -> None:
        super().__init__(parent)
        self.cell = cell
        self.setViewMode(QListWidget.ViewMode.IconMode)
        self.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.setMovement(QListWidget.Movement.Static)
        self.setUniformItemSizes(True)
        self.setIconSize(QSize(cell, cell))
        self.setGridSize(QSize(cell + 12, cell + 12))
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self._items: dict[str, QListWidgetItem] = {}
        self._pending_icon: QIcon | None = None
        self.currentItemChanged.connect(self._current_changed)
        self.itemClicked.connect(self._clicked)

    # -- content ----------------------------------------------------------------------------------

    def set_chars(self, cells: list[tuple[str, str, str]]) -> None:
        """(char, state, note) for each cell, in order. Incremental: the unchanged leading cells stay,
        cells that move keep their item (and image), so typing at the end of a long text is cheap."""
        old = list(self._items.items())
        prefix = 0
        for (char, item), (new_char, state, _) in zip(old, cells, strict=False):
            if char != new_char or not _compatible(item.data(STATE_ROLE), state):
                break
            prefix += 1
        if prefix == len(old) == len(cells):
            return
        current = self.current_char()
        self.setUpdatesEnabled(False)
        self.blockSignals(True)
        try:
            taken: dict[str, QListWidgetItem] = {}
            for row in range(self.count() - 1, prefix - 1, -1):
                item = self.takeItem(row)
                taken[item.data(CHAR_ROLE)] = item
            self._items = dict(old[:prefix])
            for char, state, note in cells[prefix:]:
                item = taken.pop(char, None)
                if item is None or not _compatible(item.data(STATE_ROLE), state):
                    item = self._new_item(char, state, note)
                self.addItem(item)
                self._items[char] = item
            if current in self._items:
                self.setCurrentItem(self._items[current])
        finally:
            self.blockSignals(False)
            self.setUpdatesEnabled(True)

    def _new_item(self, char: str, state: str, note: str) -> QListWidgetItem:
        item = QListWidgetItem(self._icon_for(char, state, note), "")
        item.setData(CHAR_ROLE, char)
        item.setData(STATE_ROLE, state)
        item.setToolTip(self._tooltip(char, state, note))
        item.setSizeHint(QSize(self.cell + 8, self.cell + 8))
        if state in (NOT_HAN, MISSING):
            item.setBackground(QBrush(QColor(255, 235, 230)))
        return item

    def set_glyph(self, char: str, ink: np.ndarray) -> None:
        item = self._items.get(char)
        if item is None:
            return
        item.setIcon(QIcon(ink_pixmap(ink, self.cell)))
        item.setData(STATE_ROLE, READY)
        item.setToolTip(self._tooltip(char, READY, ""))

    def _icon_for(self, char: str, state: str, note: str) -> QIcon:
        if state == NOT_HAN:
            return QIcon(_placeholder(char, self.cell, QColor(200, 60, 40), "not Han"))
        if state == MISSING:
            return QIcon(_placeholder(char, self.cell, QColor(200, 60, 40), "missing"))
        if self._pending_icon is None:  # one shared icon: a long paste must not paint thousands
            self._pending_icon = QIcon(_placeholder("", self.cell, QColor(200, 200, 200), "…"))
        return self._pending_icon

    @staticmethod
    def _tooltip(char: str, state: str, note: str) -> str:
        text = f"{char}  U+{ord(char):04X}  ({state})"
        return f"{text}\n{note}" if note else text

    # -- queries ------------------------------------------------------------------------------------

    def chars(self) -> list[str]:
        return list(self._items)

    def state(self, char: str) -> str | None:
        item = self._items.get(char)
        return None if item is None else item.data(STATE_ROLE)

    def ready_chars(self) -> list[str]:
        return [c for c, item in self._items.items() if item.data(STATE_ROLE) == READY]

    def current_char(self) -> str | None:
        item = self.currentItem()
        return None if item is None else item.data(CHAR_ROLE)

    def selected_chars(self) -> list[str]:
        chosen = {item.data(CHAR_ROLE) for item in self.selectedItems()}
        return [c for c in self._items if c in chosen]

    def item_for(self, char: str) -> QListWidgetItem | None:
        return self._items.get(char)

    # -- signals ------------------------------------------------------------------------------------

    def _clicked(self, item: QListWidgetItem) -> None:
        self.glyph_activated.emit(item.data(CHAR_ROLE))

    def _current_changed(self, current: QListWidgetItem | None, _previous) -> None:
        if current is not None:
            self.glyph_activated.emit(current.data(CHAR_ROLE))
