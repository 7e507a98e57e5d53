"""An editable UFO source (ufoLib2) of a built font, for a designer to correct glyphs and rebuild.

:func:`ufo_from_font` reads the CFF font :func:`~segan_core.fontbuild.builder.build_font` made (cubic
outlines in the PostScript direction, which is the UFO's) and writes the same glyphs, advances, vertical
metrics, names, OS/2 and post values into the UFO's ``fontinfo.plist``, and the ``vert`` feature into
``features.fea``. fontmake or ufo2ft compile it back (``fontmake -u FONT.ufo -o ttf``); the TrueType
smart-dropout ``prep`` program rides along in the lib key ufo2ft reads (``public.truetype.instructions``).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import math
from pathlib import Path

import ufoLib2
from fontTools.misc.timeTools import epoch_diff
from fontTools.pens.boundsPen import ControlBoundsPen
from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.ttLib import TTFont
from fontTools.ufoLib.errors import UFOLibError

from segan_core.fontbuild.builder import SMART_DROPOUT
from segan_core.fontbuild.metrics import VERTICAL_ORIGIN_Y
from segan_core.fontbuild.naming import EN_US
from segan_core.fontbuild.validate import Check
from segan_core.fontbuild.vertical import feature_text

WINDOWS, UNICODE_BMP = 3, 1
CU2QU_MAX_ERR = 1.0  # units: ufo2ft's default cubicConversionError (0.001 em) at UPM 1000
ROUNDING = 2  # units of slack for the compiler's own rounding of the converted points
# name records fontinfo.plist has a field for (the rest, and every non-English record, go to openTypeNameRecords)
INFO_NAMES = {0: "copyright", 3: "openTypeNameUniqueID", 5: "openTypeNameVersion", 8: "openTypeNameManufacturer",
              9: "openTypeNameDesigner", 10: "openTypeNameDescription", 12: "openTypeNameDesignerURL",
              13: "openTypeNameLicense", 14: "openTypeNameLicenseURL"}  # fmt: skip
DERIVED_NAMES = {1, 2, 6}  # family, style, PostScript name: from familyName, styleName, postscriptFontName


# what write_ufo puts in a UFO: replaced on a re-export; anything else there (images/, data/, notes) is kept
UFO_WRITES = ("metainfo.plist", "fontinfo.plist", "lib.plist", "groups.plist", "kerning.plist", "features.fea",
              "layercontents.plist", "glyphs", "glyphs.*")  # fmt: skip


def ufo_keeps(name: str) -> bool:
    """Is ``name``, in an existing UFO being replaced, something write_ufo does not write (to carry over)?"""
    return not any(fnmatch.fnmatchcase(name, pattern) for pattern in UFO_WRITES)


def write_ufo(font: TTFont, folder: Path) -> None:
    """Write the UFO of ``font`` into ``folder`` (an empty temp folder: see :func:`segan_core.atomic.atomic_tree`)."""
    ufo_from_font(font).save(folder, overwrite=True)


def check_ufo(folder: Path, font: TTFont) -> Check:
    """ufoLib2 reopens the UFO with every glyph of ``font`` and the same family name."""
    try:
        ufo = ufoLib2.Font.open(folder, validate=True)
        missing = [n for n in font.getGlyphOrder() if n not in ufo]
    except (UFOLibError, OSError, ValueError, KeyError) as exc:
        return Check("ufoLib2", False, f"{type(exc).__name__}: {exc}")
    if missing:
        return Check("ufoLib2", False, f"{len(missing)} glyph(s) missing, e.g. {missing[0]}")
    return Check("ufoLib2", True, f"{len(ufo)} glyphs")


def _bits(value: int, count: int, offset: int = 0) -> list[int]:
    return [offset + i for i in range(count) if value >> i & 1]


def ufo_from_font(font: TTFont) -> ufoLib2.Font:
    """The UFO of a CFF-flavoured ``font`` built by :func:`build_font` (glyph names kept)."""
    if "CFF " not in font:
        raise ValueError("ufo_from_font needs the CFF (cubic) build of the font")
    ufo = ufoLib2.Font()
    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    unicodes: dict[str, list[int]] = {}
    for cp, name in sorted(font.getBestCmap().items()):
        unicodes.setdefault(name, []).append(cp)
    hmtx, vmtx = font["hmtx"], font["vmtx"]
    for name in order:
        glyph = ufo.newGlyph(name)
        glyph.width = hmtx[name][0]
        glyph.height = vmtx[name][0]
        glyph.unicodes = unicodes.get(name, [])
        glyph_set[name].draw(glyph.getPen())
    ufo.glyphOrder = order
    ufo.features.text = feature_text(order)
    _info(ufo, font)
    ufo.lib["public.truetype.instructions"] = {"formatVersion": "1", "controlValueProgram": "\n".join(SMART_DROPOUT)}
    return ufo


def _quadratic_extent(font: TTFont) -> tuple[int, int]:
    """(highest, lowest) point of any glyph once converted to quadratic curves as ufo2ft does (cu2qu, 1 unit):
    a TrueType compile of the UFO bounds its glyphs by those points."""
    glyph_set = font.getGlyphSet()
    top, bottom = 0, 0
    for name in font.getGlyphOrder():
        bounds = ControlBoundsPen(glyph_set)
        glyph_set[name].draw(Cu2QuPen(bounds, CU2QU_MAX_ERR))
        if bounds.bounds is not None:
            top, bottom = max(top, math.ceil(bounds.bounds[3])), min(bottom, math.floor(bounds.bounds[1]))
    return top, bottom


def _info(ufo: ufoLib2.Font, font: TTFont) -> None:
    info, name, os2, head = ufo.info, font["name"], font["OS/2"], font["head"]
    hhea, vhea, post = font["hhea"], font["vhea"], font["post"]

    def english(name_id: int) -> str | None:
        record = name.getName(name_id, WINDOWS, UNICODE_BMP, EN_US)
        return record.toUnicode() if record else None

    info.familyName = english(1)
    info.styleName = english(2)
    info.styleMapFamilyName = info.familyName
    info.styleMapStyleName = (info.styleName or "Regular").lower()
    info.postscriptFontName = english(6)
    major, minor = f"{head.fontRevision:.3f}".split(".")
    info.versionMajor, info.versionMinor = int(major), int(minor)
    for name_id, attr in INFO_NAMES.items():
        setattr(info, attr, english(name_id))
    records = []
    for record in name.names:
        english_in_info = record.langID == EN_US and (record.nameID in INFO_NAMES or record.nameID in DERIVED_NAMES)
        if not english_in_info:  # the Chinese records, and the full name (ufo2ft would say "Family Regular")
            records.append({"nameID": record.nameID, "platformID": record.platformID, "encodingID": record.platEncID,
                            "languageID": record.langID, "string": record.toUnicode()})  # fmt: skip
    info.openTypeNameRecords = records

    info.unitsPerEm = head.unitsPerEm
    info.ascender, info.descender = os2.sTypoAscender, os2.sTypoDescender
    info.xHeight, info.capHeight = os2.sxHeight, os2.sCapHeight
    created = dt.datetime.fromtimestamp(head.created + int(epoch_diff), dt.UTC)
    info.openTypeHeadCreated = created.strftime("%Y/%m/%d %H:%M:%S")
    info.openTypeHheaAscender, info.openTypeHheaDescender, info.openTypeHheaLineGap = (
        hhea.ascent, hhea.descent, hhea.lineGap)  # fmt: skip
    info.openTypeVheaVertTypoAscender, info.openTypeVheaVertTypoDescender = vhea.ascent, vhea.descent
    info.openTypeVheaVertTypoLineGap = vhea.lineGap
    info.openTypeOS2TypoAscender, info.openTypeOS2TypoDescender = os2.sTypoAscender, os2.sTypoDescender
    info.openTypeOS2TypoLineGap = os2.sTypoLineGap
    # win metrics also cover the TrueType compile's glyph boxes (its quadratic control points), with rounding
    top, bottom = _quadratic_extent(font)
    info.openTypeOS2WinAscent = max(os2.usWinAscent, top + ROUNDING)
    info.openTypeOS2WinDescent = max(os2.usWinDescent, -bottom + ROUNDING)
    info.openTypeOS2VendorID = os2.achVendID
    info.openTypeOS2WeightClass, info.openTypeOS2WidthClass = os2.usWeightClass, os2.usWidthClass
    info.openTypeOS2Type = _bits(os2.fsType, 16)
    info.openTypeOS2Selection = [b for b in _bits(os2.fsSelection, 16) if b in (7, 8, 9)]  # others are derived
    info.openTypeOS2Panose = [getattr(os2.panose, f) for f in (
        "bFamilyType", "bSerifStyle", "bWeight", "bProportion", "bContrast", "bStrokeVariation", "bArmStyle",
        "bLetterForm", "bMidline", "bXHeight")]  # fmt: skip
    info.openTypeOS2UnicodeRanges = [
        b for i, field in enumerate(("ulUnicodeRange1", "ulUnicodeRange2", "ulUnicodeRange3", "ulUnicodeRange4"))
        for b in _bits(getattr(os2, field), 32, 32 * i)
    ]  # fmt: skip
    info.openTypeOS2CodePageRanges = _bits(os2.ulCodePageRange1, 32) + _bits(os2.ulCodePageRange2, 32, 32)
    info.postscriptIsFixedPitch = bool(post.isFixedPitch)
    info.postscriptUnderlinePosition, info.postscriptUnderlineThickness = (
        post.underlinePosition, post.underlineThickness)  # fmt: skip
    info.italicAngle = 0
    gasp = font["gasp"].gaspRange if "gasp" in font else {0xFFFF: 0x000A}
    info.openTypeGaspRangeRecords = [{"rangeMaxPPEM": size, "rangeGaspBehavior": _bits(flags, 16)}
                                     for size, flags in sorted(gasp.items())]  # fmt: skip
    if VERTICAL_ORIGIN_Y != info.openTypeOS2TypoAscender:  # ufo2ft's default vertical origin is the typo ascender
        for glyph in ufo:
            glyph.verticalOrigin = VERTICAL_ORIGIN_Y
