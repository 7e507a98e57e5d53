"""The core never imports Qt or the GUI: checked statically and by importing with PySide6 blocked."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_qt_or_app_imports_in_segan_core():
    offenders = []
    for path in (ROOT / "segan_core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.split(".")[0] in ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "app"):
                    offenders.append(f"{path.relative_to(ROOT)}: {name}")
    assert offenders == []


def test_core_imports_with_pyside6_unavailable():
    code = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6', 'pyqtgraph'):\n"
        "            raise ImportError('blocked: ' + name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "import segan_core, segan_core.cli, segan_core.inference, segan_core.training.runs, segan_core.data.build\n"
        "segan_core.cli.build_parser()\n"
        "assert not any(m.startswith('PySide6') for m in sys.modules)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def test_import_linter_contract():
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_layers_contract_is_declared_and_kept():
    """pyproject.toml's layer order (app > cli > commands > ... > base) holds: lint-imports names it KEPT."""
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contracts = {c["name"]: c for c in config["tool"]["importlinter"]["contracts"]}
    layers = contracts["One layer order for the core"]
    assert layers["type"] == "layers"
    assert layers["layers"][:3] == ["app", "segan_core.cli", "segan_core.commands"]
    assert "segan_core.inference | segan_core.training" in layers["layers"]
    assert layers["layers"][-1] == "segan_core.errors"
    # strict: no two siblings may import each other ("a : b"), no import is excused
    assert not [layer for layer in layers["layers"] if ":" in layer] and "ignore_imports" not in layers
    assert layers["layers"].index("segan_core.scans") < layers["layers"].index("segan_core.data")
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint), "--contract", layers["id"]], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "One layer order for the core KEPT" in result.stdout


def test_generating_glyphs_loads_no_training_code():
    code = (
        "import sys\n"
        "import segan_core.inference, segan_core.generate\n"
        "print(sorted(m for m in sys.modules if m.startswith('segan_core.training')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
