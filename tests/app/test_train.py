"""Train view: a few steps of the tiny model from a folder of images, live losses, stop/resume, errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from segan_core.glyphs.render import FontRenderer, to_paper

CHARS = "永字八法天地玄黄宇宙洪荒日月盈昃"


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, brush_font) -> Path:
    """Per-character images <char>.png (dark ink on white), as a scan import would give."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("images")
    renderer = FontRenderer(brush_font)
    for char in CHARS:
        Image.fromarray(to_paper(renderer.render(char, 64))).save(folder / f"{char}.png")
    return folder


def _prepare(view, image_folder: Path, skeleton_gan: Path, steps: int, name: str = "my-brush") -> None:
    view.skeleton.setText(str(skeleton_gan))  # a 32 px skeleton GAN: the tiny preset is offered
    view.base.setCurrentIndex(view.base.findData("preset:tiny-32"))
    view.name.setText(name)
    view.images.setText(str(image_folder))
    view.by_steps.setChecked(True)
    view.steps.setValue(steps)


def test_train_runs_plots_losses_and_adds_the_style(qtbot, window, image_folder, tiny_models, errors):
    view = window.train
    _prepare(view, image_folder, tiny_models["skeleton_gan"], steps=3)
    with qtbot.waitSignal(view.finished, timeout=60000) as blocker:
        assert view.start()
    result = blocker.args[0]
    assert result.step == 3 and result.reason == "max_steps"
    assert view.plot.point_count() > 0 and view.plot.curves
    assert view.samples.pixmap() is not None and not view.samples.pixmap().isNull()
    assert errors == []
    key = f"dir:{Path(result.out).resolve()}"
    assert window.context.entry(key) is not None
    picker_keys = [window.generate.picker.item(i).data(256) for i in range(window.generate.picker.count())]
    assert key in picker_keys
    # a second Start on the same name is refused (Resume is the way), Resume continues to more steps
    qtbot.waitUntil(lambda: view.resume_button.isEnabled(), timeout=10000)
    assert not view.start()
    assert "Resume" in errors[-1][1]
    view.steps.setValue(5)
    with qtbot.waitSignal(view.finished, timeout=60000) as blocker:
        assert view.start(resume=True)
    assert blocker.args[0].step == 5


def test_stop_cancels_training(qtbot, window, image_folder, tiny_models, errors):
    view = window.train
    _prepare(view, image_folder, tiny_models["skeleton_gan"], steps=100000, name="stopped")
    with qtbot.waitSignal(view.stopped, timeout=60000):
        assert view.start()
        qtbot.waitUntil(lambda: view.plot.point_count() > 0, timeout=60000)
        view.stop()
    assert errors == []
    qtbot.waitUntil(lambda: view.start_button.isEnabled(), timeout=10000)
    assert view.can_resume()


def test_train_input_errors(qtbot, window, tmp_path, tiny_models, errors):
    view = window.train
    view.base.setCurrentIndex(view.base.findData("preset:tiny-32"))
    view.name.setText("x")
    view.images.setText(str(tmp_path / "nope"))
    view.skeleton.setText(str(tiny_models["skeleton_gan"]))
    assert not view.start()
    assert "not found" in errors[-1][1]
    empty = tmp_path / "empty"
    empty.mkdir()
    view.images.setText(str(empty))
    view.skeleton.setText(str(tmp_path))
    assert not view.start()
    assert "skeleton GAN" in errors[-1][1]
    # a folder without <char>.png images fails inside the job: reported, and the view is usable again
    view.skeleton.setText(str(tiny_models["skeleton_gan"]))
    assert view.start()
    qtbot.waitUntil(lambda: view.job is None, timeout=30000)
    assert "no <char>.png images" in errors[-1][1]
    assert view.start_button.isEnabled()


def test_only_presets_the_skeleton_gan_can_run_are_offered(qtbot, window, tiny_models):
    """Issue 31, fault 6: the tiny-32 preset was offered with the bundled 64 px skeleton GAN and failed at Start."""
    from segan_core.resources import model_dir

    view = window.train
    view.skeleton.setText(str(model_dir("skeleton-gan")))
    presets = [view.base.itemData(i) for i in range(view.base.count()) if view.base.itemData(i).startswith("preset:")]
    assert presets == ["preset:cpu-64"]
    view.skeleton.setText(str(tiny_models["skeleton_gan"]))
    presets = [view.base.itemData(i) for i in range(view.base.count()) if view.base.itemData(i).startswith("preset:")]
    assert presets == ["preset:tiny-32"]
