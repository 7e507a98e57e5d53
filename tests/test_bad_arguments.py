"""Issue 28: bad numbers on the command line, unbounded reads and damaged files.

Every case is one ``segan: error:`` line naming the flag or file, exit code 2, no traceback, no user file
changed and nothing left behind (no run folder, no temp file). Numbers are refused by argparse ``type=``
validators (segan_core/cli_args.py) before any folder is made or any file is read.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import signal
import zipfile
from pathlib import Path

import numpy as np
import pytest

from segan_core import cli_args

from .test_bad_inputs import ROOT, one_line_error, run, user_files, user_files_intact


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def _train(what: str, data: Path, skeleton: Path, out: Path) -> list[object]:
    """A run that would start (the tiny preset, a real skeleton GAN) but for the one bad number."""
    argv: list[object] = ["train", what, "--data", data, "--out", out, "--preset", "tiny-32", "--max-steps", "2",
                          "--quiet"]
    return [*argv, "--skeleton", skeleton] if what in ("style", "base") else argv


def _argv(command: str, data: Path, skeleton: Path, out: Path) -> list[object]:
    if command in ("train style", "train base", "train skeleton", "train baseline"):
        return _train(command.split()[1], data, skeleton, out)
    return {
        "train finetune": ["train", "finetune", "--base", "ma-shan-zheng", "--data", data, "--name", "mine",
                           "--run-dir", out, "--quiet"],
        "train upscaler": ["train", "upscaler", "--style", "ma-shan-zheng", "--data", data, "--out", out,
                           "--max-steps", "2", "--quiet"],
        "eval": ["eval", "--model", "font:" + str(ROOT / "tests/fonts/brush/MaShanZheng-Regular.ttf"), "--data", data,
                 "--out", out, "--no-ocr", "--quiet"],
        "eval select": ["eval", "select", out / "no-run", "--data", data, "--out", out, "--no-ocr", "--quiet"],
        "eval upscaler": ["eval", "upscaler", "--style", "ma-shan-zheng", "--data", data, "--json", out / "s.json",
                          "--no-ocr", "--no-trace", "--quiet"],
        "eval train-classifier": ["eval", "train-classifier", "--out", out, "--quiet"],
    }[command]


BAD_NUMBERS = [
    # the cases on train style
    ("train style", "--lr", "nan", "must be a finite number"),
    ("train style", "--lr", "-1", "must be above 0"),
    ("train style", "--lr", "inf", "must be a finite number"),
    ("train style", "--seed", "-1", "must be from 0 to 4294967295"),
    ("train style", "--checkpoint-every", "0", "must be 1 or more"),
    ("train style", "--batch-size", "100000", "must be from 1 to 1024"),
    ("train style", "--batch-size", "0", "must be from 1 to 1024"),
    ("train style", "--batch-size", "-4", "must be from 1 to 1024"),
    ("train style", "--cpu-budget", "nan", "must be a finite number"),
    ("train style", "--cpu-budget", "-1", "must be above 0"),
    ("train style", "--time-budget", "nan", "must be a finite number"),
    ("train style", "--threads", "-1", "must be from 0 to 1024"),
    ("train style", "--max-steps", "0", "must be 1 or more"),
    ("train style", "--ngf", "0", "must be 1 or more"),
    ("train style", "--lr", "fast", "must be a number"),
    # the same flags on the other trainers share the validators
    ("train base", "--lr", "nan", "finite"),
    ("train base", "--batch-size", "0", "from 1 to 1024"),
    ("train base", "--style-dim", "0", "1 or more"),
    ("train skeleton", "--seed", "-1", "from 0 to"),
    ("train skeleton", "--checkpoint-every", "0", "1 or more"),
    ("train baseline", "--lr", "-1", "above 0"),
    ("train baseline", "--batch-size", "100000", "from 1 to 1024"),
    ("train finetune", "--cpu-budget", "nan", "finite"),
    ("train finetune", "--cpu-budget", "-1", "above 0"),
    ("train finetune", "--threads", "-1", "from 0 to 1024"),
    ("train finetune", "--max-steps", "-5", "1 or more"),
    ("train finetune", "--checkpoint-every", "0", "1 or more"),
    ("train finetune", "--select-min-ratio", "nan", "finite"),
    ("train upscaler", "--lr", "nan", "finite"),
    ("train upscaler", "--batch-size", "0", "from 1 to 1024"),
    ("train upscaler", "--seed", "-1", "from 0 to"),
    ("train upscaler", "--cpu-budget", "-1", "above 0"),
    ("train upscaler", "--threads", "-1", "from 0 to 1024"),
    ("train upscaler", "--real-fraction", "nan", "finite"),
    ("train upscaler", "--max-chars", "-1", "0 or more"),
    # eval
    ("eval", "--limit", "-1", "0 or more"),
    ("eval", "--batch-size", "0", "from 1 to 1024"),
    ("eval select", "--min-ratio", "nan", "finite"),
    ("eval select", "--max-cpu-minutes", "-1", "at least 0"),
    ("eval upscaler", "--limit", "-3", "0 or more"),
    ("eval train-classifier", "--lr", "nan", "finite"),
    ("eval train-classifier", "--epochs", "0", "1 or more"),
]


@pytest.mark.parametrize(("command", "flag", "value", "needle"), BAD_NUMBERS,
                         ids=[f"{c.replace(' ', '-')}{f}={v}" for c, f, v, _ in BAD_NUMBERS])
def test_a_bad_number_is_refused_at_the_door(tmp_path, capsys, tiny_dataset, skeleton_gan, command, flag, value,
                                             needle):
    user_files(tmp_path)
    before = listing(tmp_path)
    out = tmp_path / "run"
    code, err = run([*_argv(command, tiny_dataset, skeleton_gan, out), flag, value], capsys)
    assert code == 2
    one_line_error(err, f"argument {flag}:", needle, repr(value) if "finite" in needle else "")
    assert listing(tmp_path) == before  # no run folder, no temp file
    assert user_files_intact(tmp_path)


def test_a_nan_loss_weight_is_refused_before_the_run_folder(tmp_path, capsys, tiny_dataset, skeleton_gan):
    out = tmp_path / "run"
    code, err = run([*_train("style", tiny_dataset, skeleton_gan, out), "--loss", "dice=nan"], capsys)
    assert code == 2
    one_line_error(err, "--loss 'dice=nan'", "finite")
    assert not out.exists()


@pytest.mark.parametrize(("validator", "text", "value"), [
    (cli_args.seed, "0", 0),
    (cli_args.seed, str(2**32 - 1), 2**32 - 1),
    (cli_args.threads, "0", 0),
    (cli_args.count_or_all, "0", 0),
    (cli_args.batch_size, "1024", 1024),
    (cli_args.learning_rate, "1", 1.0),
    (cli_args.learning_rate, "2e-4", 2e-4),
    (cli_args.minutes, "0.5", 0.5),
    (cli_args.minutes_or_unlimited, "0", 0.0),
    (cli_args.fraction, "1", 1.0),
    (cli_args.ratio, "0", 0.0),
])
def test_the_edges_of_each_range_are_accepted(validator, text, value):
    assert validator(text) == value


@pytest.mark.parametrize(("validator", "text"), [
    (cli_args.seed, str(2**32)),
    (cli_args.batch_size, "1025"),
    (cli_args.learning_rate, "0"),
    (cli_args.learning_rate, "1.5"),
    (cli_args.minutes, "0"),
    (cli_args.fraction, "-0.1"),
    (cli_args.ratio, "-inf"),
    (cli_args.positive_int, "1.5"),
])
def test_just_outside_each_range_is_refused(validator, text):
    with pytest.raises(argparse.ArgumentTypeError):
        validator(text)


def test_a_missing_argument_is_one_line_too(capsys):
    code, err = run(["train", "style", "--data", "x"], capsys)
    assert code == 2
    one_line_error(err, "required", "--out", "segan train style --help")


# -- --charset: refused without reading an unbounded or blocking file ---------------------------------------


def _charset_argv(command: str, charset: Path, out: Path) -> list[object]:
    if command == "data build":
        return ["data", "build", "--target", ROOT / "tests/fonts/brush/MaShanZheng-Regular.ttf", "--charset", charset,
                "--size", "32", "--out", out, "--quiet"]
    return ["batch", "--style", "font:" + str(ROOT / "tests/fonts/brush/MaShanZheng-Regular.ttf"), "--charset",
            charset, "--out", out, "--no-cache", "--quiet"]


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "chars.fifo"
    os.mkfifo(path)
    return path


def _big(tmp_path: Path) -> Path:
    path = tmp_path / "big.txt"
    path.write_bytes("永".encode() * (2 << 20))  # 6 MB of one character
    return path


CHARSETS = [
    ("data build", lambda tmp: Path("/dev/zero"), "not a regular file"),
    ("batch", lambda tmp: Path("/dev/zero"), "not a regular file"),
    ("data build", _fifo, "not a regular file"),
    ("batch", _fifo, "not a regular file"),
    ("data build", lambda tmp: tmp, "not a regular file"),
    ("data build", _big, "larger than the 4 MB limit"),
]


def _alarm(signum, frame):
    raise TimeoutError("blocked on the charset file")


@pytest.mark.parametrize(("command", "make", "needle"), CHARSETS,
                         ids=["build-dev-zero", "batch-dev-zero", "build-fifo", "batch-fifo", "build-folder",
                              "build-6MB"])
def test_charset_is_a_bounded_regular_file(tmp_path, capsys, command, make, needle):
    charset = make(tmp_path)
    out = tmp_path / ("out.ttf" if command == "batch" else "out")
    before = listing(tmp_path)
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(20)  # the unfixed reader blocks forever on a FIFO: fail instead of hanging
    try:
        code, err = run(_charset_argv(command, charset, out), capsys)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert code == 2
    one_line_error(err, "charset", str(charset), needle)
    assert listing(tmp_path) == before


# -- damaged files: one line naming the file, nothing changed ------------------------------------------------


def digest(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


DEEP_JSON = "[" * 200_000 + "]" * 200_000


def test_a_deeply_nested_config_is_one_line(tmp_path, capsys, tiny_dataset):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text(DEEP_JSON, encoding="utf-8")
    (model / "weights.safetensors").write_bytes(b"\0" * 64)
    before = listing(tmp_path)
    code, err = run(["eval", "--model", model, "--data", tiny_dataset, "--out", tmp_path / "report", "--no-ocr",
                     "--quiet"], capsys)
    assert code == 2
    one_line_error(err, str(model / "config.json"), "nested too deeply")
    assert listing(tmp_path) == before


def _state_change(state: dict, key: str, value: object) -> dict:
    """``state`` with the field at the dotted ``key`` set to ``value``."""
    *path, last = key.split(".")
    node = state
    for part in path:
        node = node[int(part)] if isinstance(node, list) else node[part]
    node[last if isinstance(node, dict) else int(last)] = value
    return state


DAMAGED_STATES = [
    ("step", "two", "step must be an integer"),
    ("elapsed_s", "long", "elapsed_s must be a finite number"),
    ("batches.epoch", "0", "batches.epoch must be an integer"),
    ("batches", [0, 0], "batches must be an object"),
    ("optimizers.opt_g.param_groups.0.lr", "fast", "optimizers.opt_g.param_groups[0].lr must be a finite number"),
    ("optimizers.opt_g.param_groups.0.betas", [0.5], "betas must be a list of 2"),
    ("optimizers.opt_d", "adam", "optimizers.opt_d must be an object"),
    ("rng.python", "seeded", "rng.python must be"),
    ("rng.numpy.1", list(range(10)), "rng.numpy[1] must be a list of 624"),
]


@pytest.mark.parametrize(("key", "value", "needle"), DAMAGED_STATES, ids=[k for k, _, _ in DAMAGED_STATES])
def test_resume_from_a_damaged_train_state_is_one_line(tmp_path, capsys, tiny_dataset, skeleton_gan, key, value,
                                                       needle):
    run_dir = tmp_path / "run"
    shutil.copytree(skeleton_gan, run_dir)
    state_path = run_dir / "train_state.json"
    state = json.loads(state_path.read_text(encoding="utf-8"))
    state_path.write_text(json.dumps(_state_change(state, key, value)), encoding="utf-8")
    before = digest(tmp_path)
    code, err = run(["train", "skeleton", "--data", tiny_dataset, "--out", run_dir, "--resume", "--max-steps", "4",
                     "--quiet"], capsys)
    assert code == 2
    one_line_error(err, str(state_path), needle, "cannot resume")
    assert digest(tmp_path) == before


def test_resume_from_a_deeply_nested_train_state_is_one_line(tmp_path, capsys, tiny_dataset, skeleton_gan):
    run_dir = tmp_path / "run"
    shutil.copytree(skeleton_gan, run_dir)
    (run_dir / "train_state.json").write_text(DEEP_JSON, encoding="utf-8")
    before = digest(tmp_path)
    code, err = run(["train", "skeleton", "--data", tiny_dataset, "--out", run_dir, "--resume", "--max-steps", "4",
                     "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "train_state.json", "nested too deeply")
    assert digest(tmp_path) == before


def _truncate(npz: Path) -> None:
    npz.write_bytes(npz.read_bytes()[:1000])


def _huge_header(npz: Path) -> None:
    """``source.npy`` claims a million 256 px glyphs (61 GB) but holds 1 KB: numpy would allocate it all."""
    members = {}
    with zipfile.ZipFile(npz) as old:
        for item in old.infolist():
            members[item.filename] = old.read(item.filename)
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, {"descr": "|u1", "fortran_order": False, "shape": (10**6, 256, 256)})
    members["source.npy"] = head.getvalue() + b"\0" * 1024
    with zipfile.ZipFile(npz, "w") as new:
        for name, body in members.items():
            new.writestr(name, body)


@pytest.mark.parametrize("damage", [_truncate, _huge_header], ids=["truncated", "61GB-header"])
def test_eval_on_a_damaged_split_is_one_line(tmp_path, capsys, tiny_dataset, damage):
    data = tmp_path / "data"
    shutil.copytree(tiny_dataset, data)
    damage(data / "test.npz")
    before = digest(tmp_path)
    code, err = run(["eval", "--model", "font:" + str(ROOT / "tests/fonts/brush/MaShanZheng-Regular.ttf"), "--data",
                     data, "--out", tmp_path / "report", "--no-ocr", "--quiet"], capsys)
    assert code == 2
    one_line_error(err, "dataset split file is damaged", str(data / "test.npz"))
    assert digest(tmp_path) == before


# -- a new style may not shadow a bundled one -----------------------------------------------------------------


@pytest.mark.parametrize(("name", "bundled"), [
    ("ma-shan-zheng", "bundled style ma-shan-zheng"),
    ("Ma Shan Zheng", "bundled style ma-shan-zheng"),  # the folder would be Ma-Shan-Zheng: the same on macOS/Windows
    ("LONG-CANG", "bundled style long-cang"),
    ("skeleton-gan", "bundled model skeleton-gan"),
])
def test_a_style_name_shadowing_a_bundled_one_is_refused(name, bundled):
    from segan_core.errors import StyleError
    from segan_core.styles import check_style_name

    with pytest.raises(StyleError, match=bundled) as refused:
        check_style_name(name)
    assert repr(name) in str(refused.value) and "\n" not in str(refused.value)


@pytest.mark.parametrize(("name", "folder"), [("my hand", "my-hand"), ("long_cang", "long_cang"), ("王羲之", "王羲之")])
def test_other_style_names_are_kept(name, folder):
    from segan_core.styles import check_style_name

    assert check_style_name(name) == folder
