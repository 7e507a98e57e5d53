"""Step 5, Done: the new style's verdict and how it was made, :data:`PREVIEW_TEXT` drawn by it, its last training
samples; jump to Generate or Batch & export with it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.imaging import to_qimage
from app.views.calligrapher.base import DONE, FlowBase
from app.widgets.training_monitor import sample_strip
from segan_core.calligrapher import PREVIEW_TEXT, preview_strip
from segan_core.finetune import DEFAULT_RECIPE, FinetuneResult
from segan_core.plain_names import recipe_label

SHOWN_SCORES = ("iou", "content_accuracy")


def done_summary(result: FinetuneResult, base: str, recipe: str, scores: str) -> str:
    """The Done page's words: the verdict first, then how the style was made; a draft is not advertised."""
    name = Path(result.out).name
    made = (f"<p>Fitted from {base} with the {recipe} recipe: {result.steps} steps, {result.cpu_minutes:.1f} CPU "
            f"minutes; snapshot <b>{result.snapshot}</b> chosen on the calligrapher's dev characters"
            f"{' (' + scores + ')' if scores else ''}.</p>")
    if result.ink is not None:
        made += f"<p>Stroke weight: {result.ink.describe()}.</p>"
    verdict = result.verdict
    if verdict is not None and not verdict.usable:
        return (f"<h3>{name} is a draft</h3><p>It {verdict.text}.</p>{made}"
                f"<p>The draft is kept in <code>{result.out}</code> and marked as a draft in the style picker; it is "
                "not offered for export.</p>")
    said = f"<p>It {verdict.text}.</p>" if verdict is not None else ""
    return (f"<h3>New style {name}</h3>{said}{made}"
            f"<p>The style is in <code>{result.out}</code>, listed in the style picker (Generate), in Batch & export "
            f"and in <code>segan styles list</code>; the glyphs written by hand go into its fonts as they are.</p>")


class DonePage(FlowBase):
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

    def _show_done(self, result: FinetuneResult) -> None:
        """The fine-tune ended with a style: say so, list it everywhere, draw the preview, go to this page."""
        scores = ", ".join(f"{k} {result.dev_scores[k]:.3f}" for k in SHOWN_SCORES if k in result.dev_scores)
        recipe = recipe_label(self._running_recipe or DEFAULT_RECIPE).lower()
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

    def _open_in_generate(self) -> None:
        if self.result is not None:
            self.generate_requested.emit(f"dir:{Path(self.result.out).resolve()}")

    def _export(self) -> None:
        if self.result is not None:
            self.export_requested.emit(str(Path(self.result.out).resolve()))
