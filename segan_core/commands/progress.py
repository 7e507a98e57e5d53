"""A terminal progress line for jobs that yield :class:`Progress`."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any, TextIO

from segan_core.jobs import Progress, format_duration


def drive(job: Iterator[Progress], stream: TextIO | None = None, quiet: bool = False) -> Any:
    """Run a job, redrawing one status line per event; return the job's return value."""
    stream = stream or sys.stderr
    tty = stream.isatty()
    last_stage = None
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            if quiet:
                continue
            line = render_line(event)
            if tty:
                stream.write("\r\033[K" + line)
            elif event.stage != last_stage or (event.total and event.done >= event.total):
                stream.write(line + "\n")
            last_stage = event.stage
            stream.flush()
    finally:
        if tty and not quiet:
            stream.write("\n")
            stream.flush()


def render_line(event: Progress, width: int = 28) -> str:
    parts = [f"{event.stage:>10}"]
    if event.total:
        frac = event.fraction or 0.0
        filled = int(frac * width)
        count = f"step {event.done}" if event.budget_fraction is not None else f"{event.done}/{event.total}"
        parts.append(f"[{'#' * filled}{'.' * (width - filled)}] {count}")
        parts.append(f"{frac:6.1%}  elapsed {format_duration(event.elapsed_s)}  eta {format_duration(event.eta_s)}")
    else:
        parts.append(f"{event.done}")
    if event.metrics:
        parts.append("  ".join(f"{k} {v:.4g}" for k, v in event.metrics.items()))
    if event.message:
        parts.append(event.message)
    return "  ".join(parts)
