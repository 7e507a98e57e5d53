"""``segan-studio --self-test``: every bundled model, ten glyphs with heatmaps, a validated TTF, the window."""

from __future__ import annotations

import os

import pytest

from segan_core.styles import load_styles


@pytest.mark.slow
def test_self_test_passes_on_this_installation(qapp, capsys, monkeypatch):
    from app.main import main

    monkeypatch.setenv("SEGAN_STUDIO_HOME", "unchanged")
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    for style in load_styles():
        if style.has_model:
            assert f"ok    load + 10 glyphs: {style.id}" in out
    for step in ("load: skeleton-gan", "load: evaluator", "generate with heatmaps", "validate the TTF",
                 "app: main window shows glyphs"):
        assert f"ok    {step}" in out
    assert out.rstrip().splitlines()[-1].startswith("self-test passed")
    assert os.environ["SEGAN_STUDIO_HOME"] == "unchanged"  # it ran in a temporary data folder


def test_a_failed_step_makes_the_exit_code_1(qapp, capsys, monkeypatch):
    from app.main import main
    from segan_core import selftest

    def failing(echo, summary=True, **_):
        result = selftest.SelfTestResult([selftest.Step("load: evaluator", False, "CheckpointError: truncated", 0.1)])
        echo(result.steps[0].line())
        return result

    monkeypatch.setattr(selftest, "run_self_test", failing)
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  load: evaluator" in out and "ok    app: main window shows glyphs" in out
    assert "self-test FAILED: 1 of 2 steps (load: evaluator)" in out


def test_exit_when_shown_says_so_and_exits(app_home):
    # in a process of its own, as bench/bench_bundle.py times the bundle's start-up with it: the app's
    # quit() ends that process's event loop, which a test's shared QApplication must keep
    import subprocess
    import sys

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "SEGAN_STUDIO_HOME": str(app_home)}
    done = subprocess.run([sys.executable, "-m", "app.main", "--exit-when-shown"], env=env, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "window shown" in done.stdout
