"""Issue 31, fault 10, the core's side: training reports its real progress, every slow stage says what it does
and moves, the losses and recipes have plain names, and a stage's ETA is timed by real work."""

from __future__ import annotations

import dataclasses
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from segan_core.jobs import Progress, run_to_end
from segan_core.training.runs import RunOptions, train_style


@pytest.fixture
def one_thread(tiny_configs):
    """The tiny configs on one torch thread (a busy 2-core machine runs them several times faster so)."""
    model, train = tiny_configs
    return model, dataclasses.replace(train, num_threads=1)


def _events(job: Iterator[Progress]) -> list[Progress]:
    events = []
    while True:
        try:
            events.append(next(job))
        except StopIteration:
            return events


def _timed(job: Iterator[Progress]) -> tuple[list[tuple[float, Progress]], object]:
    """Every event with the seconds since the job started, and the job's return value."""
    start, timed = time.monotonic(), []
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            return timed, stop.value
        timed.append((time.monotonic() - start, event))


# -- 1: the step count and the budget share, never a scaled count -----------------------------------------------


def test_a_step_limited_run_reports_step_of_total(tiny_dataset, skeleton_gan, one_thread, tmp_path):
    from segan_core.jobs import step_text

    model, train = one_thread
    events = _events(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=tmp_path / "r", max_steps=3)))
    last = [e for e in events if e.stage == "train"][-1]
    assert last.budget_fraction is None and last.fraction == 1.0  # no budget: done / total says it
    assert step_text(last) == "step 3 of 3"


def test_a_cpu_budgeted_run_reports_its_step_and_budget_share(tiny_dataset, skeleton_gan, one_thread, tmp_path):
    from segan_core.commands.progress import render_line
    from segan_core.jobs import step_text

    model, train = one_thread
    options = RunOptions(out=tmp_path / "cpu", max_steps=1_000_000, cpu_budget_minutes=15.0)
    job = train_style(tiny_dataset, skeleton_gan, model, train, options)
    event = next(e for e in job if e.stage == "train" and e.metrics)
    job.close()
    assert event.budget == "15 CPU min" and 0 < event.budget_fraction < 0.1
    assert step_text(event).startswith(f"step {event.done} · ") and step_text(event).endswith("% of 15 CPU min")
    assert "of 15 CPU min" in render_line(event)
    halfway = dataclasses.replace(event, done=10, budget_fraction=1 / 3)
    assert step_text(halfway) == "step 10 · 33 % of 15 CPU min"


# -- 2: every stage that can take long says what it does, and moves ---------------------------------------------


def test_the_dataset_write_stage_counts_characters(tmp_path):
    from segan_core.data.build import BuildRequest, build_dataset
    from segan_core.resources import SOURCE_FONT

    from .conftest import MA_SHAN_ZHENG, TINY_TEXT

    request = BuildRequest(source=SOURCE_FONT, target=MA_SHAN_ZHENG, out=tmp_path / "d", chars=tuple(TINY_TEXT),
                           size=32)
    job = build_dataset(request)
    events = _events(job)
    manifest = run_to_end(build_dataset(dataclasses.replace(request, out=tmp_path / "again")))
    writes = [e for e in events if e.stage == "write"]
    counts = manifest["counts"]
    assert [e.total for e in writes] == [counts["total"]] * 4  # characters, not "3/3" splits
    assert [e.done for e in writes] == [0, counts["train"], counts["train"] + counts["dev"], counts["total"]]
    assert "train split" in writes[0].message


def test_steps_between_logs_are_reported(tiny_dataset, skeleton_gan, one_thread, tmp_path, monkeypatch):
    """Losses come every log_every steps; the steps in between still report (the first one always)."""
    import segan_core.training.engine as engine

    monkeypatch.setattr(engine, "HEARTBEAT_S", 0.0, raising=False)
    model, train = one_thread
    train = dataclasses.replace(train, log_every=1000)
    events = _events(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=tmp_path / "r", max_steps=3)))
    steps = [e for e in events if e.stage == "train"]
    assert [e.done for e in steps] == [0, 1, 2, 3]
    assert "warm-up" in steps[0].message and "warm-up done" in steps[1].message
    assert not steps[1].metrics and "losses at step 1000" in steps[2].message
    loads = [e for e in events if e.stage == "load"]
    assert [e.message for e in loads[:2]] == ["opening the training data (1 dataset)", "loading the skeleton GAN"]
    assert loads[2].message.startswith("building the networks (") and [e.done for e in loads] == [0, 1, 2]
    assert events.index(steps[0]) == 3  # the set-up steps come before the first step, each with its count


@pytest.fixture(scope="module")
def slow_logging_base(tiny_dataset, skeleton_gan, tiny_configs, tmp_path_factory) -> Path:
    """A tiny style whose recipe logs its losses every 10 steps (what the bundled models do)."""
    model, train = tiny_configs
    train = dataclasses.replace(train, log_every=10, bidirectional=False, ema_decay=0.9, num_threads=1)
    out = tmp_path_factory.mktemp("base") / "base"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=2)))
    return out


def _slow_steps(monkeypatch, seconds: float) -> None:
    from segan_core.training.segan_step import SeganTrainable

    step = SeganTrainable.train_step

    def slow(self, batch, sync):
        time.sleep(seconds)
        return step(self, batch, sync)

    monkeypatch.setattr(SeganTrainable, "train_step", slow)


def test_a_finetune_and_its_resume_are_never_silent(tiny_dataset, skeleton_gan, slow_logging_base, tmp_path,
                                                    monkeypatch):
    """Steps of 0.5 s with losses every 10 steps: the run still reports at least every 2 s, and before its first
    step it says what it does (the training data, loading, warm-up), a resume too."""
    from segan_core.finetune import FinetuneRequest, finetune

    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    _slow_steps(monkeypatch, 0.5)
    request = FinetuneRequest(base=str(slow_logging_base), data=tiny_dataset, name="Feedback", max_steps=6,
                              threads=1, skeleton_gan=skeleton_gan, run_dir=tmp_path / "run", out=tmp_path / "style")
    timed, result = _timed(finetune(request))
    assert result.steps == 6
    training = [t for t, e in timed if e.stage == "train"]
    gaps = [b - a for a, b in itertools.pairwise(training)]
    assert max(gaps) < 2.0, gaps  # was one report at step 0 and the next at step 6 (3 s of silence)
    stages = [e.stage for _t, e in timed]
    first_step = stages.index("train")
    assert "dataset" in stages[:first_step] and "load" in stages[:first_step]
    assert {"evaluate", "write", "check"} <= set(stages[first_step:])

    resumed, again = _timed(finetune(dataclasses.replace(request, max_steps=9, resume=True, overwrite=True)))
    assert again.steps == 9
    before = [e for _t, e in resumed[: [e.stage for _t, e in resumed].index("train")]]
    assert any("checkpoint" in e.message for e in before if e.stage == "load")
    assert any(e.stage == "dataset" for e in before)
    start = next(e for _t, e in resumed if e.stage == "train")
    assert "resumed at step 6" in start.message and "warm-up" in start.message


# -- 4: plain names for every logged loss -----------------------------------------------------------------------


def test_every_loss_a_style_run_logs_has_a_plain_name(tiny_dataset, skeleton_gan, one_thread, tmp_path):
    from segan_core.plain_names import METRICS, metric_name, metric_term, recipe_label, recipe_term

    model, train = one_thread
    losses = dataclasses.replace(train.losses, dice=1.0)
    train = dataclasses.replace(train, losses=losses)
    job = train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=tmp_path / "r", max_steps=1))
    logged = next(e for e in job if e.stage == "train" and e.metrics).metrics
    job.close()
    assert set(logged) - {"img/s"} <= set(METRICS), sorted(set(logged) - set(METRICS))
    assert metric_name("adv") == "looks real (adversarial)" and "adv" in metric_term("adv")
    assert metric_name("cam") == "source/target attention (CAM)" and metric_name("g_total") == "generator total"
    assert metric_name("something new") == "something new"
    from segan_core.finetune import RECIPES

    assert all(recipe_label(name) != name and name in recipe_term(name) for name in RECIPES)


# -- 5: an ETA from real work, and "—" when unknown -------------------------------------------------------------


def test_stage_pace_is_timed_by_real_work_not_a_burst_of_cached_glyphs():
    from segan_core.jobs import StagePace, format_eta

    pace = StagePace()
    for done in range(256, 2817, 256):  # a resume: cached outlines, 256 every 0.05 s, up to 2816 at 0.55 s
        pace.seconds_left(Progress("glyphs", done, 3755, elapsed_s=done / 256 * 0.05))
    left = pace.seconds_left(Progress("glyphs", 3072, 3755, elapsed_s=20.55))  # then 256 generated in 20 s
    assert left == pytest.approx(20.0 / 256 * (3755 - 3072))  # 53 s; from the first event it would be 4.6 s
    assert pace.seconds_left(Progress("build", 0, 3755, elapsed_s=30.0)) is None  # a new stage: unknown yet
    assert format_eta(None) == "—" and format_eta(0.2) == "00:01" and format_eta(65.5) == "01:06"


def test_a_resumed_run_estimates_from_this_sessions_pace():
    """A run resumed at 60 % of its CPU budget after 3 hours (earlier sessions, slower machines): 10 minutes into
    this session it is at 70 %, so 30 % more takes 30 minutes, not the 1 h 21 min the whole run's pace says."""
    resumed = Progress("train", 900, 10**6, elapsed_s=3 * 3600 + 600, budget_fraction=0.7, budget="100 CPU min",
                       session_s=600, session_start_fraction=0.6)
    assert resumed.eta_s == pytest.approx(1800)
    whole_run = Progress("train", 900, 10**6, elapsed_s=3 * 3600 + 600, budget_fraction=0.7, budget="100 CPU min")
    assert whole_run.eta_s == pytest.approx(4886, abs=1)
    just_resumed = Progress("train", 900, 10**6, elapsed_s=3 * 3600, budget_fraction=0.6, session_s=0.0,
                            session_start_fraction=0.6)
    assert just_resumed.eta_s is None  # no pace yet: "—", not a guess


def test_the_engine_reports_the_session_and_where_it_started(tiny_dataset, skeleton_gan, one_thread, tmp_path):
    """Resumed at step 2 of 4: every report after the start carries this session's seconds and the fraction at
    which it began (0.5), so the ETA follows this session."""
    model, train = one_thread
    out = tmp_path / "r"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=2)))
    events = _events(train_style(tiny_dataset, skeleton_gan, model, train,
                                 RunOptions(out=out, max_steps=4, resume=True)))  # fmt: skip
    steps = [e for e in events if e.stage == "train" and e.done > 2]
    assert steps and all(e.session_s is not None and e.session_start_fraction == 0.5 for e in steps)
    assert all(e.eta_s is not None for e in steps if e.done < 4)
