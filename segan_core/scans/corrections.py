"""Review corrections of a scan import: fix a cell's label, drop a bad cell, clear a false flag, edit a
glyph, rebuild the dataset.

The import's own files are never changed: ``chars/<char>.png`` stay as the importer wrote them (one
per template cell), and ``report.json`` keeps what the import found. A review is a small state,
``review.json`` (which cell images carry another character, which are dropped, which flags the reviewer
found false — *accepted* —, and hand edits of single glyphs, :mod:`segan_core.scans.cell_edit`),
applied by :func:`apply_review`:

1. check the corrections against the import (every cell named exists, every new label is one Han
   character, no two cells end up as the same character);
2. rebuild ``reviewed/<char>.png`` from ``chars/`` with the corrections, edited glyphs redrawn (a fresh
   folder swapped in);
3. write ``review.json``;
4. rebuild ``dataset/`` from ``reviewed/`` with the project's dataset builder.

Applying an empty review gives back the import as it was; applying again replaces the previous review.
``segan scans review`` applies a corrections file (:func:`read_corrections`: the shape of ``review.json``) on top
of the saved review with the same actions the review grid has (:meth:`Review.updated`), then the same steps.

A cell *needs a decision* (:func:`needs_decision`) while it carries a flag (``touches-border``,
``label-mismatch``, ``duplicate-replaced``) and the reviewer has neither accepted, relabelled nor
dropped it; :func:`review_filters` sorts the cells for the review grid's filter. Every change is a new
immutable :class:`Review`, so :class:`ReviewHistory` gives undo and redo for free.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from segan_core.atomic import atomic_file
from segan_core.charset import is_han
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.errors import InputFileError, SeganError
from segan_core.imageio import read_gray
from segan_core.jobs import CancelToken, Progress
from segan_core.readers import read_json
from segan_core.resources import SOURCE_FONT
from segan_core.scans.cell_edit import CellEdit, apply_edit
from segan_core.scans.importer import (
    CHARS_DIR,
    DATASET_DIR,
    REPORT_FILE,
    REPORT_FORMAT,
    REVIEW_FILE,
    REVIEWED_DIR,
)

REVIEW_FORMAT = "segan-scan-review"
DEFAULT_SIZE = 64
DECISION_FLAGS = frozenset({"touches-border", "label-mismatch", "duplicate-replaced"})
FILTERS = ("decision", "empty", "flagged", "all")  # the review grid's filters (:func:`review_filters`)
MAX_HISTORY = 1000
CORRECTION_KEYS = ("relabel", "drop", "accept", "edits")  # a corrections file's keys (:func:`read_corrections`)
MAX_CORRECTIONS_BYTES = 4 << 20  # a review of every GB2312 cell with an edit each is well under 1 MB


@dataclass(frozen=True)
class Review:
    """``relabel``: cell image (the template character it was written for) -> the character it really is;
    ``drop``: cell images left out of the dataset; ``accept``: flagged cells the reviewer found right as
    they are (a false flag); ``edits``: cell -> its :class:`CellEdit`. A cell is in at most one of
    ``relabel``, ``drop`` and ``accept`` (the methods below keep it so)."""

    relabel: dict[str, str] = field(default_factory=dict)
    drop: frozenset[str] = frozenset()
    accept: frozenset[str] = frozenset()
    edits: dict[str, CellEdit] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"format": REVIEW_FORMAT, "relabel": dict(sorted(self.relabel.items())), "drop": sorted(self.drop),
                "accept": sorted(self.accept), "edits": {c: e.to_json() for c, e in sorted(self.edits.items())}}

    def decided(self, char: str) -> bool:
        """Whether the reviewer has accepted, relabelled or dropped the cell of ``char``."""
        return char in self.accept or char in self.drop or char in self.relabel

    def changed(self, char: str) -> bool:
        return self.decided(char) or char in self.edits

    def relabelled(self, char: str, label: str) -> Review:
        """The cell of ``char`` read as ``label`` (its own character: the relabel is undone)."""
        relabel = {c: v for c, v in self.relabel.items() if c != char}
        if label != char:
            relabel[char] = label
        return Review(relabel, self.drop - {char}, self.accept - {char}, self.edits)

    def dropped(self, chars: Iterable[str], drop: bool = True) -> Review:
        chars = frozenset(chars)
        if not drop:
            return Review(self.relabel, self.drop - chars, self.accept, self.edits)
        relabel = {c: v for c, v in self.relabel.items() if c not in chars}
        return Review(relabel, self.drop | chars, self.accept - chars, self.edits)

    def accepted(self, chars: Iterable[str]) -> Review:
        """The cells are right as written, under their own character: their flags are false."""
        chars = frozenset(chars)
        relabel = {c: v for c, v in self.relabel.items() if c not in chars}
        return Review(relabel, self.drop - chars, self.accept | chars, self.edits)

    def edited(self, char: str, edit: CellEdit | None) -> Review:
        """The cell's glyph with ``edit`` (``None`` or the identity edit: unedited)."""
        edits = {c: e for c, e in self.edits.items() if c != char}
        if edit is not None and not edit.is_identity:
            edits[char] = edit
        return Review(self.relabel, self.drop, self.accept, edits)

    def reset(self, chars: Iterable[str]) -> Review:
        """The cells as the import left them: no relabel, drop, accept or edit."""
        chars = frozenset(chars)
        return Review({c: v for c, v in self.relabel.items() if c not in chars}, self.drop - chars,
                      self.accept - chars, {c: e for c, e in self.edits.items() if c not in chars})

    def updated(self, other: Review) -> Review:
        """``other``'s corrections made on top of these, by the review grid's own actions: each relabel, then the
        drops, the "it is right"s and the edits (a cell of ``other`` loses what this review said of it)."""
        review = self
        for char, label in other.relabel.items():
            review = review.relabelled(char, label)
        review = review.dropped(other.drop).accepted(other.accept)
        for char, edit in other.edits.items():
            review = review.edited(char, edit)
        return review


def needs_decision(char: str, status: str, review: Review) -> bool:
    """A flagged cell (not an empty box) that the reviewer has not accepted, relabelled or dropped yet."""
    return status in DECISION_FLAGS and not review.decided(char)


def review_filters(statuses: Mapping[str, str], review: Review) -> dict[str, tuple[str, ...]]:
    """The cells each of the review grid's ``FILTERS`` shows, in template order: ``decision`` (they need
    one), ``empty`` (blank boxes), ``flagged`` (any flag, or changed in the review), ``all``."""
    return {
        "decision": tuple(c for c, s in statuses.items() if needs_decision(c, s, review)),
        "empty": tuple(c for c, s in statuses.items() if s == "empty"),
        "flagged": tuple(c for c, s in statuses.items() if s != "ok" or review.changed(c)),
        "all": tuple(statuses),
    }


class ReviewHistory:
    """Undo and redo over immutable :class:`Review` states, each with a short description of the action."""

    def __init__(self, review: Review | None = None) -> None:
        self._states: list[tuple[Review, str]] = [(review or Review(), "")]
        self._at = 0

    @property
    def current(self) -> Review:
        return self._states[self._at][0]

    def push(self, review: Review, what: str) -> bool:
        """Make ``review`` current (the redo states are forgotten); False when it changes nothing."""
        if review == self.current:
            return False
        del self._states[self._at + 1:]
        self._states.append((review, what))
        if len(self._states) > MAX_HISTORY:
            del self._states[0]
        self._at = len(self._states) - 1
        return True

    def can_undo(self) -> bool:
        return self._at > 0

    def can_redo(self) -> bool:
        return self._at < len(self._states) - 1

    def undo_text(self) -> str:
        return self._states[self._at][1] if self.can_undo() else ""

    def redo_text(self) -> str:
        return self._states[self._at + 1][1] if self.can_redo() else ""

    def undo(self) -> Review | None:
        if not self.can_undo():
            return None
        self._at -= 1
        return self.current

    def redo(self) -> Review | None:
        if not self.can_redo():
            return None
        self._at += 1
        return self.current


def read_report(import_dir: Path | str) -> dict:
    """The import's ``report.json``; one line when the folder is not a scan import."""
    path = Path(import_dir) / REPORT_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputFileError(f"{Path(import_dir)} is not a scan import folder (no {REPORT_FILE})") from None
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
        if not isinstance(data, dict) or data.get("format") != REVIEW_FORMAT:
            raise ValueError("not a scan review")
        return _review_from(data)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError, SeganError) as exc:
        raise InputFileError(f"{path}: damaged review file ({_one_line(exc)})") from None


def _review_from(data: dict) -> Review:
    """The review in ``review.json``'s data (``accept`` and ``edits`` are optional: older reviews lack them)."""
    relabel = {str(k): str(v) for k, v in _of_type(data["relabel"], dict, "relabel").items()}
    drop = frozenset(str(c) for c in _of_type(data["drop"], list, "drop"))
    accept = frozenset(str(c) for c in _of_type(data.get("accept", []), list, "accept"))
    edits = {str(c): CellEdit.from_json(e) for c, e in _of_type(data.get("edits", {}), dict, "edits").items()}
    return Review(relabel, drop, accept, edits)


def read_corrections(path: Path | str) -> Review:
    """A corrections file (``segan scans review``): a JSON object with any of ``relabel`` (``{cell: character}``),
    ``drop`` and ``accept`` (``[cell, ...]``) and ``edits`` (``{cell: edit}``): the shape of ``review.json``, so a
    saved review is one too. One line naming the file for anything else; a cell in two of relabel, drop and accept
    is refused (which one would win?)."""
    path = Path(path)
    if not path.exists():
        raise InputFileError(f"corrections file not found: {path}")
    data = read_json(path, InputFileError, "corrections file", max_bytes=MAX_CORRECTIONS_BYTES)
    if not isinstance(data, dict):
        raise InputFileError(f"{path}: the corrections must be a JSON object with relabel, drop, accept or edits")
    unknown = sorted(set(data) - {*CORRECTION_KEYS, "format", "chars"})
    if unknown:
        raise InputFileError(f"{path}: unknown key {unknown[0]!r}; the keys are {', '.join(CORRECTION_KEYS)}")
    if data.get("format", REVIEW_FORMAT) != REVIEW_FORMAT:
        raise InputFileError(f"{path}: format {data['format']!r} is not {REVIEW_FORMAT!r}")
    try:
        review = _review_from({"relabel": {}, "drop": []} | data)
    except (ValueError, TypeError, AttributeError, SeganError) as exc:
        raise InputFileError(f"{path}: {_one_line(exc)}") from None
    twice = sorted((set(review.relabel) & review.drop) | (set(review.relabel) & review.accept)
                   | (review.drop & review.accept))
    if twice:
        raise InputFileError(f"{path}: cell {twice[0]} is in more than one of relabel, drop and accept")
    return review


def _of_type(value: object, kind: type, name: str):
    if not isinstance(value, kind):
        raise TypeError(f"{name!r} must be a{'n object' if kind is dict else ' list'}")
    return value


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


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
    for char in (*review.relabel, *review.drop, *review.accept, *review.edits):
        if char not in images:
            raise SeganError(f"no imported cell image for {char!r}: nothing to relabel, drop, accept or edit")
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
    accept: Iterable[str] = (),
    edits: Mapping[str, CellEdit] | None = None,
) -> Iterator[Progress]:
    """Apply the corrections and rebuild the dataset (steps in the module docstring); returns its folder.

    ``size``: the dataset's image size (default: the import's); ``source``: the Kai print font;
    ``accept``: flagged cells found right; ``edits``: hand edits of single glyphs (cell -> edit).
    """
    cancel = cancel or CancelToken()
    import_dir = Path(import_dir)
    report = read_report(import_dir)
    review = Review(dict(relabel), frozenset(drop), frozenset(accept), dict(edits or {}))
    final = reviewed_chars(cell_images(import_dir), review)
    yield Progress("review", 0, len(final), message=f"{len(review.relabel)} relabelled, {len(review.drop)} dropped, "
                   f"{len(review.accept)} accepted, {len(review.edits)} edited")
    _write_reviewed(import_dir, final, _edits_by_label(review))
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


def apply_corrections(
    import_dir: Path | str,
    corrections: Path | str,
    replace: bool = False,
    size: int | None = None,
    source: Path | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """``segan scans review``: the corrections file applied to the import (on top of its saved review, or instead
    of it with ``replace``) and the dataset rebuilt, as the review grid's Apply does; returns the review applied.

    Every cell the file names is checked against the import before anything is written."""
    import_dir = Path(import_dir)
    if not import_dir.is_dir():
        raise InputFileError(f"no scan import folder at {import_dir} (segan scans import writes one)")
    read_report(import_dir)
    wanted = read_corrections(corrections)
    images = cell_images(import_dir)
    for char in (*wanted.relabel, *wanted.drop, *wanted.accept, *wanted.edits):
        if char not in images:
            raise InputFileError(f"{corrections}: cell {char!r} is not an imported cell of {import_dir} "
                                 f"(the cells are the characters of {CHARS_DIR}/<char>.png)")
    try:
        review = wanted if replace else load_review(import_dir).updated(wanted)
    except InputFileError as exc:
        raise InputFileError(f"{exc}; pass --replace to apply the corrections file alone") from None
    yield from apply_review(import_dir, review.relabel, review.drop, size=size, source=source, cancel=cancel,
                            accept=review.accept, edits=review.edits)
    return review


def _edits_by_label(review: Review) -> dict[str, CellEdit]:
    """The edits keyed by the character each edited glyph ends up as (dropped cells left out)."""
    return {review.relabel.get(c, c): e for c, e in review.edits.items() if c not in review.drop}


def edited_glyph(source: Path, edit: CellEdit | None) -> np.ndarray:
    """A cell's glyph image (grey, black ink on white) as the review's ``edit`` redraws it: what the dataset gets
    and what the review's editor previews."""
    gray = read_gray(source)
    return gray if edit is None else (255 - apply_edit(255 - gray, edit)).astype(np.uint8)


def write_edited(source: Path, target: Path, edit: CellEdit) -> None:
    """``source`` (black ink on white) redrawn with ``edit`` into ``target`` (same convention, PNG)."""
    Image.fromarray(edited_glyph(source, edit)).save(target, format="PNG")


def _write_reviewed(import_dir: Path, final: Mapping[str, Path], edits: Mapping[str, CellEdit]) -> None:
    """``reviewed/`` made afresh in a temp folder beside it (edited glyphs redrawn), then swapped in."""
    target = import_dir / REVIEWED_DIR
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise SeganError(f"{target} is not a folder; move it away and apply again")
    tmp = Path(tempfile.mkdtemp(prefix=".reviewed.", suffix=".tmp", dir=import_dir))
    try:
        for char, path in final.items():
            if char in edits:
                write_edited(path, tmp / f"{char}.png", edits[char])
            else:
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
