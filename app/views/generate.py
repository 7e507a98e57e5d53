"""The Generate view: pick a style, type characters, see them in that style at once, inspect one."""

from __future__ import annotations

import time
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from app.catalog import sample_glyph
from app.context import AppContext
from app.imaging import ink_pixmap, save_png, svg_for
from app.preview_cache import PreviewCache
from app.replace import confirm_replace, existing
from app.views.calligrapher import SCAN_SUFFIXES
from app.views.detail import DetailPanel, GlyphResult
from app.widgets.glyph_grid import MISSING, NOT_HAN, PENDING, READY, GlyphGrid
from segan_core.atomic import atomic_path, write_text_atomic
from segan_core.charset import is_han
from segan_core.errors import InputFileError, OutputError, SeganError
from segan_core.glyphs.skeleton import skeletonize
from segan_core.jobs import CancelToken, Progress
from segan_core.style_source import StyleSource, open_style
from segan_core.styles import SAMPLE_CHAR, StyleEntry

if TYPE_CHECKING:
    from segan_core.inference import Generation, StyleModel
    from segan_core.upscale.stage import SecondStage

# while the generator draws, a pause of 80 ms ends a burst of typing (what it draws then is cancelled after its chunk);
# a change while it is idle is drawn on the event loop's next turn, so a paste, an input method's commit or one
# keystroke does not wait the pause out (issue 29: the 10-character preview's latency)
DEBOUNCE_MS = 80
RELEASE_AFTER_MS = 15_000  # hidden this long (another view shown), the style's model is closed (issue 31)
CHUNK = 16  # characters per generator call from the Generate view
KEY_ROLE = Qt.ItemDataRole.UserRole


def load_style(key: str, device: str = "auto") -> StyleSource:
    """Worker side: the style a picker key names (``style:ID``, ``dir:PATH``), opened by the core with its second
    stage; the writer's own glyphs stay out (the preview shows what the model draws)."""
    return open_style(key, device=device, written=False)


def _results(generation: Generation) -> dict[str, GlyphResult]:
    """The generator's glyphs, one :class:`GlyphResult` a character (no second stage's glyph yet)."""
    results = {}
    for i, char in enumerate(generation.chars):
        results[char] = GlyphResult(
            char=char,
            source=generation.source[i],
            source_skeleton=generation.source_skeleton[i],
            generated=generation.generated[i],
            generated_skeleton=skeletonize(generation.generated[i]),
            # kept as uint8 (0-255): a long paste holds thousands of these
            heatmaps={kind: np.round(maps[i] * 255).astype(np.uint8) for kind, maps in generation.heatmaps.items()},
        )
    return results


def generate_results(source: StyleSource, chars: tuple[str, ...], chunk: int = CHUNK,
                     cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Worker side: draw the style (with heatmaps, and its second stage) chunk by chunk; each Progress carries
    the results of one chunk (char -> GlyphResult), so a long paste fills the grid progressively and a new
    keystroke can cancel the rest. A style with a second stage reports each chunk twice: the generator's glyphs as
    soon as they are drawn, then the same with the stage's 256 px glyphs (issue 29: the grid and the heatmaps
    do not wait for the stage)."""
    for start in range(0, len(chars), chunk):
        if cancel is not None:
            cancel.raise_if_cancelled("generation")
        part = chars[start : start + chunk]
        results: dict[str, GlyphResult] = {}
        for generation, upscaled in source.draw_in_steps(part, heatmaps=True):
            if upscaled is None:
                results = _results(generation)
            else:
                results = {c: replace(results[c], upscaled=upscaled[i]) for i, c in enumerate(generation.chars)}
            yield Progress("generate", start + len(part), len(chars), payload=results)


def sample_icons(entries: list[StyleEntry]) -> dict[str, object]:
    """Worker side: the picker's sample glyph for each style (ink arrays)."""
    return {e.key: sample_glyph(e) for e in entries}


def read_text_file(path: Path) -> str:
    if not path.is_file():
        raise InputFileError(f"text file not found: {path}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputFileError(f"not a UTF-8 text file: {path}") from None
    except OSError as exc:
        raise InputFileError(f"cannot read {path}: {exc.strerror or exc}") from None


def cells_for(text: str, missing: dict[str, str]) -> list[tuple[str, str, str]]:
    """(char, state, note) in typing order; whitespace ignored, repeats folded, nothing else dropped."""
    cells: dict[str, tuple[str, str, str]] = {}
    for char in unicodedata.normalize("NFC", text):
        if char.isspace() or char in cells:
            continue
        if not is_han(char):
            cells[char] = (char, NOT_HAN, "not a Han character: skipped")
        elif char in missing:
            cells[char] = (char, MISSING, missing[char])
        else:
            cells[char] = (char, PENDING, "")
    return list(cells.values())


class GenerateView(QWidget):
    generated = Signal(list)  # the characters whose glyphs just arrived
    model_ready = Signal(object)  # the StyleModel now in use (or None)
    pages_dropped = Signal(list)  # scanned pages / photos / PDFs dropped here: for the New calligrapher import
    model_released = Signal()  # the style's model was closed while the view is hidden (it opens again when shown)

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self.setAcceptDrops(True)
        self.context = context
        self.entry: StyleEntry | None = None
        self.source: StyleSource | None = None  # the style in use, as open_style gave it
        self.cache = PreviewCache()  # the text's glyphs, and those typed before up to a byte budget
        self._load_serial = 0
        self._generating = False
        self._pending = False
        self._cells: list[tuple[str, str, str]] = []  # the text's cells as last laid out
        self._job = None
        self._previous: tuple | None = None  # (entry, model, cache, missing) while another model loads
        self._missing: dict[str, str | None] = {}  # per model: char -> reason it cannot be generated
        self._typed_at: float | None = None
        self.last_latency_ms: float | None = None
        self._icons: dict[str, object] = {}

        layout = QHBoxLayout(self)
        layout.addLayout(self._style_column())
        layout.addWidget(self._glyph_area(), 1)
        self._build_debounce()
        self._build_release()

        # the last text first: choosing the first style regenerates, which saves the box's text as the last one
        self.text.blockSignals(True)
        self.text.setPlainText(context.settings.last_text)
        self.text.blockSignals(False)
        context.styles_changed.connect(self.populate_styles)
        self.populate_styles()
        self._load_icons()

    # -- building the view ----------------------------------------------------------------------------

    def _style_column(self) -> QVBoxLayout:
        """The style picker (a sample glyph per style) and "Open model folder…"."""
        self.picker = QListWidget()
        self.picker.setIconSize(QSize(48, 48))
        self.picker.setMinimumWidth(280)
        self.picker.setMaximumWidth(360)
        self.picker.setWordWrap(True)
        self.picker.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.picker.setSpacing(2)
        self.picker.currentItemChanged.connect(self._picker_changed)
        self.open_button = QPushButton("Open model folder…")
        self.open_button.clicked.connect(self.open_model_dialog)
        left = QVBoxLayout()
        left.addWidget(QLabel("<b>Style</b>"))
        left.addWidget(self.picker, 1)
        left.addWidget(self.open_button)
        return left

    def _glyph_area(self) -> QSplitter:
        """Text, status, the glyph grid and its buttons above; the detail panel below."""
        self._build_text()
        self.status = QLabel("")
        self.status.setWordWrap(True)
        self.grid = GlyphGrid()
        self.grid.glyph_activated.connect(self.show_detail)
        self.detail = DetailPanel()
        top = QWidget()
        top_layout = QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.text)
        top_layout.addWidget(self.status)
        top_layout.addWidget(self.grid, 1)
        top_layout.addLayout(self._button_row())
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([420, 360])
        return splitter

    def _build_text(self) -> None:
        self.text = QPlainTextEdit()
        self.text.setPlaceholderText("Type or paste Chinese characters (or drop a text file here)")
        self.text.setMaximumHeight(90)
        font = self.text.font()
        font.setPointSize(16)
        self.text.setFont(font)
        self.text.textChanged.connect(self._text_changed)

    def _button_row(self) -> QHBoxLayout:
        """The model line, the second-stage switch and the PNG / SVG export buttons."""
        self.model_label = QLabel("")
        self.upscaled_switch = QCheckBox("256 px second stage")
        self.upscaled_switch.setChecked(True)
        self._show_stage()
        self.upscaled_switch.toggled.connect(self._upscaled_toggled)
        self.export_png = QPushButton("Export PNG…")
        self.export_svg = QPushButton("Export SVG…")
        self.export_png.clicked.connect(lambda: self.export_selection("png"))
        self.export_svg.clicked.connect(lambda: self.export_selection("svg"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.model_label, 1)
        buttons.addWidget(self.upscaled_switch)
        buttons.addWidget(self.export_png)
        buttons.addWidget(self.export_svg)
        return buttons

    def _build_debounce(self) -> None:
        """Typing restarts a single-shot timer that regenerates: at once while the generator is idle, after a
        pause in the typing while it draws (:data:`DEBOUNCE_MS`)."""
        self.debounce = QTimer(self)
        self.debounce.setSingleShot(True)
        self.debounce.setInterval(DEBOUNCE_MS)
        self.debounce.timeout.connect(self.regenerate)

    # -- styles ---------------------------------------------------------------------------------------

    def populate_styles(self) -> None:
        current = self.entry.key if self.entry else self.context.settings.last_style
        self.picker.blockSignals(True)
        self.picker.clear()
        for entry in self.context.entries:
            item = QListWidgetItem(entry.label())
            item.setData(KEY_ROLE, entry.key)
            icon = self._icons.get(entry.key)
            if icon is not None:
                item.setIcon(QIcon(ink_pixmap(icon, 48)))
            tip = f"{entry.name}\nscript: {entry.script}\n{entry.model_dir or ''}"
            if not entry.available:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
                item.setForeground(QColor(150, 150, 150))
                tip += "\nno model yet: train one or open a model folder"
            item.setToolTip(tip)
            self.picker.addItem(item)
        self.picker.blockSignals(False)
        if current and self.select_style(current, quiet=True):
            return
        if self.entry is None:
            first = next((e for e in self.context.entries if e.available), None)
            if first is not None:
                self.select_style(first.key, quiet=True)
            else:
                self.model_label.setText("No style has a trained model yet: open a model folder or train one.")
                self.regenerate()

    def _load_icons(self) -> None:
        missing = [e for e in self.context.entries if e.key not in self._icons]
        if not missing:
            return
        self.context.runner.start("style samples", sample_icons, missing, on_finished=self._icons_ready)

    def _icons_ready(self, icons: dict) -> None:
        self._icons.update({k: v for k, v in icons.items() if v is not None or k not in self._icons})
        for row in range(self.picker.count()):
            item = self.picker.item(row)
            ink = self._icons.get(item.data(KEY_ROLE))
            if ink is not None:
                item.setIcon(QIcon(ink_pixmap(ink, 48)))

    def select_style(self, key: str, quiet: bool = False) -> bool:
        """Select an entry by key; False (and a message unless quiet) if unknown or without a model."""
        entry = self.context.entry_for_style_or_dir(key)
        if entry is None or not entry.available:
            if not quiet:
                why = "unknown style" if entry is None else f"{entry.name} has no trained model yet"
                self.context.report(self, SeganError(f"cannot use {key}: {why}"))
            return False
        for row in range(self.picker.count()):
            item = self.picker.item(row)
            if item.data(KEY_ROLE) == entry.key:
                self.picker.setCurrentItem(item)  # -> _picker_changed
                break
        if self.entry is None or self.entry.key != entry.key:
            self._use_entry(entry)
        return True

    def _picker_changed(self, current: QListWidgetItem | None, _previous) -> None:
        if current is None:
            return
        entry = self.context.entry(current.data(KEY_ROLE))
        if entry is not None and entry.available and (self.entry is None or entry.key != self.entry.key):
            self._use_entry(entry)

    @property
    def model(self) -> StyleModel | None:
        """The style's generator (64 px), or None while none is loaded."""
        return self.source.style_model if self.source is not None else None

    @property
    def stage(self) -> SecondStage | None:
        """The style's second stage (256 px), if it has one."""
        return self.source.stage if self.source is not None else None

    def _use_entry(self, entry: StyleEntry) -> None:
        if self.source is not None:  # kept to fall back on if the new model fails to load
            self._previous = (self.entry, self.source, self.cache, dict(self._missing))
        self.entry = entry
        self.source = None
        self._show_stage()
        self.cache = PreviewCache(self.cache.budget)
        self.model_label.setText(f"Loading {entry.name}…")
        self._load_serial += 1
        serial = self._load_serial
        self.context.runner.start(  # the core opens the style by its reference: the app makes up no path
            f"load {entry.name}", load_style, entry.key, device=self.context.settings.device,
            on_finished=lambda source: self._model_loaded(serial, source),
            on_failed=lambda exc: self._model_failed(serial, exc), receiver=self,
        )
        self.regenerate()

    def reload_model(self) -> None:
        """Load the current style's model again (e.g. on another device). A model closed while the view is hidden
        opens again when shown, with the settings then: nothing is loaded now."""
        if self.entry is not None and self._reopen is None:
            self._use_entry(self.entry)

    def release_sessions(self) -> None:
        """Let the style's networks make their sessions again on the next draw (a new thread count), on a worker:
        a draw under way holds them, and the GUI does not wait for it. The glyphs drawn so far stay."""
        if self.source is not None:
            self.context.runner.start("release sessions", self.source.release, receiver=self)

    def _model_loaded(self, serial: int, source: StyleSource) -> None:
        if serial != self._load_serial:
            return
        self._previous = None
        if self.entry is not None:
            self.context.settings.last_style = self.entry.key
        self.source = source
        model, stage = source.style_model, source.stage
        self._show_stage()
        if serial != self._kept_serial:  # the same model opened again keeps its glyphs (see release_model)
            self.cache.clear()
        self._missing.clear()
        name = self.entry.name if self.entry else model.name
        upscaled = f" → {stage.output_size} px" if stage is not None else ""
        self.model_label.setText(f"{name} · {model.size} px{upscaled} · attention {model.attention} · "
                                 f"{model.device.type}")
        self.model_ready.emit(model)
        if self.entry is not None and self._icons.get(self.entry.key) is None:
            key = self.entry.key
            self.context.runner.start("style sample", model.generate, [SAMPLE_CHAR],
                                      on_finished=lambda images: self._icons_ready({key: images[0]}), receiver=self)
        self.regenerate()

    def _model_failed(self, serial: int, error: BaseException) -> None:
        if serial != self._load_serial:
            return
        self.model_label.setText("Model failed to load.")
        self.entry = None
        if self._previous is not None:  # back to the style in use before
            self.entry, self.source, self.cache, self._missing = self._previous
            self._show_stage()
            self._previous = None
            self._select_item(self.entry.key)
            self.model_label.setText(f"{self.entry.name} (the other model failed to load)")
            self.regenerate()
        self.context.report(self, error, "Cannot load the model")

    def _select_item(self, key: str) -> None:
        for row in range(self.picker.count()):
            item = self.picker.item(row)
            if item.data(KEY_ROLE) == key:
                self.picker.blockSignals(True)
                self.picker.setCurrentItem(item)
                self.picker.blockSignals(False)
                return

    def open_model_dialog(self) -> None:
        start = self.context.settings.path("models")
        folder = QFileDialog.getExistingDirectory(self, "Open a model folder", start)
        if folder:
            self.open_model(Path(folder))

    def open_model(self, folder: Path) -> bool:
        try:
            entry = self.context.open_model(folder)
        except SeganError as exc:
            self.context.report(self, exc, "Cannot open the model")
            return False
        self.context.settings.set_path("models", str(Path(folder).parent))
        self.context.settings.add_recent(Path(folder))
        self._load_icons()
        return self.select_style(entry.key)

    # -- text -> grid -----------------------------------------------------------------------------------

    def set_text(self, text: str) -> None:
        self.text.setPlainText(text)

    def _text_changed(self) -> None:
        if self._typed_at is None:
            self._typed_at = time.perf_counter()
        busy = self._generating or (self.debounce.isActive() and self.debounce.interval() > 0)
        self.debounce.start(DEBOUNCE_MS if busy else 0)

    def regenerate(self) -> None:
        text = self.text.toPlainText()
        self.context.settings.last_text = text
        han = [c for c in dict.fromkeys(unicodedata.normalize("NFC", text)) if is_han(c)]
        missing = self._missing_of(han)
        cells = cells_for(text, missing)
        self.grid.set_chars(cells)
        for char, state, _ in cells:
            if state == PENDING and char in self.cache and self.grid.state(char) != READY:
                self.grid.set_glyph(char, self._shown(self.cache[char]))
        self._mark_text(text, cells)
        self._follow_selection()
        self._cells = cells
        self._update_status(cells)
        self.cache.keep(c for c, _, _ in cells)  # the others' glyphs only up to the cache's byte budget
        todo = tuple(c for c, state, _ in cells if state == PENDING and not self._drawn(c))
        if self.model is None or not todo:
            if self.model is not None:
                self._finish_latency()
            return
        if self._generating:
            self._pending = True
            if self._job is not None:
                self._job.cancel()  # the chunk in hand finishes (and is cached); the rest is redone
            return
        self._generating = True
        source = self.source
        self._job = self.context.runner.start(
            "generate", generate_results, source, todo,
            on_progress=lambda event: self._generated(source, event.payload),
            on_failed=self._generation_failed,
            on_done=self._generation_done, receiver=self,
        )

    def _drawn(self, char: str) -> bool:
        """In the cache with every glyph the style draws: for a style with a second stage, its 256 px glyph too (a
        draw that failed between the generator and the stage left only the first)."""
        result = self.cache.get(char)
        return result is not None and (self.stage is None or result.upscaled is not None)

    def _missing_of(self, chars: list[str]) -> dict[str, str]:
        if self.model is None:
            return {}
        new = [c for c in chars if c not in self._missing]
        if new:
            found = self.model.missing(new)
            self._missing.update({c: found.get(c) for c in new})
        return {c: self._missing[c] for c in chars if self._missing.get(c)}

    def _generated(self, source: StyleSource | None, results: dict[str, GlyphResult]) -> None:
        if source is not self.source:
            return
        self.cache.update(results)
        shown = [c for c in results if self.grid.item_for(c) is not None]
        for char in shown:
            self.grid.set_glyph(char, self._shown(results[char]))
        current = self.grid.current_char()
        if current in results:
            self.show_detail(current)
        self._update_status(self._cells)  # "drawn 64 of 500" moves while a long text is drawn
        self.generated.emit(shown)

    def _generation_failed(self, error: BaseException) -> None:
        self.context.report(self, error, "Generation failed")

    def _generation_done(self) -> None:
        self._generating = False
        self._job = None
        if self._pending:
            self._pending = False
            self.regenerate()
        elif self.model is not None:
            self._finish_latency()

    def _finish_latency(self) -> None:
        if self._typed_at is not None:
            self.last_latency_ms = (time.perf_counter() - self._typed_at) * 1000
            self._typed_at = None

    def _update_status(self, cells: list[tuple[str, str, str]]) -> None:
        ok = sum(1 for _, s, _ in cells if s in (PENDING, READY))
        non_han = [c for c, s, _ in cells if s == NOT_HAN]
        missing = [c for c, s, _ in cells if s == MISSING]
        parts = [f"{ok} character(s)"]
        drawn = sum(1 for c, s, _ in cells if s in (PENDING, READY) and c in self.cache)
        if self.model is not None and drawn < ok:
            parts.append(f"drawn {drawn} of {ok}…")
        if non_han:
            parts.append(f"<span style='color:#c03c28'>{len(non_han)} not Han (skipped): "
                         f"{' '.join(non_han[:20])}</span>")
        if missing:
            parts.append(f"<span style='color:#c03c28'>{len(missing)} missing from the source font: "
                         f"{' '.join(missing[:20])}</span>")
        if self.model is None and ok:
            parts.append("no model loaded")
        self.status.setText(" · ".join(parts))

    def _mark_text(self, text: str, cells: list[tuple[str, str, str]]) -> None:
        bad = {c for c, s, _ in cells if s in (NOT_HAN, MISSING)}
        selections = []
        fmt = QTextCharFormat()
        fmt.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        fmt.setUnderlineColor(QColor(200, 60, 40))
        fmt.setBackground(QColor(255, 235, 230))
        document = self.text.document()
        position = 0
        for char in text:
            width = len(char.encode("utf-16-le")) // 2
            if char in bad:
                selection = QTextEdit.ExtraSelection()
                cursor = QTextCursor(document)
                cursor.setPosition(position)
                cursor.setPosition(position + width, QTextCursor.MoveMode.KeepAnchor)
                selection.cursor = cursor
                selection.format = fmt
                selections.append(selection)
            position += width
        self.text.setExtraSelections(selections)

    # -- the second stage: before / after ----------------------------------------------------------------

    def _show_stage(self) -> None:
        """The switch shows the truth: checked only when the style has a second stage and the user wants it (the
        wish is kept across styles without one; issue 31: never a checked-but-disabled box)."""
        stage = self.stage
        wanted = getattr(self, "_upscaled_wanted", True)
        self.upscaled_switch.blockSignals(True)
        self.upscaled_switch.setChecked(stage is not None and wanted)
        self.upscaled_switch.blockSignals(False)
        self.upscaled_switch.setEnabled(stage is not None)
        if getattr(self, "detail", None) is not None:
            self.detail.upscaled = self.upscaled_switch.isChecked()
        self.upscaled_switch.setToolTip(
            "Show the glyphs as the style's upscaler redraws them at 256 px (what the font export traces); off: the "
            "generator's 64 px glyphs" if stage is not None else "This style has no second stage (upscaler/)"
        )

    def _shown(self, result: GlyphResult) -> np.ndarray:
        return result.shown(self.upscaled_switch.isChecked())

    def _upscaled_toggled(self, on: bool) -> None:
        """Before/after: redraw the grid and the detail panel from the cache (nothing is generated again)."""
        self._upscaled_wanted = on
        self.detail.upscaled = on
        for char, result in self.cache.items():
            if self.grid.item_for(char) is not None:
                self.grid.set_glyph(char, self._shown(result))
        current = self.grid.current_char()
        if current in self.cache:
            self.show_detail(current)

    # -- detail & export ----------------------------------------------------------------------------------

    def _follow_selection(self) -> None:
        """The detail panel shows the selected glyph of this style and this text, or nothing (never a stale one)."""
        current = self.grid.current_char()
        shown = self.detail.result
        if current is None or self.grid.item_for(current) is None:
            if shown is not None:
                self.detail.show_result(None)
        elif shown is None or shown is not self.cache.get(current):
            self.show_detail(current)  # the cached glyph of the style now in use, or cleared until it comes

    def show_detail(self, char: str) -> None:
        result = self.cache.get(char)
        if result is not None:
            self.detail.show_result(result)
            return
        self.detail.show_result(None)
        state = self.grid.state(char)
        if state in (NOT_HAN, MISSING):
            self.detail.caption.setText(f"{char}  U+{ord(char):04X}: {state}, not generated")

    def export_selection(self, kind: str, target: Path | None = None) -> list[Path]:
        """Write the selected (or current) glyphs as PNG or SVG; returns the files written."""
        chars = [c for c in self.grid.selected_chars() if c in self.cache]
        if not chars and self.grid.current_char() in self.cache:
            chars = [self.grid.current_char()]
        if not chars:
            self.context.report(self, SeganError("select one or more generated glyphs to export first"))
            return []
        confirmed = False  # the save-file dialog asks before replacing its one file itself
        if target is None:
            start = self.context.settings.path("export", str(Path.home()))
            if len(chars) == 1:
                name, _ = QFileDialog.getSaveFileName(self, f"Export {kind.upper()}",
                                                      str(Path(start) / f"{chars[0]}.{kind}"),
                                                      f"{kind.upper()} (*.{kind})")
            else:
                name = QFileDialog.getExistingDirectory(self, f"Export {len(chars)} glyphs as {kind.upper()}", start)
            if not name:
                return []
            target = Path(name)
            confirmed = len(chars) == 1
        try:
            clashes = existing(self._glyph_paths(chars, kind, target))
            if clashes and not confirmed:
                names = ", ".join(p.name for p in clashes[:5]) + (" …" if len(clashes) > 5 else "")
                question = f"{len(clashes)} file(s) already exist in {clashes[0].parent}: {names}\n\nReplace them?"
                if not confirm_replace(self, "Replace existing files?", question):
                    return []
            written = self._write_glyphs(chars, kind, target)
        except (SeganError, OSError) as exc:
            self.context.report(self, exc, "Export failed")
            return []
        self.context.settings.set_path("export", str(target if target.is_dir() else target.parent))
        self.model_label.setText(f"Exported {len(written)} file(s) to {target}")
        return written

    @staticmethod
    def _glyph_paths(chars: list[str], kind: str, target: Path) -> list[Path]:
        if len(chars) == 1 and not target.is_dir():
            return [target]
        if not target.is_dir():
            raise OutputError(f"export folder not found: {target}")
        return [target / f"{c}.{kind}" for c in chars]

    def _write_glyphs(self, chars: list[str], kind: str, target: Path) -> list[Path]:
        paths = self._glyph_paths(chars, kind, target)
        written = []
        for char, path in zip(chars, paths, strict=True):
            if not path.parent.is_dir():
                raise OutputError(f"folder not found: {path.parent}")
            try:  # temp file then rename: a failed write never leaves half a file or loses the old one
                if kind == "svg":
                    write_text_atomic(path, svg_for(self._shown(self.cache[char])))
                else:
                    with atomic_path(path) as tmp:
                        save_png(self._shown(self.cache[char]), tmp)
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
            written.append(path)
        return written

    # -- a hidden view holds no model ---------------------------------------------------------------------

    def _build_release(self) -> None:
        """Hidden for RELEASE_AFTER_MS, the view closes its style's model (its ONNX sessions and their buffers: a
        few hundred MB, while an export or a fine-tune in another view needs its own); shown again, it opens it."""
        self.release_timer = QTimer(self)
        self.release_timer.setSingleShot(True)
        self.release_timer.setInterval(RELEASE_AFTER_MS)
        self.release_timer.timeout.connect(self.release_model)
        self._reopen: StyleEntry | None = None  # the style whose model was closed while hidden
        self._kept_serial = -1  # the load that opens it again, keeping the glyphs drawn before

    def hideEvent(self, event) -> None:
        super().hideEvent(event)
        if self.entry is not None:
            self.release_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self.release_timer.stop()
        reopen, self._reopen = self._reopen, None
        if reopen is not None and self.source is None and self.entry is reopen:  # (not another style chosen since)
            self._reopen_model(reopen)

    def release_model(self) -> bool:
        """Close the model of a hidden view; its glyphs stay (the grid and the detail panel are unchanged)."""
        if self.isVisible() or self.entry is None or self._reopen is not None:
            return False
        if self._generating or self.source is None:  # a generation or the model's load under way: again later
            self.release_timer.start()
            return False
        self._reopen, self.source = self.entry, None
        self.model_label.setText(f"{self.entry.name} · closed while not shown (opens again when shown)")
        self.model_released.emit()
        return True

    def _reopen_model(self, entry: StyleEntry) -> None:
        """Shown again: the style's model opens again, the glyphs kept meanwhile stay (nothing is drawn again)."""
        kept = self.cache
        self._use_entry(entry)
        self.cache, self._kept_serial = kept, self._load_serial
        self.regenerate()

    # -- drag and drop ---------------------------------------------------------------------------------

    def dragEnterEvent(self, event) -> None:
        urls = event.mimeData().urls()
        if urls and urls[0].isLocalFile() and Path(urls[0].toLocalFile()).is_file():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:
        """A text file is the text to write; pictures and PDFs are scanned pages, for the calligrapher import."""
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if not paths:
            return
        if any(p.suffix.lower() in SCAN_SUFFIXES for p in paths):
            self.pages_dropped.emit(paths)
        else:
            self.load_text_file(paths[0])
        event.acceptProposedAction()

    def load_text_file(self, path: Path) -> bool:
        try:
            self.set_text(read_text_file(path))
        except SeganError as exc:
            self.context.report(self, exc, "Cannot open the text file")
            return False
        self.context.settings.add_recent(Path(path))
        return True
