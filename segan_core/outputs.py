"""Which output folders and files a command may replace: the one rule every command and the app use.

Ownership is proven by content, never by a common file name. Each command declares the kind of output it
writes beside the code that writes it (an :class:`OutputKind`: ``segan_core.data.store.DATASET``,
``segan_core.evaluation.report.EVAL_REPORT``, ``segan_core.training.engine.TRAINING_RUN``, ...); this module
only knows the rule. A command that writes a folder leaves a marker in it, ``segan-<kind>.json``
(:attr:`OutputKind.marker`): JSON whose ``format`` names the output kind (``"segan-eval-report"``; no two
kinds share one), an ``owner`` id made when the folder was first written, and the ``files`` (relative paths)
the command wrote there. The folder is *its previous output* only when that marker parses and its ``format``
is the kind's. Outputs written before markers are recognised by what their own JSON files say
(:class:`Legacy`: a ``report.json`` whose ``format`` is ``"segan-eval-report"`` is an evaluation report's,
one whose ``format`` is ``"segan-scan-import"`` a scan import's; a model ``config.json`` is a training run's
only with the run's ``train_state.json`` beside it); a file merely *named* ``report.json`` or ``config.json``
proves nothing.

A command may write into:

- a path that does not exist yet, or an empty folder;
- its own previous output;
- any other folder only with ``overwrite=True`` (``--overwrite``), and then only beside the files there.

In every case only files the command itself wrote in an earlier run are replaced. A user's file
under a name the command writes (a ``report.json``, a ``glyphs/`` folder with a drawing in it) is
refused with one line naming it, with or without ``--overwrite``; anything else in the folder (a
``thesis.docx``, a ``photos/`` folder) is left alone. A *file* or a symbolic link where a folder
should go is always refused, so nothing is ever hidden or lost.

Single files follow the same rule (:class:`ReportKind`): a JSON report is replaced only when its ``format``
is its command's (``segan eval upscaler --json``: :func:`check_output_json`), and a file that a report lists
as its own output only when that report is its command's (``segan batch --out FONT.ttf`` and the
``FONT.report.json`` beside it: :func:`check_output_file`), or with ``--overwrite`` (the user named that very
file).
"""

from __future__ import annotations

import fnmatch
import json
import os
import uuid
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from segan_core.errors import OutputError

MARKER_VERSION = 1
MAX_MARKER_BYTES = 64 << 20  # a marker listing 100,000 files is ~3 MB; anything far larger is not ours

# what a JSON object must hold, field by field: an exact string, a prefix ("segan-studio*"; "*": any string),
# or None (the field is there, whatever its value)
Fields = tuple[tuple[str, str | None], ...]


def holds(data: object, fields: Fields) -> bool:
    """Whether ``data`` is a JSON object holding every one of ``fields``."""
    if not isinstance(data, dict) or not fields:
        return False
    for key, want in fields:
        if key not in data:
            return False
        value = data[key]
        if want is None:
            continue
        if not isinstance(value, str):
            return False
        if not (value.startswith(want[:-1]) if want.endswith("*") else value == want):
            return False
    return True


@dataclass(frozen=True)
class Legacy:
    """One JSON file of an output written before markers, and what it holds (its ``format`` where it has one)."""

    file: str
    fields: Fields

    @classmethod
    def with_format(cls, file: str, value: str, *more: tuple[str, str | None]) -> Legacy:
        """``file`` holds ``"format": value`` (and ``more``)."""
        return cls(file, (("format", value), *more))


@dataclass(frozen=True)
class OutputKind:
    """A kind of output folder, declared by the module that writes it: what to call it, its marker's format,
    the names it writes."""

    what: str  # "dataset folder": used in messages
    format: str  # the marker's "format": "segan-dataset"; one kind's, never another's
    owned: tuple[str, ...]  # names (fnmatch patterns) the command writes; the only ones it ever replaces
    legacy: tuple[Legacy, ...] = ()  # an output from before markers: every one of these files holds its fields

    @property
    def marker(self) -> str:
        """The marker file: only this command writes it, and its content says so."""
        return f"{self.format}.json"

    def writes(self, name: str) -> bool:
        return name == self.marker or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.owned)


@dataclass(frozen=True)
class Marker:
    """What a folder's marker says: who wrote it and which files (None: every name the kind writes)."""

    owner: str  # "" for an output from before markers
    files: frozenset[str] | None  # relative POSIX paths written by the command; None = every owned name
    name: str | None = None  # the output's own name, where it has one (a fine-tuned style's)

    def top_names(self) -> set[str] | None:
        return None if self.files is None else {path.split("/", 1)[0] for path in self.files}


def resolve(path: Path | str) -> Path:
    """An absolute path with a real last name (``.`` -> the current folder's path), symlinks kept."""
    return Path(os.path.abspath(os.fspath(path)))


def read_json(path: Path) -> object:
    """The JSON in ``path`` (a plain file of sane size), or None for anything else."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_MARKER_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_marker(folder: Path, kind: OutputKind) -> Marker | None:
    """What proves ``folder`` is ``kind``'s previous output: its marker, else its pre-marker files; or None."""
    data = read_json(folder / kind.marker)
    if isinstance(data, dict) and data.get("format") == kind.format:
        files = data.get("files")
        listed = frozenset(files) if isinstance(files, list) and all(isinstance(f, str) for f in files) else None
        name = data.get("name")
        return Marker(str(data.get("owner") or ""), listed, name if isinstance(name, str) else None)
    if not kind.legacy:
        return None
    found = [read_json(folder / legacy.file) for legacy in kind.legacy]
    if not all(holds(data, legacy.fields) for data, legacy in zip(found, kind.legacy, strict=True)):
        return None
    name = found[0].get("name") if isinstance(found[0], dict) else None
    return Marker("", None, name if isinstance(name, str) else None)


def _ours(name: str, kind: OutputKind, marker: Marker | None) -> bool:
    """Is the entry ``name`` in a folder with ``marker`` a file the command wrote there?"""
    if marker is None:
        return False
    if name == kind.marker:
        return True
    top = marker.top_names()
    return kind.writes(name) if top is None else name in top


def _foreign_inside(folder: Path, name: str, marker: Marker) -> str | None:
    """A file under our sub-folder ``name`` that the marker does not list (someone added it), or None."""
    if marker.files is None or not (folder / name).is_dir() or (folder / name).is_symlink():
        return None
    for root, dirs, files in os.walk(folder / name):
        for entry in sorted(files) + sorted(d for d in dirs if (Path(root) / d).is_symlink()):
            rel = (Path(root) / entry).relative_to(folder).as_posix()
            if rel not in marker.files:
                return rel
    return None


def conflicts(path: Path, kind: OutputKind, written: Iterable[str] = ()) -> str | None:
    """The first entry of ``path`` the command would replace but did not write itself, or None."""
    marker = read_marker(path, kind)
    names = set(written)
    for entry in sorted(os.scandir(path), key=lambda e: e.name):
        if not (kind.writes(entry.name) or entry.name in names):
            continue
        if not _ours(entry.name, kind, marker):
            return entry.name
        if marker is not None and (inside := _foreign_inside(path, entry.name, marker)) is not None:
            return inside
    return None


def _what(kind: OutputKind) -> str:
    return f"{'an' if kind.what[0] in 'aeiou' else 'a'} {kind.what}"


def check_output_dir(
    path: Path | str, kind: OutputKind, overwrite: bool = False, name: str | None = None, written: Iterable[str] = ()
) -> Path:
    """Refuse, with one line, an output folder the command may not write; return its absolute path.

    ``name``: the output's own name (a fine-tuned style's); a previous output of another name is not
    replaced without ``overwrite``. ``written``: names about to be written (checked like owned names)."""
    path = resolve(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; give the real folder as the output")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is an existing file, not a folder; choose another output folder")
    if not path.exists():
        return path
    try:
        empty = next(os.scandir(path), None) is None
    except OSError as exc:
        raise OutputError(f"cannot read output folder {path}: {exc.strerror or exc}") from None
    if empty:
        return path
    marker = read_marker(path, kind)
    if marker is None and not overwrite:
        raise OutputError(
            f"{path} is not empty and is not {_what(kind)} (no {kind.marker} written by segan); choose an empty or "
            f"new folder, or pass --overwrite to write the {kind.what}'s files beside yours"
        )
    if marker is not None and name is not None and marker.name not in (None, name) and not overwrite:
        raise OutputError(
            f"{path} holds the {kind.what} {marker.name!r}, not {name!r}; choose another folder, or pass "
            f"--overwrite to replace it"
        )
    clash = conflicts(path, kind, written)
    if clash is not None:
        raise OutputError(
            f"{path / clash} was not written by segan as {_what(kind)} and would be replaced; --overwrite "
            f"never replaces your files: move it, or choose an empty or new folder"
        )
    return path


def owned_entries(path: Path, kind: OutputKind, written: set[str]) -> list[str]:
    """Names in ``path`` the command may remove: those it wrote before, plus those it is about to write
    (which :func:`check_output_dir` has proved are its own)."""
    marker = read_marker(path, kind)
    return sorted(e.name for e in os.scandir(path) if _ours(e.name, kind, marker) or e.name in written)


def marker_json(kind: OutputKind, folder: Path, previous: Path | None = None, name: str | None = None) -> str:
    """The marker for the files now in ``folder`` (``previous``'s owner id is kept, else a new one)."""
    old = read_marker(previous, kind) if previous is not None and previous.is_dir() else None
    files = sorted(
        (Path(root) / f).relative_to(folder).as_posix()
        for root, _, names in os.walk(folder) for f in names if not (root == str(folder) and f == kind.marker)
    )  # fmt: skip
    body = {"format": kind.format, "version": MARKER_VERSION, "owner": (old.owner if old else "") or uuid.uuid4().hex}
    if name is not None:
        body["name"] = name
    return json.dumps({**body, "files": files}, ensure_ascii=False, indent=0) + "\n"


# -- single files (segan batch, segan eval upscaler --json) ---------------------------------------


@dataclass(frozen=True)
class ReportKind:
    """A single JSON report a command writes, declared by the module that writes it: recognised by its
    ``format``; a report from before the format field by ``unformatted`` (empty: never)."""

    command: str  # "segan batch": used in messages
    format: str  # the report's "format": "segan-batch-report"; one command's, never another's
    unformatted: Fields = ()


def read_report(path: Path, kind: ReportKind) -> dict | None:
    """The JSON object in ``path`` when it is a report of ``kind``'s command, else None."""
    data = read_json(path)
    if not isinstance(data, dict):
        return None
    if "format" in data:
        return data if data["format"] == kind.format else None
    return data if holds(data, kind.unformatted) else None


def check_output_file(
    path: Path | str, kind: ReportKind, report: Path, listed: Collection[str], overwrite: bool = False
) -> Path:
    """Refuse an existing file at ``path`` unless its name is ``listed`` as an output by ``report``, a report of
    ``kind``'s command (:func:`read_report`, read by the caller), or ``overwrite``."""
    path = resolve(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; give the real file as the output")
    if path.is_dir() and path.suffix.lower() != ".ufo":  # a UFO font source is a folder
        raise OutputError(f"output path is a folder: {path}")
    if path.suffix.lower() == ".ufo" and path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a UFO folder; choose another name")
    if not path.exists() or overwrite or path.name in listed:
        return path
    raise OutputError(
        f"{path} already exists and is not a previous output of {kind.command} (not listed in {report.name}); "
        f"choose another name or pass --overwrite"
    )


def check_output_json(path: Path | str, kind: ReportKind, overwrite: bool = False) -> Path:
    """A single JSON report file: new, a previous report of ``kind``'s command, or ``overwrite``; a folder,
    a link or another file is refused."""
    path = resolve(path)
    if path.is_symlink() or path.is_dir():
        what = "folder" if path.is_dir() else "symbolic link"
        raise OutputError(f"{path} is a {what}, not a file; choose a new file name")
    if not path.exists() or overwrite or read_report(path, kind) is not None:
        return path
    raise OutputError(
        f"{path} already exists and is not a report of {kind.command}; choose a new file name or pass --overwrite"
    )
