"""The flow's shared widget: its signals and state, the header (name and steps), navigation, running a core job
and asking before a replace. Each page (``template``, ``scans``, ``review``, ``finetune``, ``done``) is a part of
:class:`FlowBase`; ``flow.CalligrapherFlow`` joins them into one widget."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QLabel, QLineEdit, QPushButton, QStackedWidget, QWidget

from app.context import AppContext
from app.replace import confirm_replace
from app.widgets.cell_editor import CellEditor
from segan_core.finetune import FinetuneResult
from segan_core.jobs import Progress
from segan_core.scans.cell_edit import CellEdit
from segan_core.scans.corrections import Review, ReviewHistory

STEPS = ("1 Template", "2 Scans", "3 Review", "4 Fine-tune", "5 Done")
TEMPLATE, SCANS, REVIEW, FINETUNE, DONE = range(5)
SCAN_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")
STAGE_NAMES = {"pages": "reading pages", "labels": "checking labels", "write": "writing", "render": "rendering",
               "review": "applying the review", "dataset": "building the dataset"}


def describe(event: Progress) -> str:
    """A core job's report in words: its stage, its count, its message."""
    name = STAGE_NAMES.get(event.stage, event.stage)
    count = f" {event.done}/{event.total}" if event.total else ""
    return f"{name}{count}" + (f" · {event.message}" if event.message else "")


class FlowBase(QWidget):
    """What every page of the flow shares; the pages add their widgets and slots."""

    template_saved = Signal(object)  # list of paths written
    imported = Signal(object)  # ImportReport
    review_applied = Signal(object)  # dataset folder
    finished = Signal(object)  # FinetuneResult
    stopped = Signal()
    export_requested = Signal(str)  # the new style's model folder
    generate_requested = Signal(str)  # its key

    stack: QStackedWidget

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.job: Any = None  # the running job (the runner's handle), None when the view is free
        self.import_dir: Path | None = None
        self.report: dict | None = None
        self.applied: Review | None = None  # the review on disk
        self.history = ReviewHistory()  # the review's corrections, with undo and redo
        self._drawn_edits: dict[str, CellEdit] = {}  # hand edits the grid shows
        self.cell_editor: CellEditor | None = None
        self.result: FinetuneResult | None = None
        self.skeleton_gan: Path | None = None  # None: the bundled skeleton GAN
        self.last_samples: dict | None = None
        self._records: dict[str, dict] = {}
        self.step = 0  # the fine-tune's last reported step
        self._import_started = 0.0
        self._running_recipe: str | None = None  # the Done page names what ran, not what the combo shows then

    def _header(self) -> QHBoxLayout:
        """The calligrapher's name (the last one) and a button per step of the flow."""
        self.name = QLineEdit(self.context.settings.path("calligrapher_name", "my-hand"))
        self.name.setPlaceholderText("the calligrapher's name (names the import and the new style)")
        self.step_group = QButtonGroup(self)
        self.step_group.setExclusive(True)
        header = QHBoxLayout()
        header.addWidget(QLabel("Calligrapher"))
        header.addWidget(self.name, 1)
        header.addSpacing(16)
        for index, text in enumerate(STEPS):
            button = QPushButton(text)
            button.setCheckable(True)
            self.step_group.addButton(button, index)
            header.addWidget(button)
        self.step_group.idClicked.connect(self.go_to)
        return header

    def go_to(self, step: int) -> None:
        self.stack.setCurrentIndex(step)
        button = self.step_group.button(step)
        if button is not None:
            button.setChecked(True)
        if step == FINETUNE:
            self._describe_data()

    def confirm(self, title: str, message: str) -> bool:
        """Yes/No, No by default (replace an earlier import, continue a run, ...)."""
        return confirm_replace(self, title, message)

    def _start(self, name: str, fn: Callable[..., Any], *args: Any, on_finished: Callable[[Any], None],
               on_progress: Callable[[Progress], None] | None = None,
               on_cancelled: Callable[[], None] | None = None, title: str) -> None:
        """Run a core job; the view is free again (``self.job`` None) before its result handler runs."""
        started: list = []

        def ended(handler: Callable[..., None] | None, *result: Any) -> None:
            if started and self.job is started[0]:
                self.job = None
                self._update_buttons()
            if handler is not None:
                handler(*result)

        job = self.context.runner.start(
            name, fn, *args, on_progress=on_progress, on_finished=lambda result: ended(on_finished, result),
            on_failed=lambda error: ended(lambda e: self._failed(e, title), error),
            on_cancelled=lambda: ended(on_cancelled),
        )
        started.append(job)
        self.job = job
        self._update_buttons()

    # -- what one page asks of another; CalligrapherFlow has them all ----------------------------------------

    def _update_buttons(self) -> None:
        raise NotImplementedError

    def _failed(self, error: BaseException, title: str) -> None:
        raise NotImplementedError

    def load_import(self, folder: Path) -> None:
        raise NotImplementedError

    def _describe_data(self) -> None:
        raise NotImplementedError

    def pending(self) -> bool:
        raise NotImplementedError

    def _show_done(self, result: FinetuneResult) -> None:
        raise NotImplementedError
