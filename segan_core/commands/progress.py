"""A terminal progress line for jobs that yield :class:`Progress`, and the Ctrl-C token that cancels them."""

from __future__ import annotations

import dataclasses
import signal
import sys
from collections.abc import Iterator
from typing import Any, TextIO

from segan_core.jobs import CancelToken, Progress, format_duration


def drive(job: Iterator[Progress], stream: TextIO | None = None, quiet: bool = False) -> Any:
    """Run a job, redrawing one status line per event; return the job's return value."""
    stream = stream or sys.stderr
    tty = stream.isatty()
    last_stage = None
    losses: dict[str, float] = {}  # the last losses, shown on the reports of the steps between logs
    try:
        while True:
            try:
                event = next(job)
            except StopIteration as stop:
                return stop.value
            if quiet:
                continue
            if event.stage == "train":
                losses = event.metrics or losses
                event = event if event.metrics else dataclasses.replace(event, metrics=losses)
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
        budget = f" of {event.budget}" if event.budget else ""
        parts.append(f"{frac:6.1%}{budget}  elapsed {format_duration(event.elapsed_s)}  "
                     f"eta {format_duration(event.eta_s)}")
    else:
        parts.append(f"{event.done}")
    if event.metrics:
        parts.append("  ".join(f"{k} {v:.4g}" for k, v in event.metrics.items()))
    if event.message:
        parts.append(event.message)
    return "  ".join(parts)


def cancel_on_signals() -> CancelToken:
    """Ctrl-C or SIGTERM asks the run to stop at the next step boundary, with a checkpoint."""
    token = CancelToken()

    def handler(signum, frame) -> None:
        if token.cancelled:  # a second Ctrl-C stops at once
            raise KeyboardInterrupt
        print("\nsegan: stopping after this step and writing a checkpoint (Ctrl-C again to abort)", file=sys.stderr)
        token.cancel()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, handler)
    return token
