"""Device choice, CPU thread settings, and whether the CPU computes bfloat16 natively."""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import torch

# CPU flags (Linux /proc/cpuinfo names) of native bfloat16 arithmetic: AVX512-BF16 and AMX. Without them
# PyTorch emulates bf16 and CPU autocast is ~12x slower than fp32 (AVX2-only machines; docs/benchmarks.md)
NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")
BF16_SETTINGS = ("auto", "on", "off")


def pick_device(requested: str = "auto") -> torch.device:
    """``auto``: CUDA when present, else CPU. ``cpu`` / ``cuda`` force one."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        from segan_core.errors import SeganError

        raise SeganError("CUDA was requested but no CUDA device is available")
    return torch.device(requested)


_thread_budget: int | None = None  # set by configure_threads; None: one thread per core


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def configure_threads(num_threads: int = 0) -> int:
    """Use ``num_threads`` intra-op threads (0 = one per core); returns the count in force."""
    global _thread_budget
    if num_threads <= 0:
        num_threads = _cores()
    torch.set_num_threads(num_threads)
    _thread_budget = torch.get_num_threads()
    return _thread_budget


def thread_budget() -> int:
    """The CPU threads the process may use, as :func:`configure_threads` last set them (one per core before).

    Read this, not ``torch.get_num_threads()``, on a worker thread: torch keeps a thread's count from the first time
    that thread asked, so a job thread of the app would still see the count from before the Preferences changed it."""
    return _thread_budget if _thread_budget is not None else _cores()


@cache
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags as Linux names them (empty where /proc/cpuinfo is not available)."""
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return frozenset()
    for line in text.splitlines():
        if line.startswith("flags"):
            return frozenset(line.partition(":")[2].split())
    return frozenset()


def native_bf16() -> bool:
    """True when the CPU has AVX512-BF16 or AMX, so bf16 autocast is faster than fp32 rather than emulated."""
    return any(flag in cpu_flags() for flag in NATIVE_BF16_FLAGS)


def resolve_bf16(setting: str | bool | None) -> tuple[bool, str]:
    """``auto`` / ``on`` / ``off`` (or a bool) -> (use CPU bf16 autocast, why), for the run's config and log."""
    if isinstance(setting, bool):
        setting = "on" if setting else "off"
    setting = setting or "auto"
    if setting not in BF16_SETTINGS:
        from segan_core.errors import SeganError

        raise SeganError(f"--bf16 {setting!r}: choose one of {', '.join(BF16_SETTINGS)}")
    native = [flag for flag in NATIVE_BF16_FLAGS if flag in cpu_flags()]
    if setting == "on":
        return True, "bf16 autocast on (forced)" + ("" if native else "; this CPU emulates bf16: expect it to be slow")
    if setting == "off":
        return False, "bf16 autocast off (forced)"
    if native:
        return True, f"bf16 autocast on: the CPU has {', '.join(native)}"
    return False, "bf16 autocast off: the CPU has no AVX512-BF16 or AMX (fp32 is faster there)"
