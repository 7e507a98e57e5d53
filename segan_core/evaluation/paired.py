"""Paired metrics: each generated glyph against its ground-truth glyph of the real target font.

All functions take uint8 ink arrays (N, S, S) (255 = ink) and return one value per glyph; the
report averages them.
"""

from __future__ import annotations

import cv2
import numpy as np

from segan_core.glyphs.ink import INK_THRESHOLD, ink_iou
from segan_core.glyphs.ink import check_pairs as _check
from segan_core.glyphs.ink import mask_iou as _iou
from segan_core.glyphs.skeleton import binarize, skeletonize, thicken

SKELETON_TOLERANCE = 3  # skeleton IoU compares skeletons thickened to this width (px)


def l1(generated: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Mean absolute difference of ink, in [0, 1] (0 = identical)."""
    _check(generated, target)
    diff = np.abs(generated.astype(np.int16) - target.astype(np.int16))
    return diff.reshape(len(diff), -1).mean(axis=1) / 255.0


def ssim(generated: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Structural similarity (Wang et al. 2004: 11 x 11 Gaussian window, sigma 1.5), 1 = identical."""
    _check(generated, target)
    c1, c2 = (0.01 * 1.0) ** 2, (0.03 * 1.0) ** 2
    out = np.zeros(len(generated))
    for i in range(len(generated)):
        x = generated[i].astype(np.float64) / 255.0
        y = target[i].astype(np.float64) / 255.0

        def blur(img: np.ndarray) -> np.ndarray:
            return cv2.GaussianBlur(img, (11, 11), 1.5, borderType=cv2.BORDER_REFLECT)

        mx, my = blur(x), blur(y)
        sxx = blur(x * x) - mx * mx
        syy = blur(y * y) - my * my
        sxy = blur(x * y) - mx * my
        num = (2 * mx * my + c1) * (2 * sxy + c2)
        den = (mx * mx + my * my + c1) * (sxx + syy + c2)
        out[i] = float((num / den).mean())
    return out



def skeletons(images: np.ndarray) -> np.ndarray:
    """Zhang-Suen skeletons (0/255) with the dataset builder's defaults (threshold 128, one clean round)."""
    if len(images) == 0:
        return np.zeros_like(images)
    return np.stack([skeletonize(np.ascontiguousarray(img)) for img in images])


def _mean_distance_to(mask_from: np.ndarray, mask_to: np.ndarray) -> float:
    """Mean distance (px) from the pixels of ``mask_from`` to the nearest pixel of ``mask_to``."""
    distance = cv2.distanceTransform(np.where(mask_to > 0, 0, 255).astype(np.uint8), cv2.DIST_L2, 5)
    return float(distance[mask_from > 0].mean())


def chamfer(skeleton_a: np.ndarray, skeleton_b: np.ndarray) -> np.ndarray:
    """Symmetric chamfer distance between skeletons, in pixels (0 = identical).

    The mean of the two directed mean nearest-neighbour distances. A glyph whose skeleton is empty
    while the other is not scores the image size (the worst case).
    """
    _check(skeleton_a, skeleton_b)
    size = skeleton_a.shape[-1]
    out = np.zeros(len(skeleton_a))
    for i, (a, b) in enumerate(zip(skeleton_a, skeleton_b, strict=False)):
        has_a, has_b = bool(a.any()), bool(b.any())
        if not has_a and not has_b:
            out[i] = 0.0
        elif not has_a or not has_b:
            out[i] = float(size)
        else:
            out[i] = 0.5 * (_mean_distance_to(a, b) + _mean_distance_to(b, a))
    return out


def skeleton_iou(skeleton_a: np.ndarray, skeleton_b: np.ndarray, tolerance: int = SKELETON_TOLERANCE) -> np.ndarray:
    """IoU of the skeletons thickened to ``tolerance`` px, so a one-pixel shift is not a total miss."""
    _check(skeleton_a, skeleton_b)
    return np.array([
        _iou(thicken(a, tolerance) > 0, thicken(b, tolerance) > 0) for a, b in zip(skeleton_a, skeleton_b, strict=False)
    ])


def paired_metrics(generated: np.ndarray, target: np.ndarray, target_skeletons: np.ndarray | None = None) -> dict:
    """Per-glyph arrays of every paired metric: l1, ssim, iou, skeleton_chamfer, skeleton_iou."""
    _check(generated, target)
    gen_skel = skeletons(generated)
    tgt_skel = skeletons(target) if target_skeletons is None else target_skeletons
    return {
        "l1": l1(generated, target),
        "ssim": ssim(generated, target),
        "iou": ink_iou(generated, target),
        "skeleton_chamfer": chamfer(gen_skel, tgt_skel),
        "skeleton_iou": skeleton_iou(gen_skel, tgt_skel),
    }


__all__ = [
    "INK_THRESHOLD",
    "binarize", "chamfer", "ink_iou", "l1", "paired_metrics", "skeleton_iou", "skeletons", "ssim",
]
