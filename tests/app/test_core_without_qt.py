"""segan_core must work where PySide6 (and pyqtgraph) cannot be imported at all."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = textwrap.dedent(
    """
    import sys

    class NoQt:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "app"):
                raise ImportError(f"{name} is blocked in this test")
            return None

    sys.meta_path.insert(0, NoQt())
    try:
        import PySide6  # noqa: F401
    except ImportError:
        pass
    else:
        raise SystemExit("the blocker did not work")

    import segan_core, segan_core.inference, segan_core.training.runs, segan_core.cli  # noqa: E401,F401
    import segan_core.jobs, segan_core.styles, segan_core.data.build  # noqa: E401,F401
    try:
        import segan_core.batch  # noqa: F401  (once it exists)
    except ModuleNotFoundError as exc:
        if exc.name != "segan_core.batch":
            raise
    leaked = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "pyqtgraph", "app"))
    assert not leaked, leaked
    print("ok")
    """
)


def test_core_imports_without_qt():
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip().endswith("ok")
