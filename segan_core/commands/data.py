"""``segan data build``: render a paired dataset from fonts or an image folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segan_core.charset import load_charset, text_charset
from segan_core.commands.progress import drive
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.glyphs.embox import IMAGE_SIZES
from segan_core.resources import SOURCE_FONT


def register(sub: argparse._SubParsersAction) -> None:
    data = sub.add_parser("data", help="build training datasets")
    data_sub = data.add_subparsers(dest="data_command", metavar="ACTION")
    data_sub.required = True
    build = data_sub.add_parser("build", help="render source/target glyphs and skeletons into a dataset folder")
    build.add_argument(
        "--source", type=Path, default=SOURCE_FONT, help="source (Kai print) font; default: the bundled AR PL KaitiM GB"
    )
    target = build.add_mutually_exclusive_group(required=True)
    target.add_argument("--target", type=Path, help="target brush font file")
    target.add_argument("--target-dir", type=Path, help="folder of per-character images named <char>.png")
    build.add_argument("--size", type=int, default=64, choices=IMAGE_SIZES)
    chars = build.add_mutually_exclusive_group()
    chars.add_argument("--charset", default="gb2312", help="gb2312 | gb2312-1 | gb2312-2 | a UTF-8 text file")
    chars.add_argument("--text", help="the characters to build, typed in")
    build.add_argument("--out", type=Path, required=True, help="dataset folder to write")
    build.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not a dataset (only the dataset's own files are replaced)",
    )
    build.add_argument("--quiet", action="store_true")
    build.set_defaults(func=run_build)


def run_build(args: argparse.Namespace) -> int:
    parsed = text_charset(args.text) if args.text is not None else load_charset(args.charset)
    if parsed.non_han:
        print(f"segan: {parsed.describe_skipped()}", file=sys.stderr)
    request = BuildRequest(
        source=args.source,
        out=args.out,
        chars=parsed.chars,
        size=args.size,
        target=args.target,
        target_dir=args.target_dir,
        overwrite=args.overwrite,
    )
    manifest = drive(build_dataset(request), quiet=args.quiet)
    counts = manifest["counts"]
    missing = manifest["missing"]
    print(
        f"wrote {args.out}: {counts['total']} characters (train {counts['train']}, dev {counts['dev']}, "
        f"test {counts['test']}); missing in source {len(missing['source'])}, in target {len(missing['target'])}"
    )
    return 0
