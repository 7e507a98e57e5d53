"""The styles the user can pick: bundled styles (with or without a model), user-trained and opened models.

Only lists and describes; loading a model happens in a worker (see ``views/generate.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from segan_core.errors import SeganError
from segan_core.model_folder import ModelFolder
from segan_core.resources import find_font
from segan_core.styles import load_styles, user_styles

SAMPLE_CHAR = "永"


@dataclass(frozen=True)
class StyleEntry:
    key: str  # "style:<id>" for bundled styles, "dir:<path>" for model folders
    name: str
    script: str  # kai-brush / running / cursive / handwriting, or "user model"
    origin: str  # "bundled" | "trained" | "added" ($SEGAN_MODELS_DIR) | "opened"
    model_dir: Path | None
    licence: str = ""
    sample_font: Path | None = None  # where the picker's sample glyph comes from ...
    sample_image: Path | None = None  # ... or an image of a glyph in that style
    state: str = ""  # a user model's state: "trained", "draft" (reads too little) or "stopped" (a run cut short)

    @property
    def available(self) -> bool:
        return ModelFolder.is_model(self.model_dir)

    @property
    def status(self) -> str:
        return "ready" if self.available else "no model yet"

    def label(self) -> str:
        state = "no model yet" if not self.available else ("" if self.origin == "bundled" else self.origin)
        if self.available and self.state in ("draft", "stopped"):
            state = "draft: reads too little, train longer" if self.state == "draft" else "stopped early, resumable"
        return f"{self.name}\n{self.script}" + (f" · {state}" if state else "")


def model_entry(folder: Path, origin: str) -> StyleEntry | None:
    """An entry for a style model folder (SE-GAN or the zi2zi baseline), or None (e.g. a skeleton GAN)."""
    model = ModelFolder(folder)
    folder = model.path
    if model.missing():
        return None
    info = model.describe()
    if not info.is_style:
        return None
    target = info.target
    name = info.target_name
    if name != folder.name:
        name = f"{folder.name} ({name})"
    if info.kind == "baseline":
        name += " · zi2zi baseline"
    sample_font = sample_image = None
    if target.get("file"):
        try:
            sample_font = find_font(str(target["file"]))
        except SeganError:
            sample_font = None
    if target.get("folder"):
        images = Path(str(target["folder"]))
        candidates = [images / f"{SAMPLE_CHAR}.png", *sorted(images.glob("*.png"))[:1]] if images.is_dir() else []
        sample_image = next((p for p in candidates if p.is_file()), None)
    return StyleEntry(f"dir:{folder.resolve()}", name, "user model", origin, folder.resolve(),
                      sample_font=sample_font, sample_image=sample_image, state=user_model_state(folder))


def user_model_state(folder: Path) -> str:
    """"draft" when a fine-tune's verdict says it reads too little, "stopped" for a run cancelled before its budget
    (its config.json says so), "trained" otherwise."""
    import json

    try:
        style = json.loads((folder / "style.json").read_text(encoding="utf-8"))
        if isinstance(style, dict) and isinstance(style.get("verdict"), dict) and \
                style["verdict"].get("status") == "draft":
            return "draft"
    except (OSError, ValueError):
        pass
    try:
        config = ModelFolder(folder).raw_config()
    except SeganError:
        return "trained"
    return "stopped" if config.get("stopped_by") == "cancelled" else "trained"


def list_styles(user_models: Path, extra: list[str] | tuple[str, ...] = ()) -> list[StyleEntry]:
    """Bundled styles first (in registry order), then the user's models (the same ones as ``segan styles
    list``: trained ones in ``user_models``, then those added by ``$SEGAN_MODELS_DIR``), then opened folders."""
    entries: list[StyleEntry] = []
    seen: set[Path] = set()
    for style in load_styles():
        entries.append(StyleEntry(f"style:{style.id}", style.display_name, style.script, "bundled",
                                  style.model_dir, style.licence, style.font_path()))
        seen.add(style.model_dir.resolve())
    for folder in user_styles():
        entry = model_entry(folder, "trained" if folder.parent.resolve() == user_models.resolve() else "added")
        if entry and entry.model_dir not in seen:
            entries.append(entry)
            seen.add(entry.model_dir)
    for raw in extra:
        entry = model_entry(Path(raw), "opened")
        if entry and entry.model_dir not in seen:
            entries.append(entry)
            seen.add(entry.model_dir)
    return entries


def sample_glyph(entry: StyleEntry, size: int = 64) -> np.ndarray | None:
    """An ink image of the sample character in this style (from its font or images), or None."""
    try:
        if entry.sample_font is not None:
            from segan_core.glyphs.render import FontRenderer

            renderer = FontRenderer(entry.sample_font)
            for char in (SAMPLE_CHAR, "书", "天"):
                image, why = renderer.render_checked(char, size)
                if image is not None and why is None:
                    return image
        if entry.sample_image is not None:
            from segan_core.data.images import load_glyph_image

            return load_glyph_image(entry.sample_image, size)
    except SeganError:
        return None
    return None


def licences() -> list[tuple[str, str, str]]:
    """(what, licence, text or note) for every bundled font and style model."""
    from segan_core.resources import FONTS_DIR

    rows: list[tuple[str, str, str]] = []
    for path in sorted(FONTS_DIR.glob("*.LICENSE.txt")):
        name = path.name.removesuffix(".LICENSE.txt")
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        rows.append((f"Font: {name}", first, text))
    for style in load_styles():
        state = "model bundled" if style.has_model else "no model bundled yet"
        rows.append((f"Style: {style.display_name} ({style.target_font})", style.licence, state))
    return rows
