"""Live loss curves (pyqtgraph): one curve per metric, appended as training reports."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QVBoxLayout, QWidget

IGNORED = ("img/s",)


class LossPlot(QWidget):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        pg.setConfigOptions(antialias=True, background="w", foreground="k")
        self.plot = pg.PlotWidget()
        self.plot.setLabel("bottom", "step")
        self.plot.setLabel("left", "loss (log scale)")
        self.plot.setLogMode(x=False, y=True)  # the losses differ by orders of magnitude
        self.plot.showGrid(x=True, y=True, alpha=0.3)
        self.legend = self.plot.addLegend(offset=(-10, 10))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot)
        self.series: dict[str, tuple[list[float], list[float]]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.legend.clear()
        self.series.clear()
        self.curves.clear()

    def add(self, step: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            if name in IGNORED:
                continue
            xs, ys = self.series.setdefault(name, ([], []))
            xs.append(float(step))
            ys.append(max(float(value), 1e-6))  # log scale: keep it positive
            curve = self.curves.get(name)
            if curve is None:
                colour = pg.intColor(len(self.curves), hues=9, values=1, maxValue=220)
                curve = self.plot.plot(xs, ys, pen=pg.mkPen(colour, width=2), name=name)
                self.curves[name] = curve
            else:
                curve.setData(xs, ys)

    def point_count(self) -> int:
        return sum(len(xs) for xs, _ in self.series.values())
