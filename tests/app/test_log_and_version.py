"""The application's log file rotates; ``segan-studio --version`` prints what ``segan --version`` prints."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_log_file_rotates(app_home):
    from app.main import LOG_BACKUPS, LOG_MAX_BYTES, setup_logging

    assert LOG_MAX_BYTES == 1_000_000 and LOG_BACKUPS == 3
    root = logging.getLogger()
    before = list(root.handlers)
    level = root.level
    try:
        path = setup_logging(max_bytes=2000, backups=2)
        assert setup_logging(max_bytes=2000, backups=2) == path  # a second call adds no second handler
        added = [h for h in root.handlers if h not in before]
        assert len(added) == 1
        log = logging.getLogger("segan_studio.test")
        for i in range(200):
            log.info("line %03d %s", i, "x" * 40)
        for handler in added:
            handler.flush()
        files = sorted(p.name for p in path.parent.glob("segan-studio.log*"))
        assert files == ["segan-studio.log", "segan-studio.log.1", "segan-studio.log.2"]
        assert all(p.stat().st_size <= 2000 for p in path.parent.glob("segan-studio.log*"))
        assert "line 199" in path.read_text(encoding="utf-8")
    finally:
        for handler in [h for h in root.handlers if h not in before]:
            root.removeHandler(handler)
            handler.close()
        root.setLevel(level)


def test_studio_version_is_the_cli_version_without_starting_qt(capsys):
    from segan_core.cli import main as cli_main

    with pytest.raises(SystemExit) as stop:
        cli_main(["--version"])
    assert stop.value.code == 0
    expected = capsys.readouterr().out
    assert expected.startswith("segan-studio ")
    code = ("import sys; from app.main import main\n"
            "try:\n    main(['--version'])\nexcept SystemExit as e:\n    code = e.code\n"
            "assert code == 0, code\n"
            "assert 'PySide6.QtWidgets' not in sys.modules, 'Qt widgets imported'\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == expected
