"""What a trace process runs: kept tiny so spawned workers import little (no torch, no Qt)."""

from __future__ import annotations

import signal
import time

import numpy as np

from segan_core.vectorize.trace import TraceConfig, trace_many


def ignore_sigint() -> None:
    """Pool initializer: Ctrl-C is the main process's business (it cancels the job cleanly)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def trace_task(images: np.ndarray, config: TraceConfig) -> tuple[float, list[bytes]]:
    """Trace a stack of images; (CPU seconds spent, serialised TracedGlyph per image)."""
    start = time.process_time()
    blobs = trace_many(images, config)
    return time.process_time() - start, blobs
