"""SE-GAN: Skeleton Enhanced GAN-based model for brush handwriting font generation (Yuan et al., 2022).

Read top to bottom:

1. building blocks (residual blocks, instance/layer-instance norms, AdaLIN);
2. the two encoders, image E_i and skeleton E_s: 7x7 stem, two stride-2 downsamplings, four residual blocks;
3. CAM on the image features (U-GAT-IT): GAP/GMP logits from bias-free FC layers (the auxiliary
   source-vs-target classifier of L_cls), features re-weighted by the FC weights, fused by a 1x1 conv;
   heatmap M(x) = channel sum;
4. SRAM: M^ = softmax(theta(F)^T phi(F)) g(M) + M, affinity over all positions of the image features;
   CRAM: the same with the affinity between image features (queries) and skeleton features (keys);
   SRAM then CRAM, stacked;
5. the AdaLIN decoder: gamma/beta from an MLP over globally pooled refined features (U-GAT-IT light) and,
   in a many-hands model (``ModelConfig.style_codes``, not in the paper), the font's learned style code,
   AdaLIN residual blocks, two (nearest x2 + 3x3 conv + LIN) upsamplings, 7x7 conv + tanh; optionally
   (``ModelConfig.skips``, not in the paper) U-Net skips from one encoder join each upsampling;
6. the generator putting it together, and the spectral-norm PatchGAN discriminator with its own CAM head.

Images are tensors in [-1, 1] with ink = +1, shape (N, 1, H, W).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm

from segan_core.config import ModelConfig

# --------------------------------------------------------------------------------------------------
# 1. Building blocks


class ResBlock(nn.Module):
    """Two reflection-padded 3x3 convs with instance norm, plus the identity."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            nn.InstanceNorm2d(channels),
            nn.ReLU(True),
            nn.ReflectionPad2d(1),
            nn.Conv2d(channels, channels, 3, bias=False),
            nn.InstanceNorm2d(channels),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


def _instance_and_layer_stats(x: torch.Tensor, eps: float) -> tuple[torch.Tensor, torch.Tensor]:
    in_mean, in_var = x.mean(dim=(2, 3), keepdim=True), x.var(dim=(2, 3), keepdim=True)
    ln_mean, ln_var = x.mean(dim=(1, 2, 3), keepdim=True), x.var(dim=(1, 2, 3), keepdim=True)
    return (x - in_mean) / torch.sqrt(in_var + eps), (x - ln_mean) / torch.sqrt(ln_var + eps)


class AdaLIN(nn.Module):
    """Adaptive layer-instance norm: rho mixes IN and LN; gamma, beta come from the style MLP."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.full((1, channels, 1, 1), 0.9))

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        x_in, x_ln = _instance_and_layer_stats(x, self.eps)
        out = self.rho * x_in + (1 - self.rho) * x_ln
        return out * gamma[:, :, None, None] + beta[:, :, None, None]


class LIN(nn.Module):
    """Layer-instance norm with learned rho, gamma, beta (used in the upsampling path)."""

    def __init__(self, channels: int, eps: float = 1e-5) -> None:
        super().__init__()
        self.eps = eps
        self.rho = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.gamma = nn.Parameter(torch.ones(1, channels, 1, 1))
        self.beta = nn.Parameter(torch.zeros(1, channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x_in, x_ln = _instance_and_layer_stats(x, self.eps)
        return (self.rho * x_in + (1 - self.rho) * x_ln) * self.gamma + self.beta


class AdaLINResBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False))
        self.norm1 = AdaLIN(channels)
        self.conv2 = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(channels, channels, 3, bias=False))
        self.norm2 = AdaLIN(channels)

    def forward(self, x: torch.Tensor, gamma: torch.Tensor, beta: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.norm1(self.conv1(x), gamma, beta))
        return x + self.norm2(self.conv2(out), gamma, beta)


# --------------------------------------------------------------------------------------------------
# 2. Encoders


class Encoder(nn.Module):
    """7x7 stem, two stride-2 downsamplings, four residual blocks (instance norm, ReLU)."""

    def __init__(self, ngf: int, res_blocks: int) -> None:
        super().__init__()
        layers: list[nn.Module] = [
            nn.ReflectionPad2d(3),
            nn.Conv2d(1, ngf, 7, bias=False),
            nn.InstanceNorm2d(ngf),
            nn.ReLU(True),
        ]
        channels = ngf
        # the stages a U-Net skip taps (index of their last layer): the stem (full size, ngf channels)
        # and the first downsampling (half size, 2*ngf)
        self.skip_after = [len(layers) - 1]
        self.skip_channels = (ngf, ngf * 2)
        for _ in range(2):
            layers += [
                nn.ReflectionPad2d(1),
                nn.Conv2d(channels, channels * 2, 3, stride=2, bias=False),
                nn.InstanceNorm2d(channels * 2),
                nn.ReLU(True),
            ]
            channels *= 2
            if len(self.skip_after) < 2:
                self.skip_after.append(len(layers) - 1)
        layers += [ResBlock(channels) for _ in range(res_blocks)]
        self.net = nn.Sequential(*layers)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)

    def forward_with_skips(self, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """The features and the skip stages' outputs, full size first."""
        skips = []
        for index, layer in enumerate(self.net):
            x = layer(x)
            if index in self.skip_after:
                skips.append(x)
        return x, skips


# --------------------------------------------------------------------------------------------------
# 3. CAM (class activation map attention, U-GAT-IT)


class CAM(nn.Module):
    """Returns re-weighted features, the source-vs-target logits (GAP, GMP) and the heatmap."""

    def __init__(self, channels: int, spectral: bool = False, activation: nn.Module | None = None) -> None:
        super().__init__()
        wrap = spectral_norm if spectral else (lambda m: m)
        self.gap_fc = wrap(nn.Linear(channels, 1, bias=False))
        self.gmp_fc = wrap(nn.Linear(channels, 1, bias=False))
        self.fuse = nn.Conv2d(channels * 2, channels, 1)
        self.act = activation or nn.ReLU(True)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        gap_logit = self.gap_fc(F.adaptive_avg_pool2d(x, 1).flatten(1))
        gmp_logit = self.gmp_fc(F.adaptive_max_pool2d(x, 1).flatten(1))
        gap_weight = self.gap_fc.weight[:, :, None, None]  # (1, C, 1, 1)
        gmp_weight = self.gmp_fc.weight[:, :, None, None]
        features = self.act(self.fuse(torch.cat([x * gap_weight, x * gmp_weight], dim=1)))
        heatmap = features.sum(dim=1, keepdim=True)
        return features, torch.cat([gap_logit, gmp_logit], dim=1), heatmap


# --------------------------------------------------------------------------------------------------
# 4. SRAM and CRAM (refined attention)


class RefinedAttention(nn.Module):
    """M^ = softmax(theta(Q)^T phi(K)) g(M) + M over all spatial positions.

    SRAM: queries and keys are both the image features F(x_i).
    CRAM: queries are F(x_i), keys the skeleton features F(x_s).
    """

    def __init__(self, channels: int, inner: int) -> None:
        super().__init__()
        self.theta = nn.Conv2d(channels, inner, 1)
        self.phi = nn.Conv2d(channels, inner, 1)
        self.g = nn.Conv2d(channels, channels, 1)

    def forward(self, attention_map: torch.Tensor, queries: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        n, c, h, w = attention_map.shape
        q = self.theta(queries).flatten(2).transpose(1, 2)  # (N, HW, C1)
        k = self.phi(keys).flatten(2)  # (N, C1, HW)
        affinity = torch.softmax(torch.bmm(q, k), dim=-1)  # (N, HW, HW): row i attends over positions j
        values = self.g(attention_map).flatten(2).transpose(1, 2)  # (N, HW, C)
        refined = torch.bmm(affinity, values).transpose(1, 2).reshape(n, c, h, w)
        return refined + attention_map


# --------------------------------------------------------------------------------------------------
# 5. AdaLIN decoder


class Decoder(nn.Module):
    """AdaLIN residual blocks, then two upsamplings; ``skip_channels`` (full size first) are the U-Net
    skips concatenated right after each upsampling (empty: the paper's decoder)."""

    def __init__(
        self, channels: int, res_blocks: int, skip_channels: tuple[int, ...] = (), style_dim: int = 0
    ) -> None:
        super().__init__()
        if skip_channels and len(skip_channels) != 2:
            raise ValueError("the decoder takes one skip per upsampling (2) or none")
        half_size_first = tuple(reversed(skip_channels)) or (0, 0)
        self.mlp = nn.Sequential(
            nn.Linear(channels + style_dim, channels),
            nn.ReLU(True),
            nn.Linear(channels, channels),
            nn.ReLU(True),
        )
        self.to_gamma = nn.Linear(channels, channels, bias=False)
        self.to_beta = nn.Linear(channels, channels, bias=False)
        self.blocks = nn.ModuleList(AdaLINResBlock(channels) for _ in range(res_blocks))
        up: list[nn.Module] = []
        for extra in half_size_first:
            up += [
                nn.Upsample(scale_factor=2, mode="nearest"),
                nn.ReflectionPad2d(1),
                nn.Conv2d(channels + extra, channels // 2, 3, bias=False),
                LIN(channels // 2),
                nn.ReLU(True),
            ]
            channels //= 2
        up += [nn.ReflectionPad2d(3), nn.Conv2d(channels, 1, 7, bias=False), nn.Tanh()]
        self.up = nn.Sequential(*up)

    def forward(
        self, x: torch.Tensor, skips: list[torch.Tensor] | None = None, code: torch.Tensor | None = None
    ) -> torch.Tensor:
        pooled = F.adaptive_avg_pool2d(x, 1).flatten(1)  # light variant: global pooling first
        style = self.mlp(pooled if code is None else torch.cat([pooled, code], dim=1))
        gamma, beta = self.to_gamma(style), self.to_beta(style)
        for block in self.blocks:
            x = block(x, gamma, beta)
        pending = list(reversed(skips or []))  # half size first, the order of the upsamplings
        for layer in self.up:
            x = layer(x)
            if pending and isinstance(layer, nn.Upsample):
                x = torch.cat([x, pending.pop(0)], dim=1)
        return x


# --------------------------------------------------------------------------------------------------
# 6. Generator and discriminator


@dataclass
class GeneratorOutput:
    image: torch.Tensor  # (N, 1, H, W) in [-1, 1]
    cam_logit: torch.Tensor | None  # (N, 2): GAP and GMP source-vs-target logits (None: the baseline has no CAM)
    heatmaps: dict[str, torch.Tensor]  # "cam", "sram", "cram" at feature resolution, (N, 1, h, w)


@dataclass(frozen=True)
class EncodedGlyphs:
    """What the generator knows of a batch of glyphs before the style code: the decoder's input."""

    attended: torch.Tensor  # (N, C, h, w): the refined, skeleton-fused features
    skips: list[torch.Tensor]  # the encoder's skip features (empty without skips)
    cam_logit: torch.Tensor
    heatmaps: dict[str, torch.Tensor]


class Generator(nn.Module):
    """SE-GAN translator: (glyph image, its skeleton) -> glyph image in the other domain."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.image_encoder = Encoder(config.ngf, config.encoder_res_blocks)
        channels = self.image_encoder.out_channels
        self.skeleton_encoder = Encoder(config.ngf, config.encoder_res_blocks) if config.skeleton_encoder else None
        self.cam = CAM(channels)
        self.sram = (
            RefinedAttention(channels, config.attention_channels) if config.attention in ("sram", "cram") else None
        )
        self.cram = RefinedAttention(channels, config.attention_channels) if config.attention == "cram" else None
        # skeleton features join the refined image features before decoding (1x1 fusion)
        self.skeleton_fuse = nn.Conv2d(channels * 2, channels, 1) if config.skeleton_encoder else None
        skip_channels = self.image_encoder.skip_channels if config.skips != "none" else ()
        # many hands: one learned code per training font (row 0 when no style is named)
        self.style_embedding = nn.Embedding(config.style_codes, config.style_dim) if config.style_codes else None
        if self.style_embedding is not None:
            nn.init.normal_(self.style_embedding.weight, std=0.1)
        self.default_category = 0  # the style code drawn when none is passed (inference; as the baseline's)
        style_dim = config.style_dim if config.style_codes else 0
        self.decoder = Decoder(channels, config.decoder_res_blocks, skip_channels, style_dim)

    def style_code(self, batch: int, style: torch.Tensor | None, device: torch.device) -> torch.Tensor | None:
        """The (N, style_dim) codes of ``style`` (N font indices; ``None``: ``default_category``), or None without
        codes."""
        if self.style_embedding is None:
            return None
        if style is None:
            style = torch.full((batch,), self.default_category, dtype=torch.long, device=device)
        return self.style_embedding(style)

    def forward(
        self, image: torch.Tensor, skeleton: torch.Tensor | None = None, style: torch.Tensor | None = None
    ) -> GeneratorOutput:
        features = self.encode(image, skeleton)
        code = self.style_code(image.shape[0], style, image.device)
        return GeneratorOutput(self.decode(features, code), features.cam_logit, features.heatmaps)

    def encode(self, image: torch.Tensor, skeleton: torch.Tensor | None = None) -> EncodedGlyphs:
        """E_i and E_s, CAM, SRAM, CRAM and the skeleton fusion: everything before the style code comes in."""
        skips: list[torch.Tensor] = []
        if self.config.skips == "image":
            image_features, skips = self.image_encoder.forward_with_skips(image)
        else:
            image_features = self.image_encoder(image)
        skeleton_features = None
        if self.skeleton_encoder is not None:
            if skeleton is None:
                raise ValueError("this generator has a skeleton encoder: pass the skeleton image")
            if self.config.skips == "skeleton":
                skeleton_features, skips = self.skeleton_encoder.forward_with_skips(skeleton)
            else:
                skeleton_features = self.skeleton_encoder(skeleton)

        attended, cam_logit, cam_heatmap = self.cam(image_features)
        heatmaps = {"cam": cam_heatmap}
        if self.sram is not None:
            attended = self.sram(attended, image_features, image_features)
            heatmaps["sram"] = attended.sum(dim=1, keepdim=True)
        if self.cram is not None:
            attended = self.cram(attended, image_features, skeleton_features)
            heatmaps["cram"] = attended.sum(dim=1, keepdim=True)

        if self.skeleton_fuse is not None:
            attended = F.relu(self.skeleton_fuse(torch.cat([attended, skeleton_features], dim=1)))
        return EncodedGlyphs(attended, skips, cam_logit, heatmaps)

    def decode(self, features: EncodedGlyphs, code: torch.Tensor | None) -> torch.Tensor:
        """The AdaLIN decoder: encoded glyphs (+ an (N, style_dim) style code in a many-hands model) -> glyphs."""
        return self.decoder(features.attended, features.skips, code)

    @property
    def uses_skeleton(self) -> bool:
        return self.skeleton_encoder is not None

    @property
    def heatmap_kinds(self) -> tuple[str, ...]:
        """The keys of ``GeneratorOutput.heatmaps``, in order."""
        return ("cam", *(k for k in ("sram", "cram") if getattr(self, k) is not None))

    def classify(self, image: torch.Tensor) -> torch.Tensor:
        """Only the CAM source-vs-target logits (encoder + CAM, no decoder): the cheap path for L_cls."""
        return self.cam(self.image_encoder(image))[1]

    def clip_rho(self) -> None:
        """Keep every AdaLIN/LIN rho in [0, 1] (called after each generator step)."""
        for module in self.modules():
            if isinstance(module, (AdaLIN, LIN)):
                module.rho.data.clamp_(0.0, 1.0)


class Discriminator(nn.Module):
    """Spectral-norm PatchGAN with its own CAM head (U-GAT-IT): returns (patch logits, CAM logits, heatmap)."""

    def __init__(self, ndf: int, layers: int) -> None:
        super().__init__()
        blocks: list[nn.Module] = [
            nn.ReflectionPad2d(1),
            spectral_norm(nn.Conv2d(1, ndf, 4, stride=2)),
            nn.LeakyReLU(0.2, True),
        ]
        channels = ndf
        for _ in range(1, layers - 2):
            blocks += [
                nn.ReflectionPad2d(1),
                spectral_norm(nn.Conv2d(channels, channels * 2, 4, stride=2)),
                nn.LeakyReLU(0.2, True),
            ]
            channels *= 2
        blocks += [
            nn.ReflectionPad2d(1),
            spectral_norm(nn.Conv2d(channels, channels * 2, 4, stride=1)),
            nn.LeakyReLU(0.2, True),
        ]
        channels *= 2
        self.features = nn.Sequential(*blocks)
        self.cam = CAM(channels, spectral=True, activation=nn.LeakyReLU(0.2, True))
        self.head = nn.Sequential(nn.ReflectionPad2d(1), spectral_norm(nn.Conv2d(channels, 1, 4, stride=1, bias=False)))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        features, cam_logit, heatmap = self.cam(self.features(x))
        return self.head(features), cam_logit, heatmap


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
