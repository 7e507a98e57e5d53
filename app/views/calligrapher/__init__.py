"""The "new calligrapher" flow of the Train view: template -> scans -> review -> fine-tune -> done.

Five steps, each a page of a stack and a module here, all driving the core's steps
(:mod:`segan_core.calligrapher`, which the CLI runs too) through the job runner:

1. ``template``: a character set (core300, core600 or a text file) -> the sheet (PDF, PNG pages, JSON sidecar).
2. ``scans``: dropped or picked page pictures and PDFs + the sidecar -> ``import_scans`` into the user's data
   folder (``datasets/<name>-scans``).
3. ``review``: the imported cells in a grid with their flags; fix a label, drop a cell;
   ``apply_review`` rebuilds the dataset from the import's own files.
4. ``finetune``: ``finetune_import`` from a base style, with live losses and samples; Stop cancels.
5. ``done``: the new style is in the style picker; jump to Generate or Batch & export with it.

``base`` holds what the pages share (state, signals, header, running a job); ``flow`` joins the pages into
:class:`CalligrapherFlow`.
"""

from app.views.calligrapher.base import DONE, FINETUNE, REVIEW, SCAN_SUFFIXES, SCANS, STEPS, TEMPLATE, describe
from app.views.calligrapher.done import done_summary
from app.views.calligrapher.finetune import starting_text
from app.views.calligrapher.flow import CalligrapherFlow
from segan_core.calligrapher import (
    PREVIEW_TEXT,
    CalligrapherJob,
    finetune_import,
    import_folder,
    preview_strip,
    run_folder,
    thumbnails,
)

__all__ = [
    "DONE",
    "FINETUNE",
    "PREVIEW_TEXT",
    "REVIEW",
    "SCANS",
    "SCAN_SUFFIXES",
    "STEPS",
    "TEMPLATE",
    "CalligrapherFlow",
    "CalligrapherJob",
    "describe",
    "done_summary",
    "finetune_import",
    "import_folder",
    "preview_strip",
    "run_folder",
    "starting_text",
    "thumbnails",
]
