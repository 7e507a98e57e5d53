"""Per-glyph cost of the second stage (issue 20), and what it adds to a GB2312 export.

    .venv/bin/python bench/bench_upscaler.py [--upscaler models/ma-shan-zheng/upscaler] [--threads 2]
                                             [--glyphs 512] [--batch 64] [--repeats 3]

Times, on 64 px inputs (source + generated glyphs, as batch export feeds it):

- ``eager``: the network in fp32 in PyTorch;
- ``onnx``: the same network in ONNX Runtime, fp32 (what ``segan batch`` and the app run by default);
- ``bf16``: CPU bfloat16 autocast, only where the CPU computes bf16 natively (segan_core.model.device);
- ``trace 64`` / ``trace 256``: potrace on a 64 px glyph with the 64 px settings vs on a 256 px glyph with
  the 256 px settings (the export's other per-glyph cost that the second stage changes).

and extrapolates each to the 6,763 glyphs of GB2312 (single process; the export traces in a pool of
``--workers`` processes beside generation). Without ``--upscaler`` an untrained network of the shipped
design is timed: speed does not depend on the weights' values. Run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from segan_core.charset import gb2312_level1
from segan_core.glyphs.render import FontRenderer
from segan_core.model.device import configure_threads, native_bf16
from segan_core.model.tensors import to_tensor
from segan_core.model.upscaler import Upscaler, UpscalerConfig, load_upscaler
from segan_core.resources import SOURCE_FONT
from segan_core.upscale.stage import upscaled_trace, upscaler_forward
from segan_core.vectorize.trace import TraceConfig, trace_glyph

GB2312 = 6763


def per_glyph_ms(run, glyphs: int, repeats: int) -> float:
    run()  # warm-up
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - start) * 1000 / (repeats * glyphs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--upscaler", type=Path, help="an upscaler folder (default: an untrained network)")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0 = all cores)")
    parser.add_argument("--glyphs", type=int, default=512)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    threads = configure_threads(args.threads)
    torch.manual_seed(0)
    network = load_upscaler(args.upscaler) if args.upscaler else Upscaler(UpscalerConfig()).eval()
    config = network.config
    print(machine())
    print(f"upscaler {args.upscaler or '(untrained)'}: {config}, "
          f"{sum(p.numel() for p in network.parameters()):,} parameters, {threads} thread(s)")  # fmt: skip

    font = FontRenderer(SOURCE_FONT)
    chars = gb2312_level1()[: args.glyphs]
    source = np.stack([font.render(c, config.image_size) for c in chars])
    generated = source  # timing does not depend on the glyphs' shapes
    x, s = to_tensor(generated), to_tensor(source)

    def eager() -> None:
        with torch.inference_mode():
            for start in range(0, len(x), args.batch):
                network(x[start : start + args.batch], s[start : start + args.batch])

    rows = {"eager": per_glyph_ms(eager, len(x), args.repeats)}
    forward, backend = upscaler_forward(network, "onnx")
    if backend == "onnx":

        def onnx() -> None:
            for start in range(0, len(x), args.batch):
                forward(x[start : start + args.batch], s[start : start + args.batch])

        rows["onnx"] = per_glyph_ms(onnx, len(x), args.repeats)
    else:
        print("onnx: skipped (onnxruntime is missing or the export failed)")
    if native_bf16():

        def bf16() -> None:
            with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
                for start in range(0, len(x), args.batch):
                    network(x[start : start + args.batch], s[start : start + args.batch])

        rows["bf16"] = per_glyph_ms(bf16, len(x), args.repeats)
    else:
        print("bf16: skipped (this CPU has no native bf16; autocast would be emulated)")

    sample = 64
    with torch.inference_mode():
        big = ((network(x[:sample], s[:sample]) + 1) * 127.5).round().to(torch.uint8).squeeze(1).numpy()
    base = TraceConfig()
    trace_256 = upscaled_trace(base, config.output_size)
    rows["trace 64"] = per_glyph_ms(lambda: [trace_glyph(im, base) for im in source[:sample]], sample, 1)
    rows[f"trace {config.output_size}"] = per_glyph_ms(lambda: [trace_glyph(im, trace_256) for im in big], sample, 1)

    print(f"\n{'step':<12}{'ms/glyph':>10}{'GB2312 (6,763) s':>20}")
    for name, ms in rows.items():
        print(f"{name:<12}{ms:>10.2f}{ms * GB2312 / 1000:>20.1f}")
    network_ms = rows.get("onnx", rows["eager"])
    added = network_ms + rows[f"trace {config.output_size}"] - rows["trace 64"]
    print(f"\nthe second stage adds about {added:.2f} ms a glyph in one process (upscaler + the change in "
          f"tracing cost), {added * GB2312 / 1000:.0f} s over GB2312 before the trace pool's parallelism")  # fmt: skip


if __name__ == "__main__":
    main()
