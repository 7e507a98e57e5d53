"""One ONNX graph as several ONNX Runtime sessions, each drawing its share of a batch at the same time (issue 29).

On a 2-core AVX2 EPYC one session with 2 intra-op threads drew 10 preview glyphs in 122 ms (median of 80 batches);
two sessions of 1 thread, 5 glyphs each, run side by side, in 87 ms; the app's 10-character preview with heatmaps
came 21-23 % sooner; at the export's batch of 64 the generator drew 85-101 against 73-90 glyphs/s, and the second
stage nothing faster (docs/benchmarks.md). A convolution of a few 16 x 16 glyphs is too small to split across
threads well, and every one of the graph's ~150 operators waits for both threads; two whole passes over half the
glyphs each share nothing until the end. A single glyph costs the same either way (19 ms).

:class:`SessionStreams` has the part of an ``onnxruntime.InferenceSession``'s interface the generator and the
second stage use (``run``, ``get_inputs``, ``get_outputs``), so the code that runs a graph does not know how many
sessions draw it. Every input and output of such a graph is batch-first. The helper threads end with the object
(garbage collection): a style model's ``release()`` drops its streams with its forward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from typing import Any, Protocol

import numpy as np

MAX_STREAMS = 2  # measured on 2 cores only; more cores give each stream more intra-op threads


class OnnxRunner(Protocol):
    """What the generator and the second stage call: an ``onnxruntime.InferenceSession`` or :class:`SessionStreams`."""

    def run(self, output_names: Sequence[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]: ...

    def get_inputs(self) -> Any: ...

    def get_outputs(self) -> Any: ...


def stream_plan(threads: int) -> tuple[int, int]:
    """(sessions, intra-op threads each) for a budget of ``threads`` CPU threads: half each, rounded down."""
    if threads < 2:
        return 1, 1
    streams = min(MAX_STREAMS, threads)
    return streams, threads // streams


def split_bounds(count: int, parts: int) -> list[tuple[int, int]]:
    """``count`` items in ``parts`` contiguous runs as even as can be (the first ones a glyph longer)."""
    parts = max(1, min(parts, count))
    size, longer = divmod(count, parts)
    bounds, start = [], 0
    for index in range(parts):
        end = start + size + (1 if index < longer else 0)
        bounds.append((start, end))
        start = end
    return bounds


class SessionStreams:
    """Sessions of one graph; :meth:`run` gives each a contiguous share of the batch and joins their outputs."""

    def __init__(self, sessions: Sequence[OnnxRunner]) -> None:
        if not sessions:
            raise ValueError("SessionStreams needs at least one session")
        self.sessions = list(sessions)
        # the first share runs on the calling thread, the others on these
        self._helpers = ThreadPoolExecutor(len(self.sessions) - 1, "onnx-stream") if len(self.sessions) > 1 else None

    @classmethod
    def open(cls, make: Callable[[int], OnnxRunner], threads: int) -> OnnxRunner:
        """A plain session (``make(threads)``) for a budget of one thread, else streams of ``make(threads_each)``."""
        streams, each = stream_plan(threads)
        if streams == 1:
            return make(each)
        return cls([make(each) for _ in range(streams)])

    def get_inputs(self) -> Any:
        return self.sessions[0].get_inputs()

    def get_outputs(self) -> Any:
        return self.sessions[0].get_outputs()

    def run(self, output_names: Sequence[str] | None, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        sizes = {len(value) for value in feeds.values()}
        if len(sizes) != 1 or self._helpers is None:  # inputs of different lengths are not a batch to share
            return self.sessions[0].run(output_names, feeds)
        bounds = split_bounds(sizes.pop(), len(self.sessions))
        if len(bounds) == 1:
            return self.sessions[0].run(output_names, feeds)
        shares = [{name: value[a:b] for name, value in feeds.items()} for a, b in bounds]
        pending = [self._helpers.submit(session.run, output_names, share)
                   for session, share in zip(self.sessions[1:], shares[1:], strict=False)]  # fmt: skip
        try:
            first = self.sessions[0].run(output_names, shares[0])
        finally:  # a failed share returns only once the others have ended: nothing runs on after the call
            wait(pending)
        parts = [first, *(future.result() for future in pending)]
        return [np.concatenate(outputs) for outputs in zip(*parts, strict=True)]
