"""The app's memory over a designer's session: 500-character previews, a GB2312 export, previews again.

    QT_QPA_PLATFORM=offscreen .venv/bin/python bench/bench_app_memory.py [--charset gb2312-1|gb2312] [--walk]
        [--styles ma-shan-zheng,zhi-mang-xing,kouzan-mouhitsu-gyosho] [--chars 500] [--tracemalloc]

Drives the real MainWindow (offscreen) with the bundled models, in a throw-away data folder and glyph cache:

1. ``previews``: for each style, 500 pasted characters of GB2312 level 1 (with heatmaps, and the second stage
   where the style has one), the detail panel shown for a few of them;
2. ``walk`` (with ``--walk``): the new calligrapher's whole path as :mod:`app.walk` takes it (template, four
   scanned pages dropped on the Generate view, import, review, a two-step fine-tune of the bundled style, the
   verdict, a 20-character export of the new style and its preview);
3. ``export``: the Batch & export view's own worker exports ``--charset`` (default GB2312 level 1, 3,755
   Hanzi; ``gb2312`` for all 6,763) in the first style, TTF, cold glyph cache, 2 trace worker processes, the
   quality gate as the form has it; the preview is drawn from the file written;
4. ``previews again``: the styles once more with the next 500 characters.

Prints the process's RSS after each phase and the phase's peak (``VmHWM`` in /proc/self/status, reset between
phases through /proc/self/clear_refs), the app's peak over all phases, the largest peak of
its child processes (the trace workers: polled from /proc while they live), and what the Generate view's
preview cache holds by its own accounting. ``--tracemalloc`` adds the Python allocation sites holding the most
memory at the end (numpy arrays included; slow).
Memory only: the machine may be busy, so no times are reported.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MB = 1024 * 1024


def status_kb(pid: int | str, key: str) -> int:
    """A ``VmRSS`` / ``VmHWM`` line of /proc/<pid>/status in KiB (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def child_pids(pid: int) -> list[int]:
    """The direct children of ``pid``, over all its threads (/proc/<pid>/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except (OSError, ValueError):
            continue
    return found


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class ChildWatch(threading.Thread):
    """Polls the children's (and grandchildren's) peak RSS while they live: spawned trace workers exit with the
    export, before anyone could read their /proc entry afterwards."""

    def __init__(self, interval_s: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.interval_s = interval_s
        self.peak_kb: dict[int, int] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        own = cmdline(os.getpid())
        while not self.stop.wait(self.interval_s):
            todo, seen = child_pids(os.getpid()), set()
            while todo:
                pid = todo.pop()
                if pid in seen:
                    continue
                seen.add(pid)
                # VmHWM grows monotonically from the child's exec on; before its exec, the child still has this
                # process's pages (and its command line): not counted
                hwm = status_kb(pid, "VmHWM")
                if hwm and cmdline(pid) not in (own, b""):
                    self.peak_kb[pid] = max(self.peak_kb.get(pid, 0), hwm)
                todo += child_pids(pid)

    def largest_mb(self) -> float:
        # not RUSAGE_CHILDREN: a spawned child's ru_maxrss counts the parent's pages it had between fork and exec
        return max(self.peak_kb.values(), default=0) / 1024


def rss_mb() -> float:
    return status_kb("self", "VmRSS") / 1024


def peak_mb() -> float:
    return status_kb("self", "VmHWM") / 1024


def reset_peak() -> bool:
    """Start the next phase's peak from the RSS now (``5`` to /proc/self/clear_refs resets VmHWM, Linux >= 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def wait_until(app, condition, timeout_s: float = 1800.0, what: str = "the GUI") -> None:
    """:func:`app.walk.wait_until` with the bench's longer default; a timeout ends the bench with its one line."""
    from app.walk import WalkFailed
    from app.walk import wait_until as walk_wait_until

    try:
        walk_wait_until(app, condition, timeout_s, what)
    except WalkFailed as exc:
        raise SystemExit(str(exc)) from None


def preview(app, window, key: str, text: str, clicks: int = 5) -> None:
    """Pick a style, paste ``text``, wait for every glyph, click a few cells (the detail panel with heatmaps)."""
    view = window.generate
    window.tabs.setCurrentWidget(view)
    ready: list = []
    view.model_ready.connect(ready.append)
    try:
        if view.entry is None or view.entry.key != key or view.model is None:
            if not view.select_style(key):
                raise SystemExit(f"cannot select {key}")
            wait_until(app, lambda: bool(ready) and view.model is not None, what=f"the model of {key}")
    finally:
        view.model_ready.disconnect(ready.append)
    view.set_text(text)
    from app.widgets.glyph_grid import MISSING

    def drawn() -> bool:  # in the view's cache (the grid may still show the previous style's glyphs meanwhile)
        return not view._generating and all(c in view.cache or view.grid.state(c) == MISSING for c in text)

    wait_until(app, drawn, what=f"{len(text)} glyphs in {key}")
    step = max(1, len(text) // clicks)
    for char in text[::step][:clicks]:
        view.grid.setCurrentItem(view.grid.item_for(char))
        wait_until(app, lambda: all(p.has_image() or p.view.text() for p in view.detail.panels()),
                   what="the detail panel")


def export(app, window, folder: Path, charset: str, out: Path, shown: list[str]) -> str:
    batch = window.batch
    window.tabs.setCurrentWidget(batch)
    batch.select_model(folder)
    batch.set_charset(charset)
    batch.out.setText(str(out))
    for name, box in batch.formats.items():
        box.setChecked(name == "ttf")
    done: list = []
    batch.finished.connect(done.append)
    if not batch.start():
        raise SystemExit(f"the export did not start: {shown}")
    wait_until(app, lambda: batch.job is None, what="the export")
    if not done:
        raise SystemExit(f"the export failed: {shown}")
    written = batch.report.paths
    if batch.font_family is None:
        raise SystemExit("the preview was not drawn from the font written")
    report = done[0].report
    return f"{report.hanzi_written} Hanzi written to {', '.join(p.name for p in written.values())}"


def top_allocations(snapshot, limit: int = 12) -> list[str]:
    stats = snapshot.statistics("traceback")
    lines = []
    for stat in stats[:limit]:
        frames = [f"{Path(f.filename).name}:{f.lineno}" for f in stat.traceback if "site-packages" not in f.filename]
        lines.append(f"  {stat.size / MB:8.1f} MB  {stat.count:7d} blocks  {' < '.join(frames[-4:]) or stat.traceback}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--styles", default="ma-shan-zheng,zhi-mang-xing,kouzan-mouhitsu-gyosho",
                        help="bundled style ids, comma-separated (the first one is exported)")
    parser.add_argument("--chars", type=int, default=500, help="characters pasted per preview")
    parser.add_argument("--charset", default="gb2312-1", choices=("gb2312-1", "gb2312"),
                        help="what the export writes (gb2312-1: level 1, 3,755 Hanzi; gb2312: all 6,763)")
    parser.add_argument("--walk", action="store_true", help="the calligrapher's walk before the export")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0 = all cores)")
    parser.add_argument("--tracemalloc", action="store_true", help="list the Python allocations held at the end")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="segan-bench-memory-"))
    os.environ["SEGAN_STUDIO_HOME"] = str(work / "home")
    os.environ["SEGAN_CACHE_DIR"] = str(work / "cache")  # a cold glyph cache: the export does all its work
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(8)

    from PySide6.QtWidgets import QApplication

    from bench.common import machine
    from segan_core.charset import load_charset
    from segan_core.model.device import configure_threads

    configure_threads(args.threads)
    watch = ChildWatch()
    watch.start()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    from app.main_window import MainWindow
    from app.settings import Settings
    from app.walk import Walk, never_block

    shown: list[str] = []
    never_block(shown)  # dialogs are recorded, never waited on
    Settings().last_text = ""
    window = MainWindow()
    window.context.settings.threads = args.threads
    window.resize(1300, 860)
    window.show()
    view = window.generate
    app.processEvents()
    keys = [f"style:{s.strip()}" for s in args.styles.split(",") if s.strip()]
    level1 = load_charset("gb2312-1").chars
    texts = ("".join(level1[: args.chars]), "".join(level1[args.chars : 2 * args.chars]))

    rows: list[tuple[str, float, float, str]] = []
    resets = reset_peak()  # each row's peak is that phase's own (where the kernel lets it be reset)

    def record(phase: str, note: str = "") -> None:
        app.processEvents()
        cache = view.cache
        held = f"preview cache {len(cache)} glyphs"
        if hasattr(cache, "nbytes"):  # its own accounting (app/preview_cache.py)
            held += f", {cache.nbytes / MB:.1f} MB ({cache.spare_nbytes / MB:.1f} MB spare)"
        rows.append((phase, rss_mb(), peak_mb(), "; ".join(x for x in (held, note) if x)))
        print(f"{phase:<34} RSS {rows[-1][1]:7.0f} MB   peak {rows[-1][2]:7.0f} MB   {rows[-1][3]}", flush=True)
        if resets:
            reset_peak()

    record("window shown")
    for key in keys:
        preview(app, window, key, texts[0])
        record(f"previews: {key.split(':')[1]}")
    if args.walk:
        walk = Walk(app, window, work / "walk-screenshots", work / "walk", shown=shown)
        for step in walk.steps:
            step()
            record(f"walk: {step.__name__}")
        outcome = walk.outcome
        print(f"walk: {outcome['import']['cells']} cells, {outcome['finetune']['steps']} fine-tuning steps, "
              f"{'usable' if outcome['verdict']['usable'] else 'draft'}, {outcome['export']['hanzi']} Hanzi exported")
    entry = window.context.entry(keys[0])
    note = export(app, window, entry.model_dir, args.charset, work / "fonts", shown)
    record(f"export {args.charset}", note)
    for key in keys:
        preview(app, window, key, texts[1])
        record(f"previews again: {key.split(':')[1]}")
    window.tabs.setCurrentWidget(window.batch)
    record("Batch view shown at the end")

    watch.stop.set()
    watch.join(2)
    print()
    print("Segan Studio memory over a session: previews of "
          f"{args.chars} pasted characters in {len(keys)} styles, a {args.charset} export, previews again")
    print(machine())
    print(f"Qt platform {app.platformName()}; styles {', '.join(k.split(':')[1] for k in keys)}")
    top = max(rows, key=lambda row: row[2])
    print(f"peak RSS of the app (VmHWM)                {top[2]:7.0f} MB   (in phase: {top[0]})")
    print(f"largest peak RSS of a child (trace worker) {watch.largest_mb():7.0f} MB")
    print(f"RSS at the end                             {rss_mb():7.0f} MB")
    if shown:
        print("dialogs shown:", *shown, sep="\n  ")
    if args.tracemalloc:
        import tracemalloc

        print("Python allocations held at the end (tracemalloc):")
        print("\n".join(top_allocations(tracemalloc.take_snapshot())))
    window.close()
    app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
