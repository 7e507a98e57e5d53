"""The style registry (``resources/styles.toml``), the style catalogue and style references.

The catalogue (:func:`style_catalogue`) is the one list of the styles a user can pick, for ``segan styles
list`` and the app's pickers alike: the bundled styles (with or without a model), then the styles the user
trained, then the models that ``$SEGAN_MODELS_DIR`` adds, then folders the app opened. Each
:class:`StyleEntry` is keyed by its style reference, which :func:`segan_core.style_source.open_style` opens.

A style is referred to one way everywhere (the CLI's ``--style``/``--model``, the app's pickers,
``segan eval``): :func:`parse_style_ref` turns the text into a :class:`StyleRef`::

    style:ID    a bundled style id, or the name of a style the user trained
    dir:PATH    a model folder
    font:PATH   a real font's own glyphs (batch export, evaluation)
    preset:NAME a training recipe (the Train view's starting point)
    NAME|PATH   bare: a folder that exists is ``dir``, anything else a style name
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, get_args

from segan_core.errors import FontError, OutputError, SeganError, StyleError
from segan_core.model_folder import ModelFolder
from segan_core.resources import RESOURCES_DIR, find_font, is_model_folder, model_dir, models_path
from segan_core.userdata import safe_name, user_models_dir

SCRIPT_TYPES = ("kai-brush", "running", "cursive", "handwriting")
# the bundled bases a new writer's fit may start from (segan train finetune --base, the app's New calligrapher)
BASES = ("many-hands",)
# model folders that ship beside the styles but are not styles
NOT_STYLES = ("skeleton-gan", "evaluator", *BASES)


@dataclass(frozen=True)
class Style:
    id: str
    display_name: str
    script: str
    target_font: str
    licence: str
    model: str

    @property
    def model_dir(self) -> Path:
        """The first ``<folder>/<model>`` along $SEGAN_MODELS_DIR's folders and the bundled models."""
        return model_dir(self.model)

    @property
    def has_model(self) -> bool:
        return is_model_folder(self.model_dir)

    def font_path(self) -> Path | None:
        """The target font file, or ``None`` where it is not installed."""
        try:
            return find_font(self.target_font)
        except FontError:
            return None

    def metrics(self) -> dict:
        """The model's measured metrics (``metrics.json``), empty if none."""
        return _json_object(self.model_dir / "metrics.json")


def _json_object(path: Path) -> dict[str, Any]:
    """A JSON object file read leniently: empty when it is missing, unreadable or not an object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


STYLES_FILE = RESOURCES_DIR / "styles.toml"


def load_styles(path: Path | None = None) -> list[Style]:
    """The registry's styles, from ``path`` (default: the bundled ``styles.toml``)."""
    path = path or STYLES_FILE
    with open(path, "rb") as handle:
        data = tomllib.load(handle)
    styles = []
    for entry in data.get("style", []):
        style = Style(**entry)
        if style.script not in SCRIPT_TYPES:
            raise StyleError(f"style {style.id}: unknown script type {style.script!r} in {path}")
        styles.append(style)
    return styles


def find_target_font(file_name: str) -> Path:
    """A dataset's target font by the file name its manifest records: on the font search path, or as the
    target font of a registered style (``brush/MaShanZheng-Regular.ttf`` is found as ``MaShanZheng-Regular.ttf``)."""
    try:
        return find_font(file_name)
    except FontError:
        for style in load_styles():
            if Path(style.target_font).name == file_name:
                path = style.font_path()
                if path is not None:
                    return path
    raise FontError(f"the dataset's target font {file_name} was not found on the font search path or among the "
                    "styles' fonts; pass it with --target-font PATH")  # fmt: skip


def get_style(style_id: str) -> Style:
    for style in load_styles():
        if style.id == style_id:
            return style
    known = ", ".join(s.id for s in load_styles())
    raise StyleError(f"unknown style {style_id!r}; known styles: {known}")


def user_styles() -> list[Path]:
    """Model folders beyond the registry's: the styles the user trained (``segan train finetune``, the
    app's Train view) in the user data folder, then the models in ``$SEGAN_MODELS_DIR``'s folders that
    no registry style names (the skeleton GAN and the evaluator are not styles and stay out)."""
    found = sorted(p for p in user_models_dir().iterdir() if is_model_folder(p))
    taken = {p.name for p in found} | {s.model for s in load_styles()} | set(NOT_STYLES)
    for folder in models_path()[:-1]:  # the last one is the bundled models, all named in the registry
        if not folder.is_dir():
            continue
        for path in sorted(folder.iterdir()):
            if path.name not in taken and is_model_folder(path) and ModelFolder(path).describe().is_style:
                found.append(path)
                taken.add(path.name)
    return found


def find_style_model(name: str) -> Path:
    """The model folder of a bundled style id or of a style the user trained; a clear error otherwise."""
    for style in load_styles():
        if style.id == name:
            if not style.has_model:
                raise StyleError(
                    f"style {style.id} has no trained model yet (expected {style.model_dir}); "
                    f"train one, or export a font's own glyphs with --style font:PATH"
                )
            return style.model_dir
    for folder in user_styles():
        if folder.name == name:
            return folder
    known = [s.id for s in load_styles() if s.has_model] + [p.name for p in user_styles()]
    raise StyleError(f"unknown style {name!r}; styles with a model: {', '.join(known)}")


RefKind = Literal["style", "dir", "font", "preset"]
REF_KINDS: tuple[RefKind, ...] = get_args(RefKind)


@dataclass(frozen=True)
class StyleRef:
    """A parsed style reference: what ``kind`` of thing ``value`` names (see the module docstring)."""

    kind: RefKind
    value: str
    explicit: bool = False  # written with its ``kind:`` prefix

    @property
    def path(self) -> Path:
        return Path(self.value).expanduser()

    @property
    def key(self) -> str:
        """The prefixed form (``style:ID``, ``dir:PATH``, ...), as the app stores it."""
        return f"{self.kind}:{self.value}"


def parse_style_ref(spec: str) -> StyleRef:
    """``kind:VALUE`` for the four kinds; a bare folder that exists is ``dir``, anything else ``style``."""
    kind, sep, value = spec.partition(":")
    if sep and kind in REF_KINDS:
        return StyleRef(kind, value, explicit=True)  # type: ignore[arg-type]  # checked against REF_KINDS
    return StyleRef("dir" if Path(spec).expanduser().is_dir() else "style", spec)


def model_folder(spec: str | StyleRef) -> Path:
    """A style reference -> its model folder: a folder holding a model, or a bundled or user style's name."""
    ref = parse_style_ref(spec) if isinstance(spec, str) else spec
    if ref.kind == "dir":
        return ModelFolder(ref.path).validate(StyleError, "style model folder").path
    if ref.kind != "style":
        raise StyleError(f"{ref.key} names a {ref.kind}, not a style with a model")
    return find_style_model(ref.value)


def base_folder(spec: str | StyleRef) -> Path:
    """What a fine-tune starts from: a bundled base (:data:`BASES`, e.g. ``many-hands``), or any style model
    (:func:`model_folder`). The bases are not styles: ``segan batch --style many-hands`` is refused."""
    if isinstance(spec, str) and spec in BASES:
        folder = model_dir(spec)
        if not is_model_folder(folder):
            raise StyleError(f"the base {spec} has no model here (expected {folder})")
        return folder
    return model_folder(spec)


def bundled_bases() -> list[tuple[str, Path]]:
    """The bundled bases that are here, as (name in words, model folder): what the app offers before the styles."""
    found = []
    for name in BASES:
        folder = model_dir(name)
        if is_model_folder(folder):
            fonts = len(_json_object(folder / "config.json").get("data", {}).get("datasets", []))
            found.append((f"{name.replace('-', ' ').capitalize()} ({fonts} fonts)", folder.resolve()))
    return found


def check_style_name(name: str) -> str:
    """The folder name of a new user style called ``name`` (:func:`safe_name`), refused when it is empty or would
    shadow a bundled style or model: ``--style ma-shan-zheng`` always means the bundled one, so a user style of
    that name could be trained but never used. Compared case-insensitively (macOS and Windows folders are)."""
    folder = safe_name(name)
    if not folder:
        raise OutputError(f"style name {name!r} has no letters or digits to name a folder with")
    bundled = {s.id for s in load_styles()} | {s.model for s in load_styles()} | set(NOT_STYLES)
    clash = next((b for b in sorted(bundled) if b.casefold() == folder.casefold()), None)
    if clash is not None:
        kind = "model" if clash in NOT_STYLES else "style"
        raise StyleError(f"style name {name!r} is taken by the bundled {kind} {clash} (--style {clash} always means "
                         "the bundled one); choose another name")
    return folder


# -- the catalogue: every style a user can pick ------------------------------------------------------

SAMPLE_CHAR = "永"  # the character a style's sample glyph shows
ORIGINS = ("bundled", "trained", "added", "opened")  # the registry; the user's; $SEGAN_MODELS_DIR's; opened in the app


@dataclass(frozen=True)
class StyleEntry:
    """One style of the catalogue."""

    key: str  # its style reference: "style:<id>" for a bundled style, "dir:<path>" for a model folder
    name: str
    script: str  # kai-brush / running / cursive / handwriting, or "user model"
    origin: str  # one of ORIGINS
    model_dir: Path | None
    licence: str = ""
    sample_font: Path | None = None  # the style's own font, where installed (the sample glyph comes from it) ...
    sample_image: Path | None = None  # ... or an image of a glyph in that style
    state: str = ""  # a user model's state: "trained", "draft" (reads too little) or "stopped" (a run cut short)
    base: str = ""  # a fine-tuned style: the style it was fitted from (its style.json)

    @property
    def available(self) -> bool:
        return self.model_dir is not None and is_model_folder(self.model_dir)

    @property
    def status(self) -> str:
        return "ready" if self.available else "no model yet"

    def label(self) -> str:
        """Two lines for a picker: the name, then the script and what state the style is in."""
        state = "no model yet" if not self.available else ("" if self.origin == "bundled" else self.origin)
        if self.available and self.state in ("draft", "stopped"):
            state = "draft: reads too little, train longer" if self.state == "draft" else "stopped early, resumable"
        return f"{self.name}\n{self.script}" + (f" · {state}" if state else "")

    def metrics(self) -> dict[str, Any]:
        """The model's measured metrics (``metrics.json``, written by ``segan eval --write-metrics``), empty if none."""
        return _json_object(self.model_dir / "metrics.json") if self.model_dir is not None else {}


def style_catalogue(extra: Sequence[str | Path] = ()) -> list[StyleEntry]:
    """Every style a user can pick, once each: the bundled styles (registry order, with or without a model), the
    styles the user trained, the models ``$SEGAN_MODELS_DIR`` adds (:func:`user_styles`), then the ``extra``
    model folders (those the app opened); folders that hold no style model (a skeleton GAN, a many-hands base) are
    left out."""
    entries: list[StyleEntry] = []
    seen: set[Path] = set()
    for style in load_styles():
        entries.append(StyleEntry(StyleRef("style", style.id).key, style.display_name, style.script, "bundled",
                                  style.model_dir, style.licence, style.font_path()))  # fmt: skip
        seen.add(style.model_dir.resolve())
    mine = user_models_dir().resolve()
    found = [(folder, "trained" if folder.parent.resolve() == mine else "added") for folder in user_styles()]
    for folder, origin in [*found, *((Path(raw), "opened") for raw in extra)]:
        entry = model_entry(folder, origin)
        if entry is not None and entry.model_dir not in seen:
            entries.append(entry)
            seen.add(entry.model_dir)  # resolved
    return entries


def model_entry(folder: Path, origin: str) -> StyleEntry | None:
    """The entry of a style model folder (SE-GAN or the zi2zi baseline), or None (not a model, or not a style)."""
    model = ModelFolder(folder)
    if not is_model_folder(model.path):
        return None
    info = model.describe()
    if not info.is_style:
        return None
    folder = model.path.resolve()
    name = info.target_name if info.target_name == model.path.name else f"{model.path.name} ({info.target_name})"
    if info.kind == "baseline":
        name += " · zi2zi baseline"
    base = _json_object(folder / "style.json").get("base")
    return StyleEntry(StyleRef("dir", str(folder)).key, name, "user model", origin, folder,
                      sample_font=_sample_font(info.target), sample_image=_sample_image(info.target),
                      state=user_model_state(folder),
                      base=str(base.get("spec", "")) if isinstance(base, dict) else "")  # fmt: skip


def _sample_font(target: dict[str, Any]) -> Path | None:
    """The font a model was trained towards, where it is installed."""
    if not target.get("file"):
        return None
    try:
        return find_font(str(target["file"]))
    except SeganError:
        return None


def _sample_image(target: dict[str, Any]) -> Path | None:
    """A glyph image of the folder a model was trained towards (its sample character's, else the first)."""
    images = Path(str(target["folder"])) if target.get("folder") else None
    if images is None or not images.is_dir():
        return None
    candidates = [images / f"{SAMPLE_CHAR}.png", *sorted(images.glob("*.png"))[:1]]
    return next((p for p in candidates if p.is_file()), None)


def user_model_state(folder: Path) -> str:
    """"draft" when a fine-tune's verdict says it reads too little, "stopped" for a run cancelled before its budget
    (its config.json says so), "trained" otherwise."""
    verdict = _json_object(Path(folder) / "style.json").get("verdict")
    if isinstance(verdict, dict) and verdict.get("status") == "draft":
        return "draft"
    try:
        config = ModelFolder(folder).raw_config()
    except SeganError:
        return "trained"
    return "stopped" if config.get("stopped_by") == "cancelled" else "trained"
