"""Live losses above a strip of sample glyphs: what a running training shows, in the Train view and the
new-calligrapher flow alike.

Both views show a run's progress through :class:`RunProgress` and :meth:`TrainingMonitor.follow`: the bar holds
the share of the run done and says it in the run's own words (``segan_core.jobs.step_text``: "step 10 of 30", or
"step 10 · 33 % of 15 CPU min" for a budgeted run), and the status line says what the run is doing at every
stage, the minutes before the first step included.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QBoxLayout, QLabel, QProgressBar, QSplitter, QVBoxLayout, QWidget

from app.imaging import paper_rgb, to_qimage
from app.widgets.loss_plot import LossPlot
from segan_core.jobs import Progress, format_duration, format_eta, step_text
from segan_core.plain_names import metric_name

# what each stage before and after the training steps is, in words
STAGE_WORDS = {
    "dataset": "Preparing the training data", "render": "Building the dataset: drawing the glyphs",
    "write": "Writing", "review": "Applying the review", "load": "Getting ready", "train": "Training",
    "start": "Finding the base's hand closest to yours",
    "evaluate": "Choosing the best snapshot", "generate": "Drawing the dev characters", "ocr": "Reading them (OCR)",
    "paired": "Scoring them", "score": "Scoring", "check": "Checking", "done": "Done",
}
SHOWN_LOSSES = ("g_total", "pixel", "l1", "loss")  # the status line names these first


class RunProgress(QProgressBar):
    """A training run's progress bar: 0..1000 of the run (so a CPU budget's share fits), in the run's own words."""

    SCALE = 1000

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(0, self.SCALE)
        self.setValue(0)
        self.setFormat("")

    def starting(self) -> None:
        """Moving, with no share known yet (the status line says what is being done)."""
        self.setRange(0, 0)

    def show_event(self, event: Progress) -> None:
        """A ``train`` event: its share of the run, and its step and budget in words."""
        fraction = event.fraction
        if fraction is None:
            self.starting()
            return
        self.setRange(0, self.SCALE)
        self.setValue(round(self.SCALE * fraction))
        self.setFormat(step_text(event))

    def finish(self, done: bool) -> None:
        """The run ended: full when it finished, left where it stopped otherwise."""
        if self.maximum() == 0:
            self.setRange(0, self.SCALE)
        if done:
            self.setValue(self.SCALE)


def losses_text(losses: dict[str, float], count: int = 2) -> str:
    """A few losses by their plain names (the plot shows them all)."""
    names = [n for n in SHOWN_LOSSES if n in losses] + [n for n in losses if n not in SHOWN_LOSSES and n != "img/s"]
    return ", ".join(f"{metric_name(n)} {losses[n]:.3g}" for n in names[:count])


def train_status(event: Progress, losses: dict[str, float]) -> str:
    """A training step in words: the step and budget, time spent and left, what comes next, the latest losses."""
    steps = step_text(event)
    parts = [steps[:1].upper() + steps[1:], f"{format_duration(event.elapsed_s)} elapsed",
             f"ETA {format_eta(event.eta_s)}"]
    if event.message:
        parts.append(event.message)
    if losses:
        parts.append(losses_text(losses))
    return " · ".join(parts)


def stage_status(event: Progress) -> str:
    """Any other stage in words, with its count: "Getting ready (1/3): loading the skeleton GAN…"."""
    words = STAGE_WORDS.get(event.stage, event.stage.capitalize())
    count = f" ({event.done}/{event.total})" if event.total else ""
    return f"{words}{count}" + (f": {event.message}…" if event.message else "…")


class TrainingMonitor(QSplitter):
    """The loss plot (``plot``) over the latest samples (``samples``: rows source, target, generated)."""

    def __init__(self, hint: str, max_strip_height: int = 240, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.max_strip_height = max_strip_height
        self.last_samples: dict | None = None
        self.plot = LossPlot()
        self.samples = QLabel(hint)
        self.samples.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.samples.setMinimumHeight(110)
        self.samples.setStyleSheet("background: white;")
        self.addWidget(self.plot)
        self.addWidget(self.samples)
        self.setStretchFactor(0, 3)
        self.setStretchFactor(1, 1)

    def follow(self, event: Progress, bar: RunProgress) -> str | None:
        """Take one event of a run (losses, samples, progress); the status line it calls for (None: keep it)."""
        if event.stage == "train":
            bar.show_event(event)
            if event.metrics:
                self.plot.add(event.done, event.metrics)
            return train_status(event, event.metrics or self.plot.latest())  # between logs: the last losses
        if event.stage == "samples" and isinstance(event.payload, dict):
            self.show_samples(event.payload)
            return None
        if event.stage == "checkpoint":
            return f"Checkpoint saved at step {event.done}"
        return stage_status(event)

    def show_samples(self, payload: dict) -> None:
        """Draw a ``samples`` progress payload (``source``, ``target``, ``generated`` arrays) as one strip."""
        self.last_samples = payload
        pixmap = QPixmap.fromImage(to_qimage(sample_strip(payload)))
        height = max(96, min(self.max_strip_height, self.samples.height() - 8))
        self.samples.setPixmap(pixmap.scaledToHeight(height, Qt.TransformationMode.FastTransformation))


def training_page(settings: QWidget, buttons: QBoxLayout, status: QWidget, monitor: TrainingMonitor) -> QWidget:
    """A training page as both training views lay it out: settings, the run buttons, status, then the monitor."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.addWidget(settings)
    layout.addLayout(buttons)
    layout.addWidget(status)
    layout.addWidget(monitor, 1)
    return page


def sample_strip(payload: dict) -> np.ndarray:
    """Rows source / target / generated of the preview characters, as one RGB picture."""
    rows = []
    for key in ("source", "target", "generated"):
        images = payload.get(key)
        if images is None or len(images) == 0:
            continue
        tiles = [np.pad(paper_rgb(img), ((1, 1), (1, 1), (0, 0)), constant_values=210) for img in images]
        rows.append(np.concatenate(tiles, axis=1))
    if not rows:
        return np.full((8, 8, 3), 255, np.uint8)
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)), constant_values=255) for r in rows]
    return np.concatenate(rows, axis=0)
