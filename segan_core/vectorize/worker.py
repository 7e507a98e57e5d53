"""What a trace process runs: kept tiny so spawned workers import little (no torch, no Qt).

Workers exit when the process that started them dies, even by ``kill -9`` (which gives the pool no
chance to shut them down): on Linux the kernel sends them SIGKILL (``PR_SET_PDEATHSIG``), and on
every system a watcher thread notices the parent is gone within :data:`PARENT_POLL_S`.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

import numpy as np

from segan_core.vectorize.trace import TraceConfig, trace_many

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_S = 1.0


def worker_init(parent_pid: int) -> None:
    """Pool initializer: leave Ctrl-C to the main process, and die with it (``parent_pid``)."""
    ignore_sigint()
    exit_with_parent(parent_pid)


def ignore_sigint() -> None:
    """Ctrl-C is the main process's business (it cancels the job cleanly)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def exit_with_parent(parent_pid: int) -> None:
    """End this process as soon as ``parent_pid`` (its parent) is gone."""
    if sys.platform.startswith("linux"):
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl: the watcher below still works
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="segan-parent-watch", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_POLL_S)
    os._exit(1)


def trace_task(images: np.ndarray, config: TraceConfig) -> tuple[float, list[bytes]]:
    """Trace a stack of images; (CPU seconds spent, serialised TracedGlyph per image)."""
    start = time.process_time()
    blobs = trace_many(images, config)
    return time.process_time() - start, blobs
