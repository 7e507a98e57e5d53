"""The int8 path's gate and speed (issue 29): for each bundled style, its int8 glyphs against its fp32 glyphs.

    .venv/bin/python bench/bench_int8.py [--styles ma-shan-zheng ...] [--chars 200] [--write]

For each style: the first ``--chars`` test-split characters of GB2312 (never trained on, never calibrated on)
drawn by the fp32 ONNX graph and by the int8 graph (``segan_core.int8``): mean ink IoU at 64 px and, where the
style has a second stage, after it at 256 px; content accuracy of both (the PP-OCRv4 recognizer); and the
network's glyphs/s for both paths on this machine, 1 and 2 threads. The gate: IoU >= 0.98 at both sizes and
accuracy within +-0.01. ``--write`` records the measurement in each style's ``int8.json``, which is what lets
the app and ``segan batch`` take the int8 path for that style (only on a CPU with VNNI/AMX).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import machine  # noqa: E402

STYLES = ("ma-shan-zheng", "zhi-mang-xing", "liu-jian-mao-cao", "long-cang", "kouzan-mouhitsu",
          "kouzan-mouhitsu-gyosho")  # fmt: skip


def glyphs_per_second(model, source: np.ndarray, skeletons: np.ndarray, threads: int, repeats: int = 2) -> float:
    from segan_core.model.device import configure_threads

    configure_threads(threads)
    model.release()  # new sessions pick up the thread count (one session, or two of half the threads each)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    model.translate(source[:64], skeletons[:64])
    best = 0.0
    for _ in range(repeats):
        start = time.perf_counter()
        model.translate(source, skeletons)
        best = max(best, len(source) / (time.perf_counter() - start))
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", nargs="+", default=list(STYLES))
    parser.add_argument("--chars", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="record each style's measurement in its int8.json")
    parser.add_argument("--no-speed", action="store_true", help="the gate only")
    args = parser.parse_args()
    print(machine())

    from segan_core.charset import gb2312_hanzi
    from segan_core.data.split import split_of
    from segan_core.glyphs.ink import ink_iou
    from segan_core.glyphs.skeleton import skeletonize
    from segan_core.inference import StyleModel
    from segan_core.int8 import RECIPE, Int8Check, int8_flags, quantizer_version, write_check
    from segan_core.model.device import cpu_flags
    from segan_core.recognizer import content_accuracy
    from segan_core.upscale.stage import load_second_stage

    chars = [c for c in gb2312_hanzi() if split_of(c) == "test"][: args.chars]
    flags = " ".join(f for f in ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "amx_int8") if f in cpu_flags())
    print(f"recipe {RECIPE}; {len(chars)} test characters; int8 instructions here: {', '.join(int8_flags()) or 'none'}")
    print(f"{'style':<24} {'IoU 64':>7} {'IoU 256':>8} {'acc fp32':>9} {'acc int8':>9} {'gate':>5}"
          f"{'' if args.no_speed else '   fp32 g/s 1t/2t   int8 g/s 1t/2t'}")  # fmt: skip
    failed = 0
    with tempfile.TemporaryDirectory(prefix="segan-int8-") as tmp:
        os.environ.setdefault("SEGAN_CACHE_DIR", tmp)  # quantize afresh unless told where the cache is
        for style in args.styles:
            folder = ROOT / "models" / style
            fp32 = StyleModel.load(folder, backend="onnx")
            int8 = StyleModel.load(folder, backend="int8")
            if int8.backend != "int8":
                print(f"{style:<24} the int8 graph could not be made; fp32 stays")
                failed += 1
                continue
            source = fp32.source_glyphs(chars)
            skeletons = np.stack([skeletonize(s) for s in source])
            a, _ = fp32.translate(source, skeletons)
            b, _ = int8.translate(source, skeletons)
            iou_64 = float(ink_iou(b, a).mean())
            stage = load_second_stage(fp32)
            iou_256 = None
            if stage is not None:
                iou_256 = float(ink_iou(stage.upscale(b, source), stage.upscale(a, source)).mean())
            check = Int8Check(weights_sha256=fp32.weights_sha256, recipe=RECIPE, iou_64=round(iou_64, 4),
                              iou_256=None if iou_256 is None else round(iou_256, 4),
                              accuracy_fp32=round(content_accuracy(chars, a), 4),
                              accuracy_int8=round(content_accuracy(chars, b), 4), chars=len(chars),
                              measured_on=flags, onnxruntime=quantizer_version())  # fmt: skip
            failed += not check.passed
            up = f"{iou_256:8.3f}" if iou_256 is not None else f"{'-':>8}"
            line = (f"{style:<24} {iou_64:7.3f} {up} {check.accuracy_fp32:9.3f} {check.accuracy_int8:9.3f} "
                    f"{'pass' if check.passed else 'FAIL':>5}")  # fmt: skip
            if not args.no_speed:
                speeds = [glyphs_per_second(m, source, skeletons, t) for m in (fp32, int8) for t in (1, 2)]
                line += f"   {speeds[0]:6.1f} / {speeds[1]:6.1f}     {speeds[2]:6.1f} / {speeds[3]:6.1f}"
            print(line, flush=True)
            if args.write:
                write_check(folder, check)
    print(f"{len(args.styles) - failed} of {len(args.styles)} styles pass the gate")
    return 0


if __name__ == "__main__":
    sys.exit(main())
