"""Time `segan scans import` on synthetic scans of the core300 template (4 pages, 300 cells), and measure it.

.venv/bin/python bench/bench_scans.py [--dpi 300] [--hand FONT]

The pages are filled in with a brush font (the tests' Ma Shan Zheng subset by default), then
degraded like a flatbed scan (grey paper, uneven light, +-5 deg rotation, slight perspective, blur,
noise) and saved as JPEG quality 70, given in reverse order with one page upside down. A phone-photo
page (strong perspective, shadow) is measured separately. Prints the import time (label check and
dataset build included), the share of cells with the right label and ink IoU >= 0.9 at 64 px, the
mean IoU, the most ink found on any glyph's background, and the recognizer's flags.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import cv2
import numpy as np
from common import machine

from segan_core.imageio import read_gray
from segan_core.jobs import run_to_end
from segan_core.scans.charsets import core_set
from segan_core.scans.importer import ImportRequest, import_scans
from segan_core.scans.synthetic import clean_glyph, degrade, fill_page, save_jpeg
from segan_core.scans.template import make_template, write_template

HAND = Path(__file__).resolve().parents[1] / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"


def measure(out: Path, chars: tuple[str, ...], hand: Path) -> tuple[np.ndarray, int]:
    """IoU at 64 px against the written glyph per character (0 when missing), and the worst background ink."""
    ious, background = [], 0
    for char in chars:
        path = out / "chars" / f"{char}.png"
        if not path.exists():
            ious.append(0.0)
            continue
        ink = 255 - read_gray(path)
        got = cv2.resize(ink, (64, 64), interpolation=cv2.INTER_AREA) >= 128
        ref = clean_glyph(hand, char, 64) >= 128
        ious.append(float((got & ref).sum() / max(1, (got | ref).sum())))
        strokes = cv2.dilate((clean_glyph(hand, char, ink.shape[0]) > 0).astype(np.uint8), np.ones((9, 9), np.uint8))
        background = max(background, int(ink[strokes == 0].max()))
    return np.array(ious), background


def run(pages: list[Path], sheet: Path, out: Path) -> tuple[float, float, object]:
    """``(wall seconds, CPU seconds of this process, report)``: on a shared machine the CPU time is the
    steadier figure (it does not grow with other jobs' load the way wall time does)."""
    start, cpu = time.perf_counter(), time.process_time()
    report = run_to_end(import_scans(ImportRequest(tuple(pages), sheet, out)))
    return time.perf_counter() - start, time.process_time() - cpu, report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dpi", type=int, default=300, help="scan resolution of the synthetic pages")
    parser.add_argument("--hand", type=Path, default=HAND, help="brush font standing in for the handwriting")
    args = parser.parse_args()
    print(machine())
    template = make_template(core_set("core300"), "core300")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_template(template, folder / "sheet.pdf", dpi=72, png=False)
        pages = []
        for page in range(template.pages):
            filled = fill_page(template, page, args.hand, dpi=args.dpi)
            pages.append(save_jpeg(degrade(filled, seed=page, upside_down=page == 1), folder / f"scan{page + 1}.jpg"))
        pages.reverse()
        size_mb = sum(p.stat().st_size for p in pages) / 2**20
        from segan_core.recognizer import get_recognizer

        start = time.perf_counter()
        get_recognizer()
        load_s = time.perf_counter() - start
        load = os.getloadavg()[0]
        seconds, cpu, report = run(pages, folder / "sheet.json", folder / "out")
        ious, background = measure(folder / "out", template.chars, args.hand)
        print(
            f"scans import core300 ({template.pages} pages, {len(template.chars)} cells, {args.dpi} dpi JPEG q70, "
            f"{size_mb:.1f} MB): {seconds:.1f} s wall, {cpu:.1f} s CPU (recognizer load {load_s:.1f} s before, "
            f"not counted); cpus {len(os.sched_getaffinity(0))}, load average {load:.1f} before the import"
        )
        print(
            f"  right label and IoU >= 0.9: {(ious >= 0.9).mean():.1%}; "
            f"mean IoU {ious.mean():.3f}, min {ious.min():.3f}; "
            f"max background ink {background}; statuses {report.counts}"
        )
        phone = fill_page(template, 0, args.hand, dpi=args.dpi)
        photo = save_jpeg(degrade(phone, seed=7, phone=True, lens=0.01), folder / "phone.jpg")
        seconds, cpu, report = run([photo], folder / "sheet.json", folder / "phone")
        ious, background = measure(folder / "phone", template.chars[:80], args.hand)
        print(
            f"  phone photo (1 page, 80 cells, 1 % lens distortion): {seconds:.1f} s wall, {cpu:.1f} s CPU; "
            f"IoU >= 0.9: {(ious >= 0.9).mean():.1%}; "
            f"mean IoU {ious.mean():.3f}, min {ious.min():.3f}; max background ink {background}"
        )


if __name__ == "__main__":
    main()
