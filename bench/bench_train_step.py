"""Images/s of the full SE-GAN training step at 64 px, batch 16, on this CPU.

    .venv/bin/python bench/bench_train_step.py                 # every variant
    .venv/bin/python bench/bench_train_step.py --variant eager # the plain eager fp32 baseline only

The step is the real one (segan_core.training.segan_step): both generators, D_i and D_s in both
directions, the frozen skeleton GAN, cycle and CAM passes, backward and Adam updates; "one direction"
is the G_A-only step of ``--one-direction``; "zi2zi baseline" is the baseline's step.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from segan_core.model.device import configure_threads
from segan_core.model.skeleton_gan import SkeletonGenerator
from segan_core.training.data import Batch
from segan_core.training.presets import get_baseline_preset, get_preset
from segan_core.training.segan_step import SeganTrainable
from segan_core.training.zi2zi_step import BaselineTrainable

VARIANTS = {
    "eager": {"channels_last": False},
    "channels_last": {"channels_last": True},
    "bf16": {"bf16": True},
    "bf16+channels_last": {"bf16": True, "channels_last": True},
    "compile": {"compile": True},
    "1 thread": {"num_threads": 1},
    "one direction+channels_last": {"bidirectional": False, "channels_last": True},
    "one direction+channels_last, 1 thread": {"bidirectional": False, "channels_last": True, "num_threads": 1},
    # the shipped recipe's step where the CPU has native bf16 (--bf16 auto): one direction, autocast
    "one direction+bf16+channels_last": {"bidirectional": False, "channels_last": True, "bf16": True},
    "one direction+bf16+channels_last, 1 thread": {"bidirectional": False, "channels_last": True, "bf16": True,
                                                   "num_threads": 1},
    # the cpu-64 preset ships a weight EMA (ema_decay 0.995): what the per-step average costs
    "one direction, no EMA": {"bidirectional": False, "channels_last": True, "ema_decay": 0.0},
    # the presets' generator has U-Net image skips; the paper's has none (MODEL_OVERRIDES)
    "one direction, no skips": {"bidirectional": False, "channels_last": True},
    # the zi2zi baseline's step (U-Net generator + conditional PatchGAN), for equal-compute comparisons
    "zi2zi baseline": {"channels_last": True},
    "zi2zi baseline, 1 thread": {"channels_last": True, "num_threads": 1},
}

# ModelConfig changes of a variant (the rest of VARIANTS changes TrainConfig only)
MODEL_OVERRIDES = {"one direction, no skips": {"skips": "none"}}


def measure(preset: str, variant: str, batch_size: int, steps: int, warmup: int) -> float:
    model, train = get_preset(preset)
    model = dataclasses.replace(model, **MODEL_OVERRIDES.get(variant, {}))
    train = dataclasses.replace(train, batch_size=batch_size, **VARIANTS[variant])
    configure_threads(train.num_threads)
    torch.manual_seed(0)
    if variant.startswith("zi2zi"):
        baseline, _ = get_baseline_preset(preset)
        trainable = BaselineTrainable(baseline, train, torch.device("cpu"))
    else:
        trainable = SeganTrainable(
            model, train, SkeletonGenerator(model.skeleton_gan_ngf, model.skeleton_gan_res_blocks), torch.device("cpu")
        )
    size = model.image_size
    batch = Batch(*((torch.rand(batch_size, 1, size, size) * 2 - 1) for _ in range(4)), torch.zeros(batch_size).long())
    if train.channels_last:
        for net in trainable.networks().values():
            net.to(memory_format=torch.channels_last)
        batch = batch.to(torch.device("cpu"), channels_last=True)
    for _ in range(warmup):
        trainable.train_step(batch, lambda m: None)
    start = time.perf_counter()
    for _ in range(steps):
        trainable.train_step(batch, lambda m: None)
    return steps * batch_size / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--preset", default="cpu-64")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--variant", choices=sorted(VARIANTS), action="append")
    args = parser.parse_args()
    print(machine())
    results = {}
    for variant in args.variant or list(VARIANTS):
        try:
            results[variant] = measure(args.preset, variant, args.batch_size, args.steps, args.warmup)
        except RuntimeError as exc:  # torch.compile of the GAN step can fail; report it and go on
            print(f"{args.preset} batch {args.batch_size} {variant:>20}: failed ({str(exc).splitlines()[0][:120]})")
            continue
        ratio = results[variant] / results["eager"] if "eager" in results else float("nan")
        print(
            f"{args.preset} batch {args.batch_size} {variant:>20}: {results[variant]:6.2f} img/s  "
            f"(x{ratio:.2f} of eager fp32)",
            flush=True,
        )


if __name__ == "__main__":
    main()
