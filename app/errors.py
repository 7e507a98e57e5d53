"""The one place that shows errors to the user (and writes them to the log file).

A :class:`~segan_core.errors.SeganError` carries a one-line message meant for users: it is shown
as is. Anything else is a bug: the dialog says so in one line and keeps the exception's class name and
traceback under "Show Details..." and in the log, never in the main text.
"""

from __future__ import annotations

import logging
import traceback

from PySide6.QtWidgets import QMessageBox, QWidget

from segan_core.errors import SeganError

log = logging.getLogger("segan_studio")


class ErrorBox(QMessageBox):
    """The error dialog (tests replace :meth:`exec` to capture it instead of blocking)."""

    def __init__(self, parent: QWidget | None, title: str, message: str, details: str = "") -> None:
        super().__init__(parent)
        self.setIcon(QMessageBox.Icon.Warning)
        self.setWindowTitle(title)
        self.setText(message)
        if details:
            self.setDetailedText(details)
        self.setStandardButtons(QMessageBox.StandardButton.Ok)


def user_message(error: BaseException) -> tuple[str, str]:
    """(one-line message, details) for an exception."""
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    if isinstance(error, SeganError):
        return str(error) or "The operation failed; the details are in the log file", details
    if isinstance(error, OSError):
        where = f": {error.filename}" if getattr(error, "filename", None) else ""
        return f"{error.strerror or error}{where}", details
    first = str(error).splitlines()[0].strip() if str(error).strip() else ""
    what = f" ({first})" if first and not _looks_raw(first) else ""
    return f"Unexpected error{what}; the details are in the log file", details


def _looks_raw(text: str) -> bool:
    """A message that is only an exception's repr-like text ("'key'", "None", "42"): no help to a user."""
    return text[:1] in "'\"(<[{" or text in ("None", "True", "False") or text.replace(".", "").isdigit()


def show_error(parent: QWidget | None, error: BaseException | str, title: str = "Segan Studio") -> None:
    """Log ``error`` and show it in a modal dialog."""
    if isinstance(error, BaseException):
        message, details = user_message(error)
        if isinstance(error, SeganError):
            log.warning("%s: %s", title, message)
        else:
            log.error("%s: %s\n%s", title, message, details)
    else:
        message, details = error, ""
        log.warning("%s: %s", title, message)
    ErrorBox(parent, title, message, details).exec()
