"""The GUI's shape: only app/workers.py deals with threads; no long functions; the entry point exists."""

from __future__ import annotations

import ast
import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
MAX_FUNCTION_LINES = 40  # issue 18: a view's form is built by one small builder per part, not one long __init__
LONG_FUNCTIONS: dict[str, int] = {}  # "path:function" -> its length now, for any exception (none at the moment)


def test_only_workers_module_owns_threading():
    pattern = re.compile(r"\b(QThread|QThreadPool|QRunnable|threading|concurrent\.futures|multiprocessing)\b")
    offenders = [p.relative_to(APP.parent).as_posix() for p in APP.rglob("*.py")
                 if p.name != "workers.py" and pattern.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_no_function_in_the_app_is_long():
    """Every function and method in app/ fits in MAX_FUNCTION_LINES (def to last line, docstring included)."""
    too_long = {}
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = f"{path.relative_to(APP.parent).as_posix()}:{node.name}"
                length = node.end_lineno - node.lineno + 1
                if length > LONG_FUNCTIONS.get(name, MAX_FUNCTION_LINES):
                    too_long[name] = length
    assert too_long == {}, f"split these into smaller functions (at most {MAX_FUNCTION_LINES} lines): {too_long}"


def test_entry_point_parses_options():
    from app.main import parse_args

    args = parse_args(["--style", "ma-shan-zheng", "--model", "/tmp/x"])
    assert args.style == "ma-shan-zheng" and str(args.model) == "/tmp/x"


def test_none_refcount_guard_keeps_the_app_alive(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None per void call; the guard absorbs it."""
    import sys

    from PySide6.QtGui import QFont

    from app import qtfix

    if not qtfix.install():
        return  # a PySide6 without the bug (or Python >= 3.12): nothing to guard
    qtfix.top_up()
    font = QFont()
    for _ in range(200_000):  # far more than None's natural reference count
        font.setPixelSize(10)
    qtfix.top_up()
    assert sys.getrefcount(None) > 1_000_000
