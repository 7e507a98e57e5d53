"""--format ufo and the round trip: 50 characters exported as TTF, OTF, WOFF2 and UFO; the UFO compiled back by
ufo2ft (what fontmake runs) into TTF and OTF; every format has the same glyph set, names, advances and metrics,
and the rebuilt TTF passes the export's own checks and fontbakery."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.pens.boundsPen import BoundsPen, ControlBoundsPen
from fontTools.ttLib import TTFont

from segan_core.batch import BatchRequest, export_font
from segan_core.errors import OutputError
from segan_core.fontbuild.naming import FontNames
from segan_core.fontbuild.validate import require_valid
from segan_core.jobs import run_to_end

from .conftest import MA_SHAN_ZHENG, TINY_TEXT

ufoLib2 = pytest.importorskip("ufoLib2")
ufo2ft = pytest.importorskip("ufo2ft", reason="ufo2ft is a dev dependency (pip install -e .[dev])")
hb = pytest.importorskip("uharfbuzz", reason="uharfbuzz is a dev dependency (pip install -e .[dev])")

CHARS = TINY_TEXT + "玄黄宇宙"  # 50 Hanzi the Ma Shan Zheng test subset has


@pytest.fixture(scope="module")
def fonts(tmp_path_factory) -> dict[str, TTFont]:
    tmp = tmp_path_factory.mktemp("roundtrip")
    request = BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=tuple(CHARS), out=tmp / "Round.ttf",
                           formats=("ttf", "otf", "woff2", "ufo"), family="Segan Round Trip", cache_dir=tmp / "cache",
                           names=FontNames(family_zh="往返楷书", designer="R. Trip", vendor_id="RTRP",
                                           licence="L", licence_url="https://l.example", description="Round trip."),
                           workers=0, timestamp=1_700_000_000, font_size=64)  # fmt: skip
    result = run_to_end(export_font(request))
    assert len(CHARS) == 50 and result.report.hanzi_written == 50
    assert result.paths["ufo"].is_dir() and result.report.validation["ufo"][0].startswith("ufoLib2: ok")
    ufo = ufoLib2.Font.open(result.paths["ufo"])
    out = {fmt: TTFont(path) for fmt, path in result.paths.items() if fmt != "ufo"}
    for fmt, compile_ in (("ufo-ttf", ufo2ft.compileTTF), ("ufo-otf", ufo2ft.compileOTF)):
        path = tmp / f"FromUfo.{fmt[-3:]}"
        compile_(ufo, useProductionNames=False).save(path)
        out[fmt] = TTFont(path)
    out["ufo-ttf-path"] = tmp / "FromUfo.ttf"  # type: ignore[assignment]
    return out


def binaries(fonts) -> dict[str, TTFont]:
    return {k: v for k, v in fonts.items() if isinstance(v, TTFont)}


def test_same_glyph_set_and_cmap(fonts):
    reference = fonts["ttf"]
    for fmt, font in binaries(fonts).items():
        assert font.getGlyphOrder() == reference.getGlyphOrder(), fmt
        assert font.getBestCmap() == reference.getBestCmap(), fmt
    assert all(ord(c) in reference.getBestCmap() for c in CHARS)


def test_same_names(fonts):
    def records(font: TTFont) -> dict:
        return {(r.nameID, r.platformID, r.platEncID, r.langID): r.toUnicode() for r in font["name"].names}

    reference = records(fonts["ttf"])
    assert reference[(1, 3, 1, 0x804)] == "往返楷书" and reference[(9, 3, 1, 0x409)] == "R. Trip"
    for fmt, font in binaries(fonts).items():
        assert records(font) == reference, fmt
        assert font["OS/2"].achVendID == "RTRP", fmt


def test_same_metrics(fonts):
    """Advances and the em-box metrics are equal everywhere. Side bearings and win metrics follow each format's
    own outlines (TrueType bounds are the control box, CFF ones the exact curve extrema): each font's values must
    agree with its own glyphs."""
    reference = fonts["ttf"]
    order = reference.getGlyphOrder()
    for fmt, font in binaries(fonts).items():
        assert [font["hmtx"][n][0] for n in order] == [reference["hmtx"][n][0] for n in order], fmt
        assert [font["vmtx"][n][0] for n in order] == [reference["vmtx"][n][0] for n in order], fmt
        os2, ref = font["OS/2"], reference["OS/2"]
        for field in ("sTypoAscender", "sTypoDescender", "usWeightClass", "fsType", "fsSelection", "ulCodePageRange1"):
            assert getattr(os2, field) == getattr(ref, field), (fmt, field)
        assert vars(os2.panose) == vars(ref.panose) and font["post"].isFixedPitch == reference["post"].isFixedPitch
        hhea, vhea = font["hhea"], font["vhea"]
        assert (hhea.ascent, hhea.descent, hhea.lineGap) == (os2.sTypoAscender, os2.sTypoDescender, os2.sTypoLineGap)
        assert (vhea.ascent, vhea.descent, vhea.lineGap) == (500, -500, 0)
        assert font["head"].unitsPerEm == 1000 and font["head"].fontRevision == pytest.approx(1.0)
        ink = _consistent_with_own_outlines(font, fmt)
        assert os2.usWinAscent >= ink[3] and os2.usWinDescent >= -ink[1], fmt
        assert os2.sTypoAscender + os2.sTypoLineGap - os2.sTypoDescender >= ink[3] - ink[1], fmt
    # the UFO keeps exactly what the OTF it was made from says (its win metrics also cover the control points)
    for field in ("sTypoLineGap", "sxHeight", "sCapHeight"):
        assert getattr(fonts["ufo-otf"]["OS/2"], field) == getattr(fonts["otf"]["OS/2"], field), field


def _consistent_with_own_outlines(font: TTFont, fmt: str) -> tuple[float, float, float, float]:
    """Check each side bearing against the glyph's bounds (between the exact and the control box, 1 unit of
    rounding); return the exact ink box of the whole font."""
    glyphs = font.getGlyphSet()
    boxes = []
    for name in font.getGlyphOrder():
        exact, control = BoundsPen(glyphs), ControlBoundsPen(glyphs)
        glyphs[name].draw(exact)
        glyphs[name].draw(control)
        if exact.bounds is None:
            continue
        boxes.append(exact.bounds)
        lsb, tsb = font["hmtx"][name][1], font["vmtx"][name][1]
        assert control.bounds[0] - 1 <= lsb <= exact.bounds[0] + 1, (fmt, name, lsb)
        assert 880 - control.bounds[3] - 1 <= tsb <= 880 - exact.bounds[3] + 1, (fmt, name, tsb)
    return (min(b[0] for b in boxes), min(b[1] for b in boxes), max(b[2] for b in boxes), max(b[3] for b in boxes))


def test_vert_feature_survives_the_ufo(fonts):
    font = fonts["ufo-ttf"]
    buf_font = io.BytesIO()
    font.save(buf_font)
    shaper = hb.Font(hb.Face(buf_font.getvalue()))
    buf = hb.Buffer()
    buf.add_str("天，地。「玄」")
    buf.guess_segment_properties()
    buf.direction = "ttb"
    hb.shape(shaper, buf, {})
    names = [shaper.glyph_to_string(i.codepoint) for i in buf.glyph_infos]
    assert [n.endswith(".vert") for n in names] == [False, True, False, True, True, False, True]
    assert "prep" in font and font["prep"].program.getBytecode() == fonts["ttf"]["prep"].program.getBytecode()


def test_rebuilt_font_passes_the_export_checks(fonts):
    path: Path = fonts["ufo-ttf-path"]  # type: ignore[assignment]
    checks = require_valid(path, list(CHARS[:8]))
    assert all(c.ok for c in checks)


@pytest.mark.slow
def test_rebuilt_font_passes_fontbakery(fonts, tmp_path):
    pytest.importorskip("fontbakery")
    from .test_font_qa import BAD, fontbakery

    results = fontbakery(fonts["ufo-ttf-path"], tmp_path, vendor="RTRP")
    assert len(results) > 100
    assert {check: res for check, res in results.items() if res[0] in BAD} == {}


def test_ufo_folder_ownership(tmp_path):
    def request(**kw) -> BatchRequest:
        values = dict(source=f"font:{MA_SHAN_ZHENG}", chars=tuple("永字"), out=tmp_path / "out" / "Own.ufo",
                      formats=("ufo",), cache_dir=tmp_path / "cache", workers=0, fallback_glyphs=False, font_size=64)
        values.update(kw)  # fmt: skip
        return BatchRequest(**values)

    first = run_to_end(export_font(request()))
    ufo = first.paths["ufo"]
    assert (ufo / "fontinfo.plist").is_file() and not (ufo / "features.fea").exists()  # no punctuation: no vert
    again = run_to_end(export_font(request(chars=tuple("永字八"))))  # a previous export is replaced
    assert "uni516B" in ufoLib2.Font.open(again.paths["ufo"])
    assert sorted(p.name for p in ufo.parent.iterdir()) == ["Own.report.json", "Own.report.txt", "Own.ufo"]
    foreign = tmp_path / "mine" / "Mine.ufo"
    foreign.mkdir(parents=True)
    (foreign / "keep.txt").write_text("a user's folder")
    with pytest.raises(OutputError, match="not a previous output"):
        run_to_end(export_font(request(out=foreign)))
    assert (foreign / "keep.txt").read_text() == "a user's folder"
    (tmp_path / "file.ufo").write_text("not a folder")
    with pytest.raises(OutputError, match="is a file, not a UFO folder"):
        run_to_end(export_font(request(out=tmp_path / "file.ufo", overwrite=True)))
