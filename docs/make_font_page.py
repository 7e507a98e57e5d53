"""Typeset a page of text in an exported font (as any program would: from the TTF/OTF, via FreeType).

    .venv/bin/python docs/make_font_page.py EXPORTED.ttf --out models/ma-shan-zheng/font-page.png \
        [--compare REAL_FONT.ttf] [--title "..."]

The text is the opening of the Thousand Character Classic (every character is in GB2312 level 1).
With ``--compare`` the same lines are set in a second font below, for side-by-side reading.
"""

from __future__ import annotations

import argparse
from pathlib import Path

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


def _set(draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, text: str, top: int) -> int:
    for row in range(0, len(text), COLUMNS):
        for col, char in enumerate(text[row : row + COLUMNS]):
            draw.text((MARGIN + col * GLYPH, top), char, font=font, fill="black")
        top += GLYPH + LINE_GAP
    return top


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
    sections = [(args.title or f"{args.font.name} (exported by segan batch)", args.font)]
    if args.compare:
        sections.append((f"{args.compare.name} (the real font, for comparison)", args.compare))
    height = MARGIN + len(sections) * (28 + block + MARGIN)
    page = Image.new("RGB", (2 * MARGIN + COLUMNS * GLYPH, height), "white")
    draw = ImageDraw.Draw(page)
    top = MARGIN
    for title, path in sections:
        draw.text((MARGIN, top), title, font=label, fill=(90, 90, 90))
        top = _set(draw, ImageFont.truetype(str(path), GLYPH - 4), text, top + 28) + MARGIN
    args.out.parent.mkdir(parents=True, exist_ok=True)
    page.save(args.out, optimize=True)
    print(f"{args.out}: {page.size[0]}x{page.size[1]}, {len(text)} characters")


if __name__ == "__main__":
    main()
