"""Segan Studio core: glyph data, the SE-GAN model, training, evaluation and font export.

This package never imports Qt; the desktop app in ``app/`` is a thin client of it.
"""

__version__ = "0.1.0"
