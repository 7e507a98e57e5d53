"""The second stage: a per-style upscaler between the 64 px generator and the tracer.

- :mod:`segan_core.upscale.stage` — find a style's upscaler (``<model folder>/upscaler/``), run it, and a
  :class:`~segan_core.glyph_source.GlyphSource` that draws the style's glyphs at 256 px with it (what
  ``segan batch``, the app's preview and ``segan eval upscaler`` use); the trace settings for 256 px.
- :mod:`segan_core.upscale.train` — ``segan train upscaler``: pairs from the style's training characters
  (generator outputs and degraded real glyphs) and the training run.

The network itself is :mod:`segan_core.model.upscaler`; its training step is
:mod:`segan_core.training.upscaler_step`.
"""
