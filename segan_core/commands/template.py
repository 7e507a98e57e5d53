"""``segan template``: write printable template sheets (PDF + PNG pages + JSON sidecar)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segan_core.charset import ParsedText, text_charset
from segan_core.commands.scans import terminate_as_interrupt
from segan_core.errors import CharsetError
from segan_core.scans.charsets import TEMPLATE_SETS, template_charset
from segan_core.scans.template import MAX_PAGES, make_template, write_template

# a charset file of every GB2312 character is 20 KB; the most a template holds (96 pages) is 7,680
MAX_CHARS_FILE_BYTES = 1 << 20


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("template", help="write printable template sheets to write characters on")
    chars = parser.add_mutually_exclusive_group(required=True)
    chars.add_argument("--set", choices=TEMPLATE_SETS, help="a built-in set (core300 is the recommended start)")
    chars.add_argument("--chars", help="a UTF-8 text file of the characters to write")
    chars.add_argument("--text", help="the characters to write, typed in")
    parser.add_argument("--out", type=Path, required=True, help="PDF to write; .json and -pN.png go beside it")
    parser.add_argument("--dpi", type=int, default=300, help="resolution of the PNG pages and the PDF's images")
    parser.add_argument("--no-png", action="store_true", help="write only the PDF and the JSON sidecar")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace existing files at the PDF, sidecar and PNG names even if they are not an "
                        "earlier template's (links and folders are still refused)")
    parser.set_defaults(func=run_template)


def _charset(args: argparse.Namespace) -> tuple[ParsedText, str]:
    if args.text is not None:
        return text_charset(args.text), "custom"
    if args.set:
        return template_charset(args.set), args.set
    path = Path(args.chars)
    if path.exists() and not path.is_file():
        raise CharsetError(f"--chars {path} is not a regular file (a folder or a device); give a UTF-8 text file")
    if path.is_file() and path.stat().st_size > MAX_CHARS_FILE_BYTES:
        raise CharsetError(f"--chars {path} is {path.stat().st_size / 2**20:.1f} MB; a charset file for a template "
                           f"is at most {MAX_CHARS_FILE_BYTES >> 20} MB (a template holds at most {MAX_PAGES} pages)")
    return template_charset(args.chars), path.stem


def run_template(args: argparse.Namespace) -> int:
    parsed, name = _charset(args)
    if parsed.non_han:
        print(f"segan: {parsed.describe_skipped()}", file=sys.stderr)
    template = make_template(parsed.chars, name)
    keep = args.out.suffix.lower() == ".pdf" or args.out.name in ("", ".", "..")  # no name: refused as a folder
    out = args.out if keep else args.out.with_suffix(".pdf")
    with terminate_as_interrupt():
        written = write_template(template, out, dpi=args.dpi, png=not args.no_png, overwrite=args.overwrite)
    print(f"wrote {written[0]} ({template.pages} pages, {len(template.chars)} boxes, template {template.template_id}); "
          f"sidecar {written[-1]}; {len(written) - 2} PNG pages")
    return 0
