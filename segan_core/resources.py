"""Where the files that ship with Segan Studio live, and where fonts are looked up."""

from __future__ import annotations

import os
from pathlib import Path

from segan_core.errors import FontError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RESOURCES_DIR = PROJECT_ROOT / "resources"
FONTS_DIR = RESOURCES_DIR / "fonts"
MODELS_DIR = Path(os.environ.get("SEGAN_MODELS_DIR", PROJECT_ROOT / "models"))
SOURCE_FONT = FONTS_DIR / "ARPL-KaitiM-GB.ttf"
SHARED_FONTS_DIR = PROJECT_ROOT.parent / "shared" / "fonts"


def font_search_path() -> list[Path]:
    """Folders searched for a relative font path, first hit wins."""
    extra = [Path(p) for p in os.environ.get("SEGAN_FONT_PATH", "").split(os.pathsep) if p]
    return [FONTS_DIR, *extra, SHARED_FONTS_DIR]


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
