"""Time `segan data build` for Ma Shan Zheng, 64 px, whole GB2312.

.venv/bin/python bench/bench_data_build.py [--target FONT] [--size 64]
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine

from segan_core.charset import gb2312_hanzi
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.data.store import GlyphDataset
from segan_core.jobs import run_to_end
from segan_core.resources import SHARED_FONTS_DIR, SOURCE_FONT


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", type=Path, default=SHARED_FONTS_DIR / "brush" / "MaShanZheng-Regular.ttf")
    parser.add_argument("--size", type=int, default=64)
    args = parser.parse_args()
    print(machine())
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "ds"
        start = time.perf_counter()
        manifest = run_to_end(
            build_dataset(
                BuildRequest(source=SOURCE_FONT, target=args.target, out=out, chars=gb2312_hanzi(), size=args.size)
            )
        )
        build_s = time.perf_counter() - start
        start = time.perf_counter()
        train = GlyphDataset(out).split("train")
        load_s = time.perf_counter() - start
        size_mb = sum(p.stat().st_size for p in out.iterdir()) / 2**20
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"data build {args.target.name} {args.size}px GB2312: {manifest['counts']['total']} characters "
        f"in {build_s:.1f} s ({manifest['counts']['total'] / build_s:.0f} chars/s); folder {size_mb:.0f} MB; "
        f"train split ({len(train)}) loads in {load_s:.2f} s; peak RSS {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
