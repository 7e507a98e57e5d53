"""The Generate view with a style that has a second stage: the before/after switch (issue 20)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .test_generate import _type


def add_upscaler(style: Path) -> None:
    """An untrained (bicubic-contour) upscaler for the tiny 32 px style: enough to see 128 px glyphs."""
    from segan_core.config import to_dict
    from segan_core.model.checkpoint import WEIGHTS_FILE, save_tensors_atomic, write_config
    from segan_core.model.upscaler import UPSCALER_KIND, Upscaler, UpscalerConfig
    from segan_core.upscale.stage import UPSCALER_DIR

    config = UpscalerConfig(image_size=32, channels=8, blocks=1)
    folder = style / UPSCALER_DIR
    folder.mkdir()
    tensors = {f"upscaler.{k}": v for k, v in Upscaler(config).state_dict().items()}
    save_tensors_atomic(folder / WEIGHTS_FILE, tensors)
    write_config(folder, UPSCALER_KIND, {"model": to_dict(config)})


@pytest.fixture
def upscaled_window(qtbot, window, tiny_models, tmp_path):
    style = tmp_path / "tiny-upscaled"
    shutil.copytree(tiny_models["style"], style)
    add_upscaler(style)
    with qtbot.waitSignal(window.generate.model_ready, timeout=20000):
        assert window.generate.open_model(style)
    return window


def test_the_switch_shows_the_second_stage_or_the_generator(qtbot, upscaled_window, errors):
    view = upscaled_window.generate
    assert view.stage is not None and view.upscaled_switch.isEnabled() and view.upscaled_switch.isChecked()
    assert "→ 128 px" in view.model_label.text()
    _type(qtbot, view, "永字")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["永", "字"], timeout=20000)
    # the grid shows the generator's glyphs first, then the second stage's (issue 29)
    qtbot.waitUntil(lambda: all(c in view.cache and view.cache[c].upscaled is not None for c in "永字"), timeout=20000)
    result = view.cache["字"]
    assert result.generated.shape == (32, 32) and result.upscaled.shape == (128, 128)
    view.grid.setCurrentItem(view.grid.item_for("字"))
    view.show_detail("字")
    generated = view.detail.glyph_panels["generated"]
    assert generated.picture.shape[:2] == (128, 128) and "256 px second stage" in view.detail.caption.text()
    view.upscaled_switch.setChecked(False)  # before: the generator's own glyph, nothing generated again
    assert generated.picture.shape[:2] == (32, 32) and "second stage off" in view.detail.caption.text()
    assert view.cache["字"] is result
    view.upscaled_switch.setChecked(True)
    assert generated.picture.shape[:2] == (128, 128)
    assert errors == []


def test_a_style_without_a_second_stage_has_the_switch_off(qtbot, window):
    view = window.generate
    assert view.stage is None and not view.upscaled_switch.isEnabled()
    assert not view.upscaled_switch.isChecked()  # issue 31: never checked-but-disabled
    _type(qtbot, view, "永")
    qtbot.waitUntil(lambda: view.grid.ready_chars() == ["永"], timeout=20000)
    assert view.cache["永"].upscaled is None
