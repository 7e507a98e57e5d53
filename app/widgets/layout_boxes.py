"""The font-wide size, baseline and spacing of the Hanzi as three spin boxes in a row (one widget, two places:
the Batch view's form and the exported font's glyph grid). Values in the units users see: % and 1/1000 em."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QWidget

from segan_core.fontbuild.layout import BASELINE_RANGE, SCALE_RANGE, SPACING_RANGE, GlyphLayout


def _box(low: int, high: int, tip: str, suffix: str = "") -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setSuffix(suffix)
    box.setToolTip(tip)
    return box


class LayoutBoxes(QWidget):
    """Size (%), baseline and spacing (1/1000 em); ``changed`` on any edit; :meth:`value` is a GlyphLayout."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.size_box = _box(round(SCALE_RANGE[0] * 100), round(SCALE_RANGE[1] * 100),
                             "Size of every Hanzi, about the centre of its em box", " %")  # fmt: skip
        self.baseline_box = _box(*BASELINE_RANGE, "Move every Hanzi up (+) or down (−), in 1/1000 em")
        self.spacing_box = _box(*SPACING_RANGE,
                                "Space added to every Hanzi's advance (− tighter), in 1/1000 em, half each side")
        self.set_value(GlyphLayout())
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        for label, box in (("Size", self.size_box), ("Baseline", self.baseline_box), ("Spacing", self.spacing_box)):
            row.addWidget(QLabel(label))
            row.addWidget(box)
            box.valueChanged.connect(self.changed)

    def value(self) -> GlyphLayout:
        return GlyphLayout(self.size_box.value() / 100, self.baseline_box.value(), self.spacing_box.value())

    def set_value(self, layout: GlyphLayout) -> None:
        self.size_box.setValue(round(layout.scale * 100))
        self.baseline_box.setValue(layout.baseline)
        self.spacing_box.setValue(layout.spacing)
