"""The character sets offered for template sheets: the recommended core sets and GB2312 levels.

``core300`` / ``core600`` were chosen by greedy weighted set cover over the components and layouts of
GB2312 level 1 (see ``tools/make_charsets.py`` and docs/scans.md for the method and coverage numbers).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from segan_core.charset import ParsedText, load_charset

SETS_DIR = Path(__file__).resolve().parent / "sets"
TEMPLATE_SETS = ("core300", "core600", "gb2312-1", "gb2312")


@cache
def core_set(name: str) -> tuple[str, ...]:
    """The characters of a stored core set (``core300`` or ``core600``), in the order chosen."""
    text = (SETS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()
    return tuple(text)


def template_charset(spec: str) -> ParsedText:
    """A set name (``core300``, ``core600``, ``gb2312-1``, ``gb2312``) or a UTF-8 text file of characters."""
    if spec in ("core300", "core600"):
        return ParsedText(core_set(spec), (), 0)
    return load_charset(spec)
