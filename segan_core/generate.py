"""Generate a few glyphs to files: the command-line twin of the app's Generate view (``segan generate``).

For each character the output folder gets the generated glyph (``glyphs/永.png``, black on white),
optionally its traced outline (``svg/永.svg``), its attention heatmaps over the source glyph
(``heatmaps/永-cam.png``, ``-sram``, ``-cram``; SE-GAN models only) and one contact sheet
(``contact-sheet.png``: source, skeleton, generated and heatmaps, one row per character).
``generate.json`` records what was asked and written, and marks the folder as ours
(:data:`segan_core.outputs.GENERATED_GLYPHS`): it is written atomically, and a later run may replace it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from segan_core.atomic import atomic_dir
from segan_core.errors import CharsetError
from segan_core.evaluation.figures import overlay
from segan_core.glyphs.render import label_font, to_paper
from segan_core.inference import HEATMAP_KINDS, Generation, load_style_model
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.outputs import GENERATED_GLYPHS, check_output_dir, resolve
from segan_core.vectorize.svg import glyph_svg

CELL = 96  # contact-sheet tile, px
PAD = 4
LABEL = 56  # left column: the character
HEADER = 28


@dataclass(frozen=True)
class GenerateRequest:
    style: str  # a style id with a model, or a model folder
    chars: tuple[str, ...]  # Han characters, distinct, in order
    out: Path
    svg: bool = False
    heatmaps: bool = True
    overwrite: bool = False
    device: str = "auto"
    batch_size: int = 64
    non_han: tuple[str, ...] = ()  # skipped by the caller; recorded in generate.json


@dataclass(frozen=True)
class GenerateResult:
    out: Path
    report: dict


def generate_to_folder(request: GenerateRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """A job: load the model, generate the characters it can, write the folder; returns a :class:`GenerateResult`."""
    clock = Stopwatch()
    out = check_output_dir(request.out, GENERATED_GLYPHS, request.overwrite)  # refused before the work
    if not request.chars:
        raise CharsetError("no Han characters to generate; give some with --text")
    yield Progress("load", 0, None, f"loading {request.style}", elapsed_s=clock.elapsed)
    model = load_style_model(request.style, device=request.device)
    missing = model.missing(request.chars)
    chars = tuple(c for c in request.chars if c not in missing)
    if not chars:
        char, reason = next(iter(missing.items()))
        raise CharsetError(f"none of the characters can be generated: {char} (U+{ord(char):04X}): {reason}")
    parts: list[Generation] = []
    for start in range(0, len(chars), request.batch_size):
        if cancel is not None:
            cancel.raise_if_cancelled("generation")
        parts.append(model.run(chars[start : start + request.batch_size], heatmaps=request.heatmaps))
        yield Progress("generate", start + len(parts[-1].chars), len(chars), elapsed_s=clock.elapsed)
    generation = _concatenate(parts)
    kinds = [k for k in HEATMAP_KINDS if k in generation.heatmaps]
    with atomic_dir(out, GENERATED_GLYPHS, request.overwrite) as tmp:
        _write_glyphs(tmp, generation, kinds, request.svg)
        contact_sheet(generation, kinds).save(tmp / "contact-sheet.png")
        report = {
            "style": request.style,
            "model": str(resolve(model.folder)),
            "model_name": model.name,
            "kind": model.kind,
            "image_size": model.size,
            "chars": "".join(chars),
            "count": len(chars),
            "skipped": {**{c: "not a Han character" for c in request.non_han}, **missing},
            "heatmaps": kinds,
            "svg": request.svg,
            "seconds": round(clock.elapsed, 3),
        }
        (tmp / GENERATED_GLYPHS.marker).write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n",
                                                  encoding="utf-8")
    yield Progress("write", len(chars), len(chars), f"wrote {out}", elapsed_s=clock.elapsed)
    return GenerateResult(out, report)


def _concatenate(parts: Sequence[Generation]) -> Generation:
    if len(parts) == 1:
        return parts[0]
    return Generation(
        chars=tuple(c for p in parts for c in p.chars),
        source=np.concatenate([p.source for p in parts]),
        source_skeleton=np.concatenate([p.source_skeleton for p in parts]),
        generated=np.concatenate([p.generated for p in parts]),
        heatmaps={k: np.concatenate([p.heatmaps[k] for p in parts]) for k in parts[0].heatmaps},
    )


def _write_glyphs(folder: Path, generation: Generation, kinds: Sequence[str], svg: bool) -> None:
    (folder / "glyphs").mkdir()
    if kinds:
        (folder / "heatmaps").mkdir()
    if svg:
        (folder / "svg").mkdir()
    for i, char in enumerate(generation.chars):
        Image.fromarray(to_paper(generation.generated[i])).save(folder / "glyphs" / f"{char}.png")
        for kind in kinds:
            tile = overlay(generation.source[i], generation.heatmaps[kind][i])
            Image.fromarray(tile).save(folder / "heatmaps" / f"{char}-{kind}.png")
        if svg:
            (folder / "svg" / f"{char}.svg").write_text(glyph_svg(generation.generated[i]), encoding="utf-8")


def _paper_rgb(ink: np.ndarray) -> np.ndarray:
    return np.repeat(to_paper(ink)[..., None], 3, axis=2)


def contact_sheet(generation: Generation, kinds: Sequence[str]) -> Image.Image:
    """One row per character: source, skeleton, generated, then each heatmap over the source glyph."""
    columns = ["source", "skeleton", "generated", *(k.upper() for k in kinds)]
    width = LABEL + CELL * len(columns)
    canvas = Image.new("RGB", (width, HEADER + CELL * len(generation.chars)), "white")
    draw = ImageDraw.Draw(canvas)
    for j, name in enumerate(columns):
        draw.text((LABEL + j * CELL + CELL // 2, HEADER // 2), name, fill="black", font=label_font(14), anchor="mm")
    for i, char in enumerate(generation.chars):
        y = HEADER + i * CELL
        tiles = [_paper_rgb(generation.source[i]), _paper_rgb(generation.source_skeleton[i]),
                 _paper_rgb(generation.generated[i])]
        tiles += [overlay(generation.source[i], generation.heatmaps[k][i]) for k in kinds]
        draw.text((LABEL // 2, y + CELL // 2), char, fill="black", font=label_font(28), anchor="mm")
        for j, tile in enumerate(tiles):
            image = Image.fromarray(tile).resize((CELL - PAD, CELL - PAD), Image.Resampling.LANCZOS)
            canvas.paste(image, (LABEL + j * CELL + PAD // 2, y + PAD // 2))
        draw.line([(0, y), (width, y)], fill=(220, 220, 220))
    return canvas
