"""Fixtures for the GUI tests: a tiny trained model (built once per session) and an isolated app home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ..conftest import MA_SHAN_ZHENG

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

TRAIN_TEXT = "永字八法天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往秋收冬藏闰余成岁律吕调阳云腾致雨露结为霜金生"


@pytest.fixture(scope="session")
def brush_font() -> Path:
    """Ma Shan Zheng: the repository's subset (tests/fonts), never a machine's own copy."""
    return MA_SHAN_ZHENG


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory, brush_font) -> dict[str, Path]:
    """A 32 px dataset, a skeleton GAN and a style model, each trained for 2 steps (tiny-32)."""
    import dataclasses

    from segan_core.data.build import BuildRequest, build_dataset
    from segan_core.jobs import run_to_end
    from segan_core.resources import SOURCE_FONT
    from segan_core.training.presets import get_preset
    from segan_core.training.runs import RunOptions, train_skeleton_gan, train_style

    root = tmp_path_factory.mktemp("tiny")
    data, sg, style = root / "data", root / "skeleton-gan", root / "tiny-style"
    chars = tuple(dict.fromkeys(TRAIN_TEXT))
    run_to_end(build_dataset(BuildRequest(source=SOURCE_FONT, out=data, chars=chars, size=32, target=brush_font)))
    model, train = get_preset("tiny-32")
    train = dataclasses.replace(train, num_threads=1)
    run_to_end(train_skeleton_gan([data], model, train, RunOptions(out=sg, max_steps=2)))
    run_to_end(train_style(data, sg, model, train, RunOptions(out=style, max_steps=2)))
    return {"data": data, "skeleton_gan": sg, "style": style}


@pytest.fixture
def app_home(tmp_path, monkeypatch) -> Path:
    """A fresh per-test data folder (settings, user models, log) for the application."""
    home = tmp_path / "home"
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(home))
    return home


@pytest.fixture
def errors(monkeypatch) -> list[tuple[str, str]]:
    """Error dialogs shown during the test, captured instead of blocking: (title, message)."""
    from app.errors import ErrorBox

    shown: list[tuple[str, str]] = []

    def fake_exec(box: ErrorBox) -> int:
        shown.append((box.windowTitle(), box.text()))
        return 0

    monkeypatch.setattr(ErrorBox, "exec", fake_exec)
    return shown


@pytest.fixture
def window(qtbot, app_home, errors, tiny_models):
    """The main window with the tiny model opened in the Generate view."""
    from app.main_window import MainWindow
    from app.settings import Settings

    Settings().last_text = ""  # an empty box: the tests type their own characters (not the first-launch text)
    win = MainWindow()
    win.context.settings.threads = 1  # a busy shared CPU: one torch thread is quicker
    from segan_core.model.device import configure_threads

    configure_threads(1)
    qtbot.addWidget(win)
    win.show()
    with qtbot.waitSignal(win.generate.model_ready, timeout=20000):
        assert win.generate.open_model(tiny_models["style"])
    yield win
    win.context.runner.shutdown()
