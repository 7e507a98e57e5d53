"""The narrow contract every trainable model fulfils, so one engine trains SE-GAN, the skeleton GAN and the baseline.

A trainable owns its networks and optimizers, performs one optimisation step on a batch and says
what goes into ``weights.safetensors`` and ``config.json``. Everything else (checkpoints, resume,
budgets, cancel, NaN guard, DDP gradient averaging, progress) is the engine's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from segan_core.training.data import Batch

GradientSync = Callable[[nn.Module], None]


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


class Trainable(Protocol):
    kind: str  # written to config.json: "segan", "skeleton-gan", "baseline"

    def networks(self) -> dict[str, nn.Module]:
        """Every network whose state is saved for resuming (frozen ones included)."""
        ...

    def optimizers(self) -> dict[str, torch.optim.Optimizer]: ...

    def train_step(self, batch: Batch, sync: GradientSync) -> dict[str, float]:
        """One optimisation step; ``sync(module)`` must be called on each module after its backward."""
        ...

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        """The tensors of ``weights.safetensors``."""
        ...

    def config_body(self) -> dict[str, Any]:
        """The model's part of ``config.json`` (enough to rebuild the inference network)."""
        ...

    @torch.no_grad()
    def sample(self, batch: Batch) -> np.ndarray:
        """uint8 ink images generated for a preview batch."""
        ...
