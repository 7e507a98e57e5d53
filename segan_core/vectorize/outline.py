"""Outlines as plain data: a recorded sequence of pen calls in font units, with a compact byte form.

An :class:`Outline` is what a trace produces and what the font builder consumes. It replays into any
fontTools pen (``TTGlyphPen``, ``T2CharStringPen``, a bounds pen, or a Qt preview path adapter), is
picklable (process pools) and round-trips exactly through :meth:`Outline.to_bytes` (the disk cache).
Coordinates are integers once an outline is final (:func:`round_outline`).
"""

from __future__ import annotations

import struct
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from fontTools.pens.basePen import AbstractPen
from fontTools.pens.recordingPen import RecordingPen

OPS = ("moveTo", "lineTo", "curveTo", "qCurveTo", "closePath", "endPath")
_OP_CODE = {name: code for code, name in enumerate(OPS)}
_HEADER = struct.Struct("<HI")  # number of ops, number of points


@dataclass(frozen=True)
class Outline:
    """A glyph outline: ``(operator, points)`` pairs as recorded from a pen, in font units."""

    ops: tuple[tuple[str, tuple[tuple[float, float], ...]], ...]

    @classmethod
    def from_pen_value(cls, value: Iterable[tuple[str, tuple]]) -> Outline:
        """A recording pen's ``value``. A closed quadratic contour with no on-curve point (TrueType allows it, and
        skia-pathops draws one for a small round blob: ``qCurveTo(*off_curve, None)``) gets an explicit start, the
        implied on-curve point between its last and first off-curve points: the same curve."""
        ops = []
        for op, args in value:
            if op not in _OP_CODE:
                raise ValueError(f"unsupported pen operator {op!r}")
            if op == "qCurveTo" and args and args[-1] is None:
                off = [(p[0], p[1]) for p in args[:-1]]
                if not off:
                    raise ValueError("a quadratic contour with neither on-curve nor off-curve points")
                start = ((off[-1][0] + off[0][0]) / 2, (off[-1][1] + off[0][1]) / 2)
                ops.append(("moveTo", (start,)))
                ops.append(("qCurveTo", (*off, start)))
                continue
            ops.append((op, tuple((p[0], p[1]) for p in args)))
        return cls(tuple(ops))

    def draw(self, pen: AbstractPen) -> None:
        for op, points in self.ops:
            getattr(pen, op)(*points)

    @property
    def contour_count(self) -> int:
        return sum(1 for op, _ in self.ops if op == "moveTo")

    @property
    def point_count(self) -> int:
        """Points stored (on- and off-curve), the usual measure of an outline's weight."""
        return sum(len(points) for op, points in self.ops if op != "closePath")

    @property
    def is_empty(self) -> bool:
        return not self.ops

    def contours(self) -> list[Outline]:
        """One outline per contour (moveTo ... closePath)."""
        out, current = [], []
        for item in self.ops:
            current.append(item)
            if item[0] in ("closePath", "endPath"):
                out.append(Outline(tuple(current)))
                current = []
        if current:
            out.append(Outline(tuple(current)))
        return out

    def to_bytes(self) -> bytes:
        """Compact little-endian form; integer coordinates are required (see :func:`round_outline`)."""
        codes = np.fromiter((_OP_CODE[op] for op, _ in self.ops), np.uint8, len(self.ops))
        counts = np.fromiter((len(points) for _, points in self.ops), np.uint8, len(self.ops))
        flat = [c for _, points in self.ops for p in points for c in p]
        coords = np.asarray(flat, dtype=np.float64)
        ints = np.rint(coords)
        if coords.size and (np.abs(coords - ints).max() > 0 or np.abs(ints).max() > 32767):
            raise ValueError("outline coordinates must be integers within int16 to be serialised")
        header = _HEADER.pack(len(self.ops), int(counts.sum()))
        return header + codes.tobytes() + counts.tobytes() + ints.astype("<i2").tobytes()

    @staticmethod
    def bytes_op_count(data: bytes) -> int:
        """How many pen operations a serialised outline holds (0 = empty), without decoding it."""
        return _HEADER.unpack_from(data, 0)[0]

    @classmethod
    def from_bytes(cls, data: bytes) -> Outline:
        n_ops, n_points = _HEADER.unpack_from(data, 0)
        offset = _HEADER.size
        codes = np.frombuffer(data, np.uint8, n_ops, offset)
        counts = np.frombuffer(data, np.uint8, n_ops, offset + n_ops)
        coords = np.frombuffer(data, "<i2", 2 * n_points, offset + 2 * n_ops)
        if offset + 2 * n_ops + 4 * n_points != len(data) or int(counts.sum()) != n_points:
            raise ValueError("outline bytes have the wrong length")
        pts = list(zip(coords[0::2].tolist(), coords[1::2].tolist(), strict=True))
        ops = []
        index = 0
        for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
            ops.append((OPS[code], tuple(pts[index : index + count])))
            index += count
        return cls(tuple(ops))


def record(draw) -> Outline:
    """Run ``draw(pen)`` into a recording pen and return the outline."""
    pen = RecordingPen()
    draw(pen)
    return Outline.from_pen_value(pen.value)


def round_outline(outline: Outline) -> Outline:
    """Round every coordinate to an integer and drop line segments that collapse to a point."""
    ops = []
    last = None
    for op, points in outline.ops:
        rounded = tuple((round(x), round(y)) for x, y in points)
        if op == "lineTo" and rounded[0] == last:
            continue
        ops.append((op, rounded))
        if rounded:
            last = rounded[-1]
        if op == "moveTo":
            last = rounded[0]
    return Outline(tuple(_drop_empty_contours(ops)))


def _drop_empty_contours(ops: list) -> list:
    """Contours reduced to fewer than three distinct points enclose nothing: leave them out."""
    out, current = [], []
    for item in ops:
        current.append(item)
        if item[0] in ("closePath", "endPath"):
            distinct = {p for _, points in current for p in points}
            if len(distinct) >= 3:
                out.extend(current)
            current = []
    out.extend(current)
    return out
