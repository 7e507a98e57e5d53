"""Font QA: fontbakery's universal profile on a small export of each format finds no FAIL or ERROR beyond the
documented allow-list (docs/fonts.md, "Font QA"). WOFF2, which fontbakery does not open, must hold exactly
the TrueType font's tables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from segan_core.batch import BatchRequest, export_font
from segan_core.fontbuild.naming import FontNames
from segan_core.jobs import run_to_end

from .conftest import MA_SHAN_ZHENG

pytest.importorskip("fontbakery", reason="fontbakery is a dev dependency (pip install -e .[dev])")

TEXT = "永字八法天地玄黄"  # 8 Hanzi, plus the fallback Latin and punctuation
VENDOR = "SGTS"
# check id -> (format, status, why): results fontbakery 1.1.0 gives that are not a fault of the font
ALLOWED = {
    # fontbakery 1.1.0 reads glyf to list width outliers of a monospaced font, which a CFF font has not
    "opentype/monospace": ("otf", "ERROR", "KeyError: 'glyf' inside fontbakery on CFF fonts"),
}
BAD = ("FAIL", "ERROR", "FATAL")


@pytest.fixture(scope="module")
def fonts(tmp_path_factory) -> dict[str, Path]:
    tmp = tmp_path_factory.mktemp("qa")
    request = BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=tuple(TEXT), out=tmp / "QA.ttf",
                           formats=("ttf", "otf", "woff2"), family="Segan QA", cache_dir=tmp / "cache", workers=0,
                           names=FontNames(vendor_id=VENDOR, family_zh="质检楷书", designer="QA"),
                           timestamp=1_700_000_000, font_size=64)  # fmt: skip
    return run_to_end(export_font(request)).paths


def fontbakery(path: Path, tmp: Path, vendor: str = VENDOR) -> dict[str, tuple[str, list[str]]]:
    """check id -> (result, [messages of FAIL/WARN/ERROR status]) of the universal profile, offline."""
    config = tmp / "fontbakery.yaml"
    config.write_text(f"vendor_id: {vendor}\n", encoding="utf-8")  # turns on the vendor ID check
    report = tmp / f"{path.suffix[1:]}.json"
    subprocess.run([sys.executable, "-m", "fontbakery", "check-universal", "--skip-network", "--no-progress",
                    "--configuration", str(config), "--json", str(report), str(path)],
                   capture_output=True, timeout=600, check=False)  # fmt: skip
    results = {}
    for section in json.loads(report.read_text(encoding="utf-8"))["sections"]:
        for check in section["checks"]:
            check_id = check["key"][1].removeprefix("<FontBakeryCheck:").removesuffix(">")
            messages = [f"{log['status']} {log['message']['code']}" for log in check.get("logs", [])
                        if log["status"] in ("WARN", *BAD)]  # fmt: skip
            results[check_id] = (check["result"], messages)
    return results


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["ttf", "otf"])
def test_fontbakery_universal_finds_no_fail(fonts, fmt, tmp_path):
    results = fontbakery(fonts[fmt], tmp_path)
    assert len(results) > 100, "the universal profile ran"
    bad = {check: res for check, res in results.items()
           if res[0] in BAD and ALLOWED.get(check, ())[:2] != (fmt, res[0])}  # fmt: skip
    assert bad == {}
    # the checks that failed before this was fixed now pass
    for check in ("no_mac_entries", "os2_metrics_match_hhea", "whitespace_glyphs", "opentype/vendor_id"):
        assert results[check][0] == "PASS", (check, results[check])
    if fmt == "ttf":
        assert results["smart_dropout"][0] == "PASS" and results["opentype/monospace"][0] == "WARN"


def test_woff2_holds_the_truetype_tables(fonts):
    ttf, woff2 = TTFont(fonts["ttf"]), TTFont(fonts["woff2"])
    assert woff2.flavor == "woff2" and sorted(ttf.keys()) == sorted(woff2.keys())
    for tag in ttf.keys():
        if tag not in ("GlyphOrder", "head", "loca"):  # WOFF2 rebuilds loca; head.flags bit 11 marks the transform
            assert ttf.getTableData(tag) == woff2.getTableData(tag), tag


def test_qa_fixes_in_the_tables(fonts):
    font = TTFont(fonts["ttf"])
    cmap = font.getBestCmap()
    assert cmap[0x20] == cmap[0xA0] and font["hmtx"][cmap[0x20]][0] == 500
    os2, hhea = font["OS/2"], font["hhea"]
    assert (hhea.ascent, hhea.descent, hhea.lineGap) == (os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap)
    assert os2.usWinAscent >= font["head"].yMax and os2.usWinDescent >= -font["head"].yMin
    assert (os2.panose.bFamilyType, os2.panose.bProportion) == (2, 9) and font["post"].isFixedPitch
    assert b"\xb8\x01\xff\x85\xb0\x04\x8d" in font["prep"].program.getBytecode()
    assert all(record.platformID == 3 for record in font["name"].names)
