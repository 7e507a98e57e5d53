"""A guard against a reference-counting bug of PySide6 6.12.0 on Python 3.11.

With that combination every call of a Qt method that returns nothing (``QLabel.setText``,
``QFont.setPixelSize``, ``QPainter.setPen`` ...) drops one reference to ``None`` without having
taken it. Before Python 3.12 ``None`` is not immortal, so after a few thousand such calls its count
reaches zero and the interpreter aborts ("none_dealloc: deallocating None"). PySide6 6.11 does not
have the bug (checked with 6.11.3); pinning ``PySide6-Essentials<6.12`` on Python 3.11 is the real fix.

Until then :func:`install` probes for the leak once and, if present, keeps ``None``'s reference count
high, topped up by a timer: the count is raised in place (``ob_refcnt`` is the first field of every
CPython object), so nothing is allocated and nothing is released at exit — spare references held in a
list would be dropped at interpreter shutdown and bring the abort back. On a fixed PySide6 or
Python >= 3.12 it does nothing.
"""

from __future__ import annotations

import ctypes
import sys

from PySide6.QtCore import QCoreApplication, QObject, QTimer

TARGET = 2_000_000  # references to None kept in reserve
CHECK_MS = 200

_timer: QTimer | None = None


def leaks_none() -> bool:
    probe = QObject()
    before = sys.getrefcount(None)
    for _ in range(64):
        probe.setObjectName("probe")
    return sys.getrefcount(None) <= before - 32


def top_up() -> None:
    missing = TARGET - sys.getrefcount(None)
    if missing > TARGET // 4:
        ctypes.c_ssize_t.from_address(id(None)).value += missing


def install() -> bool:
    """Start the guard if this PySide6 leaks references to None; True if it did."""
    global _timer
    if _timer is not None:
        return True
    if sys.version_info >= (3, 12) or not leaks_none():
        return False
    top_up()
    app = QCoreApplication.instance()
    if app is not None:
        _timer = QTimer(app)
        _timer.setInterval(CHECK_MS)
        _timer.timeout.connect(top_up)
        _timer.start()
    return True
