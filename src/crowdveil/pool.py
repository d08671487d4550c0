"""Worker processes: each loads the face model once and runs one photo at a time.

A worker that crashes, runs out of memory or takes longer than the time limit on a photo is
killed and replaced: that photo gets an error row, the others go on. The CLI's batch and the
desktop app both run their risky work (decoding, detection, writing) here, never in their own
process.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from typing import Any

from .detect import Detector, DetectorSettings
from .errors import CrowdveilError, first_line, internal_message
from .messages import Message, msg
from .pipeline import FileResult, Options, error_row

WorkFn = Callable[[Any, Detector, Options], FileResult]
DetectorFactory = Callable[[DetectorSettings], Detector]
PROGRESS_EVERY_S = 0.5  # a worker tells the parent how a long job goes at most this often


@dataclass(frozen=True)
class JobProgress:
    """How far a long job (a clip) has gone, as a worker tells the parent: numbers only, so
    the parent decides how to name the file (never the input's name under --rename)."""

    stage: str  # "search" (detecting every frame) or "write" (redacting and encoding)
    done: int  # frames of this stage done
    total: int  # frames of this stage (0: unknown)
    fps: float  # frames per second of this stage so far
    left_s: float | None  # time left for the whole job, None while it cannot be guessed


def monotonic() -> float:
    """The clock progress is timed with (one place, so tests can run it on a fake one)."""
    return time.monotonic()


ProgressSink = Callable[[JobProgress], None]
_sink: ProgressSink | None = None  # where `report_progress` goes in this process


def set_progress_sink(sink: ProgressSink | None) -> ProgressSink | None:
    """Send this process's `report_progress` calls to `sink`; returns the previous one."""
    global _sink
    previous, _sink = _sink, sink
    return previous


def report_progress(progress: JobProgress) -> None:
    """Tell whoever runs this job how far it is (nothing happens if nobody listens)."""
    if _sink is not None:
        _sink(progress)


class StageClock:
    """Turns a job's (stage, done, total) calls into throttled `JobProgress` reports.

    The job calls it once per frame; it reports at most every `every` s (the first time
    `every` s into a stage), and always a stage's last frame. Time left counts the frames
    left in this stage and those of the stages after it (as many as this one has) at this
    stage's speed: for a clip, writing is counted at the search's speed, an upper bound
    while the detector is the slow part (it is on a CPU).
    """

    def __init__(self, stages: tuple[str, ...] = ("search", "write"),
                 every: float = PROGRESS_EVERY_S) -> None:
        self.stages, self.every = stages, every
        self.stage: str | None = None
        self.start = self.last = 0.0
        self.first = 0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = monotonic()
        if stage != self.stage:
            # timed from its first frame (whose time includes the warm-up), and said once a
            # speed can be: a first report of "0 frames/s, time left unknown" says nothing
            self.stage, self.start, self.first, self.last = stage, now, done, now
            if total == 0 or done < total:
                return
        elif (total == 0 or done < total) and now - self.last < self.every:
            return
        self.last = now
        spent = now - self.start
        fps = (done - self.first) / spent if spent > 0 and done > self.first else 0.0
        left = None
        if fps > 0 and total > 0:
            later = self.stages[self.stages.index(stage) + 1:] if stage in self.stages else ()
            left = (max(0, total - done) + total * len(later)) / fps
        report_progress(JobProgress(stage, done, total, fps, left))


class BatchError(CrowdveilError):
    """The batch as a whole cannot go on (the face detector does not start)."""


def _safe(work: WorkFn, job: Any, detector: Detector, options: Options) -> FileResult:
    try:
        result = work(job, detector, options)
    except Exception as exc:
        return error_row(job.source, internal_message(exc))
    if isinstance(result, FileResult) and result.error is not None:
        result = replace(result, error=first_line(result.error))
    return result


def _silence_native_stderr() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 2)
        os.close(devnull)
    except OSError:
        pass


def _worker_main(
    jobs: Connection, conn: Connection, make_detector: DetectorFactory, settings: DetectorSettings,
    work: WorkFn, options: Options,
) -> None:
    # Ctrl-C reaches the whole process group; the parent decides what stops, and how.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # Decoders warn (Python) and complain (libtiff, libheif, glog: straight to fd 2) about
    # damaged files; the parent prints the one line that matters, so workers stay silent.
    warnings.simplefilter("ignore")
    _silence_native_stderr()
    try:
        detector = make_detector(settings)
    except BaseException as exc:
        conn.send(("fatal", f"{type(exc).__name__}: {first_line(str(exc))}"))
        return
    conn.send(("ready", None))

    def tell_parent(progress: JobProgress) -> None:
        # small and at most every PROGRESS_EVERY_S: the pipe's buffer takes minutes of them
        # even while the parent is busy, so this never holds the job up
        with contextlib.suppress(OSError, ValueError):
            conn.send(("progress", progress))

    set_progress_sink(tell_parent)
    while True:
        try:
            job = jobs.recv()
        except (EOFError, OSError):  # the parent is gone: stop, never start another photo
            return
        if job is None:
            return
        result = _safe(work, job, detector, options)
        try:
            conn.send(("done", result))
        except OSError:
            return


def _death(proc: multiprocessing.process.BaseProcess) -> Message:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            return msg("pool.killed_by", signal=signal.Signals(-code).name)
        except ValueError:
            return msg("pool.killed_by", signal=f"signal {-code}")
    return msg("pool.exit_code", code=str(code))


class _Worker:
    def __init__(self, ctx, args: tuple) -> None:
        # two one-way pipes, not a duplex one: that would be a socketpair, and crowdveil opens
        # no socket of any kind (the no-network tests refuse them all)
        job_in, self.jobs = ctx.Pipe(duplex=False)
        self.conn, result_out = ctx.Pipe(duplex=False)
        self.proc = ctx.Process(target=_worker_main, args=(job_in, result_out, *args),
                                daemon=True)
        self.proc.start()
        job_in.close()
        result_out.close()
        self.ready = False
        self.job: Any = None
        self.ticket: int | None = None
        self.deadline: float | None = None

    def stop(self, now: bool) -> None:
        if self.proc.is_alive() and not now:
            try:
                self.jobs.send(None)
            except OSError:
                now = True
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()  # SIGKILL: a hung decoder does not run Python signal handlers
        self.proc.join()
        self.conn.close()
        self.jobs.close()


class WorkerPool:
    """Worker processes that stay up between jobs: the CLI's batch and the app both use one.

    `submit` and `cancel` may be called from any thread; `step` (which waits for the workers,
    hands out jobs, collects results and enforces the time limit) from one thread only, and
    `on_done(ticket, result)` / `on_start(ticket)` run on that thread. A job that kills its
    worker or runs past `timeout` gets an error row and the worker is replaced; the others go
    on. Jobs need a `.source` path (it names the photo in error rows).
    """

    def __init__(
        self, work: WorkFn, make_detector: DetectorFactory, settings: DetectorSettings,
        options: Options, on_done: Callable[[int, Any], None], *, workers: int = 1,
        timeout: float | None = None, on_start: Callable[[int], None] | None = None,
        on_progress: Callable[[int, JobProgress], None] | None = None,
    ) -> None:
        # spawn: no fork of a process holding model threads
        self._ctx = multiprocessing.get_context("spawn")
        self._args = (make_detector, settings, work, options)
        self._size = max(1, workers)
        self.timeout = timeout
        self._on_done = on_done
        self._on_start = on_start
        self._on_progress = on_progress
        self._workers: list[_Worker] = []
        self._lock = threading.Lock()
        self._pending: deque[tuple[int, Any]] = deque()
        self._to_kill: set[int] = set()
        self._next = 0
        # a pipe (never a socket) so that `submit` from another thread wakes a waiting `step`
        self._wake_r, self._wake_w = self._ctx.Pipe(duplex=False)
        self._woken = False
        self.kills = 0  # a killed worker may have left a temporary file behind

    # any thread -----------------------------------------------------------------------------
    def submit(self, job: Any, urgent: bool = False) -> int:
        """Queue `job` (first in line if `urgent`); returns its ticket."""
        with self._lock:
            ticket = self._next
            self._next += 1
            if urgent:
                self._pending.appendleft((ticket, job))
            else:
                self._pending.append((ticket, job))
        self.wake()
        return ticket

    def cancel(self, ticket: int, kill_running: bool = False) -> bool:
        """Drop a job that has not started (True); with `kill_running`, also stop it if it has
        (its worker is killed and replaced; no result comes back)."""
        with self._lock:
            for entry in self._pending:
                if entry[0] == ticket:
                    self._pending.remove(entry)
                    return True
            if kill_running:
                self._to_kill.add(ticket)
        if kill_running:
            self.wake()
        return False

    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending) or any(w.ticket is not None for w in self._workers)

    def wake(self) -> None:
        """Make a waiting `step` return (e.g. to let its thread see that it should stop)."""
        with self._lock:
            if self._woken:  # one byte in flight is enough; never fill the pipe
                return
            self._woken = True
        try:
            self._wake_w.send_bytes(b"!")
        except OSError:
            pass

    # the thread that runs `step` ------------------------------------------------------------
    def outstanding(self) -> list[Any]:
        """(ticket, job) of every job queued or running, e.g. to fail them all at once."""
        with self._lock:
            queued = list(self._pending)
        return [(w.ticket, w.job) for w in self._workers if w.ticket is not None] + queued

    def step(self, timeout: float | None = None) -> None:
        """Wait up to `timeout` s (None: until something happens) and handle what happened.

        Raises BatchError if the face detector does not start in a worker."""
        self._kill_cancelled()
        self._start_workers()
        now = time.monotonic()
        waits = [w.deadline - now for w in self._workers if w.ticket is not None and w.deadline]
        if timeout is not None:
            waits.append(timeout)
        wait_s = max(0.0, min(waits)) if waits else None
        wait([self._wake_r] + [x for w in self._workers for x in (w.conn, w.proc.sentinel)],
             wait_s)
        self._drain_wake()
        self._kill_cancelled()
        for w in list(self._workers):
            self._check(w)
        self._start_workers()

    def shutdown(self, now: bool = False) -> None:
        """Stop every worker (`now`: kill them) and forget queued jobs; the pool can be used
        again afterwards (new workers start for new jobs)."""
        with self._lock:
            self._pending.clear()
            self._to_kill.clear()
        for w in self._workers:
            w.stop(now=now)
        if now:
            self.kills += sum(w.ticket is not None for w in self._workers)
        self._workers = []

    def close(self) -> None:
        self.shutdown(now=True)
        self._wake_r.close()
        self._wake_w.close()

    def _drain_wake(self) -> None:
        with self._lock:
            self._woken = False
        try:
            while self._wake_r.poll():
                self._wake_r.recv_bytes()
        except (EOFError, OSError):
            pass

    def _start_workers(self) -> None:
        for w in self._workers:
            if w.ready and w.ticket is None:
                self._dispatch(w)
        with self._lock:
            waiting = len(self._pending)
        starting = sum(not w.ready for w in self._workers)
        while waiting > starting and len(self._workers) < self._size:
            self._workers.append(_Worker(self._ctx, self._args))
            starting += 1

    def _kill_cancelled(self) -> None:
        with self._lock:
            doomed, self._to_kill = self._to_kill, set()
        for w in list(self._workers):
            if w.ticket is not None and w.ticket in doomed:
                self._replace(w)

    @property
    def killed_any(self) -> bool:
        return self.kills > 0

    def _replace(self, w: _Worker) -> None:
        self.kills += 1
        w.stop(now=True)
        self._workers.remove(w)  # a new one starts when a job waits for it

    def _dispatch(self, w: _Worker) -> None:
        w.job, w.ticket, w.deadline = None, None, None
        with self._lock:
            if not self._pending:
                return
            ticket, job = self._pending.popleft()
        try:
            w.jobs.send(job)
        except OSError:  # died between jobs: the job never started, give it to another
            with self._lock:
                self._pending.appendleft((ticket, job))
            self._replace(w)
            return
        except Exception as exc:  # a job that cannot be sent (a bug): it fails alone
            self._on_done(ticket, error_row(job.source, internal_message(exc)))
            return
        w.job, w.ticket = job, ticket
        weight = float(getattr(job, "weight", 1.0))  # a long clip gets its length's time
        w.deadline = time.monotonic() + self.timeout * weight if self.timeout else None
        if self._on_start is not None:
            self._on_start(ticket)

    def _check(self, w: _Worker) -> None:
        message = None
        try:
            while w.conn.poll():
                message = w.conn.recv()
                if message[0] != "progress":
                    break
                if self._on_progress is not None and w.ticket is not None:
                    self._on_progress(w.ticket, message[1])
                message = None
        except (EOFError, OSError):
            message = None
        if message is not None:
            kind, body = message
            if kind == "fatal":
                raise BatchError("pool.no_detector", detail=body)
            ticket = w.ticket
            w.ready = True
            w.job, w.ticket = None, None
            if kind == "done" and ticket is not None:
                self._on_done(ticket, body)
            self._dispatch(w)
        elif not w.proc.is_alive():
            if not w.ready:
                raise BatchError("pool.died_loading", how=_death(w.proc))
            ticket, job = w.ticket, w.job
            self._replace(w)
            if ticket is not None:
                self._on_done(ticket, error_row(job.source,
                                                msg("pool.died", how=_death(w.proc))))
        elif w.ticket is not None and w.deadline and time.monotonic() >= w.deadline:
            ticket, job = w.ticket, w.job
            self._replace(w)
            self._on_done(ticket, error_row(job.source,
                                            msg("pool.timeout", seconds=float(self.timeout or 0)
                                                * float(getattr(job, "weight", 1.0)))))


def run_isolated(
    jobs: list, options: Options, settings: DetectorSettings, workers: int,
    done: Callable[[FileResult], None], timeout: float | None, work: WorkFn,
    make_detector: DetectorFactory, after_kill: Callable[[], object] | None = None,
    progress: Callable[[Any, JobProgress], None] | None = None,
    on_start: Callable[[Any], None] | None = None,
    on_end: Callable[[Any, FileResult], None] | None = None,
) -> None:
    """Run `work` on every job in worker processes; `after_kill` runs if any was killed;
    `progress(job, JobProgress)` as long jobs report how far they are; `on_start(job)` as a
    worker takes a job, `on_end(job, result)` just before `done(result)`."""
    running: dict[int, Any] = {}

    def started(ticket: int) -> None:
        running[ticket] = tickets[ticket]
        if on_start is not None:
            on_start(tickets[ticket])

    def finished(ticket: int, result: FileResult) -> None:
        running.pop(ticket, None)
        if on_end is not None:
            on_end(tickets[ticket], result)
        done(result)

    def moved(ticket: int, how: JobProgress) -> None:
        if progress is not None and ticket in running:
            progress(running[ticket], how)

    pool = WorkerPool(work, make_detector, settings, options, finished,
                      workers=min(workers, len(jobs)), timeout=timeout, on_start=started,
                      on_progress=moved)
    tickets: dict[int, Any] = {}
    for job in jobs:
        tickets[pool.submit(job)] = job
    failed = False
    try:
        while pool.busy():
            pool.step()
    except BaseException:
        failed = True  # interrupted (Ctrl-C, SIGTERM) or failed: stop every worker now
        pool.close()
        raise
    else:
        pool.shutdown(now=False)
        pool.close()
    finally:
        if (failed or pool.killed_any) and after_kill is not None:
            after_kill()  # a killed worker may have left its temporary file behind
