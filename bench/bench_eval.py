"""Benchmark: evaluate 600 glyphs (one model + the real-font and source-glyph rows), print numbers.

    .venv/bin/python bench/bench_eval.py [--data DIR] [--glyphs 600] [--fonts]

Without ``--data`` it builds a GB2312 level-1 Ma Shan Zheng dataset (64 px) in a temp folder and
evaluates the Long Cang font as the "model" on the first 600 characters of the train split (a font
has no training split, so any split is fair). ``--fonts`` also prints the recognizer's accuracy on
200 GB2312 level-1 characters of each brush font (the readability of the real fonts).
Goal: under 60 s for 600 glyphs on 2 CPU cores. Numbers go to docs/benchmarks.md only when measured
on a quiet machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from segan_core.charset import gb2312_level1  # noqa: E402
from segan_core.data.build import BuildRequest, build_dataset  # noqa: E402
from segan_core.data.store import GlyphDataset  # noqa: E402
from segan_core.evaluation.report import EvalOptions, evaluate, format_table, load_candidate  # noqa: E402
from segan_core.glyph_source import FontGlyphSource  # noqa: E402
from segan_core.jobs import run_to_end  # noqa: E402
from segan_core.resources import SHARED_FONTS_DIR, SOURCE_FONT  # noqa: E402

BRUSH = SHARED_FONTS_DIR / "brush"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, help="dataset folder (default: build one in a temp folder)")
    parser.add_argument("--split", default="train")
    parser.add_argument("--glyphs", type=int, default=600)
    parser.add_argument("--model", default=f"font:{BRUSH / 'LongCang-Regular.ttf'}")
    parser.add_argument("--fonts", action="store_true", help="also print each brush font's OCR accuracy")
    args = parser.parse_args()
    print(f"cpu cores: {os.cpu_count()}, load average: {os.getloadavg()[0]:.2f}")

    with tempfile.TemporaryDirectory(prefix="bench_eval_") as tmp:
        data = args.data
        if data is None:
            data = Path(tmp) / "msz"
            start = time.perf_counter()
            run_to_end(
                build_dataset(
                    BuildRequest(
                        source=SOURCE_FONT,
                        out=data,
                        chars=gb2312_level1(),
                        size=64,
                        target=BRUSH / "MaShanZheng-Regular.ttf",
                    )
                )
            )
            print(f"dataset build (3755 characters, 64 px): {time.perf_counter() - start:.1f} s")
        dataset = GlyphDataset(data)
        candidate = load_candidate(args.model, dataset.size)

        stages: dict[str, float] = {}
        start = time.perf_counter()
        last_stage, last_time = None, start
        job = evaluate([candidate], dataset, EvalOptions(split=args.split, limit=args.glyphs))
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                report = stop.value
                break
            now = time.perf_counter()
            if last_stage is not None:
                stages[last_stage] = stages.get(last_stage, 0.0) + now - last_time
            last_stage, last_time = event.stage, now
        total = time.perf_counter() - start
        n = len(report.chars)
        print(
            f"evaluated {n} glyphs x 3 rows (model, real font, source floor) in {total:.1f} s "
            f"({3 * n / total:.0f} glyph-rows/s); goal < 60 s"
        )
        for stage, seconds in sorted(stages.items(), key=lambda kv: -kv[1]):
            print(f"  {stage:>9}: {seconds:6.1f} s")
        print(format_table(report))

    if args.fonts:
        from segan_core.recognizer import content_accuracy, get_recognizer

        chars = list(gb2312_level1()[:: len(gb2312_level1()) // 200][:200])
        recognizer = get_recognizer()
        print("recognizer accuracy on 200 GB2312 level-1 characters (every 18th), 64 px:")
        for path in [SOURCE_FONT, *sorted(BRUSH.glob("*.ttf"))]:
            source = FontGlyphSource(path, 64)
            usable = [c for c in chars if c not in source.missing([c])]
            start = time.perf_counter()
            accuracy = content_accuracy(usable, source.generate(usable), recognizer)
            seconds = time.perf_counter() - start
            print(f"  {source.name:<28} {accuracy:.3f}  ({len(usable)} characters, {seconds:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
