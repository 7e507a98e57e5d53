"""What the views share: settings, the job runner, the style catalog and the error reporter."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from app.errors import show_error
from app.settings import Settings
from app.workers import JobRunner
from segan_core.errors import CheckpointError
from segan_core.styles import StyleEntry, model_entry, parse_style_ref, style_catalogue


class AppContext(QObject):
    styles_changed = Signal()
    model_trained = Signal(str)  # key of the new entry

    def __init__(self, settings: Settings | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.runner = JobRunner(self)
        self.entries: list[StyleEntry] = []
        self.refresh_styles(notify=False)

    def refresh_styles(self, notify: bool = True) -> None:
        self.entries = style_catalogue(self.settings.extra_models)  # the core's catalogue, and the folders opened here
        if notify:
            self.styles_changed.emit()

    def entry(self, key: str) -> StyleEntry | None:
        return next((e for e in self.entries if e.key == key), None)

    def entry_for_style_or_dir(self, value: str) -> StyleEntry | None:
        """``--style ID`` or ``--model DIR`` (or a saved key) -> an entry."""
        if not value:
            return None
        ref = parse_style_ref(value)
        if ref.explicit:
            return self.entry(ref.key) if ref.kind in ("style", "dir") else None
        found = self.entry(f"style:{value}")
        if found is not None:
            return found
        if ref.kind == "dir":
            return self.entry(f"dir:{ref.path.resolve()}")
        return None

    def open_model(self, folder: Path | str) -> StyleEntry:
        """Add a model folder the user picked; raises CheckpointError if it is not one."""
        folder = Path(folder)
        entry = model_entry(folder, "opened")
        if entry is None:
            if not folder.is_dir():
                raise CheckpointError(f"model folder not found: {folder}")
            raise CheckpointError(
                "not a style model folder (needs config.json and weights.safetensors of a SE-GAN or baseline "
                f"model): {folder}"
            )
        # the folder may already be listed, as a bundled style's model or a trained one
        known = self.entry(entry.key) or next(
            (e for e in self.entries if e.model_dir is not None and e.model_dir.resolve() == entry.model_dir), None
        )
        if known is not None:
            return known
        self.settings.add_extra_model(str(entry.model_dir))
        self.refresh_styles()
        return self.entry(entry.key) or entry

    def report(self, parent: QWidget | None, error: BaseException | str, title: str = "Segan Studio") -> None:
        show_error(parent, error, title)
