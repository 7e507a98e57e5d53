"""Glyph skeletons as the SE-GAN paper makes them: binarize, clean, thin with Zhang-Suen.

Pure numpy in and out (OpenCV does the pixel work). Inputs are ink images (255 = ink).
"""

from __future__ import annotations

import cv2
import numpy as np

_CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def binarize(ink: np.ndarray, threshold: int = 128) -> np.ndarray:
    """0/255 uint8 mask of the pixels with at least ``threshold`` ink."""
    return np.where(ink >= threshold, 255, 0).astype(np.uint8)


def clean(mask: np.ndarray, iterations: int = 1) -> np.ndarray:
    """Remove specks and fill pinholes: ``iterations`` rounds of erosion+dilation, then dilation+erosion.

    Small shapes that an erosion would erase entirely (thin hairlines of a brush stroke) are kept.
    """
    if iterations <= 0:
        return mask
    opened = cv2.dilate(cv2.erode(mask, _CROSS, iterations=iterations), _CROSS, iterations=iterations)
    # keep thin strokes that the opening removed but that were real, connected ink
    lost = cv2.subtract(mask, opened)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(lost, connectivity=8)
    keep = np.zeros_like(mask)
    min_area = 2 * (iterations + 1) ** 2
    for label in range(1, n):
        if stats[label, cv2.CC_STAT_AREA] >= min_area:
            keep[labels == label] = 255
    restored = cv2.bitwise_or(opened, keep)
    return cv2.erode(cv2.dilate(restored, _CROSS, iterations=iterations), _CROSS, iterations=iterations)


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a 0/255 mask to a 1-pixel-wide 0/255 skeleton."""
    return cv2.ximgproc.thinning(mask, thinningType=cv2.ximgproc.THINNING_ZHANGSUEN)


def thicken(skeleton: np.ndarray, width: int) -> np.ndarray:
    """Dilate a 1-px skeleton to strokes about ``width`` pixels wide (width 1 returns it unchanged)."""
    if width <= 1:
        return skeleton
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    return cv2.dilate(skeleton, kernel)


def skeletonize(ink: np.ndarray, threshold: int = 128, clean_iterations: int = 1, width: int = 1) -> np.ndarray:
    """Ink image -> skeleton image (0/255 uint8, same size); ``width`` > 1 thickens the strokes."""
    if ink.ndim != 2 or ink.dtype != np.uint8:
        raise ValueError(f"expected a 2-D uint8 ink image, got {ink.dtype} {ink.shape}")
    return thicken(thin(clean(binarize(ink, threshold), clean_iterations)), width)


def skeleton_width_for(size: int) -> int:
    """The stroke width the skeleton encoder sees at a given image size (1 px per 32 px, at least 1)."""
    return max(1, size // 32)
