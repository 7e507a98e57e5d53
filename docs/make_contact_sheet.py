"""Make docs/img/contact-sheet.png: source / skeleton / target for 8 characters in 3 styles.

    .venv/bin/python docs/make_contact_sheet.py [--out docs/img/contact-sheet.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from segan_core.glyphs.render import FontRenderer, to_paper
from segan_core.glyphs.skeleton import skeletonize
from segan_core.resources import SOURCE_FONT, find_font

CHARS = "永和九年岁在癸丑"
STYLES = [
    ("Ma Shan Zheng", "brush/MaShanZheng-Regular.ttf"),
    ("Zhi Mang Xing", "brush/ZhiMangXing-Regular.ttf"),
    ("Liu Jian Mao Cao", "brush/LiuJianMaoCao-Regular.ttf"),
]
SIZE = 96
LABEL_W = 190


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "img" / "contact-sheet.png")
    args = parser.parse_args()
    source = FontRenderer(SOURCE_FONT)
    rows: list[tuple[str, list[np.ndarray]]] = [
        ("source (AR PL KaitiM)", [source.render(c, SIZE) for c in CHARS]),
        ("source skeleton", [skeletonize(source.render(c, SIZE), width=2) for c in CHARS]),
    ]
    for name, path in STYLES:
        font = FontRenderer(find_font(path))
        targets = [font.render(c, SIZE) for c in CHARS]
        rows.append((f"{name}", targets))
        rows.append((f"{name} skeleton", [skeletonize(t, width=2) for t in targets]))
    sheet = Image.new("L", (LABEL_W + SIZE * len(CHARS), SIZE * len(rows)), 255)
    draw = ImageDraw.Draw(sheet)
    label_font = ImageFont.load_default(size=15)
    for r, (label, images) in enumerate(rows):
        draw.text((8, r * SIZE + SIZE // 2 - 8), label, fill=0, font=label_font)
        for c, image in enumerate(images):
            sheet.paste(Image.fromarray(to_paper(image)), (LABEL_W + c * SIZE, r * SIZE))
        draw.line([(0, r * SIZE), (sheet.width, r * SIZE)], fill=200)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    print(f"wrote {args.out} ({sheet.width}x{sheet.height})")


if __name__ == "__main__":
    main()
