"""What the style pickers show beside the styles: a sample glyph of each, and the licences.

The styles themselves are the core's one catalogue (:func:`segan_core.styles.style_catalogue`, the same list as
``segan styles list``), each entry keyed by its style reference; loading a model happens in a worker (see
``views/generate.py``).
"""

from __future__ import annotations

import numpy as np

from segan_core.errors import SeganError
from segan_core.styles import SAMPLE_CHAR, StyleEntry, load_styles


def sample_glyph(entry: StyleEntry, size: int = 64) -> np.ndarray | None:
    """An ink image of the sample character in this style (from its font or images), or None."""
    try:
        if entry.sample_font is not None:
            from segan_core.glyphs.render import FontRenderer

            renderer = FontRenderer(entry.sample_font)
            for char in (SAMPLE_CHAR, "书", "天"):
                image, why = renderer.render_checked(char, size)
                if image is not None and why is None:
                    return image
        if entry.sample_image is not None:
            from segan_core.data.images import load_glyph_image

            return load_glyph_image(entry.sample_image, size)
    except SeganError:
        return None
    return None


def licences() -> list[tuple[str, str, str]]:
    """(what, licence, text or note) for every bundled font and style model."""
    from segan_core.resources import FONTS_DIR

    rows: list[tuple[str, str, str]] = []
    for path in sorted(FONTS_DIR.glob("*.LICENSE.txt")):
        name = path.name.removesuffix(".LICENSE.txt")
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            text = ""
        first = next((line.strip() for line in text.splitlines() if line.strip()), "")
        rows.append((f"Font: {name}", first, text))
    for style in load_styles():
        state = "model bundled" if style.has_model else "no model bundled yet"
        rows.append((f"Style: {style.display_name} ({style.target_font})", style.licence, state))
    return rows
