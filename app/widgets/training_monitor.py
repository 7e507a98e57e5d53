"""Live losses above a strip of sample glyphs: what a running training shows, in the Train view and the
new-calligrapher flow alike."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QBoxLayout, QLabel, QSplitter, QVBoxLayout, QWidget

from app.imaging import paper_rgb, to_qimage
from app.widgets.loss_plot import LossPlot


class TrainingMonitor(QSplitter):
    """The loss plot (``plot``) over the latest samples (``samples``: rows source, target, generated)."""

    def __init__(self, hint: str, max_strip_height: int = 240, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.max_strip_height = max_strip_height
        self.last_samples: dict | None = None
        self.plot = LossPlot()
        self.samples = QLabel(hint)
        self.samples.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.samples.setMinimumHeight(110)
        self.samples.setStyleSheet("background: white;")
        self.addWidget(self.plot)
        self.addWidget(self.samples)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)

    def show_samples(self, payload: dict) -> None:
        """Draw a ``samples`` progress payload (``source``, ``target``, ``generated`` arrays) as one strip."""
        self.last_samples = payload
        pixmap = QPixmap.fromImage(to_qimage(sample_strip(payload)))
        height = max(96, min(self.max_strip_height, self.samples.height() - 8))
        self.samples.setPixmap(pixmap.scaledToHeight(height, Qt.TransformationMode.FastTransformation))


def training_page(settings: QWidget, buttons: QBoxLayout, status: QWidget, monitor: TrainingMonitor) -> QWidget:
    """A training page as both training views lay it out: settings, the run buttons, status, then the monitor."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(settings)
    layout.addLayout(buttons)
    layout.addWidget(status)
    layout.addWidget(monitor, 1)
    return page


def sample_strip(payload: dict) -> np.ndarray:
    """Rows source / target / generated of the preview characters, as one RGB picture."""
    rows = []
    for key in ("source", "target", "generated"):
        images = payload.get(key)
        if images is None or len(images) == 0:
            continue
        tiles = [np.pad(paper_rgb(img), ((1, 1), (1, 1), (0, 0)), constant_values=210) for img in images]
        rows.append(np.concatenate(tiles, axis=1))
    if not rows:
        return np.full((8, 8, 3), 255, np.uint8)
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows, axis=0)
