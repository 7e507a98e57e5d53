"""Which output folders and files a command may replace: the one rule every command and the app use.

A command that writes a folder (``segan data build``, ``segan eval``, ``segan eval select``,
``segan eval train-classifier``, ``segan train``, ``segan generate``) may write into:

- a path that does not exist yet, or an empty folder;
- its own previous output, recognised by its marker file (a dataset's ``manifest.json``, a
  report's ``report.json``, ...);
- any other folder only with ``overwrite=True`` (``--overwrite``).

In every case only the names the command itself writes (:attr:`OutputKind.owned`) are replaced;
anything else in the folder (a ``thesis.docx``, a ``photos/`` folder) is left alone. A *file* or a
symbolic link where a folder should go is always refused, so nothing is ever hidden or lost.

``segan batch --out FONT.ttf`` follows the same rule for files: an existing font is replaced only
when the batch report beside it (``FONT.report.json``) lists it as its own output, or with
``--overwrite``.
"""

from __future__ import annotations

import fnmatch
import json
import os
from dataclasses import dataclass
from pathlib import Path

from segan_core.errors import OutputError


@dataclass(frozen=True)
class OutputKind:
    """A kind of output folder: what to call it, the file that proves it is ours, what we write in it."""

    what: str  # "dataset folder": used in messages
    marker: str  # a file only this command writes
    owned: tuple[str, ...]  # names (fnmatch patterns) the command writes; the only ones ever replaced


DATASET = OutputKind("dataset folder", "manifest.json", ("manifest.json", "train.npz", "dev.npz", "test.npz"))
EVAL_REPORT = OutputKind(
    "evaluation report", "report.json", ("report.json", "report.md", "samples.png", "heatmaps.png")
)
SELECTION = OutputKind("selected model", "selection.json", ("selection.json", "config.json", "weights.safetensors"))
USER_STYLE = OutputKind(
    "fine-tuned style",
    "style.json",
    ("style.json", "selection.json", "config.json", "weights.safetensors", "written"),
)
SCAN_IMPORT = OutputKind(
    "scan import folder",
    "report.json",
    ("report.json", "chars", "dataset", "review-*.png", "review.json", "reviewed"),
)
GENERATED_GLYPHS = OutputKind(
    "generated glyphs folder",
    "generate.json",
    ("generate.json", "contact-sheet.png", "glyphs", "heatmaps", "svg"),
)
TRAINING_RUN = OutputKind(
    "training run",
    "config.json",
    ("config.json", "weights.safetensors", "train_state.json", "train_state.safetensors", "log.jsonl", "snapshots"),
)


def resolve(path: Path | str) -> Path:
    """An absolute path with a real last name (``.`` -> the current folder's path), symlinks kept."""
    return Path(os.path.abspath(os.fspath(path)))


def is_owned(name: str, kind: OutputKind) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in kind.owned)


def check_output_dir(path: Path | str, kind: OutputKind, overwrite: bool = False) -> Path:
    """Refuse, with one line, an output folder the command may not write; return its absolute path."""
    path = resolve(path)
    if path.is_symlink():
        raise OutputError(f"{path} is a symbolic link; give the real folder as the output")
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is an existing file, not a folder; choose another output folder")
    if not path.exists():
        return path
    try:
        entries = [entry.name for entry in os.scandir(path)]
    except OSError as exc:
        raise OutputError(f"cannot read output folder {path}: {exc.strerror or exc}") from None
    if not entries or (path / kind.marker).is_file() or overwrite:
        return path
    article = "an" if kind.what[0] in "aeiou" else "a"
    raise OutputError(
        f"{path} is not empty and is not {article} {kind.what} (no {kind.marker}); choose an empty or new folder, "
        f"or pass --overwrite to replace only the {kind.what}'s own files there"
    )


def owned_entries(path: Path, kind: OutputKind, written: set[str]) -> list[str]:
    """Names in ``path`` the command may remove: its own names plus those it is about to write."""
    return sorted(e.name for e in os.scandir(path) if is_owned(e.name, kind) or e.name in written)


# -- single files (segan batch) -------------------------------------------------------------------


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
    try:
        data = json.loads(report.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    font = data.get("font") if isinstance(data, dict) else None
    outputs = font.get("files") if isinstance(font, dict) else None
    if not isinstance(outputs, dict):
        return set()
    return {Path(str(p)).name for p in outputs.values()}


def check_batch_outputs(fonts: list[Path], report_json: Path, report_text: Path, overwrite: bool = False) -> None:
    """``segan batch``: existing fonts must be listed in the report beside them, reports must be batch reports."""
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
