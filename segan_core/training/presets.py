"""Named configurations: ``cpu-64`` (default without CUDA), ``gpu-128``, ``paper-256``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from segan_core.config import BaselineConfig, ModelConfig, TrainConfig
from segan_core.errors import SeganError

PRESETS: dict[str, tuple[ModelConfig, TrainConfig]] = {
    # sized so that a useful model trains in about two hours on 2 CPU cores: ngf 16 puts a generator
    # pass at ~0.3 GMAC per 64 px glyph (ngf 32: ~1.2), which is what lets the full two-generator step
    # and whole-GB2312 inference fit the CPU budgets (bench/bench_train_step.py, bench/bench_infer.py)
    "cpu-64": (
        # image skips (not in the paper): dev readability of Ma Shan Zheng after 300 steps went from 0.64
        # to 0.88 with them (docs/training.md); every preset uses them
        ModelConfig(image_size=64, ngf=16, ndf=32, attention_channels=16, skeleton_width=2, skips="image"),
        # the bundled models' recipe also ships a moving average of the generator (decay 0.995 per step)
        TrainConfig(
            batch_size=16, max_steps=12000, checkpoint_every=250, sample_every=250, channels_last=True, ema_decay=0.995
        ),
    ),
    "gpu-128": (
        ModelConfig(
            image_size=128, ngf=64, ndf=64, attention_channels=32, skeleton_width=4, skeleton_gan_ngf=32, skips="image"
        ),
        TrainConfig(batch_size=16, max_steps=60000, checkpoint_every=1000, sample_every=500, ema_decay=0.999),
    ),
    "paper-256": (
        ModelConfig(
            image_size=256,
            ngf=64,
            ndf=64,
            attention_channels=32,
            discriminator_layers=6,
            skeleton_width=8,
            skeleton_gan_ngf=32,
            skips="image",
        ),
        TrainConfig(batch_size=8, max_steps=100000, checkpoint_every=2000, sample_every=1000, ema_decay=0.999),
    ),
    # tests only: tiny networks at 32 px
    "tiny-32": (
        ModelConfig(
            image_size=32,
            ngf=8,
            ndf=8,
            encoder_res_blocks=1,
            decoder_res_blocks=1,
            attention_channels=4,
            discriminator_layers=4,
            skeleton_width=1,
            skeleton_gan_ngf=4,
            skeleton_gan_res_blocks=1,
            skips="image",
        ),
        TrainConfig(batch_size=4, max_steps=20, checkpoint_every=10, sample_every=10, log_every=1),
    ),
}


# the zi2zi baseline at each preset's image size and training settings (its own widths: zi2zi's 64)
BASELINE_PRESETS: dict[str, BaselineConfig] = {
    "cpu-64": BaselineConfig(image_size=64),
    "gpu-128": BaselineConfig(image_size=128),
    "paper-256": BaselineConfig(image_size=256),
    "tiny-32": BaselineConfig(image_size=32, ngf=8, ndf=8, embedding_dim=8),
}


def get_baseline_preset(name: str, categories: int = 1) -> tuple[BaselineConfig, TrainConfig]:
    # zi2zi ships its last generator: no weight average
    return dataclasses.replace(BASELINE_PRESETS[name], categories=categories), _last_weights(get_preset(name)[1])


def get_skeleton_preset(name: str) -> tuple[ModelConfig, TrainConfig]:
    """The preset for pre-training the skeleton GAN, which ships its last weights (no average)."""
    model, train = get_preset(name)
    return model, _last_weights(train)


def _last_weights(train: TrainConfig) -> TrainConfig:
    return dataclasses.replace(train, ema_decay=0.0)


def presets_for_skeleton_gan(folder: Path | str | None) -> list[str]:
    """The presets a run can use with the skeleton GAN in ``folder``: its image size and skeleton width.

    Without a readable skeleton GAN, every preset but the tests' tiny one (the run's own check then says why).
    """
    from segan_core.config import from_dict
    from segan_core.model.checkpoint import read_config

    try:
        saved = from_dict(ModelConfig, read_config(Path(folder), kind="skeleton-gan")["model"], str(folder))
    except (SeganError, KeyError, TypeError, OSError):
        return [name for name in PRESETS if name != "tiny-32"]
    return [name for name, (model, _) in PRESETS.items()
            if (model.image_size, model.skeleton_width) == (saved.image_size, saved.skeleton_width)]


def default_preset() -> str:
    import torch

    return "gpu-128" if torch.cuda.is_available() else "cpu-64"


def get_preset(name: str) -> tuple[ModelConfig, TrainConfig]:
    if name not in PRESETS:
        raise SeganError(f"unknown preset {name!r}; choose one of {', '.join(PRESETS)}")
    return PRESETS[name]
