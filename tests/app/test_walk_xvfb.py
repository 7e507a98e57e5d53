"""The calligrapher's whole path in a real X window (issue 31): app/walk.py run under an Xvfb of its own.

Template → four scanned pages dropped on the Generate view → review with Click / Shift / Ctrl multi-select,
Delete, Ctrl+Z → a two-step fine-tune → the Done page's verdict → Batch & export → the preview of the font file
written. The app runs in a subprocess on Qt's xcb platform; the walk checks each step itself and reports what it
found, which is checked again here. The screenshots go to the test's folder; with
``SEGAN_WALK_SCREENSHOTS=docs/img`` they are also copied there (how docs/gui.md's calligrapher pictures are made).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.walk import SHOTS, start_xvfb, stop_xvfb

ROOT = Path(__file__).resolve().parents[2]
XVFB = shutil.which("Xvfb") or ("/usr/bin/Xvfb" if Path("/usr/bin/Xvfb").is_file() else None)

pytestmark = pytest.mark.skipif(
    XVFB is None, reason="Xvfb is not installed: the walk needs a real X server (apt-get install xvfb; "
    "packaging/bootstrap.sh installs it)"
)


def _run_walk(tmp_path: Path) -> tuple[subprocess.CompletedProcess, dict]:
    xvfb, display = start_xvfb()
    try:
        env = dict(os.environ, QT_QPA_PLATFORM="xcb", DISPLAY=display, SEGAN_STUDIO_HOME=str(tmp_path / "home"))
        env.pop("WAYLAND_DISPLAY", None)
        result = tmp_path / "walk.json"
        command = [sys.executable, "-m", "app.walk", "--out", str(tmp_path / "screenshots"), "--result", str(result),
                   "--work", str(tmp_path / "work"), "--finetune-steps", "2"]
        proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    finally:
        stop_xvfb(xvfb)
    outcome = json.loads(result.read_text(encoding="utf-8")) if result.is_file() else {}
    return proc, outcome


def test_calligrapher_walk_under_xvfb(tmp_path):
    proc, outcome = _run_walk(tmp_path)
    assert proc.returncode == 0, f"{outcome.get('failed')}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    assert outcome["dialogs"] == []  # no error dialog, no question on the way

    template = outcome["template"]
    assert template["pages"] == 4 and template["chars"] == 300 and Path(template["pdf"]).is_file()

    drop = outcome["drop"]  # dropped on the Generate view: the import page, never "not a UTF-8 text file"
    assert len(drop["pages"]) == 4 and drop["errors"] == []

    imported = outcome["import"]
    assert imported["cells"] == 300 and imported["pages"] == 4 and imported["empty"] >= 1
    assert Path(imported["folder"], "report.json").is_file()

    review = outcome["review"]  # Shift-click made a range of 4, Ctrl-click added one: Delete dropped all 5
    assert len(review["selected"]) == 5 and sorted(review["selected"]) == review["dropped"]
    assert len(review["relabelled"]) == 1 and review["train"] > 200 and review["dev"] > 0

    finetune = outcome["finetune"]
    assert finetune["steps"] == 2 and Path(finetune["out"], "config.json").is_file()

    verdict = outcome["verdict"]  # the words of the verdict are on the Done page, draft or usable
    assert verdict["text"] and verdict["text"] in verdict["summary"]
    assert ("is a draft" in verdict["summary"]) != verdict["usable"]
    assert ("draft" in verdict["label"]) != verdict["usable"]

    export = outcome["export"]  # the preview is the file just written, in its own family
    font = Path(export["font"])
    assert font.is_file() and font.parent == tmp_path / "work" / "fonts" and export["hanzi"] == 20
    assert export["preview_family"] == export["file_family"] == export["family"]

    shots = [Path(p) for p in outcome["screenshots"]]
    assert [p.name for p in shots] == list(SHOTS) and all(p.stat().st_size > 10_000 for p in shots)
    docs = os.environ.get("SEGAN_WALK_SCREENSHOTS")
    if docs:
        folder = Path(docs) if Path(docs).is_absolute() else ROOT / docs
        for shot in shots:
            shutil.copyfile(shot, folder / shot.name)
