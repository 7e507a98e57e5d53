"""Asking before a save replaces files the user may care about.

The rule itself lives in :mod:`segan_core.outputs` (the same one the CLI follows); the GUI only adds
the question: where the CLI needs ``--overwrite``, the app asks "Replace?" and passes its answer on.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QMessageBox, QWidget


def confirm_replace(parent: QWidget | None, title: str, message: str) -> bool:
    """Yes/No, No by default: replace what is there?"""
    answer = QMessageBox.question(
        parent,
        title,
        message,
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    return answer == QMessageBox.StandardButton.Yes


def existing(paths: list[Path]) -> list[Path]:
    """The paths that already exist (a save would replace them)."""
    return [p for p in paths if p.exists() or p.is_symlink()]
