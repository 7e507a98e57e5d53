"""The Batch view's adapter to ``segan_core.batch`` (the whole-charset export job).

Kept apart so the view does not depend on the job's exact request/report shapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from segan_core.errors import SeganError
from segan_core.jobs import CancelToken, Progress


def _batch():
    try:
        from segan_core import batch
    except ModuleNotFoundError as exc:
        if exc.name == "segan_core.batch":
            raise SeganError("batch export is not available in this build (segan_core.batch is missing)") from None
        raise
    return batch


def make_request(*, style: str, chars: tuple[str, ...], out: Path, formats: tuple[str, ...], family: str,
                 style_name: str, version: str, designer: str, copyright: str, licence: str, resume: bool,
                 device: str, regenerate: tuple[str, ...] = ()) -> Any:
    _batch()
    raise SeganError("batch export: API not wired yet")


def run(request: Any, cancel: CancelToken | None = None) -> Iterator[Progress]:
    return (yield from _batch().export_font(request, cancel))


def summary(report: Any) -> str:
    return str(report)


def font_files(report: Any) -> list[Path]:
    return []


def skipped(report: Any) -> dict[str, str]:
    return {}


def flagged(report: Any) -> list[tuple[str, str, Any]]:
    return []
