"""Template sheets and scan import: handwriting on printed pages becomes a training dataset.

``template`` lays out and renders the printable sheets, ``registration`` finds a scanned page's
markers and maps it back onto the template, ``cells`` and ``cleanup`` turn each writing box into a
clean ink glyph on the em box, and ``importer`` is the job tying them together.
"""
