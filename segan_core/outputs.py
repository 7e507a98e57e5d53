"""Which output folders and files a command may replace: the one rule every command and the app use.

Ownership is proven by content, never by a common file name. A command that writes a folder
(``segan data build``, ``segan eval``, ``segan eval select``, ``segan eval train-classifier``,
``segan train``, ``segan generate``, ``segan scans import``, ``segan train finetune``) leaves a marker
in it, ``segan-<kind>.json`` (:attr:`OutputKind.marker`): JSON whose ``format`` names the output kind
(``"segan-eval-report"``), an ``owner`` id made when the folder was first written, and the ``files``
(relative paths) the command wrote there. The folder is *its previous output* only when that marker
parses and its ``format`` matches. Outputs written before markers existed are recognised by the
content of their old marker file (a ``report.json`` whose ``format`` is ``"segan-eval-report"``, a
model ``config.json`` whose ``format`` is ``"segan-checkpoint"``: :class:`Legacy`); a file merely *named*
``report.json`` or ``config.json`` proves nothing.

A command may write into:

- a path that does not exist yet, or an empty folder;
- its own previous output;
- any other folder only with ``overwrite=True`` (``--overwrite``), and then only beside the files there.

In every case only files the command itself wrote in an earlier run are replaced. A user's file
under a name the command writes (a ``report.json``, a ``glyphs/`` folder with a drawing in it) is
refused with one line naming it, with or without ``--overwrite``; anything else in the folder (a
``thesis.docx``, a ``photos/`` folder) is left alone. A *file* or a symbolic link where a folder
should go is always refused, so nothing is ever hidden or lost.

``segan batch --out FONT.ttf`` follows the same rule for files: an existing font is replaced only
when the batch report beside it (``FONT.report.json``) lists it as its own output, or with
``--overwrite`` (the user named that very file); two outputs of one run may never share a path.
Single-file reports (``segan eval upscaler --json``) are replaced only when they are a previous
report of that command (:func:`check_output_json`).
"""

from __future__ import annotations

import fnmatch
import json
import os
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from segan_core.errors import OutputError

MARKER_VERSION = 1
MAX_MARKER_BYTES = 64 << 20  # a marker listing 100,000 files is ~3 MB; anything far larger is not ours


@dataclass(frozen=True)
class Legacy:
    """How an output written before markers is recognised: ``file`` is JSON whose ``key`` is a string
    starting with ``prefix`` (``""``: any string)."""

    file: str
    key: str
    prefix: str


@dataclass(frozen=True)
class OutputKind:
    """A kind of output folder: what to call it, its marker's format, the names it writes."""

    what: str  # "dataset folder": used in messages
    format: str  # the marker's "format": "segan-dataset"
    owned: tuple[str, ...]  # names (fnmatch patterns) the command writes; the only ones it ever replaces
    legacy: Legacy | None = None  # how its outputs from before markers are recognised

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


CHECKPOINT = Legacy("config.json", "format", "segan-checkpoint")
DATASET = OutputKind(
    "dataset folder", "segan-dataset", ("manifest.json", "train.npz", "dev.npz", "test.npz"),
    Legacy("manifest.json", "format", "segan-dataset"),
)  # fmt: skip
EVAL_REPORT = OutputKind(
    "evaluation report", "segan-eval-report", ("report.json", "report.md", "samples.png", "heatmaps.png"),
    Legacy("report.json", "format", "segan-eval-report"),
)  # fmt: skip
SELECTION = OutputKind(
    "selected model", "segan-selection", ("selection.json", "config.json", "weights.safetensors"),
    Legacy("selection.json", "chosen", ""),
)  # fmt: skip
USER_STYLE = OutputKind(
    "fine-tuned style", "segan-style",
    ("style.json", "selection.json", "config.json", "weights.safetensors", "written"),
    Legacy("style.json", "created_with", "segan-studio"),
)  # fmt: skip
SCAN_IMPORT = OutputKind(
    "scan import folder", "segan-scan-import",
    ("report.json", "chars", "dataset", "review-*.png", "review.json", "reviewed"),
    Legacy("report.json", "format", "segan-scan-import"),
)  # fmt: skip
GENERATED_GLYPHS = OutputKind(
    "generated glyphs folder", "segan-generate",
    ("generate.json", "contact-sheet.png", "contact-sheet-*.png", "glyphs", "heatmaps", "svg"),
    Legacy("generate.json", "model_name", ""),
)  # fmt: skip
TRAINING_RUN = OutputKind(
    "training run", "segan-training-run",
    ("config.json", "weights.safetensors", "train_state.json", "train_state.safetensors", "log.jsonl", "snapshots"),
    CHECKPOINT,
)  # fmt: skip


def resolve(path: Path | str) -> Path:
    """An absolute path with a real last name (``.`` -> the current folder's path), symlinks kept."""
    return Path(os.path.abspath(os.fspath(path)))


def is_owned(name: str, kind: OutputKind) -> bool:
    return kind.writes(name)


def read_json(path: Path) -> object:
    """The JSON in ``path`` (a plain file of sane size), or None for anything else."""
    try:
        if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_MARKER_BYTES:
            return None
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def read_marker(folder: Path, kind: OutputKind) -> Marker | None:
    """What proves ``folder`` is ``kind``'s previous output: its marker, else its pre-marker file; or None."""
    data = read_json(folder / kind.marker)
    if isinstance(data, dict) and data.get("format") == kind.format:
        files = data.get("files")
        listed = frozenset(files) if isinstance(files, list) and all(isinstance(f, str) for f in files) else None
        name = data.get("name")
        return Marker(str(data.get("owner") or ""), listed, name if isinstance(name, str) else None)
    if kind.legacy is None:
        return None
    data = read_json(folder / kind.legacy.file)
    value = data.get(kind.legacy.key) if isinstance(data, dict) else None
    if isinstance(value, str) and value.startswith(kind.legacy.prefix):
        name = data.get("name") if isinstance(data, dict) else None
        return Marker("", None, name if isinstance(name, str) else None)
    return None


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

BATCH_REPORT_FORMAT = "segan-batch-report"


def check_output_file(path: Path | str, owner_report: Path | None, overwrite: bool = False) -> Path:
    """Refuse an existing file at ``path`` unless ``owner_report`` (a JSON report) lists it, or ``overwrite``."""
    path = resolve(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; give the real file as the output")
    if path.is_dir() and path.suffix.lower() != ".ufo":  # a UFO font source is a folder
        raise OutputError(f"output path is a folder: {path}")
    if path.suffix.lower() == ".ufo" and path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a UFO folder; choose another name")
    if not path.exists() or overwrite:
        return path
    if owner_report is not None and path.name in report_outputs(owner_report):
        return path
    raise OutputError(
        f"{path} already exists and is not a previous output of segan batch (not listed in "
        f"{owner_report.name if owner_report else 'a batch report'}); choose another name or pass --overwrite"
    )


def report_outputs(report: Path) -> set[str]:
    """File names a batch report says it wrote (``font.files``), or nothing."""
    data = read_json(report)
    if not isinstance(data, dict) or data.get("format", BATCH_REPORT_FORMAT) != BATCH_REPORT_FORMAT:
        return set()
    if not str(data.get("created_with", "")).startswith("segan-studio"):
        return set()
    font = data.get("font")
    outputs = font.get("files") if isinstance(font, dict) else None
    if not isinstance(outputs, dict):
        return set()
    return {Path(str(p)).name for p in outputs.values()}


def check_batch_outputs(fonts: list[Path], report_json: Path, report_text: Path, overwrite: bool = False) -> None:
    """``segan batch``: no two outputs share a path, existing fonts must be listed in the report beside them,
    reports must be batch reports."""
    seen: dict[Path, str] = {}
    for path, role in [*((f, "font") for f in fonts), (report_json, "JSON report"), (report_text, "text report")]:
        key = resolve(path)
        if key in seen:
            raise OutputError(f"{key} is given as both the {seen[key]} and the {role}; choose different names")
        seen[key] = role
    for font in fonts:
        check_output_file(font, report_json, overwrite)
    is_report = bool(report_outputs(report_json))
    for path in (report_json, report_text):
        path = resolve(path)
        if path.is_symlink() or path.is_dir():
            raise OutputError(f"{path} is a {'folder' if path.is_dir() else 'symbolic link'}, not a report file")
        if path.exists() and not is_report and not overwrite:
            raise OutputError(
                f"{path} already exists and is not a segan batch report; choose another --out/--report or "
                f"pass --overwrite"
            )


def check_output_json(path: Path | str, fmt: str, command: str, overwrite: bool = False) -> Path:
    """A single JSON report file: new, a previous report of ``command`` (its ``format`` is ``fmt``), or
    ``overwrite``; a folder, a link or another file is refused."""
    path = resolve(path)
    if path.is_symlink() or path.is_dir():
        what = "folder" if path.is_dir() else "symbolic link"
        raise OutputError(f"{path} is a {what}, not a file; choose a new file name")
    if not path.exists() or overwrite:
        return path
    data = read_json(path)
    if isinstance(data, dict) and data.get("format") == fmt:
        return path
    raise OutputError(
        f"{path} already exists and is not a report of {command}; choose a new file name or pass --overwrite"
    )
