"""What a batch export did: :class:`BatchReport`, returned by :func:`segan_core.batch.export_font`.

Written beside the font as ``FONT.report.json`` (:meth:`BatchReport.to_json`, a format other tools
read; :data:`BATCH_REPORT`, with the outputs it lists, is what a later export may replace) and ``FONT.report.txt``
(:func:`format_report`). Callers read the typed fields; :meth:`BatchReport.open_cache` reopens the
glyph cache the export used (e.g. to show the bitmaps of the glyphs the quality gate flagged).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from segan_core.cache import GlyphCache
from segan_core.errors import OutputError
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.outputs import ReportKind, check_output_file, read_report, resolve
from segan_core.vectorize.trace import TraceConfig

# FONT.report.json: what a later export may replace (its font.files); reports from before the format field
# are recognised by who made them
BATCH_REPORT = ReportKind("segan batch", "segan-batch-report", (("created_with", "segan-studio*"),))


@dataclass(frozen=True)
class SourceInfo:
    name: str
    identity: str  # keys the glyph cache
    image_size: int
    # what made the glyphs: the model folder of a style, ``font:PATH`` for a real font (``StyleSource.origin``);
    # a later export to the same file asks before replacing a font of another origin
    origin: str = ""
    # how the network ran here and why (int8 or fp32 ONNX, segan_core.int8); empty for a font
    generation_path: str = ""


@dataclass(frozen=True)
class CacheInfo:
    root: Path | None  # None: a temporary cache (--no-cache), gone after the export
    file: Path | None
    outline_hits: int
    bitmap_hits: int
    generated: int
    traced: int
    corrupt_regenerated: tuple[str, ...] = ()  # "字 U+5B57 bitmap"


@dataclass(frozen=True)
class GateReport:
    """The recognizer quality gate's verdict (the gate ran)."""

    unreadable: str  # the characters it could not read as themselves, in export order
    dropped: bool  # left out of the font (else only flagged)
    read: dict[str, str] = dataclasses.field(default_factory=dict)  # char -> what it read instead ("" nothing)

    def reading(self, char: str) -> str:
        """What the recognizer made of ``char``'s glyph, in words."""
        text = self.read.get(char)
        if text is None:
            return "the OCR does not read it as itself"
        return f"the OCR reads it as {text}" if text else "the OCR reads nothing"

    @property
    def count(self) -> int:
        return len(self.unreadable)


@dataclass(frozen=True)
class BatchReport:
    created_with: str
    family: str
    files: dict[str, Path]  # format -> font path
    hanzi_written: int
    source: SourceInfo
    requested: int
    skipped: dict[str, str]  # character -> why it is not in the font
    non_han_skipped: str
    quality_gate: GateReport | None  # None: off
    cache: CacheInfo
    trace: TraceConfig
    workers: int
    stage_seconds: dict[str, float]
    total_seconds: float
    validation: dict[str, list[str]]  # format -> check results
    fallback_glyphs: int = 0
    written_glyphs: dict[str, Any] | None = None  # a style learned from scans: the writer's own glyphs
    # the font-wide size, baseline and spacing the font was built with
    layout: GlyphLayout = dataclasses.field(default_factory=GlyphLayout)

    def open_cache(self) -> GlyphCache | None:
        """The glyph cache this export used (to be closed by the caller), or None for a temporary one."""
        if self.cache.root is None:
            return None
        return GlyphCache(self.cache.root, self.source.identity, self.trace.key)

    def to_json(self) -> dict[str, Any]:
        """The ``FONT.report.json`` object."""
        gate: dict[str, Any] | str = "off"
        if self.quality_gate is not None:
            gate = {"unreadable": self.quality_gate.unreadable, "count": self.quality_gate.count,
                    "dropped": self.quality_gate.dropped, "read": dict(self.quality_gate.read)}  # fmt: skip
        cache = self.cache
        data: dict[str, Any] = {
            "format": BATCH_REPORT.format,  # with font.files: what a later export may replace (report_outputs)
            "created_with": self.created_with,
            "font": {
                "family": self.family,
                "files": {fmt: str(path) for fmt, path in self.files.items()},
                "hanzi_written": self.hanzi_written,
                "fallback_glyphs": self.fallback_glyphs,
            },
            "source": dataclasses.asdict(self.source),
            "requested": self.requested,
            "skipped": dict(self.skipped),
            "non_han_skipped": self.non_han_skipped,
            "quality_gate": gate,
            "cache": {
                "file": str(cache.file) if cache.file is not None else None,
                # GlyphCache(Path(folder).parent, identity, trace key) reopens this cache
                "folder": str(cache.root / self.source.identity) if cache.root is not None else None,
                "outline_hits": cache.outline_hits,
                "bitmap_hits": cache.bitmap_hits,
                "generated": cache.generated,
                "traced": cache.traced,
                "corrupt_regenerated": list(cache.corrupt_regenerated),
            },
            "trace_config": dataclasses.asdict(self.trace),
            "workers": self.workers,
            "stage_seconds": dict(self.stage_seconds),
            "total_seconds": self.total_seconds,
            "validation": {fmt: list(checks) for fmt, checks in self.validation.items()},
        }
        if self.written_glyphs is not None:
            data["written_glyphs"] = self.written_glyphs
        data["layout"] = self.layout.to_json()
        return data

    def text(self) -> str:
        """The human-readable ``FONT.report.txt``."""
        return format_report(self.to_json())


def report_outputs(report: Path) -> set[str]:
    """File names a batch report says it wrote (``font.files``), or nothing (not a batch report)."""
    data = read_report(report, BATCH_REPORT)
    font = data.get("font") if data is not None else None
    outputs = font.get("files") if isinstance(font, dict) else None
    if not isinstance(outputs, dict):
        return set()
    return {Path(str(p)).name for p in outputs.values()}


def check_batch_outputs(fonts: list[Path], report_json: Path, report_text: Path, overwrite: bool = False) -> None:
    """``segan batch``: no two outputs share a path, existing fonts must be listed in the batch report beside
    them, existing reports must be batch reports (:mod:`segan_core.outputs`' rule for single files)."""
    seen: dict[Path, str] = {}
    for path, role in [*((f, "font") for f in fonts), (report_json, "JSON report"), (report_text, "text report")]:
        key = resolve(path)
        if key in seen:
            raise OutputError(f"{key} is given as both the {seen[key]} and the {role}; choose different names")
        seen[key] = role
    listed = report_outputs(report_json)
    for font in fonts:
        check_output_file(font, BATCH_REPORT, report_json, listed, overwrite)
    is_report = bool(listed)
    for path in (report_json, report_text):
        path = resolve(path)
        if path.is_symlink() or path.is_dir():
            raise OutputError(f"{path} is a {'folder' if path.is_dir() else 'symbolic link'}, not a report file")
        if path.exists() and not is_report and not overwrite:
            raise OutputError(
                f"{path} already exists and is not a segan batch report; choose another --out/--report or "
                f"pass --overwrite"
            )


def previous_source(report_json: Path, fonts: list[Path]) -> SourceInfo | None:
    """What made the fonts an export to ``fonts`` would replace: the source of the batch report beside them,
    when one of ``fonts`` exists and that report lists it as its own; None otherwise (nothing of ours replaced)."""
    listed = report_outputs(report_json)
    if not any(font.name in listed and font.exists() for font in fonts):
        return None
    data = read_report(report_json, BATCH_REPORT)
    source = data.get("source") if data is not None else None
    if not isinstance(source, dict):
        return None
    size = source.get("image_size")
    return SourceInfo(str(source.get("name", "")), str(source.get("identity", "")),
                      size if isinstance(size, int) else 0, str(source.get("origin") or ""))


def same_maker(old: SourceInfo, name: str, origin: str) -> bool:
    """Whether a font made by ``old`` was made by the source ``name`` from ``origin``: the same model folder or
    font file (a retrained model in its own folder is still that style); a report older than ``origin``
    is compared by the style's name."""
    if old.origin:
        return old.origin == origin
    return old.name == name


def describe_maker(source: SourceInfo) -> str:
    """"Kouzan Mouhitsu Gyosho (model folder /m/kouzan)": which style, from which model or font."""
    origin = source.origin
    if origin.startswith("font:"):
        where = f"font file {origin.removeprefix('font:')}"
    elif origin:
        where = f"model folder {origin}"
    else:
        where = source.identity
    return f"{source.name or 'an unknown style'} ({where})" if where else source.name


def format_report(report: dict) -> str:
    """The human-readable twin of the JSON report."""
    lines = [
        f"Segan Studio batch export ({report['created_with']})",
        f"font family: {report['font']['family']}",
        *(f"  {fmt}: {path}" for fmt, path in report["font"]["files"].items()),
        f"source: {report['source']['name']} ({report['source']['identity']}, {report['source']['image_size']} px)"
        + (f", made from {report['source']['origin']}" if report["source"].get("origin") else ""),
        *([f"generation path: {report['source']['generation_path']}"] if report["source"].get("generation_path")
          else []),
        f"hanzi written: {report['font']['hanzi_written']} of {report['requested']} requested; "
        f"fallback glyphs: {report['font'].get('fallback_glyphs', 0)}",
    ]
    skipped = report["skipped"]
    lines.append(f"skipped: {len(skipped)}")
    lines += [f"  {c} U+{ord(c):04X}: {why}" for c, why in list(skipped.items())[:200]]
    if len(skipped) > 200:
        lines.append(f"  ... and {len(skipped) - 200} more (see the JSON report)")
    if report["non_han_skipped"]:
        lines.append(f"non-Han characters left out of the charset: {report['non_han_skipped']}")
    gate = report["quality_gate"]
    if gate == "off":
        lines.append("quality gate: off")
    else:
        lines.append(f"quality gate: {gate['count']} unreadable{' (dropped)' if gate['dropped'] else ''} "
                     f"{gate['unreadable']}")  # fmt: skip
        read = gate.get("read", {})
        lines += [f"  {c} U+{ord(c):04X}: read as {read[c] or '(nothing)'}" for c in gate["unreadable"] if c in read]
    if report.get("layout"):
        lines.append(f"font-wide layout of the Hanzi: {GlyphLayout.from_json(report['layout']).describe()}")
    if "written_glyphs" in report:
        written = report["written_glyphs"]
        lines.append(f"written by hand: {written['count']} glyphs from {written['folder']}; generated: "
                     f"{written['generated']}")  # fmt: skip
        for kind in ("written", "generated"):
            stats = written["ink"][kind]
            lines.append(f"  {kind:>9}: {stats.get('count', 0)} glyphs, ink weight {stats.get('ink_weight', 0):.4f}, "
                         f"ink box {stats.get('ink_width', 0):.3f} x {stats.get('ink_height', 0):.3f} em")  # fmt: skip
    cache = report["cache"]
    lines.append(f"cache: {cache['outline_hits']} outlines and {cache['bitmap_hits']} bitmaps reused, "
                 f"{cache['generated']} generated, {cache['traced']} traced")  # fmt: skip
    if cache["corrupt_regenerated"]:
        lines.append(f"  corrupt cache entries regenerated: {', '.join(cache['corrupt_regenerated'])}")
    lines.append("stage seconds:")
    lines += [f"  {k:>16}: {v:8.2f}" for k, v in report["stage_seconds"].items()]
    lines.append(f"  {'total':>16}: {report['total_seconds']:8.2f}")
    lines.append("validation:")
    for fmt, checks in report["validation"].items():
        lines.append(f"  {fmt}: " + "; ".join(checks))
    return "\n".join(lines) + "\n"
