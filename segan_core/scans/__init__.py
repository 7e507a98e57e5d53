"""Template sheets and scan import: handwriting on printed pages becomes a training dataset.

``charsets`` offers the sets to write (core300, core600, GB2312 levels), ``template`` lays out and
renders the printable sheets and their JSON sidecar, ``pages`` reads the pictures and PDFs handed in,
``registration`` finds a page's markers and maps it back onto the template, ``cells`` turns each
writing box into a clean ink glyph on the em box (with :mod:`segan_core.glyphs.cleanup`, which the
``<char>.png`` folders of :mod:`segan_core.data` share), ``review`` draws the contact
sheet, and ``importer`` is the job tying them together. ``synthetic`` makes filled-in, degraded
scans for the tests and the benchmark. Nothing here imports Qt; the GUI calls these functions.
"""
