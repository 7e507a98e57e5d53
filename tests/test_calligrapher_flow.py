"""The new calligrapher's flow in the core (segan_core.calligrapher): what the app's pages and the CLI both run."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from segan_core.calligrapher import (
    DEFAULT_BASE,
    can_resume,
    import_folder,
    plan_finetune,
    run_folder,
    thumbnails,
    write_template_preview,
)
from segan_core.cli import build_parser
from segan_core.errors import InputFileError, SeganError
from segan_core.jobs import run_to_end
from segan_core.model.checkpoint import STATE_JSON
from segan_core.scans.charsets import core_set
from segan_core.scans.corrections import load_review
from segan_core.scans.importer import ImportRequest, import_scans
from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
from segan_core.scans.template import make_template

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"
CHARS = core_set("core300")[:12]


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 32 px import of one filled-in page, its template written by the flow's own step."""
    folder = tmp_path_factory.mktemp("flow")
    template = make_template(CHARS, "flow")
    written, preview = write_template_preview(template, folder / "sheet.pdf", preview_height=100)
    assert {p.name for p in written} >= {"sheet.pdf", "sheet.json"}
    assert preview is not None and preview.shape[0] == 100 and preview.dtype == np.uint8
    scan = save_jpeg(degrade(fill_page(template, 0, HAND, written={CHARS[4]: None}), seed=2), folder / "page.jpg")
    out = folder / "import"
    run_to_end(import_scans(ImportRequest((scan,), folder / "sheet.json", out, dataset_size=32, check_labels=False)))
    return out


@pytest.fixture(scope="module")
def tiny_base(tiny_dataset, skeleton_gan, tiny_configs, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 32 px style model to fine-tune from (one step: only its config matters here)."""
    from segan_core.training.runs import RunOptions, train_style

    model, train = tiny_configs
    train = dataclasses.replace(train, bidirectional=False)
    out = tmp_path_factory.mktemp("base") / "base"
    run_to_end(train_style(tiny_dataset, skeleton_gan, model, train, RunOptions(out=out, max_steps=1)))
    return out


def test_the_default_base_is_one_name_for_the_cli_and_the_app():
    args = build_parser().parse_args(["train", "finetune", "--data", "d", "--name", "n"])
    assert args.base == DEFAULT_BASE


def test_plan_rebuilds_only_a_stale_dataset_and_resumes_a_stopped_run(imported, tiny_base, tmp_path, monkeypatch):
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    saved = load_review(imported)
    job = plan_finetune(imported, saved, str(tiny_base), "My Hand", max_steps=2, threads=1)
    assert job.size == 32 and not job.rebuild and not job.resume  # the review on disk, the dataset at 32 px
    assert job.request.data == imported / "dataset" and job.request.max_steps == 2 and job.request.name == "My Hand"
    assert plan_finetune(imported, saved.dropped({CHARS[0]}), str(tiny_base), "My Hand").rebuild  # a pending review

    assert not can_resume("My Hand")
    run_folder("My Hand").mkdir(parents=True)
    (run_folder("My Hand") / STATE_JSON).write_text("{}", encoding="utf-8")
    assert can_resume("My Hand") and plan_finetune(imported, saved, str(tiny_base), "My Hand").resume
    assert import_folder("My Hand") == tmp_path / "home" / "datasets" / "My-Hand-scans"


def test_plan_refuses_what_it_cannot_fine_tune(imported, tiny_base, tmp_path, monkeypatch):
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    with pytest.raises(SeganError, match="give the calligrapher a name"):
        plan_finetune(imported, load_review(imported), str(tiny_base), "  ")
    with pytest.raises(InputFileError, match="no import"):
        plan_finetune(tmp_path, load_review(imported), str(tiny_base), "hand")


def test_thumbnails_shrink_each_cell_and_skip_an_unreadable_one(imported, tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a picture")
    images = {CHARS[0]: imported / "chars" / f"{CHARS[0]}.png", "x": broken}
    thumbs = thumbnails(images, 24)
    assert set(thumbs) == {CHARS[0]} and thumbs[CHARS[0]].shape == (24, 24)
