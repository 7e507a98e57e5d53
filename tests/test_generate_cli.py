"""``segan generate``: glyph PNGs/SVGs, heatmaps and a contact sheet from a bundled style (its 64 px model and its
256 px second stage, as the app and the font export draw it)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from segan_core import cli
from segan_core.glyphs.render import FontRenderer
from segan_core.resources import SOURCE_FONT

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "ma-shan-zheng"


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen") / "out"
    assert cli.main(["generate", "--style", str(MODEL), "--text", "永 a字永", "--out", str(out), "--svg",
                     "--quiet"]) == 0  # fmt: skip
    return out


def test_generate_writes_glyphs_heatmaps_svgs_and_a_contact_sheet(generated: Path):
    report = json.loads((generated / "generate.json").read_text(encoding="utf-8"))
    assert report["chars"] == "永字" and report["count"] == 2
    assert report["skipped"] == {"a": "not a Han character"}
    assert report["heatmaps"] == ["cam", "sram", "cram"] and report["kind"] == "segan"
    assert report["image_size"] == 256 and report["second_stage"].endswith("upscaler")  # the style's second stage
    for char in "永字":
        glyph = np.asarray(Image.open(generated / "glyphs" / f"{char}.png"))
        assert glyph.shape == (256, 256) and glyph.min() < 128 < glyph.max()  # black ink on white paper
        for kind in ("cam", "sram", "cram"):  # over the 64 px source glyph the generator read
            assert Image.open(generated / "heatmaps" / f"{char}-{kind}.png").size == (64, 64)
        svg = (generated / "svg" / f"{char}.svg").read_text(encoding="utf-8")
        assert svg.startswith("<svg") and "<path d=\"M" in svg
    sheet = Image.open(generated / "contact-sheet.png")
    assert sheet.width > sheet.height > 0  # 2 rows of 6 tiles
    assert sorted(p.name for p in generated.iterdir()) == ["contact-sheet.png", "generate.json", "glyphs",
                                                           "heatmaps", "segan-generate.json", "svg"]  # fmt: skip


def test_generated_glyph_matches_the_model(generated: Path):
    from segan_core.style_source import open_style

    expected = open_style(f"dir:{MODEL}", backend="eager").generate("永")[0]
    written = 255 - np.asarray(Image.open(generated / "glyphs" / "永.png")).astype(np.int16)
    assert np.abs(written - expected).mean() < 2.0  # onnx vs eager: the same glyph


def test_a_foreign_folder_is_refused_and_left_alone(tmp_path: Path, capsys):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["generate", "--style", str(MODEL), "--text", "永", "--out", str(out)]) == 2
    assert "generate.json" in capsys.readouterr().err
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_a_previous_output_is_replaced_and_foreign_files_kept(tmp_path: Path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    assert cli.main(["generate", "--style", str(MODEL), "--text", "永字", "--out", str(out), "--overwrite",
                     "--no-heatmaps", "--no-upscaler", "--quiet"]) == 0  # fmt: skip
    assert sorted(p.name for p in (out / "glyphs").iterdir()) == ["字.png", "永.png"]
    assert Image.open(out / "glyphs" / "永.png").size == (64, 64)  # the generator's own glyphs
    assert not (out / "heatmaps").exists()
    # its own previous output: no --overwrite needed; the old glyphs go, the user's file stays
    assert cli.main(["generate", "--style", str(MODEL), "--text", "八", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in (out / "glyphs").iterdir()) == ["八.png"]
    assert (out / "heatmaps" / "八-cram.png").is_file()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--style", "no-such-style", "--text", "永"], "no-such-style"),
        (["--style", str(MODEL), "--text", "abc"], "no Han characters"),
    ],
)
def test_user_errors_are_one_line(tmp_path: Path, capsys, argv: list[str], message: str):
    assert cli.main(["generate", *argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("segan: error:") and message in err[-1]
    assert not (tmp_path / "out").exists()


def test_no_phantom_infer_command_and_import_errors_surface(monkeypatch):
    parser = cli.build_parser()
    commands = parser._subparsers._group_actions[0].choices
    assert "generate" in commands and "infer" not in commands
    monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "not_a_command_module"))
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()


def test_glyph_svg_traces_or_embeds_the_bitmap(monkeypatch):
    from segan_core.vectorize import svg

    ink = FontRenderer(SOURCE_FONT).render("永", 64)
    assert '<path d="M' in svg.glyph_svg(ink)

    def broken(_ink):
        raise RuntimeError("potrace failed")

    monkeypatch.setattr(svg, "trace_glyph", broken)
    fallback = svg.glyph_svg(ink)
    assert "data:image/png;base64," in fallback and 'width="64"' in fallback
