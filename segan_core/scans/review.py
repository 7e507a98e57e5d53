"""The review contact sheet of an import: every cell's cleaned glyph with its character and status.

Tiles are laid out in template order, ``COLUMNS`` a row, at most ``PER_SHEET`` tiles a sheet; a
flagged cell gets a coloured frame and its status under the glyph, so a reviewer spots it at once.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

from segan_core.glyphs.render import label_font, to_paper

COLUMNS = 15
PER_SHEET = 300
GLYPH = 96
LABEL = 22
PAD = 4
STATUS_COLOURS = {
    "ok": (200, 200, 200),
    "empty": (120, 120, 255),
    "touches-border": (255, 150, 0),
    "label-mismatch": (230, 0, 0),
    "duplicate-replaced": (0, 160, 0),
    "missing": (120, 120, 120),
}
SHORT = {"touches-border": "border", "label-mismatch": "label?", "duplicate-replaced": "rescan"}


def contact_sheets(tiles: Sequence[tuple[str, str, np.ndarray | None]]) -> list[Image.Image]:
    """``(char, status, ink image or None)`` per cell -> RGB contact sheets of ``PER_SHEET`` tiles."""
    return [_sheet(tiles[i:i + PER_SHEET]) for i in range(0, len(tiles), PER_SHEET)]


def _sheet(tiles: Sequence[tuple[str, str, np.ndarray | None]]) -> Image.Image:
    """Steps: one tile per cell (glyph on white, frame coloured by status, label below)."""
    tile_w, tile_h = GLYPH + 2 * PAD, GLYPH + LABEL + 2 * PAD
    rows = -(-len(tiles) // COLUMNS)
    sheet = Image.new("RGB", (COLUMNS * tile_w, rows * tile_h), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for i, (char, status, ink) in enumerate(tiles):
        x, y = (i % COLUMNS) * tile_w, (i // COLUMNS) * tile_h
        if ink is not None:
            glyph = cv2.resize(ink, (GLYPH, GLYPH), interpolation=cv2.INTER_AREA)
            sheet.paste(Image.fromarray(to_paper(glyph)).convert("RGB"), (x + PAD, y + PAD))
        colour = STATUS_COLOURS.get(status, (255, 0, 255))
        frame = (x + 1, y + 1, x + tile_w - 2, y + PAD + GLYPH + 1)
        draw.rectangle(frame, outline=colour, width=1 if status == "ok" else 3)
        label = char if status == "ok" else f"{char} {SHORT.get(status, status)}"
        draw.text((x + PAD, y + PAD + GLYPH + 2), label, fill=(0, 0, 0) if status == "ok" else colour,
                  font=label_font(LABEL - 6))
    return sheet
