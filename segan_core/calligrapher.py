"""A new calligrapher's hand, import -> review -> adapt -> install: the steps the app's "new calligrapher" flow and
the CLI both run; the app's pages only show them.

1. **Template**: :func:`~segan_core.scans.template.make_template`, then :func:`write_template_preview` (the sheet,
   and its first page small for a preview) — ``segan template``.
2. **Import**: :func:`~segan_core.scans.importer.import_scans` into :func:`import_folder` (``<data>/datasets/
   <name>-scans``) — ``segan scans import``.
3. **Review**: :func:`~segan_core.scans.corrections.apply_review` with the relabels, drops, "it is right"s and
   edits (:func:`thumbnails` draws the cells for the grid) — ``segan scans review``.
4. **Adapt**: :func:`plan_finetune` decides, from the disk, whether the review must be applied first (the dataset
   is stale or not at the base's size) and whether an earlier run of the same name resumes;
   :func:`finetune_import` runs that plan — ``segan train finetune``, from the same :data:`DEFAULT_BASE`.
5. **Install**: :func:`~segan_core.finetune.finetune` installs the style among the user's own;
   :func:`preview_strip` draws :data:`PREVIEW_TEXT` with it.

This module sits beside :mod:`segan_core.finetune` (one layer above it: it runs the fine-tune), not in ``scans/``,
which sits below the engine.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from segan_core.data.store import read_manifest
from segan_core.errors import InputFileError, SeganError
from segan_core.finetune import DEFAULT_BASE, USER_STYLE, FinetuneRequest, finetune, run_folder
from segan_core.glyphs.render import to_paper
from segan_core.jobs import CancelToken, Progress
from segan_core.model.checkpoint import STATE_JSON, read_config
from segan_core.outputs import check_output_dir, read_marker
from segan_core.scans.cell_edit import CellEdit
from segan_core.scans.corrections import Review, apply_review, edited_glyph, load_review
from segan_core.scans.importer import DATASET_DIR, SCAN_IMPORT
from segan_core.scans.template import Template, write_template
from segan_core.styles import base_folder
from segan_core.userdata import datasets_dir, safe_name, user_model_path

__all__ = [
    "DEFAULT_BASE",
    "PREVIEW_TEXT",
    "CalligrapherJob",
    "can_resume",
    "default_base",
    "finetune_import",
    "import_folder",
    "is_import",
    "plan_finetune",
    "preview_strip",
    "run_folder",
    "shrink",
    "thumbnails",
    "write_template_preview",
]

PREVIEW_TEXT = "永字八法天地玄黄"  # what the new style is shown writing


def import_folder(name: str) -> Path:
    """Where the scans of calligrapher ``name`` are imported: ``<data>/datasets/<name>-scans``."""
    return datasets_dir() / f"{safe_name(name)}-scans"


def is_import(folder: Path) -> bool:
    """Whether ``folder`` holds an import: segan's marker of one, or a report.json of the import's format (whether
    the rest is readable is for the reader to say)."""
    return folder.is_dir() and read_marker(folder, SCAN_IMPORT) is not None


def default_base() -> Path | None:
    """The model folder of :data:`DEFAULT_BASE`, the base a new hand starts from; None when it has no model here."""
    try:
        return base_folder(DEFAULT_BASE)
    except SeganError:
        return None


def can_resume(name: str) -> bool:
    """Whether a fine-tune of ``name`` was stopped with its training state kept: Start continues it."""
    return (run_folder(name) / STATE_JSON).is_file()


# -- 1 template ---------------------------------------------------------------------------------------------------


def write_template_preview(
    template: Template, path: Path, preview_height: int = 600
) -> tuple[list[Path], np.ndarray | None]:
    """``write_template`` (replacing what is there: the caller asked), then the first page shrunk for a preview."""
    written = [Path(p) for p in write_template(template, path, overwrite=True)]
    first = next((p for p in written if p.suffix == ".png"), None)
    if first is None:
        return written, None
    with Image.open(first) as page:
        page = page.convert("L")
        width = round(page.width * preview_height / page.height)
        return written, np.asarray(page.resize((width, preview_height), Image.Resampling.BOX), np.uint8)


# -- 3 review -----------------------------------------------------------------------------------------------------


def thumbnails(
    images: Mapping[str, Path], size: int, edits: Mapping[str, CellEdit] | None = None
) -> dict[str, np.ndarray]:
    """Each glyph image (with its hand edit, if any) shrunk to ``size`` px (grey, area-averaged), for the review
    grid; an unreadable picture is left out (its tile stays blank, the large view says why)."""
    out = {}
    for char, path in images.items():
        try:
            glyph = edited_glyph(path, (edits or {}).get(char))
        except (OSError, SeganError):
            continue
        out[char] = shrink(glyph, size)
    return out


def shrink(glyph: np.ndarray, size: int) -> np.ndarray:
    """A grey glyph image area-averaged to ``size`` x ``size`` px."""
    return np.asarray(Image.fromarray(glyph).resize((size, size), Image.Resampling.BOX), np.uint8)


# -- 4 adapt ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CalligrapherJob:
    """A fine-tune of an import: first bring its dataset up to date (review, base's image size)."""

    request: FinetuneRequest
    import_dir: Path
    review: Review
    size: int  # the base's image size: the dataset's
    rebuild: bool  # apply the review (and build at ``size``) before the fine-tune

    @property
    def resume(self) -> bool:
        return self.request.resume


def plan_finetune(import_dir: Path, review: Review, base: str, name: str, **options: Any) -> CalligrapherJob:
    """The fine-tune from ``base`` of the import in ``import_dir``, with ``review`` as it stands, into the style
    ``name``; ``options``: the other :class:`FinetuneRequest` fields (recipe, budget, steps, threads, skeleton GAN).

    It trains on the import's dataset, resumes an earlier stopped run of the same name, and applies the review
    first when it differs from the one on disk or the dataset is not at the base's image size."""
    if not safe_name(name):
        raise SeganError("give the calligrapher a name (letters, digits, - or _)")
    if not is_import(import_dir):
        raise InputFileError(f"{import_dir} holds no import of the calligrapher's scans: import them first")
    size = int(read_config(base_folder(base), kind="segan")["model"]["image_size"])
    dataset = import_dir / DATASET_DIR
    rebuild = review != _saved_review(import_dir) or _built_size(dataset) != size
    check_output_dir(user_model_path(name), USER_STYLE)
    request = FinetuneRequest(base=base, data=dataset, name=name, resume=can_resume(name), **options)
    return CalligrapherJob(request, import_dir, review, size, rebuild)


def _saved_review(import_dir: Path) -> Review | None:
    """The review applied last (None: a damaged file, which the rebuild replaces)."""
    try:
        return load_review(import_dir)
    except InputFileError:
        return None


def _built_size(dataset: Path) -> int | None:
    try:
        return read_manifest(dataset).get("size")
    except SeganError:
        return None


def finetune_import(job: CalligrapherJob, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Apply the review when the dataset is stale, then fine-tune; returns a :class:`FinetuneResult`."""
    cancel = cancel or CancelToken()
    if job.rebuild:
        yield from apply_review(job.import_dir, job.review.relabel, job.review.drop, size=job.size, cancel=cancel,
                                accept=job.review.accept, edits=job.review.edits)
    return (yield from finetune(job.request, cancel))


# -- 5 install ----------------------------------------------------------------------------------------------------


def preview_strip(folder: Path, text: str = PREVIEW_TEXT, device: str = "auto") -> np.ndarray:
    """``text`` drawn by the style model in ``folder``, as one RGB row of glyphs (black on white, grey gaps)."""
    from segan_core.style_source import open_style

    # the model's own 64 px glyphs: the strip shows what the adaptation has learned so far
    generated = open_style(f"dir:{folder}", device=device, second_stage=False, written=False).generate(tuple(text))
    tiles = [np.pad(np.repeat(to_paper(glyph)[:, :, None], 3, axis=2), ((2, 2), (2, 2), (0, 0)), constant_values=225)
             for glyph in generated]
    return np.concatenate(tiles, axis=1)
