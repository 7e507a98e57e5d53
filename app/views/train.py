"""The Train view: a folder of per-character images -> a dataset -> a new style model.

Its first tab is the "new calligrapher" flow (``app/views/calligrapher/``, a module a page: template, scans, review,
fine-tune); this module is the second, training from a folder of images.

The configs come from the core's ``segan_core.training.run_configs.resolve_run_configs`` (the rule the
CLI uses too); the job is the core's ``segan_core.training.from_images.train_from_images`` (dataset
build, then training), run in a worker; losses and sample previews arrive as
:class:`~segan_core.jobs.Progress` events.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.context import AppContext
from app.settings import datasets_dir, user_models_dir
from app.views.calligrapher import CalligrapherFlow
from app.widgets.field_row import field_row
from app.widgets.training_monitor import RunProgress, TrainingMonitor, training_page
from segan_core.config import ModelConfig, TrainConfig
from segan_core.data.store import DATASET
from segan_core.errors import CheckpointError, InputFileError, SeganError
from segan_core.jobs import Progress
from segan_core.model.checkpoint import STATE_JSON
from segan_core.model_folder import ModelFolder
from segan_core.outputs import check_output_dir
from segan_core.resources import find_model
from segan_core.styles import StyleRef, parse_style_ref
from segan_core.training.engine import TRAINING_RUN, TrainResult
from segan_core.training.from_images import ImagesTrainRequest, train_from_images
from segan_core.training.presets import default_preset, presets_for_skeleton_gan
from segan_core.training.run_configs import resolve_run_configs
from segan_core.userdata import safe_name


def _preset_key(name: str) -> str:
    return StyleRef("preset", name).key


def default_skeleton_gan() -> Path | None:
    return find_model("skeleton-gan")


class TrainView(QWidget):
    finished = Signal(object)  # TrainResult
    stopped = Signal()

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.context = context
        self.job = None
        self.result: TrainResult | None = None
        folder_page = self._folder_page()
        self.calligrapher = CalligrapherFlow(context)
        self.modes = QTabWidget()
        self.modes.addTab(self.calligrapher, "New calligrapher (template → scans → fine-tune)")
        self.modes.addTab(folder_page, "From a folder of images")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(self.modes)
        self.name.textChanged.connect(self._update_buttons)
        self._update_buttons()

    # -- building the "From a folder of images" page ----------------------------------------------------

    def _folder_page(self) -> QWidget:
        """The run's settings, Start / Stop / Resume with the progress, the status and the training monitor."""
        settings_box = self._settings_box()
        buttons = self._run_row()
        splitter = TrainingMonitor("Sample previews appear here during training (rows: source, target, generated)")
        self.plot, self.samples = splitter.plot, splitter.samples
        self.monitor = splitter
        return training_page(settings_box, buttons, self.status, splitter)

    def _settings_box(self) -> QGroupBox:
        """Base configuration, name, images, skeleton GAN (the last values) and the budget."""
        settings = self.context.settings
        self.skeleton = QLineEdit(settings.path("skeleton_gan", str(default_skeleton_gan() or "")))
        self.skeleton.setPlaceholderText("skeleton GAN checkpoint folder")
        self.base = QComboBox()
        self._fill_bases()
        self.context.styles_changed.connect(self._fill_bases)
        self.skeleton.textChanged.connect(self._fill_bases)  # the presets follow the skeleton GAN's size
        self.name = QLineEdit(settings.path("train_name", "my-style"))
        self.images = QLineEdit(settings.path("train_images"))
        self.images.setPlaceholderText("folder of <char>.png images (drop a folder here)")
        browse_images = QPushButton("Browse…")
        browse_images.clicked.connect(self._browse_images)
        browse_skeleton = QPushButton("Browse…")
        browse_skeleton.clicked.connect(self._browse_skeleton)
        form = QFormLayout()
        form.addRow("Base configuration", self.base)
        form.addRow("New style name", self.name)
        form.addRow("Training images", field_row(self.images, browse_images))
        form.addRow("Skeleton GAN", field_row(self.skeleton, browse_skeleton))
        form.addRow("Budget", self._budget_row())
        box = QGroupBox("Training run")
        box.setLayout(form)
        return box

    def _budget_row(self) -> QHBoxLayout:
        """Train for a number of steps or for a number of minutes (steps by default)."""
        self.by_steps = QRadioButton("Steps (in total)")
        self.by_minutes = QRadioButton("Minutes")
        self.by_steps.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_steps)
        group.addButton(self.by_minutes)
        self.steps = QSpinBox()
        self.steps.setRange(1, 10_000_000)
        self.steps.setValue(2000)
        self.minutes = QDoubleSpinBox()
        self.minutes.setRange(0.1, 100_000)
        self.minutes.setValue(30)
        budget = QHBoxLayout()
        budget.addWidget(self.by_steps)
        budget.addWidget(self.steps)
        budget.addSpacing(12)
        budget.addWidget(self.by_minutes)
        budget.addWidget(self.minutes)
        budget.addStretch(1)
        return budget

    def _run_row(self) -> QHBoxLayout:
        """Start / Stop / Resume and the progress bar (the status line goes under the row)."""
        self.start_button = QPushButton("Start")
        self.stop_button = QPushButton("Stop")
        self.resume_button = QPushButton("Resume")
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.stop_button.clicked.connect(self.stop)
        self.progress = RunProgress()
        self.status = QLabel("Idle")
        self.status.setWordWrap(True)
        buttons = QHBoxLayout()
        for button in (self.start_button, self.stop_button, self.resume_button):
            buttons.addWidget(button)
        buttons.addWidget(self.progress, 1)
        return buttons

    def _fill_bases(self) -> None:
        current = self.base.currentData()
        self.base.clear()
        for name in presets_for_skeleton_gan(self.skeleton.text().strip() or None):  # only what can start
            label = f"{name} preset" + (" (default here)" if name == default_preset() else "")
            self.base.addItem(label, _preset_key(name))
        for entry in self.context.entries:
            if entry.available:
                self.base.addItem(f"fine-tune {entry.name}", str(entry.model_dir))
        index = self.base.findData(current) if current else self.base.findData(_preset_key(default_preset()))
        self.base.setCurrentIndex(max(0, index))

    def _browse_images(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of per-character images", self.images.text())
        if folder:
            self.images.setText(folder)

    def _browse_skeleton(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Skeleton GAN folder", self.skeleton.text())
        if folder:
            self.skeleton.setText(folder)

    # -- paths ------------------------------------------------------------------------------------

    def out_dir(self) -> Path:
        return user_models_dir() / safe_name(self.name.text())

    def dataset_dir(self) -> Path:
        return datasets_dir() / safe_name(self.name.text())

    def can_resume(self) -> bool:
        return bool(safe_name(self.name.text())) and (self.out_dir() / STATE_JSON).is_file()

    def _update_buttons(self) -> None:
        running = self.job is not None
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running and self.can_resume())
        self.stop_button.setEnabled(running)

    # -- configs ----------------------------------------------------------------------------------

    def base_ref(self) -> StyleRef:
        """The chosen starting point: ``preset:NAME`` or a trained style's folder."""
        return parse_style_ref(self.base.currentData() or _preset_key(default_preset()))

    def configs(self, resume: bool) -> tuple[ModelConfig, TrainConfig]:
        ref = self.base_ref()
        configs = resolve_run_configs(
            "segan", self.out_dir(), resume=resume,
            preset=ref.value if ref.kind == "preset" else None,
            base=ref.path if ref.kind == "dir" else None,
            always={"num_threads": self.context.settings.threads},
        )
        assert isinstance(configs.model, ModelConfig)  # an SE-GAN run
        return configs.model, configs.train

    def make_request(self, resume: bool) -> ImagesTrainRequest:
        if not safe_name(self.name.text()):
            raise SeganError("give the new style a name (letters, digits, - or _)")
        raw = self.images.text().strip()
        images = Path(raw).expanduser()
        if not raw or not images.is_dir():
            raise InputFileError(f"training image folder not found: {images if raw else '(none chosen)'}")
        skeleton = Path(self.skeleton.text().strip()).expanduser()
        if not self.skeleton.text().strip() or not ModelFolder(skeleton).has_config:
            raise CheckpointError(
                "no skeleton GAN checkpoint: pick its folder (train one with `segan train skeleton`)"
                if not self.skeleton.text().strip() else f"not a skeleton GAN folder: {skeleton}"
            )
        out = self.out_dir()
        if not resume and (out / STATE_JSON).is_file():
            raise CheckpointError(f"{out} already holds a training run: press Resume to continue it, "
                                  "or choose another name")
        if not resume:  # the same rule as the CLI: a folder holding something else is not used
            check_output_dir(out, TRAINING_RUN)
            check_output_dir(self.dataset_dir(), DATASET)
        model, train = self.configs(resume)
        minutes = self.minutes.value() if self.by_minutes.isChecked() else None
        steps = self.steps.value() if self.by_steps.isChecked() else None
        base = self.base_ref()
        init_from = base.path if not resume and base.kind == "dir" else None
        return ImagesTrainRequest(images, skeleton, out, self.dataset_dir(), model, train, steps, minutes, resume,
                            self.context.settings.device, init_from)

    # -- run ----------------------------------------------------------------------------------------

    def start(self, resume: bool = False) -> bool:
        if self.job is not None:
            return False
        try:
            request = self.make_request(resume)
        except SeganError as exc:
            self.context.report(self, exc, "Cannot start training")
            return False
        settings = self.context.settings
        settings.set_path("train_name", self.name.text())
        settings.set_path("train_images", str(request.images))
        settings.set_path("skeleton_gan", str(request.skeleton_gan))
        if not resume:
            self.plot.clear()
        self.result = None
        self.progress.starting()
        self.status.setText("Resuming: loading the run…" if resume else "Starting: reading the images…")
        self.job = self.context.runner.start(
            "train", train_from_images, request,
            on_progress=self._on_progress, on_finished=self._on_finished,
            on_failed=self._on_failed, on_cancelled=self._on_cancelled, on_done=self._on_done,
        )
        self._update_buttons()
        return True

    def stop(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Stopping after the current step (a checkpoint is saved)…")

    def _on_progress(self, event: Progress) -> None:
        """Every stage says what it does (the dataset, loading, warm-up, steps); the bar is the run's share."""
        text = self.monitor.follow(event, self.progress)
        if text is not None:
            self.status.setText(text)

    def show_samples(self, payload: dict) -> None:
        self.monitor.show_samples(payload)

    def _on_finished(self, result: TrainResult) -> None:
        self.result = result
        self.progress.finish(done=True)
        self.status.setText(f"Done ({result.reason}): step {result.step}, {result.seconds / 60:.1f} min; "
                            f"the style is in {result.out} and in the style picker")
        self.context.refresh_styles()
        self.context.model_trained.emit(f"dir:{Path(result.out).resolve()}")
        self.finished.emit(result)

    def _on_failed(self, error: BaseException) -> None:
        self.progress.finish(done=False)
        self.status.setText("Training failed")
        self.context.report(self, error, "Training failed")

    def _on_cancelled(self) -> None:
        self.progress.finish(done=False)
        self.status.setText("Stopped; a checkpoint was saved: press Resume to continue")
        self.context.refresh_styles()
        self.stopped.emit()

    def _on_done(self) -> None:
        self.job = None
        self._update_buttons()

    # -- drag and drop --------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).is_dir():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls:
            self.modes.setCurrentIndex(1)
            self.images.setText(urls[0].toLocalFile())
            event.acceptProposedAction()
