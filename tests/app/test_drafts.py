"""Issue 31, fault 3: a style that reads too little is a draft (kept, marked, not offered for export); a run stopped
before its budget is never called trained."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from segan_core.finetune import USABLE_RATIO, FinetuneResult, verdict


def test_the_verdict_counts_what_the_style_reads_against_the_writers_glyphs():
    broken = verdict({"content_accuracy": 0.0, "content_accuracy_ratio": 0.0}, 18)
    assert not broken.usable and broken.read == 0 and "a draft" in broken.text
    good = verdict({"content_accuracy": 0.5, "content_accuracy_ratio": 0.9}, 18)
    assert good.usable and good.read == 9 and good.writer_read == 10
    assert "reads 9 of the 10 characters your own glyphs read" in good.text
    borderline = verdict({"content_accuracy": 0.4, "content_accuracy_ratio": USABLE_RATIO - 0.01}, 10)
    assert not borderline.usable


def test_a_draft_and_a_stopped_run_are_marked_in_the_picker(tiny_models, tmp_path):
    from segan_core.styles import model_entry

    draft = tmp_path / "draft"
    shutil.copytree(tiny_models["style"], draft)
    (draft / "style.json").write_text(json.dumps({"verdict": {"status": "draft"}}), encoding="utf-8")
    entry = model_entry(draft, "trained")
    assert entry.state == "draft" and "draft" in entry.label() and "trained" not in entry.label()

    stopped = tmp_path / "stopped"
    shutil.copytree(tiny_models["style"], stopped)
    config = json.loads((stopped / "config.json").read_text(encoding="utf-8"))
    (stopped / "config.json").write_text(json.dumps(config | {"stopped_by": "cancelled"}), encoding="utf-8")
    entry = model_entry(stopped, "trained")
    assert entry.state == "stopped" and "stopped early" in entry.label() and "trained" not in entry.label()
    assert model_entry(tiny_models["style"], "trained").state == "trained"


def test_the_done_page_says_draft_and_offers_no_export(qtbot, window, tmp_path):
    flow = window.train.calligrapher
    draft = verdict({"content_accuracy": 0.0, "content_accuracy_ratio": 0.0}, 18)
    flow.result = FinetuneResult(tmp_path / "Mine", tmp_path / "run", "step-000050", 50, 3.0,
                                 {"content_accuracy": 0.0}, draft)
    flow._update_buttons()
    assert not flow.export_button.isEnabled() and flow.generate_button.isEnabled()
    from app.views.calligrapher import done_summary

    text = done_summary(flow.result, "base", "all-nocam", "")
    assert "is a draft" in text and "not offered for export" in text
    assert "listed in the style picker" not in text
    usable = verdict({"content_accuracy": 0.5, "content_accuracy_ratio": 0.9}, 18)
    flow.result = FinetuneResult(tmp_path / "Mine", tmp_path / "run", "step-000050", 50, 3.0, {}, usable)
    flow._update_buttons()
    assert flow.export_button.isEnabled()
    assert "reads 9 of the 10" in done_summary(flow.result, "base", "all-nocam", "")


def test_a_cancelled_run_records_that_it_stopped(tiny_dataset, skeleton_gan, tiny_configs, tmp_path):
    import pytest

    from segan_core.errors import Cancelled
    from segan_core.jobs import CancelToken, run_to_end
    from segan_core.training.runs import RunOptions, train_style

    model, train = tiny_configs
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=tmp_path / "r", max_steps=5),
                               cancel=token))
    assert json.loads((Path(tmp_path / "r") / "config.json").read_text())["stopped_by"] == "cancelled"
