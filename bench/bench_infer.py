"""Glyphs/s of SE-GAN inference at 64 and 128 px for each execution variant.

    .venv/bin/python bench/bench_infer.py [--model DIR] [--sizes 64 128] [--batch 64]

Times the generator forward pass on source glyphs + skeletons (what StyleModel.translate runs) and,
separately, the whole StyleModel.generate path (rendering and skeletons included).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import cpu64_checkpoint, machine

from segan_core.charset import gb2312_level1
from segan_core.inference import BACKENDS, DEFAULT_BACKEND, StyleModel


def throughput(model: StyleModel, source: np.ndarray, skeletons: np.ndarray, batch: int, repeats: int) -> float:
    model.translate(source[:batch], skeletons[:batch], batch)  # warm-up (and compile, where it applies)
    start = time.perf_counter()
    for _ in range(repeats):
        model.translate(source, skeletons, batch)
    return repeats * len(source) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", help="a trained model folder (default: an untrained generator per preset)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[64, 128])
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--glyphs", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--backend", choices=BACKENDS, action="append")
    args = parser.parse_args()
    print(machine())
    if args.model:  # "auto": int8 where the style passed its int8 check on a VNNI CPU, else fp32 ONNX
        chosen = StyleModel.load(args.model, backend=DEFAULT_BACKEND)
        print(f"generation path of segan batch and the app for this model here: {chosen.backend_reason}")
    chars = gb2312_level1()[: args.glyphs]
    for size in args.sizes:
        preset = {64: "cpu-64", 128: "gpu-128", 256: "paper-256"}[size]
        folder = cpu64_checkpoint(preset, args.model if args.model and size == 64 else None)
        base = None
        for backend in args.backend or BACKENDS:
            try:
                model = StyleModel.load(folder, backend=backend)
            except Exception as exc:  # report and go on: one backend failing must not hide the others
                print(f"{size}px {backend:>14}: unavailable ({exc})")
                continue
            generation = model.run(chars[: args.batch])
            source = np.stack([model.source_font.render(c, size) for c in chars])
            from segan_core.glyphs.skeleton import skeletonize

            skeletons = np.stack([skeletonize(s) for s in source])
            rate = throughput(model, source, skeletons, args.batch, args.repeats)
            base = base or rate
            start = time.perf_counter()
            model.generate(chars)
            end_to_end = len(chars) / (time.perf_counter() - start)
            print(
                f"{size}px {preset} {backend:>14}: {rate:7.1f} glyphs/s network (x{rate / base:.2f}), "
                f"{end_to_end:7.1f} glyphs/s with rendering+skeletons; sample ink {generation.generated.mean():.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
