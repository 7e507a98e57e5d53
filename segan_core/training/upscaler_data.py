"""Training pairs of the upscaler: (a 64 px glyph as the generator draws it, the real glyph at 256 px).

Two kinds of input are mixed in every batch, both on the style's *training* characters only:

- **generator outputs** — what the style model (and any earlier snapshots given) drew for the character.
  These teach the generator's own mistakes; but the generator has seen these characters, so its output
  is better there than on new characters, and an upscaler trained on them alone could learn to copy.
- **degraded real glyphs** — the real glyph *as the dataset renders it at 64 px* (the grid the generator
  learned), upsampled, warped by a smooth random field (the wavering of a generated stroke), eroded or
  dilated a little (stroke weight), shrunk back to 64 px, blurred (the grey edges), with noise. These
  look like a generator's output on a character it never saw, and the upscaler cannot copy from them.
  Starting from the 64 px rendering matters: FreeType places a glyph rendered at 64 px about 0.26 px
  (1 px at 256) higher than the 256 px rendering shrunk by 4, so inputs shrunk from the 256 px glyph
  teach a grid the generator's outputs are not on (measured: such an upscaler moved the real 64 px
  glyphs' ink IoU at 256 px from 0.887 to 0.885, where a 1 px shift alone is worth 0.908).

A batch is a pure function of (seed, epoch, position): resuming needs only those numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch

from segan_core.errors import DatasetError
from segan_core.model.tensors import to_tensor


@dataclass(frozen=True)
class UpscalePairs:
    """Everything the batches draw from, as uint8 ink arrays."""

    chars: tuple[str, ...]
    generated: np.ndarray  # (G, N, s, s): G generators' outputs (the style model first, then snapshots)
    source: np.ndarray  # (N, s, s): the source-font glyph
    target: np.ndarray  # (N, S, S): the real glyph at the output size
    real_small: np.ndarray  # (N, s, s): the real glyph as the dataset renders it at the generator's size

    def __post_init__(self) -> None:
        n = len(self.chars)
        lengths = {len(self.source), len(self.target), len(self.real_small)}
        if self.generated.ndim != 4 or self.generated.shape[1] != n or lengths != {n}:
            raise DatasetError(f"upscaler pairs do not line up: {n} characters, generated {self.generated.shape}, "
                               f"source {self.source.shape}, target {self.target.shape}, "
                               f"real {self.real_small.shape}")  # fmt: skip
        if n == 0:
            raise DatasetError("no training characters for the upscaler")


@dataclass
class UpscaleBatch:
    generated: torch.Tensor  # (B, 1, s, s) in [-1, 1]
    source: torch.Tensor  # (B, 1, s, s)
    target: torch.Tensor  # (B, 1, S, S)

    def to(self, device: torch.device, channels_last: bool = False) -> UpscaleBatch:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        return UpscaleBatch(*(t.to(device, memory_format=fmt) for t in (self.generated, self.source, self.target)))


def degrade(real: np.ndarray, scale: int, rng: np.random.Generator) -> np.ndarray:
    """A real glyph at the generator's size (s x s ink) -> a plausible generator output on the same grid:
    upsample by ``scale``, warp, change the weight, shrink back, blur, add noise."""
    size = real.shape[0]
    big = size * scale
    image = cv2.resize(real, (big, big), interpolation=cv2.INTER_CUBIC)
    # a smooth displacement field: random offsets on a coarse grid, upsampled (up to ~0.6 px of the small image)
    amplitude = rng.uniform(0.0, 0.6) * scale
    coarse = rng.normal(0.0, 1.0, size=(2, 6, 6)).astype(np.float32) * amplitude
    flow = [cv2.resize(c, (big, big), interpolation=cv2.INTER_CUBIC) for c in coarse]
    grid_y, grid_x = np.mgrid[0:big, 0:big].astype(np.float32)
    image = cv2.remap(image, grid_x + flow[0], grid_y + flow[1], cv2.INTER_LINEAR, borderValue=0)
    # stroke weight: thinner or thicker by up to ~a quarter of a small pixel
    weight = rng.integers(-1, 2)
    if weight:
        radius = max(1, round(scale / 4))
        kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        image = cv2.dilate(image, kernel) if weight > 0 else cv2.erode(image, kernel)
    small = cv2.resize(image, (size, size), interpolation=cv2.INTER_AREA).astype(np.float32)
    sigma = rng.uniform(0.0, 0.9)
    if sigma > 0.2:
        small = cv2.GaussianBlur(small, (0, 0), sigma)
    small += rng.normal(0.0, rng.uniform(0.0, 10.0), size=small.shape).astype(np.float32)
    return np.clip(small, 0, 255).round().astype(np.uint8)


class UpscaleBatches:
    """Endless shuffled batches; each input is a generator output or (``real_fraction``) a degraded real glyph."""

    def __init__(self, pairs: UpscalePairs, batch_size: int, seed: int, real_fraction: float = 0.5) -> None:
        if not 0.0 <= real_fraction <= 1.0:
            raise ValueError(f"real_fraction must be in [0, 1], got {real_fraction}")
        self.pairs = pairs
        self.batch_size = batch_size
        self.seed = seed
        self.real_fraction = real_fraction
        self.size = pairs.source.shape[-1]
        self.scale = pairs.target.shape[-1] // self.size
        self.epoch = 0
        self.position = 0
        self._order = self._epoch_order()

    def __len__(self) -> int:
        return len(self.pairs.chars)

    def _epoch_order(self) -> np.ndarray:
        order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self))
        if len(order) < self.batch_size:  # tiny sets: repeat so a batch can always be formed
            order = np.tile(order, self.batch_size // len(order) + 1)
        return order

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def restore(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._order = self._epoch_order()

    def rows(self) -> Sequence[int]:
        start = self.position * self.batch_size
        if start + self.batch_size > len(self._order):
            self.epoch += 1
            self.position = 0
            self._order = self._epoch_order()
            start = 0
        self.position += 1
        return self._order[start : start + self.batch_size].tolist()

    def next(self) -> UpscaleBatch:
        rows = self.rows()
        rng = np.random.default_rng([self.seed, self.epoch, self.position, 1])
        generators = len(self.pairs.generated)
        inputs = np.empty((len(rows), self.size, self.size), np.uint8)
        for i, row in enumerate(rows):
            if rng.random() < self.real_fraction:
                inputs[i] = degrade(self.pairs.real_small[row], self.scale, rng)
            else:
                inputs[i] = self.pairs.generated[rng.integers(generators), row]
        return UpscaleBatch(to_tensor(inputs), to_tensor(self.pairs.source[rows]), to_tensor(self.pairs.target[rows]))
