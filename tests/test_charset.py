from pathlib import Path

import pytest

from segan_core.charset import gb2312_hanzi, gb2312_level1, gb2312_level2, is_han, load_charset, parse_text
from segan_core.errors import CharsetError


def test_gb2312_counts_come_from_the_codec():
    assert len(gb2312_hanzi()) == 6763
    assert len(gb2312_level1()) == 3755
    assert len(gb2312_level2()) == 3008
    assert len(set(gb2312_hanzi())) == 6763
    assert gb2312_level1()[0] == "啊" and gb2312_level2()[0] == "亍"
    assert all(is_han(c) for c in gb2312_hanzi())
    for c in gb2312_hanzi()[:50]:
        c.encode("gb2312")  # round-trips through the codec


def test_user_text_is_deduplicated_and_non_han_reported():
    parsed = parse_text("永 永字\nA八。法!")
    assert parsed.chars == ("永", "字", "八", "法")
    assert parsed.duplicates == 1
    assert parsed.non_han == ("A", "。", "!")
    assert "3 non-Han" in parsed.describe_skipped()


def test_charset_names_and_files(tmp_path: Path):
    assert len(load_charset("gb2312-1").chars) == 3755
    path = tmp_path / "chars.txt"
    path.write_text("山水山x", encoding="utf-8")
    assert load_charset(str(path)).chars == ("山", "水")


@pytest.mark.parametrize("content", ["abc", "   "])
def test_charset_file_without_han_is_an_error(tmp_path: Path, content: str):
    path = tmp_path / "empty.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(CharsetError, match="no Han characters"):
        load_charset(str(path))


def test_missing_and_binary_charset_files(tmp_path: Path):
    with pytest.raises(CharsetError, match="nor an existing file"):
        load_charset(str(tmp_path / "nope.txt"))
    bad = tmp_path / "bin.txt"
    bad.write_bytes(b"\xff\xfe\xfa")
    with pytest.raises(CharsetError, match="not UTF-8"):
        load_charset(str(bad))
