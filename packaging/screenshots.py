"""Screenshots of the real window for docs/img/: Generate, the detail panel, Batch & export, Train.

    .venv/bin/python packaging/screenshots.py [--model DIR] [--steps 300] [--out docs/img]

Starts ``Xvfb :99 -screen 0 1400x900x24`` (unless ``--no-xvfb``), runs the application on it (Qt's
xcb platform, so real X11 fonts and rendering) in a throw-away data folder, drives each view and
saves gui-generate.png, gui-detail.png, gui-batch.png and gui-train.png, then walks the Train view's
new-calligrapher flow (``--only calligrapher`` for just that): a core300 template, four synthetic
scans of it written in another brush hand (``--hand``; one box left empty, one with the wrong
character, one page photographed by phone), the import, a review (one cell relabelled, one dropped)
and a short fine-tune of the bundled style (``--finetune-steps``), saving gui-calligrapher-1-template.png
... gui-calligrapher-5-done.png.

The style model is ``models/ma-shan-zheng`` when it exists; otherwise a tiny-32 model is trained
here for ``--steps`` steps on 120 characters of Ma Shan Zheng (about a minute or two on CPU): its
glyphs are rough, but every panel shows real output of the pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TRAIN_TEXT = (
    "永字八法天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水"
    "玉出昆冈剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳推位让国"
    "有虞陶唐吊民伐罪周发殷汤坐朝问道垂拱平章爱育黎首臣伏戎羌遐迩一体率宾归王"
)
GENERATE_TEXT = "永字八法 天地玄黄 书法 Hello!"
BRUSH = "brush/MaShanZheng-Regular.ttf"
WRONG_CHAR = "永"  # written by mistake into a box of the calligrapher's template (not in core300)


def start_xvfb(display: str) -> subprocess.Popen | None:
    if not shutil.which("Xvfb"):
        raise SystemExit("Xvfb is not installed (apt-get install xvfb)")
    socket = Path(f"/tmp/.X11-unix/X{display.lstrip(':')}")
    proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1400x900x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if socket.exists():
            return proc
        if proc.poll() is not None:
            raise SystemExit(f"Xvfb {display} did not start (is the display taken? try --display :98)")
        time.sleep(0.1)
    proc.terminate()
    raise SystemExit(f"Xvfb {display} did not come up")


def prepare_model(work: Path, steps: int) -> dict[str, Path]:
    """Dataset + skeleton GAN + (unless bundled) a tiny style model; returns their folders."""
    from segan_core.data.build import BuildRequest, build_dataset
    from segan_core.jobs import run_to_end
    from segan_core.resources import BUNDLED_MODELS_DIR as MODELS_DIR
    from segan_core.resources import SOURCE_FONT, find_font
    from segan_core.training.presets import get_preset
    from segan_core.training.runs import RunOptions, train_skeleton_gan, train_style

    brush = find_font(BRUSH)
    data, sg, style = work / "data", work / "skeleton-gan", work / "tiny-ma-shan-zheng"
    chars = tuple(dict.fromkeys(TRAIN_TEXT))
    if not (data / "manifest.json").is_file():
        run_to_end(build_dataset(BuildRequest(source=SOURCE_FONT, out=data, chars=chars, size=32, target=brush)))
    model, train = get_preset("tiny-32")
    train = dataclasses.replace(train, checkpoint_every=1000, log_every=50, num_threads=1)
    bundled_sg = MODELS_DIR / "skeleton-gan"
    if (bundled_sg / "config.json").is_file():
        sg = bundled_sg
    elif not (sg / "weights.safetensors").is_file():
        print("training a tiny skeleton GAN …", flush=True)
        run_to_end(train_skeleton_gan([data], model, train, RunOptions(out=sg, max_steps=50)))
    bundled = MODELS_DIR / "ma-shan-zheng"
    if (bundled / "weights.safetensors").is_file():
        style = bundled
    elif not (style / "weights.safetensors").is_file():
        print(f"training a tiny-32 style model for {steps} steps (no bundled model yet) …", flush=True)
        run_to_end(train_style(data, sg, model, train, RunOptions(out=style, max_steps=steps)))
    images = work / "images"
    images.mkdir(exist_ok=True)
    from PIL import Image

    from segan_core.glyphs.render import FontRenderer, to_paper

    renderer = FontRenderer(brush)
    for char in chars[:60]:
        Image.fromarray(to_paper(renderer.render(char, 128))).save(images / f"{char}.png")
    return {"style": style, "skeleton_gan": sg, "images": images, "brush": brush}


def wait_until(app, condition, timeout_s: float = 300.0, what: str = "the GUI") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float = 0.5) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.01)


def shoot(app, widget, path: Path) -> None:
    settle(app)
    pixmap = widget.grab()
    if not pixmap.save(str(path)):
        raise SystemExit(f"cannot write {path}")
    print(f"wrote {path} ({pixmap.width()}x{pixmap.height()})", flush=True)


def compact(path: Path) -> None:
    """Store a screenshot with a 256-colour palette (a third of the size; UI greys and glyphs survive)."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def shoot_compact(app, widget, path: Path) -> None:
    shoot(app, widget, path)
    compact(path)


def run(args: argparse.Namespace, work: Path, session: Path) -> None:
    from PySide6.QtWidgets import QApplication

    assets = prepare_model(work, args.steps)
    if args.model is not None:
        assets["style"] = args.model
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Segan Studio")
    from app.errors import ErrorBox
    from app.main_window import MainWindow

    shown = []
    ErrorBox.exec = lambda box: shown.append(box.text()) or 0  # never block on a dialog
    window = MainWindow()
    window.context.settings.threads = 1
    window.resize(1380, 860)
    window.move(10, 10)
    window.show()
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    if args.only in ("all", "views"):
        run_views(app, window, assets, args, session, shown)
    if args.only in ("all", "calligrapher"):
        from segan_core.resources import BUNDLED_MODELS_DIR as MODELS_DIR

        bundled = MODELS_DIR / "ma-shan-zheng"
        assets["base"] = bundled if (bundled / "weights.safetensors").is_file() else assets["style"]
        run_calligrapher(app, window, assets, args, session, shown)
    if shown:
        print("dialogs shown:", *shown, sep="\n  ")
    window.close()
    app.processEvents()


def run_views(app, window, assets: dict[str, Path], args: argparse.Namespace, session: Path,
              shown: list[str]) -> None:
    out = args.out

    # Generate + detail
    view = window.generate
    loaded = []
    view.model_ready.connect(loaded.append)
    view.open_model(assets["style"])
    wait_until(app, lambda: bool(loaded), what="the model")
    view.set_text(GENERATE_TEXT)
    wanted = [c for c in GENERATE_TEXT if "\u4e00" <= c <= "\u9fff"]
    wait_until(app, lambda: set(wanted) <= set(view.grid.ready_chars()), what="the glyph grid")
    view.grid.setCurrentItem(view.grid.item_for("永"))
    view.detail.zoom.setValue(3)
    settle(app, 1.0)
    shoot(app, window, out / "gui-generate.png")
    view.detail.zoom.setValue(4)
    settle(app, 0.5)
    detail = view.detail
    detail.setMinimumHeight(320)
    shoot(app, detail, out / "gui-detail.png")

    # Batch & export: a small font from the style model, with the quality gate
    window.tabs.setCurrentWidget(window.batch)
    batch = window.batch
    batch.select_model(assets["style"])
    batch.set_charset("text", TRAIN_TEXT[:100])
    batch.family.setText("Segan Tiny Brush")
    batch.out.setText(str(session / "fonts"))
    batch.preview_size.setValue(48)
    done = []
    batch.finished.connect(done.append)
    batch.start()
    wait_until(app, lambda: bool(done) or batch.job is None, what="the batch export")
    wait_until(app, lambda: batch.job is None)
    if not done:
        raise SystemExit(f"batch export failed: {shown}")
    shoot(app, window, out / "gui-batch.png")

    # Train: a short live run from a folder of images
    window.tabs.setCurrentWidget(window.train)
    train = window.train
    train.base.setCurrentIndex(train.base.findData("preset:tiny-32"))
    train.name.setText("my-brush")
    train.images.setText(str(assets["images"]))
    train.skeleton.setText(str(assets["skeleton_gan"]))
    train.steps.setValue(args.train_steps)
    finished = []
    train.finished.connect(finished.append)
    train.start()
    wait_until(app, lambda: bool(finished) or train.job is None, what="training")
    wait_until(app, lambda: train.job is None)
    if not finished:
        raise SystemExit(f"training failed: {shown}")
    shoot(app, window, out / "gui-train.png")


def make_scans(template_json: Path, hand: Path, folder: Path) -> list[Path]:
    """Every page of the template filled in by ``hand``, degraded like real scans (page 3 a phone photo)."""
    from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
    from segan_core.scans.template import load_template

    template = load_template(template_json)
    chars = template.chars
    mistakes = {chars[5]: None, chars[17]: WRONG_CHAR}  # an empty box, a wrong character
    scans = []
    for page in range(template.pages):
        filled = fill_page(template, page, hand, dpi=150, written=mistakes)
        picture = degrade(filled, seed=10 + page, phone=page == 2)
        scans.append(save_jpeg(picture, folder / f"scan-{page + 1}.jpg"))
    return scans


def run_calligrapher(app, window, assets: dict[str, Path], args: argparse.Namespace, session: Path,
                     shown: list[str]) -> None:
    """The five steps of the new-calligrapher flow, one screenshot each."""
    from app.views.calligrapher import FINETUNE, SCANS
    from segan_core.model.checkpoint import read_config
    from segan_core.resources import find_font

    out = args.out
    window.tabs.setCurrentWidget(window.train)
    flow = window.train.calligrapher
    window.train.modes.setCurrentWidget(flow)
    flow.name.setText("Long Cang")
    flow.name.editingFinished.emit()
    flow.skeleton_gan = assets["skeleton_gan"]

    # 1 template
    flow.charset.setCurrentIndex(flow.charset.findData("core300"))
    saved: list = []
    flow.template_saved.connect(saved.append)
    sheets = session / "sheets"
    sheets.mkdir()
    flow.save_template(sheets / "long-cang-template.pdf")
    wait_until(app, lambda: bool(saved) or (flow.job is None and bool(shown)), what="the template")
    if not saved:
        raise SystemExit(f"template failed: {shown}")
    settle(app, 0.5)
    shoot_compact(app, window, out / "gui-calligrapher-1-template.png")

    # 2 scans: written by another hand, dropped in, imported
    scans = make_scans(sheets / "long-cang-template.json", find_font(args.hand), session)
    flow.add_pages(scans)
    flow.go_to(SCANS)
    base = Path(assets["base"])
    size = int(read_config(base)["model"]["image_size"])
    flow.dataset_size.setCurrentIndex(max(0, flow.dataset_size.findData(size)))
    imported: list = []
    flow.imported.connect(imported.append)
    flow.start_import()
    wait_until(app, lambda: bool(imported) or (flow.job is None and bool(shown)), what="the import")
    if not imported:
        raise SystemExit(f"import failed: {shown}")
    flow.go_to(SCANS)
    shoot_compact(app, window, out / "gui-calligrapher-2-scans.png")

    # 3 review: relabel the wrong character, drop a cell, apply
    from app.views.calligrapher import REVIEW

    flow.go_to(REVIEW)
    wait_until(app, flow.grid.has_thumbnails, what="the review grid")
    chars = list(flow.grid.cells)
    flow.drop_cell(chars[30])
    flow.relabel_cell(chars[17], WRONG_CHAR)
    flow.select_cell(chars[17])
    flow.grid.scrollToTop()
    shoot_compact(app, window, out / "gui-calligrapher-3-review.png")
    applied: list = []
    flow.review_applied.connect(applied.append)
    flow.apply_review()
    wait_until(app, lambda: bool(applied) or (flow.job is None and bool(shown)), what="the review")
    if not applied:
        raise SystemExit(f"review failed: {shown}")

    # 4 fine-tune: a few steps of the bundled style, shot once samples are in
    flow.go_to(FINETUNE)
    flow.set_base(base)
    flow.budget.setValue(args.finetune_minutes)
    flow.max_steps.setValue(args.finetune_steps)
    finished: list = []
    flow.finished.connect(finished.append)
    flow.start_finetune()
    wait_until(app, lambda: flow.last_samples is not None or flow.job is None, timeout_s=1800, what="samples")
    settle(app, 1.0)
    shoot_compact(app, window, out / "gui-calligrapher-4-finetune.png")
    wait_until(app, lambda: bool(finished) or flow.job is None, timeout_s=1800, what="the fine-tune")
    wait_until(app, lambda: flow.job is None)
    if not finished:
        raise SystemExit(f"fine-tuning failed: {shown}")
    shoot_compact(app, window, out / "gui-calligrapher-5-done.png")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="style model folder to show (default: bundled or a tiny one)")
    parser.add_argument("--steps", type=int, default=200, help="training steps of the tiny stand-in model")
    parser.add_argument("--train-steps", type=int, default=40, help="steps of the live run in the Train view")
    parser.add_argument("--only", choices=("all", "views", "calligrapher"), default="all",
                        help="views: Generate, detail, Batch, Train; calligrapher: the new-calligrapher flow")
    parser.add_argument("--hand", default="brush/LongCang-Regular.ttf",
                        help="brush font that 'writes' the synthetic scans of the calligrapher flow")
    parser.add_argument("--finetune-steps", type=int, default=60, help="steps of the flow's fine-tune")
    parser.add_argument("--finetune-minutes", type=float, default=10.0, help="its CPU budget")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "segan-screenshots",
                        help="where the stand-in model is kept between runs (reused when present)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--display", default=":99")
    parser.add_argument("--no-xvfb", action="store_true", help="use the current $DISPLAY")
    args = parser.parse_args()

    xvfb = None
    if not args.no_xvfb:
        xvfb = start_xvfb(args.display)
        os.environ["DISPLAY"] = args.display
    os.environ["QT_QPA_PLATFORM"] = "xcb"
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    session = Path(tempfile.mkdtemp(prefix="segan-screenshots-"))
    os.environ["SEGAN_STUDIO_HOME"] = str(session / "home")
    try:
        from segan_core.model.device import configure_threads

        configure_threads(1)
        run(args, work, session)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
        shutil.rmtree(session, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
