"""The skeleton GAN SG: a CycleGAN-style ResNet generator (no SAttRAM) mapping a glyph to its skeleton.

Pre-trained on (glyph, Zhang-Suen skeleton) pairs from many fonts, then frozen. SE-GAN uses it two
ways: L_sc = |SG(G(x)) - SG(y)|_1, and as the input of the skeleton discriminator D_s.
"""

from __future__ import annotations

import torch
from torch import nn

from segan_core.model.segan import ResBlock


class SkeletonGenerator(nn.Module):
    """7x7 stem, two downsamplings, residual blocks, two transposed-conv upsamplings, 7x7 conv + tanh."""

    def __init__(self, ngf: int = 16, res_blocks: int = 4) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(1, ngf, 7, bias=False),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        channels = ngf
        for _ in range(2):
            layers += [
                nn.Conv2d(channels, channels * 2, 3, stride=2, padding=1, bias=False),
                nn.InstanceNorm2d(channels * 2),
                nn.ReLU(True),
            ]
            channels *= 2
        layers += [ResBlock(channels) for _ in range(res_blocks)]
        for _ in range(2):
            layers += [
                nn.ConvTranspose2d(channels, channels // 2, 3, stride=2, padding=1, output_padding=1, bias=False),
                nn.InstanceNorm2d(channels // 2),
                nn.ReLU(True),
            ]
            channels //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(channels, 1, 7), nn.Tanh()]
        self.net = nn.Sequential(*layers)

    def forward(self, glyph: torch.Tensor) -> torch.Tensor:
        return self.net(glyph)


class PatchDiscriminator(nn.Module):
    """A small pix2pix PatchGAN on (glyph, skeleton) pairs, used only while pre-training SG."""

    def __init__(self, ndf: int = 32, layers: int = 3) -> None:
        super().__init__()
        blocks: list[nn.Module] = [nn.Conv2d(2, ndf, 4, stride=2, padding=1), nn.LeakyReLU(0.2, True)]
        channels = ndf
        for _ in range(1, layers):
            blocks += [
                nn.Conv2d(channels, channels * 2, 4, stride=2, padding=1, bias=False),
                nn.InstanceNorm2d(channels * 2),
                nn.LeakyReLU(0.2, True),
            ]
            channels *= 2
        blocks += [nn.Conv2d(channels, 1, 4, stride=1, padding=1)]
        self.net = nn.Sequential(*blocks)

    def forward(self, glyph: torch.Tensor, skeleton: torch.Tensor) -> torch.Tensor:
        return self.net(torch.cat([glyph, skeleton], dim=1))
