"""Calibrating a style's second stage to its generator: how much of the generator's grey edge is ink.

The generator draws ink it is unsure of in grey. Thresholded at 50 % (the tracer's rule), that grey edge
is paper, and the glyphs come out lighter and narrower than the real ones (on the test split, the
shipped models' glyphs carry 0.97 x and 0.92 x the real glyphs' ink). The upscaler is trained on degraded
*real* glyphs, whose grey edges mean something else, so it keeps that bias.

The calibration is one number per (upscaler, generator): an **ink gain** (:mod:`segan_core.glyphs.ink_gain`)
that multiplies the generated glyph's ink (clipped at full ink) before the upscaler. It is chosen on the
style's *training* characters only: the gain of :data:`GAINS` (1 to 8: at 8, a pixel of 1/16 grey becomes
half ink) with the highest mean ink IoU at the output size against the real glyphs, among the gains whose
output carries at most ``max_ink_ratio`` x the real glyphs' ink (default 1.10: never more than a tenth
heavier than the real font, so that the gain cannot buy IoU by drawing bold). Every gain's scores are kept
in the upscaler's ``config.json`` beside the choice. The calibration belongs to the style model it was measured for (its
weights' SHA-256 is recorded): with other weights the stage runs at gain 1 until it is calibrated again.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from segan_core.errors import CheckpointError, SeganError
from segan_core.glyphs.ink_gain import GAINS, MAX_GAIN, GainScore, apply_gain, choose_gain, score_output
from segan_core.jobs import CancelToken, Progress

if TYPE_CHECKING:
    from segan_core.upscale.stage import SecondStage

CALIBRATION_KEY = "calibration"
DEFAULT_MAX_INK_RATIO = 1.10


@dataclass(frozen=True)
class Calibration:
    ink_gain: float
    max_ink_ratio: float
    characters: int  # training characters it was measured on
    generator_sha256: str  # the style model it was measured for
    scores: tuple[GainScore, ...]

    def __post_init__(self) -> None:
        if not 1.0 <= self.ink_gain <= MAX_GAIN:
            raise ValueError(f"ink_gain must be within 1..{MAX_GAIN:g}, got {self.ink_gain}")

    def to_json(self) -> dict[str, Any]:
        return {
            "ink_gain": self.ink_gain,
            "max_ink_ratio": self.max_ink_ratio,
            "characters": self.characters,
            "generator_sha256": self.generator_sha256,
            "scores": [{"gain": s.gain, "iou": s.iou, "ink_ratio": s.ink_ratio} for s in self.scores],
        }

    @classmethod
    def from_json(cls, data: Any, where: str) -> Calibration:
        try:
            scores = tuple(GainScore(float(s["gain"]), float(s["iou"]), float(s["ink_ratio"])) for s in data["scores"])
            return cls(float(data["ink_gain"]), float(data["max_ink_ratio"]), int(data["characters"]),
                       str(data["generator_sha256"]), scores)  # fmt: skip
        except (KeyError, TypeError, ValueError) as exc:
            raise CheckpointError(f"{where}: the upscaler's calibration is not readable ({exc})") from None


def read_calibration(config: dict[str, Any], where: str) -> Calibration | None:
    """The calibration section of an upscaler's ``config.json`` (``None``: not calibrated, gain 1)."""
    section = config.get(CALIBRATION_KEY)
    return None if section is None else Calibration.from_json(section, where)


def check_max_ink_ratio(value: float) -> None:
    if not (math.isfinite(value) and value >= 1.0):
        raise SeganError(f"--max-ink-ratio {value:g}: give a number of 1 or more (the real font's ink is 1)")


def calibrate(
    stage: SecondStage,
    generated: np.ndarray,
    source: np.ndarray,
    target: np.ndarray,
    generator_sha256: str,
    max_ink_ratio: float = DEFAULT_MAX_INK_RATIO,
    gains: Sequence[float] = GAINS,
    cancel: CancelToken | None = None,
) -> Iterator[Progress]:
    """Score every gain on (generated, source) against ``target`` (the real glyphs at the output size).

    The inputs must be the style model's outputs on its *training* characters. Returns a :class:`Calibration`.
    """
    cancel = cancel or CancelToken()
    check_max_ink_ratio(max_ink_ratio)
    if len(generated) == 0 or len(generated) != len(target):
        raise SeganError(f"calibration needs generated and real glyphs of the same characters, got "
                         f"{len(generated)} and {len(target)}")  # fmt: skip
    scores: list[GainScore] = []
    for i, gain in enumerate(gains):
        cancel.raise_if_cancelled("upscaler calibration")
        yield Progress("calibrate", i, len(gains), f"ink gain {gain:g}")
        scores.append(score_output(gain, stage.upscale(apply_gain(generated, gain), source, calibrated=False), target))
    yield Progress("calibrate", len(gains), len(gains))
    return Calibration(choose_gain(scores, max_ink_ratio), max_ink_ratio, len(generated), generator_sha256,
                       tuple(scores))  # fmt: skip


def write_calibration(folder: Path, calibration: Calibration) -> None:
    """Rewrite ``folder/config.json`` (atomically) with ``calibration`` in place of any earlier one."""
    from segan_core.model.checkpoint import set_config_entry
    from segan_core.model.upscaler import UPSCALER_KIND

    set_config_entry(Path(folder), CALIBRATION_KEY, calibration.to_json(), kind=UPSCALER_KIND)


def format_calibration(calibration: Calibration) -> str:
    lines = [f"ink gain calibrated on {calibration.characters} training characters "
             f"(best ink IoU with at most {calibration.max_ink_ratio:g} x the real ink):"]  # fmt: skip
    for s in calibration.scores:
        mark = "  <- chosen" if s.gain == calibration.ink_gain else ""
        lines.append(f"  gain {s.gain:>5g}   ink IoU {s.iou:.4f}   ink {s.ink_ratio:.3f} x real{mark}")
    if calibration.scores and calibration.ink_gain == calibration.scores[-1].gain:
        lines.append(f"  (the largest gain scored: the glyphs stay within {calibration.max_ink_ratio:g} x the real ink "
                     "there, and the grid stops)")  # fmt: skip
    return "\n".join(lines)
