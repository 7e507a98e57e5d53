"""Remake the test fonts: subsets of ../shared/fonts/brush/*.ttf holding only the characters the tests use.

    python tests/fonts/make_subsets.py [SHARED_FONTS_DIR]     # default: <project>/../shared/fonts

For each ``brush/<Name>.chars.txt`` here, this runs fontTools' subsetter (the same as
``pyftsubset FONT --text-file=<Name>.chars.txt --output-file=<Name>.ttf --glyph-names --notdef-outline
--name-IDs='*' --name-languages='*' --name-legacy``, dropping a table that does not decompile) and
copies the font's licence beside the subset.
Outlines, hinting, metrics and names are kept, so a subset renders its characters exactly as the full font.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parents[1]


def make_subset(full: Path, chars: str, out: Path) -> None:
    options = subset.Options()
    options.glyph_names = True
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.name_legacy = True
    font = subset.load_font(str(full), options)
    for tag in list(font.keys()):
        try:
            font[tag]
        except Exception as exc:  # e.g. Kouzan Mouhitsu Gyosho's malformed gasp table
            print(f"{full.name}: table {tag} dropped, it does not decompile ({exc})")
            del font[tag]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    subset.save_font(font, str(out), options)


def main(argv: list[str]) -> int:
    shared = Path(argv[0]) if argv else PROJECT.parent / "shared" / "fonts"
    for listing in sorted((HERE / "brush").glob("*.chars.txt")):
        name = listing.name.removesuffix(".chars.txt")
        full = shared / "brush" / f"{name}.ttf"
        chars = "".join(listing.read_text(encoding="utf-8").split())
        out = listing.with_name(f"{name}.ttf")
        make_subset(full, chars, out)
        shutil.copyfile(full.with_name(f"{name}.LICENSE.txt"), out.with_name(f"{name}.LICENSE.txt"))
        print(f"{out.relative_to(PROJECT)}: {len(chars)} characters, {out.stat().st_size / 1024:.0f} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
