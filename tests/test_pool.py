"""The persistent worker pool the CLI and the app share: jobs come and go while it runs.

Also holds the module-level stubs the app's isolation tests send to spawned workers (this
module imports no Qt, so a worker that unpickles them stays light).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from crowdveil.detect import DetectorSettings
from crowdveil.gui import tasks
from crowdveil.pipeline import FileResult, Options
from crowdveil.pool import WorkerPool
from tests.test_robust_batch import StubDetector, stub_detector

WAIT_S = 120.0  # generous: only a deadline for a broken pool, never a timing assertion


@dataclass(frozen=True)
class Nap:
    source: Path
    seconds: float = 0.0


def nap_work(job: Nap, detector, options: Options) -> FileResult:
    time.sleep(job.seconds)
    return FileResult(str(job.source), status="ok", error=str(os.getpid()))


def crash_on_name(task, detector, options: Options):
    """The app's task runner, except that a file named crash* kills the worker outright."""
    if task.source.name.startswith("crash"):
        os._exit(7)
    return tasks.run_task(task, detector, options)


def hang_on_name(task, detector, options: Options):
    """The app's task runner, except that a file named hang* never finishes (as a decoder
    looping on a hostile file would)."""
    if task.source.name.startswith("hang"):
        time.sleep(3600)
    return tasks.run_task(task, detector, options)


def box_detector(settings: DetectorSettings) -> StubDetector:
    return stub_detector(settings)


def _drain(pool: WorkerPool, until) -> None:
    end = time.monotonic() + WAIT_S
    while not until():
        assert time.monotonic() < end, "the pool never finished"
        pool.step(0.5)


def test_the_pool_stays_up_and_takes_jobs_submitted_after_it_went_idle() -> None:
    results: dict[int, FileResult] = {}
    pool = WorkerPool(nap_work, stub_detector, DetectorSettings(), Options(),
                      lambda t, r: results.__setitem__(t, r), workers=1, timeout=60)
    try:
        first = pool.submit(Nap(Path("a.jpg")))
        _drain(pool, lambda: first in results)
        second = pool.submit(Nap(Path("b.jpg")))
        _drain(pool, lambda: second in results)
        # the same worker process (model loaded once) did both
        assert results[first].error == results[second].error
        assert not pool.killed_any
    finally:
        pool.close()


def test_a_cancelled_job_never_runs_and_a_killed_one_returns_nothing() -> None:
    results: dict[int, FileResult] = {}
    started: list[int] = []
    pool = WorkerPool(nap_work, stub_detector, DetectorSettings(), Options(),
                      lambda t, r: results.__setitem__(t, r), workers=1, timeout=600,
                      on_start=started.append)
    try:
        slow = pool.submit(Nap(Path("slow.jpg"), 3600))
        queued = pool.submit(Nap(Path("queued.jpg")))
        _drain(pool, lambda: slow in started)
        assert pool.cancel(queued)
        pool.cancel(slow, kill_running=True)
        _drain(pool, lambda: not pool.busy())
        assert results == {} and pool.killed_any
        after = pool.submit(Nap(Path("after.jpg")))  # a fresh worker takes over
        _drain(pool, lambda: after in results)
        assert results[after].status == "ok"
    finally:
        pool.close()


def test_a_job_over_the_time_limit_costs_only_itself() -> None:
    results: dict[int, FileResult] = {}
    pool = WorkerPool(nap_work, stub_detector, DetectorSettings(), Options(),
                      lambda t, r: results.__setitem__(t, r), workers=1, timeout=2)
    try:
        hang = pool.submit(Nap(Path("hang.jpg"), 3600))
        ok = pool.submit(Nap(Path("ok.jpg")))
        _drain(pool, lambda: len(results) == 2)
        assert results[hang].status == "error"
        assert "stopped after the time limit of 2 s" in results[hang].error
        assert results[ok].status == "ok"
    finally:
        pool.close()
