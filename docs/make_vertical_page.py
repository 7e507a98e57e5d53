"""Set a page of vertical Chinese (top to bottom, columns right to left) in an exported font.

    .venv/bin/segan batch --style ma-shan-zheng --text "$(python docs/make_vertical_page.py --chars)" \
        --out /tmp/vert/MaShan.ttf --format ttf
    .venv/bin/python docs/make_vertical_page.py /tmp/vert/MaShan.ttf --out docs/img/vertical-page.png

Pillow lays each column out with libraqm (HarfBuzz) in the ``ttb`` direction, which applies the font's
``vert`` feature: the punctuation and brackets come out in their vertical forms, as in any vertical text
engine. Each column is one ``ImageDraw.text`` call; nothing is positioned by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, features

# the opening of the Thousand Character Classic, punctuated, with a quotation and a book title
COLUMNS = (
    "天地玄黄，宇宙洪荒。",
    "日月盈昃，辰宿列张。",
    "「寒来暑往，秋收冬藏。」",
    "闰余成岁，律吕调阳；",
    "云腾致雨，露结为霜！",
    "《千字文》（周兴嗣）——",
    "金生丽水，玉出昆冈……",
)
GLYPH = 44
COLUMN_GAP = 18
MARGIN = 28


def hanzi() -> str:
    return "".join(dict.fromkeys(c for c in "".join(COLUMNS) if "\u4e00" <= c <= "\u9fff"))


def render(font_path: Path, out: Path) -> None:
    if not features.check("raqm"):
        sys.exit("Pillow was built without libraqm: no vertical layout")
    font = ImageFont.truetype(str(font_path), GLYPH, layout_engine=ImageFont.Layout.RAQM)
    rows = max(len(c) for c in COLUMNS)
    width = 2 * MARGIN + len(COLUMNS) * GLYPH + (len(COLUMNS) - 1) * COLUMN_GAP
    height = 2 * MARGIN + rows * GLYPH
    image = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(image)
    for i, column in enumerate(COLUMNS):  # right to left
        x = width - MARGIN - i * (GLYPH + COLUMN_GAP) - GLYPH // 2
        draw.text((x, MARGIN), column, font=font, fill=0, direction="ttb", anchor="mt")
    out.parent.mkdir(parents=True, exist_ok=True)
    image.save(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("font", type=Path, nargs="?")
    parser.add_argument("--out", type=Path, default=Path("docs/img/vertical-page.png"))
    parser.add_argument("--chars", action="store_true", help="print the Hanzi the page needs and exit")
    args = parser.parse_args()
    if args.chars:
        print(hanzi())
        return
    if args.font is None:
        parser.error("give the exported font")
    render(args.font, args.out)


if __name__ == "__main__":
    main()
