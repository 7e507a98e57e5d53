"""Glyph images -> vector outlines (potrace), see :mod:`segan_core.vectorize.trace`."""

from segan_core.vectorize.outline import Outline
from segan_core.vectorize.trace import UPM, TraceConfig, TracedGlyph, trace_glyph, trace_many

__all__ = ["UPM", "Outline", "TraceConfig", "TracedGlyph", "trace_glyph", "trace_many"]
