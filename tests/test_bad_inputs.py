"""A hostile but fair user (issue #15): every bad input is one line on stderr and exit code 2.

Never a traceback, never a half-written or lost file, memory bounded before anything is decoded.
Most cases run the CLI in this process (``segan_core.cli.main``); the memory bombs run it in a
subprocess under ``RLIMIT_AS`` and report their peak RSS; the orphan test kills a batch with -9.
"""

from __future__ import annotations

import errno
import json
import os
import pickle
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segan_core.cli import main as cli_main

from .conftest import MA_SHAN_ZHENG, SOURCE_FONT

ROOT = Path(__file__).resolve().parents[1]
FONT_STYLE = f"font:{MA_SHAN_ZHENG}"  # a subset kept with the tests: only the characters they use
WHOLE_FONT_STYLE = f"font:{SOURCE_FONT}"  # for exports of a whole charset
MODEL = ROOT / "models" / "ma-shan-zheng"  # a real 64 px model: fine for a glyph or two
PEAK_MB_LIMIT = 800  # what a refused bomb may cost: the interpreter, numpy, torch, onnx (measured 260-540 MB)
CPU_S_LIMIT = 8  # CPU seconds in main() for a refused bomb (measured 0.5-3 s; the unfixed 30k PNG took 14 s)
AS_LIMIT_MB = 3000  # hard address-space cap for the bomb subprocesses (the unfixed bombs took 2.9-10 GB)


def run(argv: list[str], capsys: pytest.CaptureFixture) -> tuple[int, str]:
    """The CLI in this process: (exit code, stderr). A traceback would fail the test by raising."""
    code = cli_main([str(a) for a in argv])
    return code, capsys.readouterr().err


def one_line_error(err: str, *needles: str) -> str:
    """The single ``segan: error:`` line of stderr, checked to contain every needle."""
    lines = [line for line in err.splitlines() if line.startswith("segan: error:")]
    assert len(lines) == 1, err
    assert "Traceback" not in err, err
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


OLD_MANIFEST = '{"format": "segan-dataset"}'  # a dataset's manifest.json: its content, not its name, is ours


def hidden(folder: Path) -> list[str]:
    """Temp or backup leftovers (``.name.xxx.tmp``, ``.name.old``) in ``folder``."""
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def user_files(folder: Path) -> None:
    (folder / "photos").mkdir(parents=True)
    (folder / "photos" / "cat.jpg").write_bytes(b"not really a cat")
    (folder / "thesis.docx").write_bytes(b"four years of work")


def user_files_intact(folder: Path) -> bool:
    return (folder / "thesis.docx").read_bytes() == b"four years of work" and (
        folder / "photos" / "cat.jpg"
    ).read_bytes() == b"not really a cat"


def build_args(out: Path | str, text: str = "永字八法天地", *extra: str) -> list[str]:
    return ["data", "build", "--target", MA_SHAN_ZHENG, "--text", text, "--size", "32", "--out", out, "--quiet", *extra]


def png_bomb(path: Path, width: int, height: int) -> None:
    """A valid 1-bit PNG of ``width`` x ``height`` white pixels in a few hundred KB, written row by row."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    row = b"\0" + b"\xff" * ((width + 7) // 8)
    packer = zlib.compressobj(9)
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b""))


def glyph_png(path: Path, char: str = "永") -> None:
    from segan_core.glyphs.render import FontRenderer

    ink = FontRenderer(MA_SHAN_ZHENG).render(char, 64)
    Image.fromarray(255 - ink).save(path)


def model_copy(tmp_path: Path, **model: object) -> Path:
    folder = tmp_path / "model"
    shutil.copytree(MODEL, folder, ignore=shutil.ignore_patterns("*.png", "*.md"))
    config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
    config["model"].update(model)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return folder


BOOT = """
import resource, sys
limit = int(sys.argv[1]) << 20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
from segan_core.cli import main
before = resource.getrusage(resource.RUSAGE_SELF)
code = main(sys.argv[2:])
after = resource.getrusage(resource.RUSAGE_SELF)
cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of a big pytest would report its parent's
hwm = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(f"PEAK_KB={hwm} CPU_SECONDS={cpu:.2f}", file=sys.stderr)
sys.exit(code)
"""


def run_bounded(argv: list[str], cwd: Path) -> tuple[int, str, float, float]:
    """The CLI in a subprocess under an address-space cap: (exit code, stderr, peak RSS MB, CPU seconds of main()).

    CPU seconds, not wall time: the machine is shared, and decoding a 900 MP bomb costs >10 CPU s."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-c", BOOT, str(AS_LIMIT_MB), *map(str, argv)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )
    last = proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else ""
    assert last.startswith("PEAK_KB="), proc.stderr
    fields = dict(item.split("=") for item in last.split())
    return proc.returncode, proc.stderr, int(fields["PEAK_KB"]) / 1024, float(fields["CPU_SECONDS"])


# -- output folders: never lose a user's files --------------------------------------------------------


def test_data_build_refuses_a_foreign_folder(tmp_path, capsys):
    out = tmp_path / "mine"
    user_files(out)
    code, err = run(build_args(out), capsys)
    assert code == 2
    one_line_error(err, str(out), "not empty", "not a dataset folder", "--overwrite")
    assert user_files_intact(out) and sorted(p.name for p in out.iterdir()) == ["photos", "thesis.docx"]
    assert hidden(tmp_path) == []


def test_data_build_overwrite_replaces_only_its_own_files(tmp_path, capsys):
    out = tmp_path / "mine"
    user_files(out)
    code, _ = run(build_args(out, "永字八法天地", "--overwrite"), capsys)
    assert code == 0
    assert user_files_intact(out)
    assert {"manifest.json", "train.npz", "dev.npz", "test.npz"} <= {p.name for p in out.iterdir()}
    # a second build (its own output now) needs no --overwrite and still keeps the user's files
    code, _ = run(build_args(out, "永字八"), capsys)
    assert code == 0 and user_files_intact(out)
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["total"] == 3
    assert hidden(tmp_path) == [] and hidden(out) == []


def test_data_build_replaces_its_previous_output(tmp_path, capsys):
    out = tmp_path / "data"
    assert run(build_args(out, "永字八法天地"), capsys)[0] == 0
    assert run(build_args(out, "永字"), capsys)[0] == 0
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["counts"]["total"] == 2
    assert hidden(tmp_path) == [] and sorted(p.name for p in out.iterdir()) == [
        "dev.npz", "manifest.json", "segan-dataset.json", "test.npz", "train.npz"
    ]


def test_data_build_refuses_a_file_at_the_folder_path(tmp_path, capsys):
    afile = tmp_path / "afile"
    afile.write_bytes(b"precious")
    for extra in ((), ("--overwrite",)):
        code, err = run(build_args(afile, "永字", *extra), capsys)
        assert code == 2
        one_line_error(err, str(afile), "existing file")
    assert afile.read_bytes() == b"precious" and sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_data_build_out_dot(tmp_path, capsys, monkeypatch):
    busy = tmp_path / "busy"
    user_files(busy)
    monkeypatch.chdir(busy)
    code, err = run(build_args("."), capsys)
    assert code == 2
    one_line_error(err, str(busy), "not a dataset folder")
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    assert run(build_args("."), capsys)[0] == 0
    assert (empty / "manifest.json").is_file() and Path.cwd() == empty  # written in place, not swapped away


@pytest.mark.parametrize(
    ("argv", "needles"),
    [
        (build_args("/proc/x"), ["/proc", "cannot write"]),
        (build_args("{tmp}/d", ""), ["no Han characters"]),  # used to build all of GB2312
        (build_args("{tmp}/d", "abc"), ["no Han characters"]),
        (["batch", "--style", FONT_STYLE, "--text", "永", "--out", "/proc/x.ttf", "--no-cache", "--quiet"], ["/proc"]),
        (["batch", "--style", FONT_STYLE, "--text", "永", "--out", "{tmp}/a.ttf", "--size", "0", "--quiet"],
         ["image size 0"]),
        (["batch", "--style", FONT_STYLE, "--text", "永", "--out", "{tmp}/a.ttf", "--size", "-5", "--quiet"],
         ["image size -5"]),
        (["batch", "--style", FONT_STYLE, "--text", "永", "--out", "{tmp}/a.ttf", "--size", "48", "--quiet"],
         ["image size 48", "32, 64, 128, 256"]),
        (["batch", "--style", FONT_STYLE, "--text", "", "--out", "{tmp}/a.ttf", "--quiet"], ["no Han characters"]),
    ],
    ids=["data-out-proc", "data-text-empty", "data-text-no-han", "batch-out-proc", "batch-size-0", "batch-size-neg",
         "batch-size-48", "batch-text-empty"],
)
def test_bad_arguments_are_one_line(tmp_path, capsys, argv, needles):
    argv = [str(a).replace("{tmp}", str(tmp_path)) for a in argv]
    code, err = run(argv, capsys)
    assert code == 2
    one_line_error(err, *needles)
    assert list(tmp_path.iterdir()) == []  # nothing written, not even a cache


def test_eval_refuses_a_foreign_folder_before_evaluating(tmp_path, capsys, tiny_dataset):
    out = tmp_path / "report"
    user_files(out)
    start = time.monotonic()
    code, err = run(["eval", "--model", FONT_STYLE, "--data", tiny_dataset, "--out", out, "--no-ocr", "--quiet"],
                    capsys)
    assert code == 2 and time.monotonic() - start < 5
    one_line_error(err, str(out), "not an evaluation report", "--overwrite")
    assert user_files_intact(out) and hidden(tmp_path) == []


def test_eval_overwrite_keeps_foreign_files(tmp_path, capsys, tiny_dataset):
    out = tmp_path / "report"
    user_files(out)
    argv = ["eval", "--model", FONT_STYLE, "--data", tiny_dataset, "--out", out, "--no-ocr", "--quiet", "--limit", "4"]
    assert run([*argv, "--overwrite"], capsys)[0] == 0
    assert user_files_intact(out) and (out / "report.json").is_file() and (out / "report.md").is_file()
    assert run(argv, capsys)[0] == 0  # its own report now: replaced without --overwrite
    assert user_files_intact(out) and hidden(tmp_path) == [] and hidden(out) == []


def test_train_refuses_a_foreign_folder(tmp_path, capsys, tiny_dataset):
    out = tmp_path / "run"
    user_files(out)
    argv = ["train", "skeleton", "--data", tiny_dataset, "--out", out, "--preset", "tiny-32", "--max-steps", "1",
            "--quiet"]
    code, err = run(argv, capsys)
    assert code == 2
    one_line_error(err, str(out), "not a training run", "--overwrite")
    assert sorted(p.name for p in out.iterdir()) == ["photos", "thesis.docx"]


def test_output_folder_rule_for_every_kind(tmp_path):
    """segan_core.outputs is the one rule: eval select, the classifier and training runs follow it too."""
    from segan_core.atomic import atomic_dir
    from segan_core.data.store import DATASET
    from segan_core.errors import OutputError
    from segan_core.evaluation.report import EVAL_REPORT
    from segan_core.evaluation.selection import SELECTION
    from segan_core.outputs import check_output_dir
    from segan_core.training.engine import TRAINING_RUN

    for kind in (DATASET, EVAL_REPORT, SELECTION, TRAINING_RUN):  # the classifier trains into a TRAINING_RUN
        folder = tmp_path / kind.marker / "out"
        user_files(folder)
        with pytest.raises(OutputError, match="not empty"):
            check_output_dir(folder, kind)
        with atomic_dir(folder, kind, overwrite=True) as tmp:
            (tmp / kind.marker).write_text("{}")
            (tmp / kind.owned[-1]).write_text("new")
        assert user_files_intact(folder) and (folder / kind.marker).is_file()
        assert check_output_dir(folder, kind) == folder  # its own output from now on
        assert hidden(folder.parent) == []


def test_a_failed_job_leaves_the_old_output_and_no_temp(tmp_path):
    from segan_core.atomic import atomic_dir
    from segan_core.data.store import DATASET

    out = tmp_path / "data"
    out.mkdir()
    (out / "manifest.json").write_text(OLD_MANIFEST)  # a dataset from before ownership markers
    with pytest.raises(RuntimeError), atomic_dir(out, DATASET) as tmp:
        (tmp / "manifest.json").write_text("half")
        raise RuntimeError("crash")
    assert (out / "manifest.json").read_text() == OLD_MANIFEST and hidden(tmp_path) == []


@pytest.mark.parametrize("with_user_files", [False, True], ids=["swap", "merge"])
def test_a_failed_rename_puts_the_previous_output_back(tmp_path, monkeypatch, with_user_files):
    import segan_core.atomic as atomic
    from segan_core.data.store import DATASET

    out = tmp_path / "data"
    out.mkdir()
    (out / "manifest.json").write_text(OLD_MANIFEST)
    (out / "train.npz").write_text("old")
    if with_user_files:
        user_files(out)
    real_replace = os.replace

    def replace(src, dst):
        if ".tmp" in str(src):  # moving the new output in fails (disk trouble)
            raise OSError(errno.EIO, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", replace)
    with pytest.raises(atomic.OutputError, match="cannot write"), atomic.atomic_dir(out, DATASET) as tmp:
        (tmp / "manifest.json").write_text("new")
        (tmp / "train.npz").write_text("new")
    assert (out / "manifest.json").read_text() == OLD_MANIFEST and (out / "train.npz").read_text() == "old"
    assert not with_user_files or user_files_intact(out)
    assert hidden(tmp_path) == []


# -- segan batch --out FONT: refuse what is not ours ---------------------------------------------------


def batch_args(out: Path, text: str = "永字", *extra: str) -> list[str]:
    return ["batch", "--style", FONT_STYLE, "--text", text, "--out", out, "--workers", "0", "--no-cache",
            "--quiet", *extra]


def test_batch_refuses_a_font_it_did_not_write(tmp_path, capsys):
    font = tmp_path / "thesis.ttf"
    font.write_bytes(b"my own font")
    code, err = run(batch_args(font), capsys)
    assert code == 2
    one_line_error(err, str(font), "not a previous output of segan batch", "--overwrite")
    assert font.read_bytes() == b"my own font" and sorted(p.name for p in tmp_path.iterdir()) == ["thesis.ttf"]
    assert run(batch_args(font, "永字", "--overwrite"), capsys)[0] == 0
    assert font.read_bytes()[:4] == b"\0\1\0\0" and hidden(tmp_path) == []


def test_batch_replaces_its_previous_font_and_refuses_a_foreign_report(tmp_path, capsys):
    font = tmp_path / "Brush.ttf"
    assert run(batch_args(font, "永"), capsys)[0] == 0
    assert run(batch_args(font, "永字"), capsys)[0] == 0  # listed in Brush.report.json: ours
    report = json.loads((tmp_path / "Brush.report.json").read_text(encoding="utf-8"))
    assert report["font"]["hanzi_written"] == 2
    other = tmp_path / "Other.ttf"
    (tmp_path / "Other.report.json").write_text("my notes")
    code, err = run(batch_args(other), capsys)
    assert code == 2
    one_line_error(err, "Other.report.json", "not a segan batch report")
    assert (tmp_path / "Other.report.json").read_text() == "my notes" and not other.exists()


def test_batch_disk_full_while_saving_the_otf(tmp_path, capsys, monkeypatch):
    import segan_core.batch as batch

    real_save = batch.save_font

    def save_font(font, path, flavor=None):
        if Path(path).suffix == ".otf":
            Path(path).write_bytes(b"half an OTF")
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_save(font, path, flavor)

    monkeypatch.setattr(batch, "save_font", save_font)
    out = tmp_path / "out"
    out.mkdir()
    code, err = run(batch_args(out / "Brush.ttf", "永字", "--format", "ttf,otf"), capsys)
    assert code == 2
    one_line_error(err, "Brush.otf", "disk is full")
    assert list(out.iterdir()) == []  # neither the TTF (already saved) nor half an OTF


def test_batch_refuses_an_export_that_cannot_fit(tmp_path, capsys, monkeypatch):
    import segan_core.batch as batch

    monkeypatch.setattr(batch, "_free_bytes", lambda path: 100 * 1024)
    code, err = run(["batch", "--style", WHOLE_FONT_STYLE, "--charset", "gb2312-1", "--out", tmp_path / "o" / "a.ttf",
                     "--cache-dir", tmp_path / "cache", "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "not enough disk space", "MB free")
    assert list((tmp_path / "o").iterdir()) == [] and not (tmp_path / "cache").exists()


def test_batch_says_where_the_cache_is_and_what_it_needs(tmp_path, capsys):
    cache = tmp_path / "cache"
    code = cli_main(["batch", "--style", FONT_STYLE, "--text", "永", "--out", str(tmp_path / "a.ttf"), "--workers",
                     "0", "--cache-dir", str(cache)])
    err = capsys.readouterr().err
    assert code == 0
    line = next(line for line in err.splitlines() if "glyph cache" in line)
    assert str(cache) in line and "MB free" in line and "needs about" in line


def test_glyph_cache_disk_full_is_one_line(tmp_path, capsys, monkeypatch):
    import sqlite3

    from segan_core.cache import GlyphCache

    def full(self, char, image):
        raise self._write_failed(sqlite3.OperationalError("database or disk is full"))

    monkeypatch.setattr(GlyphCache, "put_bitmap", full)
    code, err = run([*batch_args(tmp_path / "a.ttf")[:-2], "--cache-dir", tmp_path / "cache", "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "glyph cache", "disk is full", "--cache-dir")
    assert not (tmp_path / "a.ttf").exists()


# -- model configs: validated on load, for every command -------------------------------------------------


BAD_MODEL_CONFIGS = [
    ({"ngf": "16"}, "ngf must be of type int"),
    ({"ngf": True}, "ngf must be of type int"),
    ({"ngf": 1.5}, "ngf must be of type int"),
    ({"ngf": -4}, "ngf must be between"),
    ({"ngf": 100000}, "ngf must be between"),
    ({"image_size": 0}, "image_size must be between"),
    ({"image_size": 10**6}, "image_size must be between"),
    ({"decoder_res_blocks": 10**6}, "decoder_res_blocks must be between"),
    ({"attention": 3}, "attention must be of type str"),
]


@pytest.mark.parametrize(("change", "needle"), BAD_MODEL_CONFIGS, ids=[next(iter(c)) + "=" + repr(next(iter(
    c.values()))) for c, _ in BAD_MODEL_CONFIGS])
def test_batch_rejects_a_bad_model_config(tmp_path, capsys, change, needle):
    model = model_copy(tmp_path, **change)
    code, err = run(["batch", "--style", model, "--text", "永", "--out", tmp_path / "a.ttf", "--no-cache", "--quiet"],
                    capsys)
    assert code == 2
    one_line_error(err, "config.json", needle)
    assert not (tmp_path / "a.ttf").exists()


def test_every_reader_validates_the_config(tmp_path, capsys, tiny_dataset):
    from segan_core.errors import CheckpointError
    from segan_core.model.checkpoint import read_config

    model = model_copy(tmp_path, ngf="16")
    with pytest.raises(CheckpointError, match="ngf must be of type int"):
        read_config(model)  # --resume, --init-from, --skeleton and StyleModel.load all read through this
    code, err = run(["eval", "--model", model, "--data", tiny_dataset, "--out", tmp_path / "r", "--no-ocr",
                     "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "ngf must be of type int")
    for name in ("ma-shan-zheng", "zhi-mang-xing", "skeleton-gan"):  # the bundled models pass
        read_config(ROOT / "models" / name)


def test_app_loads_models_through_the_same_validation(tmp_path):
    """The app opens a model with StyleModel.load, which reads config.json through read_config."""
    from segan_core.errors import CheckpointError
    from segan_core.inference import StyleModel

    with pytest.raises(CheckpointError, match="ngf must be between"):
        StyleModel.load(model_copy(tmp_path, ngf=100000))


# -- pictures in --target-dir ------------------------------------------------------------------------------


def test_empty_picture_is_one_line(tmp_path, capsys):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "永.png").write_bytes(b"")
    code, err = run(["data", "build", "--target-dir", pictures, "--text", "永", "--size", "32", "--out",
                     tmp_path / "d", "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "永.png", "empty")
    assert not (tmp_path / "d").exists() and hidden(tmp_path) == []


def test_not_a_picture_is_one_line(tmp_path, capsys):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "永.png").write_text("a letter, not a picture")
    code, err = run(["data", "build", "--target-dir", pictures, "--text", "永", "--size", "32", "--out",
                     tmp_path / "d", "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "永.png", "not a picture")


def test_symlinks_out_of_the_target_dir_are_not_followed(tmp_path, capsys):
    outside = tmp_path / "private"
    outside.mkdir()
    glyph_png(outside / "secret.png", "永")
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    (pictures / "永.png").symlink_to(outside / "secret.png")
    glyph_png(pictures / "字.png", "字")
    glyph_png(pictures / "八.png", "八")
    code, _ = run(["data", "build", "--target-dir", pictures, "--text", "永字八", "--size", "32", "--out",
                   tmp_path / "d", "--quiet"], capsys)
    assert code == 0
    manifest = json.loads((tmp_path / "d" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["missing"]["target"] == {"永": "no image"} and manifest["counts"]["total"] == 2


@pytest.mark.parametrize("side", [30_000, 40_000])
def test_picture_bomb_is_refused_before_decoding(tmp_path, side):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    png_bomb(pictures / "永.png", side, side)
    assert (pictures / "永.png").stat().st_size < 400_000
    code, err, peak_mb, cpu_s = run_bounded(
        ["data", "build", "--target-dir", pictures, "--text", "永", "--size", "32", "--out", tmp_path / "d"], tmp_path
    )
    print(f"{side} x {side} PNG bomb: peak {peak_mb:.0f} MB, {cpu_s:.2f} CPU s")
    assert code == 2
    one_line_error(err, "永.png", f"{side * side / 1e6:.0f} MP", "limit")
    assert peak_mb < PEAK_MB_LIMIT and cpu_s < CPU_S_LIMIT
    assert not (tmp_path / "d").exists()


def test_large_but_allowed_picture_is_shrunk_with_bounded_memory(tmp_path):
    """A 16,000 x 2,000 scan (32 MP, under the cap): framed on a square of at most 2048 px, not 16,000."""
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    png_bomb(pictures / "永.png", 16_000, 2_000)
    glyph_png(pictures / "字.png", "字")
    code, err, peak_mb, cpu_s = run_bounded(
        ["data", "build", "--target-dir", pictures, "--text", "永字", "--size", "32", "--out", tmp_path / "d",
         "--quiet"], tmp_path
    )
    print(f"16000 x 2000 picture: peak {peak_mb:.0f} MB, {cpu_s:.2f} CPU s")
    assert code == 0, err
    assert peak_mb < PEAK_MB_LIMIT


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["batch", "--style", FONT_STYLE, "--text", "永字", "--size", "100000", "--out", "a.ttf", "--no-cache"],
         "image size 100000"),
        (["batch", "--style", "model", "--text", "永字", "--out", "a.ttf", "--no-cache"], "decoder_res_blocks"),
        (["batch", "--style", "wide", "--text", "永字", "--out", "a.ttf", "--no-cache"], "ngf"),
    ],
    ids=["batch-size-100000", "config-1e6-blocks", "config-ngf-100000"],
)
def test_size_and_shape_bombs_under_a_memory_limit(tmp_path, argv, needle):
    model_copy(tmp_path, decoder_res_blocks=10**6)
    shutil.copytree(model_copy(tmp_path / "w", ngf=100000), tmp_path / "wide")
    code, err, peak_mb, cpu_s = run_bounded(argv, tmp_path)
    print(f"{needle}: peak {peak_mb:.0f} MB, {cpu_s:.2f} CPU s")
    assert code == 2
    one_line_error(err, needle)
    assert peak_mb < PEAK_MB_LIMIT and cpu_s < CPU_S_LIMIT
    assert not (tmp_path / "a.ttf").exists()


# -- pickles never load ----------------------------------------------------------------------------------


class _Boom:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def test_pickles_beside_the_safetensors_never_run(tmp_path, capsys):
    model = model_copy(tmp_path)
    marker = tmp_path / "PWNED"
    for name in ("model.pt", "checkpoint.pth", "train_state.pt"):
        (model / name).write_bytes(pickle.dumps(_Boom(marker)))
    code, _ = run(["batch", "--style", model, "--text", "永", "--out", tmp_path / "a.ttf", "--workers", "0",
                   "--no-cache", "--quiet"], capsys)
    assert code == 0 and not marker.exists()
    (model / "weights.safetensors").unlink()
    (model / "weights.safetensors").write_bytes(pickle.dumps(_Boom(marker)))  # a pickle *as* the safetensors
    code, err = run(["batch", "--style", model, "--text", "永", "--out", tmp_path / "b.ttf", "--no-cache", "--quiet"],
                    capsys)
    assert code == 2 and not marker.exists()
    one_line_error(err, "weights.safetensors")


# -- trace workers die with their parent ------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except OSError:
            pass
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs Linux /proc")
def test_trace_workers_exit_when_the_batch_is_killed(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(
        [sys.executable, "-m", "segan_core.cli", "batch", "--style", WHOLE_FONT_STYLE, "--charset", "gb2312-1", "--out",
         str(tmp_path / "a.ttf"), "--workers", "2", "--cache-dir", str(tmp_path / "cache"), "--quiet"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and len(children) < 3:  # two workers + the resource tracker
            time.sleep(0.2)
            children = _children(proc.pid)
        assert len(children) >= 2, "the trace workers never started"
        time.sleep(1.0)  # let the worker initializers run
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and any(_alive(c) for c in children):
            time.sleep(0.2)
        survivors = [c for c in children if _alive(c)]
        for pid in survivors:  # do not leave them to the machine
            os.kill(pid, signal.SIGKILL)
        assert survivors == []
        assert not (tmp_path / "a.ttf").exists()
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_half_trained_numpy_is_not_a_picture(tmp_path):
    """read_gray refuses what is not a picture even when named .png (an .npy in disguise)."""
    from segan_core.errors import InputFileError
    from segan_core.imageio import read_gray

    path = tmp_path / "永.png"
    np.save(path.with_suffix(".npy"), np.zeros((4, 4)))
    path.with_suffix(".npy").rename(path)
    with pytest.raises(InputFileError, match="not a picture"):
        read_gray(path)


def test_disk_full_while_saving_a_checkpoint_is_one_line(tmp_path, capsys, monkeypatch, tiny_dataset):
    import segan_core.model.checkpoint as checkpoint

    def full(tensors, filename, metadata=None):
        Path(filename).write_bytes(b"half")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "save_file", full)
    out = tmp_path / "run"
    code, err = run(["train", "skeleton", "--data", tiny_dataset, "--out", out, "--preset", "tiny-32", "--max-steps",
                     "1", "--quiet"], capsys)
    assert code == 2
    one_line_error(err, ".safetensors", "disk is full")
    assert not any(p.name.endswith(".tmp") for p in out.rglob("*"))
