"""Giving memory back to the system after the app's big jobs (issue 31).

The C allocator (glibc) keeps the memory freed by a finished export or a closed style model in its heaps, one per
thread that allocated (ONNX Runtime, torch and the job threads each get theirs), and the process's RSS stays
where it peaked. :func:`tune_allocator` caps the number of those heaps (fewer, fuller heaps fragment less) and has
big blocks mapped on their own (freed, they go back at once); :func:`give_back` returns the heaps' free pages to
the system, after letting go of the OCR recognizer when no job runs. Both are no-ops where the C library is not
glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import logging
from pathlib import Path

log = logging.getLogger("segan_studio.memory")

M_MMAP_THRESHOLD, M_ARENA_MAX = -3, -8  # mallopt parameters (glibc malloc.h)
ARENAS = 4  # heaps for the app's threads (glibc's default: 8 per core)
# blocks this large or larger get pages of their own, given back to the system as soon as they are freed (glibc's
# default threshold moves up to 32 MB as big blocks are freed, after which they stay in the heaps, fragmented):
# 40-90 MB less at the peak of a GB2312 export in the app, for about 70 MB more zero-filled pages in a fine-tune
# step (docs/benchmarks.md, issue 31)
MMAP_THRESHOLD = 4 << 20
GROWTH = 64 << 20  # the RSS growth since the last give-back that makes the app give back again when its jobs end


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def tune_allocator(arenas: int = ARENAS, mmap_threshold: int = MMAP_THRESHOLD) -> bool:
    """Cap glibc's malloc heaps for the threads started from now on and fix the size from which blocks are mapped
    on their own (call it before the first job); True if both were set."""
    libc = _libc()
    if libc is None:
        return False
    return bool(libc.mallopt(M_ARENA_MAX, arenas)) and bool(libc.mallopt(M_MMAP_THRESHOLD, mmap_threshold))


def give_back(idle: bool = False) -> int:
    """Collect Python's garbage and return the allocator's free pages to the system; the bytes the RSS fell by.

    ``idle`` (no job running): the OCR recognizer, loaded once by an import's label check, a fine-tune's verdict or
    an export's quality gate and kept for the next use, is let go as well (it loads again in a second when needed).
    """
    global _after_last
    before = rss_bytes()
    if idle:
        release_shared_models()
    gc.collect()
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    _after_last = rss_bytes()
    fell = before - _after_last
    log.debug("gave back %.1f MB", fell / 2**20)
    return fell


def release_shared_models() -> bool:
    """Let go of the OCR recognizer the core keeps loaded for its next use (only while no job runs); True if it
    was loaded."""
    from segan_core.recognizer import release_recognizer

    return release_recognizer()


_after_last = 0  # the RSS right after the last give_back


def grown(by: int = GROWTH) -> bool:
    """Has the RSS grown by ``by`` bytes since the last :func:`give_back`? (Not worth a collection otherwise: the
    app asks after every job, a keystroke's preview included.)"""
    return rss_bytes() - _after_last >= by


def rss_bytes() -> int:
    """This process's resident memory now (0 where /proc is not there)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0
