"""The flow as one widget: the five pages in a stack under the header, joined where one page's state shows on
another (the buttons a running job holds, the status lines a failure ends), and pages dropped onto it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from app.context import AppContext
from app.views.calligrapher.base import SCAN_SUFFIXES, SCANS, TEMPLATE
from app.views.calligrapher.done import DonePage
from app.views.calligrapher.finetune import FinetunePage
from app.views.calligrapher.review import ReviewPage
from app.views.calligrapher.scans import ScansPage
from app.views.calligrapher.template import TemplatePage
from segan_core.calligrapher import import_folder, is_import
from segan_core.errors import SeganError
from segan_core.userdata import safe_name


class CalligrapherFlow(TemplatePage, ScansPage, ReviewPage, FinetunePage, DonePage):
    """Template -> scans -> review -> fine-tune -> done, each step a page driving the core's jobs."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.setAcceptDrops(True)
        header = self._header()
        self.stack = QStackedWidget()
        for page in (self._template_page(), self._scans_page(), self._review_page(), self._finetune_page(),
                     self._done_page()):
            self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.stack, 1)
        self.name.editingFinished.connect(self._name_changed)
        context.styles_changed.connect(self._fill_bases)
        self.go_to(TEMPLATE)
        self._name_changed()
        self._update_buttons()

    def _name_changed(self) -> None:
        """A calligrapher's name: remember it, and show their earlier import when there is one."""
        name = self.name.text().strip()
        if not safe_name(name):
            return
        self.context.settings.set_path("calligrapher_name", name)
        folder = import_folder(name)
        if self.job is None and folder != self.import_dir and is_import(folder):
            try:
                self.load_import(folder)
            except SeganError:
                pass  # a damaged earlier import: importing again replaces it

    def _update_buttons(self) -> None:
        running = self.job is not None
        for button in (self.save_button, self.import_button, self.apply_button, self.start_button):
            button.setEnabled(not running)
        self.stop_button.setEnabled(running and self.job.name == "finetune")
        done = self.result is not None
        usable = done and (self.result.verdict is None or self.result.verdict.usable)
        self.generate_button.setEnabled(done)
        self.export_button.setEnabled(usable)  # a draft is kept, not offered for export
        self.name.setEnabled(not running)

    def _failed(self, error: BaseException, title: str) -> None:
        self.progress.finish(done=False)  # a fine-tune's moving bar stops
        for label in (self.template_status, self.import_status, self.review_status, self.status):
            if label.text().endswith("…"):
                label.setText(f"{title}.")
        self.context.report(self, error, title)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        urls = event.mimeData().urls()
        if any(u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in (*SCAN_SUFFIXES, ".json") for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_pages(paths)
            self.go_to(SCANS)
            event.acceptProposedAction()
