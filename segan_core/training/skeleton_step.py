"""Pre-training the skeleton GAN: glyph -> its (dilated) Zhang-Suen skeleton, pix2pix style (L1 100 + LSGAN)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from segan_core.config import ModelConfig, TrainConfig, to_dict
from segan_core.model.skeleton_gan import PatchDiscriminator, SkeletonGenerator
from segan_core.model.tensors import to_uint8
from segan_core.training.contract import GradientSync, optimise, requires_grad
from segan_core.training.data import Batch

SKELETON_L1_WEIGHT = 100.0


class SkeletonGanTrainable:
    kind = "skeleton-gan"

    def __init__(self, model: ModelConfig, train: TrainConfig, device: torch.device) -> None:
        self.model_config = model
        self.train_config = train
        self.device = device
        self.generator = SkeletonGenerator(model.skeleton_gan_ngf, model.skeleton_gan_res_blocks).to(device)
        self.discriminator = PatchDiscriminator(max(8, model.ndf)).to(device)
        betas = (train.beta1, train.beta2)
        self.opt_g = torch.optim.Adam(self.generator.parameters(), lr=train.learning_rate, betas=betas)
        self.opt_d = torch.optim.Adam(self.discriminator.parameters(), lr=train.learning_rate, betas=betas)

    def networks(self) -> dict[str, nn.Module]:
        return {"generator": self.generator, "discriminator": self.discriminator}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        return {f"generator.{k}": v for k, v in self.generator.state_dict().items()}  # SG stays fp32

    def config_body(self) -> dict[str, Any]:
        return {"model": to_dict(self.model_config), "train": to_dict(self.train_config)}

    @torch.no_grad()
    def sample(self, batch: Batch) -> np.ndarray:
        self.generator.eval()
        try:
            return to_uint8(self.generator(batch.target.to(self.device)))
        finally:
            self.generator.train()

    def train_step(self, batch: Batch, sync: GradientSync) -> dict[str, float]:
        glyph = torch.cat([batch.source, batch.target])
        skeleton = torch.cat([batch.source_skeleton, batch.target_skeleton])
        fake = self.generator(glyph)

        pred_real = self.discriminator(glyph, skeleton)
        pred_fake = self.discriminator(glyph, fake.detach())
        loss_d = F.mse_loss(pred_real, torch.ones_like(pred_real)) + F.mse_loss(pred_fake, torch.zeros_like(pred_fake))
        optimise(loss_d, self.opt_d, [self.discriminator], sync)

        requires_grad([self.discriminator], False)
        pred = self.discriminator(glyph, fake)
        adv = F.mse_loss(pred, torch.ones_like(pred))
        l1 = (fake - skeleton).abs().mean()
        loss_g = adv + SKELETON_L1_WEIGHT * l1
        optimise(loss_g, self.opt_g, [self.generator], sync)
        requires_grad([self.discriminator], True)
        return {"l1": l1.item(), "adv": adv.item(), "d_total": loss_d.item()}


def load_skeleton_generator(folder, device: torch.device | None = None) -> tuple[SkeletonGenerator, ModelConfig]:
    """The frozen SG of a ``segan train skeleton`` checkpoint folder."""
    from pathlib import Path

    from segan_core.config import from_dict
    from segan_core.model.checkpoint import WEIGHTS_FILE, load_module, load_tensors, read_config

    folder = Path(folder)
    config = read_config(folder, kind="skeleton-gan")
    model = from_dict(ModelConfig, config["model"], f"{folder}/config.json model")
    generator = SkeletonGenerator(model.skeleton_gan_ngf, model.skeleton_gan_res_blocks)
    load_module(generator, load_tensors(folder / WEIGHTS_FILE), "generator", folder / WEIGHTS_FILE)
    generator.eval()
    for p in generator.parameters():
        p.requires_grad_(False)
    return generator.to(device or torch.device("cpu")), model
