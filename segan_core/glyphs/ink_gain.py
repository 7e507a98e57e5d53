"""An ink gain: how much of a generated glyph's grey edge counts as ink, and the two rules that choose one.

The generator draws ink it is unsure of in grey. Thresholded at 50 % (the tracer's rule), that grey edge is
paper, and the glyphs come out lighter and narrower than the hand they learned. A **gain** multiplies the ink
(clipped at full ink) before the threshold: at 2, a pixel of 1/4 grey becomes half ink.

Two places choose a gain from :data:`GAINS`, each on characters it may look at:

- a style's second stage (:mod:`segan_core.upscale.calibration`): the best mean ink IoU at 256 px against the
  real glyphs among the gains within a cap on the ink (:func:`choose_gain`);
- a writer's style (``segan train finetune``): the gain whose glyphs of the writer's dev characters carry the most
  ink up to the writer's own (:func:`match_ink`, :func:`writer_gain`), so a thin-stroked fit draws the
  writer's stroke weight (on the dev hands, a 6-minute fit's glyphs carried 0.80-0.94 x the writer's ink) and never
  a bolder one. Bolder glyphs overlap the writer's ink more and read worse: on the new-hand protocol's dev split,
  the gain with the ink *nearest* the writer's (up to 1.04 x) cost Zhi Mang Xing 0.05 of its reading ratio (0.83 to
  0.78), the most ink up to the writer's cost none (docs/training.md 6).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from segan_core.errors import CheckpointError
from segan_core.glyphs.ink import INK_THRESHOLD, ink_iou

GAINS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0)
MAX_GAIN = GAINS[-1]
INK_GAIN_KEY = "ink_gain"  # a writer's style's config.json: the InkMatch its glyphs are drawn with
MATCH_RULE = "the most ink up to the writer's on their dev characters, the lightest such gain"  # recorded with the gain
MIN_MATCH_GLYPHS = 4  # fewer dev glyphs with ink than this: no match is measured (gain 1)


@dataclass(frozen=True)
class GainScore:
    gain: float
    iou: float  # mean ink IoU against the real (or the writer's) glyphs
    ink_ratio: float  # the output's ink area over theirs (1 = as heavy)


def apply_gain(generated: np.ndarray, gain: float) -> np.ndarray:
    """uint8 ink images with their ink multiplied by ``gain`` (clipped at full ink)."""
    if gain == 1.0:
        return generated
    return np.clip(generated.astype(np.float32) * gain, 0, 255).round().astype(np.uint8)


def score_output(gain: float, output: np.ndarray, target: np.ndarray) -> GainScore:
    """``output`` (what ``gain`` made) against ``target``: its mean ink IoU and its ink over the target's."""
    real_ink = max(1, int((target >= INK_THRESHOLD).sum()))
    ratio = float((output >= INK_THRESHOLD).sum()) / real_ink
    return GainScore(float(gain), round(float(ink_iou(output, target).mean()), 5), round(ratio, 4))


def choose_gain(scores: Sequence[GainScore], max_ink_ratio: float) -> float:
    """The second stage's rule: the best mean ink IoU among the gains within ``max_ink_ratio`` (gain 1 is always
    allowed)."""
    allowed = [s for s in scores if s.gain == 1.0 or s.ink_ratio <= max_ink_ratio]
    if not allowed:
        return 1.0
    return max(allowed, key=lambda s: (round(s.iou, 6), -s.gain)).gain


def writer_gain(scores: Sequence[GainScore]) -> float:
    """A writer's rule: the gain that gives the most ink up to the writer's (the lightest of gains that give as much;
    1 when even gain 1 draws heavier)."""
    within = [s for s in scores if s.ink_ratio <= 1.0]
    return max(within, key=lambda s: (s.ink_ratio, -s.gain)).gain if within else 1.0


@dataclass(frozen=True)
class InkMatch:
    """A writer's style's gain, chosen on their dev characters; :class:`~segan_core.inference.StyleModel` draws
    every glyph with it (after the writer's placement)."""

    gain: float
    characters: int  # dev characters it was measured on (0: too few to measure; gain 1)
    scores: tuple[GainScore, ...] = ()

    def __post_init__(self) -> None:
        if not (isinstance(self.gain, int | float) and 1.0 <= self.gain <= MAX_GAIN):
            raise ValueError(f"gain must be a number within 1..{MAX_GAIN:g}, got {self.gain!r}")

    @property
    def chosen(self) -> GainScore | None:
        return next((s for s in self.scores if s.gain == self.gain), None)

    def to_json(self) -> dict[str, Any]:
        return {"gain": self.gain, "rule": MATCH_RULE,
                "characters": self.characters,
                "scores": [{"gain": s.gain, "iou": s.iou, "ink_ratio": s.ink_ratio} for s in self.scores]}  # fmt: skip

    @classmethod
    def from_json(cls, data: Any, where: str) -> InkMatch:
        try:
            scores = tuple(GainScore(float(s["gain"]), float(s["iou"]), float(s["ink_ratio"])) for s in data["scores"])
            return cls(float(data["gain"]), int(data["characters"]), scores)
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise CheckpointError(f"{where}: the style's {INK_GAIN_KEY} is not readable ({exc})") from None

    def describe(self) -> str:
        chosen = self.chosen
        if chosen is None or self.characters == 0:
            return "not matched (too few dev characters to measure the writer's ink): ink gain 1"
        plain = next((s for s in self.scores if s.gain == 1.0), chosen)
        return (f"ink gain {self.gain:g}: {chosen.ink_ratio:.2f} x your ink on {self.characters} dev characters "
                f"(at gain 1: {plain.ink_ratio:.2f} x); ink IoU {plain.iou:.3f} -> {chosen.iou:.3f}")


def match_ink(generated: np.ndarray, target: np.ndarray, gains: Sequence[float] = GAINS) -> InkMatch:
    """The gain that gives ``generated`` (a style's glyphs of the writer's dev characters, as it draws them) the
    most ink up to that of ``target`` (the writer's own glyphs of those characters)."""
    if len(generated) != len(target):
        raise ValueError(f"match_ink needs glyphs of the same characters, got {len(generated)} and {len(target)}")
    inked = (target >= INK_THRESHOLD).any(axis=(1, 2)) if len(target) else np.zeros(0, bool)
    if int(inked.sum()) < MIN_MATCH_GLYPHS:
        return InkMatch(1.0, 0)
    generated, target = generated[inked], target[inked]
    scores = tuple(score_output(g, apply_gain(generated, g), target) for g in gains)
    return InkMatch(writer_gain(scores), len(target), scores)
