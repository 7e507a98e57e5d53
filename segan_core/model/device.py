"""Device choice and CPU thread settings."""

from __future__ import annotations

import os

import torch


def pick_device(requested: str = "auto") -> torch.device:
    """``auto``: CUDA when present, else CPU. ``cpu`` / ``cuda`` force one."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested.startswith("cuda") and not torch.cuda.is_available():
        from segan_core.errors import SeganError

        raise SeganError("CUDA was requested but no CUDA device is available")
    return torch.device(requested)


def configure_threads(num_threads: int = 0) -> int:
    """Use ``num_threads`` intra-op threads (0 = one per core); returns the count in force."""
    if num_threads <= 0:
        num_threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    torch.set_num_threads(num_threads)
    return torch.get_num_threads()
