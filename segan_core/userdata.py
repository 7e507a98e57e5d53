"""Where a user's own files live: trained styles, datasets, logs. One place for the CLI and the app.

The platform's data folder (platformdirs: ``~/.local/share/segan-studio`` on Linux,
``%LOCALAPPDATA%\\segan-studio`` on Windows, ``~/Library/Application Support/segan-studio`` on macOS),
or ``$SEGAN_STUDIO_HOME`` when set (tests and portable installs). Styles a user trains go to
``<data>/models/<name>/`` and show up in ``segan styles list``, ``segan batch --style NAME`` and the app.
"""

from __future__ import annotations

import os
import re
import tempfile
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
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"the user data folder {folder} is a file, not a folder (move it away, or set "
                          "SEGAN_STUDIO_HOME to a folder)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the user data folder {folder}: {exc.strerror or exc}") from None
    return folder


def _writable(folder: Path) -> None:
    """A probe file created and removed in ``folder``: the one check that holds for root and ACLs too."""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".segan-probe-"):
            pass
    except OSError as exc:
        raise OutputError(f"cannot write in the user data folder {folder}: {exc.strerror or exc} (make it writable, "
                          "or set SEGAN_STUDIO_HOME to a writable folder)") from None


def check_data_folder(files: tuple[str, ...] = ()) -> Path:
    """The user data folder, checked usable before anything relies on it: a folder (made if missing) that can be
    written in, with writable ``models/`` and ``datasets/``, and each of ``files`` (the app's log and settings)
    absent or a regular writable file. An :class:`OutputError` naming the folder or file otherwise; nothing the
    user has is changed (the probe files are removed)."""
    folder = data_dir()
    _writable(folder)
    for name in files:
        path = folder / name
        if path.is_symlink() or path.exists():
            if not path.is_file():
                raise OutputError(f"{path} is not a file (a folder or a broken link?): move it away")
            try:
                with open(path, "ab"):
                    pass
            except OSError as exc:
                raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    for sub in (user_models_dir(), datasets_dir()):  # made only once the files are known good
        _writable(sub)
    return folder
