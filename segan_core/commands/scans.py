"""``segan scans import``: scanned template pages -> glyph images, a dataset, a report, a review sheet;
``segan scans review``: a JSON file of relabels and drops applied to an import, its dataset rebuilt."""

from __future__ import annotations

import argparse
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from segan_core.commands.progress import drive
from segan_core.data.store import read_manifest
from segan_core.glyphs.embox import IMAGE_SIZES
from segan_core.resources import SOURCE_FONT
from segan_core.scans.corrections import apply_corrections
from segan_core.scans.importer import DATASET_DIR, ImportRequest, import_scans

SHOW_FLAGGED = 20


def register(sub: argparse._SubParsersAction) -> None:
    scans = sub.add_parser("scans", help="import scanned or photographed template sheets")
    scans_sub = scans.add_subparsers(dest="scans_command", metavar="ACTION")
    scans_sub.required = True
    imp = scans_sub.add_parser("import", help="read filled-in template pages (PNG/JPEG/TIFF/PDF) into a dataset")
    imp.add_argument("pages", nargs="+", type=Path, metavar="PAGE", help="page pictures or PDFs, any order")
    imp.add_argument("--template", type=Path, required=True, help="the sheet's JSON sidecar (from segan template)")
    imp.add_argument("--out", type=Path, required=True, help="folder to write (chars/, dataset/, report.json, review)")
    imp.add_argument("--normalize", action="store_true", help="centre and scale each glyph (default: keep as written)")
    imp.add_argument("--image-size", type=int, default=256, choices=[s for s in IMAGE_SIZES if s >= 64],
                     help="size of chars/<char>.png")
    imp.add_argument("--size", type=int, default=64, choices=IMAGE_SIZES, help="dataset image size")
    imp.add_argument("--top-k", type=_positive, default=5, help="the label check accepts the character among this many")
    imp.add_argument("--no-label-check", action="store_true", help="skip the recognizer's label check")
    imp.add_argument("--no-dataset", action="store_true", help="write the glyphs and report only")
    imp.add_argument("--source", type=Path, default=SOURCE_FONT, help="source (Kai print) font for the dataset")
    imp.add_argument("--overwrite", action="store_true",
                     help="--out may be a non-empty folder that is not a scan import (only the import's own names are "
                     "replaced)")
    imp.add_argument("--quiet", action="store_true")
    imp.set_defaults(func=run_import)
    _register_review(scans_sub)


def _register_review(scans_sub: argparse._SubParsersAction) -> None:
    review = scans_sub.add_parser(
        "review", help="apply a JSON file of relabels and drops to an import and rebuild its dataset",
        description="Correct an import as the app's review grid does: CORRECTIONS is a JSON object with any of "
        '"relabel" ({"cell": "character it really is"}), "drop" (["cell", ...]: left out of the dataset), "accept" '
        '(["cell", ...]: flagged but right) and "edits" (as review.json holds them); a cell is named by the '
        "character of its template box. They are made on top of the import's saved review (review.json); then "
        "reviewed/, review.json and dataset/ are rebuilt from the import's own files, which never change.",
    )
    review.add_argument("import_dir", type=Path, metavar="IMPORT", help="the folder segan scans import wrote")
    review.add_argument("corrections", type=Path, metavar="CORRECTIONS", help="the JSON file of corrections")
    review.add_argument("--replace", action="store_true",
                        help="the file is the whole review: forget the corrections saved before")
    review.add_argument("--size", type=int, choices=IMAGE_SIZES,
                        help="dataset image size (default: the import's; a base's size when fine-tuning from it)")
    review.add_argument("--source", type=Path, default=SOURCE_FONT, help="source (Kai print) font for the dataset")
    review.add_argument("--quiet", action="store_true")
    review.set_defaults(func=run_review)


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM is handled like Ctrl-C (a KeyboardInterrupt): temp files go on the way out, exit code 130."""
    def interrupt(signum, frame) -> None:
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, interrupt)
    except ValueError:  # not the main thread: signals are not ours to set
        previous = None
    try:
        yield
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def run_import(args: argparse.Namespace) -> int:
    request = ImportRequest(
        pages=tuple(args.pages),
        template=args.template,
        out=args.out,
        image_size=args.image_size,
        dataset_size=args.size,
        normalize=args.normalize,
        check_labels=not args.no_label_check,
        top_k=args.top_k,
        build_dataset=not args.no_dataset,
        source=args.source,
        overwrite=args.overwrite,
    )
    with terminate_as_interrupt():
        report = drive(import_scans(request), quiet=args.quiet)
    counts = report.counts
    summary = ", ".join(f"{k} {v}" for k, v in counts.items() if v and k not in ("cells",))
    print(f"wrote {args.out}: {counts['cells']} cells from {len(report.pages)} page pictures ({summary})")
    for page in report.pages:
        turned = f", turned {page.rotation_deg:+.1f} deg" if abs(page.rotation_deg) > 0.5 else ""
        print(f"  {page.file}: page {page.page}, {page.markers} markers, fit {page.error_mm:.2f} mm{turned}")
    for page in report.skipped:
        print(f"  skipped {page.reason}")
    flagged = [c for c in report.cells if c.status != "ok"]
    for cell in flagged[:SHOW_FLAGGED]:
        read = "".join(c for c, _ in cell.candidates[:3])
        extra = f" (replaces {cell.replaced})" if cell.replaced else ""
        print(f"  {cell.status}: {cell.char} page {cell.page} cell {cell.cell} from {cell.file}; read as {read}{extra}")
    if len(flagged) > SHOW_FLAGGED:
        print(f"  ... and {len(flagged) - SHOW_FLAGGED} more flagged cells: see {args.out / 'report.json'}")
    print(f"label check: {report.label_check}")
    return 0


def run_review(args: argparse.Namespace) -> int:
    job = apply_corrections(args.import_dir, args.corrections, replace=args.replace, size=args.size,
                            source=args.source)
    with terminate_as_interrupt():
        review = drive(job, quiet=args.quiet)
    manifest = read_manifest(args.import_dir / DATASET_DIR)
    counts = manifest.get("counts", {})
    print(f"applied {args.corrections} to {args.import_dir}: {len(review.relabel)} relabelled, {len(review.drop)} "
          f"dropped, {len(review.accept)} right as written, {len(review.edits)} edited")
    print(f"dataset rebuilt at {manifest.get('size')} px: {counts.get('train', 0)} train / {counts.get('dev', 0)} "
          f"dev / {counts.get('test', 0)} test characters")
    return 0
