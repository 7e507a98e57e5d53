"""The cell editor of the review step: one written glyph, touched up by hand before it trains the style.

Left, the glyph as written: click an ink blob (a speck, a stray dot) to erase it, click it again to bring
it back; erased blobs are shown in red. Right, the live result with the em square and the font's
baseline drawn in. Below: move (right, down), scale and baseline, in percent of the em. The dialog only
builds a :class:`segan_core.scans.cell_edit.CellEdit`; every pixel is computed by the core
(``apply_edit``, ``toggle_erase``), so the preview is what the dataset will get.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from PySide6.QtCore import QPointF, Qt, Signal
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPen, QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QGridLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.imaging import to_qimage
from segan_core.glyphs.embox import EmBox
from segan_core.glyphs.render import to_paper
from segan_core.scans.cell_edit import MOVE_RANGE, SCALE_RANGE, CellEdit, apply_edit, erased_mask, toggle_erase

VIEW = 256  # both views, in screen pixels
ERASED_RGB = (230, 60, 60)


class GlyphView(QLabel):
    """A square view of a glyph; ``clicked(x, y)`` with the point as fractions of the image."""

    clicked = Signal(float, float)

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setFixedSize(VIEW, VIEW)
        self.setStyleSheet("background: white; border: 1px solid #bbb;")

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            pos = event.position()
            self.clicked.emit(min(max(pos.x() / VIEW, 0.0), 1.0), min(max(pos.y() / VIEW, 0.0), 1.0))
        super().mousePressEvent(event)


class CellEditor(QDialog):
    """Edit one cell's glyph: ``ink`` is the written glyph (paper 0), ``edit`` where the last edit left it."""

    def __init__(self, char: str, ink: np.ndarray, edit: CellEdit | None = None, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Edit the glyph of {char}")
        self.char = char
        self.ink = ink
        self._edit = edit or CellEdit()
        self.written = GlyphView()
        self.written.setToolTip("Click an ink blob to erase it; click it again to bring it back")
        self.written.clicked.connect(self.erase_at)
        self.result = GlyphView()
        self.result.setToolTip("What the dataset gets: the em square (grey) and the baseline (blue)")
        self.move_x = self._spin(MOVE_RANGE, "%", 0.5, "Move right (negative: left), in percent of the em")
        self.move_y = self._spin(MOVE_RANGE, "%", 0.5, "Move down (negative: up), in percent of the em")
        self.scale = self._spin(SCALE_RANGE, "%", 1.0, "Size, about the middle of the written ink")
        self.baseline = self._spin(MOVE_RANGE, "%", 0.5, "Raise on the baseline (negative: lower), percent of the em")
        self.reset_button = QPushButton("Reset")
        self.reset_button.clicked.connect(lambda: self.set_edit(CellEdit()))
        self._set_spins(self._edit)
        for spin in (self.move_x, self.move_y, self.scale, self.baseline):
            spin.valueChanged.connect(self._spins_changed)
        self.setLayout(self._layout())
        self._update()

    def _spin(self, bounds: tuple[float, float], suffix: str, step: float, tip: str) -> QDoubleSpinBox:
        spin = QDoubleSpinBox()
        spin.setRange(100 * bounds[0], 100 * bounds[1])
        spin.setDecimals(1)
        spin.setSingleStep(step)
        spin.setSuffix(f" {suffix}")
        spin.setToolTip(tip)
        spin.setKeyboardTracking(True)
        return spin

    def _layout(self) -> QVBoxLayout:
        views = QGridLayout()
        views.addWidget(QLabel("Written (click a speck to erase it)"), 0, 0)
        views.addWidget(QLabel("Result"), 0, 1)
        views.addWidget(self.written, 1, 0)
        views.addWidget(self.result, 1, 1)
        form = QFormLayout()
        form.addRow("Move right", self.move_x)
        form.addRow("Move down", self.move_y)
        form.addRow("Scale", self.scale)
        form.addRow("Baseline (raise)", self.baseline)
        form.addRow("", self.reset_button)
        controls = QWidget()
        controls.setLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout()
        layout.addLayout(views)
        layout.addWidget(controls)
        layout.addWidget(buttons)
        return layout

    def edit(self) -> CellEdit:
        """The edit as it stands (the identity edit when nothing is changed)."""
        return self._edit

    def set_edit(self, edit: CellEdit) -> None:
        self._edit = edit
        self._set_spins(edit)
        self._update()

    def erase_at(self, x: float, y: float) -> None:
        """A click on the written glyph at (``x``, ``y``), fractions of the image."""
        self._edit = toggle_erase(self._edit, self.ink, x, y)
        self._update()

    def preview(self) -> np.ndarray:
        """The edited ink image (paper 0), as the dataset will get it."""
        return apply_edit(self.ink, self._edit)

    def _set_spins(self, edit: CellEdit) -> None:
        values = ((self.move_x, edit.dx), (self.move_y, edit.dy), (self.scale, edit.scale),
                  (self.baseline, edit.baseline))
        for spin, value in values:
            spin.blockSignals(True)
            spin.setValue(100 * value)
            spin.blockSignals(False)

    def _spins_changed(self) -> None:
        self._edit = replace(self._edit, dx=self.move_x.value() / 100, dy=self.move_y.value() / 100,
                             scale=self.scale.value() / 100, baseline=self.baseline.value() / 100)
        self._update()

    def _update(self) -> None:
        self.written.setPixmap(self._written_pixmap())
        self.result.setPixmap(self._result_pixmap())

    def _written_pixmap(self) -> QPixmap:
        rgb = np.repeat(to_paper(self.ink)[:, :, None], 3, axis=2)
        erased = erased_mask(self.ink, self._edit.erase)
        if erased.any():
            shade = (self.ink[erased].astype(np.float32) / 255.0)[:, None]
            rgb[erased] = (255 - shade * (255 - np.array(ERASED_RGB, np.float32))).astype(np.uint8)
        return self._scaled(rgb)

    def _result_pixmap(self) -> QPixmap:
        pixmap = self._scaled(np.repeat(to_paper(self.preview())[:, :, None], 3, axis=2))
        size = self.ink.shape[0]
        if size % 16 == 0:
            box, k = EmBox(size), VIEW / size
            painter = QPainter(pixmap)
            painter.setPen(QPen(QColor(190, 190, 190), 1, Qt.PenStyle.DashLine))
            painter.drawRect(round(box.margin * k), round(box.margin * k), round(box.em_px * k), round(box.em_px * k))
            painter.setPen(QPen(QColor(0, 110, 200), 1))
            y = box.baseline_px * k
            painter.drawLine(QPointF(0, y), QPointF(VIEW, y))
            painter.end()
        return pixmap

    @staticmethod
    def _scaled(rgb: np.ndarray) -> QPixmap:
        return QPixmap.fromImage(to_qimage(rgb)).scaled(VIEW, VIEW, Qt.AspectRatioMode.IgnoreAspectRatio,
                                                        Qt.TransformationMode.SmoothTransformation)
