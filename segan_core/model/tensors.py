"""Glyph images <-> network tensors, shared by inference and training: uint8 ink in, float [-1, 1] out."""

from __future__ import annotations

import cv2
import numpy as np
import torch


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """uint8 ink (N, H, W) -> float (N, 1, H, W) in [-1, 1], ink = +1."""
    return torch.from_numpy(images).float().div_(127.5).sub_(1.0).unsqueeze(1)


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (N, 1, H, W) in [-1, 1] -> uint8 ink (N, H, W)."""
    return ((images.detach().float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8).squeeze(1).cpu().numpy()


def thicken_stack(skeletons: np.ndarray, width: int) -> np.ndarray:
    """Dilate 1-px skeletons (N, H, W) to strokes ``width`` px wide, as the skeleton encoder sees them."""
    if width <= 1:
        return skeletons
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (width, width))
    return np.stack([cv2.dilate(s, kernel) for s in skeletons]) if len(skeletons) else skeletons
