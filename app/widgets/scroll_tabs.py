"""A tab widget whose pages scroll: the window fits a small or high-DPI screen and every control stays reachable.

Each page is put in a :class:`QScrollArea` that resizes it to the visible area but never below the page's own
minimum size: on a large screen nothing changes, on a small one (1280 x 720 at 150 %) scroll bars appear
instead of controls going off screen. :meth:`widget`, :meth:`currentWidget`, :meth:`indexOf` and
:meth:`setCurrentWidget` take and return the pages themselves, not their scroll areas.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QTabWidget, QWidget


def scrolling(page: QWidget) -> QScrollArea:
    """``page`` in a frameless, resizable scroll area."""
    area = QScrollArea()
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidgetResizable(True)
    area.setWidget(page)
    return area


class ScrollTabs(QTabWidget):
    def addTab(self, page: QWidget, label: str) -> int:  # type: ignore[override]  # the icon overload is unused
        return super().addTab(scrolling(page), label)

    def widget(self, index: int) -> QWidget | None:
        area = super().widget(index)
        return area.widget() if isinstance(area, QScrollArea) else area

    def currentWidget(self) -> QWidget | None:
        return self.widget(self.currentIndex())

    def indexOf(self, page: QWidget) -> int:
        return next((i for i in range(self.count()) if self.widget(i) is page), -1)

    def setCurrentWidget(self, page: QWidget) -> None:
        index = self.indexOf(page)
        if index >= 0:
            self.setCurrentIndex(index)
