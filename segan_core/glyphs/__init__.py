"""Glyph images: rendering characters from fonts on a fixed em box, and their skeletons."""
