"""The narrow contract every trainable model fulfils, so one engine trains SE-GAN, the skeleton GAN, the baseline,
the upscaler and the glyph classifier.

A trainable owns its networks and optimizers, performs one optimisation step on a batch and says
what goes into ``weights.safetensors`` and ``config.json``; its batches come from a :class:`Batches`
(endless, resumable). Everything else (checkpoints, resume, budgets, cancel, NaN guard, DDP gradient
averaging, progress) is the engine's. Both are generic in the batch type: a trainable's step takes the
batches its own :class:`Batches` draws (:class:`~segan_core.training.data.Batch` for the GANs, an
``UpscaleBatch`` for the upscaler, a ``ClassifierBatch`` for the classifier).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, Self, TypeVar

import numpy as np
import torch
from torch import nn

GradientSync = Callable[[nn.Module], None]


class DeviceBatch(Protocol):
    """One batch of tensors, moved to the training device as a whole before its step."""

    def to(self, device: torch.device, channels_last: bool = False) -> Self: ...


BatchT = TypeVar("BatchT", bound=DeviceBatch)
BatchT_co = TypeVar("BatchT_co", bound=DeviceBatch, covariant=True)
BatchT_contra = TypeVar("BatchT_contra", bound=DeviceBatch, contravariant=True)


class Batches(Protocol[BatchT_co]):
    """Where the engine draws a run's batches: endless, and a pure function of :meth:`state`, so a resumed
    run draws exactly the batches an uninterrupted one would (``PairedBatches``, ``UpscaleBatches``,
    ``ClassifierBatches``)."""

    def next(self) -> BatchT_co:
        """The next batch (a new epoch starts by itself)."""
        ...

    def state(self) -> dict[str, int]:
        """Where the stream is (saved in ``train_state.json``)."""
        ...

    def restore(self, state: dict[str, int]) -> None:
        """Go back to a saved :meth:`state`."""
        ...


def requires_grad(modules: Sequence[nn.Module], flag: bool) -> None:
    """Switch gradients of whole networks on or off (discriminators while the generator learns)."""
    for module in modules:
        for p in module.parameters():
            p.requires_grad_(flag)


def optimise(loss: torch.Tensor, optimizer: torch.optim.Optimizer, modules: Sequence[nn.Module],
             sync: GradientSync) -> None:
    """One update: clear the gradients, backpropagate ``loss``, average them across ranks, step."""
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    for module in modules:
        sync(module)
    optimizer.step()


class Trainable(Protocol[BatchT_contra]):
    kind: str  # written to config.json: "segan", "skeleton-gan", "baseline", "upscaler", "classifier"

    def networks(self) -> dict[str, nn.Module]:
        """Every network whose state is saved for resuming (frozen ones included)."""
        ...

    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    def train_step(self, batch: BatchT_contra, sync: GradientSync) -> dict[str, float]:
        """One optimisation step; ``sync(module)`` must be called on each module after its backward."""
        ...

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """The tensors of ``weights.safetensors``."""
        ...

    def config_body(self) -> dict[str, Any]:
        """The model's part of ``config.json`` (enough to rebuild the inference network)."""
        ...

    @torch.no_grad()
    def sample(self, batch: BatchT_contra) -> np.ndarray:
        """uint8 ink images generated for a preview batch."""
        ...
