"""Screenshots of the real window for docs/img: Generate, the detail panel, Batch & export, Train, the calligrapher.

    .venv/bin/python packaging/screenshots.py [--model DIR] [--steps 300] [--out docs/img]

Starts an Xvfb on a free display (unless ``--no-xvfb``), runs the application on it (Qt's xcb platform, so real
X11 fonts and rendering) in a throw-away data folder, drives each view and saves gui-generate.png,
gui-detail.png, gui-batch.png and gui-train.png, then walks the new calligrapher's whole path with
:mod:`app.walk` (``--only calligrapher`` for just that; the same walk tests/app/test_walk_xvfb.py runs): the
core300 template, four synthetic scans of it written by ``--hand`` dropped on the Generate view, the import, the
review with multi-select, a short fine-tune of the bundled style (``--finetune-steps``), the verdict, the export
and its preview, saving gui-calligrapher-1-template.png ... gui-calligrapher-6-export.png.

The style model is ``models/ma-shan-zheng`` when it exists; otherwise a tiny-32 model is trained
here for ``--steps`` steps on 120 characters of Ma Shan Zheng (about a minute or two on CPU): its
glyphs are rough, but every panel shows real output of the pipeline.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from app.walk import Walk, WalkFailed, never_block, settle, shoot, start_xvfb, stop_xvfb, wait_until  # noqa: E402

TRAIN_TEXT = (
    "永字八法天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生丽水"
    "玉出昆冈剑号巨阙珠称夜光果珍李柰菜重芥姜海咸河淡鳞潜羽翔龙师火帝鸟官人皇始制文字乃服衣裳推位让国"
    "有虞陶唐吊民伐罪周发殷汤坐朝问道垂拱平章爱育黎首臣伏戎羌遐迩一体率宾归王"
)
GENERATE_TEXT = "永字八法 天地玄黄 书法 Hello!"
BRUSH = "brush/MaShanZheng-Regular.ttf"


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


def run(args: argparse.Namespace, work: Path, session: Path) -> None:
    from PySide6.QtWidgets import QApplication

    assets = prepare_model(work, args.steps)
    if args.model is not None:
        assets["style"] = args.model
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("Segan Studio")
    from app.main_window import MainWindow

    shown: list[str] = []
    never_block(shown)
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


def run_calligrapher(app, window, assets: dict[str, Path], args: argparse.Namespace, session: Path,
                     shown: list[str]) -> None:
    """The new calligrapher's whole path, one screenshot per step (:class:`app.walk.Walk`)."""
    from segan_core.resources import find_font

    walk = Walk(app, window, args.out, session / "walk", find_font(args.hand), assets["base"], args.finetune_steps,
                args.finetune_minutes, shown)
    try:
        walk.run()
    except WalkFailed as exc:
        raise SystemExit(f"the calligrapher walk failed: {exc}") from None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", type=Path, help="style model folder to show (default: bundled or a tiny one)")
    parser.add_argument("--steps", type=int, default=200, help="training steps of the tiny stand-in model")
    parser.add_argument("--train-steps", type=int, default=40, help="steps of the live run in the Train view")
    parser.add_argument("--only", choices=("all", "views", "calligrapher"), default="all",
                        help="views: Generate, detail, Batch, Train; calligrapher: the new-calligrapher flow")
    parser.add_argument("--hand", default="brush/LongCang-Regular.ttf",
                        help="brush font that 'writes' the synthetic scans of the calligrapher flow")
    parser.add_argument("--finetune-steps", type=int, default=2, help="steps of the flow's fine-tune")
    parser.add_argument("--finetune-minutes", type=float, default=10.0, help="its CPU budget")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "segan-screenshots",
                        help="where the stand-in model is kept between runs (reused when present)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--no-xvfb", action="store_true", help="use the current $DISPLAY")
    args = parser.parse_args()

    xvfb = None
    if not args.no_xvfb:
        xvfb, display = start_xvfb()
        os.environ["DISPLAY"] = display
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
            stop_xvfb(xvfb)
        shutil.rmtree(session, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
