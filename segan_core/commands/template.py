"""``segan template``: write printable template sheets (PDF + PNG pages + JSON sidecar)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from segan_core.charset import text_charset
from segan_core.scans.charsets import TEMPLATE_SETS, template_charset
from segan_core.scans.template import make_template, write_template


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("template", help="write printable template sheets to write characters on")
    chars = parser.add_mutually_exclusive_group(required=True)
    chars.add_argument("--set", choices=TEMPLATE_SETS, help="a built-in set (core300 is the recommended start)")
    chars.add_argument("--chars", help="a UTF-8 text file of the characters to write")
    chars.add_argument("--text", help="the characters to write, typed in")
    parser.add_argument("--out", type=Path, required=True, help="PDF to write; .json and -pN.png go beside it")
    parser.add_argument("--dpi", type=int, default=300, help="resolution of the PNG pages and the PDF's images")
    parser.add_argument("--no-png", action="store_true", help="write only the PDF and the JSON sidecar")
    parser.set_defaults(func=run_template)


def run_template(args: argparse.Namespace) -> int:
    if args.text:
        parsed, name = text_charset(args.text), "custom"
    else:
        spec = args.set or args.chars
        parsed, name = template_charset(spec), args.set or Path(spec).stem
    if parsed.non_han:
        print(f"segan: {parsed.describe_skipped()}", file=sys.stderr)
    template = make_template(parsed.chars, name)
    out = args.out if args.out.suffix.lower() == ".pdf" else args.out.with_suffix(".pdf")
    written = write_template(template, out, dpi=args.dpi, png=not args.no_png)
    print(f"wrote {out} ({template.pages} pages, {len(template.chars)} boxes, template {template.template_id}); "
          f"sidecar {out.with_suffix('.json')}; {len(written) - 2} PNG pages")
    return 0
