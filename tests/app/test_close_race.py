"""Closing the window while jobs run: their queued callbacks are dropped, not run on deleted widgets."""

from __future__ import annotations

from pathlib import Path

import pytest


def _open_window(qtbot, tiny_models: dict[str, Path]):
    from app.main_window import MainWindow
    from segan_core.model.device import configure_threads

    win = MainWindow()
    win.context.settings.threads = 1
    configure_threads(1)
    win.show()
    with qtbot.waitSignal(win.generate.model_ready, timeout=20000):
        assert win.generate.open_model(tiny_models["style"])
    return win


def _start_jobs(win, brush_font: Path, out: Path) -> None:
    """Generation with heatmaps, the picker's style samples, a model load and a batch export."""
    win.generate.set_text("永字八法天地玄黄宇宙")
    win.generate.regenerate()
    win.generate._icons.clear()  # forces the "style samples" job again
    win.generate._load_icons()
    win.generate.reload_model()
    view = win.batch
    view.use_font(brush_font)
    view.set_charset("text", "永字八法天地玄黄")
    view.family.setText("Race")
    view.out.setText(str(out))
    for name, box in view.formats.items():
        box.setChecked(name == "ttf")
    assert view.start()


@pytest.mark.parametrize("how", ["close-then-delete", "delete-at-once"])
def test_closing_the_window_drops_callbacks_of_jobs_in_flight(qtbot, app_home, errors, tiny_models, brush_font,
                                                              tmp_path, how):
    import shiboken6

    win = _open_window(qtbot, tiny_models)
    runner = win.context.runner
    _start_jobs(win, brush_font, tmp_path / "fonts")
    jobs = list(runner.jobs)
    names = {job.name for job in jobs}
    assert {"generate", "style samples", "batch export"} <= names, names
    with qtbot.captureExceptions() as exceptions:
        if how == "close-then-delete":
            win.close()  # cancels every job and waits: their last callbacks are queued, not yet run
        else:
            runner.cancel_all()
        shiboken6.delete(win)  # the window, its views and the runner are gone; the jobs' signals live on
        assert not shiboken6.isValid(runner)
        qtbot.waitUntil(lambda: not any(job.running for job in jobs), timeout=60000)
        qtbot.wait(200)  # deliver every queued progress / finished / failed / cancelled / done
    assert [str(e[1]) for e in exceptions] == []
    assert errors == []


def test_callbacks_run_while_their_receiver_lives(qtbot):
    """The guard only drops callbacks of deleted receivers; a living one gets every call."""
    import shiboken6
    from PySide6.QtCore import QObject

    from app.workers import JobRunner

    runner = JobRunner()
    alive, gone = QObject(), QObject()
    got: list[tuple[str, object]] = []
    jobs = [runner.start("alive", lambda: 1, on_finished=lambda r: got.append(("alive", r)), receiver=alive),
            runner.start("gone", lambda: 2, on_finished=lambda r: got.append(("gone", r)), receiver=gone)]
    shiboken6.delete(gone)  # before the UI thread runs any queued callback
    qtbot.waitUntil(lambda: not any(job.running for job in jobs), timeout=10000)
    qtbot.wait(100)
    assert got == [("alive", 1)]
    assert runner.shutdown()
