"""Issue 31, fault 9 (core side): hand edits of one written glyph (erase a speck, move, scale, baseline),
"it is right" for a false flag, the review's filters and its undo history; all kept in ``review.json`` and
applied when the reviewed glyphs are written, so the fine-tune sees the edited glyph."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from segan_core.errors import InputFileError, SeganError
from segan_core.imageio import read_gray
from segan_core.jobs import run_to_end
from segan_core.scans.cell_edit import CellEdit, apply_edit, blob_at, erased_mask, ink_centre, toggle_erase
from segan_core.scans.charsets import core_set
from segan_core.scans.corrections import (
    Review,
    ReviewHistory,
    apply_review,
    load_review,
    needs_decision,
    review_filters,
)
from segan_core.scans.importer import ImportRequest, import_scans
from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
from segan_core.scans.template import make_template, write_template

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"
CHARS = core_set("core300")[:10]


def _glyph() -> np.ndarray:
    """A 256 px ink image: a block (the character) and a small speck in the corner."""
    ink = np.zeros((256, 256), np.uint8)
    ink[80:176, 60:200] = 255
    ink[30:34, 230:234] = 255
    return ink


def _bbox(ink: np.ndarray) -> tuple[int, int, int, int]:
    rows, cols = np.nonzero(ink >= 128)
    return int(rows.min()), int(rows.max()), int(cols.min()), int(cols.max())


def test_identity_edit_gives_the_glyph_back_unchanged() -> None:
    ink = _glyph()
    assert CellEdit().is_identity and apply_edit(ink, CellEdit()) is ink


def test_a_click_erases_the_speck_and_a_second_click_brings_it_back() -> None:
    ink = _glyph()
    edit = toggle_erase(CellEdit(), ink, 231.5 / 256, 31.5 / 256)
    assert len(edit.erase) == 1
    out = apply_edit(ink, edit)
    assert out[30:34, 230:234].max() == 0 and np.array_equal(out[80:176, 60:200], ink[80:176, 60:200])
    assert toggle_erase(edit, ink, 232 / 256, 32 / 256).erase == ()  # clicked again: restored
    # a click just beside thin ink still takes it; a click on paper far from any ink does nothing
    assert blob_at(ink, 236 / 256, 32 / 256) == blob_at(ink, 231 / 256, 31 / 256) != 0
    assert toggle_erase(CellEdit(), ink, 0.5 / 256, 250 / 256) == CellEdit()
    # a seed names its blob at any image size (fractions of the image)
    small = ink[::2, ::2]
    assert erased_mask(small, edit.erase)[15:17, 115:117].all() and not erased_mask(small, edit.erase)[50:80].any()


def test_scale_about_the_written_ink_and_moves_in_em_fractions() -> None:
    ink = np.zeros((256, 256), np.uint8)
    ink[80:176, 60:200] = 255  # centre (129.5, 127.5)
    half = apply_edit(ink, CellEdit(scale=0.5))
    top, bottom, left, right = _bbox(half)
    assert (bottom - top + 1, right - left + 1) == pytest.approx((48, 70), abs=2)
    assert ink_centre(half >= 128) == pytest.approx(ink_centre(ink), abs=1)
    em = 224  # EmBox(256).em_px
    moved = apply_edit(ink, CellEdit(dx=0.1, dy=0.05))
    assert _bbox(moved)[0] == pytest.approx(80 + 0.05 * em, abs=1)
    assert _bbox(moved)[2] == pytest.approx(60 + 0.1 * em, abs=1)
    raised = apply_edit(ink, CellEdit(baseline=0.1))  # the glyph sits higher: up by a tenth of the em
    assert _bbox(raised)[0] == pytest.approx(80 - 0.1 * em, abs=1)


def test_erasing_a_speck_does_not_move_the_scaled_glyph() -> None:
    ink = _glyph()
    scaled = apply_edit(ink, CellEdit(scale=0.8))
    erased = apply_edit(ink, toggle_erase(CellEdit(scale=0.8), ink, 231 / 256, 31 / 256))
    # the scale's centre is the written ink's (speck included), whether or not the speck is erased
    assert scaled[:60].max() == 255 and erased[:60].max() == 0
    assert np.array_equal(erased[60:], scaled[60:])


def test_edits_round_trip_through_json_and_bad_ones_are_one_line_errors() -> None:
    edit = CellEdit(((0.25, 0.5),), 1.2, -0.05, 0.03, 0.1)
    assert CellEdit.from_json(json.loads(json.dumps(edit.to_json()))) == edit
    bad = [{"scale": 9}, {"scale": "1"}, {"dx": 2}, {"erase": [[2, 0]]}, {"erase": [1, 2]}, {"zoom": 1}, [],
           {"baseline": float("nan")}, {"scale": True}]
    for data in bad:
        with pytest.raises(SeganError) as error:
            CellEdit.from_json(data)
        assert "\n" not in str(error.value)


def test_review_operations_filters_and_history() -> None:
    statuses = {"天": "ok", "地": "empty", "玄": "touches-border", "黄": "label-mismatch", "宇": "duplicate-replaced"}
    review = Review()
    assert review_filters(statuses, review)["decision"] == ("玄", "黄", "宇")
    assert review_filters(statuses, review)["empty"] == ("地",) and len(review_filters(statuses, review)["all"]) == 5
    history = ReviewHistory(review)
    assert history.push(review.accepted({"黄"}), "it is right: 黄")
    assert not needs_decision("黄", "label-mismatch", history.current)
    assert history.push(history.current.dropped({"玄", "宇"}), "drop 2 cells")
    assert history.current.drop == {"玄", "宇"} and review_filters(statuses, history.current)["decision"] == ()
    assert history.push(history.current.relabelled("宇", "宙"), "relabel")
    assert history.current.drop == {"玄"} and history.current.relabel == {"宇": "宙"}  # one state per cell
    assert history.push(history.current.edited("天", CellEdit(scale=0.9)), "edit 天")
    assert review_filters(statuses, history.current)["flagged"] == ("天", "地", "玄", "黄", "宇")
    assert not history.push(history.current, "nothing")
    assert history.undo_text() == "edit 天" and "天" not in history.undo().edits
    assert history.undo().relabel == {} and history.undo().drop == set() and history.current.accept == {"黄"}
    assert history.redo().drop == {"玄", "宇"} and history.redo_text() == "relabel"
    history.push(history.current.reset({"玄"}), "undo changes to 玄")
    assert not history.can_redo() and history.current.drop == {"宇"}


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("edit")
    template = make_template(CHARS, "edit")
    write_template(template, folder / "sheet.pdf", dpi=100, png=False)
    scan = save_jpeg(degrade(fill_page(template, 0, HAND), seed=2), folder / "page.jpg")
    out = folder / "import"
    run_to_end(import_scans(ImportRequest((scan,), folder / "sheet.json", out, dataset_size=32, check_labels=False)))
    return out


def test_apply_review_writes_the_edited_glyph_and_keeps_the_review(imported: Path) -> None:
    original = read_gray(imported / "chars" / f"{CHARS[0]}.png")
    edit = CellEdit(scale=0.7, baseline=0.05)
    edits = {CHARS[0]: edit, CHARS[1]: CellEdit(dx=0.1)}
    run_to_end(apply_review(imported, {CHARS[1]: "宙"}, {CHARS[2]}, accept={CHARS[3]}, edits=edits))
    reviewed = read_gray(imported / "reviewed" / f"{CHARS[0]}.png")
    assert np.array_equal(255 - reviewed, apply_edit(255 - original, edit))
    assert (255 - reviewed >= 128).sum() < 0.6 * (255 - original >= 128).sum()  # 0.7 x 0.7 of the ink
    moved = read_gray(imported / "reviewed" / "宙.png")  # relabelled and edited: under its new name
    assert np.array_equal(255 - moved, apply_edit(255 - read_gray(imported / "chars" / f"{CHARS[1]}.png"),
                                                  edits[CHARS[1]]))
    assert np.array_equal(read_gray(imported / "chars" / f"{CHARS[0]}.png"), original)  # the import's own file
    saved = load_review(imported)
    assert saved == Review({CHARS[1]: "宙"}, frozenset({CHARS[2]}), frozenset({CHARS[3]}), edits)
    with pytest.raises(SeganError, match="nothing to relabel, drop, accept or edit"):
        run_to_end(apply_review(imported, {}, set(), edits={"龘": edit}))


def test_older_and_damaged_review_files(imported: Path, tmp_path: Path) -> None:
    folder = tmp_path / "copy"
    folder.mkdir()
    (folder / "review.json").write_text(json.dumps({"format": "segan-scan-review", "relabel": {}, "drop": ["天"]}),
                                        encoding="utf-8")
    assert load_review(folder) == Review(drop=frozenset({"天"}))  # written before accept / edits existed
    damaged = [
        "{not json",
        json.dumps({"format": "segan-scan-review", "relabel": {}, "drop": [], "edits": {"天": {"scale": 99}}}),
        json.dumps({"format": "segan-scan-review", "relabel": [], "drop": []}),
        json.dumps({"format": "segan-scan-review", "relabel": {}, "drop": [], "accept": "天"}),
        json.dumps({"format": "something-else", "relabel": {}, "drop": []}),
        json.dumps([1, 2]),
    ]
    for text in damaged:
        (folder / "review.json").write_text(text, encoding="utf-8")
        with pytest.raises(InputFileError, match="damaged review file") as error:
            load_review(folder)
        assert "\n" not in str(error.value)
