"""What resolution the dev hands' strokes need (issue 32, "thin strokes"): each hand written at the writer's size.

    .venv/bin/python bench/bench_thin_strokes.py [--corpus ../corpus] [--chars 80]

For the first ``--chars`` core300 characters each hand draws, at 64 and 128 px: the median stroke width (twice the
distance to the paper at the skeleton), how much of the 256 px shape survives a trip through that grid (ink IoU of
the bicubic 256 px upsampling against the 256 px truth) and how many glyphs break into more pieces at 64 px.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_newhand import WRITER_SCALE  # noqa: E402
from common import machine  # noqa: E402

from segan_core.glyphs.ink import mask_iou  # noqa: E402
from segan_core.glyphs.render import FontRenderer  # noqa: E402
from segan_core.glyphs.skeleton import skeletonize  # noqa: E402
from segan_core.scans.charsets import core_set  # noqa: E402
from segan_core.scans.synthetic import clean_glyph  # noqa: E402

HANDS = {**WRITER_SCALE, "ma-shan-zheng": 1.0, "yomogi": 0.8}  # the dev hands, a bold brush and a train-side pen


def pieces(mask: np.ndarray) -> int:
    return cv2.connectedComponents(mask.astype(np.uint8))[0] - 1


def measure(font: Path, scale: float, count: int) -> tuple[float, float, float, float, int, int]:
    renderer = FontRenderer(font)
    chars = [c for c in core_set("core300") if renderer.check(c) is None][:count]
    widths: dict[int, list[float]] = {64: [], 128: []}
    ious: dict[int, list[float]] = {64: [], 128: []}
    broken = 0
    for char in chars:
        truth256 = clean_glyph(font, char, 256, scale)
        truth = truth256 >= 128
        for size in (64, 128):
            glyph = cv2.resize(truth256, (size, size), interpolation=cv2.INTER_AREA)
            distance = cv2.distanceTransform((glyph >= 128).astype(np.uint8), cv2.DIST_L2, 5)
            skeleton = skeletonize(glyph) > 0
            if skeleton.any():
                widths[size].append(2 * float(np.median(distance[skeleton])))
            ious[size].append(mask_iou(cv2.resize(glyph, (256, 256), interpolation=cv2.INTER_CUBIC) >= 128, truth))
            if size == 64:
                broken += pieces(glyph >= 128) > pieces(truth)
    return (float(np.median(widths[64])), float(np.median(widths[128])), float(np.mean(ious[64])),
            float(np.mean(ious[128])), broken, len(chars))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "corpus")
    parser.add_argument("--chars", type=int, default=80)
    args = parser.parse_args()
    print(machine())
    manifest = json.loads((args.corpus / "corpus.json").read_text(encoding="utf-8"))
    fonts = {f["id"]: f for f in manifest["fonts"]}
    print("| hand (writer's size) | stroke width at 64 px | at 128 px | 256 px shape kept through 64 px (IoU) | "
          "through 128 px | glyphs broken at 64 px |")
    print("|---|---|---|---|---|---|")
    for hand, scale in HANDS.items():
        entry = fonts[hand]
        font = (Path(manifest["shared"]) if entry["origin"] == "shared" else args.corpus) / entry["path"]
        w64, w128, i64, i128, broken, n = measure(font, scale, args.chars)
        print(f"| {hand} (x{scale:g}) | {w64:.1f} px | {w128:.1f} px | {i64:.3f} | {i128:.3f} | {broken} of {n} |")


if __name__ == "__main__":
    main()
