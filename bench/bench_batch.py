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
import os
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from common import machine  # noqa: E402

DEFAULT_STYLE = f"font:{ROOT.parent / 'shared' / 'fonts' / 'brush' / 'MaShanZheng-Regular.ttf'}"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class WorkerPeaks:
    """The peak RSS (VmHWM) of each child process, sampled from /proc while the export runs. (RUSAGE_CHILDREN
    is no use here: Linux keeps a spawned child's maxrss across exec, so it reports the parent's size.)"""

    def __init__(self, every_s: float = 0.25) -> None:
        self.peaks: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(every_s,), daemon=True)

    def __enter__(self) -> WorkerPeaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self, every_s: float) -> None:
        me = str(os.getpid())
        while not self._stop.wait(every_s):
            for stat in Path("/proc").glob("[0-9]*/stat"):
                try:
                    if stat.read_text().rsplit(")", 1)[1].split()[1] != me:
                        continue
                    status = (stat.parent / "status").read_text()
                except (OSError, IndexError):
                    continue
                for line in status.splitlines():
                    if line.startswith("VmHWM:"):
                        pid = int(stat.parent.name)
                        self.peaks[pid] = max(self.peaks.get(pid, 0.0), int(line.split()[1]) / 1024)


def stage_rss(job, by_stage: dict[str, float]):
    """Pass the job's progress events through, noting the main process's largest RSS seen in each stage."""
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return stop.value
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                by_stage[event.stage] = max(by_stage.get(event.stage, 0.0), int(line.split()[1]) / 1024)
        yield event


PROFILED = {  # what the main process spends its time on, by function (cumulative seconds, cProfile)
    "render source glyphs": ("render.py", "render"),
    "skeletons": ("skeleton.py", "skeletonize"),
    "generator network": ("inference.py", "forward"),
    "second stage": ("stage.py", "upscale"),
    "cache writes": ("cache.py", "put_bitmap"),
    "cache commits": ("cache.py", "commit"),
    "wait for tracers": ("_base.py", "result"),
    "build the font": ("builder.py", "build_font"),
}


def print_profile(profiler) -> None:
    import pstats

    stats = pstats.Stats(profiler)
    print("  main process, by function (cumulative s):")
    for label, (file, name) in PROFILED.items():
        total = sum(v[3] for k, v in stats.stats.items() if k[0].endswith(file) and k[2] == name)
        print(f"  {label:>22}: {total:8.2f} s")


def run(request, label: str, profile: bool = False) -> dict:
    import cProfile

    from segan_core.batch import export_font
    from segan_core.commands.progress import drive

    profiler = cProfile.Profile() if profile else None
    by_stage: dict[str, float] = {}
    start = time.perf_counter()
    with WorkerPeaks() as workers:
        if profiler is not None:
            profiler.enable()
        result = drive(stage_rss(export_font(request), by_stage), quiet=False)
        if profiler is not None:
            profiler.disable()
    seconds = time.perf_counter() - start
    report = result.report.to_json()  # the FONT.report.json object
    own = peak_rss_mb()
    children = max(workers.peaks.values(), default=0.0)
    print(f"\n== {label}: {seconds:.1f} s end to end ==")
    for stage, value in report["stage_seconds"].items():
        print(f"  {stage:>16}: {value:8.2f} s")
    written, skipped = report["font"]["hanzi_written"], len(report["skipped"])
    print(f"  hanzi written: {written} / {report['requested']}, skipped {skipped}")
    for fmt, path in result.paths.items():
        print(f"  {fmt}: {path.stat().st_size / 1e6:.2f} MB")
    print(f"  peak RSS: main {own:.0f} MB, largest trace worker {children:.0f} MB ({len(workers.peaks)} workers)")
    print("  main process RSS at the end of each stage (MB): "
          + ", ".join(f"{stage} {mb:.0f}" for stage, mb in by_stage.items()))
    if profiler is not None:
        print_profile(profiler)
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
    parser.add_argument("--profile", action="store_true", help="profile the main process (cProfile; slower)")
    parser.add_argument("--no-upscaler", action="store_true", help="a style with a second stage: export without it")
    args = parser.parse_args()
    print(machine())

    import dataclasses

    from segan_core.batch import BatchRequest, open_source
    from segan_core.charset import load_charset

    chars = load_charset(args.charset).chars
    with tempfile.TemporaryDirectory(prefix="segan-bench-") as tmp:
        out = args.out or Path(tmp) / "bench.ttf"
        request = BatchRequest(
            source=args.style,
            chars=chars,
            out=out,
            formats=tuple(args.format.split(",")),
            workers=args.workers,
            cache_dir=Path(tmp) / "cache",
            timestamp=0,
            font_size=args.size,
            upscaler=not args.no_upscaler,
        )
        t = time.perf_counter()
        source = open_source(request)  # opened once (open_style, as the export opens it), timed apart
        request = dataclasses.replace(request, source=source)
        print(f"style {source.name} ({source.identity}, {source.size} px): loaded in {time.perf_counter() - t:.1f} s; "
              f"{len(chars)} characters, {args.workers} trace workers")  # fmt: skip
        second = "off (--no-upscaler)" if args.no_upscaler else "on when the style has one (<model>/upscaler/)"
        print(f"second stage: {second}")
        print(f"generation path: {source.generation_path or 'a font (no network)'}")
        run(request, "cold cache", args.profile)
        if not args.no_warm:
            run(request, "warm cache")
    return 0


if __name__ == "__main__":
    sys.exit(main())
