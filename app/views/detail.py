"""The detail panel: seven side-by-side views of one generated glyph.

Source glyph, its skeleton, the generated glyph, the generated glyph's skeleton, and the CAM, SRAM
and CRAM attention maps (colour-mapped; overlaid on a glyph or shown alone), all with one zoom.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QScrollArea,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.widgets.image_panel import HeatmapPanel, ImagePanel
from segan_core.inference import HEATMAP_KINDS


@dataclass
class GlyphResult:
    """Everything the panel shows for one character (cut out of a core ``Generation``)."""

    char: str
    source: np.ndarray
    source_skeleton: np.ndarray
    generated: np.ndarray
    generated_skeleton: np.ndarray
    heatmaps: dict[str, np.ndarray] = field(default_factory=dict)
    upscaled: np.ndarray | None = None  # the style's second stage (256 px), when it has one

    def shown(self, upscaled: bool) -> np.ndarray:
        """The glyph to show: the second stage's (``upscaled`` and there is one) or the generator's."""
        return self.upscaled if upscaled and self.upscaled is not None else self.generated


PANEL_TITLES = ("Source", "Source skeleton", "Generated", "Generated skeleton", "CAM", "SRAM", "CRAM")


class DetailPanel(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.result: GlyphResult | None = None
        self.upscaled = True  # show the second stage's glyph where there is one (GenerateView's switch)
        self.caption = QLabel("Click a glyph to inspect it")
        self.caption.setStyleSheet("font-size: 15px; font-weight: bold;")

        self.glyph_panels = {
            "source": ImagePanel("Source"),
            "source_skeleton": ImagePanel("Source skeleton"),
            "generated": ImagePanel("Generated"),
            "generated_skeleton": ImagePanel("Generated skeleton"),
        }
        self.heat_panels = {kind: HeatmapPanel(kind.upper()) for kind in HEATMAP_KINDS}

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self._controls())
        layout.addWidget(self._panel_scroll(), 1)
        self._zoom_changed(self.zoom.value())

    def _controls(self) -> QHBoxLayout:
        """The caption, the heatmap overlay switch and target, and the zoom slider."""
        self.zoom = QSlider(Qt.Orientation.Horizontal)
        self.zoom.setRange(1, 8)
        self.zoom.setValue(2)
        self.zoom.setToolTip("Zoom (Ctrl+wheel over the panels)")
        self.zoom.valueChanged.connect(self._zoom_changed)
        self.zoom_label = QLabel("2×")
        self.overlay = QCheckBox("Overlay heatmaps on")
        self.overlay.setChecked(True)
        self.overlay.toggled.connect(self._overlay_changed)
        self.overlay_target = QComboBox()
        self.overlay_target.addItems(["generated glyph", "source glyph"])
        self.overlay_target.currentIndexChanged.connect(lambda _i: self._show_heatmaps())
        controls = QHBoxLayout()
        controls.addWidget(self.caption, 1)
        controls.addWidget(self.overlay)
        controls.addWidget(self.overlay_target)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Zoom"))
        controls.addWidget(self.zoom)
        controls.addWidget(self.zoom_label)
        return controls

    def _panel_scroll(self) -> QScrollArea:
        """Every panel in one row, in a scroll area."""
        grid = QGridLayout()
        for index, panel in enumerate(self.panels()):
            grid.addWidget(panel, 0, index)
        holder = QWidget()
        holder.setLayout(grid)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(holder)
        return self.scroll

    def panels(self) -> list[ImagePanel]:
        return [*self.glyph_panels.values(), *self.heat_panels.values()]

    def show_result(self, result: GlyphResult | None) -> None:
        self.result = result
        if result is None:
            self.caption.setText("Click a glyph to inspect it")
            for panel in self.panels():
                panel.set_message("")
            return
        stage = ""
        if result.upscaled is not None:
            stage = "  · generated: 256 px second stage" if self.upscaled else "  · generated: 64 px (second stage off)"
        self.caption.setText(f"{result.char}  U+{ord(result.char):04X}{stage}")
        for name, panel in self.glyph_panels.items():
            panel.set_ink(result.shown(self.upscaled) if name == "generated" else getattr(result, name))
        self._show_heatmaps()

    def _show_heatmaps(self) -> None:
        result = self.result
        if result is None:
            return
        base = result.generated if self.overlay_target.currentIndex() == 0 else result.source
        for kind, panel in self.heat_panels.items():
            panel.set_heatmap(result.heatmaps.get(kind), base)

    def _overlay_changed(self, on: bool) -> None:
        self.overlay_target.setEnabled(on)
        for panel in self.heat_panels.values():
            panel.set_overlay(on)

    def _zoom_changed(self, value: int) -> None:
        self.zoom_label.setText(f"{value}×")
        for panel in self.panels():
            panel.set_zoom(float(value))

    def wheelEvent(self, event) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            step = 1 if event.angleDelta().y() > 0 else -1
            self.zoom.setValue(self.zoom.value() + step)
            event.accept()
        else:
            super().wheelEvent(event)
