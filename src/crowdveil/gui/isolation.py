"""Where the app's risky work runs: one interface, two providers (as in dangerzone).

`ProcessProvider` is the real one: the CLI's worker pool (`crowdveil.pool.WorkerPool`), so a
photo that hangs a decoder, crashes it or eats all memory is stopped at the time limit or dies
alone, and costs that photo only. `InProcessProvider` runs the same tasks on one thread of the
window's process, for fast tests with a stub detector; it isolates nothing.

Both report back through Qt signals, emitted from their own thread and delivered (queued) on
the GUI thread.
"""

from __future__ import annotations

import functools
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from ..batch import DEFAULT_TIMEOUT_S
from ..detect import Detector, DetectorSettings, build_detector
from ..errors import first_line
from ..pipeline import Options, error_row
from ..pool import BatchError, DetectorFactory, WorkerPool, _safe, set_progress_sink
from .tasks import run_task

TaskFn = Callable[[Any, Detector, Options], Any]


class Provider(QObject):
    """Runs tasks (`tasks.*Task`) somewhere else; results come back as `finished`."""

    started = Signal(int)  # ticket
    finished = Signal(int, object)  # ticket, tasks.Result
    progressed = Signal(int, object)  # ticket, pool.JobProgress (a clip: frames done)

    timeout: float | None = None
    kills = 0  # workers killed so far: an export may have left a temporary file behind
    stops_running = False  # cancel(kill_running=True) stops a running task (no result comes)
    workers = 1  # tasks that run at once

    def submit(self, task: Any, urgent: bool = False) -> int:
        raise NotImplementedError

    def cancel(self, ticket: int, kill_running: bool = False) -> bool:
        """Drop a task that has not started (True: no result will come); with `kill_running`,
        also stop it if it has (where the provider can; no result comes back either)."""
        raise NotImplementedError

    def shutdown(self) -> None:
        raise NotImplementedError


class ProcessProvider(Provider):
    """Tasks in spawned worker processes, with the CLI's time limit and kill/replace."""

    def __init__(
        self, make_detector: DetectorFactory = build_detector,
        settings: DetectorSettings | None = None, *, timeout: float | None = DEFAULT_TIMEOUT_S,
        workers: int = 2, work: TaskFn = run_task,
    ) -> None:
        super().__init__()
        self.timeout = timeout
        self.stops_running = True
        self.workers = max(1, workers)
        # two workers: a photo stuck until the time limit does not hold up all the others
        self._pool = WorkerPool(work, make_detector, settings or DetectorSettings(), Options(),
                                self._done, workers=workers, timeout=timeout,
                                on_start=self.started.emit,
                                on_progress=self.progressed.emit)
        self._stopping = False
        self._thread = threading.Thread(target=self._loop, name="crowdveil-workers",
                                         daemon=True)
        self._thread.start()

    def submit(self, task: Any, urgent: bool = False) -> int:
        return self._pool.submit(task, urgent)

    def cancel(self, ticket: int, kill_running: bool = False) -> bool:
        return self._pool.cancel(ticket, kill_running)

    def shutdown(self) -> None:
        if self._stopping:
            return
        self._stopping = True
        self._pool.wake()  # the loop sees the flag and stops
        self._thread.join(30)
        self._pool.close()

    def _done(self, ticket: int, result: Any) -> None:
        self.finished.emit(ticket, result)

    def _loop(self) -> None:
        while not self._stopping:
            try:
                self._pool.step()
            except BatchError as exc:  # no worker can start: every waiting photo says why
                for ticket, task in self._pool.outstanding():
                    if task is not None:
                        self.finished.emit(ticket, error_row(task.source, str(exc)))
                self._pool.shutdown(now=True)
            self.kills = self._pool.kills


class InProcessProvider(Provider):
    """The same tasks on one thread of this process, the detector built there lazily.

    For tests: no time limit and no isolation (a crash here is the window's crash)."""

    def __init__(self, detector_factory: Callable[[], Detector], work: TaskFn = run_task) -> None:
        super().__init__()
        self._factory = detector_factory
        self._work = work
        self._detector: Detector | None = None
        self._queue: deque[tuple[int, Any]] = deque()
        self._cond = threading.Condition()
        self._next = 0
        self._stopping = False
        self.thread_id: int | None = None
        self._thread = threading.Thread(target=self._loop, name="crowdveil-inprocess",
                                        daemon=True)
        self._thread.start()

    def submit(self, task: Any, urgent: bool = False) -> int:
        with self._cond:
            ticket = self._next
            self._next += 1
            if urgent:
                self._queue.appendleft((ticket, task))
            else:
                self._queue.append((ticket, task))
            self._cond.notify()
        return ticket

    def cancel(self, ticket: int, kill_running: bool = False) -> bool:
        with self._cond:
            for entry in self._queue:
                if entry[0] == ticket:
                    self._queue.remove(entry)
                    return True
        return False

    def shutdown(self) -> None:
        with self._cond:
            self._stopping = True
            self._queue.clear()
            self._cond.notify()
        self._thread.join(30)

    def _loop(self) -> None:
        self.thread_id = threading.get_ident()
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    self._cond.wait()
                if self._stopping:
                    return
                ticket, task = self._queue.popleft()
            self.started.emit(ticket)
            try:
                if self._detector is None:
                    self._detector = self._factory()
            except Exception as exc:
                self.finished.emit(ticket, error_row(
                    task.source, f"the face detector does not start: {type(exc).__name__}: "
                          f"{first_line(str(exc))}"))
                continue
            # as a worker process tells its parent: this thread is the only one doing work
            set_progress_sink(functools.partial(self.progressed.emit, ticket))
            try:
                result = _safe(self._work, task, self._detector, Options())
            finally:
                set_progress_sink(None)
            self.finished.emit(ticket, result)
