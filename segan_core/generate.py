"""Generate a few glyphs to files: the command-line twin of the app's Generate view (``segan generate``).

The style is opened as every other drawer opens it (:func:`segan_core.style_source.open_style`): a style
with a second stage draws its glyphs at 256 px with it, the same glyphs as the app's Generate view and the
font export (``--no-upscaler``: the generator's 64 px glyphs).

For each character the output folder gets the generated glyph (``glyphs/永.png``, black on white),
optionally its traced outline (``svg/永.svg``), its attention heatmaps over the source glyph
(``heatmaps/永-cam.png``, ``-sram``, ``-cram``; SE-GAN models only) and one contact sheet
(``contact-sheet.png``: source, skeleton, generated and heatmaps, one row per character; past
:data:`SHEET_ROWS` characters the rows go on in ``contact-sheet-2.png``, ...). ``generate.json`` records
what was asked and written. The folder is written atomically, its marker
(:data:`GENERATED_GLYPHS`) makes it ours, and a later run may replace what it wrote.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from segan_core.atomic import atomic_dir
from segan_core.errors import CharsetError, StyleError
from segan_core.evaluation.figures import overlay
from segan_core.glyphs.render import label_font, to_paper
from segan_core.inference import HEATMAP_KINDS, Generation
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.outputs import Legacy, OutputKind, check_output_dir, resolve
from segan_core.style_source import StyleSource, open_style
from segan_core.vectorize.svg import glyph_svg
from segan_core.vectorize.trace import TraceConfig

CELL = 96  # contact-sheet tile, px
PAD = 4
LABEL = 56  # left column: the character
HEADER = 28
SHEET_ROWS = 200  # rows per contact-sheet page: memory stays bounded for thousands of characters
REPORT_FILE, SHEET_FILE, SHEET_PAGE = "generate.json", "contact-sheet.png", "contact-sheet-{number}.png"
GLYPHS_DIR, HEATMAPS_DIR, SVG_DIR = "glyphs", "heatmaps", "svg"
# what segan generate writes (outputs from before markers: their generate.json, which names the model)
GENERATED_GLYPHS = OutputKind(
    "generated glyphs folder", "segan-generate",
    (REPORT_FILE, SHEET_FILE, SHEET_PAGE.format(number="*"), GLYPHS_DIR, HEATMAPS_DIR, SVG_DIR),
    (Legacy(REPORT_FILE, (("model_name", "*"),)),),
)  # fmt: skip


@dataclass(frozen=True)
class GenerateRequest:
    style: str  # a style reference: a style id with a model, or a model folder (segan_core.styles.parse_style_ref)
    chars: tuple[str, ...]  # Han characters, distinct, in order
    out: Path
    svg: bool = False
    heatmaps: bool = True
    overwrite: bool = False
    device: str = "auto"
    batch_size: int = 64
    second_stage: bool = True  # a style with one draws its 256 px glyphs, as the font export and the app do
    non_han: tuple[str, ...] = ()  # skipped by the caller; recorded in generate.json


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    report: dict


def generate_to_folder(request: GenerateRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """A job: load the model, generate the characters it can, write the folder; returns a :class:`GenerateResult`.

    Streamed: each batch's files (and contact-sheet rows) are written as it is generated and then dropped,
    so memory stays bounded by one batch and one contact-sheet page, however many characters are asked."""
    clock = Stopwatch()
    out = check_output_dir(request.out, GENERATED_GLYPHS, request.overwrite)  # refused before the work
    if not request.chars:
        raise CharsetError("no Han characters to generate; give some with --text")
    yield Progress("load", 0, None, f"loading {request.style}", elapsed_s=clock.elapsed)
    source = open_style(request.style, second_stage=request.second_stage, written=False, device=request.device)
    if source.folder is None:
        raise StyleError(f"{request.style} is a font's own glyphs, not a style with a model to generate with")
    missing = source.missing(request.chars)
    chars = tuple(c for c in request.chars if c not in missing)
    if not chars:
        char, reason = next(iter(missing.items()))
        raise CharsetError(f"none of the characters can be generated: {char} (U+{ord(char):04X}): {reason}")
    with atomic_dir(out, GENERATED_GLYPHS, request.overwrite) as tmp:
        sheets: ContactSheets | None = None
        for start in range(0, len(chars), request.batch_size):
            if cancel is not None:
                cancel.raise_if_cancelled("generation")
            part = source.run(chars[start : start + request.batch_size], batch_size=request.batch_size,
                              heatmaps=request.heatmaps)  # fmt: skip
            if sheets is None:
                sheets = ContactSheets(tmp, len(chars), [k for k in HEATMAP_KINDS if k in part.heatmaps])
            _write_glyphs(tmp, part, sheets.kinds, source.trace if request.svg else None)
            sheets.add(part)
            yield Progress("generate", start + len(part.chars), len(chars), elapsed_s=clock.elapsed)
        assert sheets is not None  # chars is not empty
        report = _report(request, source, chars, missing, sheets, clock.elapsed)
        (tmp / REPORT_FILE).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    yield Progress("write", len(chars), len(chars), f"wrote {out}", elapsed_s=clock.elapsed)
    return GenerateResult(out, report)


def _report(request: GenerateRequest, source: StyleSource, chars: tuple[str, ...], missing: dict[str, str],
            sheets: ContactSheets, seconds: float) -> dict:
    """What ``generate.json`` records: what was asked, what drew it and what was written."""
    model = source.style_model
    return {
        "style": request.style,
        "model": str(resolve(model.folder)),
        "model_name": model.name,
        "kind": model.kind,
        "image_size": source.size,
        "second_stage": str(resolve(source.stage.folder)) if source.stage is not None else None,
        "chars": "".join(chars),
        "count": len(chars),
        "skipped": {**{c: "not a Han character" for c in request.non_han}, **missing},
        "heatmaps": sheets.kinds,
        "svg": request.svg,
        "contact_sheets": sheets.close(),
        "seconds": round(seconds, 3),
    }


def _write_glyphs(folder: Path, generation: Generation, kinds: Sequence[str], svg: TraceConfig | None) -> None:
    """The glyphs (and their heatmaps); with ``svg``, their outlines traced with those settings."""
    (folder / GLYPHS_DIR).mkdir(exist_ok=True)
    if kinds:
        (folder / HEATMAPS_DIR).mkdir(exist_ok=True)
    if svg is not None:
        (folder / SVG_DIR).mkdir(exist_ok=True)
    for i, char in enumerate(generation.chars):
        Image.fromarray(to_paper(generation.generated[i])).save(folder / GLYPHS_DIR / f"{char}.png")
        for kind in kinds:
            tile = overlay(generation.source[i], generation.heatmaps[kind][i])
            Image.fromarray(tile).save(folder / HEATMAPS_DIR / f"{char}-{kind}.png")
        if svg is not None:
            (folder / SVG_DIR / f"{char}.svg").write_text(glyph_svg(generation.generated[i], svg), encoding="utf-8")


class ContactSheets:
    """Contact-sheet pages of at most :data:`SHEET_ROWS` rows, each saved as soon as it is full:
    ``contact-sheet.png``, then ``contact-sheet-2.png``, ... (one page holds ~36 MB of pixels at most)."""

    def __init__(self, folder: Path, total: int, kinds: Sequence[str]) -> None:
        self.folder, self.total, self.kinds = folder, total, list(kinds)
        self.done = 0  # rows drawn on pages already saved or on the current one
        self.canvas: Image.Image | None = None
        self.row = 0
        self.names: list[str] = []

    def add(self, generation: Generation) -> None:
        for i in range(len(generation.chars)):
            if self.canvas is None:
                self.canvas = _blank_sheet(min(SHEET_ROWS, self.total - self.done), self.kinds)
                self.row = 0
            _draw_row(self.canvas, self.row, generation, i, self.kinds)
            self.row += 1
            self.done += 1
            if self.row == SHEET_ROWS:
                self._save()

    def close(self) -> list[str]:
        """Save the last page; the names of every page, in order."""
        if self.canvas is not None:
            self._save()
        return self.names

    def _save(self) -> None:
        assert self.canvas is not None
        name = SHEET_FILE if not self.names else SHEET_PAGE.format(number=len(self.names) + 1)
        self.canvas.save(self.folder / name)
        self.names.append(name)
        self.canvas = None


def _paper_rgb(ink: np.ndarray) -> np.ndarray:
    return np.repeat(to_paper(ink)[..., None], 3, axis=2)


def contact_sheet(generation: Generation, kinds: Sequence[str]) -> Image.Image:
    """One row per character: source, skeleton, generated, then each heatmap over the source glyph."""
    canvas = _blank_sheet(len(generation.chars), kinds)
    for i in range(len(generation.chars)):
        _draw_row(canvas, i, generation, i, kinds)
    return canvas


def _blank_sheet(rows: int, kinds: Sequence[str]) -> Image.Image:
    columns = ["source", "skeleton", "generated", *(k.upper() for k in kinds)]
    canvas = Image.new("RGB", (LABEL + CELL * len(columns), HEADER + CELL * rows), "white")
    draw = ImageDraw.Draw(canvas)
    for j, name in enumerate(columns):
        draw.text((LABEL + j * CELL + CELL // 2, HEADER // 2), name, fill="black", font=label_font(14), anchor="mm")
    return canvas


def _draw_row(canvas: Image.Image, row: int, generation: Generation, i: int, kinds: Sequence[str]) -> None:
    """Row ``row`` of ``canvas``: character ``i`` of ``generation``."""
    draw = ImageDraw.Draw(canvas)
    y = HEADER + row * CELL
    tiles = [_paper_rgb(generation.source[i]), _paper_rgb(generation.source_skeleton[i]),
             _paper_rgb(generation.generated[i])]  # fmt: skip
    tiles += [overlay(generation.source[i], generation.heatmaps[k][i]) for k in kinds]
    draw.text((LABEL // 2, y + CELL // 2), generation.chars[i], fill="black", font=label_font(28), anchor="mm")
    for j, tile in enumerate(tiles):
        image = Image.fromarray(tile).resize((CELL - PAD, CELL - PAD), Image.Resampling.LANCZOS)
        canvas.paste(image, (LABEL + j * CELL + PAD // 2, y + PAD // 2))
    draw.line([(0, y), (canvas.width, y)], fill=(220, 220, 220))
