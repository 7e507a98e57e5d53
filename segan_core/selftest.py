"""The installation's self-check (``segan-studio --self-test``): every bundled model, glyphs, a font.

Each step runs the core's own code on the files that ship with this installation (a checkout, a
wheel or the desktop bundle): open every bundled style as the app and the export do
(:func:`segan_core.style_source.open_style`: its model on the inference backend it would use, and its
second stage), load the skeleton GAN and the evaluator, generate ten glyphs with their heatmaps into a
folder (:mod:`segan_core.generate`), export a ten-glyph TTF (:mod:`segan_core.batch`, with a trace
worker process) and validate it (:mod:`segan_core.fontbuild.validate`). Nothing is written outside a
temporary folder. A step that fails does not stop the ones after it; the result lists every step.
"""

from __future__ import annotations

import tempfile
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from segan_core.jobs import Progress

CHARS = tuple("永字八法天地人山水风")  # ten common characters of the source font
# what a style model runs on: int8 where its check passed and the CPU has VNNI, else onnx (segan_core.int8);
# a fallback from the chosen one would mean ONNX Runtime (or its quantizer) is broken
EXPECTED_BACKENDS = ("onnx", "int8")


@dataclass(frozen=True)
class Step:
    name: str
    ok: bool
    detail: str
    seconds: float

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'}  {self.name:<34} {self.seconds:6.1f} s  {self.detail}"


@dataclass
class SelfTestResult:
    steps: list[Step] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    def summary(self) -> str:
        failed = [s.name for s in self.steps if not s.ok]
        total = sum(s.seconds for s in self.steps)
        if failed:
            return f"self-test FAILED: {len(failed)} of {len(self.steps)} steps ({', '.join(failed)})"
        return f"self-test passed: {len(self.steps)} steps in {total:.1f} s"


def data_folder_step(files: tuple[str, ...] = ()) -> Step:
    """The real user data folder checked usable (:func:`segan_core.userdata.check_data_folder`) as one step;
    the rest of the self-test runs in a temporary folder and would pass whatever state this one is in."""
    from segan_core.errors import SeganError
    from segan_core.userdata import check_data_folder

    start = time.perf_counter()
    try:
        detail, ok = f"{check_data_folder(files)} is writable", True
    except SeganError as exc:
        detail, ok = str(exc), False
    return Step("data folder", ok, detail, time.perf_counter() - start)


def run_self_test(echo: Callable[[str], None] = print, chars: tuple[str, ...] = CHARS,
                  summary: bool = True) -> SelfTestResult:
    """Run every step, printing one line per step (and the summary) through ``echo``; never raises for a
    failed step (its traceback is echoed before its line)."""
    from segan_core.resources import BUNDLED_MODELS_DIR, SOURCE_FONT
    from segan_core.styles import BASES, load_styles

    result = SelfTestResult()

    def step(name: str, action: Callable[[], str]) -> bool:
        start = time.perf_counter()
        try:
            detail, ok = action(), True
        except Exception as exc:  # a self-test reports every failure, whatever its kind
            detail, ok = f"{type(exc).__name__}: {exc}", False
            echo(traceback.format_exc().rstrip())
        done = Step(name, ok, detail, time.perf_counter() - start)
        result.steps.append(done)
        echo(done.line())
        return ok

    step("source font", lambda: _check_source_font(SOURCE_FONT, chars))
    styles = [s for s in load_styles() if s.model_dir.parent == BUNDLED_MODELS_DIR and s.has_model]
    if not styles:
        result.steps.append(Step("bundled style models", False, f"none found in {BUNDLED_MODELS_DIR}", 0.0))
        echo(result.steps[-1].line())
    for style in styles:
        step(f"load + 10 glyphs: {style.id}", lambda s=style: _style_glyphs(f"style:{s.id}", chars))
    step("load: skeleton-gan", lambda: _skeleton_gan(BUNDLED_MODELS_DIR / "skeleton-gan"))
    for base in BASES:
        step(f"load + 10 glyphs: {base}", lambda b=base: _many_hands(BUNDLED_MODELS_DIR / b, chars))
    step("load: evaluator", lambda: _evaluator(BUNDLED_MODELS_DIR / "evaluator"))
    with tempfile.TemporaryDirectory(prefix="segan-self-test-") as tmp:
        first = f"style:{styles[0].id}" if styles else f"dir:{BUNDLED_MODELS_DIR / 'ma-shan-zheng'}"
        step("generate with heatmaps", lambda: _generate(first, chars, Path(tmp) / "glyphs"))
        font = Path(tmp) / "self-test.ttf"
        if step("export a 10-glyph TTF", lambda: _export(first, chars, font)):
            step("validate the TTF", lambda: _validate(font, chars))
    if summary:
        echo(result.summary())
    return result


def _run(job: Iterator[Progress]):
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def _check_source_font(path: Path, chars: tuple[str, ...]) -> str:
    from segan_core.glyphs.render import FontRenderer

    renderer = FontRenderer(path)
    for char in chars:
        if not renderer.render(char, 64).any():
            raise AssertionError(f"{char} renders without ink from {path}")
    return f"{path.name}, {len(chars)} characters"


def _style_glyphs(style: str, chars: tuple[str, ...]) -> str:
    from segan_core.inference import HEATMAP_KINDS
    from segan_core.style_source import open_style

    source = open_style(style, device="cpu", written=False)
    model = source.style_model
    generation, upscaled = source.draw(chars, heatmaps=True)
    if model.backend not in EXPECTED_BACKENDS or model.backend != model.requested_backend:
        raise AssertionError(f"inference fell back to {model.backend} (the {model.requested_backend} backend failed)")
    _check_glyphs(generation.generated, len(chars))
    for kind in HEATMAP_KINDS:
        maps = generation.heatmaps.get(kind)
        if maps is None or len(maps) != len(chars) or not np.isfinite(maps).all() or maps.max() <= 0:
            raise AssertionError(f"the {kind} heatmaps are missing or empty")
    sizes = f"{model.size} px"
    if upscaled is not None:
        _check_glyphs(upscaled, len(chars))
        sizes += f" -> {source.size} px (second stage)"
    return f"{model.backend}, {sizes}, heatmaps {'/'.join(HEATMAP_KINDS)}"


def _check_glyphs(images: np.ndarray, count: int) -> None:
    if len(images) != count:
        raise AssertionError(f"{len(images)} glyphs for {count} characters")
    ink = (images > 127).mean(axis=(1, 2))
    if not ((ink > 0.005) & (ink < 0.8)).all():
        raise AssertionError(f"a glyph is blank or solid (ink fractions {np.round(ink, 3).tolist()})")


def _many_hands(folder: Path, chars: tuple[str, ...]) -> str:
    """The base a new writer's fine-tune starts from: it loads and its first and last codes draw the glyphs."""
    from segan_core.inference import StyleModel

    first = StyleModel.load(folder, device="cpu", backend="eager")
    codes = first.model_config.style_codes
    if not first.model_config.is_many_hands:
        raise AssertionError(f"{folder} is not a many-hands base ({codes} style codes)")
    _check_glyphs(first.generate(chars), len(chars))
    _check_glyphs(StyleModel.load(folder, device="cpu", backend="eager", category=codes - 1).generate(chars),
                  len(chars))  # fmt: skip
    return f"{codes} style codes, {first.size} px"


def _skeleton_gan(folder: Path) -> str:
    import torch

    from segan_core.training.skeleton_step import load_skeleton_generator

    generator, model = load_skeleton_generator(folder)
    size = model.image_size
    with torch.inference_mode():
        out = generator(torch.zeros(1, 1, size, size))
    if not torch.isfinite(out).all():
        raise AssertionError("the skeleton generator gave non-finite values")
    return f"{size} px"


def _evaluator(folder: Path) -> str:
    from segan_core.evaluation.classifier import GlyphClassifier

    classifier = GlyphClassifier.load(folder)
    return f"{len(classifier.config.chars)} characters, {len(classifier.config.fonts)} fonts"


def _generate(style: str, chars: tuple[str, ...], out: Path) -> str:
    from segan_core.generate import GenerateRequest, generate_to_folder

    result = _run(generate_to_folder(GenerateRequest(style=style, chars=chars, out=out, heatmaps=True,
                                                     device="cpu")))
    glyphs = sorted((result.out / "glyphs").glob("*.png"))
    heatmaps = sorted((result.out / "heatmaps").glob("*.png"))
    if len(glyphs) != len(chars) or len(heatmaps) != 3 * len(chars):
        raise AssertionError(f"{len(glyphs)} glyph and {len(heatmaps)} heatmap files for {len(chars)} characters")
    if not (result.out / "contact-sheet.png").is_file():
        raise AssertionError("no contact sheet")
    return f"{len(glyphs)} glyphs, {len(heatmaps)} heatmaps, contact sheet"


def _export(style: str, chars: tuple[str, ...], font: Path) -> str:
    from segan_core.batch import BatchRequest, export_font

    request = BatchRequest(source=style, chars=chars, out=font, workers=1, use_cache=False, timestamp=0)
    result = _run(export_font(request))
    written = result.report.hanzi_written
    if written != len(chars):
        raise AssertionError(f"{written} of {len(chars)} characters in the font")
    return f"{written} hanzi, {font.stat().st_size // 1024} KB (one trace worker process)"


def _validate(font: Path, chars: tuple[str, ...]) -> str:
    from segan_core.fontbuild.validate import validate_font

    checks = validate_font(font, chars)
    failed = [c for c in checks if not c.ok]
    if failed:
        raise AssertionError("; ".join(str(c) for c in failed))
    return ", ".join(c.name for c in checks)
