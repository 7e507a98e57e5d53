"""Live loss curves (pyqtgraph): one curve per metric, appended as training reports.

The legend says what each loss means in plain words (``segan_core.plain_names``); its tooltip gives the
logged name and the paper's term. A curve of one point is drawn as a marker (a line needs two), and an empty
plot says it is waiting for the first step.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from segan_core.plain_names import metric_name, metric_term

IGNORED = ("img/s",)
WAITING = "waiting for the first step"
MARKER_SIZE = 8


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
        self.waiting = QLabel(WAITING)  # over the empty plot, until the first losses come
        self.waiting.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.waiting.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.waiting.setStyleSheet("color: #777; font-size: 14px; background: transparent;")
        layout = QGridLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 0, 0)
        layout.addWidget(self.waiting, 0, 0)  # the same cell: drawn over the plot
        self.series: dict[str, tuple[list[float], list[float]]] = {}
        self.curves: dict[str, pg.PlotDataItem] = {}

    def clear(self) -> None:
        for curve in self.curves.values():
            self.plot.removeItem(curve)
        self.legend.clear()
        self.series.clear()
        self.curves.clear()
        self.waiting.show()

    def add(self, step: int, metrics: dict[str, float]) -> None:
        for name, value in metrics.items():
            if name in IGNORED:
                continue
            xs, ys = self.series.setdefault(name, ([], []))
            xs.append(float(step))
            ys.append(max(float(value), 1e-6))  # log scale: keep it positive
            curve = self.curves.get(name) or self._new_curve(name)
            curve.setData(xs, ys)
            curve.setSymbol("o" if len(xs) == 1 else None)  # one point: a marker, or nothing would show
        self.waiting.setVisible(self.point_count() == 0)

    def _new_curve(self, name: str) -> pg.PlotDataItem:
        """A curve in the next colour, named in plain words in the legend; its term in the legend's tooltip."""
        colour = pg.intColor(len(self.curves), hues=9, values=1, maxValue=220)
        curve = self.plot.plot([], [], pen=pg.mkPen(colour, width=2), name=metric_name(name),
                               symbolBrush=colour, symbolPen=colour, symbolSize=MARKER_SIZE)
        sample, label = self.legend.items[-1]
        for item in (sample, label):
            item.setToolTip(metric_term(name))
        self.curves[name] = curve
        return curve

    def legend_entries(self) -> list[tuple[str, str]]:
        """(text, tooltip) of each legend entry, in order."""
        return [(label.text, label.toolTip()) for _sample, label in self.legend.items]

    def latest(self) -> dict[str, float]:
        """The last value of every curve."""
        return {name: ys[-1] for name, (_xs, ys) in self.series.items() if ys}

    def point_count(self) -> int:
        return sum(len(xs) for xs, _ in self.series.values())
