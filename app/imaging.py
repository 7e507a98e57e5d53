"""numpy images -> Qt images, heatmap colour maps and overlays, PNG/SVG export of glyphs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QBuffer, QByteArray, QIODevice
from PySide6.QtGui import QImage, QPixmap

from segan_core.glyphs.render import to_paper
from segan_core.vectorize.svg import glyph_svg


def _lut(name: str = "inferno") -> np.ndarray:
    try:
        import pyqtgraph as pg

        table = pg.colormap.get(name).getLookupTable(0.0, 1.0, 256, alpha=False)
        return np.asarray(table, dtype=np.uint8)[:, :3]
    except Exception:  # pragma: no cover - a plain ramp if the colour map data is unavailable
        ramp = np.linspace(0, 255, 256).astype(np.uint8)
        return np.stack([ramp, ramp // 2, 255 - ramp], axis=1)


_LUTS: dict[str, np.ndarray] = {}


def colour_map(values: np.ndarray, name: str = "inferno") -> np.ndarray:
    """float [0, 1] or uint8 [0, 255] (H, W) -> uint8 RGB (H, W, 3)."""
    lut = _LUTS.get(name)
    if lut is None:
        lut = _LUTS[name] = _lut(name)
    if values.dtype == np.uint8:
        return lut[values]
    index = np.clip(np.nan_to_num(values) * 255.0, 0, 255).astype(np.uint8)
    return lut[index]


def paper_rgb(ink: np.ndarray) -> np.ndarray:
    """uint8 ink (H, W) -> RGB black-on-white (H, W, 3)."""
    paper = to_paper(ink)
    return np.repeat(paper[:, :, None], 3, axis=2)


def overlay(ink: np.ndarray, heat: np.ndarray, alpha: float = 0.55) -> np.ndarray:
    """The glyph (black on white) with the colour-mapped heatmap blended over it."""
    base = paper_rgb(ink).astype(np.float32)
    colour = colour_map(heat).astype(np.float32)
    return np.clip(base * (1 - alpha) + colour * alpha, 0, 255).astype(np.uint8)


def to_qimage(array: np.ndarray) -> QImage:
    """uint8 (H, W) grey or (H, W, 3) RGB -> a QImage that owns its pixels."""
    data = np.ascontiguousarray(array, dtype=np.uint8)
    if data.ndim == 2:
        h, w = data.shape
        image = QImage(data.data, w, h, w, QImage.Format.Format_Grayscale8)
    elif data.ndim == 3 and data.shape[2] == 3:
        h, w, _ = data.shape
        image = QImage(data.data, w, h, 3 * w, QImage.Format.Format_RGB888)
    else:
        raise ValueError(f"cannot show an image of shape {data.shape}")
    return image.copy()


def ink_pixmap(ink: np.ndarray, size: int | None = None) -> QPixmap:
    image = to_qimage(to_paper(ink))
    pixmap = QPixmap.fromImage(image)
    if size and size != pixmap.width():
        from PySide6.QtCore import Qt

        pixmap = pixmap.scaled(size, size, Qt.AspectRatioMode.KeepAspectRatio,
                               Qt.TransformationMode.SmoothTransformation)
    return pixmap


def png_bytes(array: np.ndarray) -> bytes:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    to_qimage(array).save(buffer, "PNG")
    return bytes(QByteArray(buffer.data()).data())


def save_png(ink: np.ndarray, path: Path) -> None:
    path.write_bytes(png_bytes(to_paper(ink)))


def svg_for(ink: np.ndarray) -> str:
    """An SVG of one glyph: traced outlines, else the embedded PNG (:func:`segan_core.vectorize.svg.glyph_svg`)."""
    return glyph_svg(ink)
