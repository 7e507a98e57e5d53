"""A new calligrapher's hand, the whole path on a tiny model: template -> synthetic scans -> import ->
fine-tune -> export -> a valid font whose written characters come from the scans."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
from pathlib import Path

import numpy as np
import pytest
from fontTools.ttLib import TTFont

from segan_core.cli import main
from segan_core.jobs import run_to_end
from segan_core.scans.charsets import core_set
from segan_core.scans.synthetic import degrade, fill_page, save_jpeg
from segan_core.scans.template import load_template
from segan_core.training.presets import get_preset
from segan_core.training.runs import RunOptions, train_skeleton_gan, train_style

ROOT = Path(__file__).resolve().parents[1]
HAND = ROOT / "tests" / "fonts" / "scans" / "MaShanZheng-subset.ttf"
WRITTEN = "".join(core_set("core300")[:40])  # one page of the template, all in the hand's subset


def cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(args))
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def tiny_base(tiny_dataset: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(a tiny trained style with the bundled recipe's shape, its skeleton GAN)."""
    model, train = get_preset("tiny-32")
    train = dataclasses.replace(train, checkpoint_every=1000, sample_every=1000, bidirectional=False, ema_decay=0.9)
    root = tmp_path_factory.mktemp("tiny-base")
    run_to_end(train_skeleton_gan([tiny_dataset], model, train, RunOptions(out=root / "sg", max_steps=2)))
    run_to_end(train_style(tiny_dataset, root / "sg", model, train, RunOptions(out=root / "base", max_steps=2)))
    return root / "base", root / "sg"


def test_template_scans_import_finetune_export(tiny_base, tmp_path: Path, monkeypatch) -> None:
    base, skeleton = tiny_base
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    chars = tmp_path / "chars.txt"
    chars.write_text(WRITTEN, encoding="utf-8")

    code, _, err = cli("template", "--chars", str(chars), "--out", str(tmp_path / "sheet.pdf"), "--dpi", "100")
    assert code == 0, err
    template = load_template(tmp_path / "sheet.json")
    scans = [save_jpeg(degrade(fill_page(template, p, HAND), seed=p), tmp_path / f"scan-{p}.jpg")
             for p in range(len({c.page for c in template.cells}))]

    code, _, err = cli("scans", "import", *map(str, scans), "--template", str(tmp_path / "sheet.json"),
                       "--out", str(tmp_path / "imported"), "--size", "32", "--quiet")
    assert code == 0, err
    dataset = tmp_path / "imported" / "dataset"
    assert (dataset / "manifest.json").is_file()

    code, _, err = cli("train", "finetune", "--base", str(base), "--data", str(dataset), "--name", "hand",
                         "--skeleton", str(skeleton), "--max-steps", "2", "--threads", "1", "--quiet")
    assert code == 0, err
    style = tmp_path / "home" / "models" / "hand"
    written = sorted(p.stem for p in (style / "written").glob("*.png"))
    assert len(written) >= 0.98 * len(WRITTEN) and set(written) <= set(WRITTEN)
    assert json.loads((style / "style.json").read_text(encoding="utf-8"))["written"] == len(written)

    code, _, err = cli("batch", "--style", "hand", "--text", WRITTEN + "永", "--out", str(tmp_path / "hand.ttf"),
                         "--workers", "0", "--quiet")
    assert code == 0, err
    report = json.loads((tmp_path / "hand.report.json").read_text(encoding="utf-8"))
    assert report["written_glyphs"]["count"] == len(written)
    assert report["written_glyphs"]["generated"] >= 1  # 永 was not written: the model made it
    font = TTFont(str(tmp_path / "hand.ttf"))
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in written) and ord("永") in cmap

    # a written glyph comes from the scan: its outline fills the box the writer used, far beyond what a 2-step
    # tiny model draws (almost nothing); compare the outline areas of written and generated glyphs
    from fontTools.pens.areaPen import AreaPen

    glyphs = font.getGlyphSet()

    def area(char: str) -> float:
        pen = AreaPen(glyphs)
        glyphs[cmap[ord(char)]].draw(pen)
        return abs(pen.value)

    written_area = np.median([area(c) for c in written[:10]])
    assert written_area > 20_000  # a brush glyph covers several percent of the 1000 x 1000 em
