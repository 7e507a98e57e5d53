"""``import_scans``: scanned template pages -> per-character glyphs, a dataset, a report, a review sheet.

The job (yields :class:`Progress`, checks a :class:`CancelToken`, returns an :class:`ImportReport`):

1. Load the template sidecar and check every input (pictures, PDFs with pages) before any work.
2. For each page picture, in the order given: find its markers and page (:mod:`.registration`),
   cut and clean its cells (:mod:`.cells`). A cell scanned again later replaces the earlier scan,
   and the report says so.
3. Optionally centre and scale each glyph (``normalize``); by default the writer's size and position
   inside the box are kept.
4. Check each cell: empty, ink touching the cut edge, and the label check by the project's
   recognizer (the character must be among its top ``top_k`` candidates; mismatches are flagged,
   never dropped).
   A picture that cannot be registered (a blank page, a page of another template) is skipped and
   named in the report; the import fails only when no picture can be read.
5. Write, all into a temp folder renamed into place at the end (nothing partial):
   ``chars/<char>.png`` (black on white, ``image_size`` px), ``report.json``, ``review-N.png`` and,
   unless disabled, ``dataset/`` built by the project's dataset builder from ``chars/``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from segan_core.atomic import atomic_dir
from segan_core.charset import is_han
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.data.store import MANIFEST_FILE, manifest_hash
from segan_core.errors import InputFileError, SeganError
from segan_core.glyphs.cleanup import normalize_placement
from segan_core.glyphs.render import from_paper, to_paper
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.outputs import Legacy, OutputKind, check_output_dir, resolve
from segan_core.resources import SOURCE_FONT
from segan_core.scans.cells import CellImage, cut_page
from segan_core.scans.pages import check_inputs, read_pages
from segan_core.scans.registration import register_page
from segan_core.scans.review import PER_SHEET, contact_sheets
from segan_core.scans.template import Template, load_template

REPORT_FORMAT = "segan-scan-import"
# the names an import writes (SCAN_IMPORT owns them); the review and the app read them from here
REPORT_FILE = "report.json"
CHARS_DIR = "chars"  # chars/<char>.png
DATASET_DIR = "dataset"
SHEET_FILE = "review-{number}.png"  # the review contact sheets, numbered from 1
# written into the import by its review (segan_core.scans.corrections); a new import replaces them
REVIEW_FILE = "review.json"
REVIEWED_DIR = "reviewed"
# a scan import folder; its report.json's format tells it from an evaluation report's report.json
SCAN_IMPORT = OutputKind(
    "scan import folder", "segan-scan-import",
    (REPORT_FILE, CHARS_DIR, DATASET_DIR, SHEET_FILE.format(number="*"), REVIEW_FILE, REVIEWED_DIR),
    (Legacy.with_format(REPORT_FILE, REPORT_FORMAT),),
)  # fmt: skip
STATUS_ORDER = ("empty", "label-mismatch", "touches-border", "duplicate-replaced")
LEGACY_STALE_S = 3600  # a temp folder of an older version's killed import is swept after an hour


@dataclass(frozen=True)
class ImportRequest:
    """What to import and how. ``pages``: pictures and PDFs, in scanning order."""

    pages: tuple[Path, ...]
    template: Path
    out: Path
    image_size: int = 256
    dataset_size: int = 64
    normalize: bool = False
    check_labels: bool = True
    top_k: int = 5
    build_dataset: bool = True
    source: Path = SOURCE_FONT
    overwrite: bool = False  # --out may be a folder that is not a scan import (only the import's names replaced)


@dataclass(frozen=True)
class PageRecord:
    """One page picture as read: its page number (1-based), rotation and marker fit."""

    file: str
    page: int
    rotation_deg: float
    markers: int
    error_mm: float


@dataclass
class CellRecord:
    """The outcome of one cell: where it came from, its status and flags, recognizer candidates."""

    page: int
    cell: int
    char: str
    file: str
    status: str = "ok"
    flags: list[str] = field(default_factory=list)
    candidates: list[tuple[str, float]] = field(default_factory=list)
    ink_fraction: float = 0.0
    replaced: str | None = None


@dataclass(frozen=True)
class SkippedPage:
    """A page picture that could not be registered (blank, another template's, markers hidden) and why."""

    file: str
    reason: str


@dataclass(frozen=True)
class ImportReport:
    """Everything the import found; ``to_json`` is what ``report.json`` holds."""

    template_id: str
    out: Path
    pages: tuple[PageRecord, ...]
    cells: tuple[CellRecord, ...]
    not_scanned: str
    label_check: str
    dataset: dict | None
    skipped: tuple[SkippedPage, ...] = ()

    @property
    def counts(self) -> dict[str, int]:
        counts = {status: 0 for status in ("ok", *STATUS_ORDER)}
        for record in self.cells:
            counts[record.status] = counts.get(record.status, 0) + 1
        return counts | {"cells": len(self.cells), "not_scanned": len(self.not_scanned),
                         "skipped_pages": len(self.skipped)}

    def to_json(self) -> dict:
        return {
            "format": REPORT_FORMAT,
            "template_id": self.template_id,
            "counts": self.counts,
            "label_check": self.label_check,
            "not_scanned": self.not_scanned,
            "pages": [asdict(p) for p in self.pages],
            "skipped_pages": [asdict(p) for p in self.skipped],
            "cells": [asdict(c) for c in self.cells],
            "dataset": self.dataset,
        }


def import_scans(request: ImportRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """The import job (steps in the module docstring); returns an :class:`ImportReport`."""
    cancel = cancel or CancelToken()
    clock = Stopwatch()
    template = load_template(request.template)
    check_output_dir(request.out, SCAN_IMPORT, request.overwrite)  # before the work, not after
    total = check_inputs(request.pages)
    sweep_legacy_imports(request.out)
    pages: list[PageRecord] = []
    skipped: list[tuple[SkippedPage, InputFileError]] = []
    kept: dict[str, Kept] = {}
    for done, picture in enumerate(read_pages(request.pages)):
        cancel.raise_if_cancelled("scan import")
        yield Progress("pages", done, total, message=picture.name, elapsed_s=clock.elapsed)
        try:
            match = register_page(picture.gray, template, picture.name)
        except InputFileError as exc:  # flag the page, import the rest
            skipped.append((SkippedPage(picture.name, str(exc)), exc))
            continue
        pages.append(PageRecord(picture.name, match.page + 1, round(match.rotation_deg, 2), match.markers,
                                round(match.error_mm, 3)))
        for image in cut_page(picture.gray, match, template.page_cells(match.page), request.image_size):
            _keep(kept, image, picture.name, request.normalize)
    yield Progress("pages", total, total, elapsed_s=clock.elapsed)
    if not pages:
        _no_page_read([exc for _, exc in skipped])
    records = [kept[c].record for c in template.chars if c in kept]
    label_check = yield from _check_labels(kept, request, cancel, clock)
    for record in records:
        record.status = next((s for s in STATUS_ORDER if s in record.flags), "ok")
    not_scanned = "".join(c for c in template.chars if c not in kept)
    report = ImportReport(template.template_id, request.out, tuple(pages), tuple(records), not_scanned, label_check,
                          None, tuple(page for page, _ in skipped))
    return (yield from _write(report, kept, template, request, cancel, clock))


def _no_page_read(errors: list[InputFileError]) -> None:
    """Every picture was skipped: the one reason, or the first and how many more."""
    if len(errors) == 1:
        raise errors[0]
    raise InputFileError(f"none of the {len(errors)} page pictures could be read; the first: {errors[0]}")


def sweep_legacy_imports(out: Path | str) -> list[Path]:
    """Delete temp folders that versions before PID-tagged temp names left beside ``out`` when killed.

    Their names are ``.<out>.XXXXXXXX.tmp`` (8 random characters); one is swept when it holds only
    the import's own names and has not changed for ``LEGACY_STALE_S``. Today's temp folders carry the
    writer's PID and :mod:`segan_core.atomic` sweeps those whose writer is gone.
    """
    out = resolve(out)
    pattern = re.compile(re.escape(f".{out.name}.") + r"[a-z0-9_]{8}\.tmp")
    try:
        entries = [e for e in os.scandir(out.parent) if pattern.fullmatch(e.name) and e.is_dir(follow_symlinks=False)]
    except OSError:
        return []
    swept = []
    for entry in entries:
        folder = Path(entry.path)
        try:
            old = time.time() - folder.stat().st_mtime > LEGACY_STALE_S
            ours = all(SCAN_IMPORT.writes(e.name) for e in os.scandir(folder))
        except OSError:
            continue
        if old and ours:
            shutil.rmtree(folder, ignore_errors=True)
            swept.append(folder)
    return swept


@dataclass
class Kept:
    """A cell kept for output: its glyph as PNG bytes (black on white; ``None`` when empty), its record.

    Compressed, a glyph takes ~3 KB instead of 64 KB: a whole-GB2312 import stays small in memory.
    """

    png: bytes | None
    record: CellRecord

    def ink(self) -> np.ndarray:
        return from_paper(cv2.imdecode(np.frombuffer(self.png, np.uint8), cv2.IMREAD_GRAYSCALE))


def _keep(kept: dict[str, Kept], image: CellImage, name: str, normalize: bool) -> None:
    """Record one cut cell; a later scan of the same cell replaces the earlier one."""
    cell = image.cell
    if normalize and not image.empty:
        image = CellImage(cell, normalize_placement(image.ink), image.ink_fraction, image.empty, image.touches_border)
    record = CellRecord(cell.page + 1, cell.index + 1, cell.char, name, ink_fraction=round(image.ink_fraction, 4))
    if image.empty:
        record.flags.append("empty")
    if image.touches_border:
        record.flags.append("touches-border")
    earlier = kept.get(cell.char)
    if earlier is not None:
        record.replaced = earlier.record.file
        record.flags.append("duplicate-replaced")
    png = None if image.empty else cv2.imencode(".png", to_paper(image.ink))[1].tobytes()
    kept[cell.char] = Kept(png, record)


def _check_labels(kept: dict[str, Kept], request: ImportRequest, cancel: CancelToken,
                  clock: Stopwatch) -> Iterator[Progress]:
    """Run the recognizer over the non-empty cells and flag those it does not read as their character.

    Returns a one-line description of what was checked (or why the check was skipped).
    """
    if not request.check_labels:
        return "skipped (--no-label-check)"
    try:
        from segan_core.recognizer import get_recognizer

        recognizer = get_recognizer()
    except SeganError as exc:
        return f"skipped: {exc}"
    chars = [c for c, entry in kept.items() if entry.png is not None]
    checked = 0
    for start in range(0, len(chars), 64):
        cancel.raise_if_cancelled("scan import")
        yield Progress("labels", start, len(chars), elapsed_s=clock.elapsed)
        batch = chars[start:start + 64]
        candidates = recognizer.candidates(np.stack([kept[c].ink() for c in batch]), k=request.top_k)
        for char, top in zip(batch, candidates, strict=True):
            record = kept[char].record
            record.candidates = [(c, round(p, 4)) for c, p in top]
            if recognizer.knows(char):
                checked += 1
                if char not in [c for c, _ in top]:
                    record.flags.append("label-mismatch")
    yield Progress("labels", len(chars), len(chars), elapsed_s=clock.elapsed)
    return f"PP-OCRv4 recognizer, top {request.top_k}; {checked} of {len(chars)} written cells checkable"


def _write(report: ImportReport, kept: dict[str, Kept], template: Template,
           request: ImportRequest, cancel: CancelToken, clock: Stopwatch) -> Iterator[Progress]:
    """Write glyphs, review sheets, dataset and report into a temp folder renamed into place."""
    written = [c for c in template.chars if c in kept and kept[c].png is not None]
    if not written:
        raise InputFileError("no written cell found on the scanned pages: every box is empty")
    unsafe = next((c for c in written if not is_han(c)), None)
    if unsafe is not None:  # a character becomes a file name: never a path
        raise InputFileError(f"template character {unsafe!r} is not a Han character; it cannot name a file")
    with atomic_dir(request.out, SCAN_IMPORT, request.overwrite) as tmp:
        chars_dir = tmp / CHARS_DIR
        chars_dir.mkdir()
        for done, char in enumerate(written):
            if done % 64 == 0:
                cancel.raise_if_cancelled("scan import")
                yield Progress("write", done, len(written), elapsed_s=clock.elapsed)
            (chars_dir / f"{char}.png").write_bytes(kept[char].png)
        for number, start in enumerate(range(0, len(report.cells), PER_SHEET), start=1):
            chunk = report.cells[start:start + PER_SHEET]
            tiles = [(r.char, r.status, None if kept[r.char].png is None else kept[r.char].ink()) for r in chunk]
            contact_sheets(tiles)[0].save(tmp / SHEET_FILE.format(number=number))
        dataset = None
        if request.build_dataset:
            dataset = yield from _build(tmp, request, tuple(written), cancel)
        final = ImportReport(report.template_id, report.out, report.pages, report.cells, report.not_scanned,
                             report.label_check, dataset, report.skipped)
        (tmp / REPORT_FILE).write_text(json.dumps(final.to_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    return final


def _build(tmp: Path, request: ImportRequest, chars: tuple[str, ...], cancel: CancelToken) -> Iterator[Progress]:
    """The trainer's dataset from ``chars/`` (the project's builder); its manifest names the final folder."""
    build = BuildRequest(source=request.source, out=tmp / DATASET_DIR, chars=chars, size=request.dataset_size,
                         target_dir=tmp / CHARS_DIR)
    manifest = yield from build_dataset(build, cancel)
    manifest["target"]["folder"] = str(Path(request.out).resolve() / CHARS_DIR)
    manifest["manifest_sha256"] = manifest_hash(manifest)
    (tmp / DATASET_DIR / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return {"folder": DATASET_DIR, "size": request.dataset_size, "counts": manifest["counts"],
            "manifest_sha256": manifest["manifest_sha256"]}
