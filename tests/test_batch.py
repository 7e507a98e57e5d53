"""The batch export job: fonts and reports written, cancel + resume, cache, bad inputs, the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

from segan_core.batch import BatchRequest, export_font
from segan_core.cli import main as cli_main
from segan_core.errors import Cancelled, CharsetError, FontError, OutputError, StyleError
from segan_core.jobs import CancelToken, run_to_end
from segan_core.style_source import open_style

from .conftest import MA_SHAN_ZHENG

ROOT = Path(__file__).resolve().parents[1]
STYLE = f"font:{MA_SHAN_ZHENG}"
TEXT = "永字八法天地玄黄宇宙洪荒日月盈昃"
ABSENT = "劐阢坶"  # GB2312 characters Ma Shan Zheng lacks (../shared/fonts/missing/)


def request(tmp: Path, name: str = "out", cache: str = "cache", **kw) -> BatchRequest:
    values = dict(source=STYLE, chars=tuple(TEXT), out=tmp / name / "Test.ttf", cache_dir=tmp / cache,
                  workers=0, chunk_size=4, batch_size=4, timestamp=1_700_000_000, font_size=64)
    values.update(kw)  # fmt: skip
    return BatchRequest(**values)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_export_writes_fonts_and_report(tmp_path):
    req = request(tmp_path, formats=("ttf", "otf", "woff2"), chars=tuple(TEXT + ABSENT), family="Batch Test")
    events = []
    job = export_font(req, CancelToken())
    result = None
    while result is None:
        try:
            events.append(next(job))
        except StopIteration as stop:
            result = stop.value
    assert {"check", "glyphs", "build", "validate", "done"} <= {e.stage for e in events}
    assert set(result.paths) == {"ttf", "otf", "woff2"} and all(p.is_file() for p in result.paths.values())
    font = TTFont(result.paths["ttf"])
    cmap = font.getBestCmap()
    assert all(ord(c) in cmap for c in TEXT) and not any(ord(c) in cmap for c in ABSENT)
    assert ord("A") in cmap and ord("。") in cmap  # fallback glyphs
    assert font["name"].getDebugName(1) == "Batch Test"
    report = json.loads(result.report_paths[0].read_text(encoding="utf-8"))
    assert report == result.report.to_json()  # the typed BatchReport is what the JSON says
    assert report["font"]["hanzi_written"] == len(TEXT)
    assert set(report["skipped"]) == set(ABSENT) and all(report["skipped"].values())
    assert report["quality_gate"] == "off"
    assert {"generate", "build ttf", "validate ttf"} <= set(report["stage_seconds"])
    text = result.report_paths[1].read_text(encoding="utf-8")
    assert "quality gate: off" in text and "劐 U+5290: not in cmap" in text
    assert all(ok.endswith("ok") or "ok (" in ok for checks in report["validation"].values() for ok in checks)


def test_cancel_then_resume_gives_the_same_font_as_one_run(tmp_path):
    whole = run_to_end(export_font(request(tmp_path, name="whole", cache="cache-whole")))
    cancel = CancelToken()
    job = export_font(request(tmp_path, name="resumed"), cancel)
    with pytest.raises(Cancelled):
        for event in job:
            if event.stage == "glyphs" and event.done >= 8:
                cancel.cancel()
    assert leftovers(tmp_path / "resumed") == [], "no partial font or temp file after a cancel"
    resumed = run_to_end(export_font(request(tmp_path, name="resumed")))
    assert resumed.report.cache.outline_hits >= 8
    assert resumed.report.cache.traced <= len(TEXT) - 8
    assert resumed.paths["ttf"].read_bytes() == whole.paths["ttf"].read_bytes()
    a, b = TTFont(whole.paths["ttf"]), TTFont(resumed.paths["ttf"])
    assert a["glyf"].compile(a) == b["glyf"].compile(b)
    # a second export is all cache hits
    again = run_to_end(export_font(request(tmp_path, name="again")))
    assert again.report.cache.outline_hits == len(TEXT) and again.report.cache.generated == 0


def test_process_pool_gives_the_same_font(tmp_path):
    inline = run_to_end(export_font(request(tmp_path, name="inline", cache="c1")))
    pooled = run_to_end(export_font(request(tmp_path, name="pool", cache="c2", workers=2)))
    assert inline.paths["ttf"].read_bytes() == pooled.paths["ttf"].read_bytes()


def test_corrupt_cache_entry_is_detected_and_regenerated(tmp_path):
    first = run_to_end(export_font(request(tmp_path, name="first")))
    db = next((tmp_path / "cache").glob("*.sqlite3"))
    with sqlite3.connect(db) as con:
        con.execute("UPDATE outlines SET data = substr(data, 1, length(data) - 3) WHERE cp = ?", (ord("永"),))
        con.execute("UPDATE bitmaps SET data = x'00' WHERE cp = ?", (ord("永"),))
    second = run_to_end(export_font(request(tmp_path, name="second")))
    corrupt = second.report.cache.corrupt_regenerated
    assert any(entry.startswith("永 U+6C38 outline") for entry in corrupt)
    assert second.report.cache.generated == 1
    assert "corrupt cache entries regenerated" in second.report_paths[1].read_text(encoding="utf-8")
    assert first.paths["ttf"].read_bytes() == second.paths["ttf"].read_bytes()


def test_quality_gate_hook_reports_and_can_drop(tmp_path):
    seen = []

    def gate(chars, images):
        seen.extend(chars)
        assert images.shape == (len(chars), 64, 64)
        return {"字": "宇"}

    result = run_to_end(export_font(request(tmp_path, quality_gate=gate, drop_unreadable=True)))
    assert sorted(seen) == sorted(TEXT)
    assert result.report.quality_gate.unreadable == "字"
    assert result.report.quality_gate.reading("字") == "the OCR reads it as 宇"  # what the recognizer made of it
    assert "字 U+5B57: read as 宇" in result.report.text()
    with result.report.open_cache() as cache:  # the flagged glyph's bitmap, for the app's review list
        assert cache.get_bitmap("字", 64) is not None
    assert result.report.skipped["字"] == "quality gate: unreadable"
    assert ord("字") not in TTFont(result.paths["ttf"]).getBestCmap()


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"chars": ()}, CharsetError, "empty"),
        ({"chars": tuple(ABSENT)}, FontError, "cannot produce any"),
        ({"source": "no-such-style"}, StyleError, "unknown style 'no-such-style'"),
        ({"source": "font:/nonexistent/font.ttf"}, FontError, "font file not found"),
        ({"formats": ("svg",)}, OutputError, "unknown font format"),
    ],
)
def test_bad_inputs_give_clear_errors_and_no_file(tmp_path, change, error, match):
    req = request(tmp_path, **change)
    with pytest.raises(error, match=match):
        run_to_end(export_font(req))
    assert not req.out.exists() and not req.report_paths()[0].exists()


def test_unwritable_output_and_models_that_do_not_exist(tmp_path, style_without_model):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with pytest.raises(OutputError, match="a-file"):
        run_to_end(export_font(request(tmp_path, out=blocker / "Font.ttf")))
    (tmp_path / "dir.ttf").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        run_to_end(export_font(request(tmp_path, out=tmp_path / "dir.ttf")))
    empty_dir = tmp_path / "model"
    empty_dir.mkdir()
    with pytest.raises(StyleError, match="not a style model folder"):
        open_style(str(empty_dir))
    with pytest.raises(StyleError, match=r"no trained model|unknown style"):
        open_style(style_without_model.id)


def test_cli_exit_codes(tmp_path, capsys):
    out = tmp_path / "cli" / "Cli.ttf"
    common = ["batch", "--text", "永字", "--out", str(out), "--cache-dir", str(tmp_path / "cache"), "--workers", "0"]
    assert cli_main([*common, "--style", "no-such-style"]) == 2
    assert "unknown style" in capsys.readouterr().err
    assert cli_main([*common, "--style", STYLE, "--format", "svg"]) == 2
    assert cli_main(["batch", "--style", STYLE, "--text", "abc", "--out", str(out)]) == 2
    assert "no Han characters" in capsys.readouterr().err
    assert not out.exists()
    assert cli_main([*common, "--style", STYLE, "--format", "ttf,woff2", "--quiet"]) == 0
    assert out.is_file() and out.with_suffix(".woff2").is_file()
    assert "wrote" in capsys.readouterr().out


def test_cli_quality_gate_flag_reads_glyphs_with_the_recognizer(tmp_path, capsys):
    out = tmp_path / "gate" / "Gate.ttf"
    assert cli_main(["batch", "--style", STYLE, "--text", "永字八法", "--out", str(out), "--workers", "0",
                     "--cache-dir", str(tmp_path / "cache"), "--quality-gate", "flag", "--quiet"]) == 0  # fmt: skip
    report = json.loads(out.with_suffix(".report.json").read_text(encoding="utf-8"))
    gate = report["quality_gate"]
    assert isinstance(gate, dict) and gate["dropped"] is False
    assert gate["count"] == len(gate["unreadable"]) <= 1  # the brush font's own glyphs read as themselves
    assert report["font"]["hanzi_written"] == 4  # flagged glyphs stay in the font
    assert "quality gate:" in capsys.readouterr().out


def test_cli_quality_gate_drop_leaves_unreadable_glyphs_out(tmp_path, monkeypatch):
    from segan_core import recognizer

    monkeypatch.setattr(recognizer, "misread", lambda chars, images: {c: "" for c in chars if c == "字"})
    out = tmp_path / "drop" / "Drop.ttf"
    assert cli_main(["batch", "--style", STYLE, "--text", "永字八", "--out", str(out), "--workers", "0",
                     "--cache-dir", str(tmp_path / "cache"), "--quality-gate", "drop", "--quiet"]) == 0  # fmt: skip
    report = json.loads(out.with_suffix(".report.json").read_text(encoding="utf-8"))
    assert report["quality_gate"] == {"unreadable": "字", "count": 1, "dropped": True, "read": {"字": ""}}
    assert report["skipped"]["字"] == "quality gate: unreadable"
    assert ord("字") not in TTFont(out).getBestCmap()


def test_cli_quality_gate_without_a_recognizer_is_one_line(tmp_path, monkeypatch, capsys):
    from segan_core import recognizer

    monkeypatch.setattr(recognizer, "_RECOGNIZER", None)
    monkeypatch.setenv("SEGAN_OCR_MODEL", str(tmp_path / "missing.onnx"))
    out = tmp_path / "none" / "None.ttf"
    assert cli_main(["batch", "--style", STYLE, "--text", "永", "--out", str(out), "--quality-gate", "flag"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "recognizer" in err[0] and not out.parent.exists()


def test_cli_font_wide_layout_moves_every_hanzi_and_a_rebuild_reuses_the_cache(tmp_path, capsys):
    """Issue 31's font-wide size, baseline and spacing: --glyph-size 80 --baseline-shift 50 --letter-spacing 100
    shrinks every Hanzi to 0.8 about the em centre, lifts it 50 units and widens its advance by 100; the punctuation
    copied from the fallback font keeps its metrics; the second build traces nothing; the report says the layout."""
    out = tmp_path / "layout" / "Layout.ttf"
    common = ["batch", "--style", STYLE, "--text", "永字", "--out", str(out), "--cache-dir", str(tmp_path / "cache"),
              "--workers", "0", "--quiet"]
    assert cli_main(common) == 0
    plain = TTFont(out)
    assert cli_main([*common, "--glyph-size", "80", "--baseline-shift", "50", "--letter-spacing", "100"]) == 0
    placed = TTFont(out)
    for char in "永字":
        name = plain.getBestCmap()[ord(char)]
        before, after = plain["glyf"][name], placed["glyf"][name]
        def placed_range(lo: int, hi: int, centre: int, shift: int) -> tuple[float, float]:
            return centre + 0.8 * (lo - centre) + shift, centre + 0.8 * (hi - centre) + shift

        # x: about 500, moved right by half the spacing; y: about 380 (the em box's centre), up by the shift
        assert (after.xMin, after.xMax) == pytest.approx(placed_range(before.xMin, before.xMax, 500, 50), abs=2)
        assert (after.yMin, after.yMax) == pytest.approx(placed_range(before.yMin, before.yMax, 380, 50), abs=2)
        assert placed["hmtx"][name][0] == plain["hmtx"][name][0] + 100
    comma = plain.getBestCmap()[ord("，")]
    assert placed["hmtx"][comma] == plain["hmtx"][comma]
    report = json.loads(out.with_name("Layout.report.json").read_text(encoding="utf-8"))
    assert report["layout"] == {"scale": 0.8, "baseline": 50, "spacing": 100}
    assert report["cache"]["traced"] == 0 and report["cache"]["generated"] == 0
    assert "size 80 %, baseline +50, spacing +100" in out.with_name("Layout.report.txt").read_text(encoding="utf-8")
    assert cli_main([*common, "--glyph-size", "300"]) == 2
    assert "invalid font-wide layout: the font-wide size 3 is outside 0.5 to 1.5" in capsys.readouterr().err
