"""A style, ready to draw: :func:`open_style` is the one way to open a style.

A style reference (``style:ID``, ``dir:PATH``, ``font:PATH`` or a bare name or folder: see
:func:`segan_core.styles.parse_style_ref`) becomes a :class:`StyleSource`, the glyph source that the batch
export, ``segan generate``, the evaluation, the app's Generate view and the self-test all draw with::

    style = open_style("style:ma-shan-zheng")              # its model, second stage and the writer's glyphs
    images = style.generate("永字")                         # (2, 256, 256) uint8 ink: what the font traces
    generation, upscaled = style.draw("永", heatmaps=True)  # the generator's 64 px picture, and its 256 px glyphs

What a style source holds, each said once:

- ``model``: the generator (:class:`~segan_core.inference.StyleModel`), or a font's own glyphs for ``font:PATH``;
- ``folder``: the style's model folder (``None`` for a font);
- ``stage``: its second stage (``<folder>/upscaler/``, :mod:`segan_core.upscale`), or ``None``;
- ``written``: the writer's own glyphs (``<folder>/written/``, :mod:`segan_core.written`), or ``None``;
- ``trace``: the trace settings for the images it draws (their 256 px form after a second stage);
- ``cache_identity``: what the glyph cache is keyed by (the model, the stage and the written glyphs).

Nobody else loads a style model and then looks for its upscaler or its written glyphs. How the network runs
is the caller's one choice: ``backend`` (the int8/ONNX choice of :mod:`segan_core.int8` by default; the
evaluation asks for the reference backend) and ``busy_wait`` (off in the batch export, whose trace workers
share the cores; on for the app's previews).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segan_core.errors import CheckpointError, FontError, StyleError
from segan_core.glyph_source import FontGlyphSource, GlyphSource
from segan_core.styles import StyleRef, model_folder, parse_style_ref
from segan_core.vectorize.trace import TraceConfig
from segan_core.written import WrittenGlyphs

if TYPE_CHECKING:  # loaded when a style model is opened: a font source needs no torch
    from segan_core.inference import Generation, StyleModel
    from segan_core.upscale.stage import SecondStage

DEFAULT_FONT_SIZE = 64  # image size of a ``font:PATH`` source unless asked otherwise


@dataclass(frozen=True, eq=False)
class StyleSource:
    """A style opened by :func:`open_style`; a :class:`~segan_core.glyph_source.GlyphSource` of its final glyphs."""

    model: GlyphSource  # a StyleModel for a style; FontGlyphSource for font:PATH
    folder: Path | None = None  # the model folder (None: a font, or a glyph source without one)
    stage: SecondStage | None = None
    written: WrittenGlyphs | None = None
    trace: TraceConfig = field(default_factory=TraceConfig)  # for the images this source draws
    ref: StyleRef | None = None  # the reference it was opened from

    # -- GlyphSource ---------------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """The size of the glyphs it draws: the second stage's output, else the model's."""
        return self.stage.output_size if self.stage is not None else self.model.size

    @property
    def identity(self) -> str:
        """The model's identity, plus the second stage's: the glyphs of the 64 px path and of each stage never mix."""
        return self.model.identity + (f".{self.stage.identity}" if self.stage is not None else "")

    @property
    def name(self) -> str:
        return self.model.name

    def missing(self, chars: Sequence[str]) -> dict[str, str]:
        return self.model.missing(chars)

    def generate(self, chars: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """The final glyphs of ``chars`` (after the second stage when there is one)."""
        if self.stage is None:
            return self.model.generate(chars, batch_size=batch_size)
        upscaled = self.draw(chars, batch_size=batch_size)[1]
        assert upscaled is not None  # a stage draws
        return upscaled

    # -- what a style is ------------------------------------------------------------------------------

    @property
    def cache_identity(self) -> str:
        """The glyph cache's source key: :attr:`identity`, and the written glyphs' hash when the font takes them."""
        return self.identity + (f".written-{self.written.identity}" if self.written is not None else "")

    @property
    def origin(self) -> str:
        """What made the glyphs, as a report keeps it: the model folder, or ``font:PATH`` of a font."""
        if self.folder is not None:
            return str(self.folder.resolve())
        if isinstance(self.model, FontGlyphSource):
            return f"font:{Path(self.model.renderer.path).resolve()}"
        return self.model.identity

    @property
    def generation_path(self) -> str | None:
        """How the generator runs here and why (int8 or fp32 ONNX, :mod:`segan_core.int8`), and whether a second
        stage follows it; ``None`` for a font."""
        if self.folder is None:
            return None
        reason = self.style_model.backend_reason
        return reason + ("; then the second stage (fp32 ONNX)" if self.stage is not None else "")

    @property
    def style_model(self) -> StyleModel:
        """The generator; a :class:`StyleError` for a font, which has no network (nor heatmaps)."""
        from segan_core.inference import StyleModel

        if not isinstance(self.model, StyleModel):
            raise StyleError(f"{self.name} is a font's own glyphs, not a style with a model")
        return self.model

    # -- drawing --------------------------------------------------------------------------------------

    def draw(self, chars: Sequence[str], batch_size: int = 64,
             heatmaps: bool = False) -> tuple[Generation, np.ndarray | None]:
        """The generator's full picture (source, skeleton, its glyphs and heatmaps) and the second stage's glyphs
        of the same characters (``None`` without a stage): what the Generate view shows before and after."""
        *_, last = self.draw_in_steps(chars, batch_size, heatmaps)
        return last

    def draw_in_steps(self, chars: Sequence[str], batch_size: int = 64,
                      heatmaps: bool = False) -> Iterator[tuple[Generation, np.ndarray | None]]:
        """:meth:`draw` one network at a time: ``(generation, None)`` as soon as the generator has drawn, then, for a
        style with a second stage, ``(generation, upscaled)``; a preview shows the first while the second is drawn
        (on a 2-core AVX2 CPU the stage takes about 50 ms of the 10-character preview's 170 ms)."""
        generation = self.style_model.run(chars, batch_size=batch_size, heatmaps=heatmaps)
        yield generation, None
        if self.stage is not None:
            yield generation, self.stage.upscale(generation.generated, generation.source, batch_size)

    def run(self, chars: Sequence[str], batch_size: int = 64, heatmaps: bool = False) -> Generation:
        """The generator's :class:`~segan_core.inference.Generation` with ``generated`` its final glyphs."""
        generation, upscaled = self.draw(chars, batch_size, heatmaps)
        return generation if upscaled is None else dataclasses.replace(generation, generated=upscaled)

    def release(self) -> None:
        """Drop the networks' backend state: the generator's and the second stage's sessions, rebuilt on the next call
        (for the thread budget in force then); nothing for a font."""
        if self.folder is not None:
            self.style_model.release()
        if self.stage is not None:
            self.stage.release()


def open_style(
    spec: str | StyleRef,
    *,
    size: int = DEFAULT_FONT_SIZE,
    second_stage: bool | Path = True,
    written: bool = True,
    device: str = "auto",
    backend: str | None = None,
    busy_wait: bool = True,
    trace: TraceConfig | None = None,
) -> StyleSource:
    """A style reference, ready to draw.

    ``size``: the image size of a ``font:PATH`` source (a model draws at its own). ``second_stage``: the style's
    upscaler when it has one (``True``), none (``False``), or the upscaler in this folder (a training run to
    measure). ``written``: keep the writer's own glyphs (a style learned from scans) for the font to take.
    ``backend``: the generator's inference backend (default: :data:`segan_core.inference.DEFAULT_BACKEND`).
    ``busy_wait``: see :func:`segan_core.inference.open_session`. ``trace``: the settings tuned at 64 px; the
    source keeps their 256 px form when a second stage draws. Unknown styles, folders without a model and
    missing fonts are one-line :class:`~segan_core.errors.SeganError`\\ s.
    """
    ref = parse_style_ref(spec) if isinstance(spec, str) else spec
    trace = trace or TraceConfig()
    if ref.kind == "font":
        if not ref.path.is_file():
            raise FontError(f"font file not found: {ref.path}")
        return StyleSource(FontGlyphSource(ref.path, size), trace=trace, ref=ref)
    folder = model_folder(ref)  # StyleError for an unknown name, a folder without a model or a preset
    model = _load_model(folder, ref, device, backend, busy_wait)
    stage = _load_stage(model, second_stage)
    if stage is not None:
        trace = trace.at_size(stage.output_size)
    writer = WrittenGlyphs.of_model(folder) if written else None
    return StyleSource(model, folder, stage, writer, trace, ref)


def style_origin(spec: str | StyleRef) -> str:
    """:attr:`StyleSource.origin` of a reference without loading its model (the app asks before an export)."""
    ref = parse_style_ref(spec) if isinstance(spec, str) else spec
    if ref.kind == "font":
        return f"font:{ref.path.resolve()}"
    return str(model_folder(ref).resolve())


def _load_model(folder: Path, ref: StyleRef, device: str, backend: str | None, busy_wait: bool) -> StyleModel:
    try:
        from segan_core.inference import DEFAULT_BACKEND, StyleModel
    except ImportError as exc:
        what = f"model folder {folder}" if ref.kind == "dir" else f"style {ref.value}"
        raise StyleError(f"cannot load {what}: the inference module is unavailable ({exc})") from None
    return StyleModel.load(folder, device=device, backend=backend or DEFAULT_BACKEND, busy_wait=busy_wait)


def _load_stage(model: StyleModel, second_stage: bool | Path) -> SecondStage | None:
    """The second stage the style draws with: its own, the one in a given folder, or none."""
    if second_stage is False:
        return None
    from segan_core.upscale.stage import SecondStage, load_second_stage

    if second_stage is True:
        stage = load_second_stage(model)
    else:
        stage = SecondStage.load(second_stage, model_sha256=model.weights_sha256, busy_wait=model.busy_wait)
    if stage is not None and stage.input_size != model.size:
        raise CheckpointError(f"the upscaler in {stage.folder} takes {stage.input_size} px glyphs but the style "
                              f"model draws {model.size} px")  # fmt: skip
    return stage
