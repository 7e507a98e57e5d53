"""Ownership by content (issue 28): what a command may replace is proven by its marker, never by a file name.

The property, for every kind of output folder (:mod:`segan_core.outputs`): a folder holding a user's
files under every name the command writes is refused without ``--overwrite`` and with it; with
``--overwrite`` only files the command itself wrote in an earlier run are replaced. Then the commands
themselves (the cases the issue found), the temp-file sweep and a full disk inside safetensors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from segan_core.atomic import atomic_dir, claim_output_dir, disk_errors, sweep_stale, write_text_atomic
from segan_core.batch_report import BATCH_REPORT
from segan_core.data.store import DATASET
from segan_core.errors import OutputError
from segan_core.evaluation.report import EVAL_REPORT
from segan_core.evaluation.selection import SELECTION
from segan_core.evaluation.upscaled import UPSCALE_EVAL
from segan_core.finetune import USER_STYLE
from segan_core.generate import GENERATED_GLYPHS
from segan_core.outputs import OutputKind, check_output_dir, check_output_json, read_marker
from segan_core.scans.importer import SCAN_IMPORT
from segan_core.training.engine import TRAINING_RUN
from segan_core.upscale.train import INSTALLED_UPSCALER

from .test_bad_inputs import FONT_STYLE, MODEL, hidden, one_line_error, run

KINDS = [DATASET, EVAL_REPORT, SELECTION, USER_STYLE, SCAN_IMPORT, GENERATED_GLYPHS, TRAINING_RUN, INSTALLED_UPSCALER]
USER_JSON = b'{"format": "my-own", "note": "a user\'s file"}'  # JSON, but not the command's


def names(kind: OutputKind) -> list[str]:
    """Every name the command writes (patterns made concrete), and its marker."""
    return [pattern.replace("*", "1") for pattern in kind.owned] + [kind.marker]


def fill_with_user_files(folder: Path, kind: OutputKind) -> dict[str, bytes]:
    """A user's file (or a folder with one in it) under every name ``kind`` writes; returns path -> bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    files = {}
    for name in names(kind):
        path = folder / name if "." in name else folder / name / "mine.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(USER_JSON if name.endswith(".json") else f"mine: {name}".encode())
        files[str(path.relative_to(folder))] = path.read_bytes()
    return files


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def write_every_name(tmp: Path, kind: OutputKind, text: str) -> None:
    for name in names(kind)[:-1]:
        path = tmp / name if "." in name else tmp / name / "ours.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.format)
@pytest.mark.parametrize("overwrite", [False, True], ids=["plain", "overwrite"])
def test_user_files_under_every_name_are_refused(tmp_path, kind, overwrite):
    out = tmp_path / "out"
    before = fill_with_user_files(out, kind)
    with pytest.raises(OutputError, match="--overwrite") as refused:
        check_output_dir(out, kind, overwrite)
    assert str(out) in str(refused.value) and "\n" not in str(refused.value)
    with pytest.raises(OutputError), atomic_dir(out, kind, overwrite) as tmp:
        write_every_name(tmp, kind, "new")
    assert snapshot(out) == before and hidden(tmp_path) == []


@pytest.mark.parametrize("kind", KINDS, ids=lambda k: k.format)
def test_overwrite_replaces_only_what_an_earlier_run_wrote(tmp_path, kind):
    out = tmp_path / "out"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"four years")
    with atomic_dir(out, kind, overwrite=True) as tmp:  # beside the user's file: allowed with --overwrite
        write_every_name(tmp, kind, "first")
    marker = read_marker(out, kind)
    assert marker is not None and len(marker.owner) == 32 and "thesis.docx" not in (marker.files or ())
    with atomic_dir(out, kind) as tmp:  # its own output now: no --overwrite needed
        write_every_name(tmp, kind, "second")
    assert read_marker(out, kind).owner == marker.owner  # the id made when the folder was first written
    assert (out / "thesis.docx").read_bytes() == b"four years"
    assert all("first" not in text.decode(errors="replace") for text in snapshot(out).values())
    folders = [n for n in names(kind) if "." not in n]
    if folders:  # a user's file dropped into one of our folders is not ours: refused, kept
        (out / folders[0] / "my-drawing.png").write_bytes(b"drawn by hand")
        with pytest.raises(OutputError, match=r"my-drawing\.png"), atomic_dir(out, kind, overwrite=True) as tmp:
            write_every_name(tmp, kind, "third")
        assert (out / folders[0] / "my-drawing.png").read_bytes() == b"drawn by hand"
    assert hidden(tmp_path) == [] and hidden(out) == []


CHECKPOINT = {"format": "segan-checkpoint", "kind": "segan"}  # every model folder's config.json
TRAIN_STATE = {"step": 100, "elapsed_s": 1.0, "optimizers": {}, "rng": {}}  # only a training run writes it
LEGACY = [  # an output from before markers: the JSON files that make it the kind's, by what they say
    (DATASET, {"manifest.json": {"format": "segan-dataset"}}),
    (EVAL_REPORT, {"report.json": {"format": "segan-eval-report"}}),
    (SCAN_IMPORT, {"report.json": {"format": "segan-scan-import"}}),
    (TRAINING_RUN, {"config.json": CHECKPOINT, "train_state.json": TRAIN_STATE}),
    (INSTALLED_UPSCALER, {"config.json": {"format": "segan-checkpoint", "kind": "upscaler"}}),
    (USER_STYLE, {"style.json": {"name": "Mine", "created_with": "segan-studio 0.1"}}),
    (SELECTION, {"selection.json": {"chosen": "step-000100"}}),
    (GENERATED_GLYPHS, {"generate.json": {"model_name": "ma-shan-zheng"}}),
]


def write_json_files(folder: Path, files: dict[str, object]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text(json.dumps(body), encoding="utf-8")
    return folder


@pytest.mark.parametrize(("kind", "files"), LEGACY, ids=lambda v: getattr(v, "format", None))
def test_outputs_from_before_markers_are_ours_by_content_not_by_name(tmp_path, kind, files):
    ours = write_json_files(tmp_path / "ours", files)
    theirs = write_json_files(tmp_path / "theirs", {name: {"format": "my-own", "name": "x"} for name in files})
    assert check_output_dir(ours, kind) == ours
    with pytest.raises(OutputError, match="not empty"):
        check_output_dir(theirs, kind)
    with pytest.raises(OutputError, match=f"{sorted(files)[0]} was not written by segan"):
        check_output_dir(theirs, kind, overwrite=True)


# -- one kind's output is never another's, though they share file names ----------------------------------


def test_every_kind_has_its_own_format_and_marker():
    formats = [kind.format for kind in KINDS] + [BATCH_REPORT.format, UPSCALE_EVAL.format]
    assert len(set(formats)) == len(formats)
    assert len({kind.marker for kind in KINDS}) == len(KINDS)
    shared = {name for kind in KINDS for name in kind.owned if sum(name in k.owned for k in KINDS) > 1}
    assert {"report.json", "config.json", "weights.safetensors", "selection.json"} <= shared  # what this guards


SHARING = [(a, b) for a in KINDS for b in KINDS if a is not b and set(a.owned) & set(b.owned)]


@pytest.mark.parametrize(("written", "other"), SHARING, ids=lambda k: k.format)
def test_a_kinds_output_is_not_another_kinds_that_writes_the_same_names(tmp_path, written, other):
    """Decided by a file name, a previous evaluation report (report.json) would be a scan import's, a training
    run or a selected model (config.json, weights.safetensors) an installed upscaler's: each is refused."""
    out = tmp_path / "out"
    with atomic_dir(out, written) as tmp:
        write_every_name(tmp, written, "ours")
    for name in set(written.owned) & set(other.owned):  # what they hold for real where both kinds read them
        if name == "config.json":
            body = {**CHECKPOINT, "kind": "upscaler" if written is INSTALLED_UPSCALER else "segan"}
        elif name.endswith(".json"):
            body = {"format": written.format}
        else:
            continue
        (out / name).write_text(json.dumps(body), encoding="utf-8")
    assert check_output_dir(out, written) == out
    with pytest.raises(OutputError, match="not empty"):
        check_output_dir(out, other)
    with pytest.raises(OutputError, match="was not written by segan"):
        check_output_dir(out, other, overwrite=True)


@pytest.mark.parametrize(("kind", "files"), LEGACY, ids=lambda v: getattr(v, "format", None))
def test_an_older_output_of_one_kind_is_not_another_kinds(tmp_path, kind, files):
    folder = write_json_files(tmp_path / "old", files)
    for other in KINDS:
        if other is not kind and set(files) & set(other.owned):
            with pytest.raises(OutputError, match="not empty"):
                check_output_dir(folder, other)


def test_a_marker_of_another_format_is_not_ours(tmp_path):
    """A file under a kind's marker name proves nothing: its format must be the kind's."""
    out = tmp_path / "out"
    out.mkdir()
    (out / EVAL_REPORT.marker).write_text(json.dumps({"format": SCAN_IMPORT.format, "owner": "x", "files": []}))
    (out / "report.json").write_text(json.dumps({"format": SCAN_IMPORT.format}))
    with pytest.raises(OutputError, match="not empty"):
        check_output_dir(out, EVAL_REPORT)
    with pytest.raises(OutputError, match=r"report\.json was not written by segan"):
        check_output_dir(out, EVAL_REPORT, overwrite=True)
    assert read_marker(out, SCAN_IMPORT) is not None  # its report.json is a scan import's, by its format


def test_a_model_folder_is_not_a_training_run(tmp_path):
    """Every model folder has a config.json (format segan-checkpoint): a selected style is not a run to train into."""
    with pytest.raises(OutputError, match="not empty"):
        check_output_dir(MODEL, TRAINING_RUN)
    with pytest.raises(OutputError, match="not empty"):
        check_output_dir(MODEL, INSTALLED_UPSCALER)  # a style model's config.json is not an upscaler's
    style = write_json_files(tmp_path / "style", {"config.json": CHECKPOINT})
    (style / "weights.safetensors").write_bytes(b"a trained style")
    with pytest.raises(OutputError, match="was not written by segan"):
        check_output_dir(style, TRAINING_RUN, overwrite=True)
    assert (style / "weights.safetensors").read_bytes() == b"a trained style"


def test_segan_train_never_trains_over_a_style_model(tmp_path, capsys, tiny_dataset):
    style = tmp_path / "style"
    shutil.copytree(MODEL, style, ignore=shutil.ignore_patterns("*.png", "upscaler"))
    before = snapshot(style)
    argv = ["train", "skeleton", "--data", tiny_dataset, "--out", style, "--preset", "tiny-32", "--max-steps", "1",
            "--quiet"]
    code, err = run(argv, capsys)
    assert code == 2
    one_line_error(err, str(style), "not a training run", "--overwrite")
    assert snapshot(style) == before and hidden(tmp_path) == []


def test_the_bundled_model_folders_stay_ours():
    upscalers = sorted((MODEL.parent).glob("*/upscaler"))
    assert upscalers and all(check_output_dir(u, INSTALLED_UPSCALER) == u for u in upscalers)
    assert check_output_dir(MODEL, SELECTION) == MODEL


def test_a_style_of_another_name_is_not_replaced(tmp_path):
    style = tmp_path / "Mine"
    style.mkdir()
    (style / "style.json").write_text(json.dumps({"name": "Mine", "created_with": "segan-studio 1"}))
    with pytest.raises(OutputError, match="holds the fine-tuned style 'Mine', not 'Other'"):
        check_output_dir(style, USER_STYLE, name="Other")
    assert check_output_dir(style, USER_STYLE, name="Mine") == style
    with atomic_dir(style, USER_STYLE, name="Mine") as tmp:
        (tmp / "style.json").write_text(json.dumps({"name": "Mine", "created_with": "segan-studio 2"}))
    with pytest.raises(OutputError, match="not 'Other'"), atomic_dir(style, USER_STYLE, name="Other"):
        pass
    assert check_output_dir(style, USER_STYLE, overwrite=True, name="Other") == style  # asked for


def test_a_training_run_claims_its_folder(tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "thesis.docx").write_bytes(b"mine")
    check_output_dir(out, TRAINING_RUN, overwrite=True)
    claim_output_dir(out, TRAINING_RUN)
    (out / "log.jsonl").write_text("{}\n")  # what the engine writes as it goes
    assert read_marker(out, TRAINING_RUN).files is None and check_output_dir(out, TRAINING_RUN) == out


# -- the commands (the cases) ----------------------------------------------------------------


def test_data_build_overwrite_never_replaces_a_users_train_npz(tmp_path, capsys):
    out = tmp_path / "data"
    out.mkdir()
    (out / "train.npz").write_bytes(b"my own arrays")
    argv = ["data", "build", "--target", FONT_STYLE.removeprefix("font:"), "--text", "永字", "--size", "32",
            "--out", out, "--quiet", "--overwrite"]
    code, err = run(argv, capsys)
    assert code == 2
    one_line_error(err, str(out / "train.npz"), "not written by segan", "never replaces your files")
    assert sorted(p.name for p in out.iterdir()) == ["train.npz"]
    assert (out / "train.npz").read_bytes() == b"my own arrays"


@pytest.mark.parametrize("extra", [[], ["--overwrite"]], ids=["plain", "overwrite"])
def test_generate_never_deletes_a_users_drawings(tmp_path, capsys, extra):
    out = tmp_path / "out"
    for rel in ("glyphs/my-drawing.png", "svg/logo.svg"):
        (out / rel).parent.mkdir(parents=True)
        (out / rel).write_bytes(b"drawn by hand")
    before = snapshot(out)
    code, err = run(["generate", "--style", MODEL, "--text", "永", "--svg", "--out", out, "--quiet", *extra], capsys)
    assert code == 2
    one_line_error(err, str(out))
    assert snapshot(out) == before and hidden(tmp_path) == []


def test_eval_refuses_a_folder_with_a_users_report_json(tmp_path, capsys):
    out = tmp_path / "u"
    out.mkdir()
    for name in ("report.json", "report.md", "samples.png"):
        (out / name).write_bytes(USER_JSON)
    argv = ["eval", "--model", FONT_STYLE, "--data", tmp_path / "nodata", "--out", out, "--no-ocr", "--quiet"]
    for extra in ([], ["--overwrite"]):
        code, err = run([*argv, *extra], capsys)
        assert code == 2
        one_line_error(err, str(out))
    assert all((out / n).read_bytes() == USER_JSON for n in ("report.json", "report.md", "samples.png"))


def test_eval_upscaler_json_never_replaces_a_users_file(tmp_path, capsys):
    thesis = tmp_path / "thesis.docx"
    thesis.write_bytes(b"four years of work")
    code, err = run(["eval", "upscaler", "--style", MODEL, "--data", tmp_path / "nodata", "--json", thesis], capsys)
    assert code == 2
    one_line_error(err, str(thesis), "not a report of segan eval upscaler", "--overwrite")
    assert thesis.read_bytes() == b"four years of work"


@pytest.mark.parametrize(
    "extra", [["--report", "{out}"], ["--report", "{stem}.txt"], ["--format", "ttf,otf", "--report", "{stem}.otf"]],
    ids=["report-is-the-font", "text-report-is-the-json", "report-is-another-font"],
)
def test_batch_refuses_two_outputs_on_one_path(tmp_path, capsys, extra):
    out = tmp_path / "f.ttf"
    extra = [e.format(out=out, stem=tmp_path / "f") for e in extra]
    code, err = run(["batch", "--style", FONT_STYLE, "--text", "永", "--out", out, "--workers", "0", "--no-cache",
                     "--quiet", *extra], capsys)  # fmt: skip
    assert code == 2
    one_line_error(err, "is given as both the")
    assert list(tmp_path.iterdir()) == []


def test_batch_replaces_a_font_only_when_a_batch_report_lists_it(tmp_path, capsys):
    """FONT.report.json proves the font is ours by its format, not its name: another command's report that
    lists the font (or any JSON named so) lets nothing be replaced."""
    font, report = tmp_path / "f.ttf", tmp_path / "f.report.json"
    font.write_bytes(b"my font")
    listing = {"created_with": "segan-studio 0.1", "font": {"files": {"ttf": str(font)}}}
    argv = ["batch", "--style", FONT_STYLE, "--text", "永", "--out", font, "--workers", "0", "--no-cache", "--quiet"]
    for fmt in (EVAL_REPORT.format, SCAN_IMPORT.format, UPSCALE_EVAL.format):
        report.write_text(json.dumps({"format": fmt, **listing}), encoding="utf-8")
        code, err = run(argv, capsys)
        assert code == 2
        one_line_error(err, str(font), "not a previous output of segan batch")
        assert font.read_bytes() == b"my font"
    report.write_text(json.dumps(listing), encoding="utf-8")  # a batch report from before the format field
    assert run(argv, capsys)[0] == 0 and font.read_bytes() != b"my font"
    assert json.loads(report.read_text(encoding="utf-8"))["format"] == BATCH_REPORT.format


def test_a_json_report_of_another_command_is_not_replaced(tmp_path):
    path = tmp_path / "r.json"
    made_by_segan = {"created_with": "segan-studio 1"}
    for other in ({"format": BATCH_REPORT.format, **made_by_segan}, made_by_segan):
        path.write_text(json.dumps(other), encoding="utf-8")
        with pytest.raises(OutputError, match="not a report of segan eval upscaler"):
            check_output_json(path, UPSCALE_EVAL)
    path.write_text(json.dumps({"format": UPSCALE_EVAL.format}), encoding="utf-8")
    assert check_output_json(path, UPSCALE_EVAL) == path


def test_batch_overwrite_keeps_a_hand_made_ufos_images(tmp_path, capsys):
    ufo = tmp_path / "f.ufo"
    (ufo / "images").mkdir(parents=True)
    (ufo / "images" / "sketch.png").write_bytes(b"drawn by hand")
    (ufo / "metainfo.plist").write_text("old")
    argv = ["batch", "--style", FONT_STYLE, "--text", "永", "--out", ufo, "--format", "ufo", "--workers", "0",
            "--no-cache", "--quiet", "--overwrite"]
    assert run(argv, capsys)[0] == 0
    assert (ufo / "images" / "sketch.png").read_bytes() == b"drawn by hand"
    assert (ufo / "metainfo.plist").read_text() != "old" and (ufo / "glyphs").is_dir() and hidden(tmp_path) == []
    report = json.loads((tmp_path / "f.report.json").read_text(encoding="utf-8"))
    assert report["format"] == "segan-batch-report"


# -- stale temp files, a full disk inside safetensors ----------------------------------------------------


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_killed_writers_temp_files_are_swept_and_nothing_else(tmp_path):
    dead = dead_pid()
    stale = [f".f.ttf.segan-tmp-{dead}-ab12.ttf", f".f.ufo.segan-tmp-{dead}-cd34.tmp", f".g.segan-tmp-{dead}-x.old"]
    alive = [f".f.ttf.segan-tmp-{os.getppid()}-ef56.ttf"]  # a live writer's: left alone
    foreign = [".f.ttf.a1b2c3.ttf", "notes.segan-tmp-1-x.txt", ".hidden"]  # not our pattern: never touched
    for name in stale + alive + foreign:
        if name.endswith(".tmp"):
            (tmp_path / name).mkdir()
            (tmp_path / name / "half.glif").write_text("x")
        else:
            (tmp_path / name).write_text("x")
    write_text_atomic(tmp_path / "f.report.txt", "done")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*alive, *foreign, "f.report.txt"])
    assert sweep_stale(tmp_path) == []


def test_a_full_disk_inside_safetensors_is_one_line(tmp_path):
    from safetensors import SafetensorError

    target = tmp_path / "train_state.safetensors"
    with pytest.raises(OutputError, match="the disk is full") as refused, disk_errors(target):
        raise SafetensorError("Error while serializing: I/O error: No space left on device (os error 28)")
    assert str(target) in str(refused.value)
    with pytest.raises(SafetensorError), disk_errors(target):  # not a write error: passes through
        raise SafetensorError("Error while deserializing header: HeaderTooLarge")


# -- a killed export resumes its outlines too -------------------------------------------------------------


def test_outlines_traced_before_a_kill_are_cached(tmp_path, monkeypatch):
    """The first chunk's outlines are stored as soon as they are traced, not only once the next chunk's
    bitmaps are done: a job that dies generating chunk 2 resumes with chunk 1's outlines (the old job lost them)."""
    import concurrent.futures as cf

    from segan_core import batch
    from segan_core.glyph_source import FontGlyphSource

    futures: list[cf.Future] = []
    real_submit, real_generate = batch._Tracer.submit, FontGlyphSource.generate
    calls = []

    def submit(self, chars, images):
        real_submit(self, chars, images)
        futures.extend(t.future for t in self.pending if isinstance(t.future, cf.Future))

    def generate(self, chars, batch_size=64):
        calls.append(list(chars))
        if len(calls) == 3:  # chunk 2, batch 1: chunk 1 has been traced meanwhile
            cf.wait(futures[:1], timeout=60)
        if len(calls) == 4:  # chunk 2, batch 2: the job dies here (kill -9: nothing runs after)
            raise RuntimeError("killed")
        return real_generate(self, chars, batch_size)

    monkeypatch.setattr(batch._Tracer, "submit", submit)
    monkeypatch.setattr(FontGlyphSource, "generate", generate)
    req = batch.BatchRequest(source=FONT_STYLE, chars=tuple("永字八法天地玄黄"), out=tmp_path / "f.ttf",
                             cache_dir=tmp_path / "cache", workers=1, chunk_size=4, batch_size=2, font_size=64)
    with pytest.raises(RuntimeError, match="killed"):
        for _ in batch.export_font(req):
            pass
    db = next((tmp_path / "cache").glob("*.sqlite3"))
    import sqlite3

    with sqlite3.connect(db) as con:
        outlines = {chr(cp) for (cp,) in con.execute("SELECT cp FROM outlines")}
    assert outlines == set("永字八法")


# -- segan generate streams ----------------------------------------------------------------------------------


def test_generate_writes_each_batch_as_it_goes_and_pages_the_contact_sheet(tmp_path, monkeypatch):
    """Files of batch 1 are on disk (in the temp folder) before batch 2 is generated, and the contact sheet
    is paged (the old job kept every batch and one 6,763-row sheet in memory: 1.2 GB)."""
    from segan_core import generate
    from segan_core.jobs import CancelToken

    monkeypatch.setattr(generate, "SHEET_ROWS", 2)
    out = tmp_path / "out"
    request = generate.GenerateRequest(style=str(MODEL), chars=tuple("永字八"), out=out, batch_size=1,
                                       heatmaps=False)  # fmt: skip
    job = generate.generate_to_folder(request, CancelToken())
    seen_during = []
    for event in job:
        if event.stage == "generate" and event.done == 1:
            seen_during = [p.name for p in tmp_path.glob(".out.segan-tmp-*/glyphs/*.png")]
    assert seen_during == ["永.png"]
    assert sorted(p.name for p in out.glob("contact-sheet*.png")) == ["contact-sheet-2.png", "contact-sheet.png"]
    report = json.loads((out / "generate.json").read_text(encoding="utf-8"))
    assert report["contact_sheets"] == ["contact-sheet.png", "contact-sheet-2.png"] and report["count"] == 3
    assert hidden(tmp_path) == []
