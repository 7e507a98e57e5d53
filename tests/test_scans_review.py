"""Review corrections of a scan import (segan_core.scans.corrections): relabel, drop, rebuild; originals kept."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from segan_core.data.store import read_manifest
from segan_core.errors import InputFileError, SeganError
from segan_core.imageio import read_gray
from segan_core.jobs import run_to_end
from segan_core.scans.charsets import core_set
from segan_core.scans.corrections import apply_review, cell_images, load_review
from segan_core.scans.importer import ImportRequest, import_scans
from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
from segan_core.scans.template import make_template, write_template

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"
CHARS = core_set("core300")[:12]
OTHER = core_set("core300")[12]  # written into the cell of CHARS[1] by mistake


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("review")
    template = make_template(CHARS, "review")
    write_template(template, folder / "sheet.pdf", dpi=100, png=False)
    page = fill_page(template, 0, HAND, written={CHARS[1]: OTHER, CHARS[4]: None})
    scan = save_jpeg(degrade(page, seed=5), folder / "page.jpg")
    out = folder / "import"
    run_to_end(import_scans(ImportRequest((scan,), folder / "sheet.json", out, dataset_size=32, check_labels=False)))
    return out


def _all_chars(dataset: Path) -> str:
    return "".join(read_manifest(dataset)["splits"].values())


def test_relabel_and_drop_rebuild_the_dataset_and_keep_the_originals(imported: Path):
    originals = {p.name: p.read_bytes() for p in (imported / "chars").iterdir()}
    images = cell_images(imported)
    assert CHARS[4] not in images and set(images) == set(CHARS) - {CHARS[4]}  # the empty cell has no image
    dataset = run_to_end(apply_review(imported, {CHARS[1]: OTHER}, {CHARS[2]}))
    assert dataset == imported / "dataset"
    chars = _all_chars(dataset)
    assert OTHER in chars and CHARS[1] not in chars and CHARS[2] not in chars
    assert len(chars) == len(images) - 1
    manifest = read_manifest(dataset)
    assert manifest["target"]["folder"] == str(imported / "reviewed") and manifest["size"] == 32
    # the relabelled glyph is the very image of that cell, under its new name
    assert np.array_equal(read_gray(imported / "reviewed" / f"{OTHER}.png"), read_gray(images[CHARS[1]]))
    assert not (imported / "reviewed" / f"{CHARS[2]}.png").exists()
    assert {p.name: p.read_bytes() for p in (imported / "chars").iterdir()} == originals
    saved = load_review(imported)
    assert saved.relabel == {CHARS[1]: OTHER} and saved.drop == {CHARS[2]}
    assert json.loads((imported / "review.json").read_text(encoding="utf-8"))["format"] == "segan-scan-review"

    # applying again replaces the review: an empty one gives the import back; a new size rebuilds at it
    run_to_end(apply_review(imported, {}, set(), size=64))
    assert set(_all_chars(dataset)) == set(images) and read_manifest(dataset)["size"] == 64
    assert sorted(p.stem for p in (imported / "reviewed").iterdir()) == sorted(images)
    assert load_review(imported).relabel == {}


def test_bad_corrections_are_one_line_errors_and_change_nothing(imported: Path, tmp_path: Path):
    run_to_end(apply_review(imported, {CHARS[1]: OTHER}, set()))
    before = (imported / "review.json").read_bytes()
    cases = [
        ({CHARS[1]: "x"}, set(), "one Han character"),
        ({CHARS[1]: "天地"}, set(), "one Han character"),
        ({"龘": OTHER}, set(), "no imported cell image"),
        ({CHARS[1]: CHARS[3]}, set(), "would both be"),
        ({}, set(CHARS) - {CHARS[4]}, "every cell is dropped"),
    ]
    for relabel, drop, message in cases:
        with pytest.raises(SeganError, match=message):
            run_to_end(apply_review(imported, relabel, drop))
    assert (imported / "review.json").read_bytes() == before
    run_to_end(apply_review(imported, {CHARS[1]: CHARS[3]}, {CHARS[3]}))  # the real one dropped: fine
    assert CHARS[3] in _all_chars(imported / "dataset")
    with pytest.raises(InputFileError, match="not a scan import"):
        run_to_end(apply_review(tmp_path, {}, set()))
