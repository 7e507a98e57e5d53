"""Datasets of paired glyph images: building them from fonts or image folders, splitting, loading."""
