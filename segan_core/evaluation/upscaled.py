"""Scoring the second stage at 256 px: ink IoU and content accuracy against the real glyphs, em-aligned.

Every row draws the split's characters at 256 px on the project's em box (64 px images scale by
exactly 4, margins included) and compares them with the real font rendered at 256 px:

- ``generator + bicubic`` — today's export: the 64 px output upsampled bicubically, as the tracer does;
- ``generator + upscaler`` — the style's second stage;
- ``real font, 64 px + bicubic`` — the real glyphs sent through the 64 px path: what the 64 px grid
  alone costs (the ceiling of any 64 px generator);
- ``real font, 64 px + upscaler`` — the real 64 px glyphs through the second stage: how much of that
  cost the upscaler wins back when the shapes are right. The gap between this row's gain and the
  generator's shows what the stage can and cannot do (it restores detail; it cannot move a stroke the
  generator put in the wrong place).

``iou`` is the bitmap the tracer receives (thresholded at 50 %); with ``traced`` the images are also
traced (each with its own settings: 64 px or 256 px) and the outlines filled at 256 px, so
``iou_traced`` is what the font itself shows. Content accuracy reads the 256 px bitmaps *binarized at the
tracer's 50 %*, as the font draws them, with the OCR recognizer (it resizes them to its own input): read
in grey, the bicubic row's soft edges read differently from the same glyph in the font (Ma Shan Zheng's
first 200 test characters: 0.970 grey, 0.940 binarized), and the upscaler's output is nearly binary.

The style model's glyphs go through the upscaler with its calibrated ink gain; the real font's 64 px
glyphs (the fourth row) without it, since the gain corrects the generator's light edges, not the font's.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from segan_core.data.store import GlyphDataset
from segan_core.errors import SeganError
from segan_core.evaluation.paired import INK_THRESHOLD, ink_iou
from segan_core.glyphs.embox import EmBox
from segan_core.glyphs.skeleton import binarize
from segan_core.inference import REFERENCE_BACKEND
from segan_core.jobs import CancelToken, Progress
from segan_core.outputs import ReportKind
from segan_core.style_source import StyleSource, open_style
from segan_core.styles import StyleRef
from segan_core.upscale.stage import upscaled_trace, upscaler_folder
from segan_core.upscale.train import target_font
from segan_core.vectorize.outline import Outline
from segan_core.vectorize.trace import UPM, TraceConfig, trace_glyph

ROWS = ("generator + bicubic", "generator + upscaler", "real font, 64 px + bicubic", "real font, 64 px + upscaler")
CURVE_STEPS = 8  # line segments per Bézier curve when an outline is filled

# the --json report: a later run replaces only a report of this format
UPSCALE_EVAL = ReportKind("segan eval upscaler", "segan-upscaler-eval")


@dataclass(frozen=True)
class UpscaleEvalRequest:
    model: Path  # the style's model folder
    data: Path  # its 64 px dataset
    split: str = "test"
    limit: int = 200  # the first N characters of the split (0 = all)
    upscaler: Path | None = None  # default: <model>/upscaler
    target_font: Path | None = None  # default: found by the name in the dataset's manifest
    traced: bool = True  # also score the traced outlines
    ocr: bool = True
    trace: TraceConfig = field(default_factory=TraceConfig)  # the 64 px settings (256 px: upscaled_trace)


@dataclass(frozen=True)
class UpscaleEval:
    split: str
    chars: tuple[str, ...]
    size: int
    rows: dict[str, dict[str, float]]  # row -> iou, iou_traced, content_accuracy (those computed)
    upscaler: str
    ink_gain: float = 1.0  # the upscaler's calibrated ink gain (applied to the style model's glyphs)
    calibration_matches: bool = True  # False: calibrated for other weights than this style model's (gain 1 used)

    def to_json(self) -> dict:
        return {"format": UPSCALE_EVAL.format, "split": self.split, "characters": len(self.chars),
                "size": self.size, "upscaler": self.upscaler,
                "ink_gain": self.ink_gain, "calibration_matches": self.calibration_matches,
                "chars": "".join(self.chars), "rows": self.rows}  # fmt: skip


def fill_outline(outline: Outline, size: int, supersample: int = 4) -> np.ndarray:
    """A traced outline (font units, UPM 1000) filled at ``size`` px on the em box: uint8 ink coverage.

    Filled at ``supersample`` x the size and averaged down, so a pixel's value is its covered share
    (the polygon filler also paints every pixel its edge touches: at 4x that bias is 1/8 of a pixel).
    """
    big = size * supersample
    box = EmBox(size)
    contours: list[np.ndarray] = []
    points: list[tuple[float, float]] = []
    for op, args in outline.ops:
        if op == "moveTo":
            points = [box.to_pixels(*args[0], UPM)]
        elif op == "lineTo":
            points.append(box.to_pixels(*args[0], UPM))
        elif op == "curveTo":
            p0 = np.array(points[-1])
            c1, c2, p3 = (np.array(box.to_pixels(*p, UPM)) for p in args)
            for t in np.linspace(0, 1, CURVE_STEPS + 1)[1:]:
                u = 1 - t
                points.append(tuple(u**3 * p0 + 3 * u * u * t * c1 + 3 * u * t * t * c2 + t**3 * p3))
        elif op == "closePath" and len(points) >= 3:
            # pixel i spans [i, i + 1) on the em box but is centred on i for fillPoly; 4 bits of sub-pixel precision
            contours.append(((np.array(points) * supersample - 0.5) * 16).round().astype(np.int32))
    image = np.zeros((big, big), np.uint8)
    if contours:
        cv2.fillPoly(image, contours, 255, lineType=cv2.LINE_8, shift=4)  # even-odd: holes stay open
    return cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA) if supersample > 1 else image


def bicubic_up(images: np.ndarray, size: int) -> np.ndarray:
    """64 px ink images -> ``size`` px, bicubic (what the tracer does before thresholding)."""
    return np.stack([cv2.resize(im, (size, size), interpolation=cv2.INTER_CUBIC) for im in images])


def traced_at(images: np.ndarray, config: TraceConfig, size: int) -> np.ndarray:
    """Trace each image and fill its outline at ``size`` px: the glyph as the font will draw it."""
    return np.stack([fill_outline(trace_glyph(im, config).cubic, size) for im in images])


def _open(request: UpscaleEvalRequest) -> StyleSource:
    """The style with the second stage to score (its own, or ``request.upscaler``), on the reference backend."""
    if request.upscaler is None and upscaler_folder(request.model) is None:
        raise SeganError(f"{request.model} has no upscaler (expected {Path(request.model) / 'upscaler'}); "
                         "train one with `segan train upscaler`, or pass --upscaler RUN_DIR")  # fmt: skip
    return open_style(StyleRef("dir", str(request.model)), second_stage=request.upscaler or True, written=False,
                      device="cpu", backend=REFERENCE_BACKEND)  # fmt: skip


def evaluate_upscaler(request: UpscaleEvalRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Score the four rows on ``request.split``; returns an :class:`UpscaleEval`."""
    cancel = cancel or CancelToken()
    style = _open(request)
    model, stage = style.style_model, style.stage
    assert stage is not None  # _open refuses a style without one
    folder = stage.folder
    dataset = GlyphDataset(request.data)
    split = dataset.split(request.split)
    chars = list(split.chars[: request.limit or None])
    if not chars:
        raise SeganError(f"the {request.split} split of {request.data} is empty")
    split = split.subset(chars)
    size = stage.output_size
    font = target_font(dataset, request.target_font)
    yield Progress("render", 0, len(chars), "the real glyphs at 256 px")
    real = np.stack([font.render(c, size) for c in chars])
    generated = np.zeros((len(chars), model.size, model.size), np.uint8)
    upscaled = np.zeros((len(chars), size, size), np.uint8)
    for start in range(0, len(chars), 64):
        cancel.raise_if_cancelled("upscaler evaluation")
        run = model.run(chars[start : start + 64])
        generated[start : start + len(run.chars)] = run.generated
        upscaled[start : start + len(run.chars)] = stage.upscale(run.generated, run.source)
        yield Progress("generate", start + len(run.chars), len(chars))
    real_up = np.zeros((len(chars), size, size), np.uint8)
    for start in range(0, len(chars), 64):
        cancel.raise_if_cancelled("upscaler evaluation")
        end = min(start + 64, len(chars))
        real_up[start:end] = stage.upscale(split.target[start:end], split.source[start:end], calibrated=False)
        yield Progress("generate", end, len(chars), "the real glyphs through the upscaler")
    images = {ROWS[0]: bicubic_up(generated, size), ROWS[1]: upscaled, ROWS[2]: bicubic_up(split.target, size),
              ROWS[3]: real_up}  # fmt: skip
    inputs = {ROWS[0]: generated, ROWS[1]: upscaled, ROWS[2]: split.target, ROWS[3]: real_up}
    at_256 = upscaled_trace(request.trace, size)
    configs = {ROWS[0]: request.trace, ROWS[1]: at_256, ROWS[2]: request.trace, ROWS[3]: at_256}
    rows: dict[str, dict[str, float]] = {}
    for i, name in enumerate(ROWS):
        cancel.raise_if_cancelled("upscaler evaluation")
        yield Progress("score", i, len(ROWS), name)
        row = {"iou": float(ink_iou(images[name], real).mean())}
        if request.traced:
            row["iou_traced"] = float(ink_iou(traced_at(inputs[name], configs[name], size), real).mean())
        if request.ocr:
            from segan_core.recognizer import content_accuracy

            row["content_accuracy"] = content_accuracy(chars, binarize(images[name], INK_THRESHOLD))
        rows[name] = {k: round(v, 4) for k, v in row.items()}
    yield Progress("score", len(ROWS), len(ROWS))
    return UpscaleEval(request.split, tuple(chars), size, rows, str(folder), stage.ink_gain, stage.calibration_matches)


def format_upscale_table(result: UpscaleEval) -> str:
    order = ("iou", "iou_traced", "content_accuracy")
    columns = sorted({k for row in result.rows.values() for k in row}, key=order.index)
    title = (f"{result.split} split, {len(result.chars)} characters, ink IoU at {result.size} px against the real "
             f"font (upscaler: {result.upscaler}, ink gain {result.ink_gain:g})")  # fmt: skip
    lines = [title, f"{'':<30}" + "".join(f"{c:>18}" for c in columns)]
    if not result.calibration_matches:
        lines.insert(1, "note: the upscaler was calibrated for other weights of this style model, so it ran at "
                        "gain 1; run `segan train calibrate-upscaler` to calibrate it")  # fmt: skip
    for name, row in result.rows.items():
        lines.append(f"{name:<30}" + "".join(f"{row[c]:>18.4f}" for c in columns))
    return "\n".join(lines)


def compare_rows(result: UpscaleEval) -> Sequence[str]:
    """One line per target of issue 20: the upscaler's gain over today's export."""
    before, after = result.rows[ROWS[0]], result.rows[ROWS[1]]
    out = [f"ink IoU {before['iou']:.4f} -> {after['iou']:.4f} ({after['iou'] - before['iou']:+.4f})"]
    if "iou_traced" in after:
        out.append(f"traced ink IoU {before['iou_traced']:.4f} -> {after['iou_traced']:.4f} "
                   f"({after['iou_traced'] - before['iou_traced']:+.4f})")  # fmt: skip
    if "content_accuracy" in after:
        out.append(f"content accuracy {before['content_accuracy']:.4f} -> {after['content_accuracy']:.4f}")
    real_before, real_after = result.rows[ROWS[2]], result.rows[ROWS[3]]
    out.append(f"the real 64 px glyphs: ink IoU {real_before['iou']:.4f} -> {real_after['iou']:.4f} "
               f"({real_after['iou'] - real_before['iou']:+.4f}; what the stage restores when the shapes are right)")
    return out
