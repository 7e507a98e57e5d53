"""Typeset a page of text in an exported font (as any program would: from the TTF/OTF, via FreeType).

    .venv/bin/python docs/make_font_page.py EXPORTED.ttf --out models/ma-shan-zheng/font-page.png \
        [--compare REAL_FONT.ttf] [--title "..."]

The text is the opening of the Thousand Character Classic (every character is in GB2312 level 1).
With ``--compare`` the same lines are set in a second font below, for side-by-side reading. Characters
the second font lacks (the Kouzan fonts draw Japanese forms and miss many simplified ones) are shaded in
the exported font's lines and left as an empty dashed box in the real font's, and the caption counts them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fontTools.ttLib import TTFont
from PIL import Image, ImageDraw, ImageFont

TEXT = (
    "天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水玉出昆冈"
    "剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳推位让国有虞陶唐"
    "吊民伐罪周发殷汤坐朝问道垂拱平章爱育黎首臣伏戎羌遐迩一体率宾归王鸣凤在竹白驹食场化被草木赖及万方"
)
COLUMNS = 24
GLYPH = 44
LINE_GAP = 10
MARGIN = 28


MISSING_FILL = (255, 226, 196)  # shading behind a character the real font lacks
MISSING_EDGE = (214, 120, 60)


def dashed_box(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], dash: int = 4) -> None:
    left, top, right, bottom = box
    for x in range(left, right, 2 * dash):
        draw.line([(x, top), (min(x + dash, right), top)], fill=MISSING_EDGE)
        draw.line([(x, bottom), (min(x + dash, right), bottom)], fill=MISSING_EDGE)
    for y in range(top, bottom, 2 * dash):
        draw.line([(left, y), (left, min(y + dash, bottom))], fill=MISSING_EDGE)
        draw.line([(right, y), (right, min(y + dash, bottom))], fill=MISSING_EDGE)


def _set(
    draw: ImageDraw.ImageDraw,
    font: ImageFont.FreeTypeFont,
    text: str,
    top: int,
    missing: set[str],
    draw_missing: bool,
) -> int:
    """Set ``text`` in rows; ``missing`` characters are shaded (draw_missing) or left as a dashed box."""
    for row in range(0, len(text), COLUMNS):
        for col, char in enumerate(text[row : row + COLUMNS]):
            x = MARGIN + col * GLYPH
            box = (x, top, x + GLYPH - 3, top + GLYPH - 1)
            if char in missing:
                if not draw_missing:
                    dashed_box(draw, box)
                    continue
                draw.rectangle(box, fill=MISSING_FILL)
            draw.text((x, top), char, font=font, fill="black")
        top += GLYPH + LINE_GAP
    return top


def lacks(font_path: Path, text: str) -> set[str]:
    cmap = TTFont(str(font_path), lazy=True).getBestCmap() or {}
    return {char for char in text if ord(char) not in cmap}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("font", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--compare", type=Path, help="a second font set below (e.g. the real brush font)")
    parser.add_argument("--title", default=None)
    parser.add_argument("--chars", type=int, default=len(TEXT))
    args = parser.parse_args()

    text = TEXT[: args.chars]
    rows = -(-len(text) // COLUMNS)
    block = rows * (GLYPH + LINE_GAP)
    label = ImageFont.load_default(size=16)
    missing = lacks(args.compare, text) if args.compare else set()
    title = args.title or f"{args.font.name} (exported by segan batch)"
    if missing:
        title += f"; shaded: {len(missing)} characters the real font lacks, drawn by the model"
    sections = [(title, args.font, True)]
    if args.compare:
        note = f", {len(missing)} characters missing (dashed boxes)" if missing else ""
        sections.append((f"{args.compare.name} (the real font, for comparison{note})", args.compare, False))
    height = MARGIN + len(sections) * (28 + block + MARGIN)
    page = Image.new("RGB", (2 * MARGIN + COLUMNS * GLYPH, height), "white")
    draw = ImageDraw.Draw(page)
    top = MARGIN
    for title, path, draw_missing in sections:
        draw.text((MARGIN, top), title, font=label, fill=(90, 90, 90))
        font = ImageFont.truetype(str(path), GLYPH - 4)
        top = _set(draw, font, text, top + 28, missing, draw_missing) + MARGIN
    args.out.parent.mkdir(parents=True, exist_ok=True)
    page.save(args.out, optimize=True)
    lacking = f", {len(missing)} not in {args.compare.name}" if missing else ""
    print(f"{args.out}: {page.size[0]}x{page.size[1]}, {len(text)} characters{lacking}")


if __name__ == "__main__":
    main()
