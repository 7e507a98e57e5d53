"""The main window: one tab per view."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QMainWindow, QTabWidget

from segan_core.styles import load_styles


class MainWindow(QMainWindow):
    def __init__(self) -> None:
        super().__init__()
        self.setWindowTitle("Segan Studio")
        self.resize(1200, 800)
        tabs = QTabWidget()
        styles = ", ".join(s.display_name for s in load_styles())
        tabs.addTab(QLabel(f"Styles: {styles}"), "Generate")
        self.setCentralWidget(tabs)
