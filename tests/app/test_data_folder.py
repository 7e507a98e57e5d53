"""Issue 28: the app's data folder in a bad state is one clear line, exit code 2, never a traceback.

Read-only (chmod, or ``chattr +i`` when the tests run as root, who writes anyway), a folder where the
log file goes, ``$SEGAN_STUDIO_HOME`` naming a file; a garbage ``geometry=`` in settings.ini is ignored.
``--self-test --data-folder`` checks the real data folder, which a plain self-test (run in a temporary
one) would pass whatever state it is in.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
START = "import sys\nfrom app.main import main\nsys.exit(main(sys.argv[1:]))\n"


def snapshot(path: Path) -> dict[str, object]:
    """Every file's bytes and every folder under ``path`` (or the file itself)."""
    if path.is_file():
        return {".": path.read_bytes()}
    return {str(p.relative_to(path)): p.read_bytes() if p.is_file() else "dir" for p in sorted(path.rglob("*"))}


@contextlib.contextmanager
def read_only(folder: Path) -> Iterator[None]:
    """``folder`` made read-only for this process's user; skips where that cannot be done (root without
    CAP_LINUX_IMMUTABLE)."""
    folder.chmod(0o555)
    immutable = False
    try:
        if os.geteuid() == 0:
            if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(folder)],
                                                                capture_output=True).returncode != 0:
                pytest.skip("root writes in a chmod 555 folder and chattr +i is not allowed here")
            immutable = True
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(folder)], check=True)
        folder.chmod(0o755)


def _read_only_home(home: Path) -> Path:
    (home / "models").mkdir(parents=True)
    (home / "datasets").mkdir()
    (home / "settings.ini").write_text("[generate]\ntext=永\n", encoding="utf-8")
    return home


def _log_is_a_folder(home: Path) -> Path:
    (home / "segan-studio.log").mkdir(parents=True)
    (home / "segan-studio.log" / "keep.txt").write_text("mine", encoding="utf-8")
    return home


def _home_is_a_file(home: Path) -> Path:
    home.write_text("my notes", encoding="utf-8")
    return home


BAD_HOMES: list[tuple[str, Callable[[Path], Path], str]] = [
    ("read-only", _read_only_home, "cannot write in the user data folder"),
    ("log-is-a-folder", _log_is_a_folder, "segan-studio.log is not a file"),
    ("home-is-a-file", _home_is_a_file, "is a file, not a folder"),
]


def start_app(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, SEGAN_STUDIO_HOME=str(home), QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", START, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.mark.parametrize(("make", "needle"), [(m, n) for _, m, n in BAD_HOMES], ids=[i for i, _, _ in BAD_HOMES])
def test_the_app_refuses_a_bad_data_folder_in_one_line(tmp_path, make, needle):
    home = make(tmp_path / "home")
    before = snapshot(home)
    guard = read_only(home) if make is _read_only_home else contextlib.nullcontext()
    with guard:
        done = start_app(home, "--exit-when-shown")
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.startswith("segan-studio: error:")]
    assert len(lines) == 1, done.stderr
    assert needle in lines[0] and str(home) in lines[0], lines[0]
    assert "window shown" not in done.stdout
    assert snapshot(home) == before  # nothing changed, no probe file left


def test_garbage_geometry_in_settings_is_ignored(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.ini").write_text("[window]\ngeometry=garbage\n", encoding="utf-8")
    done = start_app(home, "--exit-when-shown")
    assert done.returncode == 0, done.stderr
    assert "window shown" in done.stdout
    log = (home / "segan-studio.log").read_text(encoding="utf-8")
    assert "uncaught exception" not in log and "Traceback" not in log, log


@pytest.mark.parametrize(("make", "needle"), [(m, n) for _, m, n in BAD_HOMES], ids=[i for i, _, _ in BAD_HOMES])
def test_the_data_folder_step_names_the_problem(tmp_path, monkeypatch, make, needle):
    from app.main import DATA_FILES
    from segan_core.selftest import data_folder_step

    home = make(tmp_path / "home")
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(home))
    before = snapshot(home)
    with read_only(home) if make is _read_only_home else contextlib.nullcontext():
        step = data_folder_step(DATA_FILES)
    assert not step.ok and needle in step.detail, step
    assert snapshot(home) == before


def test_the_data_folder_step_passes_a_good_folder(tmp_path, monkeypatch):
    from app.main import DATA_FILES
    from segan_core.selftest import data_folder_step

    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(tmp_path / "home"))
    step = data_folder_step(DATA_FILES)
    assert step.ok, step
    assert sorted(p.name for p in (tmp_path / "home").iterdir()) == ["datasets", "models"]  # no probe left


def _quick_self_test(monkeypatch) -> None:
    """The self-test's own steps replaced by one that passes: only the data folder step is under test."""
    import app.selftest
    import segan_core.selftest as core

    monkeypatch.setattr(core, "run_self_test",
                        lambda **kw: core.SelfTestResult([core.Step("stub", True, "", 0.0)]))
    monkeypatch.setattr(app.selftest, "_window_smoke", lambda argv: (True, "stub"))


def test_self_test_data_folder_fails_on_the_real_folder(tmp_path, capsys, monkeypatch):
    from app.main import main

    _quick_self_test(monkeypatch)
    home = _log_is_a_folder(tmp_path / "home")
    monkeypatch.setenv("SEGAN_STUDIO_HOME", str(home))
    assert main(["--self-test"]) == 0  # the temporary folder hides the problem ...
    assert main(["--self-test", "--data-folder"]) == 1  # ... which --data-folder finds
    out = capsys.readouterr().out
    assert "FAIL  data folder" in out and "segan-studio.log is not a file" in out
    assert "self-test FAILED: 1 of" in out
    assert os.environ["SEGAN_STUDIO_HOME"] == str(home)
