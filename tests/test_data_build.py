import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from segan_core.charset import gb2312_hanzi, gb2312_level1
from segan_core.cli import main as cli_main
from segan_core.data.build import BuildRequest, build_dataset
from segan_core.data.split import split_chars, split_of
from segan_core.data.store import GlyphDataset
from segan_core.errors import CharsetError, FontError, OutputError
from segan_core.glyphs.render import FontRenderer
from segan_core.jobs import CancelToken, run_to_end

from .conftest import MA_SHAN_ZHENG, SOURCE_FONT, ZHI_MANG_XING

FIFTY = gb2312_level1()[100:150]


def _build(out: Path, target: Path = MA_SHAN_ZHENG, chars=FIFTY, size: int = 32, **kw) -> dict:
    return run_to_end(
        build_dataset(BuildRequest(source=SOURCE_FONT, target=target, out=out, chars=tuple(chars), size=size, **kw))
    )


def test_split_is_stable_and_close_to_8_1_1():
    splits = split_chars(gb2312_hanzi())
    n = 6763
    assert abs(len(splits["train"]) / n - 0.8) < 0.02
    assert abs(len(splits["dev"]) / n - 0.1) < 0.02
    assert abs(len(splits["test"]) / n - 0.1) < 0.02
    assert split_of("永") == split_of("永")


def test_builder_on_fifty_characters_of_two_fonts(tmp_path: Path):
    a = _build(tmp_path / "msz")
    b = _build(tmp_path / "zmx", target=ZHI_MANG_XING)
    again = _build(tmp_path / "msz2")
    for manifest in (a, b):
        chars = [set(manifest["splits"][s]) for s in ("train", "dev", "test")]
        assert chars[0].isdisjoint(chars[1]) and chars[0].isdisjoint(chars[2]) and chars[1].isdisjoint(chars[2])
        assert set().union(*chars) == set(FIFTY)
        counts = manifest["counts"]
        assert counts["total"] == 50
        assert 34 <= counts["train"] <= 46 and 1 <= counts["dev"] <= 9 and 1 <= counts["test"] <= 9
    # same split for every style and every run
    assert a["splits"] == b["splits"] == again["splits"]
    assert a["manifest_sha256"] == again["manifest_sha256"]
    assert a["source"]["sha256"] == FontRenderer(SOURCE_FONT).sha256
    data = GlyphDataset(tmp_path / "msz")
    train = data.split("train")
    assert train.source.shape == (a["counts"]["train"], 32, 32)
    assert np.array_equal(train.source[0], FontRenderer(SOURCE_FONT).render(train.chars[0], 32))
    assert np.array_equal(train.target[0], FontRenderer(MA_SHAN_ZHENG).render(train.chars[0], 32))
    assert set(np.unique(train.target_skeleton)) <= {0, 255} and train.target_skeleton.any()
    assert np.array_equal(GlyphDataset(tmp_path / "msz2").split("train").target, train.target)


def test_missing_characters_are_recorded(tmp_path: Path):
    manifest = _build(tmp_path / "d", chars=("永", "\U00020000", "字"))
    assert manifest["missing"]["source"] == {"\U00020000": "not in cmap"}
    assert manifest["counts"]["total"] == 2


def test_target_image_folder(tmp_path: Path):
    folder = tmp_path / "scans"
    folder.mkdir()
    from PIL import Image

    renderer = FontRenderer(MA_SHAN_ZHENG)
    for char in "永字八法":
        Image.fromarray(255 - renderer.render(char, 128)).save(folder / f"{char}.png")
    manifest = run_to_end(
        build_dataset(
            BuildRequest(source=SOURCE_FONT, target_dir=folder, out=tmp_path / "ds", chars=tuple("永字八法山"), size=64)
        )
    )
    assert manifest["counts"]["total"] == 4
    assert manifest["missing"]["target"] == {"山": "no image"}
    split = GlyphDataset(tmp_path / "ds")
    char = manifest["splits"]["train"][0]
    image = split.split("train").subset([char]).target[0]
    expected = renderer.render(char, 64)
    iou = ((image > 127) & (expected > 127)).sum() / ((image > 127) | (expected > 127)).sum()
    assert iou > 0.8


def test_bad_inputs_are_clear_errors_without_partial_output(tmp_path: Path):
    with pytest.raises(FontError, match="not found"):
        _build(tmp_path / "a", target=tmp_path / "missing.ttf")
    fake = tmp_path / "fake.ttf"
    fake.write_text("hello")
    with pytest.raises(FontError, match="not a usable font"):
        _build(tmp_path / "b", target=fake)
    with pytest.raises(FontError, match="none of the 2 requested"):
        _build(tmp_path / "c", chars=("\U00020000", "\U00020001"))
    with pytest.raises(CharsetError, match="empty"):
        _build(tmp_path / "d", chars=())
    # an output folder below a regular file cannot be created, even by root
    with pytest.raises(OutputError, match="cannot create output folder"):
        _build(fake / "sub" / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fake.ttf"]


def test_cancel_leaves_nothing(tmp_path: Path):
    token = CancelToken()
    job = build_dataset(
        BuildRequest(
            source=SOURCE_FONT, target=MA_SHAN_ZHENG, out=tmp_path / "x", chars=gb2312_level1()[:600], size=32
        ),
        token,
    )
    next(job)
    token.cancel()
    from segan_core.errors import Cancelled

    with pytest.raises(Cancelled):
        run_to_end(job)
    assert list(tmp_path.iterdir()) == []


def test_cli_data_build_and_errors(tmp_path: Path, capsys):
    out = tmp_path / "ds"
    assert (
        cli_main(
            [
                "data",
                "build",
                "--target",
                str(MA_SHAN_ZHENG),
                "--text",
                "永字八法abc",
                "--size",
                "32",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    captured = capsys.readouterr()
    assert "3 non-Han character(s) skipped" in captured.err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["counts"]["total"] == 4 and manifest["size"] == 32

    cases = [
        (["--target", str(tmp_path / "nope.ttf"), "--text", "永"], "font file not found"),
        (["--target", str(MA_SHAN_ZHENG), "--charset", str(tmp_path / "none.txt")], "nor an existing file"),
        (["--target", str(MA_SHAN_ZHENG), "--text", "abc"], "no Han characters"),
        (["--target", str(MA_SHAN_ZHENG), "--text", "\U00020000"], "none of the 1 requested"),
        (
            ["--target", str(MA_SHAN_ZHENG), "--text", "永", "--out", str(tmp_path / "ds" / "manifest.json" / "x")],
            "cannot create output folder",
        ),
    ]
    for extra, message in cases:
        out_args = [] if "--out" in extra else ["--out", str(tmp_path / "bad")]
        code = cli_main(["data", "build", *extra, "--size", "32", *out_args, "--quiet"])
        err = capsys.readouterr().err
        assert code == 2, extra
        assert message in err and err.count("\n") == 1 and "Traceback" not in err
        assert not (tmp_path / "bad").exists()


def test_segan_entry_point_runs(tmp_path: Path):
    result = subprocess.run(
        [sys.executable, "-m", "segan_core.cli", "styles", "list"], capture_output=True, text=True, check=True
    )
    assert "ma-shan-zheng" in result.stdout and "zhi-mang-xing" in result.stdout


def test_output_cut_short_by_a_pipe_is_not_a_traceback():
    # `segan styles list | head -1`: the reader closes the pipe after the first line
    result = subprocess.run(
        f"'{sys.executable}' -m segan_core.cli styles list | head -1", shell=True, capture_output=True, text=True
    )
    assert result.stdout.startswith("id") and "Traceback" not in result.stderr
