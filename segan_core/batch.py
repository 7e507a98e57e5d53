"""The whole-charset export job: generate glyphs -> trace outlines -> build fonts.

:func:`export_font` is a generator yielding :class:`~segan_core.jobs.Progress` and returning a
:class:`BatchResult`; the CLI (``segan batch``) and the GUI drive it the same way::

    request = BatchRequest(source="ma-shan-zheng", chars=gb2312_hanzi(), out=Path("out/MaShan.ttf"))
    result = run_to_end(export_font(request, CancelToken()))

How it runs:

- **check** — characters the source cannot produce are skipped, each with its reason.
- **glyphs** — in chunks of ``chunk_size`` characters: bitmaps come from the cache or the source
  (``generate`` in batches of ``batch_size``), are stored in the cache, and are traced in a process
  pool (``workers``) while the next chunk is generated. Outlines go straight to the cache; only two
  chunks of images are ever in memory.
- **build** — each format is assembled from the cached outlines (read one at a time), validated
  (OTS, fontTools, FreeType) and only then renamed into place together with the report; a cancel or
  an error leaves no partial font.

Everything cached is keyed by (source identity, trace config, character), so a killed job resumes
where it stopped and a second export of the same style is fast.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import json
import math
import multiprocessing
import os
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from segan_core import __version__
from segan_core.atomic import atomic_path, atomic_tree, ensure_writable_dir, write_text_atomic
from segan_core.batch_report import (
    BatchReport,
    CacheInfo,
    GateReport,
    SourceInfo,
    check_batch_outputs,
    describe_maker,
    previous_source,
    same_maker,
)
from segan_core.cache import GlyphCache, default_cache_dir
from segan_core.errors import CharsetError, FontError, OutputError, SeganError
from segan_core.fontbuild.builder import FORMATS, FontInfo, build_font, save_font
from segan_core.fontbuild.fallback import (
    ARPHIC_COPYRIGHT,
    ARPHIC_LICENCE,
    ARPHIC_LICENCE_URL,
    FallbackFont,
    fallback_codepoints,
)
from segan_core.fontbuild.glyphs import GlyphRecord, glyph_name
from segan_core.fontbuild.layout import GlyphLayout
from segan_core.fontbuild.metrics import ADVANCE
from segan_core.fontbuild.naming import FontNames
from segan_core.fontbuild.ufo import check_ufo, ufo_keeps, write_ufo
from segan_core.fontbuild.validate import require_valid
from segan_core.fontbuild.vertical import vertical_records
from segan_core.glyph_source import GlyphSource
from segan_core.glyphs.embox import IMAGE_SIZES
from segan_core.jobs import CancelToken, Progress, Stopwatch
from segan_core.recognizer import QualityGate
from segan_core.resources import SOURCE_FONT
from segan_core.style_source import DEFAULT_FONT_SIZE, StyleSource, open_style
from segan_core.vectorize.trace import TraceConfig, TracedGlyph
from segan_core.vectorize.worker import trace_task, worker_init
from segan_core.written import WrittenGlyphs, compare_ink

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

TRACE_TASK = 32  # glyphs per process-pool task
POOL_RESTARTS = 3  # trace pools made again after a worker died, per export, before the export gives up
BLANK_REASON = "blank glyph: no ink left after thresholding"


@dataclass(frozen=True)
class BatchRequest:
    """Everything an export needs. ``source`` is a style reference (``style:ID``, ``dir:PATH``, ``font:PATH``;
    opened by :func:`open_source`), a style already opened that way, or any other :class:`GlyphSource`."""

    source: StyleSource | GlyphSource | str
    chars: tuple[str, ...]
    out: Path  # the main font path; other formats are written beside it with their own suffix
    formats: tuple[str, ...] = ("ttf",)
    family: str | None = None  # default: "Segan <source name>"
    version: str = "1.000"
    names: FontNames = field(default_factory=FontNames)  # designer, vendor ID, licence, Chinese family name ...
    trace: TraceConfig = field(default_factory=TraceConfig)
    workers: int = 2  # trace processes; 0 = trace in this process
    batch_size: int = 64  # glyphs per generate() call
    chunk_size: int = 256  # glyphs in flight per pipeline step (memory stays flat)
    cache_dir: Path | None = None  # None = default_cache_dir()
    use_cache: bool = True  # False: a temporary cache, deleted at the end
    fallback_glyphs: bool = True  # copy ASCII and CJK punctuation from fallback_font
    fallback_font: Path = SOURCE_FONT
    report_path: Path | None = None  # JSON report; a .txt twin is written beside it. None = beside the font
    quality_gate: QualityGate | None = None  # (chars, images) -> {unreadable char: what was read}; off by default
    drop_unreadable: bool = False  # leave characters the quality gate rejects out of the font
    timestamp: int | None = None  # head.created/modified (Unix s); None = $SOURCE_DATE_EPOCH or now
    font_size: int = DEFAULT_FONT_SIZE  # image size when ``source`` is ``font:PATH``
    non_han: tuple[str, ...] = ()  # characters the charset parser left out, for the report only
    # a style learned from scans keeps the writer's own glyphs (segan_core.written): put those in the font and
    # generate only the rest; False = generate every character
    use_written: bool = True
    overwrite: bool = False  # replace existing files that are not this export's previous output
    # a style with a second stage (<model folder>/upscaler/, segan_core.upscale) draws its glyphs at 256 px with
    # it and traces them with the 256 px settings; False = the 64 px glyphs, as for a style without one
    upscaler: bool = True
    # font-wide size, baseline and spacing of the Hanzi, applied as the font is built (the cache keeps the glyphs
    # as drawn, so another layout rebuilds the font from cached outlines)
    layout: GlyphLayout = field(default_factory=GlyphLayout)

    def output_paths(self) -> dict[str, Path]:
        return {fmt: self.out.with_suffix(f".{fmt}") for fmt in self.formats}

    def report_paths(self) -> tuple[Path, Path]:
        json_path = self.report_path or self.out.with_name(f"{self.out.stem}.report.json")
        return json_path, json_path.with_suffix(".txt")


@dataclass(frozen=True)
class BatchResult:
    paths: dict[str, Path]  # format -> font file written
    report: BatchReport
    report_paths: tuple[Path, Path]  # JSON, text


# -- sources -------------------------------------------------------------------------------------


def open_source(request: BatchRequest) -> StyleSource:
    """The request's style as the export draws it (:func:`~segan_core.style_source.open_style`): with its second
    stage unless ``request.upscaler`` is off, the writer's glyphs unless ``request.use_written`` is off, and
    sessions that do not busy-wait (the trace workers share the cores). A :class:`StyleSource` is used as it is;
    another glyph source draws alone (no second stage, no written glyphs)."""
    source = request.source
    if isinstance(source, StyleSource):
        return source
    if isinstance(source, str):
        return open_style(source, size=request.font_size, second_stage=request.upscaler, written=request.use_written,
                          busy_wait=False, trace=request.trace)  # fmt: skip
    return StyleSource(source, trace=request.trace)


def replaced_maker(request: BatchRequest, name: str, origin: str) -> str | None:
    """None, or what an export of ``name`` (from ``origin``) would replace without asking: "FONT.ttf was made
    from Kouzan Mouhitsu Gyosho (model folder ...)", a previous export of another style or model."""
    fonts = list(request.output_paths().values())
    old = previous_source(request.report_paths()[0], fonts)
    if old is None or same_maker(old, name, origin):
        return None
    existing = next(f for f in fonts if f.exists())
    return f"{existing} was made from {describe_maker(old)}, not from {name}"


def _check_maker(request: BatchRequest, source: StyleSource) -> None:
    """Refuse, before any glyph is made, to replace a previous export of another style or model unless
    ``request.overwrite``."""
    if request.overwrite:
        return
    clash = replaced_maker(request, source.name, source.origin)
    if clash is not None:
        raise OutputError(f"{clash}; choose another file or family name, or pass --overwrite to replace it")


# -- the job -------------------------------------------------------------------------------------


@dataclass
class _Stats:
    stage_s: dict[str, float] = field(default_factory=dict)
    bitmap_hits: int = 0
    outline_hits: int = 0
    generated: int = 0
    traced: int = 0
    trace_cpu_s: float = 0.0
    unreadable: dict[str, str] = field(default_factory=dict)  # char -> what the quality gate's recognizer read

    def add(self, stage: str, seconds: float) -> None:
        self.stage_s[stage] = self.stage_s.get(stage, 0.0) + seconds

    @contextlib.contextmanager
    def timed(self, stage: str) -> Iterator[None]:
        """Add the wall time of the ``with`` block to ``stage`` (the report's stage seconds)."""
        start = time.monotonic()
        yield
        self.add(stage, time.monotonic() - start)


@dataclass
class _Export:
    """What the steps of one export share: the request and the running tallies, then what each step
    fills in for the ones after it (the ``init=False`` fields, in the order :func:`export_font` runs the steps)."""

    request: BatchRequest
    cancel: CancelToken
    clock: Stopwatch = field(default_factory=Stopwatch)
    stats: _Stats = field(default_factory=_Stats)
    skipped: dict[str, str] = field(default_factory=dict)  # character -> why it is left out
    validation: dict[str, list[str]] = field(default_factory=dict)  # output format -> its checks
    # _prepare
    source: StyleSource = field(init=False)  # its trace settings, and the writer's own glyphs (a style from scans)
    fallback: FallbackFont | None = field(init=False)
    # _open_cache
    cache: GlyphCache = field(init=False)
    # _plan
    chars: tuple[str, ...] = field(init=False)  # the request's characters, each once
    cached: set[str] = field(init=False)  # characters whose outline is in the cache
    todo: list[str] = field(init=False)  # characters to put in the font, in order
    # _build_fonts
    in_font: list[str] = field(init=False)  # the Hanzi that made it into the font
    info: FontInfo = field(init=False)
    paths: dict[str, Path] = field(init=False)  # format -> where its font goes


def export_font(request: BatchRequest, cancel: CancelToken | None = None) -> Iterator[Progress]:
    """Generate, trace and build; yields progress, returns a :class:`BatchResult`.

    Raises a :class:`~segan_core.errors.SeganError` with a one-line message for bad input, and
    :class:`~segan_core.errors.Cancelled` when ``cancel`` fires; in both cases no font is written
    (the glyph cache keeps what was done, so the next run resumes).
    """
    job = _Export(request, cancel or CancelToken())
    _check_request(request)
    yield from _prepare(job)
    with contextlib.ExitStack() as stack:  # closing it renames every font into place (after a cancel: none)
        yield from _open_cache(job, stack)
        yield from _plan(job)
        with job.stats.timed("glyphs (wall)"):
            yield from _glyph_pipeline(job, stack)
        yield from _build_fonts(job, stack)
        job.cancel.raise_if_cancelled("batch export")
        report = _report(job)
    result = _write_report(job, report)  # the report follows the fonts
    count = len(job.in_font)
    yield Progress("done", count, count, f"wrote {', '.join(p.name for p in result.paths.values())}",
                   payload=result, elapsed_s=job.clock.elapsed)  # fmt: skip
    return result


def _check_request(request: BatchRequest) -> None:
    if not request.chars:
        raise CharsetError("the character set is empty: nothing to export")
    if request.font_size not in IMAGE_SIZES:
        raise SeganError(
            f"image size {request.font_size} is not supported; choose one of {', '.join(map(str, IMAGE_SIZES))}"
        )
    unknown = [f for f in request.formats if f not in FORMATS]
    if unknown or not request.formats:
        raise OutputError(f"unknown font format(s) {', '.join(unknown) or '(none)'}; choose from {', '.join(FORMATS)}")
    if request.workers < 0 or request.batch_size < 1 or request.chunk_size < 1:
        raise OutputError("workers must be >= 0 and batch/chunk sizes >= 1")
    try:  # bad naming is refused before any glyph is made
        FontInfo(family=request.family or "Segan", version=request.version, vendor_id=request.names.vendor_id)
    except ValueError as exc:
        raise OutputError(f"invalid font naming: {exc}") from None
    check_batch_outputs(list(request.output_paths().values()), *request.report_paths(), request.overwrite)
    for path in [*request.output_paths().values(), *request.report_paths()]:
        ensure_writable_dir(path.parent)
        if path.exists() and not os.access(path, os.W_OK):
            raise OutputError(f"output file is not writable: {path}")
    if request.fallback_glyphs and not Path(request.fallback_font).is_file():
        raise FontError(f"fallback glyph font not found: {request.fallback_font}")


# -- prepare: the glyph source --------------------------------------------------------------------


def _prepare(job: _Export) -> Iterator[Progress]:
    """Open the style (with its second stage and the writer's glyphs) and the fallback font."""
    request = job.request
    yield Progress("prepare", 0, None, "loading the glyph source", elapsed_s=job.clock.elapsed)
    job.source = open_source(request)
    _check_maker(request, job.source)
    path = job.source.generation_path
    if path:  # a stage line of its own, so a log (not a terminal) keeps it
        yield Progress("path", 0, None, path, elapsed_s=job.clock.elapsed)
    job.fallback = FallbackFont(request.fallback_font) if request.fallback_glyphs else None
    job.stats.add("prepare", job.clock.elapsed)


# -- the glyph cache ------------------------------------------------------------------------------


def _open_cache(job: _Export, stack: contextlib.ExitStack) -> Iterator[Progress]:
    """Check the disk space and open the cache, keyed by the source (and the writer's glyphs) and the trace."""
    request, source = job.request, job.source
    cache_root = (request.cache_dir or default_cache_dir()) if request.use_cache else _temporary_cache(stack)
    yield Progress("disk", 0, None, check_disk_space(request, cache_root, source.size), elapsed_s=job.clock.elapsed)
    job.cache = stack.enter_context(GlyphCache(cache_root, source.cache_identity, source.trace.key))


def cache_key(request: BatchRequest) -> tuple[str, str]:
    """(source identity, trace key) of the glyph cache ``export_font(request)`` uses: with the style's
    second stage and its 256 px trace settings, and the writer's own glyphs, exactly as the export opens them."""
    source = open_source(request)
    return source.cache_identity, source.trace.key


def _temporary_cache(stack: contextlib.ExitStack) -> Path:
    """A cache for ``use_cache=False``: deleted when ``stack`` closes."""
    try:
        root = Path(tempfile.mkdtemp(prefix="segan-batch-"))
    except OSError as exc:
        raise OutputError(f"cannot create a temporary glyph cache in {tempfile.gettempdir()}: "
                          f"{exc.strerror or exc}") from None  # fmt: skip
    stack.callback(shutil.rmtree, root, True)
    return root


# -- disk space ----------------------------------------------------------------------------------


# disk use per glyph, measured on GB2312 level 1 at 64 px (3755 glyphs): the cache holds 5.3 KB
# (bitmap + outline), a TTF 0.85 KB, an OTF 0.64 KB, a WOFF2 0.45 KB; with a margin, and twice the
# fonts (the temp copy is written while a previous font still exists)
CACHE_BYTES_PER_GLYPH_64 = 8 * 1024
# a UFO keeps one .glif file per glyph: 10.0-12.5 KB for Hanzi traced from Ma Shan Zheng at 64 px (8 measured);
# with 4 KB block rounding and a margin
UFO_BYTES_PER_GLYPH = 16 * 1024
FONT_BYTES_PER_GLYPH = {"ttf": 1300, "otf": 1000, "woff2": 700, "ufo": UFO_BYTES_PER_GLYPH}


def disk_need(request: BatchRequest, size: int) -> tuple[int, int]:
    """Bytes the export may write: (into the glyph cache, beside the font)."""
    glyphs = len(set(request.chars))
    cache = int(glyphs * CACHE_BYTES_PER_GLYPH_64 * max(1.0, (size / 64) ** 2))
    fonts = 2 * glyphs * sum(FONT_BYTES_PER_GLYPH.get(f, 1300) for f in request.formats) + (1 << 20)
    return cache, fonts


def check_disk_space(request: BatchRequest, cache_root: Path, size: int) -> str:
    """Refuse up front, with one line, an export that cannot fit; else say where the cache is and what it needs."""
    cache_need, font_need = disk_need(request, size)
    font_dir = request.out.parent
    cache_free = _free_bytes(cache_root)
    font_free = _free_bytes(font_dir)
    same_disk = _device(cache_root) == _device(font_dir)
    mb = 1 << 20
    if same_disk and cache_free is not None and cache_free < cache_need + font_need:
        raise OutputError(
            f"not enough disk space: the export needs about {(cache_need + font_need) / mb:.0f} MB "
            f"(glyph cache in {cache_root} and fonts in {font_dir}), {cache_free / mb:.0f} MB free"
        )
    if cache_free is not None and cache_free < cache_need:
        raise OutputError(
            f"not enough disk space for the glyph cache in {cache_root}: needs about {cache_need / mb:.0f} MB, "
            f"{cache_free / mb:.0f} MB free (use --cache-dir on another disk)"
        )
    if font_free is not None and font_free < font_need:
        raise OutputError(
            f"not enough disk space in {font_dir}: the fonts need about {font_need / mb:.0f} MB, "
            f"{font_free / mb:.0f} MB free"
        )
    free = f"{cache_free / mb:.0f} MB free" if cache_free is not None else "free space unknown"
    return (f"glyph cache {cache_root} ({free}); this export needs about {cache_need / mb:.0f} MB there "
            f"and {font_need / mb:.0f} MB beside {request.out.name}")


def _existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path.parent != path:
        path = path.parent
    return path


def _free_bytes(path: Path) -> int | None:
    try:
        return shutil.disk_usage(_existing(path)).free
    except OSError:
        return None


def _device(path: Path) -> int | None:
    try:
        return _existing(path).stat().st_dev
    except OSError:
        return None


# -- plan: what to generate ------------------------------------------------------------------------


def _plan(job: _Export) -> Iterator[Progress]:
    """Leave out what the source cannot produce (characters already traced need no check), then put the
    writer's own glyphs in the cache, traced at their own resolution; the pipeline then finds them cached."""
    with job.stats.timed("check"):
        job.chars = tuple(dict.fromkeys(job.request.chars))
        job.cached = job.cache.outline_chars()
        yield from _find_missing(job)
        job.todo = [c for c in job.chars if c not in job.skipped]
    if not job.todo:
        first = next(iter(job.skipped.items()))
        raise FontError(
            f"{job.source.name} cannot produce any of the {len(job.chars)} requested characters "
            f"(e.g. {first[0]} U+{ord(first[0]):04X}: {first[1]})"
        )
    if job.source.written is not None:
        yield from _trace_written(job, job.source.written)


def _find_missing(job: _Export, step: int = 512) -> Iterator[Progress]:
    """Ask the source, ``step`` characters at a time, which uncached characters it cannot produce, and why."""
    unchecked = [c for c in job.chars if c not in job.cached]
    for start in range(0, len(unchecked), step):
        job.cancel.raise_if_cancelled("batch export")
        job.skipped.update(job.source.missing(unchecked[start : start + step]))
        yield Progress("check", start, len(unchecked), elapsed_s=job.clock.elapsed)


def _trace_written(job: _Export, written: WrittenGlyphs) -> Iterator[Progress]:
    """Trace the written glyphs of ``todo`` (not yet cached) at their own resolution into the outline cache."""
    request, cache, cached, todo, stats = job.request, job.cache, job.cached, job.todo, job.stats
    chars = [c for c in todo if c in written.files and c not in cached]
    with stats.timed("written"):
        for i, char in enumerate(chars):
            if i % TRACE_TASK == 0:
                job.cancel.raise_if_cancelled("batch export")
                yield Progress("written", i, len(chars), "tracing the writer's own glyphs",
                               elapsed_s=job.clock.elapsed)
            ink = written.ink(char)
            seconds, blobs = trace_task(ink[None], request.trace.at_size(ink.shape[0]))
            stats.trace_cpu_s += seconds
            cache.put_outline_bytes(char, blobs[0])
            cached.add(char)
        cache.commit()
        for char in todo:
            if char in written.files:
                blob = cache.get_outline_bytes(char)
                if blob is not None and TracedGlyph.bytes_is_empty(blob):
                    job.skipped[char] = BLANK_REASON


# -- glyphs: generate -> trace, streamed through the cache ----------------------------------------


def _glyph_pipeline(job: _Export, stack: contextlib.ExitStack) -> Iterator[Progress]:
    """Chunks of characters: cached outline, or bitmap (cache or generate) -> trace -> cache."""
    request, todo, total = job.request, job.todo, len(job.todo)
    tracer = _Tracer(job, stack)
    for start in range(0, total, request.chunk_size):
        job.cancel.raise_if_cancelled("batch export")
        chunk = todo[start : start + request.chunk_size]
        tracer.store_finished()
        ready = _cached_outlines(job, chunk)
        ready_set = set(ready)
        need = [c for c in chunk if c not in ready_set]
        images = _bitmaps(job, need, between=tracer.store_finished)
        if request.quality_gate is not None:
            _apply_quality_gate(job, chunk, need, images)
        tracer.submit(need, images)
        tracer.done += len(ready)
        if ready and not need:
            yield Progress("glyphs", tracer.done, total, _pipeline_message(job.stats), elapsed_s=job.clock.elapsed)
        yield from tracer.drain(tracer.backlog)  # keep about one chunk tracing while the next one is generated
        del images
    yield from tracer.drain(0)
    if job.cache.corrupt:
        names = ", ".join(f"{c} (U+{ord(c):04X}) {kind}" for c, kind in job.cache.corrupt[:5])
        yield Progress("glyphs", tracer.done, total, f"regenerated {len(job.cache.corrupt)} corrupt cache entries: "
                       f"{names}", elapsed_s=job.clock.elapsed)  # fmt: skip


def _cached_outlines(job: _Export, chunk: list[str]) -> list[str]:
    """The characters of ``chunk`` whose outline is in the cache (checksum verified); blank ones are skipped."""
    cache, cached, skipped = job.cache, job.cached, job.skipped
    ready = []
    for char in chunk:
        blob = cache.get_outline_bytes(char) if char in cached else None
        if blob is None:
            continue
        ready.append(char)
        if TracedGlyph.bytes_is_empty(blob):
            skipped[char] = BLANK_REASON
    job.stats.outline_hits += len(ready)
    return ready


@dataclass
class _Task:
    """One trace task: its characters, their images (kept to trace them again if the pool breaks), and its
    future (a pool) or its result (``workers=0``)."""

    chars: list[str]
    images: np.ndarray
    future: cf.Future | tuple[float, list[bytes]]


class _Tracer:
    """Traces images in a process pool (or in this process with ``workers=0``), ``TRACE_TASK`` at a time,
    and puts the outlines in the cache in order; ``done`` counts the characters finished.

    A pool whose worker died (killed, out of memory, or a stale pool after a cancel) is broken for good: the
    tracer makes a new one and traces the lost tasks again, up to :data:`POOL_RESTARTS` times per export."""

    def __init__(self, job: _Export, stack: contextlib.ExitStack) -> None:
        self.job = job
        self.stack = stack
        self.pool = _trace_pool(job.request.workers, stack)
        self.restarts = 0
        self.pending: deque[_Task] = deque()
        self.done = 0
        # tasks left in flight after each chunk: about one chunk's worth with a pool, none without
        self.backlog = math.ceil(job.request.chunk_size / TRACE_TASK) if self.pool is not None else 0

    def submit(self, chars: list[str], images: np.ndarray) -> None:
        for i in range(0, len(chars), TRACE_TASK):
            part = images[i : i + TRACE_TASK]
            self.pending.append(_Task(chars[i : i + TRACE_TASK], part, self._start(part)))

    def _start(self, part: np.ndarray) -> cf.Future | tuple[float, list[bytes]]:
        if self.pool is None:
            return trace_task(part, self.job.source.trace)
        try:
            return self.pool.submit(trace_task, part, self.job.source.trace)
        except (cf.process.BrokenProcessPool, RuntimeError):  # broken, or shut down with it
            self._renew_pool()
            return self._start(part)

    def _renew_pool(self) -> None:
        """Replace the broken pool and start again every task it lost."""
        if self.restarts >= POOL_RESTARTS:
            job = self.job
            kept = f"the glyphs done so far are cached in {job.cache.path}: run again to resume, or use --workers 0"
            if not job.request.use_cache:
                kept = "nothing was kept (--no-cache); try --workers 0"
            raise SeganError(f"a trace worker process died {self.restarts + 1} times (out of memory, or killed); "
                             f"{kept}")  # fmt: skip
        self.restarts += 1
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = _trace_pool(self.job.request.workers, self.stack)
        for task in self.pending:
            if isinstance(task.future, cf.Future) and not _succeeded(task.future):
                task.future = self._start(task.images)

    def store_finished(self) -> None:
        """Store the oldest tasks that have already finished, in order, so a job killed while the next chunk
        is generated (even by ``kill -9``) resumes with their outlines instead of tracing them again."""
        while self.pending and _finished(self.pending[0].future):
            self._store_oldest()

    def drain(self, limit: int) -> Iterator[Progress]:
        """Store finished tasks, oldest first, until at most ``limit`` are in flight."""
        job = self.job
        while len(self.pending) > limit:
            self._store_oldest()
            job.cancel.raise_if_cancelled("batch export")
            yield Progress("glyphs", self.done, len(job.todo), _pipeline_message(job.stats),
                           elapsed_s=job.clock.elapsed)  # fmt: skip

    def _store_oldest(self) -> None:
        task = self.pending[0]
        traced_s, blobs = self._result(task)
        self.pending.popleft()
        self._store(task.chars, traced_s, blobs)
        self.done += len(task.chars)

    def _result(self, task: _Task) -> tuple[float, list[bytes]]:
        """The task's outlines; a broken pool is made again and the task traced anew."""
        while True:
            future = task.future
            if not isinstance(future, cf.Future):
                return future
            try:
                with self.job.stats.timed("trace wait"):
                    return future.result()
            except cf.process.BrokenProcessPool:
                self._renew_pool()

    def _store(self, chars: list[str], traced_s: float, blobs: list[bytes]) -> None:
        cache, skipped, stats = self.job.cache, self.job.skipped, self.job.stats
        stats.trace_cpu_s += traced_s
        for char, blob in zip(chars, blobs, strict=True):
            cache.put_outline_bytes(char, blob)
            if TracedGlyph.bytes_is_empty(blob):
                skipped[char] = BLANK_REASON
        cache.commit()
        stats.traced += len(chars)


def _succeeded(future: cf.Future) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _finished(future: cf.Future | tuple[float, list[bytes]]) -> bool:
    return not isinstance(future, cf.Future) or future.done()


def _trace_pool(workers: int, stack: contextlib.ExitStack) -> cf.ProcessPoolExecutor | None:
    """``workers`` spawned trace processes, shut down when ``stack`` closes; None for ``workers=0``."""
    if workers <= 0:
        return None
    pool = cf.ProcessPoolExecutor(
        workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=worker_init,
        initargs=(os.getpid(),),
    )
    stack.callback(pool.shutdown, wait=True, cancel_futures=True)
    return pool


def _bitmaps(job: _Export, chars: list[str], between: Callable[[], None] = lambda: None) -> np.ndarray:
    """Images for ``chars``: from the cache where present, else generated (and cached); ``between`` runs
    after each generated batch (the tracer stores the outlines finished meanwhile)."""
    request, source, cache, stats, cancel = job.request, job.source, job.cache, job.stats, job.cancel
    size = source.size
    images = np.zeros((len(chars), size, size), np.uint8)
    missing = []
    for i, char in enumerate(chars):
        image = cache.get_bitmap(char, size)
        if image is None:
            missing.append(i)
        else:
            images[i] = image
            stats.bitmap_hits += 1
    for start in range(0, len(missing), request.batch_size):
        cancel.raise_if_cancelled("batch export")
        rows = missing[start : start + request.batch_size]
        with stats.timed("generate"):
            generated = source.generate([chars[i] for i in rows], batch_size=request.batch_size)
        for i, image in zip(rows, generated, strict=True):
            images[i] = image
            cache.put_bitmap(chars[i], image)
        cache.commit()
        stats.generated += len(rows)
        between()
    return images


def _apply_quality_gate(job: _Export, chunk: list[str], need: list[str], images: np.ndarray) -> None:
    """Run the recognizer hook on the chunk's images (cached outlines get their cached bitmap)."""
    request, source, cache, skipped, stats = job.request, job.source, job.cache, job.skipped, job.stats
    gate_chars, gate_images = list(need), [images]
    others = [c for c in chunk if c not in set(need) and c not in skipped]
    extra = [(c, cache.get_bitmap(c, source.size)) for c in others]
    extra = [(c, im) for c, im in extra if im is not None]
    if extra:
        gate_chars += [c for c, _ in extra]
        gate_images.append(np.stack([im for _, im in extra]))
    if not gate_chars:
        return
    with stats.timed("quality gate"):
        readings = request.quality_gate(gate_chars, np.concatenate(gate_images))
    for char, read in readings.items():
        if char in gate_chars and char not in stats.unreadable:
            stats.unreadable[char] = read
            if request.drop_unreadable:
                skipped[char] = "quality gate: unreadable"


def _pipeline_message(stats: _Stats) -> str:
    parts = [f"generated {stats.generated}", f"traced {stats.traced}"]
    if stats.outline_hits:
        parts.append(f"cached {stats.outline_hits}")
    return ", ".join(parts)


# -- building ------------------------------------------------------------------------------------


def _build_fonts(job: _Export, stack: contextlib.ExitStack) -> Iterator[Progress]:
    """Each format assembled from the cached outlines into a temporary file and validated; the files are
    renamed into place together when ``stack`` closes."""
    job.in_font = [c for c in job.todo if c not in job.skipped]
    if not job.in_font:
        raise FontError(f"no glyph of the {len(job.chars)} requested characters could be traced from {job.source.name}")
    job.info = _font_info(job.request, job.source, job.fallback is not None)
    job.paths = job.request.output_paths()
    temps = {fmt: stack.enter_context(atomic_tree(path, ufo_keeps) if fmt == "ufo" else atomic_path(path))
             for fmt, path in job.paths.items()}  # fmt: skip
    sample = _sample_chars(job.in_font)
    for fmt in _built_formats(job.paths):
        yield from _build_format(job, fmt, temps, sample)


def _built_formats(paths: dict[str, Path]) -> list[str]:
    """The fonts to build: a WOFF2 is saved from the TTF, a UFO from the OTF."""
    return [fmt for fmt, derived in (("ttf", "woff2"), ("otf", "ufo")) if fmt in paths or derived in paths]


def _build_format(job: _Export, fmt: str, temps: dict[str, Path], sample: list[str]) -> Iterator[Progress]:
    """Build one font (TTF or OTF) and save it as each output made from it (the font is freed on return)."""
    job.cancel.raise_if_cancelled("batch export")
    yield Progress("build", 0, len(job.in_font), fmt, elapsed_s=job.clock.elapsed)
    with job.stats.timed(f"build {fmt}"):
        font = build_font(job.info, _records(job.cache, job.in_font, job.fallback, job.skipped), fmt,
                          job.request.layout)
    for out_fmt, flavor in ((fmt, None), ("woff2", "woff2")):
        if out_fmt in temps and not (out_fmt == "woff2" and fmt != "ttf"):
            yield from _save_and_validate(job, font, out_fmt, flavor, temps[out_fmt], sample)
    if fmt == "otf" and "ufo" in temps:
        job.cancel.raise_if_cancelled("batch export")
        with job.stats.timed("save ufo"):
            write_ufo(font, temps["ufo"])
        job.validation["ufo"] = [str(check_ufo(temps["ufo"], font))]


def _save_and_validate(
    job: _Export, font: TTFont, out_fmt: str, flavor: str | None, temp: Path, sample: list[str]
) -> Iterator[Progress]:
    job.cancel.raise_if_cancelled("batch export")
    with job.stats.timed(f"save {out_fmt}"):
        save_font(font, temp, flavor)
    yield Progress("validate", 0, None, out_fmt, elapsed_s=job.clock.elapsed)
    with job.stats.timed(f"validate {out_fmt}"):
        checks = require_valid(temp, sample, label=job.paths[out_fmt].name)
    job.validation[out_fmt] = [str(c) for c in checks]


def _records(
    cache: GlyphCache, chars: list[str], fallback: FallbackFont | None, skipped: dict[str, str]
) -> Iterator[GlyphRecord]:
    """Hanzi outlines read back from the cache one at a time, then the fallback glyphs and their ``.vert``
    alternates for vertical text."""
    for char in chars:
        if char in skipped:
            continue
        traced = cache.get_outline(char)
        if traced is None:
            raise OutputError(f"the glyph cache {cache.path} lost the outline of {char} (U+{ord(char):04X}) "
                              "during the export; run the export again")  # fmt: skip
        yield GlyphRecord(glyph_name(ord(char)), (ord(char),), ADVANCE, traced.quadratic, traced.cubic)
    if fallback is not None:
        yield from fallback.records(fallback_codepoints(), exclude={ord(c) for c in chars})
        yield from vertical_records(fallback, set(fallback_codepoints()) - {ord(c) for c in chars})


def _font_info(request: BatchRequest, source: StyleSource, with_fallback: bool) -> FontInfo:
    """The request's names, with honest defaults: the copyright and description say what made the font,
    and the Arphic notice and licence stay whenever the fallback glyphs are in."""
    names = request.names
    family = (request.family or f"Segan {source.name}").strip()
    copyright_ = names.copyright or f"Glyphs generated with Segan Studio from {source.name} ({source.identity})."
    licence, url = names.licence, names.licence_url
    if with_fallback:
        copyright_ += " " + ARPHIC_COPYRIGHT + "."
        licence = f"{licence}\n{ARPHIC_LICENCE}" if licence else ARPHIC_LICENCE
        url = url or ARPHIC_LICENCE_URL
    description = provenance(source)
    if names.description:
        description = f"{names.description}\n{description}"
    try:
        return FontInfo(
            family=family,
            version=request.version,
            copyright=copyright_,
            licence=licence,
            licence_url=url,
            description=description,
            designer=names.designer,
            designer_url=names.designer_url,
            vendor_id=names.vendor_id,
            family_zh=names.family_zh,
            source_identity=source.identity,
            timestamp=request.timestamp,
        )
    except ValueError as exc:
        raise OutputError(f"invalid font naming: {exc}") from None


def provenance(source: StyleSource) -> str:
    """The line every font's description ends with: style, model and the Segan Studio that made it."""
    folder = source.folder
    model = f"model {folder.name} ({source.identity})" if folder is not None else f"glyphs from {source.identity}"
    return (f"Made with Segan Studio {__version__}: {source.name} brush style, {model}; "
            "outlines traced with potrace.")  # fmt: skip


def _sample_chars(chars: list[str], n: int = 8) -> list[str]:
    if len(chars) <= n:
        return list(chars)
    step = (len(chars) - 1) / (n - 1)
    return [chars[round(i * step)] for i in range(n)]


def _fallback_count(fallback: FallbackFont | None, codepoints: list[int]) -> int:
    if fallback is None:
        return 0
    return sum(1 for cp in codepoints if fallback.cmap.get(cp) not in (None, ".notdef"))


# -- the report ----------------------------------------------------------------------------------


def _report(job: _Export) -> BatchReport:
    request, stats = job.request, job.stats
    gate = None
    if request.quality_gate is not None:
        gate = GateReport("".join(stats.unreadable), request.drop_unreadable, dict(stats.unreadable))
    return BatchReport(
        created_with=f"segan-studio {__version__}",
        family=job.info.family,
        files=dict(job.paths),
        hanzi_written=len(job.in_font),
        source=SourceInfo(job.source.name, job.source.identity, job.source.size, job.source.origin,
                          job.source.generation_path or ""),
        requested=len(job.chars),
        skipped={c: job.skipped[c] for c in job.chars if c in job.skipped},
        non_han_skipped="".join(request.non_han),
        quality_gate=gate,
        cache=_cache_info(job),
        trace=job.source.trace,  # the settings actually used (256 px glyphs from an upscaler have their own)
        workers=request.workers,
        stage_seconds={k: round(v, 3) for k, v in stats.stage_s.items()} | {"trace cpu": round(stats.trace_cpu_s, 3)},
        total_seconds=round(job.clock.elapsed, 3),
        validation=job.validation,
        fallback_glyphs=_fallback_count(job.fallback, fallback_codepoints()),
        layout=request.layout,
        written_glyphs=None if job.source.written is None else _written_report(job.source.written, job.cache,
                                                                               job.in_font, job.source.size),
    )


def _cache_info(job: _Export) -> CacheInfo:
    cache, stats, kept = job.cache, job.stats, job.request.use_cache
    return CacheInfo(
        root=cache.root if kept else None,
        file=cache.path if kept else None,
        outline_hits=stats.outline_hits,
        bitmap_hits=stats.bitmap_hits,
        generated=stats.generated,
        traced=stats.traced,
        corrupt_regenerated=tuple(f"{c} U+{ord(c):04X} {kind}" for c, kind in cache.corrupt),
    )


def _write_report(job: _Export, report: BatchReport) -> BatchResult:
    """The JSON report and its text twin, each written atomically."""
    json_path, text_path = job.request.report_paths()
    write_text_atomic(json_path, json.dumps(report.to_json(), ensure_ascii=False, indent=1))
    write_text_atomic(text_path, report.text())
    return BatchResult({fmt: job.paths[fmt] for fmt in job.request.formats}, report, (json_path, text_path))


def _written_report(written: WrittenGlyphs, cache: GlyphCache, in_font: list[str], size: int) -> dict:
    """How many glyphs came from the writer, and whether they sit with the generated ones (ink and size)."""
    from_writer = [c for c in in_font if c in written.files]
    generated_chars = [c for c in in_font if c not in written.files]
    generated = [image for c in generated_chars[:1000] if (image := cache.get_bitmap(c, size)) is not None]
    stack = np.stack(generated) if generated else np.zeros((0, size, size), np.uint8)
    return {
        "count": len(from_writer),
        "chars": "".join(from_writer),  # which glyphs are the writer's (the app's glyph grid marks them)
        "generated": len(generated_chars),
        "folder": str(written.folder),
        "ink": compare_ink(written.ink_at(from_writer, size), stack),
    }
