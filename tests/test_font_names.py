"""Font names: the user's fields (CLI and request) in Windows English and zh-CN records, the vendor ID check,
honest defaults, and the description saying what made the font."""

from __future__ import annotations

import pytest
from fontTools.ttLib import TTFont

from segan_core import __version__
from segan_core.batch import BatchRequest, export_font
from segan_core.cli import main as cli_main
from segan_core.errors import OutputError
from segan_core.fontbuild.naming import DEFAULT_VENDOR_ID, ZH_CN, FontNames, check_vendor_id
from segan_core.jobs import run_to_end

from .conftest import MA_SHAN_ZHENG

TEXT = "永字八法天地玄黄"
NAMES = FontNames(designer="Wang Xi", designer_url="https://example.org/wang", vendor_id="WXZ ",
                  copyright="Copyright 2026 Wang Xi", licence="SIL Open Font License 1.1",
                  licence_url="https://openfontlicense.org", description="A test brush font.",
                  family_zh="测试行书")  # fmt: skip


def export(tmp_path, names: FontNames = NAMES, **kw):
    values = dict(source=f"font:{MA_SHAN_ZHENG}", chars=tuple(TEXT), out=tmp_path / "out" / "Names.ttf",
                  formats=("ttf", "otf"), family="Segan Names", names=names, cache_dir=tmp_path / "cache",
                  workers=0, timestamp=1_700_000_000, font_size=64)
    values.update(kw)  # fmt: skip
    return run_to_end(export_font(BatchRequest(**values)))


def records(font: TTFont) -> dict[tuple[int, int, int], str]:
    return {(r.nameID, r.platformID, r.langID): r.toUnicode() for r in font["name"].names}


def test_user_names_in_english_and_simplified_chinese_records(tmp_path):
    result = export(tmp_path)
    for fmt in ("ttf", "otf"):
        font = TTFont(result.paths[fmt])
        names = records(font)
        assert {platform for _, platform, _ in names} == {3}, "Windows records only (no Mac, no Unicode+ltag)"
        assert "ltag" not in font
        assert names[(1, 3, 0x409)] == "Segan Names" and names[(1, 3, ZH_CN)] == "测试行书"
        assert names[(4, 3, ZH_CN)] == "测试行书" and names[(2, 3, ZH_CN)] == "Regular"
        assert names[(9, 3, 0x409)] == "Wang Xi" and names[(12, 3, 0x409)] == "https://example.org/wang"
        assert names[(0, 3, 0x409)].startswith("Copyright 2026 Wang Xi") and "Arphic" in names[(0, 3, 0x409)]
        assert names[(13, 3, 0x409)].startswith("SIL Open Font License 1.1\n") and "Arphic" in names[(13, 3, 0x409)]
        assert names[(14, 3, 0x409)] == "https://openfontlicense.org"
        description = names[(10, 3, 0x409)]
        assert description.startswith("A test brush font.\n")
        assert f"Segan Studio {__version__}" in description and "Ma Shan Zheng" in description
        assert result.report.source.identity in description
        assert font["OS/2"].achVendID == "WXZ " and ";WXZ;" in names[(3, 3, 0x409)]


def test_honest_defaults(tmp_path):
    result = export(tmp_path, names=FontNames(), formats=("ttf",), fallback_glyphs=False)
    font = TTFont(result.paths["ttf"])
    names = records(font)
    assert font["OS/2"].achVendID == DEFAULT_VENDOR_ID == "NONE"
    assert not any(lang == ZH_CN for _, _, lang in names), "no Chinese records without a Chinese name"
    assert (9, 3, 0x409) not in names and (12, 3, 0x409) not in names and (13, 3, 0x409) not in names
    assert "Segan Studio" in names[(0, 3, 0x409)] and "Made with Segan Studio" in names[(10, 3, 0x409)]


@pytest.mark.parametrize("bad", ["ABC", "ABCDE", "", "ＡＢＣＤ", "AB\tC"])
def test_vendor_id_must_be_four_printable_ascii_characters(bad):
    with pytest.raises(ValueError, match="exactly 4 printable ASCII"):
        check_vendor_id(bad)
    with pytest.raises(ValueError, match="vendor ID"):
        FontNames(vendor_id=bad)


def test_bad_names_refused_before_any_work(tmp_path, capsys):
    bad = FontNames()
    object.__setattr__(bad, "vendor_id", "ABC")  # a request built around the FontNames check
    with pytest.raises(OutputError, match="vendor ID"):
        run_to_end(export_font(BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=tuple(TEXT),
                                            out=tmp_path / "x.ttf", names=bad)))
    code = cli_main(["batch", "--style", f"font:{MA_SHAN_ZHENG}", "--text", TEXT, "--out", str(tmp_path / "a.ttf"),
                     "--vendor-id", "ABC", "--workers", "0"])
    assert code == 2
    err = capsys.readouterr().err
    assert "vendor ID must be exactly 4 printable ASCII characters" in err and "'ABC'" in err
    assert "Traceback" not in err and not (tmp_path / "a.ttf").exists()
    code = cli_main(["batch", "--style", f"font:{MA_SHAN_ZHENG}", "--text", TEXT, "--out", str(tmp_path / "a.ttf"),
                     "--family-zh", "坏\x07名", "--workers", "0"])
    assert code == 2 and "U+0007" in capsys.readouterr().err


def test_cli_name_flags(tmp_path, capsys):
    out = tmp_path / "cli" / "Cli.ttf"
    code = cli_main(["batch", "--style", f"font:{MA_SHAN_ZHENG}", "--text", TEXT, "--out", str(out), "--workers", "0",
                     "--cache-dir", str(tmp_path / "cache"), "--quiet", "--family", "Cli Brush",
                     "--family-zh", "命令行",
                     "--designer", "D", "--designer-url", "https://d.example", "--vendor-id", "ABCD",
                     "--copyright", "(c) D", "--licence", "L", "--licence-url", "https://l.example",
                     "--description", "Desc."])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    names = records(TTFont(out))
    assert names[(1, 3, ZH_CN)] == "命令行" and names[(9, 3, 0x409)] == "D"
    assert names[(12, 3, 0x409)] == "https://d.example" and names[(14, 3, 0x409)] == "https://l.example"
    assert names[(10, 3, 0x409)].startswith("Desc.\n") and TTFont(out)["OS/2"].achVendID == "ABCD"
