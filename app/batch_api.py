"""The Batch view's adapter to ``segan_core.batch`` (the whole-charset export job).

Turns the form's values into a :class:`~segan_core.batch.BatchRequest`, runs
:func:`~segan_core.batch.export_font`, and reads what the view shows out of the
:class:`~segan_core.batch_report.BatchReport` (font files, skipped characters, the glyphs the
quality gate flagged with their cached bitmaps).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from app.settings import data_dir
from segan_core.batch import BatchRequest, BatchResult, cache_key, export_font, open_source
from segan_core.cache import GlyphCache
from segan_core.errors import OutputError
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.fontbuild.naming import FontNames
from segan_core.jobs import CancelToken, Progress

SMALL_JOB = 400  # below this many characters, trace in the worker thread (no process pool start-up)


def cache_dir() -> Path:
    return data_dir() / "glyph-cache"


def quality_gate_available() -> bool:
    from segan_core.recognizer import quality_gate_available as available

    return available()


def _gate(chars, images) -> dict[str, str]:
    from segan_core.recognizer import misread

    return misread(chars, images)


def font_file_name(family: str) -> str:
    stem = re.sub(r"[^\w\-]+", "", family.replace(" ", "-"), flags=re.UNICODE).strip("-")
    return stem or "segan-font"


def make_request(*, style: str, chars: tuple[str, ...], out: Path, formats: tuple[str, ...], family: str,
                 version: str, quality_gate: bool, non_han: tuple[str, ...] = (),
                 workers: int | None = None, names: FontNames | None = None,
                 layout: GlyphLayout | None = None) -> BatchRequest:
    """``style``: a style reference, as the catalogue keys it (``style:ID``, ``dir:PATH``) or ``font:PATH``; the
    core opens it (:func:`segan_core.style_source.open_style`)."""
    if out.exists() and not out.is_dir():
        raise OutputError(f"the output location is a file, not a folder: {out}")
    main = out / f"{font_file_name(family)}.{formats[0]}"
    return BatchRequest(
        source=style,
        chars=chars,
        out=main,
        formats=formats,
        family=family,
        version=version,
        names=names or FontNames(),
        workers=workers if workers is not None else (0 if len(chars) < SMALL_JOB else 2),
        cache_dir=cache_dir(),
        quality_gate=_gate if quality_gate else None,
        drop_unreadable=False,
        non_han=non_han,
        layout=layout or GlyphLayout(),
    )


NAME_FIELDS = ("family_zh", "designer", "designer_url", "vendor_id", "copyright", "licence", "licence_url",
               "description")  # FontNames fields, in the order the form shows them


def make_names(values: dict[str, str]) -> FontNames:
    """The form's name fields as :class:`FontNames`; a bad value (a 3-letter vendor ID) is one-line OutputError."""
    try:
        return FontNames(**{key: values.get(key, "") for key in NAME_FIELDS})
    except ValueError as exc:
        raise OutputError(f"invalid font naming: {exc}") from None


def run(
    request: BatchRequest, regenerate: tuple[str, ...] = (), cancel: CancelToken | None = None
) -> Iterator[Progress]:
    """Worker side: forget the cached glyphs to regenerate (if any), then export."""
    if regenerate:  # open the style once: for the cache's name and for the export
        request = dataclasses.replace(request, source=open_source(request))
        forget(request, regenerate)
    return (yield from export_font(request, cancel))


def forget(request: BatchRequest, chars: tuple[str, ...]) -> None:
    """Drop the cached bitmaps and outlines of ``chars`` so the next export makes them afresh (in the cache
    the export uses: with the style's second stage and the writer's glyphs, :func:`segan_core.batch.cache_key`)."""
    identity, trace_key = cache_key(request)
    with GlyphCache(request.cache_dir or cache_dir(), identity, trace_key) as cache:
        cache.forget(chars)


def summary(result: BatchResult) -> str:
    report = result.report
    files = ", ".join(p.name for p in result.paths.values())
    gate = report.quality_gate
    flagged_note = f", {gate.count} flagged by the quality gate" if gate is not None else ""
    return (f"Wrote {files} in {result.paths and next(iter(result.paths.values())).parent}: "
            f"{report.hanzi_written} of {report.requested} Hanzi, {len(report.skipped)} skipped"
            f"{flagged_note}; {report.total_seconds:.1f} s. Report: {result.report_paths[1].name}")


def font_files(result: BatchResult) -> list[Path]:
    return list(result.paths.values())


def skipped(result: BatchResult) -> dict[str, str]:
    return dict(result.report.skipped)


def flagged(result: BatchResult) -> list[tuple[str, str, np.ndarray | None]]:
    """(char, reason, cached glyph image or None) for each glyph the quality gate flagged."""
    report = result.report
    if report.quality_gate is None or not report.quality_gate.unreadable:
        return []
    unreadable = report.quality_gate.unreadable
    images: dict[str, np.ndarray | None] = {}
    try:
        cache = report.open_cache()
        if cache is not None:
            with cache:
                images = {c: cache.get_bitmap(c, report.source.image_size) for c in unreadable}
    except (OutputError, ValueError):
        images = {}
    return [(char, report.quality_gate.reading(char), images.get(char)) for char in unreadable]
