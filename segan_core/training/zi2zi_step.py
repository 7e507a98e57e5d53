"""One zi2zi training step: pix2pix's conditional GAN with L1, plus zi2zi's constancy and category losses.

- D: BCE on (source, target) as real and (source, G(source)) as fake, plus the style classification
  of real and fake pairs when there are several categories;
- G: BCE(D(source, G(source)), real) + λ_L1 |G(x) - y|_1 + λ_const |E(G(x)) - E(x)|^2 + category.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from segan_core.baselines.zi2zi import BaselineLosses, PatchDiscriminator, UNetGenerator
from segan_core.config import BaselineConfig, TrainConfig, to_dict
from segan_core.model.tensors import to_uint8
from segan_core.training.contract import GradientSync, optimise, requires_grad
from segan_core.training.data import Batch


def _bce(logits: torch.Tensor, real: bool) -> torch.Tensor:
    target = torch.ones_like(logits) if real else torch.zeros_like(logits)
    return F.binary_cross_entropy_with_logits(logits, target)


class BaselineTrainable:
    kind = "baseline"

    def __init__(
        self, model: BaselineConfig, train: TrainConfig, device: torch.device, losses: BaselineLosses | None = None
    ) -> None:
        self.model_config = model
        self.train_config = train
        self.weights = losses or BaselineLosses()
        self.device = device
        self.generator = UNetGenerator(model).to(device)
        self.discriminator = PatchDiscriminator(model).to(device)
        betas = (train.beta1, train.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=train.learning_rate, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=train.learning_rate, betas=betas)
        if train.channels_last:
            for net in (self.generator, self.discriminator):
                net.to(memory_format=torch.channels_last)

    def networks(self) -> dict[str, torch.nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        return {
            f"generator.{k}": (v.to(dtype) if v.is_floating_point() else v)
            for k, v in self.generator.state_dict().items()
        }

    def config_body(self) -> dict[str, Any]:
        return {
            "model": to_dict(self.model_config),
            "train": to_dict(self.train_config),
            "losses": to_dict(self.weights),
        }

    @torch.no_grad()
    def sample(self, batch: Batch) -> np.ndarray:
        self.generator.eval()
        try:
            return to_uint8(self.generator(batch.source.to(self.device), category=batch.category).image)
        finally:
            self.generator.train()

    def train_step(self, batch: Batch, sync: GradientSync) -> dict[str, float]:
        w = self.weights
        x, y, category = batch.source, batch.target, batch.category
        several = self.discriminator.category is not None
        fake, code = self.generator.translate(x, category)

        # -- discriminator
        real_logits, real_category = self.discriminator(x, y)
        fake_logits, fake_category = self.discriminator(x, fake.detach())
        loss_d = _bce(real_logits, True) + _bce(fake_logits, False)
        if several:
            loss_d = loss_d + w.category * (
                F.cross_entropy(real_category, category) + F.cross_entropy(fake_category, category)
            )
        optimise(loss_d, self.opt_d, [self.discriminator], sync)

        # -- generator
        requires_grad([self.discriminator], False)
        logits, predicted_category = self.discriminator(x, fake)
        terms = {
            "adv": _bce(logits, True),
            "l1": F.l1_loss(fake, y),
            "constancy": F.mse_loss(self.generator.encode_without_updating_statistics(fake), code),
        }
        if several:
            terms["category"] = F.cross_entropy(predicted_category, category)
        weight_of = {"adv": w.adversarial, "l1": w.l1, "constancy": w.constancy, "category": w.category}
        loss_g = sum(weight_of[name] * value for name, value in terms.items())
        optimise(loss_g, self.opt_g, [self.generator], sync)
        requires_grad([self.discriminator], True)

        logged = {name: float(value.detach()) for name, value in terms.items()}
        logged["pixel"] = logged["l1"]  # the name every model's log uses for the L1 to the target
        logged["g_total"] = float(loss_g.detach())
        logged["d_total"] = float(loss_d.detach())
        return logged
