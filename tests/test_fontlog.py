"""Issue 29: fontTools' warning about the Kai source's glyf padding reaches the log once, never the terminal."""

import logging

from fontTools.ttLib import TTFont

import segan_core.glyphs.render  # noqa: F401  (installs the filter, as every command does)

from .conftest import SOURCE_FONT


def test_the_source_fonts_glyf_warning_is_a_debug_record_once(caplog, capfd):
    caplog.set_level(logging.DEBUG, logger="fontTools")
    for _ in range(2):
        TTFont(str(SOURCE_FONT))["glyf"]
    records = [r for r in caplog.records if "too much 'glyf' table data" in r.getMessage()]
    assert len(records) <= 1 and all(r.levelno == logging.DEBUG for r in records)
    assert "glyf" not in capfd.readouterr().err
