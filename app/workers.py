"""The one place that runs core work off the UI thread.

Core jobs are generators of :class:`~segan_core.jobs.Progress` that poll a
:class:`~segan_core.jobs.CancelToken`; plain functions are fine too. A :class:`Job` runs one of
them on the :class:`JobRunner`'s thread pool and relays what happens as Qt signals, which arrive
on the UI thread (queued connections): ``progress(Progress)``, ``finished(result)``,
``failed(exception)``, ``cancelled()``. Views never create threads themselves.

A queued callback can arrive after the widget that started the job is gone (the window closed and
was deleted while the job ran). Every callback is therefore called only while its receivers are
alive: the runner itself (owned by the window's context), the QObject a bound-method callback
belongs to, and the ``receiver`` given to :meth:`JobRunner.start` (for lambdas). Otherwise it is
dropped (and logged at debug level).
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QMetaObject, QObject, QThreadPool, Signal

from segan_core.errors import Cancelled
from segan_core.jobs import CancelToken, Progress

log = logging.getLogger("segan_studio.workers")


def callback_receivers(slot: Callable[..., Any], receiver: QObject | None = None) -> tuple[QObject, ...]:
    """The QObjects that must still exist for ``slot`` to be called: ``receiver`` and a bound method's owner."""
    found: list[QObject] = []
    if receiver is not None:
        found.append(receiver)
    owner = getattr(slot, "__self__", None)
    if isinstance(owner, QObject) and owner is not receiver:
        found.append(owner)
    return tuple(found)


def guarded(slot: Callable[..., Any], receivers: tuple[QObject, ...], name: str = "") -> Callable[..., None]:
    """``slot`` wrapped so that it is dropped once any of ``receivers`` has been deleted."""

    def call(*args: Any) -> None:
        if not all(shiboken6.isValid(obj) for obj in receivers):
            log.debug("job %s: callback %s dropped, its receiver is gone", name, getattr(slot, "__name__", slot))
            return
        slot(*args)

    return call


class JobSignals(QObject):
    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    done = Signal()  # after any of finished / failed / cancelled


class Job:
    """``fn(*args, cancel=token, **kwargs)`` (when it takes ``cancel``) run on a pool thread.

    If ``fn`` returns a generator, it is driven to the end: each yielded item is relayed through
    ``progress`` and the generator's return value through ``finished``. Every core job stops on its
    cancel token by raising :class:`Cancelled` (the one convention): that is reported as ``cancelled``.

    A job lets go of what it ran (``fn`` and its arguments: a style's model and its ONNX sessions, an export's
    request) as soon as it ends, and its runner drops its callbacks once they have run: nothing a finished job
    touched stays alive through it (issue 31: every preview job used to keep its style's model for good).
    """

    def __init__(self, name: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.name = name
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.token = CancelToken()
        self.signals = JobSignals()
        self.connections: list[QMetaObject.Connection] = []  # the runner's callbacks, disconnected once it ended
        self.running = True
        self.started_at = time.monotonic()

    def cancel(self) -> None:
        self.token.cancel()

    @property
    def cancelled(self) -> bool:
        return self.token.cancelled

    def _call(self) -> Any:
        try:
            accepts_cancel = "cancel" in inspect.signature(self.fn).parameters
        except (TypeError, ValueError):
            accepts_cancel = False
        kwargs = dict(self.kwargs)
        if accepts_cancel:
            kwargs.setdefault("cancel", self.token)
        return self.fn(*self.args, **kwargs)

    def run(self) -> None:  # on a pool thread
        log.info("job %s started", self.name)
        try:
            result = self._call()
            if inspect.isgenerator(result):
                generator = result
                while True:
                    try:
                        item = next(generator)
                    except StopIteration as stop:
                        result = stop.value
                        break
                    self.signals.progress.emit(item)
            log.info("job %s finished in %.1f s", self.name, time.monotonic() - self.started_at)
            self.signals.finished.emit(result)
        except Cancelled:
            log.info("job %s cancelled", self.name)
            self.signals.cancelled.emit()
        except BaseException as exc:
            log.info("job %s failed: %s", self.name, exc)
            self.signals.failed.emit(exc)
        finally:
            self.running = False
            self.fn, self.args, self.kwargs = _ended, (), {}  # a finished job holds nothing it ran
            self.signals.done.emit()


class JobRunner(QObject):
    """Starts :class:`Job` objects on a private thread pool and keeps them alive until they end.

    ``idle`` is emitted when the last running job has ended and let go of what it ran (the moment to give memory
    back, :mod:`app.memory`)."""

    idle = Signal()

    def __init__(self, parent: QObject | None = None, max_threads: int = 3) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(max_threads)
        self.jobs: list[Job] = []

    def start(
        self,
        name: str,
        fn: Callable[..., Any],
        *args: Any,
        on_progress: Callable[[Progress], None] | None = None,
        on_finished: Callable[[Any], None] | None = None,
        on_failed: Callable[[BaseException], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        on_done: Callable[[], None] | None = None,
        receiver: QObject | None = None,
        **kwargs: Any,
    ) -> Job:
        """Run ``fn(*args, **kwargs)`` as a job; the ``on_*`` callbacks run on the UI thread.

        ``receiver`` is the object the callbacks act on (the view starting the job): give it when a
        callback is a lambda. A callback is dropped when the runner, its receiver or the object of a
        bound-method callback has been deleted by the time it arrives.
        """
        job = Job(name, fn, *args, **kwargs)
        for signal, slot in (
            (job.signals.progress, on_progress),
            (job.signals.finished, on_finished),
            (job.signals.failed, on_failed),
            (job.signals.cancelled, on_cancelled),
            (job.signals.done, on_done),
        ):
            if slot is not None:
                job.connections.append(signal.connect(guarded(slot, (self, *callback_receivers(slot, receiver)), name)))
        # plain Python: safe after the runner is deleted
        job.connections.append(job.signals.done.connect(lambda: self._forget(job)))
        self.jobs.append(job)
        # a callable, not a QRunnable kept by the pool: PySide never frees a QRunnable started with autoDelete off
        self.pool.start(job.run)
        return job

    def _forget(self, job: Job) -> None:
        """After the job's last callback: out of the list, and its callbacks (closures over views, models and
        results) disconnected, so that nothing keeps them alive through the job's signals."""
        if job in self.jobs:
            self.jobs.remove(job)
        for connection in job.connections:
            QObject.disconnect(connection)
        job.connections.clear()
        if not self.jobs and shiboken6.isValid(self):  # (this runs after the runner is deleted too)
            self.idle.emit()

    @property
    def busy(self) -> bool:
        return any(job.running for job in self.jobs)

    def cancel_all(self) -> None:
        for job in self.jobs:
            job.cancel()

    def shutdown(self, timeout_ms: int = 30000) -> bool:
        """Cancel every job and wait for the pool to drain (on exit)."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)


def _ended(*_args: Any, **_kwargs: Any) -> None:
    """What a finished job's ``fn`` becomes (it has let go of the real one)."""


def prepare_child_processes() -> None:
    """Let a frozen bundle's font-export trace workers start (a no-op when running from Python)."""
    import multiprocessing

    multiprocessing.freeze_support()
