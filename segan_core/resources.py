"""Where the files that ship with Segan Studio live, and where fonts and models are looked up.

The repository keeps them in the top-level folders ``resources/`` (style registry, source font) and
``models/`` (the bundled style models, the skeleton GAN, the evaluator). A checkout (an editable
install, or ``PYTHONPATH`` pointing at the repository) reads them there. A built wheel carries them
as the data packages ``segan_core._bundled.resources`` and ``segan_core._bundled.models``
(pyproject.toml maps the two folders onto them) and reads them through :mod:`importlib.resources`;
a PyInstaller bundle holds the same layout next to its frozen ``segan_core``.
"""

from __future__ import annotations

import importlib.resources
import os
from pathlib import Path

from segan_core.errors import FontError

PROJECT_ROOT = Path(__file__).resolve().parent.parent  # the checkout, when running from one
MODEL_FILES = ("config.json", "weights.safetensors")


def _in_checkout() -> bool:
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "resources" / "styles.toml").is_file()


IN_CHECKOUT = _in_checkout()


def _shipped(name: str) -> Path:
    """The folder ``name`` (``resources``, ``models`` or ``docs``) of this installation."""
    if IN_CHECKOUT:
        return PROJECT_ROOT / name
    # installed from a wheel or frozen: the data package inside segan_core (a plain folder on disk)
    return Path(str(importlib.resources.files("segan_core").joinpath("_bundled", name)))


RESOURCES_DIR = _shipped("resources")
FONTS_DIR = RESOURCES_DIR / "fonts"
BUNDLED_MODELS_DIR = _shipped("models")
SOURCE_FONT = FONTS_DIR / "ARPL-KaitiM-GB.ttf"
APP_ICON = RESOURCES_DIR / "icons" / "segan-studio.png"  # tools/make_icon.py draws it
# the user manual the app's Help menu shows (docs/gui.md and its screenshots; the wheel's data package "docs")
MANUAL = _shipped("docs") / "gui.md"
SHARED_FONTS_DIR = PROJECT_ROOT.parent / "shared" / "fonts"  # developers' and CI's brush fonts beside a checkout


def font_search_path() -> list[Path]:
    """Folders searched for a relative font path, first hit wins."""
    extra = [Path(p) for p in os.environ.get("SEGAN_FONT_PATH", "").split(os.pathsep) if p]
    return [FONTS_DIR, *extra, *([SHARED_FONTS_DIR] if IN_CHECKOUT else [])]


def find_font(relative: str) -> Path:
    """Resolve ``brush/Foo.ttf`` (or a bare file name) against :func:`font_search_path`."""
    candidate = Path(relative)
    if candidate.is_absolute():
        if candidate.is_file():
            return candidate
        raise FontError(f"font file not found: {candidate}")
    for folder in font_search_path():
        for path in (folder / candidate, folder / candidate.name):
            if path.is_file():
                return path
    searched = ", ".join(str(p) for p in font_search_path())
    raise FontError(f"font {relative} not found (searched {searched}; set SEGAN_FONT_PATH)")


def models_path() -> list[Path]:
    """Folders searched for a model by name: those of ``$SEGAN_MODELS_DIR`` (``os.pathsep``-separated)
    first, then the bundled models, which stay reachable whatever the variable holds."""
    extra = [Path(p).expanduser() for p in os.environ.get("SEGAN_MODELS_DIR", "").split(os.pathsep) if p]
    return [*extra, BUNDLED_MODELS_DIR]


def is_model_folder(folder: Path | str | None) -> bool:
    """The one rule of "is this a model folder?": both model files are there (no parsing: cheap enough for
    listings). :class:`~segan_core.model_folder.ModelFolder` reads, checks and describes what they hold."""
    return folder is not None and all((Path(folder) / name).is_file() for name in MODEL_FILES)


def find_model(name: str) -> Path | None:
    """The first folder ``<dir>/<name>`` holding a model along :func:`models_path`, or ``None``."""
    for folder in models_path():
        if is_model_folder(folder / name):
            return folder / name
    return None


def model_dir(name: str) -> Path:
    """Where model ``name`` is: the first hit along :func:`models_path`, else where the bundle would hold it."""
    return find_model(name) or BUNDLED_MODELS_DIR / name
