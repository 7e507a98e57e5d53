"""Frozen dataclass configurations and their JSON form.

``ModelConfig`` is enough to rebuild a generator; ``LossWeights`` and ``TrainConfig`` describe a
training run. Presets live in :mod:`segan_core.training.presets`.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, TypeVar

from segan_core.errors import CheckpointError

ATTENTION_KINDS = ("cam", "sram", "cram")
SKIP_KINDS = ("none", "image", "skeleton")
# which of G's parts learn: everything, or (few-shot fine-tuning) only the AdaLIN decoder, with the
# encoders, CAM and attention kept as the base style learned them on thousands of characters
# "code": only the style code of a many-hands model (a new writer's row); "code+adalin": the code and the MLP that
# turns it into AdaLIN's gamma and beta, with AdaLIN's rho (light adaptation, issue 32)
TRAINABLE_PARTS = ("all", "decoder", "code", "code+adalin")

# A cap on every network shape a config.json may ask for, so a mistyped or hostile file cannot make
# a load take gigabytes (ngf 100000, a million residual blocks, 10^6 px images). Far above anything
# trainable here: the bundled models are 64 px with ngf 16 and 4 + 4 blocks.
MAX_IMAGE_SIZE = 512
MODEL_LIMITS: dict[str, tuple[int, int]] = {
    "image_size": (16, MAX_IMAGE_SIZE),
    "ngf": (1, 256),
    "ndf": (1, 256),
    "encoder_res_blocks": (0, 32),
    "decoder_res_blocks": (0, 32),
    "attention_channels": (1, 256),
    "discriminator_layers": (1, 8),
    "skeleton_width": (1, 32),
    "skeleton_gan_ngf": (1, 256),
    "skeleton_gan_res_blocks": (0, 32),
    "style_codes": (0, 4096),
    "style_dim": (1, 1024),
}


def check_limits(config: Any, limits: dict[str, tuple[int, int]]) -> None:
    """``ValueError`` naming the first field of ``config`` outside its ``(low, high)`` range."""
    for name, (low, high) in limits.items():
        value = getattr(config, name)
        if not low <= value <= high:
            raise ValueError(f"{name} must be between {low} and {high}, got {value}")


@dataclass(frozen=True)
class ModelConfig:
    """Shape of the SE-GAN networks."""

    image_size: int = 64
    ngf: int = 32  # generator base channels; encoder features have 4*ngf channels at size/4
    ndf: int = 32  # discriminator base channels
    encoder_res_blocks: int = 4  # "four residual blocks" per encoder (the paper)
    decoder_res_blocks: int = 4  # AdaLIN residual blocks
    attention: str = "cram"  # cam | sram | cram  (SRAM then CRAM, stacked)
    attention_channels: int = 16  # C1 of theta/phi in SRAM and CRAM
    skeleton_encoder: bool = True  # False = the paper's "w/o E_s"
    skeleton_discriminator: bool = True  # False = the paper's "w/o D_s"
    discriminator_layers: int = 5  # PatchGAN depth (U-GAT-IT's local discriminator)
    skeleton_width: int = 2  # skeleton strokes are dilated to this width (px) for E_s, SG and D_s
    skeleton_gan_ngf: int = 16
    skeleton_gan_res_blocks: int = 4
    # not in the paper: U-Net skips into the decoder's upsampling path from the 64 and 32 px stages of
    # one encoder ("image": E_i, "skeleton": E_s), so fine strokes need not squeeze through the 16 px
    # bottleneck (docs/training.md has what it bought)
    skips: str = "none"
    # not in the paper: a many-hands model (issue 32) has one learned style code per training font, which joins
    # the pooled features in the MLP that makes AdaLIN's gamma and beta; 0 = the paper's single-style generator.
    # A writer adapted from such a base has one row, its own.
    style_codes: int = 0
    style_dim: int = 64

    def __post_init__(self) -> None:
        check_limits(self, MODEL_LIMITS)
        if self.attention not in ATTENTION_KINDS:
            raise ValueError(f"attention must be one of {ATTENTION_KINDS}, got {self.attention!r}")
        if self.skips not in SKIP_KINDS:
            raise ValueError(f"skips must be one of {SKIP_KINDS}, got {self.skips!r}")
        if self.skips == "skeleton" and not self.skeleton_encoder:
            raise ValueError("skeleton skips need the skeleton encoder: use skips='image' or 'none' without it")
        if self.attention == "cram" and not self.skeleton_encoder:
            raise ValueError("CRAM needs the skeleton encoder: use attention='sram' with skeleton_encoder=False")
        if self.image_size % 16:
            raise ValueError("image_size must be a multiple of 16")

    @property
    def is_many_hands(self) -> bool:
        """A many-hands base (one style code per training font), which new writers are fitted from."""
        return self.style_codes > 1

    def for_writer(self) -> ModelConfig:
        """The shape of a writer's model fitted from this base: one style code, the writer's own."""
        return dataclasses.replace(self, style_codes=1) if self.is_many_hands else self


# the same kind of cap as MODEL_LIMITS, for the zi2zi baseline's U-Net (segan_core/baselines/zi2zi.py)
BASELINE_LIMITS: dict[str, tuple[int, int]] = {
    "image_size": (32, MAX_IMAGE_SIZE),
    "ngf": (1, 256),
    "ndf": (1, 256),
    "categories": (0, 1024),
    "embedding_dim": (1, 1024),
}


@dataclass(frozen=True)
class BaselineConfig:
    image_size: int = 64
    ngf: int = 64  # zi2zi's generator width
    ndf: int = 64
    categories: int = 1  # rows of the category embedding; 0 = no embedding
    embedding_dim: int = 128
    dropout: float = 0.5

    def __post_init__(self) -> None:
        size = self.image_size
        if size < 32 or size & (size - 1):  # below 32 px the PatchGAN has no patch left
            raise ValueError("the U-Net needs a power-of-two image size of at least 32")
        check_limits(self, BASELINE_LIMITS)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {self.dropout}")

    @property
    def depth(self) -> int:
        """Down-sampling layers from image_size to 1x1 (6 at 64 px, 8 at 256 px as in zi2zi)."""
        return self.image_size.bit_length() - 1


@dataclass(frozen=True)
class LossWeights:
    """The λ of every loss term. Defaults start from U-GAT-IT (adv 1, cycle 10, cam 1000) and zi2zi (L1 100)."""

    adversarial: float = 1.0  # L_adv of D_i (image) in both directions
    skeleton_adversarial: float = 1.0  # L_adv of D_s (skeleton) in both directions
    pixel: float = 100.0  # L_pix: L1 to the paired target
    skeleton_consistency: float = 10.0  # L_sc = |SG(G(x)) - SG(y)|_1
    cycle: float = 10.0  # L_cycle
    cam: float = 1000.0  # L_cls: CAM BCE, source vs target
    identity: float = 0.0  # |G_A(y) - y|_1; U-GAT-IT uses 10, the SE-GAN paper lists none
    dice: float = 0.0  # 1 - soft Dice of generated vs target ink (not in the paper; see losses.ink_dice)


@dataclass(frozen=True)
class TrainConfig:
    batch_size: int = 16
    learning_rate: float = 2e-4
    beta1: float = 0.5
    beta2: float = 0.999
    weight_decay: float = 1e-4
    max_steps: int = 20000
    checkpoint_every: int = 500
    sample_every: int = 250
    log_every: int = 10
    seed: int = 0
    bf16: bool = False  # CPU autocast to bfloat16
    channels_last: bool = False
    compile: bool = False  # torch.compile every network (in place)
    num_threads: int = 0  # 0 = torch's default
    save_fp16: bool = True  # weights.safetensors in half precision
    # True: U-GAT-IT's two generators (A->B and B->A) with the cycle loss. False: G_A alone with its D_i
    # and D_s (no cycle, no reverse terms): the data are paired, and on 2 CPU cores the step is 2.9x cheaper
    bidirectional: bool = True
    # also keep every checkpoint's inference files in snapshots/step-NNNNNN/ (for `segan eval select`)
    keep_snapshots: bool = False
    # > 0: ship an exponential moving average of G_A's weights (decay per step, warmed up over the first
    # steps) instead of the last raw weights; the EMA sits out the GAN's step-to-step noise
    ema_decay: float = 0.0
    # learning-rate schedule (not in the paper's text; U-GAT-IT's decay_flag is 0.5): constant until this
    # fraction of the run's budget, then linearly down to 0 at its end; 1.0 = constant throughout
    lr_decay_start: float = 1.0
    # few-shot fine-tuning (segan train finetune): which parts of the generator learn, and how strongly each
    # training pair is jittered (a random shift, scale and rotation shared by source, target and skeletons;
    # 0 = off, 1 = up to 3/64 of the size, 10 % and 4 degrees)
    trainable_parts: str = "all"
    augment: float = 0.0
    losses: LossWeights = field(default_factory=LossWeights)

    def __post_init__(self) -> None:
        if not 0.0 <= self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in [0, 1), got {self.ema_decay}")
        if not 0.0 <= self.lr_decay_start <= 1.0:
            raise ValueError(f"lr_decay_start must be in [0, 1], got {self.lr_decay_start}")
        if self.trainable_parts not in TRAINABLE_PARTS:
            raise ValueError(f"trainable_parts must be one of {TRAINABLE_PARTS}, got {self.trainable_parts!r}")
        if not 0.0 <= self.augment <= 2.0:
            raise ValueError(f"augment must be in [0, 2], got {self.augment}")


T = TypeVar("T")


def with_overrides(config: T, **overrides: Any) -> T:
    """``dataclasses.replace`` that ignores ``None`` values (unset CLI flags); bad values give a SeganError."""
    from segan_core.errors import SeganError

    try:
        return dataclasses.replace(config, **{k: v for k, v in overrides.items() if v is not None})
    except ValueError as exc:
        raise SeganError(f"invalid {type(config).__name__}: {exc}") from None


def to_dict(config: Any) -> dict[str, Any]:
    return dataclasses.asdict(config)


def from_dict(cls: type[T], data: dict[str, Any], where: str = "config") -> T:
    """Rebuild a (nested) frozen dataclass; unknown or wrongly typed keys give a clear error."""
    if not isinstance(data, dict):
        raise CheckpointError(f"{where}: expected an object for {cls.__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(data) - set(fields)
    if unknown:
        raise CheckpointError(f"{where}: unknown {cls.__name__} keys {sorted(unknown)}")
    kwargs = {}
    for name, value in data.items():
        ftype = fields[name].type
        if dataclasses.is_dataclass(ftype_cls := _resolve(ftype)):
            kwargs[name] = from_dict(ftype_cls, value, f"{where}.{name}")
        else:
            _check_type(value, ftype, f"{where}.{name}")
            kwargs[name] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise CheckpointError(f"{where}: invalid {cls.__name__}: {exc}") from None


def _check_type(value: Any, ftype: Any, where: str) -> None:
    """JSON value vs the field's annotation: "16" is not an int, true is not an int, NaN is not a number."""
    name = ftype if isinstance(ftype, str) else getattr(ftype, "__name__", str(ftype))
    if name == "bool":
        ok = isinstance(value, bool)
    elif name == "int":
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif name == "float":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif name == "str":
        ok = isinstance(value, str)
    elif name.startswith("tuple[int"):
        ok = isinstance(value, list | tuple) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    else:
        return
    if not ok:
        raise CheckpointError(f"{where} must be {'a number' if name == 'float' else f'of type {name}'}, got {value!r}")


def _resolve(ftype: Any) -> Any:
    names = {"LossWeights": LossWeights, "ModelConfig": ModelConfig, "TrainConfig": TrainConfig}
    return names.get(ftype, ftype) if isinstance(ftype, str) else ftype


def validate_model_config(config: dict[str, Any], where: str) -> None:
    """Check the ``model`` (and ``train``) objects of a checkpoint's config.json: types, ranges, caps.

    Called wherever a config.json is read (:func:`segan_core.model.checkpoint.read_config`), before
    any network is built, so a bad value is one :class:`CheckpointError` naming the file and key.
    """
    kind = config.get("kind")
    if kind in ("segan", "skeleton-gan"):
        model_class: type = ModelConfig
    elif kind == "baseline":
        model_class = BaselineConfig
    else:
        return
    if "model" not in config:
        raise CheckpointError(f"{where} has no model configuration")
    from_dict(model_class, config["model"], f"{where} model")
    if kind != "baseline" and "train" in config:
        from_dict(TrainConfig, config["train"], f"{where} train")
