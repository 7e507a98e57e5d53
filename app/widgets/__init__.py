"""Reusable widgets: the glyph grid, image panels with heatmap overlays, the loss plot."""
