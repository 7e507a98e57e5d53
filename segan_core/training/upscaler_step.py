"""One training step of the upscaler: L1 on the 256 px glyph plus a soft-Dice term on its ink.

L1 alone is satisfied by a grey, hedging edge; the Dice term (1 - soft overlap of the ink) pays for
putting the boundary where the real stroke is, which is what ink IoU and the traced outline measure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from segan_core.config import TrainConfig, to_dict
from segan_core.model.losses import ink_dice, l1
from segan_core.model.tensors import to_uint8
from segan_core.model.upscaler import UPSCALER_KIND, Upscaler, UpscalerConfig
from segan_core.training.contract import GradientSync, optimise
from segan_core.training.upscaler_data import UpscaleBatch


@dataclass(frozen=True)
class UpscalerLoss:
    l1: float = 1.0
    dice: float = 1.0

    def __post_init__(self) -> None:
        if self.l1 < 0 or self.dice < 0 or self.l1 + self.dice == 0:
            raise ValueError("loss weights must be >= 0 and not all 0")


class UpscalerTrainable:
    kind = UPSCALER_KIND

    def __init__(self, model: UpscalerConfig, train: TrainConfig, loss: UpscalerLoss, device: torch.device) -> None:
        self.model_config = model
        self.train_config = train
        self.loss = loss
        self.device = device
        self.network = Upscaler(model).to(device)
        self.optimizer = torch.optim.Adam(
            self.network.parameters(), lr=train.learning_rate, betas=(train.beta1, train.beta2)
        )

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"upscaler": self.network}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt": self.optimizer}

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        # fp32 always: the network is small (a few hundred KB) and its residual is a fine correction
        return {f"upscaler.{k}": v for k, v in self.network.state_dict().items()}

    def config_body(self) -> dict[str, Any]:
        return {"model": to_dict(self.model_config), "train": to_dict(self.train_config), "loss": to_dict(self.loss)}

    def train_step(self, batch: UpscaleBatch, sync: GradientSync) -> dict[str, float]:
        output = self.network(batch.generated, batch.source)
        loss_l1 = l1(output, batch.target)
        loss_dice = ink_dice(output, batch.target)
        total = self.loss.l1 * loss_l1 + self.loss.dice * loss_dice
        optimise(total, self.optimizer, [self.network], sync)
        return {"l1": loss_l1.item(), "dice": loss_dice.item()}

    @torch.no_grad()
    def sample(self, batch: UpscaleBatch) -> np.ndarray:
        self.network.eval()
        try:
            return to_uint8(self.network(batch.generated.to(self.device), batch.source.to(self.device)))
        finally:
            self.network.train()
