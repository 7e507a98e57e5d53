"""The "new calligrapher" flow of the Train view: template -> scans -> review -> fine-tune -> done.

Five steps, each a page of a stack, all driving core jobs through the job runner:

1. **Template**: a character set (core300, core600 or a text file) -> ``make_template`` /
   ``write_template`` (PDF, PNG pages and the JSON sidecar beside it).
2. **Scans**: dropped or picked page pictures and PDFs + the sidecar -> ``import_scans`` into the
   user's data folder (``datasets/<name>-scans``).
3. **Review**: the imported cells in a grid with their flags; fix a label, drop a cell;
   ``apply_review`` rebuilds the dataset from the import's own files.
4. **Fine-tune**: ``finetune`` from a base style, with live losses and samples; Stop cancels.
5. **Done**: the new style is in the style picker; jump to Generate or Batch & export with it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.imaging import paper_rgb, to_qimage
from app.replace import confirm_replace, existing
from app.settings import datasets_dir
from app.widgets.cell_editor import CellEditor
from app.widgets.field_row import field_row
from app.widgets.review_grid import FILTER_NAMES, ReviewCell, ReviewGrid, flag_text
from app.widgets.training_monitor import RunProgress, TrainingMonitor, sample_strip, training_page
from segan_core.charset import is_han
from segan_core.data.store import read_manifest
from segan_core.errors import InputFileError, SeganError
from segan_core.finetune import DEFAULT_RECIPE, RECIPES, FinetuneRequest, FinetuneResult, finetune, recipes_for
from segan_core.imageio import read_gray
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import STATE_JSON, read_config
from segan_core.outputs import SCAN_IMPORT, USER_STYLE, check_output_dir
from segan_core.plain_names import recipe_label, recipe_term
from segan_core.scans.cell_edit import CellEdit
from segan_core.scans.charsets import template_charset
from segan_core.scans.corrections import (
    Review,
    ReviewHistory,
    apply_review,
    edited_glyph,
    load_review,
    needs_decision,
    read_report,
)
from segan_core.scans.importer import ImportRequest, import_scans
from segan_core.scans.template import make_template, write_template
from segan_core.userdata import data_dir, safe_name, user_model_path

STEPS = ("1 Template", "2 Scans", "3 Review", "4 Fine-tune", "5 Done")
TEMPLATE, SCANS, REVIEW, FINETUNE, DONE = range(5)
SCAN_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff", ".pdf")
SCAN_FILTER = "Scans and photos (*.png *.jpg *.jpeg *.tif *.tiff *.pdf);;All files (*)"
CHARSETS = (
    ("core300: 300 characters, 4 pages (recommended)", "core300"),
    ("core600: 600 characters, 8 pages", "core600"),
    ("Characters from a text file…", "file"),
)
PREVIEW_TEXT = "永字八法天地玄黄"
SHOWN_SCORES = ("iou", "content_accuracy")
STAGE_NAMES = {"pages": "reading pages", "labels": "checking labels", "write": "writing", "render": "rendering",
               "review": "applying the review", "dataset": "building the dataset"}


def import_folder(name: str) -> Path:
    """Where the scans of calligrapher ``name`` are imported: ``<data>/datasets/<name>-scans``."""
    return datasets_dir() / f"{safe_name(name)}-scans"


def run_folder(name: str) -> Path:
    return data_dir() / "runs" / safe_name(name)


@dataclass(frozen=True)
class CalligrapherJob:
    """A fine-tune of an import: first bring its dataset up to date (review, base's image size)."""

    request: FinetuneRequest
    import_dir: Path
    review: Review
    size: int
    rebuild: bool


def finetune_import(job: CalligrapherJob, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Worker side: apply the review when the dataset is stale, then fine-tune; returns a FinetuneResult."""
    cancel = cancel or CancelToken()
    if job.rebuild:
        yield from apply_review(job.import_dir, job.review.relabel, job.review.drop, size=job.size, cancel=cancel,
                                accept=job.review.accept, edits=job.review.edits)
    return (yield from finetune(job.request, cancel))


def preview_strip(folder: Path, text: str, device: str = "auto") -> np.ndarray:
    """Worker side: ``text`` drawn by the style model in ``folder``, as one RGB row of glyphs."""
    from segan_core.inference import StyleModel

    generated = StyleModel.load(folder, device=device).run(tuple(text)).generated
    tiles = [np.pad(paper_rgb(glyph), ((2, 2), (2, 2), (0, 0)), constant_values=225) for glyph in generated]
    return np.concatenate(tiles, axis=1)


def thumbnails(
    images: dict[str, Path], size: int, edits: Mapping[str, CellEdit] | None = None
) -> dict[str, np.ndarray]:
    """Worker side: each glyph image (with its hand edit, if any) shrunk to ``size`` px (grey, area-averaged)
    for the review grid."""
    out = {}
    for char, path in images.items():
        try:
            glyph = edited_glyph(path, (edits or {}).get(char))
        except (OSError, SeganError):
            continue  # an unreadable picture: its tile stays blank, the big view says why
        out[char] = shrink(glyph, size)
    return out


def shrink(glyph: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(glyph).resize((size, size), Image.Resampling.BOX), np.uint8)


def save_template_job(template, path: Path, preview_height: int = 600) -> tuple[list[Path], np.ndarray | None]:
    """Worker side: ``write_template``, then the first page shrunk for the preview."""
    from PIL import Image

    written = [Path(p) for p in write_template(template, path, overwrite=True)]  # the user agreed to replace
    first = next((p for p in written if p.suffix == ".png"), None)
    if first is None:
        return written, None
    with Image.open(first) as page:
        page = page.convert("L")
        width = round(page.width * preview_height / page.height)
        return written, np.asarray(page.resize((width, preview_height), Image.Resampling.BOX), np.uint8)


def starting_text(job: CalligrapherJob, resume: bool) -> str:
    """The status line before the job's first report: what it does first."""
    if job.rebuild:
        return "Starting: applying the review and rebuilding the dataset…"
    return (f"Resuming the run of {job.request.name}: preparing the training data…" if resume
            else "Starting: preparing the training data…")


def describe(event: Progress) -> str:
    name = STAGE_NAMES.get(event.stage, event.stage)
    count = f" {event.done}/{event.total}" if event.total else ""
    return f"{name}{count}" + (f" · {event.message}" if event.message else "")


class CalligrapherFlow(QWidget):
    template_saved = Signal(object)  # list of paths written
    imported = Signal(object)  # ImportReport
    review_applied = Signal(object)  # dataset folder
    finished = Signal(object)  # FinetuneResult
    stopped = Signal()
    export_requested = Signal(str)  # the new style's model folder
    generate_requested = Signal(str)  # its key

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.job = None
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

    # -- pages ----------------------------------------------------------------------------------------

    def _template_page(self) -> QWidget:
        self.charset = QComboBox()
        for label, key in CHARSETS:
            self.charset.addItem(label, key)
        self.charset_file = QLineEdit()
        self.charset_file.setPlaceholderText("a UTF-8 text file of the characters to write")
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse_charset)
        self.charset_row = field_row(self.charset_file, browse)
        self.charset.currentIndexChanged.connect(self._charset_changed)
        self.save_button = QPushButton("Save template PDF…")
        self.save_button.clicked.connect(lambda: self.save_template())
        self.template_status = QLabel("Print the template, write one character in each box with a black pen or "
                                      "brush, then scan or photograph the pages.")
        self.template_status.setWordWrap(True)
        self.template_preview = QLabel()
        self.template_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.template_preview.setMinimumHeight(200)
        form = QFormLayout()
        form.addRow("Characters", self.charset)
        form.addRow("Text file", self.charset_row)
        box = QGroupBox("Template sheet")
        box.setLayout(form)
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

    def _review_page(self) -> QWidget:
        """The cells as a grid (filtered), an action row (undo, redo, drop, "it is right", edit), the selected
        cell's editor, Apply."""
        self.review_summary = QLabel("Import scans first: the cells appear here.")
        self.review_summary.setWordWrap(True)
        self.show_filter = self._review_filter()
        self.grid = ReviewGrid()
        self.grid.cell_selected.connect(self._current_cell_changed)
        self.grid.itemSelectionChanged.connect(self._review_actions_state)
        self.grid.delete_pressed.connect(self.drop_selected)
        self.grid.undo_pressed.connect(self.undo_review)
        self.grid.redo_pressed.connect(self.redo_review)
        side_widget = self._cell_editor()
        self.apply_button = QPushButton("Apply && rebuild dataset")
        self.apply_button.clicked.connect(lambda: self.apply_review())
        self.review_status = QLabel()
        self.review_status.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.review_summary, 1)
        top.addWidget(QLabel("Show"))
        top.addWidget(self.show_filter)
        body = QHBoxLayout()
        body.addWidget(self.grid, 1)
        body.addWidget(side_widget)
        next_button = QPushButton("Next: fine-tune ›")
        next_button.clicked.connect(lambda: self.go_to(FINETUNE))
        bottom = QHBoxLayout()
        bottom.addWidget(self.apply_button)
        bottom.addWidget(self.review_status, 1)
        bottom.addWidget(next_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addLayout(top)
        layout.addLayout(self._review_actions(page))
        layout.addLayout(body, 1)
        layout.addLayout(bottom)
        self._show_cell(None)
        return page

    def _review_filter(self) -> QComboBox:
        """All / Needs a decision / Empty boxes / Flagged and changed, each with its count (``_update_summary``)."""
        combo = QComboBox()
        for mode in ("all", "decision", "empty", "flagged"):
            combo.addItem(FILTER_NAMES[mode], mode)
        combo.setToolTip("Needs a decision: flagged cells not yet accepted, relabelled or dropped; "
                         "Empty boxes: nothing written")
        combo.currentIndexChanged.connect(lambda _i: self.grid.set_filter(combo.currentData()))
        return combo

    def _review_actions(self, page: QWidget) -> QHBoxLayout:
        """Undo / Redo (Ctrl+Z, Ctrl+Shift+Z or Ctrl+Y), Drop selected (Delete), It is right, Edit glyph…."""
        self.undo_action_button = QPushButton("Undo")
        self.undo_action_button.clicked.connect(self.undo_review)
        self.redo_action_button = QPushButton("Redo")
        self.redo_action_button.clicked.connect(self.redo_review)
        self.drop_selected_button = QPushButton("Drop selected")
        self.drop_selected_button.setToolTip("Leave the selected cells out of the dataset (Delete)")
        self.drop_selected_button.clicked.connect(self.drop_selected)
        self.accept_button = QPushButton("It is right")
        self.accept_button.setToolTip("The selected flagged cells are right as written: their flags are false")
        self.accept_button.clicked.connect(self.accept_selected)
        self.edit_button = QPushButton("Edit glyph…")
        self.edit_button.setToolTip("Erase a speck, move, scale or set the baseline of the current cell's glyph")
        self.edit_button.clicked.connect(lambda: self.edit_cell())
        self.selection_info = QLabel()
        row = QHBoxLayout()
        for widget in (self.undo_action_button, self.redo_action_button, self.drop_selected_button,
                       self.accept_button, self.edit_button):
            row.addWidget(widget)
        row.addWidget(self.selection_info, 1)
        context = Qt.ShortcutContext.WidgetWithChildrenShortcut
        keys = ((QKeySequence.StandardKey.Undo, self.undo_review), (QKeySequence("Ctrl+Shift+Z"), self.redo_review),
                (QKeySequence("Ctrl+Y"), self.redo_review))
        self.review_shortcuts = []
        for key, slot in keys:
            shortcut = QShortcut(QKeySequence(key), page, context=context)
            shortcut.activated.connect(slot)
            self.review_shortcuts.append(shortcut)
        return row

    def _cell_editor(self) -> QWidget:
        """The selected cell, large, with its label, "Drop this cell" and "Undo changes to this cell"."""
        self.cell_view = QLabel()
        self.cell_view.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.cell_view.setFixedSize(200, 200)
        self.cell_view.setStyleSheet("background: white; border: 1px solid #bbb;")
        self.cell_info = QLabel("Select a cell")
        self.cell_info.setWordWrap(True)
        self.label_edit = QLineEdit()
        self.label_edit.setMaxLength(2)
        self.label_edit.setPlaceholderText("one Han character")
        self.label_edit.returnPressed.connect(self._set_label_clicked)
        self.label_button = QPushButton("Set label")
        self.label_button.clicked.connect(self._set_label_clicked)
        self.label_error = QLabel()
        self.label_error.setStyleSheet("color: #b00;")
        self.drop_button = QPushButton("Drop this cell")
        self.drop_button.setCheckable(True)
        self.drop_button.toggled.connect(self._drop_toggled)
        self.undo_button = QPushButton("Undo changes to this cell")
        self.undo_button.clicked.connect(self._undo_cell)
        label_row = QHBoxLayout()
        label_row.addWidget(QLabel("Label"))
        label_row.addWidget(self.label_edit, 1)
        label_row.addWidget(self.label_button)
        side = QVBoxLayout()
        side.addWidget(self.cell_view, 0, Qt.AlignmentFlag.AlignHCenter)
        side.addWidget(self.cell_info)
        side.addLayout(label_row)
        side.addWidget(self.label_error)
        side.addWidget(self.drop_button)
        side.addWidget(self.undo_button)
        side.addStretch(1)
        side_widget = QWidget()
        side_widget.setLayout(side)
        side_widget.setFixedWidth(260)
        return side_widget

    def _finetune_page(self) -> QWidget:
        """The fine-tune's settings, Start / Stop with the progress, the status and the training monitor."""
        box = self._finetune_box()
        buttons = self._finetune_run_row()
        splitter = TrainingMonitor("Sample previews appear here during fine-tuning (rows: source, target, generated)",
                                   max_strip_height=220)
        self.monitor, self.plot, self.samples = splitter, splitter.plot, splitter.samples
        return training_page(box, buttons, self.status, splitter)

    def _finetune_box(self) -> QGroupBox:
        """Base style, recipe, CPU-minute budget, step limit and what the training data is."""
        self.base = QComboBox()
        self.recipe = QComboBox()
        self._fill_bases()
        self.base.currentIndexChanged.connect(self._fill_recipes)
        self._fill_recipes()
        self.budget = QDoubleSpinBox()
        self.budget.setRange(0.1, 100_000)
        self.budget.setValue(30)
        self.budget.setSuffix(" CPU minutes")
        self.max_steps = QSpinBox()
        self.max_steps.setRange(0, 10_000_000)
        self.max_steps.setSpecialValueText("no limit (the budget decides)")
        self.data_info = QLabel("Import and review scans first.")
        self.data_info.setWordWrap(True)
        form = QFormLayout()
        form.addRow("Base style", self.base)
        form.addRow("Recipe", self.recipe)
        form.addRow("Budget", self.budget)
        form.addRow("Steps", self.max_steps)
        form.addRow("Training data", self.data_info)
        box = QGroupBox("Fine-tuning")
        box.setLayout(form)
        return box

    def _finetune_run_row(self) -> QHBoxLayout:
        """Start / Stop and the progress bar (the status line goes under the row)."""
        self.start_button = QPushButton("Start")
        self.start_button.clicked.connect(lambda: self.start_finetune())
        self.stop_button = QPushButton("Stop")
        self.stop_button.clicked.connect(self.stop_finetune)
        self.progress = RunProgress()
        self.status = QLabel("Idle")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.stop_button)
        buttons.addWidget(self.progress, 1)
        return buttons

    def _done_page(self) -> QWidget:
        self.done_summary = QLabel("Fine-tune a style first.")
        self.done_summary.setWordWrap(True)
        self.done_summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.done_preview = QLabel()
        self.done_preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_preview.setStyleSheet("background: white;")
        self.done_preview.setMinimumHeight(120)
        self.done_samples = QLabel()
        self.done_samples.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.done_samples.setStyleSheet("background: white;")
        self.generate_button = QPushButton("Try it in Generate")
        self.generate_button.clicked.connect(self._open_in_generate)
        self.export_button = QPushButton("Batch && export a font with this style ›")
        self.export_button.clicked.connect(self._export)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.export_button)
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(self.done_summary)
        layout.addWidget(QLabel(f"{PREVIEW_TEXT} in the new style:"))
        layout.addWidget(self.done_preview, 1)
        layout.addWidget(QLabel("The last training samples (rows: source, the calligrapher's glyph, generated):"))
        layout.addWidget(self.done_samples, 1)
        layout.addLayout(buttons)
        return page

    # -- navigation -------------------------------------------------------------------------------------

    def go_to(self, step: int) -> None:
        self.stack.setCurrentIndex(step)
        button = self.step_group.button(step)
        if button is not None:
            button.setChecked(True)
        if step == FINETUNE:
            self._describe_data()

    def _name_changed(self) -> None:
        name = self.name.text().strip()
        if not safe_name(name):
            return
        self.context.settings.set_path("calligrapher_name", name)
        folder = import_folder(name)
        if self.job is None and folder != self.import_dir and (folder / "report.json").is_file():
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

    def _start(self, name: str, fn, *args, on_finished, on_progress=None, on_cancelled=None, title: str) -> None:
        """Run a core job; the view is free again (``self.job`` None) before its result handler runs."""
        started: list = []

        def ended(handler, *result) -> None:
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

    def _failed(self, error: BaseException, title: str) -> None:
        self.progress.finish(done=False)  # a fine-tune's moving bar stops
        for label in (self.template_status, self.import_status, self.review_status, self.status):
            if label.text().endswith("…"):
                label.setText(f"{title}.")
        self.context.report(self, error, title)

    # -- 1 template -----------------------------------------------------------------------------------------

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
        if path is None:
            start = self.context.settings.path("calligrapher_template_dir", str(Path.home()))
            suggested = str(Path(start) / f"{safe_name(self.name.text()) or 'calligrapher'}-template.pdf")
            name, _ = QFileDialog.getSaveFileName(self, "Save the template PDF", suggested, "PDF (*.pdf)")
            if not name:
                return False
            path = Path(name) if name.lower().endswith(".pdf") else Path(name + ".pdf")
            asked = {path}  # the file dialog asked about the PDF itself
        else:
            path, asked = Path(path), set()
        beside = [path.with_suffix(".json"), *(path.with_name(f"{path.stem}-p{n}.png")
                                              for n in range(1, template.pages + 1))]
        others = existing([p for p in (path, *beside) if p not in asked])
        if others and not confirm_replace(self, "Replace files?", "These files exist and would be replaced:\n"
                                          + "\n".join(str(p) for p in others)):
            return False
        self.context.settings.set_path("calligrapher_template_dir", str(path.parent))
        self.template_status.setText(f"Writing {template.pages} pages of {len(chars)} characters…")
        self._start("template", save_template_job, template, path, on_finished=self._template_written,
                    title="Cannot save the template")
        return True

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

    # -- 2 scans ---------------------------------------------------------------------------------------------

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
        except SeganError as exc:
            self.context.report(self, exc, "Cannot import")
            return False
        if (out / "report.json").is_file() and not confirm_replace(
            self, "Replace the import?", f"{out} holds an earlier import of {name} (and its review). Replace it?"
        ):
            return False
        request = ImportRequest(pages=tuple(pages), template=Path(raw).expanduser(), out=out,
                                dataset_size=int(self.dataset_size.currentData()),
                                check_labels=self.check_labels.isChecked())
        self.context.settings.set_path("calligrapher_template", raw)
        self.import_progress.setRange(0, max(1, len(pages)))
        self.import_progress.setValue(0)
        self.import_status.setText("Importing…")
        self._import_started = time.monotonic()
        self._start("import", import_scans, request, on_progress=self._import_progress,
                    on_finished=self._imported, title="Import failed")
        return True

    def _import_progress(self, event: Progress) -> None:
        if event.total:
            self.import_progress.setMaximum(event.total)
            self.import_progress.setValue(min(event.done, event.total))
        self.import_status.setText(f"Importing: {describe(event)}…")

    def _imported(self, report) -> None:
        counts = report.counts
        flagged = ", ".join(f"{counts[k]} {k}" for k in ("empty", "label-mismatch", "touches-border",
                                                           "duplicate-replaced") if counts.get(k))
        self.import_status.setText(
            f"Imported {counts['cells']} cells from {len(report.pages)} pictures in "
            f"{time.monotonic() - self._import_started:.1f} s into {report.out}"
            + (f"; flagged: {flagged}" if flagged else "") + f". Label check: {report.label_check}."
        )
        self.load_import(Path(report.out))
        self.go_to(REVIEW)
        self.imported.emit(report)

    # -- 3 review -----------------------------------------------------------------------------------------------

    @property
    def review(self) -> Review:
        """The corrections as they stand in the grid: the undo history's current state."""
        return self.history.current

    @property
    def relabel(self) -> dict[str, str]:
        return self.review.relabel

    @property
    def drop(self) -> frozenset[str]:
        return self.review.drop

    def load_import(self, folder: Path) -> None:
        """Show an import (and its saved review) in the review grid; a damaged review file: one line, no review."""
        report = read_report(folder)
        try:
            review, problem = load_review(folder), ""
        except InputFileError as exc:
            review, problem = Review(), f"{exc}; starting from no corrections (Apply replaces the file)."
        self.import_dir, self.report, self.applied = folder, report, review
        self.history = ReviewHistory(review)
        cells = []
        for record in report["cells"]:
            char = str(record["char"])
            image = folder / "chars" / f"{char}.png"
            cells.append(ReviewCell(char, str(record.get("status", "ok")), image if image.is_file() else None))
        self.grid.set_cells(cells)
        self.grid.set_review(review)
        self.grid.set_filter(self.show_filter.currentData() or "all")
        self._drawn_edits = {}
        for char in review.edits:
            self._draw_edit(char)
        images = {c.char: c.image for c in cells if c.image is not None}
        edits = dict(review.edits)
        self.context.runner.start(  # a side job: it does not hold the view's buttons
            "thumbnails", thumbnails, images, self.grid.thumb_size, edits,
            on_finished=lambda thumbs: self._thumbnails_ready(folder, thumbs, edits),
            on_failed=lambda error: self.context.report(self, error, "Cannot show the cells"),
        )
        self._records = {str(r["char"]): r for r in report["cells"]}
        self._update_summary()
        self.review_status.setText(problem)
        shown = self.grid.filtered()
        first = next(iter(shown["decision"] or shown["flagged"] or shown["all"]), None)
        if first is not None:
            self.grid.select(first)
        self._describe_data()

    def _thumbnails_ready(self, folder: Path, thumbs: dict[str, np.ndarray], edits: dict[str, CellEdit]) -> None:
        if folder == self.import_dir:  # not an import replaced meanwhile; cells edited since keep their tiles
            self.grid.set_thumbnails({c: t for c, t in thumbs.items() if self.review.edits.get(c) == edits.get(c)})

    def _update_summary(self) -> None:
        if self.report is None:
            return
        counts = self.report.get("counts", {})
        flags = " · ".join(f"{counts.get(k, 0)} {flag_text(k)}" for k in ("empty", "touches-border",
                                                                          "label-mismatch", "duplicate-replaced"))
        missing = self.report.get("not_scanned", "")
        review = self.review
        self.review_summary.setText(
            f"{counts.get('cells', 0)} cells ({flags})" + (f", {len(missing)} not scanned" if missing else "")
            + f". Your changes: {len(review.relabel)} relabelled, {len(review.drop)} dropped, "
            + f"{len(review.accept)} right as written, {len(review.edits)} edited"
            + (" (not applied yet)" if self.pending() else "") + "."
        )
        shown = self.grid.filtered()
        for index in range(self.show_filter.count()):
            self.show_filter.setItemText(index, self.grid.filter_label(self.show_filter.itemData(index), shown))
        self._review_actions_state()

    def pending(self) -> bool:
        """Corrections made in the grid but not applied to the dataset yet."""
        return self.review != (self.applied or Review())

    def _review_actions_state(self) -> None:
        """Undo / redo with what they would undo, and the actions on the selected cells."""
        self.undo_action_button.setEnabled(self.history.can_undo())
        self.undo_action_button.setToolTip(f"Undo {self.history.undo_text()} (Ctrl+Z)")
        self.redo_action_button.setEnabled(self.history.can_redo())
        self.redo_action_button.setToolTip(f"Redo {self.history.redo_text()} (Ctrl+Shift+Z, Ctrl+Y)")
        selected = self.grid.selected_chars()
        written = [c for c in selected if self.grid.cells[c].image is not None]
        flagged = self._flagged(selected)
        self.drop_selected_button.setEnabled(bool(written))
        self.accept_button.setEnabled(bool(flagged))
        current = self.grid.cells.get(self.grid.current_char() or "")
        self.edit_button.setEnabled(current is not None and current.image is not None)
        self.selection_info.setText(f"{len(selected)} selected" + (f", {len(flagged)} flagged" if flagged else "")
                                    if len(selected) > 1 else "")

    def _flagged(self, chars: list[str]) -> list[str]:
        cells = self.grid.cells  # still needing a decision: "it is right" never undoes a relabel or a drop
        return [c for c in chars if cells[c].image is not None and needs_decision(c, cells[c].status, self.review)]

    def select_cell(self, char: str) -> None:
        """Make ``char`` the current and only selected cell."""
        self.grid.select(char)
        self._current_cell_changed(char)

    def _current_cell_changed(self, char: str) -> None:
        """The grid's current cell moved (a click, Ctrl/Shift+click, the keyboard): show it large."""
        self._show_cell(char)
        self._review_actions_state()

    def _show_cell(self, char: str | None) -> None:
        cell = self.grid.cells.get(char) if char else None
        enabled = cell is not None and cell.image is not None
        for widget in (self.label_edit, self.label_button, self.drop_button, self.undo_button):
            widget.setEnabled(enabled)
        self.label_error.clear()
        if cell is None:
            self.cell_view.clear()
            self.cell_info.setText("Select a cell")
            return
        glyph = self.grid.glyph(cell)
        if glyph is not None:
            self.cell_view.setPixmap(QPixmap.fromImage(glyph).scaled(
                196, 196, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation))
        else:
            self.cell_view.setText("(nothing written)")
        record = self._records.get(cell.char, {})
        read = ", ".join(f"{c} {p:.2f}" for c, p in record.get("candidates", [])[:5])
        lines = [f"<b style='font-size:18px'>{cell.char}</b> page {record.get('page', '?')}, "
                 f"cell {record.get('cell', '?')}, from {record.get('file', '?')}",
                 f"Flag: {flag_text(cell.status) or 'none'}" + (f" ({cell.status})" if cell.status != "ok" else "")]
        if read:
            lines.append(f"Recognizer reads: {read}")
        if record.get("replaced"):
            lines.append(f"Replaces the scan in {record['replaced']}")
        if cell.label:
            lines.append(f"Relabelled as <b>{cell.label}</b>")
        if cell.dropped:
            lines.append("<b>Dropped</b> from the dataset")
        if cell.accepted:
            lines.append("<b>Right as written</b>: the flag was false")
        if cell.edited:
            lines.append("The glyph is <b>edited</b> (Edit glyph…)")
        self.cell_info.setText("<br>".join(lines))
        self.label_edit.setText(cell.label or cell.char)
        self.drop_button.blockSignals(True)
        self.drop_button.setChecked(cell.dropped)
        self.drop_button.blockSignals(False)

    def _set_label_clicked(self) -> None:
        char = self.grid.current_char()
        if char is not None:
            self.relabel_cell(char, self.label_edit.text().strip())

    def relabel_cell(self, char: str, label: str) -> bool:
        """Give the cell of ``char`` another character (one Han character); its own character undoes it."""
        cell = self.grid.cells.get(char)
        if cell is None or cell.image is None:
            return False
        if not is_han(label):
            self.label_error.setText(f"{label!r} is not one Han character" if label else "type one Han character")
            return False
        self._change(self.review.relabelled(char, label), f"relabel {char}→{label}" if label != char else
                     f"relabel of {char}")
        return True

    def drop_cell(self, char: str, dropped: bool = True) -> None:
        cell = self.grid.cells.get(char)
        if cell is None or cell.image is None:
            return
        self._change(self.review.dropped({char}, dropped), f"{'drop' if dropped else 'keep'} {char}")

    def drop_selected(self) -> int:
        """Drop every selected cell that has a glyph (Delete); returns how many."""
        chars = [c for c in self.grid.selected_chars() if self.grid.cells[c].image is not None]
        if chars:
            self._change(self.review.dropped(chars), f"drop {len(chars)} cells" if len(chars) > 1 else
                         f"drop {chars[0]}")
        return len(chars)

    def accept_selected(self) -> int:
        """"It is right": the selected flagged cells are right as written (a false flag); returns how many."""
        chars = self._flagged(self.grid.selected_chars())
        if chars:
            self._change(self.review.accepted(chars),
                         f"“it is right” for {len(chars)} cells" if len(chars) > 1 else f"“it is right” for {chars[0]}")
        return len(chars)

    def edit_cell(self, char: str | None = None) -> CellEditor | None:
        """Open the cell editor on ``char`` (default: the current cell); its OK records the edit."""
        char = char or self.grid.current_char()
        cell = self.grid.cells.get(char or "")
        if cell is None or cell.image is None:
            return None
        try:
            ink = 255 - read_gray(cell.image)
        except SeganError as exc:
            self.context.report(self, exc, "Cannot edit the glyph")
            return None
        editor = CellEditor(cell.char, ink, self.review.edits.get(cell.char), self)
        editor.accepted.connect(lambda: self._change(self.review.edited(cell.char, editor.edit()), f"edit {cell.char}"))
        editor.finished.connect(lambda _result: setattr(self, "cell_editor", None))
        self.cell_editor = editor
        editor.open()
        return editor

    def _drop_toggled(self, checked: bool) -> None:
        char = self.grid.current_char()
        if char is not None:
            self.drop_cell(char, checked)

    def _undo_cell(self) -> None:
        char = self.grid.current_char()
        if char is not None:
            self._change(self.review.reset({char}), f"reset of {char}")

    def undo_review(self) -> bool:
        """Ctrl+Z: the review as it was before the last action (drop, relabel, accept, edit)."""
        if self.history.undo() is None:
            return False
        self._review_changed()
        return True

    def redo_review(self) -> bool:
        """Ctrl+Shift+Z / Ctrl+Y: the action undone last, again."""
        if self.history.redo() is None:
            return False
        self._review_changed()
        return True

    def _change(self, review: Review, what: str) -> None:
        if self.history.push(review, what):
            self._review_changed()

    def _review_changed(self) -> None:
        """The grid, the edited glyphs, the selected cell and the summary after the review changed."""
        self.grid.set_review(self.review)
        for char in set(self._drawn_edits) | set(self.review.edits):
            if self._drawn_edits.get(char) != self.review.edits.get(char):
                self._draw_edit(char)
        self._show_cell(self.grid.current_char())
        self._update_summary()
        self.review_status.setText("Changes not applied yet: press Apply" if self.pending() else "")

    def _draw_edit(self, char: str) -> None:
        """The cell's tile and large view with its edit (or without, when the edit is undone)."""
        cell = self.grid.cells.get(char)
        edit = self.review.edits.get(char)
        if cell is None or cell.image is None:
            return
        try:
            glyph = edited_glyph(cell.image, edit)
        except SeganError:
            return  # an unreadable picture: the large view says so
        self.grid.set_glyph(char, glyph if edit is not None else None, shrink(glyph, self.grid.thumb_size))
        if edit is None:
            self._drawn_edits.pop(char, None)
        else:
            self._drawn_edits[char] = edit

    def apply_review(self) -> bool:
        """Run the corrections job (rebuilds the dataset); False if not started."""
        if self.job is not None:
            return False
        if self.import_dir is None:
            self.context.report(self, SeganError("import scans first"), "Nothing to review")
            return False
        review = self.review
        self.review_status.setText("Applying the corrections…")
        job = partial(apply_review, accept=review.accept, edits=review.edits)
        self._start("review", job, self.import_dir, review.relabel, review.drop,
                    on_progress=lambda e: self.review_status.setText(f"Rebuilding: {describe(e)}…"),
                    on_finished=lambda dataset: self._review_applied(dataset, review), title="Review failed")
        return True

    def _review_applied(self, dataset: Path, review: Review) -> None:
        self.applied = review
        counts = read_manifest(dataset).get("counts", {})
        self.review_status.setText(
            f"Dataset rebuilt: {counts.get('train', 0)} train / {counts.get('dev', 0)} dev / "
            f"{counts.get('test', 0)} test characters."
        )
        self._update_summary()
        self._describe_data()
        self.review_applied.emit(dataset)

    # -- 4 fine-tune -------------------------------------------------------------------------------------------

    def _fill_bases(self) -> None:
        if not hasattr(self, "base"):
            return
        current = self.base.currentData()
        self.base.clear()
        for entry in self.context.entries:
            if not entry.available:
                continue
            try:
                kind = read_config(entry.model_dir).get("kind", "segan")
            except SeganError:
                continue
            if kind == "segan":
                self.base.addItem(f"{entry.name} ({entry.origin})", str(entry.model_dir))
        index = self.base.findData(current) if current else -1
        if index < 0:
            index = next((i for i in range(self.base.count()) if "ma-shan-zheng" in str(self.base.itemData(i))), 0)
        self.base.setCurrentIndex(max(0, index))

    def _fill_recipes(self) -> None:
        """The recipes the chosen base can run (a style code is fitted only from a many-hands base)."""
        current = self.recipe.currentData() or DEFAULT_RECIPE
        folder = self.base.currentData()
        self.recipe.blockSignals(True)
        self.recipe.clear()
        for name in recipes_for(Path(folder) if folder else None):  # plain words; the recipe's name in the tooltip
            self.recipe.addItem(recipe_label(name) + (" (recommended)" if name == DEFAULT_RECIPE else ""), name)
            tooltip = f"{RECIPES[name].summary}\n({recipe_term(name)})"
            self.recipe.setItemData(self.recipe.count() - 1, tooltip, Qt.ItemDataRole.ToolTipRole)
        index = self.recipe.findData(current)
        self.recipe.setCurrentIndex(index if index >= 0 else self.recipe.findData(DEFAULT_RECIPE))
        self.recipe.blockSignals(False)

    def set_base(self, folder: Path | str) -> bool:
        index = self.base.findData(str(Path(folder).resolve()))
        if index < 0:
            index = self.base.findData(str(folder))
        if index >= 0:
            self.base.setCurrentIndex(index)
        return index >= 0

    def _describe_data(self) -> None:
        if self.import_dir is None:
            self.data_info.setText("Import and review scans first.")
            return
        dataset = self.import_dir / "dataset"
        try:
            manifest = read_manifest(dataset)
            counts = manifest.get("counts", {})
            text = (f"{dataset}: {counts.get('train', 0)} train / {counts.get('dev', 0)} dev characters at "
                    f"{manifest.get('size', '?')} px")
        except SeganError:
            text = f"{dataset} (built when fine-tuning starts)"
        if self.pending():
            text += "; the review's changes are applied first"
        self.data_info.setText(text)

    def make_job(self) -> tuple[CalligrapherJob, bool]:
        """The fine-tune job for the current settings, and whether it resumes an earlier run."""
        name = self.name.text().strip()
        if not safe_name(name):
            raise SeganError("give the calligrapher a name (letters, digits, - or _)")
        if self.import_dir is None:
            raise SeganError("import the calligrapher's scans first (step 2)")
        base = self.base.currentData()
        if not base:
            raise SeganError("no base style with a trained SE-GAN model to start from")
        size = int(read_config(Path(base), kind="segan")["model"]["image_size"])
        try:
            built = read_manifest(self.import_dir / "dataset").get("size")
        except SeganError:
            built = None
        review = self.review
        rebuild = self.pending() or built != size
        check_output_dir(user_model_path(name), USER_STYLE)
        resume = (run_folder(name) / STATE_JSON).is_file()
        request = FinetuneRequest(
            base=base, data=self.import_dir / "dataset", name=name, recipe=self.recipe.currentData(),
            cpu_budget_minutes=self.budget.value(), max_steps=self.max_steps.value() or None,
            threads=self.context.settings.threads, skeleton_gan=self.skeleton_gan, resume=resume,
        )
        return CalligrapherJob(request, self.import_dir, review, size, rebuild), resume

    def start_finetune(self) -> bool:
        if self.job is not None:
            return False
        try:
            job, resume = self.make_job()
            self._running_recipe = job.request.recipe  # the Done page names what ran, not what the combo shows then
        except SeganError as exc:
            self.context.report(self, exc, "Cannot start fine-tuning")
            return False
        if resume and not confirm_replace(
            self, "Continue the run?", f"{run_folder(job.request.name)} holds an earlier fine-tuning run of "
            f"{job.request.name}. Continue it (its steps count towards the budget)?"
        ):
            return False
        style = user_model_path(job.request.name)
        if not resume and style.exists() and any(style.iterdir()) and not confirm_replace(
            self, "Replace the style?", f"A style named {style.name} exists ({style}). Replace it with this "
            "fine-tune when it ends?"
        ):
            return False
        self.context.settings.set_path("calligrapher_name", job.request.name)
        if not resume:
            self.plot.clear()
        self.result = None
        self.progress.starting()
        self.status.setText(starting_text(job, resume))
        self._start("finetune", finetune_import, job, on_progress=self._finetune_progress,
                    on_finished=self._finetuned, on_cancelled=self._finetune_stopped, title="Fine-tuning failed")
        return True

    def stop_finetune(self) -> None:
        if self.job is not None and self.job.name == "finetune":
            self.job.cancel()
            self.status.setText("Stopping after the current step (a checkpoint is saved)…")

    def _finetune_progress(self, event: Progress) -> None:
        """Every stage says what it does: the review's rebuild, the data, loading, warm-up, steps, selection."""
        if event.stage == "train":
            self.step = event.done
        elif event.stage == "samples" and isinstance(event.payload, dict):
            self.last_samples = event.payload
        text = self.monitor.follow(event, self.progress)
        if text is not None:
            self.status.setText(text)

    def show_samples(self, payload: dict) -> None:
        self.last_samples = payload
        self.monitor.show_samples(payload)

    def _finetuned(self, result: FinetuneResult) -> None:
        self.result = result
        scores = ", ".join(f"{k} {result.dev_scores[k]:.3f}" for k in SHOWN_SCORES if k in result.dev_scores)
        self.status.setText(f"Done: {result.steps} steps, {result.cpu_minutes:.1f} CPU minutes; snapshot "
                            f"{result.snapshot} chosen on the dev characters")
        self.progress.finish(done=True)
        recipe = recipe_label(getattr(self, "_running_recipe", None) or DEFAULT_RECIPE).lower()
        self.done_summary.setText(done_summary(result, self.base.currentText(), f"“{recipe}”", scores))
        if self.last_samples is not None:
            strip = QPixmap.fromImage(to_qimage(sample_strip(self.last_samples)))
            self.done_samples.setPixmap(strip.scaledToHeight(150, Qt.TransformationMode.FastTransformation))
        self.context.refresh_styles()
        self.context.model_trained.emit(f"dir:{Path(result.out).resolve()}")
        self.done_preview.setText("Drawing a preview…")
        self._start("preview", preview_strip, Path(result.out), PREVIEW_TEXT, self.context.settings.device,
                    on_finished=self._show_preview, title="Cannot draw the preview")
        self.go_to(DONE)
        self.finished.emit(result)

    def _show_preview(self, strip: np.ndarray) -> None:
        pixmap = QPixmap.fromImage(to_qimage(strip))
        self.done_preview.setPixmap(pixmap.scaledToHeight(96, Qt.TransformationMode.SmoothTransformation))

    def _finetune_stopped(self) -> None:
        self.progress.finish(done=False)
        self.status.setText("Stopped; a checkpoint was kept: Start continues the run")
        self.stopped.emit()

    # -- 5 done ----------------------------------------------------------------------------------------------------

    def _open_in_generate(self) -> None:
        if self.result is not None:
            self.generate_requested.emit(f"dir:{Path(self.result.out).resolve()}")

    def _export(self) -> None:
        if self.result is not None:
            self.export_requested.emit(str(Path(self.result.out).resolve()))

    # -- drag and drop --------------------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if any(u.isLocalFile() and Path(u.toLocalFile()).suffix.lower() in (*SCAN_SUFFIXES, ".json") for u in urls):
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            self.add_pages(paths)
            self.go_to(SCANS)
            event.acceptProposedAction()


def done_summary(result: FinetuneResult, base: str, recipe: str, scores: str) -> str:
    """The Done page's words: the verdict first, then how the style was made; a draft is not advertised."""
    name = Path(result.out).name
    made = (f"<p>Fitted from {base} with the {recipe} recipe: {result.steps} steps, {result.cpu_minutes:.1f} CPU "
            f"minutes; snapshot <b>{result.snapshot}</b> chosen on the calligrapher's dev characters"
            f"{' (' + scores + ')' if scores else ''}.</p>")
    verdict = result.verdict
    if verdict is not None and not verdict.usable:
        return (f"<h3>{name} is a draft</h3><p>It {verdict.text}.</p>{made}"
                f"<p>The draft is kept in <code>{result.out}</code> and marked as a draft in the style picker; it is "
                "not offered for export.</p>")
    said = f"<p>It {verdict.text}.</p>" if verdict is not None else ""
    return (f"<h3>New style {name}</h3>{said}{made}"
            f"<p>The style is in <code>{result.out}</code>, listed in the style picker (Generate), in Batch & export "
            f"and in <code>segan styles list</code>; the glyphs written by hand go into its fonts as they are.</p>")
