"""Step 1, Template: a character set (core300, core600 or a text file) -> the printable sheet (PDF, PNG pages and
the JSON sidecar beside it), written off the UI thread, its first page shown."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.imaging import to_qimage
from app.replace import existing
from app.views.calligrapher.base import SCANS, FlowBase
from app.widgets.field_row import field_row
from segan_core.calligrapher import write_template_preview
from segan_core.errors import InputFileError, SeganError
from segan_core.scans.charsets import template_charset
from segan_core.scans.template import make_template
from segan_core.userdata import safe_name

CHARSETS = (
    ("core300: 300 characters, 4 pages (recommended)", "core300"),
    ("core600: 600 characters, 8 pages", "core600"),
    ("Characters from a text file…", "file"),
)


class TemplatePage(FlowBase):
    def _template_page(self) -> QWidget:
        box = self._charset_box()
        self.save_button = QPushButton("Save template PDF…")
        self.save_button.clicked.connect(lambda: self.save_template())
        self.template_status = QLabel("Print the template, write one character in each box with a black pen or "
                                      "brush, then scan or photograph the pages.")
        self.template_status.setWordWrap(True)
        self.template_preview = QLabel()
        self.template_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.template_preview.setMinimumHeight(200)
        next_button = QPushButton("Next: scans ›")
        next_button.clicked.connect(lambda: self.go_to(SCANS))
        buttons = QHBoxLayout()
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(next_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(box)
        layout.addLayout(buttons)
        layout.addWidget(self.template_status)
        layout.addWidget(self.template_preview, 1)
        self._charset_changed()
        return page

    def _charset_box(self) -> QGroupBox:
        """The character set to write, and the text file when it is "from a text file"."""
        self.charset = QComboBox()
        for label, key in CHARSETS:
            self.charset.addItem(label, key)
        self.charset_file = QLineEdit()
        self.charset_file.setPlaceholderText("a UTF-8 text file of the characters to write")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_charset)
        self.charset_row = field_row(self.charset_file, browse)
        self.charset.currentIndexChanged.connect(self._charset_changed)
        form = QFormLayout()
        form.addRow("Characters", self.charset)
        form.addRow("Text file", self.charset_row)
        box = QGroupBox("Template sheet")
        box.setLayout(form)
        return box

    def _charset_changed(self) -> None:
        self.charset_row.setEnabled(self.charset.currentData() == "file")

    def _browse_charset(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Characters to write", self.charset_file.text(),
                                              "Text (*.txt);;All files (*)")
        if name:
            self.charset_file.setText(name)
            self.charset.setCurrentIndex(self.charset.findData("file"))

    def template_chars(self) -> tuple[str, ...]:
        key = self.charset.currentData()
        if key == "file":
            raw = self.charset_file.text().strip()
            if not raw:
                raise InputFileError("choose the text file of characters")
            key = str(Path(raw).expanduser())
        return template_charset(key).chars

    def save_template(self, path: Path | str | None = None) -> bool:
        """Write the template PDF (and its PNG pages and JSON sidecar) in a worker; False if not started."""
        if self.job is not None:
            return False
        try:
            chars = self.template_chars()
            template = make_template(chars, safe_name(self.name.text()) or "custom")
        except SeganError as exc:
            self.context.report(self, exc, "Cannot make the template")
            return False
        target = self._template_path(path)
        if target is None:
            return False
        path, asked = target
        beside = [path.with_suffix(".json"), *(path.with_name(f"{path.stem}-p{n}.png")
                                              for n in range(1, template.pages + 1))]
        others = existing([p for p in (path, *beside) if p not in asked])
        if others and not self.confirm("Replace files?", "These files exist and would be replaced:\n"
                                       + "\n".join(str(p) for p in others)):
            return False
        self.context.settings.set_path("calligrapher_template_dir", str(path.parent))
        self.template_status.setText(f"Writing {template.pages} pages of {len(chars)} characters…")
        self._start("template", write_template_preview, template, path, on_finished=self._template_written,
                    title="Cannot save the template")
        return True

    def _template_path(self, path: Path | str | None) -> tuple[Path, set[Path]] | None:
        """The PDF to write (asked for when ``path`` is None) and the files the user was already asked about."""
        if path is not None:
            return Path(path), set()
        start = self.context.settings.path("calligrapher_template_dir", str(Path.home()))
        suggested = str(Path(start) / f"{safe_name(self.name.text()) or 'calligrapher'}-template.pdf")
        name, _ = QFileDialog.getSaveFileName(self, "Save the template PDF", suggested, "PDF (*.pdf)")
        if not name:
            return None
        chosen = Path(name) if name.lower().endswith(".pdf") else Path(name + ".pdf")
        return chosen, {chosen}  # the file dialog asked about the PDF itself

    def _template_written(self, outcome: tuple[list[Path], np.ndarray | None]) -> None:
        paths, preview = outcome
        sidecar = next((p for p in paths if p.suffix == ".json"), None)
        pngs = [p for p in paths if p.suffix == ".png"]
        pdf = next((p for p in paths if p.suffix == ".pdf"), None)
        self.template_status.setText(
            f"Saved {pdf} ({len(pngs)} pages as PNG beside it) and its sidecar {sidecar.name if sidecar else ''}. "
            "Print it at 100 % (no \"fit to page\"), write one character per box, then scan or photograph "
            "the pages: the sidecar is all the import needs to read them."
        )
        if sidecar is not None:
            self.template_json.setText(str(sidecar))
            self.context.settings.set_path("calligrapher_template", str(sidecar))
        if preview is not None:
            self.show_template_page(preview)
        self.template_saved.emit(paths)

    def show_template_page(self, page: np.ndarray) -> None:
        pixmap = QPixmap.fromImage(to_qimage(page))
        height = min(pixmap.height(), max(200, self.template_preview.height() - 8))
        self.template_preview.setPixmap(pixmap.scaledToHeight(height, Qt.TransformationMode.SmoothTransformation))
