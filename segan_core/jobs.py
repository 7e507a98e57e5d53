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
    "start",  # a new writer's fit: which of a many-hands base's codes it starts from
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
    budget: str = ""  # what budget_fraction is a share of, in words: "15 CPU min", "30 min", "1000 steps"
    # a resumed job: the wall seconds of this session and the fraction it started at, so the ETA follows this
    # session's pace (the earlier sessions may have run on another machine, or beside other work)
    session_s: float | None = None
    session_start_fraction: float = 0.0

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
        if self.session_s is not None:
            gained = (frac or 0.0) - self.session_start_fraction
            if gained <= 0 or self.session_s <= 0:
                return None
            return self.session_s * (1.0 - frac) / gained
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


def step_text(event: Progress) -> str:
    """A training run's progress in words: "step 10 of 30", or "step 10 · 33 % of 15 CPU min" when a budget
    stops the run (never a scaled count such as "333 / 1000")."""
    if event.budget_fraction is not None:
        share = round(100 * (event.fraction or 0.0))
        return f"step {event.done} · {share} % of {event.budget or 'the budget'}"
    if event.total:
        return f"step {event.done} of {event.total}"
    return f"step {event.done}"


def format_eta(seconds: float | None) -> str:
    """A time left for people: "—" when nobody knows it; a job still running never shows 00:00."""
    if seconds is None:
        return "—"
    return format_duration(max(1.0, seconds))


class StagePace:
    """Seconds a stage still needs, at the pace of the work this run really does.

    Work that arrives at once (outlines read back from the cache on a resume) must not set the pace: of the
    last few events of the stage, the slowest pace since any of them is taken, so a burst of cached work
    followed by real work is timed by the real work.
    """

    def __init__(self, window: int = 8) -> None:
        self.window = window
        self.stage: str | None = None
        self.samples: list[tuple[int, float]] = []  # (done, elapsed s) of the stage's latest events

    def seconds_left(self, event: Progress) -> float | None:
        """The estimate after ``event`` (None: not known yet, or the stage has no total)."""
        if not event.total:
            return None
        restarted = self.samples and event.done < self.samples[-1][0]
        if event.stage != self.stage or restarted:
            self.stage, self.samples = event.stage, []
        self.samples = [*self.samples, (event.done, event.elapsed_s)][-self.window :]
        if event.done >= event.total:
            return 0.0
        paces = [(event.elapsed_s - t) / (event.done - d) for d, t in self.samples[:-1]
                 if event.done > d and event.elapsed_s > t]  # fmt: skip
        return max(paces) * (event.total - event.done) if paces else None


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    seconds = round(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
