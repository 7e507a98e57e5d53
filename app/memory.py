"""Giving memory back to the system after the app's big jobs (issue 31).

The C allocator (glibc) keeps the memory freed by a finished export or a closed style model in its heaps, one per
thread that allocated (ONNX Runtime, torch and the job threads each get theirs), and the process's RSS stays
where it peaked. :func:`limit_arenas` caps the number of those heaps (fewer, fuller heaps fragment less) and
:func:`give_back` returns their free pages to the system; both are no-ops where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from pathlib import Path

log = logging.getLogger("segan_studio.memory")

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)
ARENAS = 4  # heaps for the app's threads (glibc's default: 8 per core)


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's malloc heaps for the threads started from now on (call it before the first job); True if set."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, arenas))


def give_back() -> int:
    """Collect Python's garbage and return the allocator's free pages to the system; the bytes the RSS fell by."""
    before = rss_bytes()
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    fell = before - rss_bytes()
    log.debug("gave back %.1f MB", fell / 2**20)
    return fell


def rss_bytes() -> int:
    """This process's resident memory now (0 where /proc is not there)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
