"""Step 2, Scans: dropped or picked page pictures and PDFs + the template's sidecar -> ``import_scans`` into the
user's data folder (``import_folder``: ``datasets/<name>-scans``)."""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.views.calligrapher.base import REVIEW, SCAN_SUFFIXES, FlowBase, describe
from app.widgets.field_row import field_row
from segan_core.calligrapher import import_folder, is_import
from segan_core.errors import InputFileError, SeganError
from segan_core.jobs import Progress
from segan_core.outputs import check_output_dir
from segan_core.scans.importer import SCAN_IMPORT, STATUS_ORDER, ImportReport, ImportRequest, import_scans
from segan_core.userdata import safe_name

SCAN_FILTER = "Scans and photos (*.png *.jpg *.jpeg *.tif *.tiff *.pdf);;All files (*)"


class ScansPage(FlowBase):
    def _scans_page(self) -> QWidget:
        self.template_json = QLineEdit(self.context.settings.path("calligrapher_template"))
        self.template_json.setPlaceholderText("the template's JSON sidecar (saved beside its PDF)")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_template)
        pages = self._page_list()
        self.dataset_size = QComboBox()
        for size in (32, 64, 128):
            self.dataset_size.addItem(f"{size} px", size)
        self.dataset_size.setCurrentIndex(1)
        self.check_labels = QCheckBox("Check each cell's label with the OCR recognizer")
        self.check_labels.setChecked(True)
        self.import_button = QPushButton("Import")
        self.import_button.clicked.connect(lambda: self.start_import())
        self.import_progress = QProgressBar()
        self.import_status = QLabel("Drop scanned pages or photos here (PNG, JPEG, TIFF or PDF, any order, "
                                    "any rotation); a dropped .json is taken as the template.")
        self.import_status.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Template", field_row(self.template_json, browse))
        form.addRow("Dataset size", self.dataset_size)
        form.addRow("", self.check_labels)
        run = QHBoxLayout()
        run.addWidget(self.import_button)
        run.addWidget(self.import_progress, 1)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(form)
        layout.addWidget(QLabel("Scanned pages and photos"))
        layout.addLayout(pages, 1)
        layout.addLayout(run)
        layout.addWidget(self.import_status)
        return page

    def _page_list(self) -> QHBoxLayout:
        """The scanned pages and photos to import, with Add / Remove / Clear."""
        self.page_list = QListWidget()
        self.page_list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.page_list.setAcceptDrops(False)
        add = QPushButton("Add pages…")
        add.clicked.connect(self._browse_pages)
        remove = QPushButton("Remove")
        remove.clicked.connect(self._remove_pages)
        clear = QPushButton("Clear")
        clear.clicked.connect(self.page_list.clear)
        list_buttons = QVBoxLayout()
        for button in (add, remove, clear):
            list_buttons.addWidget(button)
        list_buttons.addStretch(1)
        pages = QHBoxLayout()
        pages.addWidget(self.page_list, 1)
        pages.addLayout(list_buttons)
        return pages

    def _browse_template(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Template sidecar", self.template_json.text(),
                                              "Template (*.json);;All files (*)")
        if name:
            self.template_json.setText(name)

    def _browse_pages(self) -> None:
        start = self.context.settings.path("calligrapher_scans", str(Path.home()))
        names, _ = QFileDialog.getOpenFileNames(self, "Scanned pages or photos", start, SCAN_FILTER)
        if names:
            self.context.settings.set_path("calligrapher_scans", str(Path(names[0]).parent))
            self.add_pages([Path(n) for n in names])

    def _remove_pages(self) -> None:
        for item in self.page_list.selectedItems():
            self.page_list.takeItem(self.page_list.row(item))

    def pages(self) -> list[Path]:
        return [Path(self.page_list.item(i).text()) for i in range(self.page_list.count())]

    def add_pages(self, paths: list[Path]) -> int:
        """Add page pictures / PDFs (a .json is taken as the template); returns how many were added."""
        known = set(self.pages())
        added = 0
        for path in paths:
            if path.suffix.lower() == ".json":
                self.template_json.setText(str(path))
            elif path.suffix.lower() in SCAN_SUFFIXES and path not in known:
                self.page_list.addItem(str(path))
                known.add(path)
                added += 1
        return added

    def start_import(self) -> bool:
        if self.job is not None:
            return False
        try:
            request = self._import_request()
        except SeganError as exc:
            self.context.report(self, exc, "Cannot import")
            return False
        name = self.name.text().strip()
        if is_import(request.out) and not self.confirm(
            "Replace the import?", f"{request.out} holds an earlier import of {name} (and its review). Replace it?"
        ):
            return False
        self.context.settings.set_path("calligrapher_template", self.template_json.text().strip())
        self.import_progress.setRange(0, max(1, len(request.pages)))
        self.import_progress.setValue(0)
        self.import_status.setText("Importing…")
        self._import_started = time.monotonic()
        self._start("import", import_scans, request, on_progress=self._import_progress,
                    on_finished=self._imported, title="Import failed")
        return True

    def _import_request(self) -> ImportRequest:
        """The import the page describes; a one-line error for what is missing or a folder it may not write."""
        name = self.name.text().strip()
        if not safe_name(name):
            raise SeganError("give the calligrapher a name (letters, digits, - or _)")
        raw = self.template_json.text().strip()
        if not raw:
            raise InputFileError("choose the template's JSON sidecar (saved beside its PDF)")
        pages = self.pages()
        if not pages:
            raise InputFileError("add the scanned pages or photos first (drop them here)")
        out = check_output_dir(import_folder(name), SCAN_IMPORT)
        return ImportRequest(pages=tuple(pages), template=Path(raw).expanduser(), out=out,
                             dataset_size=int(self.dataset_size.currentData()),
                             check_labels=self.check_labels.isChecked())

    def _import_progress(self, event: Progress) -> None:
        if event.total:
            self.import_progress.setMaximum(event.total)
            self.import_progress.setValue(min(event.done, event.total))
        self.import_status.setText(f"Importing: {describe(event)}…")

    def _imported(self, report: ImportReport) -> None:
        counts = report.counts
        flagged = ", ".join(f"{counts[k]} {k}" for k in STATUS_ORDER if counts.get(k))
        self.import_status.setText(
            f"Imported {counts['cells']} cells from {len(report.pages)} pictures in "
            f"{time.monotonic() - self._import_started:.1f} s into {report.out}"
            + (f"; flagged: {flagged}" if flagged else "") + f". Label check: {report.label_check}."
        )
        self.load_import(Path(report.out))
        self.go_to(REVIEW)
        self.imported.emit(report)
