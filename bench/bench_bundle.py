"""Start-up of the desktop bundle (packaging/build.sh): --version, first window, --self-test.

    .venv/bin/python bench/bench_bundle.py [--bundle dist/segan-studio] [--repeats 5]

Each run is the bundle's executable with an empty environment (``env -i PATH=/usr/bin:/bin``,
``QT_QPA_PLATFORM=offscreen``, a temporary ``HOME`` and data folder), as a user without Python would
start it. "first window" is the time from spawning the process to its ``--exit-when-shown`` line
(the main window shown, the bundled style's model still loading in its worker). The first run of each
is reported apart: it pays for reading the bundle from disk (cold page cache after a fresh build).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from common import machine  # noqa: E402


def _env(home: Path) -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen", "HOME": str(home),
            "SEGAN_STUDIO_HOME": str(home / "data")}


def time_until(exe: Path, args: list[str], home: Path, line: str | None = None) -> tuple[float, int, str]:
    """(seconds from spawn to ``line`` on stdout, or to exit when None; exit code; the output)."""
    start = time.perf_counter()
    proc = subprocess.Popen([str(exe), *args], env=_env(home), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    seen, out = None, []
    assert proc.stdout is not None
    for text in proc.stdout:
        out.append(text)
        if line is not None and seen is None and text.strip() == line:
            seen = time.perf_counter() - start
    code = proc.wait()
    total = time.perf_counter() - start
    return (seen if line is not None else total) or float("nan"), code, "".join(out)


def report(name: str, times: list[float]) -> None:
    warm = times[1:]
    rest = f"; then median {statistics.median(warm):.2f} s, min {min(warm):.2f} s over {len(warm)}" if warm else ""
    print(f"{name:<14} first {times[0]:.2f} s{rest}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / "segan-studio")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    exe = args.bundle / "segan-studio"
    if not exe.is_file():
        print(f"no bundle at {exe}: build it with bash packaging/build.sh", file=sys.stderr)
        return 2
    size = sum(p.stat().st_size for p in args.bundle.rglob("*") if p.is_file() and not p.is_symlink())
    print(machine())
    print(f"bundle {args.bundle}: {size / 2**20:.0f} MiB")
    with tempfile.TemporaryDirectory(prefix="segan-bench-bundle-") as tmp:
        home = Path(tmp)
        for name, extra, line in (("--version", ["--version"], None),
                                  ("first window", ["--exit-when-shown"], "window shown")):
            times = []
            for _ in range(args.repeats):
                seconds, code, out = time_until(exe, extra, home, line)
                if code != 0:
                    print(f"{name} failed (exit {code}):\n{out}", file=sys.stderr)
                    return 1
                times.append(seconds)
            report(name, times)
        seconds, code, out = time_until(exe, ["--self-test"], home)
        summary = out.strip().splitlines()[-1] if out.strip() else ""
        print(f"--self-test    {seconds:.2f} s wall, exit {code}: {summary}")
        for text in out.splitlines():
            if text.startswith(("ok  ", "FAIL")):
                print(f"  {text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
