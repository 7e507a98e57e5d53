"""Small dialogs: preferences (device, threads), About (licences of bundled fonts and models) and the user manual."""

from __future__ import annotations

import os

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QSpinBox,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.catalog import licences
from app.settings import DEVICES, Settings, log_path
from segan_core import __version__


class PreferencesDialog(QDialog):
    def __init__(self, settings: Settings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Preferences")
        self.settings = settings
        self.device = QComboBox()
        self.device.addItems(["auto", "CPU", "CUDA"])
        self.device.setCurrentIndex(DEVICES.index(settings.device))
        self.threads = QSpinBox()
        self.threads.setRange(0, os.cpu_count() or 64)
        self.threads.setSpecialValueText("all cores")
        self.threads.setValue(settings.threads)
        form = QFormLayout()
        form.addRow("Device", self.device)
        form.addRow("CPU threads", self.threads)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def apply(self) -> None:
        self.settings.device = DEVICES[self.device.currentIndex()]
        self.settings.threads = self.threads.value()


def about_html() -> str:
    rows = []
    for what, licence, text in licences():
        detail = text if len(text) < 200 else text[:200].rsplit(" ", 1)[0] + " …"
        rows.append(f"<tr><td valign='top'><b>{what}</b></td><td valign='top'>{licence}</td></tr>"
                    f"<tr><td colspan='2' style='color:#555'><small>{detail}</small></td></tr>")
    return (
        f"<h2>Segan Studio {__version__}</h2>"
        "<p>Brush-calligraphy fonts from a Kai print font with SE-GAN (skeleton-enhanced GAN).</p>"
        "<h3>Bundled fonts and style models</h3>"
        f"<table cellspacing='4'>{''.join(rows)}</table>"
        "<p>Full licence texts are in <code>resources/fonts/*.LICENSE.txt</code>; style licences in "
        "<code>resources/styles.toml</code>.</p>"
        f"<p>Log file: <code>{log_path()}</code></p>"
    )


class AboutDialog(QDialog):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("About Segan Studio")
        self.resize(640, 520)
        self.browser = QTextBrowser()
        self.browser.setHtml(about_html())
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)


class ManualWindow(QDialog):
    """The user manual (docs/gui.md, shipped with the app) with its screenshots, beside the main window (not modal)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        from pathlib import Path

        from segan_core.resources import MANUAL

        super().__init__(parent)
        self.setWindowTitle("Segan Studio manual")
        self.resize(820, 680)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setSearchPaths([str(Path(MANUAL).parent)])  # img/gui-*.png beside it
        try:
            self.browser.setMarkdown(Path(MANUAL).read_text(encoding="utf-8"))
        except OSError as exc:
            self.browser.setPlainText(f"The manual is not installed here ({MANUAL}: {exc.strerror or exc}).")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser)
        layout.addWidget(buttons)
