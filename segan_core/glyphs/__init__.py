"""Glyph images: rendering characters from fonts on a fixed em box, their skeletons, and the cleanup that
turns a grey picture of paper and ink (a scanned cell, a photo, a ``<char>.png``) into a clean ink glyph."""
