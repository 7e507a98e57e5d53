"""Character sets: GB2312 Hanzi derived from the codec, and user text normalised with a report.

GB2312 puts Hanzi in rows 16-87 (lead bytes 0xB0-0xF7); level 1 is rows 16-55 (0xB0-0xD7, 3,755
characters, ordered by pinyin), level 2 rows 56-87 (3,008, ordered by radical). Row 55 has five
unassigned cells, which the codec refuses, so the counts come out as 6,763 and 3,755.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from segan_core.errors import CharsetError
from segan_core.readers import read_bounded

GB2312_LEVEL1_LEADS = range(0xB0, 0xD8)
GB2312_LEVEL2_LEADS = range(0xD8, 0xF8)
CHARSET_NAMES = ("gb2312", "gb2312-1", "gb2312-2")
MAX_CHARSET_BYTES = 4 << 20  # a charset file is text of at most a few 100,000 characters (all of Unicode's Han: 400 KB)


def _decode_rows(leads: range) -> tuple[str, ...]:
    chars = []
    for lead in leads:
        for trail in range(0xA1, 0xFF):
            try:
                chars.append(bytes((lead, trail)).decode("gb2312"))
            except UnicodeDecodeError:
                continue
    return tuple(chars)


@cache
def gb2312_level1() -> tuple[str, ...]:
    """The 3,755 level-1 Hanzi, in GB2312 order."""
    return _decode_rows(GB2312_LEVEL1_LEADS)


@cache
def gb2312_level2() -> tuple[str, ...]:
    """The 3,008 level-2 Hanzi, in GB2312 order."""
    return _decode_rows(GB2312_LEVEL2_LEADS)


@cache
def gb2312_hanzi() -> tuple[str, ...]:
    """All 6,763 GB2312 Hanzi, in GB2312 order."""
    return gb2312_level1() + gb2312_level2()


def is_han(char: str) -> bool:
    """True for a CJK unified ideograph (any block), compatibility ideographs included."""
    if len(char) != 1:
        return False
    return unicodedata.name(char, "").startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH"))


@dataclass(frozen=True)
class ParsedText:
    """User text turned into a charset: Han characters in first-seen order, plus what was left out."""

    chars: tuple[str, ...]
    non_han: tuple[str, ...]  # distinct non-Han, non-space characters, first-seen order
    duplicates: int  # how many repeated Han characters were folded

    def describe_skipped(self) -> str:
        if not self.non_han:
            return ""
        shown = " ".join(f"{c!r}(U+{ord(c):04X})" for c in self.non_han[:12])
        more = f" and {len(self.non_han) - 12} more" if len(self.non_han) > 12 else ""
        return f"{len(self.non_han)} non-Han character(s) skipped: {shown}{more}"


def parse_text(text: str) -> ParsedText:
    """Deduplicate user text; whitespace is ignored, non-Han characters are reported, not dropped silently."""
    seen: dict[str, None] = {}
    non_han: dict[str, None] = {}
    duplicates = 0
    for char in unicodedata.normalize("NFC", text):
        if char.isspace():
            continue
        if is_han(char):
            if char in seen:
                duplicates += 1
            seen[char] = None
        else:
            non_han[char] = None
    return ParsedText(tuple(seen), tuple(non_han), duplicates)


def load_charset(spec: str) -> ParsedText:
    """A charset from a name (``gb2312``, ``gb2312-1``, ``gb2312-2``) or a UTF-8 text file.

    Raises :class:`CharsetError` for a missing/unreadable file or a set with no Han character.
    """
    if spec == "gb2312":
        return ParsedText(gb2312_hanzi(), (), 0)
    if spec in ("gb2312-1", "gb2312-l1"):
        return ParsedText(gb2312_level1(), (), 0)
    if spec in ("gb2312-2", "gb2312-l2"):
        return ParsedText(gb2312_level2(), (), 0)
    path = Path(spec)
    if not path.exists():
        raise CharsetError(f"charset {spec!r} is neither one of {', '.join(CHARSET_NAMES)} nor an existing file")
    try:
        text = read_bounded(path, MAX_CHARSET_BYTES, CharsetError, "charset file").decode("utf-8")
    except UnicodeDecodeError:
        raise CharsetError(f"charset file is not UTF-8 text: {path}") from None
    parsed = parse_text(text)
    if not parsed.chars:
        raise CharsetError(f"charset file has no Han characters: {path}")
    return parsed


def text_charset(text: str) -> ParsedText:
    """A charset from text typed by the user; an error if it has no Han character."""
    parsed = parse_text(text)
    if not parsed.chars:
        raise CharsetError(
            "the text has no Han characters" + (f" ({parsed.describe_skipped()})" if parsed.non_han else "")
        )
    return parsed
