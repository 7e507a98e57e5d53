"""zi2zi-style baseline: a pix2pix U-Net generator and a conditional PatchGAN discriminator.

As in zi2zi (Tian, 2017, after pix2pix, Isola et al. 2017):

- the generator is a U-Net of stride-2 4x4 convolutions down to 1x1, then transposed convolutions back
  up with skip connections, batch norm, dropout 0.5 in the three innermost decoder layers and tanh;
- an optional **category embedding** (one row per style) is concatenated to the 1x1 bottleneck, so one
  network can learn several styles; with one style it is a constant learned vector;
- the discriminator is a PatchGAN on (source, image) pairs; with several categories it has a second
  head that classifies the style (zi2zi's auxiliary category loss);
- :meth:`UNetGenerator.encode` gives the bottleneck for zi2zi's constancy loss.

The generator speaks the same language as SE-GAN's: ``forward(image, skeleton=None) ->
GeneratorOutput`` (the skeleton is ignored and there are no attention heatmaps), so inference,
batch export and evaluation use it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from segan_core.config import BaselineConfig
from segan_core.model.segan import GeneratorOutput


@dataclass(frozen=True)
class BaselineLosses:
    adversarial: float = 1.0
    l1: float = 100.0  # zi2zi's L1_penalty
    constancy: float = 15.0  # zi2zi's Lconst_penalty: |E(G(x)) - E(x)|^2
    category: float = 1.0  # auxiliary style classification (only with several categories)


def _widths(ngf: int, depth: int) -> list[int]:
    return [ngf * min(2**i, 8) for i in range(depth)]


class UNetGenerator(nn.Module):
    heatmap_kinds: tuple[str, ...] = ()
    uses_skeleton = False

    def __init__(self, config: BaselineConfig) -> None:
        super().__init__()
        self.config = config
        self.default_category = 0  # the style generated when no category is passed (inference)
        widths = _widths(config.ngf, config.depth)
        self.down = nn.ModuleList()
        in_ch = 1
        for i, out_ch in enumerate(widths):
            layers: list[nn.Module] = [] if i == 0 else [nn.LeakyReLU(0.2)]
            layers.append(nn.Conv2d(in_ch, out_ch, 4, stride=2, padding=1, bias=i in (0, len(widths) - 1)))
            if 0 < i < len(widths) - 1:  # no norm on the first layer nor at 1x1 (pix2pix)
                layers.append(nn.BatchNorm2d(out_ch))
            self.down.append(nn.Sequential(*layers))
            in_ch = out_ch
        self.embedding = nn.Embedding(config.categories, config.embedding_dim) if config.categories > 0 else None
        bottleneck = widths[-1] + (config.embedding_dim if self.embedding is not None else 0)
        self.up = nn.ModuleList()
        for i in reversed(range(len(widths))):
            out_ch = widths[i - 1] if i > 0 else 1
            in_ch = bottleneck if i == len(widths) - 1 else widths[i] * 2  # with the skip connection
            layers = [nn.ReLU(), nn.ConvTranspose2d(in_ch, out_ch, 4, stride=2, padding=1, bias=i == 0)]
            if i > 0:
                layers.append(nn.BatchNorm2d(out_ch))
                if i >= len(widths) - 3 and config.dropout > 0:  # the three innermost decoder layers
                    layers.append(nn.Dropout(config.dropout))
            else:
                layers.append(nn.Tanh())
            self.up.append(nn.Sequential(*layers))

    def encode(self, image: torch.Tensor) -> list[torch.Tensor]:
        """Every encoder activation, outermost first; the last one is the 1x1 bottleneck."""
        features = []
        x = image
        for layer in self.down:
            x = layer(x)
            features.append(x)
        return features

    def encode_without_updating_statistics(self, image: torch.Tensor) -> torch.Tensor:
        """The bottleneck code of ``image`` (for the constancy loss) without moving BatchNorm running stats.

        The encoder's running statistics must describe source glyphs, which is all it sees at inference;
        a momentum of 0 keeps them while the pass still normalises with its batch statistics.
        """
        norms = [m for m in self.down.modules() if isinstance(m, nn.BatchNorm2d)]
        saved = [m.momentum for m in norms]
        for m in norms:
            m.momentum = 0.0
        try:
            return self.encode(image)[-1]
        finally:
            for m, momentum in zip(norms, saved, strict=True):
                m.momentum = momentum

    def forward(
        self, image: torch.Tensor, skeleton: torch.Tensor | None = None, category: torch.Tensor | None = None
    ) -> GeneratorOutput:
        return GeneratorOutput(self.translate(image, category)[0], None, {})

    def translate(
        self, image: torch.Tensor, category: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """(generated image, the source's 1x1 bottleneck code) - the step needs both."""
        features = self.encode(image)
        x = code = features[-1]
        if self.embedding is not None:
            if category is None:
                category = torch.full((image.shape[0],), self.default_category, dtype=torch.long, device=image.device)
            x = torch.cat([x, self.embedding(category)[:, :, None, None].to(x.dtype)], dim=1)
        for i, layer in enumerate(self.up):
            if i > 0:
                x = torch.cat([x, features[-1 - i]], dim=1)
            x = layer(x)
        return x, code


class PatchDiscriminator(nn.Module):
    """pix2pix's 70x70-style PatchGAN on (source, image) pairs; optional style-classification head."""

    def __init__(self, config: BaselineConfig) -> None:
        super().__init__()
        ndf = config.ndf
        self.features = nn.Sequential(
            nn.Conv2d(2, ndf, 4, stride=2, padding=1),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf, ndf * 2, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 2, ndf * 4, 4, stride=2, padding=1, bias=False),
            nn.BatchNorm2d(ndf * 4),
            nn.LeakyReLU(0.2),
            nn.Conv2d(ndf * 4, ndf * 8, 4, stride=1, padding=1, bias=False),
            nn.BatchNorm2d(ndf * 8),
            nn.LeakyReLU(0.2),
        )
        self.patch = nn.Conv2d(ndf * 8, 1, 4, stride=1, padding=1)
        self.category = nn.Linear(ndf * 8, config.categories) if config.categories > 1 else None

    def forward(self, source: torch.Tensor, image: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        features = self.features(torch.cat([source, image], dim=1))
        category = self.category(features.mean(dim=(2, 3))) if self.category is not None else None
        return self.patch(features), category
