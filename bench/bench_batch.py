"""Benchmark: the whole GB2312 (6,763 Hanzi) through generate -> trace -> build TTF.

    .venv/bin/python bench/bench_batch.py [--style STYLE_OR_DIR] [--workers N] [--charset gb2312]

Default style: ``font:../shared/fonts/brush/MaShanZheng-Regular.ttf`` (the folder beside the project)
at 64 px (re-exports a real font through the pipeline until a trained model exists); pass a model
folder or style id to time the real thing. Runs on a fresh temporary cache (a cold export), then
again on the warm cache unless ``--no-warm``; prints each stage's seconds and the peak RSS of this
process and of the trace workers.
Targets (with a model): <= 120 s end to end, peak RSS <= 1.5 GB.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import machine  # noqa: E402

DEFAULT_STYLE = f"font:{ROOT.parent / 'shared' / 'fonts' / 'brush' / 'MaShanZheng-Regular.ttf'}"


def peak_rss_mb() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run(request, label: str) -> dict:
    from segan_core.batch import export_font
    from segan_core.commands.progress import drive

    start = time.perf_counter()
    result = drive(export_font(request), quiet=False)
    seconds = time.perf_counter() - start
    report = result.report.to_json()  # the FONT.report.json object
    own, children = peak_rss_mb()
    print(f"\n== {label}: {seconds:.1f} s end to end ==")
    for stage, value in report["stage_seconds"].items():
        print(f"  {stage:>16}: {value:8.2f} s")
    written, skipped = report["font"]["hanzi_written"], len(report["skipped"])
    print(f"  hanzi written: {written} / {report['requested']}, skipped {skipped}")
    for fmt, path in result.paths.items():
        print(f"  {fmt}: {path.stat().st_size / 1e6:.2f} MB")
    print(f"  peak RSS: main {own:.0f} MB, largest trace worker {children:.0f} MB")
    return {"seconds": seconds, "report": report}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--style", default=DEFAULT_STYLE, help="style id, model folder or font:PATH")
    parser.add_argument("--charset", default="gb2312")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--size", type=int, default=64, help="image size for font: styles")
    parser.add_argument("--format", default="ttf")
    parser.add_argument("--no-warm", action="store_true", help="skip the second (warm cache) run")
    parser.add_argument("--out", type=Path, help="keep the font here (default: a temporary folder)")
    parser.add_argument("--no-upscaler", action="store_true", help="a style with a second stage: export without it")
    args = parser.parse_args()
    print(machine())

    from segan_core.batch import BatchRequest, resolve_source
    from segan_core.charset import load_charset

    chars = load_charset(args.charset).chars
    with tempfile.TemporaryDirectory(prefix="segan-bench-") as tmp:
        out = args.out or Path(tmp) / "bench.ttf"
        t = time.perf_counter()
        source = resolve_source(args.style, args.size)
        print(f"style {source.name} ({source.identity}, {source.size} px): loaded in {time.perf_counter() - t:.1f} s; "
              f"{len(chars)} characters, {args.workers} trace workers")  # fmt: skip
        request = BatchRequest(
            source=source,
            chars=chars,
            out=out,
            formats=tuple(args.format.split(",")),
            workers=args.workers,
            cache_dir=Path(tmp) / "cache",
            timestamp=0,
            upscaler=not args.no_upscaler,
        )
        second = "off (--no-upscaler)" if args.no_upscaler else "on when the style has one (<model>/upscaler/)"
        print(f"second stage: {second}")
        from segan_core.batch import generation_path

        print(f"generation path: {generation_path(source) or 'a font (no network)'}")
        run(request, "cold cache")
        if not args.no_warm:
            run(request, "warm cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
