"""Draw the application icon: 永 from the bundled Kai font, white on a vermilion seal.

    python tools/make_icon.py        # writes resources/icons/segan-studio.png (256 x 256)
"""

from __future__ import annotations

import sys
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from segan_core.resources import RESOURCES_DIR, SOURCE_FONT

SIZE = 256
SEAL = (196, 48, 36, 255)
OUT = RESOURCES_DIR / "icons" / "segan-studio.png"


def draw() -> Image.Image:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((8, 8, SIZE - 9, SIZE - 9), radius=36, fill=SEAL)
    draw.rounded_rectangle((22, 22, SIZE - 23, SIZE - 23), radius=26, outline=(255, 255, 255, 230), width=5)
    font = ImageFont.truetype(str(SOURCE_FONT), size=176)
    draw.text((SIZE / 2, SIZE / 2 + 4), "永", font=font, fill=(255, 255, 255, 255), anchor="mm")
    return image


if __name__ == "__main__":
    OUT.parent.mkdir(parents=True, exist_ok=True)
    draw().save(OUT, optimize=True)
    print(f"wrote {OUT}")
