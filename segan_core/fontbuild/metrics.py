"""Font-wide metrics of every font Segan Studio writes (UPM 1000, the ideographic em box)."""

from __future__ import annotations

from segan_core.glyphs.embox import EMBOX_DESCENT

UPM = 1000
ADVANCE = UPM  # every Hanzi is one em wide ...
ADVANCE_HEIGHT = UPM  # ... and one em tall in vertical text
ASCENT = round((1.0 - EMBOX_DESCENT) * UPM)  # 880: top of the ideographic em box
DESCENT = ASCENT - UPM  # -120: bottom of the ideographic em box
VERTICAL_ORIGIN_Y = ASCENT  # vertical text hangs each glyph from the top of its em box
GB2312_CODEPAGE_BIT = 18  # OS/2 ulCodePageRange1 bit 18: "Chinese: Simplified chars--PRC and Singapore"
LATIN1_CODEPAGE_BIT = 0

IDEOGRAPHIC_SPACE = 0x3000
SPACE = 0x0020
NO_BREAK_SPACE = 0x00A0
