"""Progress events and cancel tokens shared by every long job (training, batch export, evaluation).

A long job is a generator that yields :class:`Progress` and checks a :class:`CancelToken` between
steps. The CLI prints the events; the GUI relays them from a worker thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from segan_core.errors import Cancelled

# Every stage a job reports, the names views branch on and the CLI prints. A new stage goes here first.
Stage = Literal[
    "prepare", "path", "load", "disk", "check",  # setting up (batch export, generate; "path": how the network runs)
    "dataset", "render", "write",  # building a dataset
    "pages", "labels", "review",  # importing scans
    "generate", "glyphs", "written", "build", "validate",  # generating, tracing, building fonts
    "paired", "ocr", "evaluate", "score",  # evaluating
    "pairs", "train", "checkpoint", "samples", "calibrate",  # training (validation during training: "evaluate")
    "done",
]
STAGES: frozenset[str] = frozenset(get_args(Stage))


@dataclass(frozen=True)
class Progress:
    """One report from a long job."""

    stage: Stage
    done: int
    total: int | None = None
    message: str = ""
    metrics: dict[str, float] = field(default_factory=dict)
    payload: Any = None  # e.g. sample images, a finished report
    elapsed_s: float = 0.0
    # how far through the budget that will stop the job first (a training run's CPU minutes), when that
    # is not done/total: a run with --cpu-budget 50 --max-steps 1000000 stops long before its last step
    budget_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.stage not in STAGES:  # a programming error: name the stage in Stage first
            raise ValueError(f"unknown progress stage {self.stage!r}; add it to segan_core.jobs.Stage")

    @property
    def fraction(self) -> float | None:
        if self.budget_fraction is not None:
            return min(1.0, max(0.0, self.budget_fraction))
        if not self.total:
            return None
        return min(1.0, self.done / self.total)

    @property
    def eta_s(self) -> float | None:
        frac = self.fraction
        if not frac or self.elapsed_s <= 0:
            return None
        return self.elapsed_s * (1.0 - frac) / frac


class CancelToken:
    """Thread-safe flag a job polls between steps."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        return self._event.is_set()

    def raise_if_cancelled(self, what: str = "job") -> None:
        if self._event.is_set():
            raise Cancelled(f"{what} cancelled")


class Stopwatch:
    """Elapsed seconds since creation (monotonic clock)."""

    def __init__(self) -> None:
        self.start = time.monotonic()

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.start


def run_to_end(job: Iterator[Progress]) -> Any:
    """Drain a job generator and return the generator's return value."""
    while True:
        try:
            next(job)
        except StopIteration as stop:
            return stop.value


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
