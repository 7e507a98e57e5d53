"""A style, ready to draw (issue 30): every drawer opens a style through ``open_style`` and draws the same glyphs.

The pin: the font export, ``segan generate`` and the app's Generate view (its worker) draw the same 256 px glyph
for the same style and character: the style's generator followed by its second stage.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segan_core import cli
from segan_core.batch import BatchRequest, export_font
from segan_core.errors import FontError, StyleError
from segan_core.jobs import run_to_end
from segan_core.resources import BUNDLED_MODELS_DIR
from segan_core.style_source import open_style, style_origin
from segan_core.upscale.stage import UPSCALER_DIR

from .conftest import MA_SHAN_ZHENG

STYLE = "ma-shan-zheng"  # a bundled style with a second stage
CHARS = "永字"


def _exported(tmp_path: Path) -> dict[str, np.ndarray]:
    """The glyphs a font export drew: the bitmaps it cached before tracing them."""
    request = BatchRequest(source=f"style:{STYLE}", chars=tuple(CHARS), out=tmp_path / "font" / "Pin.ttf",
                           cache_dir=tmp_path / "cache", workers=0, fallback_glyphs=False, timestamp=0)  # fmt: skip
    report = run_to_end(export_font(request)).report
    assert report.source.image_size == 256 and report.hanzi_written == len(CHARS)
    cache = report.open_cache()
    assert cache is not None
    with cache:
        return {c: cache.get_bitmap(c, 256) for c in CHARS}


def _generated(tmp_path: Path) -> dict[str, np.ndarray]:
    """The glyphs ``segan generate`` wrote (black on white PNGs)."""
    out = tmp_path / "generated"
    assert cli.main(["generate", "--style", STYLE, "--text", CHARS, "--out", str(out), "--no-heatmaps",
                     "--quiet"]) == 0  # fmt: skip
    return {c: 255 - np.asarray(Image.open(out / "glyphs" / f"{c}.png").convert("L")) for c in CHARS}


def _previewed() -> dict[str, np.ndarray]:
    """The glyphs the Generate view's worker draws (the view shows ``upscaled`` while its switch is on)."""
    pytest.importorskip("PySide6")
    from app.views.generate import generate_results, load_style

    source = load_style(f"style:{STYLE}", device="cpu")
    results: dict[str, np.ndarray] = {}
    for event in generate_results(source, tuple(CHARS)):
        results.update({c: r.upscaled for c, r in event.payload.items()})
    return results


def test_export_generate_and_the_preview_draw_the_same_256px_glyph(tmp_path):
    assert (BUNDLED_MODELS_DIR / STYLE / UPSCALER_DIR).is_dir()
    exported, generated, previewed = _exported(tmp_path), _generated(tmp_path), _previewed()
    for char in CHARS:
        assert exported[char] is not None and exported[char].shape == (256, 256)
        assert np.array_equal(generated[char], exported[char]), char
        assert np.array_equal(previewed[char], exported[char]), char


def test_the_preview_shows_the_generators_glyphs_before_the_second_stage_redraws_them():
    """Issue 29: each chunk comes twice from a style with a second stage, the generator's glyphs (with heatmaps and
    skeletons) first, then the same with the stage's 256 px glyphs; a style without one, once."""
    pytest.importorskip("PySide6")
    from app.views.generate import generate_results, load_style

    source = load_style(f"style:{STYLE}", device="cpu")
    first, second = list(generate_results(source, tuple(CHARS)))
    assert list(first.payload) == list(second.payload) == list(CHARS) and first.done == second.done == len(CHARS)
    for char in CHARS:
        early, late = first.payload[char], second.payload[char]
        assert early.upscaled is None and late.upscaled is not None and late.upscaled.shape == (256, 256)
        assert early.generated is late.generated and set(early.heatmaps) == {"cam", "sram", "cram"}
    _, upscaled = source.draw(tuple(CHARS))
    assert np.array_equal(np.stack([second.payload[c].upscaled for c in CHARS]), upscaled)
    alone = open_style(f"dir:{source.folder}", second_stage=False, device="cpu")
    (only,) = generate_results(alone, tuple(CHARS))
    assert all(r.upscaled is None for r in only.payload.values())
    steps = list(alone.draw_in_steps(tuple(CHARS)))
    assert len(steps) == 1 and steps[0][1] is None


def test_a_style_source_says_what_it_is(tmp_path):
    style = open_style(f"style:{STYLE}", device="cpu", backend="eager")
    assert style.folder == BUNDLED_MODELS_DIR / STYLE and style.stage is not None and style.written is None
    assert style.size == 256 and style.trace.upsample == 1  # the 256 px trace settings
    assert style.identity == f"{style.model.identity}.{style.stage.identity}" == style.cache_identity
    assert style.origin == str((BUNDLED_MODELS_DIR / STYLE).resolve()) == style_origin(STYLE)
    generation, upscaled = style.draw("永", heatmaps=True)
    assert generation.generated.shape == (1, 64, 64) and upscaled is not None and upscaled.shape == (1, 256, 256)
    assert set(generation.heatmaps) == {"cam", "sram", "cram"}
    alone = open_style(f"dir:{style.folder}", second_stage=False, device="cpu", backend="eager")
    assert alone.stage is None and alone.size == 64 and alone.identity == style.model.identity
    font = open_style(f"font:{MA_SHAN_ZHENG}", size=32)
    assert font.folder is None and font.size == 32 and font.generation_path is None
    assert font.origin == f"font:{Path(MA_SHAN_ZHENG).resolve()}" and font.generate("永").shape == (1, 32, 32)
    with pytest.raises(StyleError, match="not a style with a model"):
        font.draw("永")
    with pytest.raises(FontError, match="font file not found"):
        open_style(f"font:{tmp_path / 'none.ttf'}")
    with pytest.raises(StyleError, match="names a preset"):
        open_style("preset:fast")
