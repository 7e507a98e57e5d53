"""Issue 31, fault 10, in the app: honest training feedback (and the Batch ETA).

1. the progress bar says the run's step and its budget share, never "333 / 1000" for step 10 of 30;
2. every stage before the first losses says what it does and moves (a resumed fine-tune: loading, data, warm-up);
3. a loss plot of one point draws it, an empty one says it waits for the first step;
4. plain legend and recipe names, the technical and paper's term in a tooltip;
5. Batch's ETA is a real estimate, or "ETA —", never "ETA 00:00" while the export goes on.
"""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage

from segan_core.jobs import Progress

STEP_LIMITED = Progress("train", 10, 30, metrics={"g_total": 2.5}, elapsed_s=20.0)


def _budgeted() -> Progress:
    """Step 10 of a run a 15-CPU-minute budget stops, a third of the way."""
    return Progress("train", 10, 1_000_000, metrics={"g_total": 2.5, "adv": 0.4}, elapsed_s=60.0,
                    budget_fraction=1 / 3, budget="15 CPU min")


def _run(tiny_models: dict[str, Path], out: Path, steps: int, resume: bool = False, **options) -> list[Progress]:
    """The events of a real tiny training run (tiny-32, one thread)."""
    from segan_core.training.presets import get_preset
    from segan_core.training.runs import RunOptions, train_style

    model, train = get_preset("tiny-32")
    train = dataclasses.replace(train, num_threads=1, **options)
    job = train_style(tiny_models["data"], tiny_models["skeleton_gan"], model, train,
                      RunOptions(out=out, max_steps=steps, resume=resume))
    return list(job)


# -- 1 -------------------------------------------------------------------------------------------------------------


def test_train_view_bar_says_step_of_total_and_the_budget_share(window, tiny_models, tmp_path):
    view = window.train
    for event in _run(tiny_models, tmp_path / "run", 3):  # a run only its step count stops
        view._on_progress(event)
    assert view.progress.text() == "step 3 of 3"  # was "1000 / 1000 steps"
    view._on_progress(STEP_LIMITED)
    assert view.progress.text() == "step 10 of 30" and view.progress.value() == 333  # the share, in its own words
    view._on_progress(_budgeted())
    assert view.progress.text() == "step 10 · 33 % of 15 CPU min"
    assert view.status.text().startswith("Step 10 · 33 % of 15 CPU min · 01:00 elapsed · ETA 02:00")


def test_finetune_bar_says_the_budget_share(window):
    flow = window.train.calligrapher
    flow._finetune_progress(STEP_LIMITED)  # a step limit that binds before the budget
    assert flow.progress.text() == "step 10 of 30"
    flow._finetune_progress(_budgeted())  # a fine-tune: a CPU budget, no step limit
    assert flow.progress.text() == "step 10 · 33 % of 15 CPU min" and flow.progress.maximum() > 0
    assert flow.step == 10


# -- 2 -------------------------------------------------------------------------------------------------------------


def test_a_resumed_finetune_says_what_it_does_before_its_first_losses(window, tiny_models, tmp_path, monkeypatch):
    """Real events of a resume whose losses come every 1000 steps: every one of them changes what the page says."""
    import segan_core.training.engine as engine

    monkeypatch.setattr(engine, "HEARTBEAT_S", 0.0, raising=False)
    _run(tiny_models, tmp_path / "run", 2, log_every=1000)
    events = _run(tiny_models, tmp_path / "run", 4, resume=True, log_every=1000)
    flow = window.train.calligrapher
    flow.status.setText("Starting…")
    said = []
    for event in events:
        flow._finetune_progress(event)
        said.append(flow.status.text())
    before = said[: [e.stage for e in events].index("train")]
    assert any("loading the skeleton GAN" in s for s in before) and any("loading the checkpoint" in s for s in before)
    assert all("(" in s and "/" in s for s in before if "loading the skeleton GAN" in s)  # with its count
    start = said[[e.stage for e in events].index("train")]
    assert "resumed at step 2" in start and "warm-up" in start  # was "Starting…" until the first losses
    assert any(s.startswith("Step 3 of 4") and "losses at step" in s for s in said)
    assert all(a != b for a, b in itertools.pairwise(said) if "Checkpoint" not in a + b)  # it moves


def test_train_view_leaves_the_dataset_stage_when_training_starts(window, tiny_models, tmp_path, monkeypatch):
    import segan_core.training.engine as engine

    monkeypatch.setattr(engine, "HEARTBEAT_S", 0.0, raising=False)
    view = window.train
    view._on_progress(Progress("write", 40, 40, message="manifest"))
    written = view.status.text()
    said = []
    for event in _run(tiny_models, tmp_path / "run", 2, log_every=1000):
        view._on_progress(event)
        said.append(view.status.text())
    assert said[0].startswith("Getting ready (0/3): opening the training data")  # was "... write 3/3" for minutes
    assert any("warm-up" in s for s in said) and view.progress.text() == "step 2 of 2"
    assert written.startswith("Writing (40/40)")


# -- 3 -------------------------------------------------------------------------------------------------------------


def _coloured_pixels(plot) -> int:
    """Strongly coloured pixels of the plot area, the legend hidden (its samples are coloured too)."""
    plot.legend.hide()
    image = plot.plot.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    plot.legend.show()
    rows = np.frombuffer(image.constBits(), np.uint8).reshape(image.height(), image.bytesPerLine())
    rgb = rows[:, : image.width() * 3].reshape(image.height(), image.width(), 3).astype(int)
    return int(((rgb.max(axis=2) - rgb.min(axis=2)) > 80).sum())


def test_loss_plot_draws_one_point_and_waits_for_the_first(qtbot):
    from app.widgets.loss_plot import LossPlot

    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(500, 300)
    plot.show()
    qtbot.waitExposed(plot)
    assert plot.waiting.isVisible() and plot.waiting.text() == "waiting for the first step"
    assert _coloured_pixels(plot) == 0
    plot.add(1, {"g_total": 2.0, "adv": 0.5})
    qtbot.wait(50)
    assert not plot.waiting.isVisible()
    assert _coloured_pixels(plot) > 20  # one point each: a marker each (a line of one point draws nothing)
    plot.clear()
    assert plot.waiting.isVisible()


# -- 4 -------------------------------------------------------------------------------------------------------------


def test_legend_and_recipes_use_plain_names_with_the_term_in_a_tooltip(qtbot, window):
    from app.widgets.loss_plot import LossPlot

    names = ["adv", "cam", "g_total", "skeleton_adv", "skeleton_consistency", "pixel", "dice", "cycle", "d_total"]
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.add(1, dict.fromkeys([*names, "img/s"], 0.5))
    entries = [(label.text, label.toolTip()) for _sample, label in plot.legend.items]
    assert len(entries) == len(names)
    assert [text for text, _tip in entries][:3] == ["looks real (adversarial)", "source/target attention (CAM)",
                                                    "generator total"]
    for name, (text, tip) in zip(names, entries, strict=True):
        assert text != name and tip.startswith(f"{name}:"), (name, text, tip)
    flow = window.train.calligrapher
    recipes = {flow.recipe.itemData(i): (flow.recipe.itemText(i), flow.recipe.itemData(i, Qt.ItemDataRole.ToolTipRole))
               for i in range(flow.recipe.count())}
    assert "all-nocam" in recipes
    for name, (text, tip) in recipes.items():
        assert name not in text and f"recipe {name}" in tip, (name, text, tip)
    view = window.train
    view._on_progress(_budgeted())
    assert "generator total 2.5" in view.status.text() and "g_total" not in view.status.text()


# -- 5 -------------------------------------------------------------------------------------------------------------


def test_batch_eta_is_a_real_estimate_or_a_dash(window):
    view = window.batch
    for done in range(256, 2817, 256):  # a resume: cached outlines come 256 at a time, at once
        view._on_progress(Progress("glyphs", done, 3755, elapsed_s=done / 256 * 0.05))
    view._on_progress(Progress("glyphs", 3072, 3755, elapsed_s=20.55))  # then 256 generated glyphs in 20 s
    assert "glyphs ETA 00:53" in view.eta.text()  # was 00:05, timed by the cached ones
    view._on_progress(Progress("glyphs", 3755, 3755, elapsed_s=80.0))
    assert "ETA —" in view.eta.text() and "00:00" not in view.eta.text()  # the fonts are still to be built
    assert "then the fonts are built" in view.eta.text()
    view._on_progress(Progress("build", 0, 3755, "ttf", elapsed_s=81.0))
    assert view.eta.text().endswith("ETA —")
