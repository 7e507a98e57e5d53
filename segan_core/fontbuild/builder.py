"""Assemble a TrueType (glyf) or OpenType (CFF) font from glyph records: an ordered list of small steps.

In the spirit of ufo2ft's compilers, :data:`STEPS` lists one short function per table (or group of
tables); :func:`build_font` runs them in order on a :class:`BuildContext` that wraps fontTools'
``FontBuilder``. Glyph records are consumed as a stream: each outline is drawn straight into its
``TTGlyph`` or ``T2CharString`` and not kept otherwise.

WOFF2 is the TrueType font saved with the ``woff2`` flavour (see :func:`save_font`).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from fontTools.feaLib.builder import addOpenTypeFeaturesFromString
from fontTools.fontBuilder import FontBuilder
from fontTools.misc.timeTools import epoch_diff
from fontTools.pens.boundsPen import BoundsPen
from fontTools.pens.t2CharStringPen import T2CharStringPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable
from fontTools.ttLib.tables import ttProgram
from fontTools.ttLib.tables.O_S_2f_2 import Panose

from segan_core import __version__
from segan_core.fontbuild.glyphs import GlyphRecord, empty_glyph, notdef_glyph
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.fontbuild.metrics import (
    ADVANCE,
    ADVANCE_HEIGHT,
    ASCENT,
    DESCENT,
    GB2312_CODEPAGE_BIT,
    IDEOGRAPHIC_SPACE,
    LATIN1_CODEPAGE_BIT,
    NO_BREAK_SPACE,
    SPACE,
    UPM,
    VERTICAL_ORIGIN_Y,
)
from segan_core.fontbuild.naming import DEFAULT_VENDOR_ID, ZH_CN, check_vendor_id
from segan_core.fontbuild.vertical import feature_text

FORMATS = ("ttf", "otf", "woff2", "ufo")  # what segan batch writes; the UFO is made from the CFF build
# TrueType pre-program of an unhinted font: smart dropout control at every size (SCANCTRL 0x01FF, SCANTYPE 4),
# so thin brush strokes do not vanish at small sizes in rasterizers that run the bytecode
SMART_DROPOUT = ["PUSHW[ ]", "511", "SCANCTRL[ ]", "PUSHB[ ]", "4", "SCANTYPE[ ]"]
HALF_ADVANCE = ADVANCE // 2  # a space made when the glyphs bring none: half an em, like the half-width Latin
PANOSE_LATIN_TEXT = 2
PANOSE_MONOSPACED = 9


@dataclass(frozen=True)
class FontInfo:
    """Naming and versioning of a font to build (everything that is not a glyph)."""

    family: str
    style_name: str = "Regular"
    version: str = "1.000"
    copyright: str = ""
    licence: str = ""
    licence_url: str = ""
    description: str = ""
    designer: str = ""
    designer_url: str = ""
    vendor_id: str = DEFAULT_VENDOR_ID  # OS/2 achVendID: exactly 4 printable ASCII characters
    family_zh: str = ""  # Simplified Chinese family name (Windows zh-CN records); empty: English only
    source_identity: str = ""  # feeds the unique ID
    timestamp: int | None = None  # Unix seconds for head.created/modified; None = $SOURCE_DATE_EPOCH or now

    def __post_init__(self) -> None:
        if not self.family.strip():
            raise ValueError("the family name is empty")
        if not re.fullmatch(r"\d{1,4}\.\d{1,3}", self.version):
            raise ValueError(f"version must look like 1.000, got {self.version!r}")
        check_vendor_id(self.vendor_id)

    @property
    def ps_name(self) -> str:
        """PostScript name: printable ASCII without spaces or ()[]{}<>/%, at most 63 characters."""
        family = re.sub(r"[^A-Za-z0-9\-]", "", self.family.replace(" ", ""))
        if not family:
            family = "Segan" + hashlib.sha256(self.family.encode()).hexdigest()[:8].upper()
        style = re.sub(r"[^A-Za-z0-9\-]", "", self.style_name.replace(" ", "")) or "Regular"
        return f"{family}-{style}"[:63]

    @property
    def unique_id(self) -> str:
        digest = hashlib.sha256(f"{self.family}|{self.style_name}|{self.source_identity}".encode()).hexdigest()[:12]
        return f"{self.version};{self.vendor_id.strip() or DEFAULT_VENDOR_ID};{self.ps_name};{digest}"


@dataclass
class BuildContext:
    """What the steps share: the request, the FontBuilder and what earlier steps learnt."""

    info: FontInfo
    fmt: str  # "ttf" | "otf"
    records: Iterable[GlyphRecord]
    layout: GlyphLayout = field(default_factory=GlyphLayout)  # font-wide size, baseline and spacing of the Hanzi
    builder: FontBuilder = field(init=False)
    order: list[str] = field(default_factory=list)
    cmap: dict[int, str] = field(default_factory=dict)
    advances: dict[str, int] = field(default_factory=dict)
    outlines: dict = field(default_factory=dict)  # name -> TTGlyph | T2CharString
    bounds: dict[str, tuple[int, int, int, int] | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.fmt not in ("ttf", "otf"):
            raise ValueError(f"unknown outline format {self.fmt!r}")
        self.builder = FontBuilder(UPM, isTTF=self.fmt == "ttf")

    @property
    def font(self) -> TTFont:
        return self.builder.font

    @property
    def is_ttf(self) -> bool:
        return self.fmt == "ttf"


# -- the steps -------------------------------------------------------------------------------------


def collect_glyphs(ctx: BuildContext) -> None:
    """.notdef, U+3000, the given records (the Hanzi placed by the font-wide layout), then a space if none came;
    U+00A0 shares the space glyph."""

    def records() -> Iterable[GlyphRecord]:
        yield notdef_glyph()
        yield empty_glyph(IDEOGRAPHIC_SPACE)
        yield from (ctx.layout.apply(record) for record in ctx.records)

    for record in records():
        _collect(ctx, record)
    if SPACE not in ctx.cmap:
        _collect(ctx, empty_glyph(SPACE, HALF_ADVANCE))
    ctx.cmap.setdefault(NO_BREAK_SPACE, ctx.cmap[SPACE])


def _collect(ctx: BuildContext, record: GlyphRecord) -> None:
    """Draw one record into its TrueType or CFF glyph (a duplicate character: the first one wins)."""
    if record.name in ctx.advances:
        if any(cp in ctx.cmap for cp in record.codepoints):
            return
        raise ValueError(f"duplicate glyph name {record.name}")
    if ctx.is_ttf:
        pen = TTGlyphPen(None)
        record.quadratic.draw(pen)
        ctx.outlines[record.name] = pen.glyph()
    else:
        bounds = BoundsPen(None)
        record.cubic.draw(bounds)
        ctx.bounds[record.name] = _int_bounds(bounds.bounds)
        width = None if record.advance == ADVANCE else record.advance
        pen = T2CharStringPen(width, None)
        record.cubic.draw(pen)
        ctx.outlines[record.name] = pen.getCharString()
    ctx.order.append(record.name)
    ctx.advances[record.name] = record.advance
    for cp in record.codepoints:
        ctx.cmap.setdefault(cp, record.name)


def setup_head(ctx: BuildContext) -> None:
    """Revision and fixed, reproducible timestamps (the same input gives the same bytes)."""
    stamp = ctx.info.timestamp if ctx.info.timestamp is not None else _source_date_epoch()
    mac = int(stamp) - int(epoch_diff)
    ctx.builder.setupHead(unitsPerEm=UPM, fontRevision=float(ctx.info.version), created=mac, modified=mac)
    ctx.font.recalcTimestamp = False


def setup_glyph_order_and_cmap(ctx: BuildContext) -> None:
    """Glyph order as collected; cmap format 4 (+ format 12 when a character lies beyond the BMP)."""
    ctx.builder.setupGlyphOrder(ctx.order)
    ctx.builder.setupCharacterMap(ctx.cmap)


def setup_outlines(ctx: BuildContext) -> None:
    """glyf/loca (TrueType) or CFF (OpenType); then every glyph's bounds for the metrics steps."""
    if ctx.is_ttf:
        ctx.builder.setupGlyf(ctx.outlines)
        glyf = ctx.font["glyf"]
        for name in ctx.order:
            glyph = glyf[name]
            ctx.bounds[name] = (glyph.xMin, glyph.yMin, glyph.xMax, glyph.yMax) if glyph.numberOfContours else None
    else:
        private = {"defaultWidthX": ADVANCE, "nominalWidthX": 0}
        # CFF strings are Latin-1: the full (Unicode) names live in the name table
        font_info = {
            "FullName": _latin1(f"{ctx.info.family} {ctx.info.style_name}") or ctx.info.ps_name,
            "FamilyName": _latin1(ctx.info.family) or ctx.info.ps_name.split("-")[0],
            "Weight": _latin1(ctx.info.style_name) or "Regular",
            "version": ctx.info.version,
            "Notice": _latin1(ctx.info.copyright)[:200],
        }
        ctx.builder.setupCFF(ctx.info.ps_name, font_info, ctx.outlines, private)
    ctx.outlines = {}  # the font owns them now


def setup_horizontal_metrics(ctx: BuildContext) -> None:
    """hmtx (advance, left side bearing = xMin) and hhea equal to the OS/2 typo metrics: the ideographic em box,
    with a line gap that makes the line cover every glyph's ink."""
    metrics = {}
    for name in ctx.order:
        box = ctx.bounds.get(name)
        metrics[name] = (ctx.advances[name], box[0] if box else 0)
    ctx.builder.setupHorizontalMetrics(metrics)
    ctx.builder.setupHorizontalHeader(ascent=ASCENT, descent=DESCENT, lineGap=_line_gap(ctx))


def setup_vertical_metrics(ctx: BuildContext) -> None:
    """vhea/vmtx for vertical CJK text: 1 em advance, top side bearing from the em-box top (880).

    CFF fonts also get VORG with the same vertical origin.
    """
    metrics = {}
    for name in ctx.order:
        box = ctx.bounds.get(name)
        metrics[name] = (ADVANCE_HEIGHT, VERTICAL_ORIGIN_Y - (box[3] if box else 0))  # empty: yMax 0
    ctx.builder.setupVerticalMetrics(metrics)
    ctx.builder.setupVerticalHeader(ascent=UPM // 2, descent=-(UPM // 2), lineGap=0)
    vhea = ctx.font["vhea"]
    vhea.tableVersion = 0x00011000
    if not ctx.is_ttf:
        ctx.builder.setupVerticalOrigins({}, VERTICAL_ORIGIN_Y)


def setup_os2(ctx: BuildContext) -> None:
    """OS/2 v4: ideographic em box as typo metrics, win metrics covering the ink, GB2312 code page, vendor ID.

    PANOSE says "Latin text, monospaced" when every character is half or full width (the CJK convention of
    MS Mincho or SimSun; ``post.isFixedPitch`` agrees), and leaves every digit at 0 ("any") otherwise.
    """
    ascent, descent = _line_extent(ctx)
    panose = Panose()
    if _is_monospaced(ctx):
        panose.bFamilyType, panose.bProportion = PANOSE_LATIN_TEXT, PANOSE_MONOSPACED
    codepages = 1 << GB2312_CODEPAGE_BIT
    if all(cp in ctx.cmap for cp in range(0x20, 0x7F)):
        codepages |= 1 << LATIN1_CODEPAGE_BIT
    x_height, cap_height = _height_of(ctx, "x"), _height_of(ctx, "H")
    ctx.builder.setupOS2(
        version=4,
        achVendID=ctx.info.vendor_id,
        panose=panose,
        usWeightClass=400,
        usWidthClass=5,
        fsType=0,  # installable embedding
        fsSelection=0x40 | 0x80,  # REGULAR | USE_TYPO_METRICS
        sTypoAscender=ASCENT,
        sTypoDescender=DESCENT,
        sTypoLineGap=_line_gap(ctx),
        usWinAscent=ascent,
        usWinDescent=descent,
        ulCodePageRange1=codepages,
        ulCodePageRange2=0,
        sxHeight=x_height,
        sCapHeight=cap_height,
        usDefaultChar=0,
        usBreakChar=0x20 if 0x20 in ctx.cmap else IDEOGRAPHIC_SPACE,
        usMaxContext=0,
    )


def setup_names(ctx: BuildContext) -> None:
    """name table, Windows records only: family and style, version, PostScript name, unique ID, copyright,
    licence, designer, description; family, style and full name also in Simplified Chinese when given."""
    info = ctx.info
    full = f"{info.family} {info.style_name}" if info.style_name != "Regular" else info.family
    names: dict = {
        "familyName": info.family,
        "styleName": info.style_name,
        "uniqueFontIdentifier": info.unique_id,
        "fullName": full,
        "version": f"Version {info.version}; segan-studio {__version__}",
        "psName": info.ps_name,
        "manufacturer": "Segan Studio",
    }
    optional = {
        "copyright": info.copyright,
        "designer": info.designer,
        "designerURL": info.designer_url,
        "description": info.description,
        "licenseDescription": info.licence,
        "licenseInfoURL": info.licence_url,
    }
    names.update({k: v for k, v in optional.items() if v})
    ctx.builder.setupNameTable(names, windows=True, mac=False)  # Mac records are obsolete (fontbakery)
    if info.family_zh:
        full_zh = f"{info.family_zh} {info.style_name}" if info.style_name != "Regular" else info.family_zh
        for name_id, text in ((1, info.family_zh), (2, info.style_name), (4, full_zh)):
            ctx.font["name"].setName(text, name_id, 3, 1, ZH_CN)  # Windows, Unicode BMP, Chinese (PRC)


def setup_post(ctx: BuildContext) -> None:
    """post: glyph names kept in TrueType (format 2), none in CFF fonts (format 3, CFF has them)."""
    ctx.builder.setupPost(keepGlyphNames=ctx.is_ttf, isFixedPitch=int(_is_monospaced(ctx)), underlinePosition=-150,
                          underlineThickness=50)


def setup_gasp(ctx: BuildContext) -> None:
    """gasp (TrueType only): unhinted outlines, so grey-scale smoothing at every size."""
    if ctx.is_ttf:
        gasp = ctx.font["gasp"] = newTable("gasp")
        gasp.version = 1
        gasp.gaspRange = {0xFFFF: 0x000A}  # DOGRAY | SYMMETRIC_SMOOTHING


def setup_prep(ctx: BuildContext) -> None:
    """prep (TrueType only): :data:`SMART_DROPOUT`, the whole program of an unhinted font."""
    if ctx.is_ttf:
        prep = ctx.font["prep"] = newTable("prep")
        prep.program = ttProgram.Program()
        prep.program.fromAssembly(SMART_DROPOUT)
        maxp = ctx.font["maxp"]
        maxp.maxStackElements = max(maxp.maxStackElements, 1)


def setup_features(ctx: BuildContext) -> None:
    """GSUB ``vert``: each glyph with a ``.vert`` alternate is replaced by it in vertical text (feaLib)."""
    text = feature_text(ctx.order)
    if text:
        addOpenTypeFeaturesFromString(ctx.font, text, tables={"GSUB"})


STEPS: tuple[Callable[[BuildContext], None], ...] = (
    collect_glyphs,
    setup_head,
    setup_glyph_order_and_cmap,
    setup_outlines,
    setup_horizontal_metrics,
    setup_vertical_metrics,
    setup_os2,
    setup_names,
    setup_post,
    setup_gasp,
    setup_prep,
    setup_features,
)


def build_font(
    info: FontInfo, records: Iterable[GlyphRecord], fmt: str = "ttf", layout: GlyphLayout | None = None
) -> TTFont:
    """Run :data:`STEPS` and return the in-memory font (``fmt`` is ``ttf`` or ``otf``); ``layout`` places the
    Hanzi font-wide (:mod:`segan_core.fontbuild.layout`; default: as drawn)."""
    ctx = BuildContext(info, fmt, records, layout or GlyphLayout())
    for step in STEPS:
        step(ctx)
    return ctx.font


def save_font(font: TTFont, path: Path | str, flavor: str | None = None) -> None:
    """Write ``font`` to ``path`` (already a temp path: see :func:`segan_core.atomic.atomic_path`)."""
    font.flavor = flavor
    try:
        font.save(str(path), reorderTables=True)
    finally:
        font.flavor = None


# -- helpers ---------------------------------------------------------------------------------------


def _int_bounds(bounds: tuple[float, float, float, float] | None) -> tuple[int, int, int, int] | None:
    if bounds is None:
        return None
    import math

    x0, y0, x1, y1 = bounds
    return math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1)


def _line_extent(ctx: BuildContext) -> tuple[int, int]:
    """(ascent, descent) covering the em box and every glyph's ink, so nothing is clipped."""
    boxes = [b for b in ctx.bounds.values() if b]
    top = max([ASCENT, *(b[3] for b in boxes)])
    bottom = max([-DESCENT, *(-b[1] for b in boxes)])
    return int(top), int(bottom)


def _line_gap(ctx: BuildContext) -> int:
    """What the ink reaches beyond the em box, as line gap: the line then covers every glyph."""
    ascent, descent = _line_extent(ctx)
    return ascent + descent - UPM


def _is_monospaced(ctx: BuildContext) -> bool:
    """Every character's glyph is half or full width (or has no width)."""
    widths = {ctx.advances[name] for name in set(ctx.cmap.values())}
    return widths <= {0, HALF_ADVANCE, ADVANCE}


def _height_of(ctx: BuildContext, char: str) -> int:
    box = ctx.bounds.get(ctx.cmap.get(ord(char), ""))
    return int(box[3]) if box else 0


def _latin1(text: str) -> str:
    return " ".join(text.encode("latin-1", "ignore").decode("latin-1").split())


def _source_date_epoch() -> int:
    import os

    value = os.environ.get("SOURCE_DATE_EPOCH")
    if value and value.isdigit():
        return int(value)
    return int(time.time())
