"""How the ONNX Runtime sessions run: the app's previews let their threads spin between operators (fastest alone);
the batch export does not, since its trace workers share the cores; with two CPU threads or more, a graph is drawn
by two sessions at once, each taking half of a batch, with the same glyphs (issue 29, docs/benchmarks.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from segan_core.batch import BatchRequest, open_source
from segan_core.inference import StyleModel
from segan_core.model.device import configure_threads, thread_budget
from segan_core.session_streams import SessionStreams, split_bounds, stream_plan
from segan_core.style_source import StyleSource, open_style

STYLE = Path(__file__).resolve().parents[1] / "models" / "ma-shan-zheng"
SPIN = "session.intra_op.allow_spinning"


def _spinning(session) -> str:
    try:
        return session.get_session_options().get_session_config_entry(SPIN)
    except Exception:  # not set: ONNX Runtime's default, spinning on
        return "1"


def _sessions_of(forward) -> list:
    """The ONNX Runtime sessions a forward function closes over (each stream's, for :class:`SessionStreams`)."""
    found = []
    for cell in forward.__closure__:
        value = cell.cell_contents
        if isinstance(value, SessionStreams):
            found += value.sessions
        elif type(value).__name__ == "InferenceSession":
            found.append(value)
    return found


def _sessions(source: StyleSource) -> list:
    """The ONNX Runtime sessions behind a style (its generator, and its second stage when it has one)."""
    source.generate("永")
    found = _sessions_of(source.style_model._forward)
    if source.stage is not None:
        found += _sessions_of(source.stage._forward)
    return found


@pytest.fixture
def two_threads():
    before = thread_budget()
    configure_threads(2)
    yield
    configure_threads(before)


def test_the_export_does_not_busy_wait_and_the_preview_does(two_threads):
    exported = open_source(BatchRequest(source=f"dir:{STYLE}", chars=("永",), out=Path("unused.ttf")))
    sessions = _sessions(exported)  # two streams of the generator, two of the second stage
    assert len(sessions) == 4 and all(_spinning(s) == "0" for s in sessions)
    assert not any(s.get_session_options().enable_mem_pattern for s in sessions)
    assert all(s.get_session_options().intra_op_num_threads == 1 for s in sessions)
    preview = open_style(f"dir:{STYLE}")  # as the app's Generate view opens it
    sessions = _sessions(preview)
    assert len(sessions) == 4 and all(_spinning(s) == "1" for s in sessions)
    assert all(s.get_session_options().enable_mem_pattern for s in sessions)


def test_one_thread_means_one_session():
    before = thread_budget()
    configure_threads(1)
    try:
        model = StyleModel.load(STYLE, backend="onnx")
        model.generate("永")
        assert len(_sessions_of(model._forward)) == 1
        assert not any(isinstance(c.cell_contents, SessionStreams) for c in model._forward.__closure__)
    finally:
        configure_threads(before)


def test_the_plan_and_the_shares():
    assert stream_plan(1) == (1, 1) and stream_plan(2) == (2, 1) and stream_plan(5) == (2, 2)
    assert split_bounds(10, 2) == [(0, 5), (5, 10)]
    assert split_bounds(3, 2) == [(0, 2), (2, 3)] and split_bounds(5, 2) == [(0, 3), (3, 5)]
    assert split_bounds(1, 2) == [(0, 1)]  # a single glyph is one session's


def test_the_thread_budget_reaches_a_thread_that_asked_torch_before():
    """torch keeps a thread's count from its first call: the sessions read the process's budget instead."""
    import threading

    import torch

    asked, go, seen = threading.Event(), threading.Event(), []

    def job_thread():
        torch.get_num_threads()  # this thread's torch count is fixed now
        asked.set()
        go.wait(10)
        seen.append(thread_budget())

    before = thread_budget()
    configure_threads(1)
    worker = threading.Thread(target=job_thread)
    worker.start()
    try:
        asked.wait(10)
        configure_threads(2)
        go.set()
        worker.join(10)
        assert seen == [2]
    finally:
        configure_threads(before)


class _Meeting:
    """A fake session that returns only once the other share's session has started too."""

    def __init__(self, barrier) -> None:
        self.barrier = barrier

    def run(self, names, feeds):
        self.barrier.wait()
        return [feeds["x"] + 1]


def test_the_shares_run_at_the_same_time():
    import threading

    barrier = threading.Barrier(2, timeout=5)  # one after the other, the first share would wait 5 s and fail
    streams = SessionStreams([_Meeting(barrier), _Meeting(barrier)])
    out = streams.run(None, {"x": np.arange(5.0)[:, None]})
    assert out[0][:, 0].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]  # in order


@pytest.mark.parametrize("count", [1, 2, 3, 10, 17])
def test_streams_draw_the_glyphs_one_session_draws(two_threads, count):
    """The batch cut in two and put back together in order: the same images and heatmaps, glyph for glyph."""
    streams = StyleModel.load(STYLE, backend="onnx")
    single = StyleModel.load(STYLE, backend="onnx")
    single._forward = None
    configure_threads(1)  # the reference rebuilds its backend as one session
    try:
        chars = "永和九年岁在癸丑暮春之初会于会稽山阴之兰亭修禊事也"[:count]
        expected = single.run(chars, heatmaps=True)
    finally:
        configure_threads(2)
    got = streams.run(chars, heatmaps=True)
    assert len(_sessions_of(streams._forward)) == 2
    assert len(_sessions_of(single._forward)) == 1  # the reference really is one session
    assert got.generated.shape == expected.generated.shape == (count, 64, 64)
    # two sessions at batch 5 and one at batch 10 may sum in another order: the same glyph to a grey level
    assert np.abs(got.generated.astype(int) - expected.generated.astype(int)).max() <= 1
    for kind, maps in expected.heatmaps.items():
        np.testing.assert_allclose(got.heatmaps[kind], maps, atol=1e-4)


class _Failing:
    def run(self, names, feeds):
        raise RuntimeError("the second stream failed")


class _Echo:
    def run(self, names, feeds):
        return [feeds["x"] * 2]


def test_a_failing_stream_is_the_call_s_error():
    streams = SessionStreams([_Echo(), _Failing()])
    with pytest.raises(RuntimeError, match="second stream"):
        streams.run(None, {"x": np.ones((4, 1))})
    assert streams.run(None, {"x": np.ones((1, 1))})[0].tolist() == [[2.0]]  # one glyph: the first session only
