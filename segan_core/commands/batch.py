"""``segan batch``: export a whole character set as a font (generate -> trace -> build)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from segan_core.batch import DEFAULT_FONT_SIZE, BatchRequest, export_font
from segan_core.charset import load_charset, text_charset
from segan_core.commands.progress import drive
from segan_core.errors import OutputError
from segan_core.fontbuild.builder import FORMATS
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.fontbuild.naming import DEFAULT_VENDOR_ID, FontNames
from segan_core.vectorize.trace import TraceConfig


def register(sub: argparse._SubParsersAction) -> None:
    batch = sub.add_parser(
        "batch",
        help="export a character set as TTF/OTF/WOFF2 fonts and an editable UFO",
        description="Generate every glyph of a character set in a brush style, trace it and build font files. "
        "Glyphs and outlines are cached, so an interrupted export resumes where it stopped.",
    )
    batch.add_argument(
        "--style",
        required=True,
        metavar="STYLE_OR_DIR",
        help="a style id with a trained model, a model folder, or font:PATH to re-export a font's own glyphs",
    )
    chars = batch.add_mutually_exclusive_group(required=True)
    chars.add_argument("--charset", help="gb2312 | gb2312-1 | gb2312-2 | a UTF-8 text file")
    chars.add_argument("--text", help="the characters to export, typed in")
    batch.add_argument("--out", type=Path, required=True, help="font file to write (FONT.ttf); other formats go beside")
    batch.add_argument(
        "--overwrite",
        action="store_true",
        help="replace existing files at --out that are not a previous export (listed in FONT.report.json), or "
        "a previous export made from another style or model (FONT.report.json names what made it)",
    )
    batch.add_argument("--format", default=None, help=f"comma-separated {','.join(FORMATS)} (default: from --out)")
    batch.add_argument("--family", help="font family name (default: 'Segan <style name>')")
    batch.add_argument("--font-version", default="1.000", help="font version, like 1.000")
    names = batch.add_argument_group("font names", "what the font says about itself (name table, OS/2 vendor ID)")
    names.add_argument("--family-zh", default="", metavar="NAME",
                       help="Simplified Chinese family name (Windows zh-CN name records beside the English ones)")
    names.add_argument("--designer", default="", help="designer name (name ID 9)")
    names.add_argument("--designer-url", default="", metavar="URL", help="designer URL (name ID 12)")
    names.add_argument("--vendor-id", default=DEFAULT_VENDOR_ID, metavar="ABCD",
                       help=f"OS/2 vendor ID: exactly 4 printable ASCII characters (default: {DEFAULT_VENDOR_ID}, "
                       "no registered vendor)")
    names.add_argument("--copyright", default="", help="copyright notice (default: what made the glyphs)")
    names.add_argument("--licence", "--license", dest="licence", default="", metavar="TEXT",
                       help="licence description (the Arphic licence of the fallback glyphs is always appended)")
    names.add_argument("--licence-url", "--license-url", dest="licence_url", default="", metavar="URL",
                       help="licence URL (default with fallback glyphs: the Arphic Public License)")
    names.add_argument("--description", default="",
                       help="description; the style, model and Segan Studio version are always appended")
    batch.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1), help="trace processes (0: inline)")
    batch.add_argument("--batch-size", type=int, default=64, help="glyphs per generator call")
    batch.add_argument("--chunk-size", type=int, default=256, help="glyphs held in memory per pipeline step")
    batch.add_argument("--size", type=int, default=DEFAULT_FONT_SIZE, help="image size for font: sources")
    batch.add_argument("--cache-dir", type=Path, help="glyph cache (default: $SEGAN_CACHE_DIR, ~/.cache/segan-studio)")
    batch.add_argument("--no-cache", action="store_true", help="use a throw-away cache (no resume)")
    batch.add_argument(
        "--no-fallback-glyphs", action="store_true", help="do not copy ASCII/CJK punctuation from the source font"
    )
    batch.add_argument("--report", type=Path, help="report JSON path (default: FONT.report.json; a .txt goes beside)")
    batch.add_argument("--upsample", type=int, default=TraceConfig.upsample, help="trace: bicubic upsampling factor")
    batch.add_argument("--turdsize", type=float, default=TraceConfig.turdsize, help="trace: speckle area (px)")
    batch.add_argument("--alphamax", type=float, default=TraceConfig.alphamax, help="trace: potrace corner threshold")
    batch.add_argument("--opttolerance", type=float, default=TraceConfig.opttolerance, help="trace: curve merging")
    batch.add_argument(
        "--generate-all",
        action="store_true",
        help="a style learned from scans: generate every character instead of using the glyphs the writer wrote",
    )
    batch.add_argument(
        "--quality-gate",
        choices=("off", "flag", "drop"),
        default="off",
        help="read every glyph with the OCR recognizer: flag the unreadable ones in the report, or drop them "
        "from the font (default: off)",
    )
    batch.add_argument(
        "--no-upscaler",
        action="store_true",
        help="a style with a second stage (<model>/upscaler/): export its 64 px glyphs without it, as before",
    )
    layout = batch.add_argument_group(
        "font-wide layout", "every Hanzi of the font moved alike as it is built (the glyph cache keeps them as drawn, "
        "so trying another layout rebuilds from cached outlines)")
    layout.add_argument("--glyph-size", type=float, default=100.0, metavar="PERCENT",
                        help="size of the Hanzi about the centre of the em box, 50 to 150 (default: 100)")
    layout.add_argument("--baseline-shift", type=int, default=0, metavar="UNITS",
                        help="move the Hanzi up (+) or down (-), in 1/1000 em, -300 to 300 (default: 0)")
    layout.add_argument("--letter-spacing", type=int, default=0, metavar="UNITS",
                        help="add to each Hanzi's advance, in 1/1000 em, -200 to 500 (default: 0)")
    batch.add_argument("--quiet", action="store_true")
    batch.set_defaults(func=run_batch)


def parse_formats(text: str | None, out: Path) -> tuple[str, ...]:
    if text is None:
        suffix = out.suffix.lower().lstrip(".")
        if suffix not in FORMATS:
            raise OutputError(f"cannot tell the font format from {out.name}; name it .ttf/.otf/.woff2/.ufo "
                              "or pass --format")
        return (suffix,)
    formats = tuple(dict.fromkeys(f.strip().lower() for f in text.split(",") if f.strip()))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise OutputError(f"unknown --format {', '.join(unknown) or text!r}; choose from {', '.join(FORMATS)}")
    return formats


def run_batch(args: argparse.Namespace) -> int:
    parsed = text_charset(args.text) if args.text is not None else load_charset(args.charset)
    if parsed.non_han:
        print(f"segan: {parsed.describe_skipped()}", file=sys.stderr)
    try:
        trace = TraceConfig(
            upsample=args.upsample, turdsize=args.turdsize, alphamax=args.alphamax, opttolerance=args.opttolerance
        )
    except ValueError as exc:
        raise OutputError(f"invalid trace settings: {exc}") from None
    try:
        names = FontNames(designer=args.designer, designer_url=args.designer_url, vendor_id=args.vendor_id,
                          copyright=args.copyright, licence=args.licence, licence_url=args.licence_url,
                          description=args.description, family_zh=args.family_zh)
    except ValueError as exc:
        raise OutputError(f"invalid font naming: {exc}") from None
    try:
        layout = GlyphLayout(args.glyph_size / 100, args.baseline_shift, args.letter_spacing)
    except ValueError as exc:
        raise OutputError(f"invalid font-wide layout: {exc}") from None
    gate = None
    if args.quality_gate != "off":
        from segan_core.recognizer import quality_gate

        gate = quality_gate()  # a missing recognizer: one line, before any work
    request = BatchRequest(
        source=args.style,
        chars=parsed.chars,
        out=args.out,
        formats=parse_formats(args.format, args.out),
        family=args.family,
        version=args.font_version,
        names=names,
        trace=trace,
        workers=args.workers,
        batch_size=args.batch_size,
        chunk_size=args.chunk_size,
        cache_dir=args.cache_dir,
        use_cache=not args.no_cache,
        fallback_glyphs=not args.no_fallback_glyphs,
        report_path=args.report,
        font_size=args.size,
        non_han=parsed.non_han,
        use_written=not args.generate_all,
        overwrite=args.overwrite,
        quality_gate=gate,
        drop_unreadable=args.quality_gate == "drop",
        upscaler=not args.no_upscaler,
        layout=layout,
    )
    result = drive(export_font(request), quiet=args.quiet)
    report = result.report
    for path in result.paths.values():
        print(f"wrote {path}")
    print(
        f"{report.hanzi_written} hanzi of {report.requested} requested, "
        f"{len(report.skipped)} skipped; report: {result.report_paths[1]}"
    )
    if report.written_glyphs is not None:
        written = report.written_glyphs
        ink = written["ink"]
        ratios = ", ".join(f"{k.removesuffix('_ratio')} {v:g}" for k, v in ink.items() if k.endswith("_ratio"))
        print(f"{written['count']} glyphs written by hand (from {written['folder']}), "
              f"{written['generated']} generated; generated / written: {ratios or 'n/a'}")
    gate = report.quality_gate
    if gate is not None:
        verb = "dropped" if gate.dropped else "flagged"
        print(f"quality gate: {gate.count} unreadable glyph(s) {verb}"
              f"{': ' + gate.unreadable if gate.unreadable else ''}")  # fmt: skip
    stages = ", ".join(f"{k} {v:.1f}s" for k, v in report.stage_seconds.items())
    print(f"stages: {stages}; total {report.total_seconds:.1f}s")
    return 0
