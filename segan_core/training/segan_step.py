"""One SE-GAN training step: both generators, image and skeleton discriminators, frozen skeleton GAN.

Domains: A = source (Kai print), B = target (brush). G_A: A -> B (the product), G_B: B -> A (for the
cycle). Losses (weights in :class:`~segan_core.config.LossWeights`):

- L_adv: LSGAN on D_i (patch + CAM logits) for both directions;
- L_adv of D_s: LSGAN on SG(generated) vs the target's skeleton, both directions;
- L_pix: |G_A(x) - y|_1 + |G_B(y) - x|_1 (the data are paired);
- L_sc: |SG(G_A(x)) - SG(y)|_1 + |SG(G_B(y)) - SG(x)|_1;
- L_cycle: |G_B(G_A(x)) - x|_1 + |G_A(G_B(y)) - y|_1 (the skeleton fed to the second pass is SG's output);
- L_cls: each generator's CAM classifies its own source domain as 1, its target domain as 0;
- L_dice (not in the paper, off by default): 1 - soft Dice of the generated ink vs the paired target's.

Order as in pix2pix: generate once, update the discriminators on detached fakes, then the generators.

With ``TrainConfig.bidirectional = False`` only the A -> B half exists: G_A, D_i and D_s of the target
domain, and every term above without its reverse half and without the cycle (the data are paired, so
L_pix already ties each output to its target; the step is 2.9x cheaper than the two-way one).
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import torch
from torch import nn

from segan_core.config import LossWeights, ModelConfig, TrainConfig, to_dict
from segan_core.errors import SeganError
from segan_core.model import losses
from segan_core.model.segan import AdaLIN, Discriminator, Generator
from segan_core.model.skeleton_gan import SkeletonGenerator
from segan_core.model.tensors import to_uint8
from segan_core.training.contract import GradientSync, optimise, requires_grad
from segan_core.training.data import Batch


def _learning_parts(g: Generator, parts: str) -> list[nn.Module]:
    """The modules of ``g`` that learn under ``TrainConfig.trainable_parts`` (other than "all")."""
    if parts == "decoder":  # the AdaLIN decoder and the skeleton fusion; encoders, CAM and attention frozen
        return [g.decoder, *([g.skeleton_fuse] if g.skeleton_fuse is not None else [])]
    if g.style_embedding is None:
        raise SeganError(f"trainable parts {parts!r} need a many-hands base (a model with style codes): "
                         "train one with `segan train base`, or use the recipe all-nocam or decoder")
    if parts == "code":  # the writer's style code alone
        return [g.style_embedding]
    # "code+adalin": the code, the MLP that makes gamma and beta from it, and every AdaLIN's rho
    adalin = [m for m in g.decoder.modules() if isinstance(m, AdaLIN)]
    return [g.style_embedding, g.decoder.mlp, g.decoder.to_gamma, g.decoder.to_beta, *adalin]


def _adam(params, train: TrainConfig) -> torch.optim.Optimizer:
    return torch.optim.Adam(
        params, lr=train.learning_rate, betas=(train.beta1, train.beta2), weight_decay=train.weight_decay
    )


class SeganTrainable:
    kind = "segan"

    def __init__(
        self, model: ModelConfig, train: TrainConfig, skeleton_gan: SkeletonGenerator, device: torch.device
    ) -> None:
        self.model_config = model
        self.train_config = train
        self.weights: LossWeights = train.losses
        self.device = device
        two_way = train.bidirectional

        def discriminator() -> Discriminator:
            return Discriminator(model.ndf, model.discriminator_layers).to(device)

        self.g_a = Generator(model).to(device)
        self.g_b = Generator(model).to(device) if two_way else None
        self.d_a = discriminator()  # judges target-domain images
        self.d_b = discriminator() if two_way else None  # judges source-domain images
        self.ds_a = discriminator() if model.skeleton_discriminator else None
        self.ds_b = discriminator() if model.skeleton_discriminator and two_way else None
        self.skeleton_gan = skeleton_gan.to(device).eval()
        requires_grad([self.skeleton_gan], False)
        self.generators = [g for g in (self.g_a, self.g_b) if g is not None]
        self.discriminators = [d for d in (self.d_a, self.d_b, self.ds_a, self.ds_b) if d is not None]
        if train.trainable_parts != "all":  # few-shot: part of the base's generator stays as it is
            for g in self.generators:
                requires_grad([g], False)
                requires_grad(_learning_parts(g, train.trainable_parts), True)
        self.opt_g = _adam([p for g in self.generators for p in g.parameters() if p.requires_grad], train)
        self.opt_d = _adam([p for d in self.discriminators for p in d.parameters()], train)
        if train.channels_last:
            for net in [*self.generators, *self.discriminators, self.skeleton_gan]:
                net.to(memory_format=torch.channels_last)
        # the shipped generator: G_A itself, or a moving average of its weights (TrainConfig.ema_decay); copied
        # after the memory-format change so that the per-step average runs on identically laid-out tensors
        self.g_a_ema = copy.deepcopy(self.g_a).eval() if train.ema_decay > 0 else None
        if self.g_a_ema is not None:
            requires_grad([self.g_a_ema], False)
        if train.compile:
            for net in [*self.generators, *self.discriminators, self.skeleton_gan]:
                net.compile()
        # mixed precision: asked for on the CPU (bf16), automatic on a CUDA device that has bf16
        cuda_bf16 = device.type == "cuda" and torch.cuda.is_bf16_supported()
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=train.bf16 or cuda_bf16)

    def networks(self) -> dict[str, nn.Module]:
        nets = {
            "g_a": self.g_a,
            "g_b": self.g_b,
            "g_a_ema": self.g_a_ema,
            "d_a": self.d_a,
            "d_b": self.d_b,
            "ds_a": self.ds_a,
            "ds_b": self.ds_b,
            "skeleton_gan": self.skeleton_gan,
        }
        return {name: net for name, net in nets.items() if net is not None}

    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        return {"opt_g": self.opt_g, "opt_d": self.opt_d}

    @property
    def shipped_generator(self) -> Generator:
        return self.g_a_ema if self.g_a_ema is not None else self.g_a

    def inference_tensors(self, dtype: torch.dtype) -> dict[str, torch.Tensor]:
        state = self.shipped_generator.state_dict()
        return {f"generator.{k}": (v.to(dtype) if v.is_floating_point() else v) for k, v in state.items()}

    def reset_average(self) -> None:
        """Restart the weight average at G_A's current weights (after fine-tuning loaded a base style into G_A)."""
        if self.g_a_ema is not None:
            self.g_a_ema.load_state_dict(self.g_a.state_dict())

    @torch.no_grad()
    def _update_ema(self) -> None:
        # warm-up as in TF's ExponentialMovingAverage(num_updates): early steps follow G_A closely. The
        # update count is Adam's step count of G_A, which a resumed run restores with the optimizer
        learning = next(p for p in self.g_a.parameters() if p.requires_grad)  # frozen parts have no Adam state
        updates = int(self.opt_g.state[learning]["step"])
        decay = min(self.train_config.ema_decay, (1 + updates) / (10 + updates))
        torch._foreach_lerp_(list(self.g_a_ema.parameters()), list(self.g_a.parameters()), 1.0 - decay)

    def config_body(self) -> dict[str, Any]:
        return {"model": to_dict(self.model_config), "train": to_dict(self.train_config)}

    @torch.no_grad()
    def sample(self, batch: Batch) -> np.ndarray:
        generator = self.shipped_generator
        was_training = generator.training
        generator.eval()
        try:
            out = generator(batch.source.to(self.device), batch.source_skeleton.to(self.device))
        finally:
            generator.train(was_training)
        return to_uint8(out.image)

    def train_step(self, batch: Batch, sync: GradientSync) -> dict[str, float]:
        w = self.weights
        x, y, sx, sy = batch.source, batch.target, batch.source_skeleton, batch.target_skeleton
        style = batch.category if self.g_a.style_embedding is not None else None  # many hands: each pair's font
        sg = self.skeleton_gan
        two_way = self.g_b is not None
        with self.autocast:
            # -- generate once
            out_ab = self.g_a(x, sx, style)
            fake_y = out_ab.image
            sg_fake_y = sg(fake_y)
            if two_way:
                out_ba = self.g_b(y, sy, style)
                fake_x = out_ba.image
                sg_fake_x = sg(fake_x)

            # -- discriminators on detached fakes
            requires_grad(self.discriminators, True)
            loss_d = losses.lsgan_discriminator(self.d_a(y), self.d_a(fake_y.detach()))
            if self.ds_a is not None:
                loss_d = loss_d + losses.lsgan_discriminator(self.ds_a(sy), self.ds_a(sg_fake_y.detach()))
            if two_way:
                loss_d = loss_d + losses.lsgan_discriminator(self.d_b(x), self.d_b(fake_x.detach()))
                if self.ds_b is not None:
                    loss_d = loss_d + losses.lsgan_discriminator(self.ds_b(sx), self.ds_b(sg_fake_x.detach()))
        optimise(loss_d, self.opt_d, self.discriminators, sync)

        # -- generators
        requires_grad(self.discriminators, False)
        with self.autocast:
            with torch.no_grad():
                sg_y = sg(y)
                sg_x = sg(x) if two_way else None
            terms: dict[str, torch.Tensor] = {
                "adv": losses.lsgan_generator(self.d_a(fake_y)),
                "pixel": losses.l1(fake_y, y),
                "skeleton_consistency": losses.l1(sg_fake_y, sg_y),
            }
            if w.cam > 0:  # L_cls runs the encoder on the real glyphs once more: not when its weight is 0
                terms["cam"] = losses.cam_classification(out_ab.cam_logit, self.g_a.classify(y))
            if self.ds_a is not None:
                terms["skeleton_adv"] = losses.lsgan_generator(self.ds_a(sg_fake_y))
            if w.identity > 0:
                terms["identity"] = losses.l1(self.g_a(y, sy, style).image, y)
            if w.dice > 0:
                terms["dice"] = losses.ink_dice(fake_y, y)
            if two_way:
                terms["adv"] = terms["adv"] + losses.lsgan_generator(self.d_b(fake_x))
                terms["pixel"] = terms["pixel"] + losses.l1(fake_x, x)
                terms["skeleton_consistency"] = terms["skeleton_consistency"] + losses.l1(sg_fake_x, sg_x)
                if w.cam > 0:
                    terms["cam"] = terms["cam"] + losses.cam_classification(out_ba.cam_logit, self.g_b.classify(x))
                if self.ds_b is not None:
                    terms["skeleton_adv"] = terms["skeleton_adv"] + losses.lsgan_generator(self.ds_b(sg_fake_x))
                if w.identity > 0:
                    terms["identity"] = terms["identity"] + losses.l1(self.g_b(x, sx, style).image, x)
                if w.dice > 0:
                    terms["dice"] = terms["dice"] + losses.ink_dice(fake_x, x)
                rec_x = self.g_b(fake_y, sg_fake_y, style).image
                rec_y = self.g_a(fake_x, sg_fake_x, style).image
                terms["cycle"] = losses.l1(rec_x, x) + losses.l1(rec_y, y)
            weight_of = {
                "adv": w.adversarial,
                "skeleton_adv": w.skeleton_adversarial,
                "pixel": w.pixel,
                "skeleton_consistency": w.skeleton_consistency,
                "cycle": w.cycle,
                "cam": w.cam,
                "identity": w.identity,
                "dice": w.dice,
            }
            loss_g = sum(weight_of[name] * value for name, value in terms.items())
        optimise(loss_g, self.opt_g, self.generators, sync)
        for g in self.generators:
            g.clip_rho()
        if self.g_a_ema is not None:
            self._update_ema()

        logged = {name: float(value.detach()) for name, value in terms.items()}
        logged["g_total"] = float(loss_g.detach())
        logged["d_total"] = float(loss_d.detach())
        return logged
