"""The core's long jobs read as a list of short steps (issue 18): no long function in the modules held to it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_FUNCTION_LINES = 40  # the same limit as the app's (tests/app/test_structure.py)
# the font export (one function per step, sharing an _Export job) and the evaluation (one per row)
SHORT_MODULES = ["segan_core/batch.py", "segan_core/evaluation/report.py"]


@pytest.mark.parametrize("module", SHORT_MODULES)
def test_no_function_in_the_module_is_long(module):
    """Every function and method fits in MAX_FUNCTION_LINES (def to last line, docstring included)."""
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    too_long = {node.name: node.end_lineno - node.lineno + 1 for node in ast.walk(tree)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES}  # fmt: skip
    assert too_long == {}, f"split these into smaller functions (at most {MAX_FUNCTION_LINES} lines): {too_long}"
