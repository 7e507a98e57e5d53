"""Review corrections of a scan import (segan_core.scans.corrections): relabel, drop, rebuild; originals kept."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from segan_core.cli import main
from segan_core.data.store import read_manifest
from segan_core.errors import InputFileError, SeganError
from segan_core.imageio import read_gray
from segan_core.jobs import run_to_end
from segan_core.scans.charsets import core_set
from segan_core.scans.corrections import Review, apply_review, cell_images, load_review
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


# -- segan scans review: a JSON file of relabels and drops, applied as the review grid applies them ----------------


def _cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


def _corrections(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_scans_review_applies_a_corrections_file_on_top_of_the_saved_review(imported: Path, tmp_path: Path):
    folder = Path(shutil.copytree(imported, tmp_path / "import"))
    run_to_end(apply_review(folder, {}, set()))  # start from no corrections
    images = cell_images(folder)
    first = _corrections(tmp_path / "first.json", {"relabel": {CHARS[1]: OTHER}, "drop": [CHARS[2]]})
    code, out, err = _cli("scans", "review", str(folder), str(first), "--quiet")
    assert code == 0, err
    assert "1 relabelled, 1 dropped" in out and "dataset rebuilt at 32 px" in out
    chars = _all_chars(folder / "dataset")
    assert OTHER in chars and CHARS[1] not in chars and CHARS[2] not in chars and len(chars) == len(images) - 1
    assert np.array_equal(read_gray(folder / "reviewed" / f"{OTHER}.png"), read_gray(images[CHARS[1]]))

    # a second file adds to the saved review (the grid's own actions): the drop of CHARS[2] becomes a relabel
    second = _corrections(tmp_path / "second.json", {"drop": [CHARS[3]], "relabel": {CHARS[2]: "宙"}})
    code, _, err = _cli("scans", "review", str(folder), str(second), "--size", "64", "--quiet")
    assert code == 0, err
    saved = load_review(folder)
    assert saved.relabel == {CHARS[1]: OTHER, CHARS[2]: "宙"} and saved.drop == {CHARS[3]}
    assert read_manifest(folder / "dataset")["size"] == 64 and "宙" in _all_chars(folder / "dataset")

    # --replace: the file is the whole review (a saved review.json is a corrections file too)
    empty = _corrections(tmp_path / "empty.json", {})
    code, out, err = _cli("scans", "review", str(folder), str(empty), "--replace", "--quiet")
    assert code == 0, err
    assert "0 relabelled, 0 dropped" in out and load_review(folder) == Review()
    assert set(_all_chars(folder / "dataset")) == set(images)
    code, _, err = _cli("scans", "review", str(folder), str(_corrections(tmp_path / "r.json", saved.to_json())),
                        "--replace", "--quiet")
    assert code == 0, err
    assert load_review(folder) == saved


def test_scans_review_refuses_bad_input_with_one_line_and_changes_nothing(imported: Path, tmp_path: Path):
    folder = Path(shutil.copytree(imported, tmp_path / "import"))
    run_to_end(apply_review(folder, {CHARS[1]: OTHER}, set()))
    before = {p: p.read_bytes() for p in (folder / "review.json", folder / "dataset" / "manifest.json")}
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"relabel": {', encoding="utf-8")
    cases = [
        (folder, bad_json, "not valid JSON"),
        (folder, _corrections(tmp_path / "list.json", [CHARS[1]]), "must be a JSON object"),
        (folder, _corrections(tmp_path / "typo.json", {"drops": [CHARS[1]]}), "unknown key 'drops'"),
        (folder, _corrections(tmp_path / "cell.json", {"drop": ["龘"]}), "'龘' is not an imported cell"),
        (folder, _corrections(tmp_path / "empty-box.json", {"drop": [CHARS[4]]}), "is not an imported cell"),
        (folder, _corrections(tmp_path / "both.json", {"relabel": {CHARS[3]: OTHER}, "drop": [CHARS[3]]}),
         "more than one of relabel, drop and accept"),
        (folder, _corrections(tmp_path / "type.json", {"drop": CHARS[3]}), "'drop' must be a list"),
        (folder, _corrections(tmp_path / "label.json", {"relabel": {CHARS[3]: "ab"}}), "one Han character"),
        (folder, tmp_path / "missing.json", "corrections file not found"),
        (tmp_path / "no-such-import", _corrections(tmp_path / "ok.json", {}), "no scan import folder"),
        (tmp_path, tmp_path / "ok.json", "not a scan import folder"),
    ]
    for import_dir, corrections, message in cases:
        code, out, err = _cli("scans", "review", str(import_dir), str(corrections), "--quiet")
        assert code == 2 and message in err, (corrections.name, err)
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and out == ""
    assert {p: p.read_bytes() for p in before} == before
