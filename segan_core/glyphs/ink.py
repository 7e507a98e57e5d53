"""Ink overlap of glyph images: the binarized-ink IoU that evaluation, model selection and the second
stage's calibration all measure.

Images are uint8 ink arrays (N, S, S), 255 = ink; a pixel is ink at 50 % coverage or more (the tracer's rule).
"""

from __future__ import annotations

import numpy as np

INK_THRESHOLD = 128


def check_pairs(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape or a.ndim != 3:
        raise ValueError(f"paired metrics need two (N, S, S) arrays of one shape, got {a.shape} and {b.shape}")


def mask_iou(a: np.ndarray, b: np.ndarray) -> float:
    """IoU of two boolean masks (1 when both are empty)."""
    union = np.logical_or(a, b).sum()
    if union == 0:
        return 1.0
    return float(np.logical_and(a, b).sum() / union)


def ink_iou(generated: np.ndarray, target: np.ndarray, threshold: int = INK_THRESHOLD) -> np.ndarray:
    """Intersection over union of the binarized ink (1 = identical shapes)."""
    check_pairs(generated, target)
    return np.array([mask_iou(g >= threshold, t >= threshold) for g, t in zip(generated, target, strict=False)])
