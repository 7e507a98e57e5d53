"""The whole exported font as a grid of glyphs, with the font-wide size, baseline and spacing (as Calligraphr has).

Every character the font maps, drawn by Qt from the font file just written (a snapshot: see
``BatchView.load_preview``), in its em box with the baseline and its advance drawn in. Glyphs the writer
wrote by hand are marked apart from the generated ones and from the punctuation copied from the fallback
font, and a filter shows one kind at a time. The size, baseline and spacing boxes move every Hanzi of the
grid at once, so a designer sees the font-wide layout before choosing it; "Rebuild the font with this
layout" hands it to the Batch view, which builds the font again from its cached outlines
(:class:`segan_core.fontbuild.layout.GlyphLayout`: nothing is generated or traced again).

The grid is a model/view list: only the visible cells are painted, so 6,763 glyphs open at once.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.widgets.layout_boxes import LayoutBoxes
from segan_core.charset import is_han
from segan_core.fontbuild.layout import CENTRE, GlyphLayout
from segan_core.fontbuild.metrics import ASCENT, UPM

WRITTEN, GENERATED, OTHER = "written by hand", "generated", "from the fallback font"
KIND_ROLE = Qt.ItemDataRole.UserRole
FILTERS = (("All glyphs", None), ("Written by hand", WRITTEN), ("Generated", GENERATED), ("Other (fallback)", OTHER))
WRITTEN_TINT = QColor(255, 243, 214)
OTHER_TINT = QColor(236, 240, 246)
GUIDE = QColor(190, 190, 190)
BASELINE = QColor(90, 150, 220)


class FontGlyphs(QAbstractListModel):
    """The font's characters, each with its kind (written, generated, other); ``only`` filters by kind."""

    def __init__(self, chars: tuple[str, ...], written: frozenset[str], parent=None) -> None:
        super().__init__(parent)
        self.kinds = {c: (WRITTEN if c in written else GENERATED if is_han(c) else OTHER) for c in chars}
        self.all_chars = chars
        self.shown = chars

    def only(self, kind: str | None) -> None:
        self.beginResetModel()
        self.shown = self.all_chars if kind is None else tuple(c for c in self.all_chars if self.kinds[c] == kind)
        self.endResetModel()

    def count(self, kind: str) -> int:
        return sum(1 for k in self.kinds.values() if k == kind)

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.shown)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        char = self.shown[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return char
        if role == KIND_ROLE:
            return self.kinds[char]
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{char}  U+{ord(char):04X}, {self.kinds[char]}"
        return None


class GlyphCell(QStyledItemDelegate):
    """Paints one glyph in its em box: the baseline, the advance, and the Hanzi placed by the layout being tried
    relative to the one the font was built with."""

    def __init__(self, family: str, cell: int, built_with: GlyphLayout, parent=None) -> None:
        super().__init__(parent)
        self.family = family
        self.cell = cell
        self.built_with = built_with
        self.trying = built_with

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(self._width(self.trying) + 6, self.cell + 6)

    def _width(self, layout: GlyphLayout) -> int:
        return round(self.cell * (UPM + layout.spacing) / UPM)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        kind = index.data(KIND_ROLE)
        char = index.data(Qt.ItemDataRole.DisplayRole)
        hanzi = kind != OTHER
        layout = self.trying if hanzi else GlyphLayout()
        built = self.built_with if hanzi else GlyphLayout()
        k = self.cell / UPM
        left, top = option.rect.left() + 3, option.rect.top() + 3
        width = self._width(layout) if hanzi else self.cell
        painter.save()
        box = QRectF(left, top, width, self.cell)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight().color().lighter(160))
        painter.fillRect(box, WRITTEN_TINT if kind == WRITTEN else OTHER_TINT if kind == OTHER else QColor("white"))
        painter.setPen(QPen(GUIDE, 1))
        painter.drawRect(box)
        baseline_y = top + ASCENT * k
        painter.setPen(QPen(BASELINE, 1, Qt.PenStyle.DashLine))
        painter.drawLine(QPointF(left, baseline_y), QPointF(left + width, baseline_y))
        # the glyph as built maps to the glyph as tried by: scale r about the em centre, then the shift difference
        ratio = layout.scale / built.scale
        centre = QPointF(left + CENTRE[0] * k, top + (ASCENT - CENTRE[1]) * k)
        dx = k * (layout.spacing / 2 - ratio * built.spacing / 2)
        dy = -k * (layout.baseline - ratio * built.baseline)
        painter.translate(centre.x() + dx, centre.y() + dy)
        painter.scale(ratio, ratio)
        painter.translate(-centre.x(), -centre.y())
        font = QFont(self.family)
        font.setPixelSize(self.cell)
        painter.setFont(font)
        painter.setPen(QColor("black"))
        painter.drawText(QPointF(left, baseline_y), char)
        painter.restore()
        if kind == WRITTEN:  # a corner mark that survives printing in grey
            painter.save()
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(214, 140, 30))
            painter.drawEllipse(QPointF(left + 6, top + 6), 3.5, 3.5)
            painter.restore()


class FontGridDialog(QDialog):
    """The exported font, every glyph; ``rebuild_requested(GlyphLayout)`` when the designer chooses a layout."""

    rebuild_requested = Signal(object)

    def __init__(self, font_path: Path, family: str, chars: tuple[str, ...], written: frozenset[str],
                 built_with: GlyphLayout = GlyphLayout(), parent: QWidget | None = None, cell: int = 64) -> None:  # noqa: B008 - frozen
        super().__init__(parent)
        self.setWindowTitle(f"Glyphs of {font_path.name}")
        self.setObjectName("fontGrid")
        self.model = FontGlyphs(chars, written, self)
        self.cell = GlyphCell(family, cell, built_with, self)
        self.view = self._grid_view()
        self.counts = QLabel(self._count_text())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.rebuild_button = buttons.addButton("Rebuild the font with this layout",
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.rebuild_button.setEnabled(False)
        buttons.accepted.connect(self._rebuild)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.counts)
        layout.addLayout(self._controls(built_with))
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(900, 640)

    def _grid_view(self) -> QListView:
        view = QListView()
        view.setObjectName("fontGridView")
        view.setViewMode(QListView.ViewMode.IconMode)
        view.setResizeMode(QListView.ResizeMode.Adjust)
        view.setMovement(QListView.Movement.Static)
        view.setUniformItemSizes(True)
        view.setLayoutMode(QListView.LayoutMode.Batched)
        view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        view.setModel(self.model)
        view.setItemDelegate(self.cell)
        return view

    def _controls(self, built_with: GlyphLayout) -> QHBoxLayout:
        """The kind filter, then size, baseline and spacing (starting from the layout the font was built with)."""
        self.filter = QComboBox()
        for label, kind in FILTERS:
            self.filter.addItem(label, kind)
        self.filter.currentIndexChanged.connect(lambda: self.model.only(self.filter.currentData()))
        self.boxes = LayoutBoxes()
        self.boxes.set_value(built_with)
        self.boxes.changed.connect(self._try_layout)
        reset = QPushButton("As built")
        reset.clicked.connect(lambda: self.set_layout(built_with))
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Show"))
        controls.addWidget(self.filter)
        controls.addWidget(self.boxes)
        controls.addWidget(reset)
        controls.addStretch(1)
        return controls

    def _count_text(self) -> str:
        m = self.model
        return (f"{len(m.all_chars):,} glyphs: {m.count(WRITTEN):,} written by hand (marked), "
                f"{m.count(GENERATED):,} generated, {m.count(OTHER):,} from the fallback font")  # fmt: skip

    def layout_tried(self) -> GlyphLayout:
        return self.boxes.value()

    def set_layout(self, layout: GlyphLayout) -> None:
        self.boxes.set_value(layout)

    def _try_layout(self) -> None:
        self.cell.trying = self.layout_tried()
        self.rebuild_button.setEnabled(self.cell.trying != self.cell.built_with)
        self.view.doItemsLayout()  # the cells' width follows the spacing
        self.view.viewport().update()

    def _rebuild(self) -> None:
        self.rebuild_requested.emit(self.layout_tried())
        self.accept()
