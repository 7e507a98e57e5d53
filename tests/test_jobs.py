"""The job conventions: named progress stages, and one way to stop on a cancel token."""

import ast
from pathlib import Path

import pytest

from segan_core.errors import Cancelled
from segan_core.jobs import STAGES, CancelToken, Progress

ROOT = Path(__file__).resolve().parents[1]


def test_every_stage_a_job_reports_is_a_named_stage():
    used = set()
    for path in [*(ROOT / "segan_core").rglob("*.py"), *(ROOT / "app").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Progress" and node.args:
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path.relative_to(ROOT)}:{node.lineno}: a literal stage"
                used.add(first.value)
    assert used and used <= STAGES, sorted(used - STAGES)
    with pytest.raises(ValueError, match="unknown progress stage 'nonsense'"):
        Progress("nonsense", 0)  # type: ignore[arg-type]


def test_cancel_raises_cancelled_with_what_was_kept():
    token = CancelToken()
    token.raise_if_cancelled("x")
    token.cancel()
    with pytest.raises(Cancelled, match="x cancelled") as stopped:
        token.raise_if_cancelled("x")
    assert stopped.value.result is None and stopped.value.exit_code == 130
    assert Cancelled("stopped", result=42).result == 42
