"""Shared fixtures: the test fonts (tests/fonts) and a tiny 32 px dataset built once per session.

The brush fonts the tests use are small subsets kept in the repository (tests/fonts/README.md), so the
suite runs the same on a clone with nothing beside it as on a machine with ``../shared``. Relative
style fonts (``brush/MaShanZheng-Regular.ttf`` in resources/styles.toml) are found there too:
``$SEGAN_FONT_PATH`` points at tests/fonts and ``../shared/fonts`` is left out of the search.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
TEST_FONTS = ROOT / "tests" / "fonts"
SOURCE_FONT = ROOT / "resources" / "fonts" / "ARPL-KaitiM-GB.ttf"
MA_SHAN_ZHENG = TEST_FONTS / "brush" / "MaShanZheng-Regular.ttf"
ZHI_MANG_XING = TEST_FONTS / "brush" / "ZhiMangXing-Regular.ttf"
LONG_CANG = TEST_FONTS / "brush" / "LongCang-Regular.ttf"
KOUZAN = TEST_FONTS / "brush" / "KouzanMouhitsu.ttf"

# style lookups in this process and in the CLI subprocesses the tests start
os.environ["SEGAN_FONT_PATH"] = str(TEST_FONTS)
# the glyph cache and the int8 graphs of this session (and its CLI subprocesses) stay out of the user's cache
os.environ.setdefault("SEGAN_CACHE_DIR", tempfile.mkdtemp(prefix="segan-test-cache-"))

# 48 common characters: enough for every split to be non-empty at 32 px
TINY_TEXT = "永字八法一二三人大天中国日月山水火木金土上下左右东南西北春夏秋冬风花雪书画龙凤来去田由甲申电"


def pytest_configure(config: pytest.Config) -> None:
    """Leave ../shared/fonts out of the font search, so a test cannot pass only because it is there."""
    import segan_core.resources as resources

    resources.SHARED_FONTS_DIR = ROOT / "tests" / "no-shared-fonts"


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from segan_core.data.build import BuildRequest, build_dataset
    from segan_core.jobs import run_to_end

    out = tmp_path_factory.mktemp("data") / "tiny32"
    run_to_end(
        build_dataset(BuildRequest(source=SOURCE_FONT, target=MA_SHAN_ZHENG, out=out, chars=tuple(TINY_TEXT), size=32))
    )
    return out


@pytest.fixture(scope="session")
def tiny_configs():
    """The tiny-32 preset with checkpoints and samples out of the way of short test runs."""
    import dataclasses

    from segan_core.training.presets import get_preset

    model, train = get_preset("tiny-32")
    return model, dataclasses.replace(train, checkpoint_every=1000, sample_every=1000, log_every=1)


@pytest.fixture(scope="session")
def skeleton_gan(tiny_dataset, tiny_configs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny skeleton GAN trained 3 steps on the tiny dataset, shared by the training tests."""
    from segan_core.jobs import run_to_end
    from segan_core.training.runs import RunOptions, train_skeleton_gan

    model, train = tiny_configs
    out = tmp_path_factory.mktemp("sg") / "sg"
    result = run_to_end(train_skeleton_gan([tiny_dataset], model, train, RunOptions(out=out, max_steps=3)))
    assert result.step == 3
    return out


@pytest.fixture
def style_without_model(tmp_path, monkeypatch):
    """The bundled style registry plus one style whose model was never trained (every bundled style has
    one): what a user sees for a style added to styles.toml before its model."""
    from segan_core import styles

    registry = tmp_path / "styles.toml"
    registry.write_text(
        styles.STYLES_FILE.read_text(encoding="utf-8")
        + '\n[[style]]\nid = "untrained-brush"\ndisplay_name = "Untrained Brush"\nscript = "kai-brush"\n'
        'target_font = "brush/MaShanZheng-Regular.ttf"\nlicence = "OFL-1.1"\nmodel = "untrained-brush"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(styles, "STYLES_FILE", registry)
    return styles.get_style("untrained-brush")
