"""``segan-studio --self-test``: the core's installation check, then the main window on this Qt.

Runs in a temporary data folder (``$SEGAN_STUDIO_HOME``), so the user's settings, models and log are
neither read nor changed. Works offscreen (``QT_QPA_PLATFORM=offscreen``), e.g. in CI or a bundle check.
With ``--data-folder`` it first checks the real data folder too (writable; its log and settings files usable),
the one thing a temporary folder cannot vouch for.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time

WINDOW_TEXT = "永字"
WINDOW_TIMEOUT_S = 180.0


def run(argv: list[str], data_folder: bool = False) -> int:
    """0 when every step passed, 1 otherwise; one line per step on stdout."""
    from segan_core.selftest import data_folder_step

    first = []
    if data_folder:  # the real one, before the switch to a temporary folder
        from app.main import DATA_FILES

        first.append(data_folder_step(DATA_FILES))
        print(first[0].line(), flush=True)
    before = os.environ.get("SEGAN_STUDIO_HOME")
    with tempfile.TemporaryDirectory(prefix="segan-self-test-home-") as home:
        os.environ["SEGAN_STUDIO_HOME"] = home
        try:
            return _run(argv, first)
        finally:
            if before is None:
                os.environ.pop("SEGAN_STUDIO_HOME", None)
            else:
                os.environ["SEGAN_STUDIO_HOME"] = before


def _run(argv: list[str], first: list) -> int:
    from segan_core.selftest import Step, run_self_test

    result = run_self_test(echo=lambda line: print(line, flush=True), summary=False)
    result.steps[:0] = first
    start = time.perf_counter()
    try:
        ok, detail = _window_smoke(argv)
    except Exception as exc:  # reported like any failed step
        ok, detail = False, f"{type(exc).__name__}: {exc}"
    step = Step("app: main window shows glyphs", ok, detail, time.perf_counter() - start)
    result.steps.append(step)
    print(step.line())
    print(result.summary(), flush=True)
    return 0 if result.ok else 1


def _window_smoke(argv: list[str]) -> tuple[bool, str]:
    from PySide6.QtCore import QCoreApplication, QEventLoop
    from PySide6.QtWidgets import QApplication

    from app.main import create_window, parse_args, set_window_icon

    app = QApplication.instance() or QApplication(argv)
    set_window_icon(app)
    if app.windowIcon().isNull():
        return False, "the application icon (resources/icons/segan-studio.png) is missing"
    window = create_window(parse_args(["--text", WINDOW_TEXT]))
    window.show()
    deadline = time.monotonic() + WINDOW_TIMEOUT_S
    want = list(WINDOW_TEXT)
    while window.generate.grid.ready_chars() != want and time.monotonic() < deadline:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)
    ready = window.generate.grid.ready_chars()
    styles = window.generate.picker.count()
    platform = app.platformName()
    window.close()
    app.processEvents()
    if ready != want:
        return False, f"{len(ready)} of {len(want)} glyphs shown after {WINDOW_TIMEOUT_S:.0f} s ({platform})"
    name = window.generate.entry.name if window.generate.entry else "?"
    return True, f"{name}: {len(want)} glyphs, {styles} styles in the picker, Qt {platform}"


if __name__ == "__main__":
    sys.exit(run(sys.argv))
