"""fontTools' complaints about fonts we only read, heard once and kept out of the user's terminal.

The bundled Kai source's ``glyf`` table has 4 bytes of padding past its last glyph, so every time fontTools
decompiles it (each export's fallback and vertical steps) it warns "too much 'glyf' table data: expected
4466028, received 4466032 bytes" on stderr. The font is fine. :func:`quiet_font_reading` demotes such
read-side warnings to DEBUG records, once each: a log file that records DEBUG (the app's) still has them;
the terminal does not.
"""

from __future__ import annotations

import logging

# loggers of fontTools' table readers whose warnings describe the input font, not our output
READ_LOGGERS = ("fontTools.ttLib.tables._g_l_y_f", "fontTools.ttLib.ttFont", "fontTools.ttLib.tables._h_e_a_d")


class _DemoteOnce(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.seen: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message in self.seen:
            return False
        self.seen.add(message)
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return True


_FILTER = _DemoteOnce()


def quiet_font_reading() -> None:
    """Install the filter (idempotent)."""
    for name in READ_LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
