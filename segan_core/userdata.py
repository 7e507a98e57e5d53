"""Where a user's own files live: trained styles, datasets, logs. One place for the CLI and the app.

The platform's data folder (platformdirs: ``~/.local/share/segan-studio`` on Linux,
``%LOCALAPPDATA%\\segan-studio`` on Windows, ``~/Library/Application Support/segan-studio`` on macOS),
or ``$SEGAN_STUDIO_HOME`` when set (tests and portable installs). Styles a user trains go to
``<data>/models/<name>/`` and show up in ``segan styles list``, ``segan batch --style NAME`` and the app.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import platformdirs

from segan_core.errors import OutputError

APP_NAME = "segan-studio"


def data_dir() -> Path:
    """The user's Segan Studio folder (created on first use)."""
    override = os.environ.get("SEGAN_STUDIO_HOME")
    folder = Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    return _made(folder)


def user_models_dir() -> Path:
    """Styles the user trained (fine-tuned or from scratch): one model folder each."""
    return _made(data_dir() / "models")


def datasets_dir() -> Path:
    return _made(data_dir() / "datasets")


def logs_dir() -> Path:
    return _made(data_dir() / "logs")


def safe_name(name: str) -> str:
    """A style name as a folder name: letters, digits, CJK, ``-`` and ``_``; the rest becomes ``-``."""
    cleaned = re.sub(r"[^\w\-]+", "-", name.strip(), flags=re.UNICODE).strip("-.")
    return cleaned[:64]


def user_model_path(name: str) -> Path:
    """``<data>/models/<safe name>``; a clear error for a name with nothing usable in it."""
    folder = safe_name(name)
    if not folder:
        raise OutputError(f"style name {name!r} has no letters or digits to name a folder with")
    return user_models_dir() / folder


def _made(folder: Path) -> Path:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the user data folder {folder}: {exc.strerror or exc}") from None
    return folder
