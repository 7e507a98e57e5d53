"""Issue 31: ``segan batch`` does not replace a previous export of another style without --overwrite (its report
says what made the font), and a trace pool whose worker died is made again instead of failing the export."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

from segan_core.batch import BatchRequest, export_font
from segan_core.cli import main as cli_main
from segan_core.jobs import CancelToken, run_to_end

from .conftest import KOUZAN, MA_SHAN_ZHENG

TEXT = "永字八法"


def _batch(style: Path, out: Path, cache: Path, *extra: str) -> int:
    return cli_main(["batch", "--style", f"font:{style}", "--text", TEXT, "--out", str(out), "--family",
                     "Probe Brush", "--workers", "0", "--cache-dir", str(cache), "--quiet", *extra])


def test_batch_refuses_to_replace_a_font_of_another_style_without_overwrite(tmp_path, capsys):
    out, cache = tmp_path / "fonts" / "Probe-Brush.ttf", tmp_path / "cache"
    assert _batch(KOUZAN, out, cache) == 0
    report = json.loads(out.with_name("Probe-Brush.report.json").read_text(encoding="utf-8"))
    assert report["source"]["origin"] == f"font:{KOUZAN.resolve()}"  # the report says what made the font
    assert f"made from font:{KOUZAN.resolve()}" in out.with_name("Probe-Brush.report.txt").read_text(encoding="utf-8")
    assert _batch(KOUZAN, out, cache) == 0  # the same style again: replaced without a question
    kouzan_bytes = out.read_bytes()
    capsys.readouterr()

    assert _batch(MA_SHAN_ZHENG, out, cache) == 2  # another style: refused, the Kouzan font kept
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert str(out) in err and report["source"]["name"] in err and "--overwrite" in err and "Traceback" not in err
    assert out.read_bytes() == kouzan_bytes

    assert _batch(MA_SHAN_ZHENG, out, cache, "--overwrite") == 0
    report = json.loads(out.with_name("Probe-Brush.report.json").read_text(encoding="utf-8"))
    assert report["source"]["origin"] == f"font:{MA_SHAN_ZHENG.resolve()}"
    assert out.read_bytes() != kouzan_bytes


def test_a_report_without_origin_is_compared_by_style_name(tmp_path, capsys):
    """Reports written before the origin field: another style name still asks."""
    out, cache = tmp_path / "Probe-Brush.ttf", tmp_path / "cache"
    assert _batch(KOUZAN, out, cache) == 0
    report_path = out.with_name("Probe-Brush.report.json")
    report = json.loads(report_path.read_text(encoding="utf-8"))
    del report["source"]["origin"]
    report_path.write_text(json.dumps(report), encoding="utf-8")
    assert _batch(MA_SHAN_ZHENG, out, cache) == 2
    assert "--overwrite" in capsys.readouterr().err


def _kill_workers(pool) -> None:
    for process in list(pool._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
    for process in list(pool._processes.values()):
        process.join(10)


def test_a_broken_trace_pool_is_made_again(tmp_path, monkeypatch):
    """A trace worker that dies (killed, out of memory) breaks the process pool; the export makes a new pool and
    traces the lost glyphs again instead of failing with BrokenProcessPool (raw, from submit) or an error."""
    import segan_core.batch as batch

    pools = []
    make_pool = batch._trace_pool

    def recording_pool(workers, stack):
        pool = make_pool(workers, stack)
        pools.append(pool)
        return pool

    monkeypatch.setattr(batch, "_trace_pool", recording_pool)
    chars = tuple("永字八法天地玄黄宇宙洪荒日月盈昃辰宿列张寒来暑往")
    request = BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=chars, out=tmp_path / "out" / "T.ttf",
                           cache_dir=tmp_path / "cache", workers=1, chunk_size=8, batch_size=8)
    job = export_font(request, CancelToken())
    killed = False
    result = None
    while True:
        try:
            event = next(job)
        except StopIteration as stop:
            result = stop.value
            break
        if event.stage == "glyphs" and not killed:
            _kill_workers(pools[0])
            killed = True
    assert killed and len(pools) >= 2, "the broken pool was not replaced"
    assert result.report.hanzi_written == len(chars)
    assert result.paths["ttf"].is_file()


def test_submit_on_a_broken_pool_makes_a_new_one(tmp_path, monkeypatch):
    """The pool broke while nothing was pending (between chunks): the next submit must not raise
    BrokenProcessPool, the raw "Unexpected error" of the issue."""
    import time

    import segan_core.batch as batch

    broke = []
    real_submit = batch._Tracer.submit

    def submit_after_breaking(tracer, chars, images):
        if tracer.pending and not broke:  # chunk 1 is in flight: let it finish, then break the idle pool
            tracer.store_finished()
            while tracer.pending:
                entry = tracer.pending[0]
                (entry.future if hasattr(entry, "future") else entry[1]).result()
                tracer.store_finished()
            _kill_workers(tracer.pool)
            deadline = time.monotonic() + 10
            while not tracer.pool._broken and time.monotonic() < deadline:
                time.sleep(0.05)
            broke.append(bool(tracer.pool._broken))
        real_submit(tracer, chars, images)

    monkeypatch.setattr(batch._Tracer, "submit", submit_after_breaking)
    chars = tuple("永字八法天地玄黄宇宙洪荒日月盈昃")
    request = BatchRequest(source=f"font:{MA_SHAN_ZHENG}", chars=chars, out=tmp_path / "out" / "T.ttf",
                           cache_dir=tmp_path / "cache", workers=1, chunk_size=4, batch_size=4)
    result = run_to_end(export_font(request, CancelToken()))
    assert broke == [True]
    assert result.report.hanzi_written == len(chars)
