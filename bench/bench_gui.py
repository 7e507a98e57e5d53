"""GUI latency: typing 10 characters -> glyph grid filled and the detail panel's heatmaps shown.

A style with a second stage fills the grid with the generator's 64 px glyphs, then swaps in the stage's 256 px
glyphs; both times are printed (the second one after the detail panel's, so at most a few ms late).

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_gui.py [--model DIR] [--repeats 5] [--threads N]

Uses ``models/ma-shan-zheng`` when it exists; otherwise a *randomly initialised* cpu-64 generator
saved to a temporary checkpoint with the same shapes (the speed is the same, the glyphs are noise).
Numbers are milliseconds. The 10 key presses come in one turn of the event loop, as a paste or an input method's
commit does: with the generator idle they are drawn at once; the pause (app.views.generate.DEBOUNCE_MS) is waited
only for keys typed while a draw is under way.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TEXTS = (
    "永字八法天地玄黄宇宙",
    "洪荒日月盈昃辰宿列张",
    "寒来暑往秋收冬藏闰余",
    "成岁律吕调阳云腾致雨",
    "露结为霜金生丽水玉出",
    "昆冈剑号巨阙珠称夜光",
)


def random_cpu64_model(folder: Path) -> Path:
    """A cpu-64 generator with random weights, saved like a trained one."""
    import torch

    from segan_core.config import to_dict
    from segan_core.model.checkpoint import WEIGHTS_FILE, module_tensors, save_tensors_atomic, write_config
    from segan_core.model.segan import Generator
    from segan_core.training.presets import get_preset

    model, _ = get_preset("cpu-64")
    torch.manual_seed(0)
    generator = Generator(model)
    folder.mkdir(parents=True, exist_ok=True)
    save_tensors_atomic(folder / WEIGHTS_FILE, module_tensors("generator", generator))
    write_config(folder, "segan", {"model": to_dict(model), "data": {"target": {"name": "random cpu-64"}}})
    return folder


def type_text(widget, text: str) -> None:
    from PySide6.QtCore import QEvent, Qt
    from PySide6.QtGui import QKeyEvent
    from PySide6.QtWidgets import QApplication

    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char))


def wait_until(app, condition, timeout_s: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the GUI did not get there in time")
        app.processEvents()
        time.sleep(0.001)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="segan-bench-gui-"))
    os.environ["SEGAN_STUDIO_HOME"] = str(home / "home")

    from PySide6.QtWidgets import QApplication

    from segan_core.model.device import configure_threads
    from segan_core.resources import BUNDLED_MODELS_DIR as MODELS_DIR

    threads = configure_threads(args.threads)
    if args.model is not None:
        folder, note = args.model, f"model {args.model}"
    elif (MODELS_DIR / "ma-shan-zheng" / "weights.safetensors").is_file():
        folder, note = MODELS_DIR / "ma-shan-zheng", "bundled model models/ma-shan-zheng (cpu-64)"
    else:
        folder = random_cpu64_model(home / "random-cpu-64")
        note = "RANDOMLY INITIALISED cpu-64 generator (models/ma-shan-zheng not trained yet; same shapes and speed)"

    app = QApplication.instance() or QApplication(sys.argv[:1])
    from app.main_window import MainWindow

    window = MainWindow()
    window.context.settings.threads = args.threads
    window.resize(1300, 860)
    window.show()
    view = window.generate
    ready = []
    view.model_ready.connect(ready.append)
    t0 = time.perf_counter()
    view.open_model(folder)
    wait_until(app, lambda: bool(ready))
    load_ms = (time.perf_counter() - t0) * 1000
    model = ready[0]

    # the core alone: 10 characters with heatmaps (what the worker does)
    core = []
    for text in TEXTS[: args.repeats]:
        t = time.perf_counter()
        model.run(tuple(text), heatmaps=True)
        core.append((time.perf_counter() - t) * 1000)

    grid_ms, detail_ms, total_ms, stage_ms = [], [], [], []
    for i in range(args.repeats):
        text = TEXTS[i % len(TEXTS)]
        view.cache.clear()
        view.text.blockSignals(True)
        view.text.clear()
        view.text.blockSignals(False)
        view.grid.set_chars([])
        app.processEvents()
        t = time.perf_counter()
        type_text(view.text, text)  # 10 key presses, as fast as a paste
        wait_until(app, lambda text=text: view.grid.ready_chars() == list(text))
        t_grid = time.perf_counter()
        view.grid.setCurrentItem(view.grid.item_for(text[0]))  # click -> detail panel
        wait_until(app, lambda: all(p.has_image() for p in view.detail.panels()))
        app.processEvents()
        t_detail = time.perf_counter()
        if view.stage is not None:  # the grid first shows the generator's glyphs, then the stage's (issue 29)
            wait_until(app, lambda text=text: all(c in view.cache and view.cache[c].upscaled is not None for c in text))
            stage_ms.append((time.perf_counter() - t) * 1000)
        grid_ms.append((t_grid - t) * 1000)
        detail_ms.append((t_detail - t_grid) * 1000)
        total_ms.append((t_detail - t) * 1000)

    # one more character typed after a pause: only it is generated (the rest is cached)
    one_ms = []
    for i in range(args.repeats):
        extra = "海咸河淡鳞潜羽翔龙师"[i % 10]
        before = view.text.toPlainText()
        if extra in before:
            continue
        t = time.perf_counter()
        type_text(view.text, extra)
        wait_until(app, lambda extra=extra: extra in view.grid.ready_chars())
        one_ms.append((time.perf_counter() - t) * 1000)
        if view.stage is not None:  # the pause: its 256 px glyph drawn too before the next key
            wait_until(app, lambda extra=extra: extra in view.cache and view.cache[extra].upscaled is not None)

    def fmt(values: list[float]) -> str:
        return (
            f"median {statistics.median(values):7.1f} ms  "
            f"(min {min(values):.1f}, max {max(values):.1f}, n={len(values)})"
        )

    print(f"Segan Studio GUI benchmark: {note}")
    print(
        f"image size {model.size} px, attention {model.attention}, device {model.device}, "
        f"torch threads {threads}, Qt platform {app.platformName()}"
    )
    print(f"model load (worker, first time)          {load_ms:7.1f} ms")
    print(f"core: model.run(10 chars, heatmaps)      {fmt(core)}")
    print(f"typing 10 chars -> grid filled           {fmt(grid_ms)}")
    print(f"click -> 7 detail panels with heatmaps   {fmt(detail_ms)}")
    print(f"typing 10 chars -> grid + heatmaps shown {fmt(total_ms)}")
    if stage_ms:
        print(f"typing 10 chars -> 256 px glyphs shown   {fmt(stage_ms)}")
    if one_ms:
        print(f"typing 1 more char -> its glyph shown    {fmt(one_ms)}")
    window.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
