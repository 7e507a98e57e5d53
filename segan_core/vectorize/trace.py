"""Glyph image -> font outlines: bicubic upsampling, threshold, potrace, em-box mapping, pens.

The steps, each a small function:

1. :func:`prepare_bitmap` — upsample the *grayscale* ink image bicubically by ``TraceConfig.upsample``
   and threshold it. Thresholding after upsampling turns the anti-aliased edge into a sub-pixel
   boundary, which is what makes the traced contours smooth rather than staircased.
2. :func:`potrace_outline` — potrace (``potracecffi``) turns the bitmap into closed Bézier contours;
   each point is mapped back to font units with :meth:`EmBox.to_font_units` (UPM 1000), the exact
   inverse of the renderer's mapping, so a traced glyph sits where the rendered one did.
3. :func:`clean_outline` — skia-pathops removes overlaps (curve fitting can make neighbouring
   contours cross) and fixes the winding: outer contours counter-clockwise, the CFF/PostScript rule.
4. :func:`to_cubic` / :func:`to_quadratic` — the CFF outline (cubic, counter-clockwise) and the
   TrueType outline (quadratic through cu2qu, reversed to clockwise outer contours), both rounded to
   integer font units.

:func:`trace_glyph` runs all four and returns a :class:`TracedGlyph`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import asdict, dataclass

import cv2
import numpy as np
import pathops
import potracecffi
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.recordingPen import RecordingPen

from segan_core.glyphs.embox import EmBox
from segan_core.vectorize.outline import Outline, record, round_outline

UPM = 1000
REFERENCE_SIZE = 64  # the image size TraceConfig's defaults were tuned at


@dataclass(frozen=True)
class TraceConfig:
    """How glyph images become outlines. The defaults were tuned on real brush glyphs (docs/fonts.md).

    - ``upsample``: bicubic upsampling factor applied to the grayscale image before thresholding.
    - ``threshold``: ink coverage (0-255) above which an upsampled pixel is ink; 128 puts the
      boundary where the anti-aliased renderer had 50 % coverage.
    - ``turdsize``: speckles up to this area, in *source-image* pixels, are dropped.
    - ``alphamax``: potrace corner threshold (0 = polygon, 1.3334 = no corners); lower keeps the
      sharp brush-tip corners.
    - ``opttolerance``: potrace curve-merging tolerance in *upsampled* pixels; higher = fewer points.
    - ``opticurve``: let potrace join adjacent Bézier segments.
    - ``max_error``: cu2qu tolerance in font units for the TrueType (quadratic) outlines.
    - ``remove_overlaps``: run skia-pathops simplify (overlap removal + winding fix).
    """

    upsample: int = 4
    threshold: int = 128
    turdsize: float = 1.0
    alphamax: float = 1.0
    opttolerance: float = 0.2
    opticurve: bool = True
    max_error: float = 1.0
    remove_overlaps: bool = True

    def __post_init__(self) -> None:
        if not 1 <= self.upsample <= 16:
            raise ValueError(f"upsample must be within 1..16, got {self.upsample}")
        if not 1 <= self.threshold <= 254:
            raise ValueError(f"threshold must be within 1..254, got {self.threshold}")
        if self.turdsize < 0 or self.alphamax < 0 or self.opttolerance < 0 or self.max_error <= 0:
            raise ValueError("turdsize, alphamax and opttolerance must be >= 0 and max_error > 0")

    def at_size(self, size: int) -> TraceConfig:
        """These settings (tuned at :data:`REFERENCE_SIZE` px) for glyph images of ``size`` px: the same effective
        resolution (``upsample`` 4 at 64 px is 1 at 256 px) and speckles of the same area in em units."""
        upsample = max(1, round(self.upsample * REFERENCE_SIZE / size))
        scale = size / REFERENCE_SIZE
        return dataclasses.replace(self, upsample=upsample, turdsize=self.turdsize * scale * scale)

    @property
    def key(self) -> str:
        """A short hash of every field: outlines cached under one config are never reused for another."""
        return hashlib.sha256(json.dumps(asdict(self), sort_keys=True).encode()).hexdigest()[:12]


@dataclass(frozen=True)
class TracedGlyph:
    """One traced glyph in both flavours, integer font units, UPM 1000."""

    cubic: Outline  # CFF: cubic Béziers, outer contours counter-clockwise
    quadratic: Outline  # TrueType: quadratic B-splines, outer contours clockwise

    @property
    def is_empty(self) -> bool:
        return self.cubic.is_empty

    def to_bytes(self) -> bytes:
        cubic = self.cubic.to_bytes()
        return len(cubic).to_bytes(4, "little") + cubic + self.quadratic.to_bytes()

    @staticmethod
    def bytes_is_empty(data: bytes) -> bool:
        """True when a serialised glyph has no contour (cheap: reads one header)."""
        return Outline.bytes_op_count(data[4:]) == 0

    @classmethod
    def from_bytes(cls, data: bytes) -> TracedGlyph:
        n = int.from_bytes(data[:4], "little")
        if n > len(data) - 4:
            raise ValueError("traced glyph bytes are truncated")
        return cls(Outline.from_bytes(data[4 : 4 + n]), Outline.from_bytes(data[4 + n :]))


def prepare_bitmap(image: np.ndarray, config: TraceConfig) -> np.ndarray:
    """Ink image (uint8, S x S) -> boolean bitmap at ``upsample`` x the resolution."""
    if image.ndim != 2 or image.shape[0] != image.shape[1]:
        raise ValueError(f"expected a square 2-D glyph image, got shape {image.shape}")
    gray = np.ascontiguousarray(image, dtype=np.uint8)
    if config.upsample > 1:
        side = gray.shape[0] * config.upsample
        gray = cv2.resize(gray, (side, side), interpolation=cv2.INTER_CUBIC)
    return gray >= config.threshold


def potrace_outline(bitmap: np.ndarray, image_size: int, config: TraceConfig) -> Outline:
    """Trace a bitmap (``upsample`` x an ``image_size`` glyph) into font-unit contours (floats).

    potrace works in image coordinates (y down); the em-box mapping flips y, which turns potrace's
    outer contours counter-clockwise in font units.
    """
    if not bitmap.any():
        return Outline(())
    factor = bitmap.shape[0] / image_size
    box = EmBox(image_size)
    scale = UPM / box.em_px
    # upsampled pixel -> font units: x' = (x/f - margin) * s, y' = (baseline - y/f) * s
    mul = np.array([scale / factor, -scale / factor])
    add = np.array([-box.margin * scale, box.baseline_px * scale])
    ops: list = []
    for tags, points in _potrace(bitmap, config, factor):
        pts = points * mul + add  # (n, 3, 2): per segment c0, c1 (corner), c2 (end point)
        rows = pts.tolist()
        ops.append(("moveTo", (tuple(rows[-1][2]),)))
        for tag, (c0, c1, c2) in zip(tags.tolist(), rows, strict=True):
            if tag == potracecffi.CORNER:
                ops.append(("lineTo", (tuple(c1),)))
                ops.append(("lineTo", (tuple(c2),)))
            else:
                ops.append(("curveTo", (tuple(c0), tuple(c1), tuple(c2))))
        ops.append(("closePath", ()))
    return Outline(tuple(ops))


def _potrace(bitmap: np.ndarray, config: TraceConfig, factor: float) -> list[tuple[np.ndarray, np.ndarray]]:
    """Run potrace; ``(tags (n,), points (n, 3, 2))`` per closed path, in upsampled pixels.

    Calls the C library directly (``potracecffi.trace`` also walks the whole result in Python to
    estimate its size) and copies the curves out through numpy buffers.
    """
    ffi, lib = potracecffi.ffi, potracecffi.lib
    params = lib.potrace_param_default()
    bm = ffi.new("potrace_bitmap_t*")
    state = ffi.NULL
    data = np.ascontiguousarray(bitmap, dtype=np.uint8)
    try:
        params.turdsize = round(config.turdsize * factor * factor)
        params.turnpolicy = potracecffi.TURNPOLICY_MINORITY
        params.alphamax = config.alphamax
        params.opticurve = int(config.opticurve)
        params.opttolerance = config.opttolerance
        if lib.potracecffi_pack_bitmap_data(bm, ffi.from_buffer(data), data.shape[1], data.shape[0]) != 0:
            raise MemoryError("potrace could not allocate its bitmap")
        state = lib.potrace_trace(params, bm)
        if state == ffi.NULL or state.status != 0:
            raise RuntimeError("potrace failed")
        out = []
        path = state.plist
        while path != ffi.NULL:
            n = path.curve.n
            if n:
                tags = np.frombuffer(ffi.buffer(path.curve.tag, n * ffi.sizeof("int")), np.intc).copy()
                points = np.frombuffer(ffi.buffer(path.curve.c, n * 3 * ffi.sizeof("potrace_dpoint_t")), np.float64)
                out.append((tags, points.reshape(n, 3, 2).copy()))
            path = path.next
        return out
    finally:
        if state != ffi.NULL:
            lib.potrace_state_free(state)
        lib.potrace_param_free(params)
        lib.potracecffi_free_bitmap_data(bm)


def clean_outline(outline: Outline, config: TraceConfig) -> Outline:
    """Remove overlaps and make outer contours counter-clockwise (skia-pathops)."""
    if outline.is_empty or not config.remove_overlaps:
        return outline
    path = pathops.Path()
    pen = path.getPen()
    for op, points in outline.ops:
        getattr(pen, op)(*points)
    path = pathops.simplify(path, fix_winding=True, keep_starting_points=True, clockwise=False)
    return record(path.draw)


def to_cubic(outline: Outline) -> Outline:
    """The CFF flavour: cubic curves as traced, integer coordinates."""
    return round_outline(outline)


def to_quadratic(outline: Outline, max_error: float) -> Outline:
    """The TrueType flavour: cu2qu quadratics, contours reversed (outer clockwise), integers."""
    pen = RecordingPen()
    outline.draw(Cu2QuPen(pen, max_error, reverse_direction=True))
    return round_outline(Outline.from_pen_value(pen.value))


def trace_glyph(image: np.ndarray, config: TraceConfig | None = None) -> TracedGlyph:
    """Ink image (uint8, S x S on the em box) -> outlines for CFF and TrueType, UPM 1000."""
    config = config or TraceConfig()
    bitmap = prepare_bitmap(image, config)
    outline = clean_outline(potrace_outline(bitmap, image.shape[0], config), config)
    return TracedGlyph(to_cubic(outline), to_quadratic(outline, config.max_error))


def trace_many(images: np.ndarray, config: TraceConfig | None = None) -> list[bytes]:
    """Trace a stack of images; the serialised :class:`TracedGlyph` of each (process-pool friendly)."""
    config = config or TraceConfig()
    return [trace_glyph(image, config).to_bytes() for image in images]
