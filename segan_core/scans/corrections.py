"""Review corrections of a scan import: fix a cell's label, drop a bad cell, rebuild the dataset.

The import's own files are never changed: ``chars/<char>.png`` stay as the importer wrote them (one
per template cell), and ``report.json`` keeps what the import found. A review is a small state,
``review.json`` (which cell images carry another character, which are dropped), applied by
:func:`apply_review`:

1. check the corrections against the import (every cell named exists, every new label is one Han
   character, no two cells end up as the same character);
2. rebuild ``reviewed/<char>.png`` from ``chars/`` with the corrections (a fresh folder swapped in);
3. write ``review.json``;
4. rebuild ``dataset/`` from ``reviewed/`` with the project's dataset builder.

Applying an empty review gives back the import as it was; applying again replaces the previous review.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from segan_core.atomic import atomic_file
from segan_core.charset import is_han
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.errors import InputFileError, SeganError
from segan_core.jobs import CancelToken, Progress
from segan_core.resources import SOURCE_FONT

REPORT_FORMAT = "segan-scan-import"  # segan_core.scans.importer.REPORT_FORMAT
REVIEW_FORMAT = "segan-scan-review"
REVIEW_FILE = "review.json"
REVIEWED_DIR = "reviewed"
CHARS_DIR = "chars"
DATASET_DIR = "dataset"
DEFAULT_SIZE = 64


@dataclass(frozen=True)
class Review:
    """``relabel``: cell image (the template character it was written for) -> the character it really is;
    ``drop``: cell images left out of the dataset."""

    relabel: dict[str, str] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()

    def to_json(self) -> dict:
        return {"format": REVIEW_FORMAT, "relabel": dict(sorted(self.relabel.items())), "drop": sorted(self.drop)}


def read_report(import_dir: Path | str) -> dict:
    """The import's ``report.json``; one line when the folder is not a scan import."""
    path = Path(import_dir) / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{Path(import_dir)} is not a scan import folder (no report.json)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputFileError(f"{path}: unreadable import report ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != REPORT_FORMAT or not isinstance(data.get("cells"), list):
        raise InputFileError(f"{path}: not a scan import report")
    return data


def load_review(import_dir: Path | str) -> Review:
    """The review saved in ``review.json`` (an empty one when there is none yet)."""
    path = Path(import_dir) / REVIEW_FILE
    if not path.is_file():
        return Review()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        relabel = {str(k): str(v) for k, v in data["relabel"].items()}
        return Review(relabel, frozenset(str(c) for c in data["drop"]))
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputFileError(f"{path}: damaged review file ({exc})") from None


def cell_images(import_dir: Path | str) -> dict[str, Path]:
    """Template character -> its imported glyph image, for every written cell (report order)."""
    import_dir = Path(import_dir)
    report = read_report(import_dir)
    images = {}
    for cell in report["cells"]:
        char = str(cell.get("char", ""))
        path = import_dir / CHARS_DIR / f"{char}.png"
        if path.is_file():
            images[char] = path
    return images


def reviewed_chars(images: Mapping[str, Path], review: Review) -> dict[str, Path]:
    """Final character -> the image that shows it, after the corrections; one-line errors for bad ones."""
    for char in (*review.relabel, *review.drop):
        if char not in images:
            raise SeganError(f"no imported cell image for {char!r}: nothing to relabel or drop")
    for old, new in review.relabel.items():
        if not is_han(new):
            raise SeganError(f"the new label of cell {old} must be one Han character, not {new!r}")
    final: dict[str, Path] = {}
    source: dict[str, str] = {}
    for char, path in images.items():
        if char in review.drop:
            continue
        label = review.relabel.get(char, char)
        if label in final:
            raise SeganError(f"cells {source[label]} and {char} would both be {label}: drop or relabel one of them")
        final[label] = path
        source[label] = char
    if not final:
        raise SeganError("every cell is dropped: nothing left to train on")
    return final


def apply_review(
    import_dir: Path | str,
    relabel: Mapping[str, str],
    drop: set[str] | frozenset[str],
    size: int | None = None,
    source: Path | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Apply the corrections and rebuild the dataset (steps in the module docstring); returns its folder.

    ``size``: the dataset's image size (default: the import's); ``source``: the Kai print font.
    """
    cancel = cancel or CancelToken()
    import_dir = Path(import_dir)
    report = read_report(import_dir)
    review = Review(dict(relabel), frozenset(drop))
    final = reviewed_chars(cell_images(import_dir), review)
    yield Progress("review", 0, len(final), message=f"{len(review.relabel)} relabelled, {len(review.drop)} dropped")
    _write_reviewed(import_dir, final)
    with atomic_file(import_dir / REVIEW_FILE, "w") as handle:
        json.dump(review.to_json() | {"chars": len(final)}, handle, ensure_ascii=False, indent=1)
    yield Progress("review", len(final), len(final))
    cancel.raise_if_cancelled("review")
    dataset = report.get("dataset") if isinstance(report.get("dataset"), dict) else {}
    request = BuildRequest(
        source=source or SOURCE_FONT,
        out=import_dir / DATASET_DIR,
        chars=tuple(final),
        size=size or int(dataset.get("size") or DEFAULT_SIZE),
        target_dir=import_dir / REVIEWED_DIR,
    )
    yield from build_dataset(request, cancel)
    return import_dir / DATASET_DIR


def _write_reviewed(import_dir: Path, final: Mapping[str, Path]) -> None:
    """``reviewed/`` made afresh in a temp folder beside it, then swapped in."""
    target = import_dir / REVIEWED_DIR
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SeganError(f"{target} is not a folder; move it away and apply again")
    tmp = Path(tempfile.mkdtemp(prefix=".reviewed.", suffix=".tmp", dir=import_dir))
    try:
        for char, path in final.items():
            shutil.copyfile(path, tmp / f"{char}.png")
        tmp.chmod(0o755)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=".reviewed.", suffix=".old", dir=import_dir))
            os.replace(target, old / REVIEWED_DIR)
            os.replace(tmp, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
