"""Worker processes: each loads the face model once and runs one photo at a time.

A worker that crashes, runs out of memory or takes longer than the time limit on a photo is
killed and replaced: that photo gets an error row, the others go on. The CLI's batch and the
desktop app both run their risky work (decoding, detection, writing) here, never in their own
process.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
import warnings
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from .detect import Detector, DetectorSettings
from .errors import CrowdveilError, first_line
from .pipeline import FileResult, Options, display_path

WorkFn = Callable[[Any, Detector, Options], FileResult]
DetectorFactory = Callable[[DetectorSettings], Detector]


class BatchError(CrowdveilError):
    """The batch as a whole cannot go on (the face detector does not start)."""


def _problem(path: Path, reason: str) -> FileResult:
    return FileResult(display_path(path), status="error", error=reason)


def _safe(work: WorkFn, job: Any, detector: Detector, options: Options) -> FileResult:
    try:
        result = work(job, detector, options)
    except Exception as exc:
        return _problem(job.source, f"internal error: {type(exc).__name__}: {first_line(str(exc))}")
    if result.error is not None:
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


def _death(proc: multiprocessing.process.BaseProcess) -> str:
    code = proc.exitcode
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"exit code {code}"


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


def run_isolated(
    jobs: list, options: Options, settings: DetectorSettings, workers: int,
    done: Callable[[FileResult], None], timeout: float | None, work: WorkFn,
    make_detector: DetectorFactory, after_kill: Callable[[], None] | None = None,
) -> None:
    """Run `work` on every job in worker processes; `after_kill` runs if any was killed."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding model threads
    args = (make_detector, settings, work, options)
    pending = deque(jobs)
    pool = [_Worker(ctx, args) for _ in range(max(1, min(workers, len(jobs))))]
    killed_any = False

    def replace_worker(w: _Worker) -> None:
        nonlocal killed_any
        killed_any = True
        w.stop(now=True)
        pool[pool.index(w)] = _Worker(ctx, args)

    def dispatch(w: _Worker) -> None:
        w.job = None
        while pending:
            job = pending.popleft()
            try:
                w.jobs.send(job)
            except OSError:  # died between jobs: the job never started, give it to another
                pending.appendleft(job)
                replace_worker(w)
                return
            w.job = job
            w.deadline = time.monotonic() + timeout if timeout else None
            return

    try:
        while pending or any(w.job is not None for w in pool):
            deadlines = [w.deadline for w in pool if w.job is not None and w.deadline]
            wait_s = max(0.0, min(deadlines) - time.monotonic()) if deadlines else None
            wait([x for w in pool for x in (w.conn, w.proc.sentinel)], wait_s)
            for w in list(pool):
                message = None
                try:
                    if w.conn.poll():
                        message = w.conn.recv()
                except (EOFError, OSError):
                    message = None
                if message is not None:
                    kind, body = message
                    if kind == "fatal":
                        raise BatchError(f"the face detector does not start: {body}")
                    if kind == "done":
                        done(body)
                    w.ready = True
                    dispatch(w)
                elif not w.proc.is_alive():
                    if not w.ready:
                        raise BatchError(
                            f"a worker process died while loading the face detector "
                            f"({_death(w.proc)})")
                    if w.job is not None:
                        done(_problem(w.job.source,
                                      f"worker process died on this photo ({_death(w.proc)}); "
                                      "the file may be hostile or too large for memory"))
                    replace_worker(w)
                elif w.job is not None and w.deadline and time.monotonic() >= w.deadline:
                    done(_problem(w.job.source,
                                  f"stopped after the time limit of {timeout:g} s "
                                  "(see --timeout)"))
                    replace_worker(w)
    except BaseException:
        killed_any = True  # interrupted (Ctrl-C, SIGTERM) or failed: stop every worker now
        for w in pool:
            w.stop(now=True)
        raise
    else:
        for w in pool:
            w.stop(now=False)
    finally:
        if killed_any and after_kill is not None:
            after_kill()  # a killed worker may have left its temporary file behind
