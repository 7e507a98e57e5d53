"""The app's memory stays bounded (issue 31: 3.4 GB after an hour of previews and a GB2312 export).

Measured by the app's own accounting, not the process's RSS: the preview cache never holds more spare glyphs than
its byte budget (nor views into whole generated chunks), and a style model the Generate view stopped using, with
its ONNX sessions, is freed (every finished job used to keep what it ran, a model per preview, for good).
"""

from __future__ import annotations

import gc
import shutil
import weakref

import numpy as np

from app.preview_cache import PreviewCache, result_nbytes
from app.views.detail import GlyphResult
from segan_core.charset import load_charset

LEVEL1 = load_charset("gb2312-1").chars


def _glyph(char: str, size: int = 32, stage: int | None = 128) -> GlyphResult:
    chunk = np.zeros((16, size, size), np.uint8)  # results are cut out of a chunk's arrays: views
    return GlyphResult(char, chunk[1], chunk[2], chunk[3], chunk[4], {"cam": chunk[5], "sram": chunk[6]},
                       np.zeros((4, stage, stage), np.uint8)[0] if stage else None)


def _accounted(cache: PreviewCache) -> int:
    return sum(result_nbytes(cache[c]) for c in cache)


def test_preview_cache_keeps_the_text_and_spares_within_budget():
    one = result_nbytes(_glyph("永"))  # 6 maps of 32 x 32 and a 128 x 128 glyph
    cache = PreviewCache(budget=10 * one)
    for start in range(0, 400, 40):  # ten texts of 40 characters, each replacing the one before
        text = LEVEL1[start : start + 40]
        cache.keep(text)
        for char in text:
            cache[char] = _glyph(char)
        assert all(c in cache for c in text)  # the text's glyphs are never dropped
        assert cache.spare_nbytes <= cache.budget  # the others only up to the budget
        assert cache.nbytes == _accounted(cache) == (len(text) + len(cache.spare())) * one
    assert cache.dropped == 360 - 10 and len(cache.spare()) == 10
    assert all(cache[c].source.base is None and cache[c].upscaled.base is None for c in cache)  # own memory
    assert cache.spare() == list(LEVEL1[350:360])  # the spares used most recently are the ones kept
    cache.keep(())  # an emptied text: everything is spare, within the budget
    assert cache.spare_nbytes == cache.nbytes <= cache.budget and len(cache) == 10
    del cache[next(iter(cache))]
    assert cache.nbytes == _accounted(cache) == 9 * one
    cache.clear()
    assert cache.nbytes == cache.spare_nbytes == 0 and len(cache) == 0


def _draw(qtbot, view, text: str) -> None:
    view.set_text(text)
    qtbot.waitUntil(lambda: all(c in view.cache for c in text) and not view._generating, timeout=60000)


def test_generate_view_cache_stays_within_budget_over_many_texts_and_styles(qtbot, window, tiny_models, tmp_path,
                                                                             errors):
    view = window.generate
    other = tmp_path / "tiny-copy"
    shutil.copytree(tiny_models["style"], other)
    view.cache.budget = budget = 200_000  # a few dozen glyphs of the tiny model (32 px, no second stage)
    texts = ["".join(LEVEL1[i : i + 60]) for i in range(0, 360, 60)]
    models = []
    for round_, text in enumerate(texts):
        if round_ == 3:  # another style half-way: its cache has the same budget
            models.append(weakref.ref(view.source))
            with qtbot.waitSignal(view.model_ready, timeout=30000):
                assert view.open_model(other)
        _draw(qtbot, view, text)
        cache = view.cache
        assert isinstance(cache, PreviewCache) and cache.budget == budget
        assert cache.spare_nbytes <= budget and cache.nbytes == _accounted(cache)
        assert set(text) <= set(cache) and len(cache) <= len(text) + budget // result_nbytes(cache[text[0]]) + 1
    assert view.cache.dropped > 0 and errors == []

    # the style left half-way is freed with its sessions once its last job has ended
    qtbot.waitUntil(lambda: not window.context.runner.busy, timeout=30000)
    gc.collect()
    assert models[0]() is None, gc.get_referrers(models[0]())


def test_finished_jobs_keep_nothing_they_ran(qtbot, window):
    """A job lets go of its function, arguments and callbacks when it ends (PySide keeps a QRunnable started with
    autoDelete off, and Qt holds the callbacks out of reach of Python's collector)."""

    class Payload:
        pass

    payload, seen = Payload(), []
    kept = weakref.ref(payload)
    runner = window.context.runner

    def work(thing, cancel=None):
        yield "running"
        return thing.__class__.__name__

    job = runner.start("probe", work, payload, on_progress=seen.append,
                       on_finished=lambda name, payload=payload: seen.append(name))
    ended = weakref.ref(job)
    del payload, job
    qtbot.waitUntil(lambda: len(seen) == 2 and all(j is not ended() for j in runner.jobs), timeout=10000)
    gc.collect()
    assert seen == ["running", "Payload"]
    assert kept() is None and ended() is None


def test_hidden_generate_view_closes_its_model_and_opens_it_again(qtbot, window, errors):
    """Another view shown for a while (an export, a fine-tune), the Generate view closes its style's model; shown
    again it opens it, the glyphs drawn before kept (nothing drawn again)."""
    view = window.generate
    text = "".join(LEVEL1[:20])
    _draw(qtbot, view, text)
    cache, model = view.cache, weakref.ref(view.source)
    view.release_timer.setInterval(50)
    window.tabs.setCurrentWidget(window.batch)
    with qtbot.waitSignal(view.model_released, timeout=10000):
        pass
    assert view.source is None and view.model is None and "closed while not shown" in view.model_label.text()
    qtbot.waitUntil(lambda: not window.context.runner.busy, timeout=30000)
    gc.collect()
    assert model() is None  # its sessions are gone with it
    with qtbot.waitSignal(view.model_ready, timeout=30000):
        window.tabs.setCurrentWidget(view)
    assert view.source is not None and view.cache is cache and set(text) <= set(cache)
    assert not view._generating and errors == []
    window.tabs.setCurrentWidget(window.batch)  # a quick look at another view closes nothing
    window.tabs.setCurrentWidget(view)
    assert view.source is not None and not view.release_timer.isActive()

    # hidden again while the model is still opening: it is closed once it has opened
    window.tabs.setCurrentWidget(window.batch)
    with qtbot.waitSignal(view.model_released, timeout=10000):
        pass
    window.tabs.setCurrentWidget(view)
    window.tabs.setCurrentWidget(window.batch)
    assert view.source is None  # still opening
    with qtbot.waitSignal(view.model_released, timeout=30000):
        pass
    assert view.source is None and errors == []


def test_the_recognizer_is_let_go_when_no_job_runs(qtbot, window, monkeypatch):
    """The OCR recognizer an import, a verdict or a quality gate loaded (100 MB and more) is not kept once the
    jobs have ended; the next use loads it again."""
    import segan_core.recognizer as recognizer

    monkeypatch.setattr(recognizer, "_RECOGNIZER", object())  # as get_recognizer() leaves it
    qtbot.waitUntil(lambda: not window.context.runner.busy, timeout=30000)
    with qtbot.waitSignal(window.context.runner.idle, timeout=10000):
        window.context.runner.start("a job", lambda: None)
    qtbot.waitUntil(lambda: recognizer._RECOGNIZER is None, timeout=5000)
