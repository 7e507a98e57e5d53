"""Set the same characters at 72 pt in three fonts, one row each: before the second stage, after it, and real.

    .venv/bin/python docs/make_upscale_page.py --before BEFORE.ttf --after AFTER.ttf --real REAL.ttf \
        (--text "..." | --data DATASET [--count 10]) --out models/ma-shan-zheng/upscale-page.png [--title "..."]

"Before" is the style's export without its upscaler (``segan batch --no-upscaler``), "after" the export
with it; both are read from the font files as any program would (FreeType, through Pillow). 72 pt is
set at 96 dpi, so one em is 96 px, about the size of a title on a poster. Characters the real font
lacks are left as a dashed box in its row.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from make_font_page import dashed_box, lacks  # docs/ is on sys.path when this script runs
from PIL import Image, ImageDraw, ImageFont

POINT_SIZE = 72
DPI = 96
EM = POINT_SIZE * DPI // 72  # 96 px
GAP = 8  # between characters
LABEL_WIDTH = 150
MARGIN = 20


def set_row(draw: ImageDraw.ImageDraw, font_path: Path, text: str, top: int) -> None:
    """``text`` in ``font_path`` at one em per cell, each character on the em box's own baseline."""
    font = ImageFont.truetype(str(font_path), EM)
    missing = lacks(font_path, text)
    for i, char in enumerate(text):
        left = MARGIN + LABEL_WIDTH + i * (EM + GAP)
        if char in missing:
            dashed_box(draw, (left, top, left + EM, top + EM), dash=6)
            continue
        draw.text((left, top), char, font=font, fill="black")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, required=True, help="the export without the second stage")
    parser.add_argument("--after", type=Path, required=True, help="the export with the second stage")
    parser.add_argument("--real", type=Path, required=True, help="the real brush font")
    chars = parser.add_mutually_exclusive_group(required=True)
    chars.add_argument("--text", help="the characters to set")
    chars.add_argument("--data", type=Path,
                       help="a style's dataset: set the first --count characters of its test split")
    parser.add_argument("--count", type=int, default=10)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--title", default=None)
    args = parser.parse_args()
    for path in (args.before, args.after, args.real):
        if not path.is_file():
            parser.error(f"font file not found: {path}")
    if args.data is not None:  # characters neither the generator nor the upscaler trained on
        from segan_core.data.store import GlyphDataset

        args.text = "".join(GlyphDataset(args.data).split("test").chars[: args.count])

    rows = [("before (64 px)", args.before), ("after (256 px)", args.after), ("real font", args.real)]
    row_height = EM + 2 * GAP
    width = 2 * MARGIN + LABEL_WIDTH + len(args.text) * (EM + GAP)
    height = MARGIN + 30 + len(rows) * row_height + MARGIN
    page = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(page)
    label = ImageFont.load_default(size=18)
    title = args.title or f"{args.after.stem}: set at {POINT_SIZE} pt ({EM} px per em)"
    draw.text((MARGIN, MARGIN), title, font=label, fill=(90, 90, 90))
    top = MARGIN + 30
    for name, path in rows:
        draw.text((MARGIN, top + EM // 2 - 10), name, font=label, fill=(90, 90, 90))
        set_row(draw, path, args.text, top)
        top += row_height
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp.png")
    page.save(tmp, optimize=True)
    tmp.replace(args.out)
    print(f"{args.out}: {width}x{height}, {len(args.text)} characters at {POINT_SIZE} pt")


if __name__ == "__main__":
    main()
