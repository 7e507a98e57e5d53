"""Step 4, Fine-tune: a base style, a recipe and a budget -> ``plan_finetune`` / ``finetune_import`` (the review
applied first when the dataset is stale; an earlier stopped run continued), with live losses and samples; Stop
cancels and keeps a checkpoint."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.views.calligrapher.base import FlowBase
from app.widgets.training_monitor import RunProgress, TrainingMonitor, training_page
from segan_core.calligrapher import CalligrapherJob, default_base, finetune_import, plan_finetune, run_folder
from segan_core.data.store import read_manifest
from segan_core.errors import SeganError
from segan_core.finetune import DEFAULT_CPU_BUDGET, DEFAULT_RECIPE, RECIPES, FinetuneResult, recipes_for
from segan_core.jobs import Progress
from segan_core.model.checkpoint import read_config
from segan_core.plain_names import recipe_label, recipe_term
from segan_core.scans.importer import DATASET_DIR
from segan_core.styles import bundled_bases
from segan_core.userdata import safe_name, user_model_path


def starting_text(job: CalligrapherJob, resume: bool) -> str:
    """The status line before the job's first report: what it does first."""
    if job.rebuild:
        return "Starting: applying the review and rebuilding the dataset…"
    return (f"Resuming the run of {job.request.name}: preparing the training data…" if resume
            else "Starting: preparing the training data…")


class FinetunePage(FlowBase):
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
        self.budget.setValue(DEFAULT_CPU_BUDGET)
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

    def _fill_bases(self) -> None:
        """The bundled bases, then the styles with an SE-GAN model, to start from; the one chosen before, else the
        core's default base."""
        if not hasattr(self, "base"):
            return
        current = self.base.currentData()
        self.base.clear()
        for label, folder in bundled_bases():  # a base that has seen many hands: where a new hand starts best
            self.base.addItem(label, str(folder))
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
            index = self._default_base_index()
        self.base.setCurrentIndex(max(0, index))

    def _default_base_index(self) -> int:
        default = default_base()
        if default is None:
            return 0
        folders = [Path(self.base.itemData(i)).resolve() for i in range(self.base.count())]
        return folders.index(default.resolve()) if default.resolve() in folders else 0

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
        dataset = self.import_dir / DATASET_DIR
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

    def make_job(self) -> CalligrapherJob:
        """The fine-tune job for the current settings (the core decides whether it rebuilds and resumes)."""
        name = self.name.text().strip()
        if not safe_name(name):
            raise SeganError("give the calligrapher a name (letters, digits, - or _)")
        if self.import_dir is None:
            raise SeganError("import the calligrapher's scans first (step 2)")
        base = self.base.currentData()
        if not base:
            raise SeganError("no base style with a trained SE-GAN model to start from")
        return plan_finetune(
            self.import_dir, self.history.current, base, name, recipe=self.recipe.currentData(),
            cpu_budget_minutes=self.budget.value(), max_steps=self.max_steps.value() or None,
            threads=self.context.settings.threads, skeleton_gan=self.skeleton_gan,
        )

    def start_finetune(self) -> bool:
        if self.job is not None:
            return False
        try:
            job = self.make_job()
        except SeganError as exc:
            self.context.report(self, exc, "Cannot start fine-tuning")
            return False
        if not self._may_start(job):
            return False
        self._running_recipe = job.request.recipe
        self.context.settings.set_path("calligrapher_name", job.request.name)
        if not job.resume:
            self.plot.clear()
        self.result = None
        self.progress.starting()
        self.status.setText(starting_text(job, job.resume))
        self._start("finetune", finetune_import, job, on_progress=self._finetune_progress,
                    on_finished=self._finetuned, on_cancelled=self._finetune_stopped, title="Fine-tuning failed")
        return True

    def _may_start(self, job: CalligrapherJob) -> bool:
        """The user agrees to continue an earlier run, or to replace a style of the same name when it ends."""
        name = job.request.name
        if job.resume:
            return self.confirm("Continue the run?", f"{run_folder(name)} holds an earlier fine-tuning run of {name}. "
                                "Continue it (its steps count towards the budget)?")
        style = user_model_path(name)
        return not (style.exists() and any(style.iterdir())) or self.confirm(
            "Replace the style?", f"A style named {style.name} exists ({style}). Replace it with this fine-tune when "
            "it ends?"
        )

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
        self.status.setText(f"Done: {result.steps} steps, {result.cpu_minutes:.1f} CPU minutes; snapshot "
                            f"{result.snapshot} chosen on the dev characters")
        self.progress.finish(done=True)
        self._show_done(result)

    def _finetune_stopped(self) -> None:
        self.progress.finish(done=False)
        self.status.setText("Stopped; a checkpoint was kept: Start continues the run")
        self.stopped.emit()
