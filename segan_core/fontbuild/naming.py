"""What a font says about itself besides its glyphs: the user-editable name fields and their checks.

:class:`FontNames` carries what a user fills in (``segan batch --designer ...`` or the Batch & export
view); the builder writes it into the ``name`` table (Windows records only: English, plus
Simplified Chinese, language ID 0x0804, when a Chinese family name is given) and ``OS/2.achVendID``.

The default vendor ID is ``NONE``: not a registered vendor, and the value ufo2ft and fontmake write
when a UFO names no vendor, so a binary from ``segan batch`` and one compiled from its UFO agree.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_VENDOR_ID = "NONE"
EN_US = 0x0409  # Windows language ID of the English records
ZH_CN = 0x0804  # Windows language ID of the Simplified Chinese (PRC) records
MAX_NAME = 5000  # characters; a name record of this size is already far beyond any real use


def check_vendor_id(value: str) -> str:
    """``value`` if it is exactly four printable ASCII characters (OS/2 achVendID), else ValueError."""
    if len(value) != 4 or not all(0x20 <= ord(c) <= 0x7E for c in value):
        raise ValueError(
            f"vendor ID must be exactly 4 printable ASCII characters (like ABCD), got {value!r} "
            f"({len(value)} character{'s' if len(value) != 1 else ''})"
        )
    return value


def check_text(label: str, value: str) -> str:
    """``value`` stripped, if it has no control characters other than line breaks and is not huge."""
    value = value.strip()
    bad = next((c for c in value if (ord(c) < 0x20 and c not in "\n\r\t") or ord(c) == 0x7F), None)
    if bad is not None:
        raise ValueError(f"the {label} contains the control character U+{ord(bad):04X}")
    if len(value) > MAX_NAME:
        raise ValueError(f"the {label} is {len(value)} characters long; at most {MAX_NAME} fit a name record")
    return value


@dataclass(frozen=True)
class FontNames:
    """The name fields a user may set; empty strings are left out of the font (or get an honest default)."""

    designer: str = ""
    designer_url: str = ""
    vendor_id: str = DEFAULT_VENDOR_ID
    copyright: str = ""
    licence: str = ""
    licence_url: str = ""
    description: str = ""
    family_zh: str = ""  # Simplified Chinese family name (zh-CN name records); empty: English only

    def __post_init__(self) -> None:
        check_vendor_id(self.vendor_id)
        for label, attr in (("designer", "designer"), ("designer URL", "designer_url"), ("copyright", "copyright"),
                            ("licence", "licence"), ("licence URL", "licence_url"), ("description", "description"),
                            ("Chinese family name", "family_zh")):  # fmt: skip
            object.__setattr__(self, attr, check_text(label, getattr(self, attr)))
        if "\n" in self.family_zh:
            raise ValueError("the Chinese family name must be one line")
