"""The suite needs nothing beside the clone: its brush fonts are small subsets kept in tests/fonts."""

from __future__ import annotations

import re

from segan_core.glyphs.render import FontRenderer
from segan_core.resources import find_font
from segan_core.styles import load_styles

from .conftest import KOUZAN, MA_SHAN_ZHENG, ROOT, TEST_FONTS, TINY_TEXT, ZHI_MANG_XING


def test_every_style_font_resolves_to_a_small_subset_with_its_licence():
    for style in load_styles():
        path = find_font(style.target_font)
        assert path.parent == TEST_FONTS / "brush", (style.id, path)
        assert path.stat().st_size < 256 * 1024, path
        assert path.with_suffix(".LICENSE.txt").is_file(), path
        chars = "".join(path.with_suffix(".chars.txt").read_text(encoding="utf-8").split())
        assert FontRenderer(path).check("永") is None and "永" in chars


def test_subsets_hold_what_the_fixtures_render():
    for font, text in ((MA_SHAN_ZHENG, TINY_TEXT), (ZHI_MANG_XING, "永"), (KOUZAN, "永")):
        renderer = FontRenderer(font)
        assert [c for c in text if renderer.check(c) is not None] == []


def test_no_test_or_benchmark_names_an_absolute_path_of_one_machine():
    machine = re.compile("/(" + "|".join(["work", "home", "root", "Users"]) + r")/\w")
    found = []
    for folder in ("tests", "bench", ".ci", "packaging"):
        for path in (ROOT / folder).rglob("*"):
            if path.is_file() and path.suffix in {".py", ".sh", ".toml", ".md", ""}:
                text = path.read_text(encoding="utf-8", errors="replace")
                found += [f"{path.relative_to(ROOT)}: {m.group(0)}" for m in machine.finditer(text)]
    assert found == []
