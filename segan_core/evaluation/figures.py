"""Report figures: the sample grid (paper Fig. 4) and the attention heatmaps (paper Fig. 5b).

Pillow images, black ink on white paper; labels are drawn with the bundled Kai font so that
Chinese and Latin names both render.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np
from PIL import Image, ImageDraw

from segan_core.glyphs.render import label_font, to_paper

CELL_PAD = 4
LABEL_WIDTH = 220
HEADER = 28
HEATMAP_KINDS = ("cam", "sram", "cram")


def _cell(size: int) -> int:
    return max(size, 48) + CELL_PAD


def _paste_glyph(canvas: Image.Image, ink: np.ndarray, x: int, y: int, cell: int) -> None:
    glyph = Image.fromarray(to_paper(ink))
    inner = cell - CELL_PAD
    if glyph.size[0] != inner:
        glyph = glyph.resize((inner, inner), Image.Resampling.LANCZOS)
    canvas.paste(glyph, (x + CELL_PAD // 2, y + CELL_PAD // 2))


def sample_grid(rows: Sequence[tuple[str, np.ndarray]], chars: Sequence[str]) -> Image.Image:
    """Rows = (label, (N, S, S) ink images); columns = characters, named in a header line."""
    size = int(rows[0][1].shape[-1]) if rows else 64
    cell = _cell(size)
    width = LABEL_WIDTH + cell * len(chars)
    height = HEADER + cell * len(rows)
    canvas = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(canvas)
    small_font, head_font = label_font(14), label_font(18)
    for j, char in enumerate(chars):
        draw.text((LABEL_WIDTH + j * cell + cell // 2, HEADER // 2), char, fill="black", font=head_font, anchor="mm")
    for i, (label, images) in enumerate(rows):
        y = HEADER + i * cell
        draw.text((6, y + cell // 2), _fit(label, 30), fill="black", font=small_font, anchor="lm")
        for j in range(min(len(chars), len(images))):
            _paste_glyph(canvas, images[j], LABEL_WIDTH + j * cell, y, cell)
        draw.line([(0, y), (width, y)], fill=(220, 220, 220))
    return canvas


def overlay(ink: np.ndarray, heat: np.ndarray) -> np.ndarray:
    """A heatmap (S, S) in [0, 1], jet-coloured, blended over the black-on-white glyph: RGB uint8."""
    size = ink.shape[-1]
    heat = np.asarray(heat, np.float32)
    if heat.shape != (size, size):
        heat = cv2.resize(heat, (size, size), interpolation=cv2.INTER_LINEAR)
    coloured = cv2.applyColorMap(np.clip(heat * 255, 0, 255).astype(np.uint8), cv2.COLORMAP_JET)[..., ::-1]
    paper = np.repeat(to_paper(ink)[..., None], 3, axis=2).astype(np.float32)
    return np.clip(0.55 * paper + 0.45 * coloured, 0, 255).astype(np.uint8)


def heatmap_figure(source: np.ndarray, rows, chars: Sequence[str], max_chars: int = 8) -> Image.Image:
    """For each model row with heatmaps: its output, then CAM / SRAM / CRAM over the source glyph."""
    count = min(len(chars), max_chars)
    size = int(source.shape[-1])
    cell = _cell(size)
    lines: list[tuple[str, list[np.ndarray]]] = [("source", [np.repeat(to_paper(source[j])[..., None], 3, 2)
                                                             for j in range(count)])]
    for row in rows:
        lines.append((f"{row.name}: output", [np.repeat(to_paper(row.samples[j])[..., None], 3, 2)
                                              for j in range(count)]))
        for kind in HEATMAP_KINDS:
            maps = row.heatmaps.get(kind) if row.heatmaps else None
            if maps is not None and len(maps) >= count:
                lines.append((f"{row.name}: {kind.upper()}", [overlay(source[j], maps[j]) for j in range(count)]))
    canvas = Image.new("RGB", (LABEL_WIDTH + cell * count, HEADER + cell * len(lines)), "white")
    draw = ImageDraw.Draw(canvas)
    for j in range(count):
        draw.text((LABEL_WIDTH + j * cell + cell // 2, HEADER // 2), chars[j], fill="black", font=label_font(18),
                  anchor="mm")
    for i, (label, tiles) in enumerate(lines):
        y = HEADER + i * cell
        draw.text((6, y + cell // 2), _fit(label, 30), fill="black", font=label_font(14), anchor="lm")
        for j, tile in enumerate(tiles):
            image = Image.fromarray(tile)
            if image.size[0] != cell - CELL_PAD:
                image = image.resize((cell - CELL_PAD, cell - CELL_PAD), Image.Resampling.LANCZOS)
            canvas.paste(image, (LABEL_WIDTH + j * cell + CELL_PAD // 2, y + CELL_PAD // 2))
    return canvas


def _fit(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"
