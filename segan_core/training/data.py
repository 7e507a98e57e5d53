"""Training batches from a built dataset: uint8 arrays in memory, float tensors per batch.

Order comes from :class:`torch.utils.data.DistributedSampler` (one replica without torchrun), so a
batch is a pure function of (seed, epoch, position, rank): resuming needs only those numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
from torch.utils.data import DistributedSampler

from segan_core.data.store import GlyphSplit
from segan_core.errors import DatasetError
from segan_core.model.tensors import thicken_stack, to_tensor


@dataclass
class Batch:
    source: torch.Tensor
    target: torch.Tensor
    source_skeleton: torch.Tensor
    target_skeleton: torch.Tensor
    category: torch.Tensor | None = None  # (N,) int64: which of the training datasets each pair came from

    def to(self, device: torch.device, channels_last: bool = False) -> Batch:
        fmt = torch.channels_last if channels_last else torch.contiguous_format
        images = (self.source, self.target, self.source_skeleton, self.target_skeleton)
        category = self.category.to(device) if self.category is not None else None
        return Batch(*(t.to(device, memory_format=fmt) for t in images), category=category)


class PairedBatches:
    """Endless shuffled batches over one or more splits (concatenated); each pair knows its split's index."""

    def __init__(
        self,
        splits: Sequence[GlyphSplit],
        batch_size: int,
        skeleton_width: int,
        seed: int,
        rank: int = 0,
        world_size: int = 1,
        augment: float = 0.0,
    ) -> None:
        labels = [np.full(len(s), i, dtype=np.int64) for i, s in enumerate(splits)]
        self.category = np.concatenate(labels) if labels else np.zeros(0, np.int64)
        splits = [s for s in splits if len(s)]
        if not splits:
            raise DatasetError("the training split is empty")
        sizes = {s.size for s in splits}
        if len(sizes) != 1:
            raise DatasetError(f"datasets of different image sizes cannot be mixed: {sorted(sizes)}")
        self.size = sizes.pop()
        self.source = np.concatenate([s.source for s in splits])
        self.target = np.concatenate([s.target for s in splits])
        self.source_skeleton = thicken_stack(np.concatenate([s.source_skeleton for s in splits]), skeleton_width)
        self.target_skeleton = thicken_stack(np.concatenate([s.target_skeleton for s in splits]), skeleton_width)
        self.batch_size = batch_size
        self.seed = seed
        self.augment = augment
        self.sampler = DistributedSampler(
            range(len(self.source)), num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=True
        )
        self.epoch = 0
        self.position = 0  # batches already taken in this epoch
        self._order: list[int] = []
        self._load_epoch()

    def __len__(self) -> int:
        return len(self.source)

    def _load_epoch(self) -> None:
        self.sampler.set_epoch(self.epoch)
        self._order = list(self.sampler)
        if len(self._order) < self.batch_size:
            # tiny datasets: repeat the order so a batch can always be formed
            self._order = self._order * (self.batch_size // max(1, len(self._order)) + 1)

    def state(self) -> dict[str, int]:
        return {"epoch": self.epoch, "position": self.position}

    def restore(self, state: dict[str, int]) -> None:
        self.epoch, self.position = int(state["epoch"]), int(state["position"])
        self._load_epoch()

    def next(self) -> Batch:
        start = self.position * self.batch_size
        if start + self.batch_size > len(self._order):
            self.epoch += 1
            self.position = 0
            self._load_epoch()
            start = 0
        rows = self._order[start : start + self.batch_size]
        self.position += 1
        images = [self.source[rows], self.target[rows], self.source_skeleton[rows], self.target_skeleton[rows]]
        if self.augment > 0:
            # a pure function of (seed, epoch, position): a resumed run sees the same jitter
            rng = np.random.default_rng([self.seed, self.epoch, self.position])
            images = jitter_pairs(images, self.augment, rng)
        return Batch(*(to_tensor(i) for i in images), torch.from_numpy(self.category[rows]))


def jitter_pairs(stacks: Sequence[np.ndarray], strength: float, rng: np.random.Generator) -> list[np.ndarray]:
    """One random similarity transform per pair, applied alike to every stack (source, target, skeletons).

    Few-shot fine-tuning sees each written glyph many times; a shared shift (up to 3/64 of the size),
    scale (up to 10 %) and rotation (up to 4 degrees) x ``strength`` makes those views differ while the
    source still lines up with its target.
    """
    n, size = len(stacks[0]), stacks[0].shape[-1]
    out = [np.empty_like(s) for s in stacks]
    for i in range(n):
        angle = rng.uniform(-4.0, 4.0) * strength
        scale = 1.0 + rng.uniform(-0.1, 0.1) * strength
        shift = rng.uniform(-3.0, 3.0, size=2) * strength * size / 64
        matrix = cv2.getRotationMatrix2D((size / 2 - 0.5, size / 2 - 0.5), angle, scale)
        matrix[:, 2] += shift
        for stack, dest in zip(stacks, out, strict=True):
            dest[i] = cv2.warpAffine(stack[i], matrix, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return out
