"""Shared fixtures: paths to ../shared fonts and a tiny 32 px dataset built once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
SHARED_FONTS = ROOT.parent / "shared" / "fonts"
SOURCE_FONT = ROOT / "resources" / "fonts" / "ARPL-KaitiM-GB.ttf"
MA_SHAN_ZHENG = SHARED_FONTS / "brush" / "MaShanZheng-Regular.ttf"
ZHI_MANG_XING = SHARED_FONTS / "brush" / "ZhiMangXing-Regular.ttf"
KOUZAN = SHARED_FONTS / "brush" / "KouzanMouhitsu.ttf"

# 48 common characters: enough for every split to be non-empty at 32 px
TINY_TEXT = "永字八法一二三人大天中国日月山水火木金土上下左右东南西北春夏秋冬风花雪书画龙凤来去田由甲申电"


@pytest.fixture(scope="session")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from segan_core.data.build import BuildRequest, build_dataset
    from segan_core.jobs import run_to_end

    out = tmp_path_factory.mktemp("data") / "tiny32"
    run_to_end(
        build_dataset(BuildRequest(source=SOURCE_FONT, target=MA_SHAN_ZHENG, out=out, chars=tuple(TINY_TEXT), size=32))
    )
    return out
