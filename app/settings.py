"""Where the application keeps its files, and its persisted settings (QSettings).

Everything user-specific lives under one data folder, the same one the CLI uses
(:mod:`segan_core.userdata`: the platform's data folder, or ``$SEGAN_STUDIO_HOME`` when set).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings

from segan_core import userdata

DEVICES = ("auto", "cpu", "cuda")


def data_dir() -> Path:
    return userdata.data_dir()


def user_models_dir() -> Path:
    return userdata.user_models_dir()


def datasets_dir() -> Path:
    return userdata.datasets_dir()


def log_path() -> Path:
    return data_dir() / "segan-studio.log"


RECENT_LIMIT = 10  # File > Open recent


class Settings:
    """Typed access to the persisted settings (an INI file in the data folder)."""

    def __init__(self, path: Path | None = None) -> None:
        self.qsettings = QSettings(str(path or data_dir() / "settings.ini"), QSettings.Format.IniFormat)

    def _get(self, key: str, default: str = "") -> str:
        value = self.qsettings.value(key, default)
        return default if value is None else str(value)

    def _set(self, key: str, value: object) -> None:
        self.qsettings.setValue(key, value)
        self.qsettings.sync()

    # -- generic ------------------------------------------------------------------------------------

    def path(self, key: str, default: str = "") -> str:
        return self._get(f"paths/{key}", default)

    def set_path(self, key: str, value: str | Path) -> None:
        self._set(f"paths/{key}", str(value))

    def text(self, key: str, default: str = "") -> str:
        """A remembered form value (for example the last font names of the Batch & export view)."""
        return self._get(f"values/{key}", default)

    def set_text(self, key: str, value: str) -> None:
        self._set(f"values/{key}", value)

    # -- named ----------------------------------------------------------------------------------------

    @property
    def last_style(self) -> str:
        return self._get("generate/style")

    @last_style.setter
    def last_style(self, value: str) -> None:
        self._set("generate/style", value)

    @property
    def last_text(self) -> str:
        return self._get("generate/text", "永字八法天地玄黄")

    @last_text.setter
    def last_text(self, value: str) -> None:
        self._set("generate/text", value)

    @property
    def device(self) -> str:
        value = self._get("compute/device", "auto")
        return value if value in DEVICES else "auto"

    @device.setter
    def device(self, value: str) -> None:
        self._set("compute/device", value if value in DEVICES else "auto")

    @property
    def threads(self) -> int:
        try:
            return max(0, int(self._get("compute/threads", "0")))
        except ValueError:
            return 0

    @threads.setter
    def threads(self, value: int) -> None:
        self._set("compute/threads", int(value))

    @property
    def extra_models(self) -> list[str]:
        """Model folders the user opened by hand (kept in the style picker)."""
        raw = self._get("models/opened")
        return [p for p in raw.split("\n") if p]

    def add_extra_model(self, folder: str | Path) -> None:
        folders = [p for p in self.extra_models if p != str(folder)]
        folders.append(str(folder))
        self._set("models/opened", "\n".join(folders[-20:]))

    @property
    def recent(self) -> list[str]:
        """Text files and model folders opened lately, newest first (File > Open recent)."""
        return [p for p in self._get("files/recent").split("\n") if p][:RECENT_LIMIT]

    def add_recent(self, path: str | Path) -> None:
        paths = [str(path), *(p for p in self.recent if p != str(path))]
        self._set("files/recent", "\n".join(paths[:RECENT_LIMIT]))

    def clear_recent(self) -> None:
        self._set("files/recent", "")

    def geometry(self) -> bytes | None:
        value = self.qsettings.value("window/geometry")  # a hand-edited settings.ini may hold any text here
        return bytes(value) if isinstance(value, (bytes, bytearray, QByteArray)) and len(value) else None

    def set_geometry(self, value: bytes) -> None:
        self._set("window/geometry", value)
