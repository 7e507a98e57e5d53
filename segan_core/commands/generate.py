"""``segan generate``: a few glyphs in a style as PNG (and SVG) files, with heatmaps and a contact sheet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segan_core.charset import text_charset
from segan_core.commands.progress import drive
from segan_core.generate import GenerateRequest, generate_to_folder


def register(sub: argparse._SubParsersAction) -> None:
    generate = sub.add_parser(
        "generate",
        help="generate glyphs as PNG/SVG files with their heatmaps and a contact sheet",
        description="Generate the given characters in a brush style: glyphs/<char>.png, svg/<char>.svg (--svg), "
        "heatmaps/<char>-cam|sram|cram.png and contact-sheet.png in --out, with generate.json describing them. "
        "The command-line twin of the app's Generate view.",
    )
    generate.add_argument(
        "--style", required=True, metavar="STYLE_OR_DIR",
        help="a style id with a model, or a model folder; drawn as the app and `segan batch` draw it (with its "
        "second stage at 256 px when it has one)",
    )
    generate.add_argument("--text", required=True, help="the characters to generate (non-Han characters are skipped)")
    generate.add_argument("--out", type=Path, required=True, help="output folder (new, empty or a previous output)")
    generate.add_argument("--svg", action="store_true", help="also write traced outlines as SVG files")
    generate.add_argument("--no-heatmaps", action="store_true", help="skip the attention heatmaps")
    generate.add_argument(
        "--no-upscaler",
        action="store_true",
        help="a style with a second stage (<model>/upscaler/): write its 64 px glyphs without it",
    )
    generate.add_argument("--device", default="auto", help="auto | cpu | cuda | mps")
    generate.add_argument(
        "--overwrite",
        action="store_true",
        help="write into a non-empty folder that is not a previous output (only our files are replaced)",
    )
    generate.add_argument("--quiet", action="store_true")
    generate.set_defaults(func=run_generate)


def run_generate(args: argparse.Namespace) -> int:
    parsed = text_charset(args.text)
    if parsed.non_han:
        print(f"segan: {parsed.describe_skipped()}", file=sys.stderr)
    request = GenerateRequest(
        style=args.style,
        chars=parsed.chars,
        out=args.out,
        svg=args.svg,
        heatmaps=not args.no_heatmaps,
        overwrite=args.overwrite,
        device=args.device,
        second_stage=not args.no_upscaler,
        non_han=parsed.non_han,
    )
    result = drive(generate_to_folder(request), quiet=args.quiet)
    report = result.report
    for char, reason in report["skipped"].items():
        if char not in parsed.non_han:
            print(f"segan: skipped {char} (U+{ord(char):04X}): {reason}", file=sys.stderr)
    kinds = ", ".join(k.upper() for k in report["heatmaps"]) or "no heatmaps"
    print(f"wrote {report['count']} glyphs ({kinds}{', SVG' if report['svg'] else ''}) to {result.out}")
    print(f"contact sheet: {result.out / 'contact-sheet.png'}")
    return 0
