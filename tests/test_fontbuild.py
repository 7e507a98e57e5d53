"""Font assembly: tables, directions, naming, fallback glyphs, determinism and the four validity checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from fontTools.pens.areaPen import AreaPen
from fontTools.ttLib import TTFont

from segan_core.fontbuild import FontInfo, FontValidationError, GlyphRecord, build_font, glyph_name, save_font
from segan_core.fontbuild.fallback import FallbackFont, fallback_codepoints
from segan_core.fontbuild.validate import check_ots, require_valid, validate_font
from segan_core.glyphs.render import FontRenderer
from segan_core.vectorize import trace_glyph

from .conftest import MA_SHAN_ZHENG

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FONT = ROOT / "resources" / "fonts" / "ARPL-KaitiM-GB.ttf"
CHARS = "永字八法国"


@pytest.fixture(scope="module")
def records() -> list[GlyphRecord]:
    renderer = FontRenderer(MA_SHAN_ZHENG)
    out = []
    for char in CHARS:
        traced = trace_glyph(renderer.render(char, 64))
        out.append(GlyphRecord(glyph_name(ord(char)), (ord(char),), 1000, traced.quadratic, traced.cubic))
    return out


def make_info(**kw) -> FontInfo:
    values = dict(family="Segan Test 测试", copyright="(c) test", licence="test licence",
                  licence_url="https://example.org/licence", source_identity="font-test", timestamp=1_700_000_000)
    values.update(kw)  # fmt: skip
    return FontInfo(**values)


@pytest.fixture(scope="module")
def fonts(records, tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("fonts")
    fallback = FallbackFont(SOURCE_FONT)
    paths = {}
    for fmt in ("ttf", "otf"):
        font = build_font(make_info(), [*records, *fallback.records(fallback_codepoints())], fmt)
        paths[fmt] = folder / f"test.{fmt}"
        save_font(font, paths[fmt])
        if fmt == "ttf":
            paths["woff2"] = folder / "test.woff2"
            save_font(font, paths["woff2"], "woff2")
    return paths


def test_tables_metrics_and_naming(fonts):
    font = TTFont(fonts["ttf"])
    assert font.getGlyphOrder()[0] == ".notdef"
    assert font["head"].unitsPerEm == 1000
    cmap = font.getBestCmap()
    for char in CHARS + "\u3000A，。":
        assert ord(char) in cmap, char
    assert font["hmtx"][cmap[ord("永")]][0] == 1000 and font["hmtx"]["uni3000"][0] == 1000
    assert any(t.format == 4 for t in font["cmap"].tables)
    os2 = font["OS/2"]
    assert os2.ulCodePageRange1 & (1 << 18), "GB2312 code page bit"
    assert os2.sTypoAscender == 880 and os2.sTypoDescender == -120
    assert os2.usWinAscent >= font["head"].yMax and os2.usWinDescent >= -font["head"].yMin
    assert {"vhea", "vmtx", "gasp", "glyf", "post"} <= set(font.keys())
    assert font["vmtx"][cmap[ord("永")]][0] == 1000
    name = font["name"]
    assert name.getDebugName(1) == "Segan Test 测试"
    assert name.getDebugName(6).isascii() and " " not in name.getDebugName(6)
    assert name.getDebugName(13) == "test licence" and name.getDebugName(14)
    assert name.getDebugName(3) and name.getDebugName(5).startswith("Version 1.000")
    otf = TTFont(fonts["otf"])
    assert "CFF " in otf and "VORG" in otf and "glyf" not in otf
    assert otf["CFF "].cff.fontNames[0] == name.getDebugName(6)


def test_outline_directions_per_format(fonts):
    def outer_area(path: Path, char: str) -> float:
        font = TTFont(path)
        pen = AreaPen(font.getGlyphSet())
        font.getGlyphSet()[font.getBestCmap()[ord(char)]].draw(pen)
        return pen.value

    # TrueType: outer contours clockwise (negative area); CFF: counter-clockwise (positive)
    for char in ("国", "A", "。"):
        assert outer_area(fonts["ttf"], char) < 0, char
        assert outer_area(fonts["otf"], char) > 0, char


def test_format_12_only_beyond_the_bmp(records, tmp_path):
    extra = GlyphRecord(glyph_name(0x20000), (0x20000,), 1000, records[0].quadratic, records[0].cubic)
    font = build_font(make_info(), [*records, extra], "ttf")
    save_font(font, tmp_path / "wide.ttf")
    formats = {t.format for t in TTFont(tmp_path / "wide.ttf")["cmap"].tables}
    assert formats >= {4, 12}
    narrow = build_font(make_info(), records, "ttf")
    assert {t.format for t in narrow["cmap"].tables} == {4}
    assert "A" not in {chr(c) for c in narrow.getBestCmap()}  # no fallback glyphs when none given


def test_builds_are_deterministic(records, tmp_path):
    for fmt in ("ttf", "otf"):
        a, b = tmp_path / f"a.{fmt}", tmp_path / f"b.{fmt}"
        save_font(build_font(make_info(), records, fmt), a)
        save_font(build_font(make_info(), records, fmt), b)
        assert a.read_bytes() == b.read_bytes()
    stamped = TTFont(tmp_path / "a.ttf")["head"]
    assert stamped.created == stamped.modified == 1_700_000_000 + 2082844800


@pytest.mark.parametrize("fmt", ["ttf", "otf", "woff2"])
def test_ots_fonttools_and_freetype_accept_every_format(fonts, fmt):
    checks = validate_font(fonts[fmt], CHARS + "A")
    assert [c.name for c in checks] == ["ots", "fonttools", "freetype"]
    assert all(c.ok for c in checks), [str(c) for c in checks]


def test_freetype_renders_the_built_glyph_like_the_source(fonts):
    built = FontRenderer(fonts["ttf"]).render("永", 64) >= 128
    source = FontRenderer(MA_SHAN_ZHENG).render("永", 64) >= 128
    assert (built & source).sum() / (built | source).sum() > 0.9


def test_damaged_font_fails_validation(fonts, tmp_path):
    broken = tmp_path / "broken.ttf"
    broken.write_bytes(fonts["ttf"].read_bytes()[:5000])
    assert not check_ots(broken).ok
    with pytest.raises(FontValidationError, match=r"broken\.ttf failed validation: ots"):
        require_valid(broken, CHARS)


def test_font_info_rejects_bad_names():
    with pytest.raises(ValueError):
        FontInfo(family="  ")
    with pytest.raises(ValueError):
        FontInfo(family="X", version="one")
    assert FontInfo(family="书法").ps_name.startswith("Segan")


QT_SCRIPT = """
import sys
from PySide6.QtGui import QFontDatabase, QGuiApplication
app = QGuiApplication(sys.argv[:1])
for path in sys.argv[1:]:
    font_id = QFontDatabase.addApplicationFont(path)
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    print(path, font_id, "|".join(families), sep="\t")
"""


def test_qt_loads_every_format(fonts):
    pytest.importorskip("PySide6")
    # a child process: a QGuiApplication here would clash with the QApplication of the GUI tests
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"}
    paths = [str(fonts[f]) for f in ("ttf", "otf", "woff2")]
    done = subprocess.run([sys.executable, "-c", QT_SCRIPT, *paths], capture_output=True, text=True, env=env,
                          timeout=120, check=True)  # fmt: skip
    lines = [line.split("\t") for line in done.stdout.strip().splitlines()]
    assert len(lines) == 3
    for path, font_id, families in lines:
        assert int(font_id) >= 0, f"Qt refused {path}: {done.stderr[-300:]}"
        assert "Segan Test 测试" in families.split("|"), (path, families)
    assert np.all([int(f) >= 0 for _, f, _ in lines])
