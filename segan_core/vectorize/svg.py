"""One glyph image -> an SVG document: its traced outlines, or the bitmap embedded when tracing fails.

Used by the app's Generate view (Export SVG…) and by ``segan generate --svg``.
"""

from __future__ import annotations

import base64
import io

import numpy as np
from fontTools.pens.svgPathPen import SVGPathPen
from fontTools.pens.transformPen import TransformPen
from PIL import Image

from segan_core.glyphs.embox import EmBox
from segan_core.glyphs.render import to_paper
from segan_core.vectorize.trace import UPM, TraceConfig, trace_glyph


def glyph_svg(ink: np.ndarray, config: TraceConfig | None = None) -> str:
    """An SVG of one (S, S) uint8 ink glyph: traced outlines on the image's pixel grid, else the embedded PNG.
    ``config``: the trace settings (default: those tuned at 64 px)."""
    traced = traced_svg(ink, config)
    return traced if traced is not None else bitmap_svg(ink)


def traced_svg(ink: np.ndarray, config: TraceConfig | None = None) -> str | None:
    """Outlines traced by potrace (:func:`trace_glyph`), mapped back onto the image's pixels; None if tracing fails."""
    try:
        traced = trace_glyph(ink, config)
    except Exception:  # any tracing failure: the caller falls back to the embedded bitmap
        return None
    size = ink.shape[0]
    box = EmBox(size)
    scale = box.em_px / UPM
    svg_pen = SVGPathPen(None, ntos=lambda v: f"{v:.2f}".rstrip("0").rstrip("."))
    traced.cubic.draw(TransformPen(svg_pen, (scale, 0, 0, -scale, box.margin, box.baseline_px)))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" viewBox="0 0 {size} {size}">\n'
        f'  <rect width="{size}" height="{size}" fill="white"/>\n'
        f'  <path d="{svg_pen.getCommands()}" fill="black" fill-rule="nonzero"/>\n</svg>\n'
    )


def bitmap_svg(ink: np.ndarray) -> str:
    """The glyph as a black-on-white PNG embedded in an SVG."""
    h, w = ink.shape
    buffer = io.BytesIO()
    Image.fromarray(to_paper(ink)).save(buffer, "PNG")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{w}" height="{h}" viewBox="0 0 {w} {h}">\n'
        f'  <image width="{w}" height="{h}" xlink:href="data:image/png;base64,{data}"/>\n</svg>\n'
    )
