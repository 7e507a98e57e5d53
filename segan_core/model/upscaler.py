"""The second stage ("upscaler"): a small network that redraws a 64 px generated glyph at 256 px.

The generator's 64 px output has grey, uncertain edges; upsampled bicubically and thresholded they become
lumpy strokes. This network learns, per style, how the real brush glyph looks at 4x the resolution:

    generated (64 px) ┐
    source    (64 px) ┴─ concat ─ conv 3x3 ─ ReLU ─ [conv ─ ReLU ─ conv + skip] x blocks ─ conv 3x3 ─ pixel shuffle x4
                                                                                          │
    bicubic x4 of the generated glyph ──────────────────────────── x sharpness ───────── + ─ tanh ─ 256 px glyph

- It runs at the 64 px grid (cheap) and only the last conv makes ``scale**2`` channels that the pixel
  shuffle rearranges into the 256 px image.
- It predicts a *residual* on the logit of a bicubic upsample: the last conv starts at zero, so before
  training the output is ``tanh(sharpness * bicubic)``, whose 50 % contour is the bicubic one (the same
  ink IoU as today's export). Training only has to learn the corrections.
- One shared design for every style; a style's checkpoint is ``weights.safetensors`` + ``config.json``
  (kind ``upscaler``) in ``models/<style>/upscaler/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

UPSCALER_KIND = "upscaler"
UPSCALER_INPUTS = ("generated", "generated+source")


@dataclass(frozen=True)
class UpscalerConfig:
    image_size: int = 64  # the generator's output size (the grid the network runs on)
    scale: int = 4  # output = image_size * scale
    channels: int = 32
    blocks: int = 3  # residual blocks of two 3x3 convs: 2 * blocks + 2 conv layers in all
    inputs: str = "generated+source"  # "generated" alone, or with the source-font glyph
    sharpness: float = 2.0  # the bicubic base enters the output's logit x this

    def __post_init__(self) -> None:
        if self.inputs not in UPSCALER_INPUTS:
            raise ValueError(f"inputs must be one of {UPSCALER_INPUTS}, got {self.inputs!r}")
        if not 2 <= self.scale <= 8:
            raise ValueError(f"scale must be within 2..8, got {self.scale}")
        if not 4 <= self.channels <= 256 or not 0 <= self.blocks <= 16:
            raise ValueError("channels must be within 4..256 and blocks within 0..16")
        if self.image_size < 16 or self.image_size % 16:
            raise ValueError(f"image_size must be a multiple of 16, got {self.image_size}")
        if not 0.5 <= self.sharpness <= 20.0:
            raise ValueError(f"sharpness must be within 0.5..20, got {self.sharpness}")

    @property
    def in_channels(self) -> int:
        return 2 if self.inputs == "generated+source" else 1

    @property
    def output_size(self) -> int:
        return self.image_size * self.scale


class ResidualBlock(nn.Module):
    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.conv2(F.relu(self.conv1(x)))


class BicubicUpsample(nn.Module):
    """``F.interpolate(x, scale_factor=scale, mode="bicubic", align_corners=False)`` on square images, as two
    matrix products with the interpolation matrix (``A @ x @ A.T``): the same numbers to float rounding, and a
    fraction of the cost where the runtime's bicubic ``Resize`` is slow (ONNX Runtime spent 45 % of the
    upscaler's time in it, docs/benchmarks.md)."""

    def __init__(self, size: int, scale: int) -> None:
        super().__init__()
        basis = torch.eye(size).view(size, 1, size, 1)  # each row of the identity as a one-column image
        columns = F.interpolate(basis, size=(size * scale, 1), mode="bicubic", align_corners=False)
        self.register_buffer("matrix", columns.view(size, size * scale).T.contiguous(), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.matrix @ x @ self.matrix.T


class Upscaler(nn.Module):
    """(generated, source) glyphs in [-1, 1] at ``image_size`` -> the glyph at ``image_size * scale``, in [-1, 1]."""

    def __init__(self, config: UpscalerConfig) -> None:
        super().__init__()
        self.config = config
        c = config.channels
        self.head = nn.Conv2d(config.in_channels, c, 3, padding=1)
        self.body = nn.Sequential(*(ResidualBlock(c) for _ in range(config.blocks)))
        self.tail = nn.Conv2d(c, config.scale**2, 3, padding=1)
        self.shuffle = nn.PixelShuffle(config.scale)
        self.upsample = BicubicUpsample(config.image_size, config.scale)
        nn.init.zeros_(self.tail.weight)  # start as the sharpened bicubic upsample
        nn.init.zeros_(self.tail.bias)

    @property
    def uses_source(self) -> bool:
        return self.config.in_channels == 2

    def logits(self, generated: torch.Tensor, source: torch.Tensor | None = None) -> torch.Tensor:
        """The pre-tanh output: sharpness x bicubic(generated) + the learned residual."""
        if self.uses_source:
            if source is None:
                raise ValueError("this upscaler needs the source glyph as its second input")
            x = torch.cat([generated, source], dim=1)
        else:
            x = generated
        residual = self.shuffle(self.tail(self.body(F.relu(self.head(x)))))
        base = self.upsample(generated)
        return self.config.sharpness * base.clamp(-1.0, 1.0) + residual

    def forward(self, generated: torch.Tensor, source: torch.Tensor | None = None) -> torch.Tensor:
        return torch.tanh(self.logits(generated, source))


def bicubic(generated: torch.Tensor, scale: int) -> torch.Tensor:
    """Today's path, for comparison: the bicubic upsample the tracer would make, clamped to [-1, 1]."""
    return F.interpolate(generated, scale_factor=scale, mode="bicubic", align_corners=False).clamp(-1.0, 1.0)


def load_upscaler(folder: Path | str, device: torch.device | None = None) -> Upscaler:
    """The upscaler of a checkpoint folder (kind ``upscaler``), in eval mode with gradients off.

    A missing or foreign ``config.json``, a bad value in it, or weights that do not match it are one
    :class:`~segan_core.errors.CheckpointError` naming the file.
    """
    from segan_core.config import from_dict
    from segan_core.errors import CheckpointError
    from segan_core.model.checkpoint import WEIGHTS_FILE, load_module, load_tensors, read_config

    folder = Path(folder)
    config = read_config(folder, kind=UPSCALER_KIND)
    if "model" not in config:
        raise CheckpointError(f"{folder}/config.json has no model configuration")
    model = from_dict(UpscalerConfig, config["model"], f"{folder}/config.json model")
    network = Upscaler(model)
    load_module(network, load_tensors(folder / WEIGHTS_FILE), "upscaler", folder / WEIGHTS_FILE)
    network = network.to(device or torch.device("cpu")).eval()
    for p in network.parameters():
        p.requires_grad_(False)
    return network
