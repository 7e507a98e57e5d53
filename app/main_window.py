"""The main window: one tab per view, menus, shortcuts, drag and drop, persisted geometry."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMainWindow

from app import memory, qtfix
from app.context import AppContext
from app.dialogs import AboutDialog, ManualWindow, PreferencesDialog
from app.settings import Settings, log_path
from app.views.batch import BatchView
from app.views.calligrapher import REVIEW, SCAN_SUFFIXES, SCANS
from app.views.generate import GenerateView
from app.views.train import TrainView
from app.widgets.scroll_tabs import ScrollTabs
from segan_core.model.device import configure_threads
from segan_core.model_folder import ModelFolder


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext | None = None) -> None:
        qtfix.install()  # before any widget work: see app/qtfix.py
        memory.tune_allocator()  # before the first job thread: fewer malloc heaps, big blocks given back at once
        super().__init__()
        self.context = context or AppContext(Settings(), self)
        self.setWindowTitle("Segan Studio")
        self._fit_screen(1300, 860)
        self.setAcceptDrops(True)
        self.tabs = ScrollTabs()  # each view scrolls where the window is smaller than it: fits 1280 x 720 at 150 %
        self.generate = GenerateView(self.context)
        self.batch = BatchView(self.context)
        self.train = TrainView(self.context)
        self.tabs.addTab(self.generate, "Generate")
        self.tabs.addTab(self.batch, "Batch && export")
        self.tabs.addTab(self.train, "Train")
        self.setCentralWidget(self.tabs)
        self.context.model_trained.connect(self._model_trained)
        self.train.calligrapher.export_requested.connect(self.export_style)
        self.train.calligrapher.generate_requested.connect(self.generate_style)
        self.generate.pages_dropped.connect(self.open_scans)
        # what the jobs and a closed style model freed goes back to the system (issue 31: 3.4 GB in an hour)
        self.context.runner.idle.connect(self._jobs_ended)
        self.generate.model_released.connect(self._give_back_memory)
        self.tabs.currentChanged.connect(self._give_back_memory)
        self._build_menus()
        geometry = self.context.settings.geometry()
        if geometry:
            self.restoreGeometry(geometry)
        self.statusBar().showMessage(f"Log: {log_path()}", 5000)

    def _fit_screen(self, width: int, height: int) -> None:
        """Start at ``width`` x ``height``, or the screen's available size where that is smaller."""
        screen = self.screen()
        if screen is not None:
            available = screen.availableGeometry()
            width, height = min(width, available.width()), min(height, available.height())
        self.resize(width, height)

    def _action(self, menu, text: str, slot, shortcut=None) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file = bar.addMenu("&File")
        self._action(file, "Open &model folder…", self.generate.open_model_dialog, QKeySequence.StandardKey.Open)
        self._action(file, "Open &text file…", self._open_text, "Ctrl+T")
        self.recent_menu = file.addMenu("Open &recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        file.addSeparator()
        self._action(file, "Export selection as &PNG…", lambda: self.generate.export_selection("png"), "Ctrl+E")
        self._action(file, "Export selection as &SVG…", lambda: self.generate.export_selection("svg"),
                     "Ctrl+Shift+E")
        file.addSeparator()
        self._action(file, "&Quit", self.close, "Ctrl+Q")

        self._build_edit_menu(bar.addMenu("&Edit"))

        view = bar.addMenu("&View")
        for index, name in enumerate(("&Generate", "&Batch && export", "&Train")):
            self._action(view, name, lambda _checked=False, i=index: self.tabs.setCurrentIndex(i), f"Ctrl+{index + 1}")
        view.addSeparator()
        zoom = self.generate.detail.zoom
        self._action(view, "Zoom &in (detail)", lambda: zoom.setValue(zoom.value() + 1),
                     QKeySequence.StandardKey.ZoomIn)
        self._action(view, "Zoom &out (detail)", lambda: zoom.setValue(zoom.value() - 1),
                     QKeySequence.StandardKey.ZoomOut)
        overlay = self.generate.detail.overlay
        self._action(view, "Toggle heatmap &overlay", overlay.toggle, "Ctrl+H")

        tools = bar.addMenu("&Tools")
        self._action(tools, "&Preferences…", self._preferences, "Ctrl+,")
        self._action(tools, "Reload &styles", self.context.refresh_styles, "F5")
        self._action(tools, "Open &log folder", self._open_log_folder)

        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "User &manual", self.show_manual, QKeySequence.StandardKey.HelpContents)
        self._action(help_menu, "&About Segan Studio", self._about)

    def _build_edit_menu(self, edit) -> None:
        """Undo and redo of the editing the app has: the review of a new calligrapher's cells (its history). The keys
        stay with the review page (Ctrl+Z there); the menu names what they would undo."""
        self.undo_action = self._action(edit, "&Undo", lambda: self._review_history_step(undo=True))
        self.redo_action = self._action(edit, "&Redo", lambda: self._review_history_step(undo=False))
        edit.aboutToShow.connect(self.update_edit_menu)
        self.update_edit_menu()

    def _review_page(self):
        """The calligrapher flow when its review step is on screen with a review loaded, else None."""
        flow = self.train.calligrapher
        on_review = flow.isVisible() and flow.stack.currentIndex() == REVIEW and hasattr(flow, "history")
        return flow if on_review else None

    def update_edit_menu(self) -> None:
        flow = self._review_page()
        history = flow.history if flow is not None else None
        for action, verb, can, what, key in (
            (self.undo_action, "Undo", history and history.can_undo(), history and history.undo_text(), "Ctrl+Z"),
            (self.redo_action, "Redo", history and history.can_redo(), history and history.redo_text(), "Ctrl+Shift+Z"),
        ):
            action.setEnabled(bool(can))
            action.setText(f"&{verb} {what}\t{key}" if can else f"&{verb}")
            action.setToolTip("" if flow else f"{verb} works in the review step of a new calligrapher (Train)")

    def _review_history_step(self, undo: bool) -> None:
        flow = self._review_page()
        if flow is not None:
            flow.undo_review() if undo else flow.redo_review()

    # -- actions -------------------------------------------------------------------------------------

    def _open_text(self) -> None:
        start = self.context.settings.path("text", str(Path.home()))
        name, _ = QFileDialog.getOpenFileName(self, "Open a text file", start, "Text (*.txt);;All files (*)")
        if name:
            self.context.settings.set_path("text", str(Path(name).parent))
            self.tabs.setCurrentWidget(self.generate)
            self.generate.load_text_file(Path(name))

    def _fill_recent(self) -> None:
        """File > Open recent: the text files and model folders opened lately (a gone one is greyed out)."""
        menu = self.recent_menu
        menu.clear()
        recent = self.context.settings.recent
        for number, raw in enumerate(recent, 1):
            path = Path(raw)
            kind = "model" if path.is_dir() else "text"
            action = menu.addAction(f"&{number % 10} {path.name}  ({kind}, {path.parent})")
            action.setEnabled(path.exists())
            action.triggered.connect(lambda _checked=False, p=path: self.open_path(p))
        if not recent:
            menu.addAction("(nothing opened yet)").setEnabled(False)
        else:
            menu.addSeparator()
            menu.addAction("&Clear the list", self.context.settings.clear_recent)

    def _preferences(self) -> None:
        dialog = PreferencesDialog(self.context.settings, self)
        if dialog.exec():
            device, threads = self.context.settings.device, self.context.settings.threads
            dialog.apply()
            configure_threads(self.context.settings.threads)
            if self.context.settings.device != device and self.generate.entry is not None:
                self.generate.reload_model()
            elif self.context.settings.threads != threads:
                # the style's ONNX Runtime sessions are made for a thread count (one session, or two of half the
                # threads: segan_core.session_streams): they are made again on the next draw; glyphs stay
                self.generate.release_sessions()

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_path().parent)))

    def _about(self) -> None:
        AboutDialog(self).exec()

    def show_manual(self) -> None:
        """Help > User manual (F1): docs/gui.md in a window of its own, kept open beside the app."""
        if getattr(self, "manual", None) is None:
            self.manual = ManualWindow(self)
        self.manual.show()
        self.manual.raise_()

    def export_style(self, folder: str) -> None:
        """Batch & export with a style model folder selected (the end of the new-calligrapher flow)."""
        self.tabs.setCurrentWidget(self.batch)
        self.batch.select_model(folder)

    def generate_style(self, key: str) -> None:
        self.tabs.setCurrentWidget(self.generate)
        self.generate.select_style(key)

    def _give_back_memory(self, *_args) -> None:
        """Once the event that freed memory has been handled (a model closed, another view shown)."""
        QTimer.singleShot(0, self, lambda: memory.give_back(idle=not self.context.runner.busy))

    def _jobs_ended(self) -> None:
        """No job runs any more (an export, an import, a fine-tune, a preview ended): the recognizer an import, a
        verdict or a quality gate loaded is let go, and what they freed is given back when it is worth it."""
        QTimer.singleShot(0, self, self._after_jobs)

    def _after_jobs(self) -> None:
        if not self.context.runner.busy and (memory.release_shared_models() or memory.grown()):
            memory.give_back()

    def _model_trained(self, key: str) -> None:
        self.statusBar().showMessage("New style trained: it is now in the style picker", 10000)

    # -- drag and drop: a text file -> Generate, a folder -> Train, scans -> New calligrapher --------------

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if not urls:
            return
        paths = [Path(u.toLocalFile()) for u in urls if u.isLocalFile()]
        if any(p.is_file() and p.suffix.lower() in SCAN_SUFFIXES for p in paths):
            self.open_scans(paths)  # scanned pages / photos (and a template sidecar): the calligrapher flow
        elif paths:
            self.open_path(paths[0])
        event.acceptProposedAction()

    def open_scans(self, paths: list[Path]) -> None:
        """Pictures / PDFs dropped on any view: the New calligrapher flow's import page, with them added."""
        self.tabs.setCurrentWidget(self.train)
        self.train.modes.setCurrentWidget(self.train.calligrapher)
        self.train.calligrapher.add_pages(paths)
        self.train.calligrapher.go_to(SCANS)

    def open_path(self, path: Path) -> None:
        if path.is_dir():
            if ModelFolder(path).has_config:  # a model (or a broken one: the Generate view says why)
                self.tabs.setCurrentWidget(self.generate)
                self.generate.open_model(path)
            else:
                self.tabs.setCurrentWidget(self.train)
                self.train.modes.setCurrentIndex(1)
                self.train.images.setText(str(path))
        else:
            self.tabs.setCurrentWidget(self.generate)
            self.generate.load_text_file(path)

    def closeEvent(self, event) -> None:
        self.context.settings.set_geometry(self.saveGeometry())
        self.context.runner.shutdown()
        super().closeEvent(event)
