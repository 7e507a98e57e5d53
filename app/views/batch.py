"""The Batch & export view: a whole charset -> TTF / OTF / WOFF2 / UFO, with progress, cancel and resume.

The job is ``segan_core.batch`` (generate -> trace -> build, cached and resumable); this view only
collects the request, runs it in a worker, and shows the report: a preview of the new font (loaded
with ``QFontDatabase.addApplicationFont``) and the glyphs the quality gate flagged.
"""

from __future__ import annotations

import dataclasses
import itertools
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import batch_api
from app.context import AppContext
from app.replace import confirm_replace
from app.widgets.field_row import field_row
from app.widgets.font_grid import FontGridDialog
from app.widgets.layout_boxes import LayoutBoxes
from segan_core.batch import replaced_maker
from segan_core.batch_report import check_batch_outputs
from segan_core.charset import ParsedText, load_charset, text_charset
from segan_core.errors import InputFileError, OutputError, SeganError
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.fontbuild.naming import DEFAULT_VENDOR_ID
from segan_core.glyphs.render import FontRenderer
from segan_core.jobs import Progress, StagePace, format_duration, format_eta
from segan_core.style_source import style_origin
from segan_core.styles import StyleRef

if TYPE_CHECKING:
    import numpy as np

CHARSETS = (("gb2312", "GB2312 (6,763 Hanzi)"), ("gb2312-1", "GB2312 level 1 (3,755)"),
            ("text", "Custom text"), ("file", "Text file"))
FONT_CHOICE = StyleRef("font", "").key
NAME_FIELDS = (
    ("family_zh", "Chinese family name", "Simplified Chinese family name (zh-CN name records beside the English ones)"),
    ("designer", "Designer", "the designer's name (name ID 9)"),
    ("designer_url", "Designer URL", "name ID 12"),
    ("vendor_id", "Vendor ID", f"OS/2 vendor ID: 4 printable ASCII characters; {DEFAULT_VENDOR_ID} = no vendor"),
    ("copyright", "Copyright", "empty: a line saying what made the glyphs"),
    ("licence", "Licence", "licence text; the Arphic licence of the fallback glyphs is always appended"),
    ("licence_url", "Licence URL", "empty with fallback glyphs: the Arphic Public License"),
    ("description", "Description", "the style, model and Segan Studio version are always appended"),
)
SAMPLE_TEXT = "永字八法 天地玄黄 宇宙洪荒 日月盈昃 辰宿列张"
LEGACY_FAMILY = "Segan Brush"  # the family every export got before it came from the style: still replaced
FLAGGED_ICON = 72  # px: a flagged glyph in the quality-gate list, large enough to judge by eye
_snapshots = itertools.count()


def _name_edit(key: str, tip: str) -> QLineEdit | QPlainTextEdit:
    """The edit for one name field: a text box for the long ones (licence, description), a line otherwise."""
    edit: QLineEdit | QPlainTextEdit
    if key in ("licence", "description"):
        edit = QPlainTextEdit()
        edit.setMaximumHeight(48)
    else:
        edit = QLineEdit()
    edit.setToolTip(tip)  # no length cut (a vendor ID of 5 is refused at Start with the CLI's message, not truncated)
    return edit


def _edit_text(edit: QLineEdit | QPlainTextEdit) -> str:
    return edit.toPlainText() if isinstance(edit, QPlainTextEdit) else edit.text()


def _set_edit_text(edit: QLineEdit | QPlainTextEdit, value: str) -> None:
    if isinstance(edit, QPlainTextEdit):
        edit.setPlainText(value)
    else:
        edit.setText(value)


class BatchView(QWidget):
    finished = Signal(object)  # the batch report
    stopped = Signal()

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.context = context
        self.job = None
        self.report = None
        self.font_family: str | None = None
        self.preview_path: Path | None = None  # the snapshot of the exported font the preview is drawn from
        self._font_ids: list[int] = []
        self._preview_dir = tempfile.TemporaryDirectory(prefix="segan-preview-")  # removed when the view is freed
        self._style_names: dict[str, str] = {}  # combo data (the style's reference) -> the style's name
        self._auto_family = ""  # the family name last filled in from the style (replaced when the style changes)
        self._last_request = None
        self._pace = StagePace()  # the time a stage still needs, at the pace of this run's real work
        layout = QVBoxLayout(self)
        layout.addWidget(self._request_box())
        layout.addLayout(self._run_row())
        layout.addWidget(self.status)
        layout.addWidget(self._results(), 1)
        self._restore_settings()
        self._update_buttons()

    # -- building the form: the request -------------------------------------------------------------

    def _request_box(self) -> QGroupBox:
        """The "Export" group: every option of the request, one builder per concept."""
        self._build_style_picker()
        self._build_charset_picker()
        self._build_quality_gate()
        form = QFormLayout()
        form.addRow("Style", self.style)
        form.addRow("Font file", self.font_row)
        form.addRow("Characters", self.charset)
        form.addRow("", self.charset_stack)
        form.addRow("Family name", self._family_row())
        form.addRow("Formats", self._format_choice())
        form.addRow("Font names", self._names_box())
        form.addRow("", self.quality_gate)
        form.addRow("Layout", self._layout_row())
        form.addRow("Output folder", self._output_folder())
        box = QGroupBox("Export")
        box.setLayout(form)
        return box

    def _build_style_picker(self) -> None:
        """The style combo (every available model, then "Real font") and the font file row it enables."""
        self.style = QComboBox()
        self.style.currentIndexChanged.connect(self._style_changed)
        self.font_path = QLineEdit()
        self.font_path.setPlaceholderText("a real font to re-export through the pipeline")
        browse_font = QPushButton("Browse…")
        browse_font.clicked.connect(self._browse_font)
        self.font_row = field_row(self.font_path, browse_font)
        self.font_path.textChanged.connect(self._default_family)
        self._fill_styles()
        self.context.styles_changed.connect(self._fill_styles)

    def _build_charset_picker(self) -> None:
        """The charset combo and, stacked under it, the custom text box or the text file row."""
        self.charset = QComboBox()
        for key, label in CHARSETS:
            self.charset.addItem(label, key)
        self.charset_text = QPlainTextEdit()
        self.charset_text.setPlaceholderText("Type or paste the characters to export")
        self.charset_text.setMaximumHeight(60)
        self.charset_file = QLineEdit()
        self.charset_file.setPlaceholderText("UTF-8 text file with the characters")
        browse_charset = QPushButton("Browse…")
        browse_charset.clicked.connect(self._browse_charset)
        self.charset_stack = QStackedWidget()
        self.charset_stack.addWidget(QLabel(""))
        self.charset_stack.addWidget(self.charset_text)
        self.charset_stack.addWidget(field_row(self.charset_file, browse_charset))
        self.charset_stack.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.charset_stack.setMaximumHeight(64)
        self.charset.currentIndexChanged.connect(self._charset_changed)
        self._charset_changed()

    def _family_row(self) -> QHBoxLayout:
        """The family name and the version, side by side."""
        self.family = QLineEdit()
        self.version = QLineEdit("1.000")
        row = QHBoxLayout()
        row.addWidget(self.family, 3)
        row.addWidget(QLabel("Version"))
        row.addWidget(self.version, 1)
        return row

    def _format_choice(self) -> QHBoxLayout:
        """One check box per output format; TTF and WOFF2 are on by default."""
        self.formats = {name: QCheckBox(name.upper()) for name in ("ttf", "otf", "woff2", "ufo")}
        self.formats["ufo"].setToolTip("an editable UFO source (same glyphs, names and features) for a font editor; "
                                       "fontmake or ufo2ft compile it back")
        self.formats["ttf"].setChecked(True)
        self.formats["woff2"].setChecked(True)
        row = QHBoxLayout()
        for box in self.formats.values():
            row.addWidget(box)
        row.addStretch(1)
        return row

    def _build_quality_gate(self) -> None:
        """The OCR quality gate: on when the recognizer's weights are installed, greyed out when not."""
        self.quality_gate = QCheckBox("Quality gate: flag glyphs an OCR recognizer cannot read")
        gate_ok = batch_api.quality_gate_available()
        self.quality_gate.setChecked(gate_ok)
        self.quality_gate.setEnabled(gate_ok)
        if not gate_ok:
            self.quality_gate.setToolTip("needs the PP-OCR recognizer weights (rapidocr-onnxruntime)")

    def _layout_row(self) -> LayoutBoxes:
        """The font-wide size, baseline and spacing of the Hanzi (as built; "Glyphs of the font…" tries them live)."""
        self.layout_boxes = LayoutBoxes()
        return self.layout_boxes

    def glyph_layout(self) -> GlyphLayout:
        return self.layout_boxes.value()

    def set_glyph_layout(self, layout: GlyphLayout) -> None:
        self.layout_boxes.set_value(layout)

    def _output_folder(self) -> QWidget:
        self.out = QLineEdit()
        browse_out = QPushButton("Browse…")
        browse_out.clicked.connect(self._browse_out)
        return field_row(self.out, browse_out)

    def _names_box(self) -> QWidget:
        """The name fields (designer, vendor ID, licence, Chinese family name ...) behind a "show" check box."""
        self.names: dict[str, QLineEdit | QPlainTextEdit] = {}
        box = QWidget()
        grid = QFormLayout(box)
        grid.setContentsMargins(0, 0, 0, 0)
        for key, label, tip in NAME_FIELDS:
            self.names[key] = _name_edit(key, tip)
            grid.addRow(label, self.names[key])
        toggle = QCheckBox("Show the name fields (designer, vendor ID, licence, Chinese name …)")
        toggle.toggled.connect(box.setVisible)
        box.setVisible(False)
        holder = QWidget()
        layout = QVBoxLayout(holder)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(toggle)
        layout.addWidget(box)
        self.names_toggle = toggle
        return holder

    def name_values(self) -> dict[str, str]:
        return {key: _edit_text(edit) for key, edit in self.names.items()}

    # -- building the form: running and results -----------------------------------------------------

    def _run_row(self) -> QHBoxLayout:
        """Start / Cancel / Resume, the progress bar and the ETA (the status line goes under the row)."""
        self.start_button = QPushButton("Start")
        self.cancel_button = QPushButton("Cancel")
        self.resume_button = QPushButton("Resume")
        self.open_folder_button = QPushButton("Open folder")
        self.open_folder_button.setToolTip("Show the exported font files in the file manager")
        self.open_folder_button.clicked.connect(self.open_output_folder)
        self.glyphs_button = QPushButton("Glyphs of the font…")
        self.glyphs_button.setToolTip("Every glyph of the exported font, the written ones marked; try the font-wide "
                                      "size, baseline and spacing and rebuild")
        self.glyphs_button.clicked.connect(self.show_font_glyphs)
        self.start_button.clicked.connect(lambda: self.start(resume=False))
        self.resume_button.clicked.connect(lambda: self.start(resume=True))
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.eta = QLabel("")
        self.status = QLabel("Idle")
        self.status.setWordWrap(True)
        row = QHBoxLayout()
        for button in (self.start_button, self.cancel_button, self.resume_button):
            row.addWidget(button)
        row.addWidget(self.progress, 1)
        row.addWidget(self.eta)
        row.addWidget(self.glyphs_button)
        row.addWidget(self.open_folder_button)
        return row

    def open_output_folder(self) -> None:
        """The folder of the fonts just written (the form's output folder before any export)."""
        fonts = batch_api.font_files(self.report) if self.report is not None else []
        folder = fonts[0].parent if fonts else Path(self.out.text().strip() or ".").expanduser()
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder)))

    def _results(self) -> QSplitter:
        results = QSplitter(Qt.Orientation.Horizontal)
        results.addWidget(self._preview_box())
        results.addWidget(self._flagged_box())
        results.setStretchFactor(0, 3)
        results.setStretchFactor(1, 2)
        return results

    def _preview_box(self) -> QGroupBox:
        """A sample text set in the exported font, with its text and pixel size."""
        self.preview = QTextEdit()
        self.preview.setReadOnly(True)
        self.preview.setPlaceholderText("A sample set in the exported font appears here")
        self.preview_text = QLineEdit(SAMPLE_TEXT)
        self.preview_text.textChanged.connect(self._update_preview)
        self.preview_size = QSpinBox()
        self.preview_size.setRange(8, 200)
        self.preview_size.setValue(40)
        self.preview_size.valueChanged.connect(self._update_preview)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Sample"))
        controls.addWidget(self.preview_text, 1)
        controls.addWidget(QLabel("Size"))
        controls.addWidget(self.preview_size)
        box = QGroupBox("Preview of the exported font")
        layout = QVBoxLayout(box)
        layout.addLayout(controls)
        layout.addWidget(self.preview, 1)
        return box

    def _flagged_box(self) -> QGroupBox:
        """The glyphs the quality gate flagged (checkable) and what to do with the checked ones."""
        self.flagged = QListWidget()
        self.flagged.setIconSize(QSize(FLAGGED_ICON, FLAGGED_ICON))  # the glyph large enough to judge
        self.regenerate_button = QPushButton("Regenerate checked")
        self.exclude_button = QPushButton("Exclude checked && rebuild")
        self.regenerate_button.clicked.connect(self.regenerate_checked)
        self.exclude_button.clicked.connect(self.exclude_checked)
        self.skipped = QLabel("")
        self.skipped.setWordWrap(True)
        box = QGroupBox("Quality gate")
        layout = QVBoxLayout(box)
        layout.addWidget(self.skipped)
        layout.addWidget(self.flagged, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.regenerate_button)
        buttons.addWidget(self.exclude_button)
        layout.addLayout(buttons)
        return box

    # -- remembered values (the last export's form) -------------------------------------------------

    def _remembered_paths(self) -> tuple[tuple[str, QLineEdit, str], ...]:
        """(settings key, field, default) of every remembered path-like field."""
        return (("batch_font", self.font_path, ""), ("batch_charset_file", self.charset_file, ""),
                ("batch_family", self.family, ""),
                ("batch_out", self.out, str(Path.home() / "segan-fonts")))

    def _restore_settings(self) -> None:
        """Fill the form with the values of the last export (or the defaults)."""
        settings = self.context.settings
        for key, edit, default in self._remembered_paths():
            edit.setText(settings.path(key, default))
        self._default_family()
        for key, edit in self.names.items():
            default = DEFAULT_VENDOR_ID if key == "vendor_id" else ""
            _set_edit_text(edit, settings.text(f"batch_{key}", default))

    def _remember(self) -> None:
        settings = self.context.settings
        for key, edit, _default in self._remembered_paths():
            settings.set_path(key, edit.text())
        if self.family.text().strip() == self._auto_family:  # from the style: follow the style next time too
            settings.set_path("batch_family", "")
        for key, value in self.name_values().items():
            settings.set_text(f"batch_{key}", value)

    # -- form helpers ---------------------------------------------------------------------------------

    def _fill_styles(self) -> None:
        current = self.style.currentData()
        self.style.blockSignals(True)
        self.style.clear()
        self._style_names = {}
        for entry in self.context.entries:  # each style by its reference (style:ID, dir:PATH): the core opens it
            if entry.available:
                self.style.addItem(f"{entry.name} ({entry.origin})", entry.key)
                self._style_names[entry.key] = entry.name
        self.style.addItem("Real font (re-export through the pipeline)…", FONT_CHOICE)
        index = self.style.findData(current) if current else -1
        if index < 0:
            generate_key = self.context.settings.last_style
            entry = self.context.entry_for_style_or_dir(generate_key)
            index = self.style.findData(entry.key) if entry and entry.available else 0
        self.style.setCurrentIndex(max(0, index))
        self.style.blockSignals(False)
        self._style_changed()

    def _style_changed(self) -> None:
        self.font_row.setEnabled(self.style.currentData() == FONT_CHOICE)
        self._default_family()

    def style_name(self) -> str:
        """The chosen style's name (a real font: its file name)."""
        data = self.style.currentData()
        if data == FONT_CHOICE:
            return Path(self.font_path.text().strip()).stem or "Font"
        return self._style_names.get(str(data), str(data or ""))

    def _default_family(self) -> None:
        """The family name (and so the file name) follows the style, unless the user typed one of their own."""
        if not hasattr(self, "family"):  # the style picker is built before the family field
            return
        current = self.family.text().strip()
        if current and current not in (self._auto_family, LEGACY_FAMILY):
            return
        self._auto_family = f"Segan {self.style_name()}"
        self.family.setText(self._auto_family)

    def select_model(self, folder: Path | str) -> None:
        """Select the style whose model is in ``folder`` (a style just trained, a folder the user picked)."""
        folder = Path(folder).resolve()
        entry = next((e for e in self.context.entries if e.model_dir is not None and e.model_dir.resolve() == folder),
                     None)  # fmt: skip
        index = self.style.findData(entry.key) if entry is not None else -1
        if index >= 0:
            self.style.setCurrentIndex(index)

    def use_font(self, path: Path | str) -> None:
        self.style.setCurrentIndex(self.style.findData(FONT_CHOICE))
        self.font_path.setText(str(path))

    def _charset_changed(self) -> None:
        key = self.charset.currentData()
        self.charset_stack.setCurrentIndex({"text": 1, "file": 2}.get(key, 0))

    def set_charset(self, key: str, value: str = "") -> None:
        self.charset.setCurrentIndex(self.charset.findData(key))
        if key == "text":
            self.charset_text.setPlainText(value)
        elif key == "file":
            self.charset_file.setText(value)

    def _browse_font(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Font file", self.font_path.text(), "Fonts (*.ttf *.otf *.ttc)")
        if name:
            self.font_path.setText(name)

    def _browse_charset(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self, "Character file", self.charset_file.text(), "Text (*.txt)")
        if name:
            self.charset_file.setText(name)

    def _browse_out(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Output folder", self.out.text())
        if folder:
            self.out.setText(folder)

    def _update_buttons(self) -> None:
        running = self.job is not None
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.open_folder_button.setEnabled(self.report is not None and not running)
        self.glyphs_button.setEnabled(self.report is not None and self.preview_path is not None and not running)
        has_flags = self.flagged.count() > 0 and not running
        self.regenerate_button.setEnabled(has_flags)
        self.exclude_button.setEnabled(has_flags)

    # -- the request --------------------------------------------------------------------------------------

    def style_spec(self) -> str:
        data = self.style.currentData()
        if data == FONT_CHOICE:
            raw = self.font_path.text().strip()
            if not raw:
                raise InputFileError("choose the font file to re-export")
            path = Path(raw).expanduser()
            if not path.is_file():
                raise InputFileError(f"font file not found: {path}")
            return StyleRef("font", str(path)).key
        if not data:
            raise SeganError("no style with a trained model: train one or open a model folder first")
        return str(data)

    def parsed_chars(self) -> ParsedText:
        key = self.charset.currentData()
        if key == "text":
            return text_charset(self.charset_text.toPlainText())
        if key == "file":
            raw = self.charset_file.text().strip()
            if not raw:
                raise InputFileError("choose the character file")
            return load_charset(str(Path(raw).expanduser()))
        return load_charset(key)

    def chars(self) -> tuple[str, ...]:
        return self.parsed_chars().chars

    def chosen_formats(self) -> tuple[str, ...]:
        chosen = tuple(name for name, box in self.formats.items() if box.isChecked())
        if not chosen:
            raise SeganError("choose at least one font format (TTF, OTF, WOFF2 or UFO)")
        return chosen

    def out_dir(self) -> Path:
        raw = self.out.text().strip()
        if not raw:
            raise OutputError("choose an output folder")
        return Path(raw).expanduser()

    def make_request(self, chars: tuple[str, ...] | None = None):
        family = self.family.text().strip()
        if not family:
            raise SeganError("give the font a family name")
        style = self.style_spec()
        non_han: tuple[str, ...] = ()
        if chars is None:
            parsed = self.parsed_chars()
            chars, non_han = parsed.chars, parsed.non_han
        return batch_api.make_request(
            style=style, chars=chars, out=self.out_dir(), formats=self.chosen_formats(), family=family,
            version=self.version.text().strip() or "1.000", quality_gate=self.quality_gate.isChecked(),
            non_han=non_han, names=batch_api.make_names(self.name_values()), layout=self.glyph_layout(),
        )

    # -- running --------------------------------------------------------------------------------------------

    def start(self, resume: bool = False, chars: tuple[str, ...] | None = None,
              regenerate: tuple[str, ...] = (), layout: GlyphLayout | None = None) -> bool:
        """Run the export. Every run reuses the glyph cache, so Resume (or a re-run after a cancel)
        continues from the glyphs already made; ``resume`` repeats the last request unchanged, ``chars`` or
        ``layout`` repeat it with those changed."""
        if self.job is not None:
            return False
        try:
            last = self._last_request
            if last is not None and (resume or chars is not None or regenerate or layout is not None):
                request = dataclasses.replace(last, chars=chars) if chars is not None else last
                request = dataclasses.replace(request, layout=layout) if layout is not None else request
            else:
                request = self.make_request(chars)
            request = self._confirm_outputs(request)
        except SeganError as exc:
            self.context.report(self, exc, "Cannot start the export")
            return False
        if request is None:
            return False
        self._remember()
        self._last_request = request
        self.report = None
        self.load_preview(None, "Exporting… the new font is shown here once it is written")
        self._pace = StagePace()
        self.progress.setRange(0, 0)
        self.status.setText("Starting…")
        self.eta.setText("")
        self.job = self.context.runner.start(
            "batch export", batch_api.run, request, regenerate=regenerate,
            on_progress=self._on_progress, on_finished=self._on_finished, on_failed=self._on_failed,
            on_cancelled=self._on_cancelled, on_done=self._on_done,
        )
        self._update_buttons()
        return True

    def _confirm_outputs(self, request):
        """The request, with ``overwrite`` if the user agrees to replace files that are not a previous export,
        or a previous export made from another style or model; None if they do not."""
        if not request.overwrite and isinstance(request.source, str):
            clash = replaced_maker(request, self.style_name(), style_origin(request.source))
            if clash is not None:
                question = f"{clash}.\n\nReplace it with the {self.style_name()} font?"
                if not confirm_replace(self, "Replace a font of another style?", question):
                    return None
                return dataclasses.replace(request, overwrite=True)
        try:
            check_batch_outputs(list(request.output_paths().values()), *request.report_paths(), request.overwrite)
        except OutputError as exc:
            question = f"{exc}\n\nReplace the existing files?"
            if not confirm_replace(self, "Replace existing files?", question):
                return None
            return dataclasses.replace(request, overwrite=True)
        return request

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling… (finished glyphs stay cached: Resume continues from them)")

    def _on_progress(self, event: Progress) -> None:
        if event.total:
            self.progress.setRange(0, event.total)
            self.progress.setValue(min(event.done, event.total))
        else:
            self.progress.setRange(0, 0)
        text = f"{event.stage}: {event.done}" + (f"/{event.total}" if event.total else "")
        if event.message:
            text += f" · {event.message}"
        self.status.setText(text)
        self.eta.setText(self._eta_text(event))

    def _eta_text(self, event: Progress) -> str:
        """Elapsed time, and the time the stage still needs at the pace of this run's real work (``StagePace``:
        glyphs read back from the cache on a resume come at once and set no pace). A finished stage has no time
        left, but the export has (the fonts are built after the glyphs): its ETA is unknown, "—", never 00:00."""
        elapsed = f"{format_duration(event.elapsed_s)} elapsed"
        if not event.total:
            return elapsed
        left = self._pace.seconds_left(event)
        then = ", then the fonts are built" if event.stage == "glyphs" else ""
        if event.done >= event.total:
            return f"{elapsed} · {event.stage} done{then} · ETA {format_eta(None)}"
        return f"{elapsed} · {event.stage} ETA {format_eta(left)}{then}"

    def _on_finished(self, report) -> None:
        self.report = report
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        summary = batch_api.summary(report)
        self.status.setText(summary)
        self.eta.setText("")
        self.show_report(report)
        self.finished.emit(report)

    def _on_failed(self, error: BaseException) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Export failed")
        self.preview.setPlainText("(the export failed: no new font was written)")
        self.context.report(self, error, "Export failed")

    def _on_cancelled(self) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.status.setText("Cancelled; nothing partial was written. Resume continues from the cached glyphs.")
        self.preview.setPlainText("(cancelled: no new font was written)")
        self.stopped.emit()

    def _on_done(self) -> None:
        self.job = None
        self._update_buttons()

    # -- results ----------------------------------------------------------------------------------------------

    def show_report(self, report) -> None:
        fonts = batch_api.font_files(report)
        preview_font = next((p for p in fonts if p.suffix.lower() in (".ttf", ".otf")), None)
        self.load_preview(preview_font)
        self._show_skipped(batch_api.skipped(report))
        self.flagged.clear()
        for char, reason, image in batch_api.flagged(report):
            self.flagged.addItem(_flagged_item(char, reason, image))
        if self.flagged.count() == 0:
            self.flagged.addItem(QListWidgetItem("No glyph was flagged."))
            self.flagged.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        self._update_buttons()

    def _show_skipped(self, skipped: dict[str, str]) -> None:
        self.skipped.setText(
            f"{len(skipped)} character(s) skipped: " + " ".join(f"{c} ({why})" for c, why in list(skipped.items())[:12])
            if skipped else "No character was skipped."
        )

    def load_preview(self, path: Path | None, empty: str = "(no TTF/OTF to preview)") -> bool:
        """Set the sample in the font at ``path`` (None: show ``empty``).

        Qt keeps the FreeType face of a font file by its path while any engine still uses it, so a new font
        written over the previous export's file could be drawn with the old glyphs: the preview loads a
        snapshot of the file just written, under a name never used before."""
        self._unload_preview()
        if path is None:
            self.preview.setFont(self.font())
            self.preview.setPlainText(empty)
            return False
        try:
            snapshot = Path(self._preview_dir.name) / f"preview-{next(_snapshots)}{path.suffix.lower()}"
            shutil.copyfile(path, snapshot)
        except OSError as exc:
            self.preview.setPlainText(f"Cannot read {path} for the preview: {exc.strerror or exc}")
            return False
        font_id = QFontDatabase.addApplicationFont(str(snapshot))
        families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
        if not families:
            self.preview.setPlainText(f"Qt could not load {path}")
            return False
        self._font_ids.append(font_id)
        self.preview_path = snapshot
        self.font_family = families[0]
        self._update_preview()
        return True

    def _unload_preview(self) -> None:
        for font_id in self._font_ids:
            QFontDatabase.removeApplicationFont(font_id)
        self._font_ids.clear()
        if self.preview_path is not None:
            self.preview_path.unlink(missing_ok=True)
        self.preview_path = None
        self.font_family = None

    def _update_preview(self) -> None:
        if not self.font_family:
            return
        font = QFont(self.font_family)
        font.setPixelSize(self.preview_size.value())
        self.preview.setFont(font)
        self.preview.setPlainText(self.preview_text.text())

    def show_font_glyphs(self) -> FontGridDialog | None:
        """The whole exported font as a glyph grid; choosing a layout there rebuilds the font with it."""
        if self.report is None or self.preview_path is None or not self.font_family:
            return None
        report = self.report.report  # the BatchResult's BatchReport
        written = frozenset((report.written_glyphs or {}).get("chars", ""))
        mapped = FontRenderer(self.preview_path).chars
        in_font = set(mapped)
        first = [c for c in (self._last_request.chars if self._last_request else ()) if c in in_font]
        chars = tuple(dict.fromkeys([*first, *mapped]))  # the request's order (GB2312's), then the rest
        fonts = batch_api.font_files(self.report)
        dialog = FontGridDialog(fonts[0] if fonts else self.preview_path, self.font_family, chars, written,
                                report.layout, self)  # fmt: skip
        dialog.rebuild_requested.connect(self._rebuild_with)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.show()
        return dialog

    def _rebuild_with(self, layout: GlyphLayout) -> None:
        self.set_glyph_layout(layout)
        self.start(layout=layout)

    def checked_chars(self) -> list[str]:
        out = []
        for row in range(self.flagged.count()):
            item = self.flagged.item(row)
            if item.flags() & Qt.ItemFlag.ItemIsUserCheckable and item.checkState() == Qt.CheckState.Checked:
                out.append(item.data(Qt.ItemDataRole.UserRole))
        return out

    def regenerate_checked(self) -> bool:
        chars = self.checked_chars()
        if not chars:
            self.context.report(self, SeganError("check the flagged glyphs to regenerate first"))
            return False
        return self.start(resume=True, regenerate=tuple(chars))

    def exclude_checked(self) -> bool:
        chars = set(self.checked_chars())
        if not chars:
            self.context.report(self, SeganError("check the flagged glyphs to exclude first"))
            return False
        request = self._last_request
        if request is None:
            return False
        return self.start(chars=tuple(c for c in request.chars if c not in chars))


def _flagged_item(char: str, reason: str, image: np.ndarray | None) -> QListWidgetItem:
    """A checkable row for one flagged glyph: the character, its code point, why, and its picture."""
    item = QListWidgetItem(f"{char}  U+{ord(char):04X}  {reason}")
    item.setData(Qt.ItemDataRole.UserRole, char)
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    if image is not None:
        from PySide6.QtGui import QIcon

        from app.imaging import ink_pixmap

        item.setIcon(QIcon(ink_pixmap(image, FLAGGED_ICON)))
    return item
