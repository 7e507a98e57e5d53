"""A titled, zoomable image panel; heatmap panels can overlay their map on a glyph."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QFrame, QLabel, QSizePolicy, QVBoxLayout

from app.imaging import colour_map, overlay, paper_rgb, to_qimage

BASE_PX = 48  # on-screen pixels per zoom step
MIN_VIEW = 64  # the picture area never shrinks below this, nor below the zoomed picture (the panel scrolls)


class ImagePanel(QFrame):
    """Shows one uint8 ink image (black on white) or an RGB picture, scaled by ``zoom``."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.title = QLabel(title)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view = QLabel()
        self.view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.view.setMinimumSize(MIN_VIEW, MIN_VIEW)
        self.view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.view.setStyleSheet("background: white;")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        self.zoom = 2.0
        self.picture: np.ndarray | None = None  # RGB

    def set_rgb(self, picture: np.ndarray | None) -> None:
        self.picture = picture
        self._refresh()

    def set_ink(self, ink: np.ndarray | None) -> None:
        self.set_rgb(None if ink is None else paper_rgb(ink))

    def set_message(self, text: str) -> None:
        self.picture = None
        self.view.setPixmap(QPixmap())
        self.view.setMinimumSize(MIN_VIEW, MIN_VIEW)
        self.view.setText(text)

    def set_zoom(self, zoom: float) -> None:
        self.zoom = zoom
        self._refresh()

    def pixmap(self) -> QPixmap:
        return self.view.pixmap()

    def has_image(self) -> bool:
        pixmap = self.view.pixmap()
        return self.picture is not None and pixmap is not None and not pixmap.isNull()

    def _refresh(self) -> None:
        if self.picture is None:
            self.view.setPixmap(QPixmap())
            self.view.setMinimumSize(MIN_VIEW, MIN_VIEW)
            return
        self.view.setText("")
        _h, w = self.picture.shape[:2]
        pixmap = QPixmap.fromImage(to_qimage(self.picture))
        side = max(16, round(BASE_PX * self.zoom))  # the same on-screen size whatever the model's size
        mode = Qt.TransformationMode.FastTransformation if side >= 2 * w else Qt.TransformationMode.SmoothTransformation
        scaled = pixmap.scaled(side, side, Qt.AspectRatioMode.KeepAspectRatio, mode)
        self.view.setPixmap(scaled)
        # the whole zoomed picture is the minimum: the detail panel's scroll area then scrolls instead of cropping
        self.view.setMinimumSize(max(MIN_VIEW, scaled.width()), max(MIN_VIEW, scaled.height()))


class HeatmapPanel(ImagePanel):
    """A colour-mapped attention map, shown alone or blended over a glyph."""

    def __init__(self, title: str, parent=None) -> None:
        super().__init__(title, parent)
        self.heat: np.ndarray | None = None
        self.glyph: np.ndarray | None = None
        self.overlay_on = True

    def set_heatmap(self, heat: np.ndarray | None, glyph: np.ndarray | None) -> None:
        self.heat, self.glyph = heat, glyph
        self._compose()

    def set_overlay(self, on: bool) -> None:
        self.overlay_on = on
        self._compose()

    def _compose(self) -> None:
        if self.heat is None:
            self.set_message("not in this model")
            return
        if self.overlay_on and self.glyph is not None:
            self.set_rgb(overlay(self.glyph, self.heat))
        else:
            self.set_rgb(colour_map(self.heat))
