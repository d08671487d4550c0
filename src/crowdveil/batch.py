"""Plan which outputs a batch writes, and run the pipeline over them in isolated workers.

Each worker process loads the face model once; only paths and small result rows cross
processes. A worker that crashes, runs out of memory or takes longer than the time limit on a
file is killed and replaced: that file gets an error row, the batch goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path

from .detect import Detector, DetectorSettings, build_detector
from .errors import CrowdveilError, VerifyError, first_line
from .load import load_path
from .pipeline import FileResult, Options, display_path, process_file
from .verify import verify_file
from .walk import walk_folder
from .write_clean import SUFFIX, output_format, output_target, remove_stale_temps

DEFAULT_TIMEOUT_S = 300.0  # per photo; a 120 MP photo in --paranoid mode takes well under this


@dataclass(frozen=True)
class Job:
    source: Path
    target_base: Path  # output path without its suffix (chosen once the format is known)
    resume: bool = True  # an existing output that verifies clean counts as done ("skipped")


@dataclass
class Plan:
    jobs: list[Job]
    problems: list[FileResult]  # inputs that failed before any decoding (missing, unreadable)


class BatchError(CrowdveilError):
    """The batch as a whole cannot go on (the face detector does not start)."""


def _problem(path: Path, reason: str) -> FileResult:
    return FileResult(display_path(path), status="error", error=reason)


def _walk(folder: Path, skip: Path | None, problems: list[FileResult]) -> Iterator[Path]:
    """Photos under `folder`; refused links become problems, other file types are passed over."""
    for entry in walk_folder(folder, skip):
        if entry.reason is None:
            yield entry.path
        elif entry.problem:
            problems.append(_problem(entry.path, entry.reason))


def plan(paths: list[Path], outdir: Path, rename: bool = False, resume: bool = True) -> Plan:
    """Map every input photo to a distinct output base path under `outdir`."""
    out_resolved = outdir.resolve()
    jobs: list[Job] = []
    problems: list[FileResult] = []
    taken: set[Path] = set()
    sources: list[tuple[Path, Path]] = []  # (file, path relative to outdir)
    for arg in paths:
        if arg.is_dir():
            inside = out_resolved.is_relative_to(arg.resolve())
            for f in _walk(arg, out_resolved if inside else None, problems):
                sources.append((f, f.relative_to(arg)))
        elif arg.exists() or arg.is_symlink():
            sources.append((arg, Path(arg.name)))
        else:
            problems.append(_problem(arg, "no such file"))
    inputs = set()
    for s, _ in sources:
        try:
            inputs.add(s.resolve())
        except (OSError, RuntimeError):
            inputs.add(s.absolute())
    for source, rel in sources:
        stem = secrets.token_hex(6) if rename else Path(rel.name).stem
        base = outdir / rel.parent / stem
        n = 2
        while _collides(base, taken, inputs):
            base = outdir / rel.parent / f"{stem}_{n}"
            n += 1
        taken.add(base)
        jobs.append(Job(source, base, resume=resume and not rename))
    return Plan(jobs, problems)


def _collides(base: Path, taken: set[Path], inputs: set[Path]) -> bool:
    if base in taken:
        return True
    # never write beside an input under its own name, whatever suffix the output gets
    for s in SUFFIX.values():
        try:
            if base.with_name(base.name + s).resolve() in inputs:
                return True
        except (OSError, RuntimeError):
            return True
    return False


def output_folders(jobs: Iterable[Job]) -> set[Path]:
    return {job.target_base.parent for job in jobs}


# -- one job ---------------------------------------------------------------------------------

WorkFn = Callable[[Job, Detector, Options], FileResult]
DetectorFactory = Callable[[DetectorSettings], Detector]


def _existing_outputs(job: Job) -> list[Path]:
    found = []
    for s in SUFFIX.values():
        path = job.target_base.with_name(job.target_base.name + s)
        try:
            if os.path.lexists(path):
                found.append(path)
        except OSError:
            pass
    return found


def _already_done(job: Job, options: Options) -> FileResult | None:
    """A `skipped` row if this job's output exists from an earlier run and verifies clean.

    An existing output that fails verification is reported, never taken as done.
    """
    data, image = load_path(job.source, options.max_pixels)
    del data
    fmt = output_format(image.format, image.has_alpha)
    target = output_target(job.target_base, image.format, image.has_alpha)
    if not os.path.lexists(target):
        return None
    h, w = image.pixels.shape[:2]
    name = display_path(target)
    if target.is_symlink() or not target.is_file():
        raise VerifyError(f"output exists and is not a plain file: {name}")
    try:
        verify_file(target, fmt, w, h)
    except VerifyError as exc:
        raise VerifyError(
            f"existing output fails verification ({exc}): {name}; delete it or use --overwrite"
        ) from exc
    return FileResult(display_path(job.source), output=name, status="skipped", width=w, height=h)


def process_job(job: Job, detector: Detector, options: Options) -> FileResult:
    """Resume check, then the whole pipeline; never raises for a bad file."""
    try:
        if job.resume and not options.overwrite and _existing_outputs(job):
            done = _already_done(job, options)
            if done is not None:
                return done
        return process_file(job.source, job.target_base, detector, options)
    except CrowdveilError as exc:
        return _problem(job.source, first_line(str(exc)))
    except MemoryError:
        return _problem(job.source, "not enough memory to process this photo")
    except Exception as exc:  # a bug must cost one file, not the batch
        return _problem(job.source, f"internal error: {type(exc).__name__}: {first_line(str(exc))}")


def _safe(work: WorkFn, job: Job, detector: Detector, options: Options) -> FileResult:
    try:
        result = work(job, detector, options)
    except Exception as exc:
        return _problem(job.source, f"internal error: {type(exc).__name__}: {first_line(str(exc))}")
    if result.error is not None:
        result = replace(result, error=first_line(result.error))
    return result


# -- workers ---------------------------------------------------------------------------------


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
        self.job: Job | None = None
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


def run(
    jobs: list[Job],
    options: Options,
    settings: DetectorSettings | None = None,
    workers: int = 1,
    on_result: Callable[[FileResult], None] | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT_S,
    isolate: bool = True,
    work: WorkFn = process_job,
    make_detector: DetectorFactory = build_detector,
) -> list[FileResult]:
    """Process every job; results come back in completion order through `on_result` too.

    With `isolate` (the default) each photo is processed in a worker process that is killed
    and replaced if it dies or exceeds `timeout` seconds on one photo. `work` and
    `make_detector` are module-level functions (they are sent to spawned workers).
    """
    settings = settings or DetectorSettings()
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    if not jobs:
        return results
    if not isolate:
        detector = make_detector(settings)
        for job in jobs:
            done(_safe(work, job, detector, options))
        return results
    _run_isolated(jobs, options, settings, workers, done, timeout, work, make_detector)
    return results


def _run_isolated(
    jobs: list[Job], options: Options, settings: DetectorSettings, workers: int,
    done: Callable[[FileResult], None], timeout: float | None, work: WorkFn,
    make_detector: DetectorFactory,
) -> None:
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
        if killed_any:  # a killed worker may have left its temporary file behind
            remove_stale_temps(output_folders(jobs))
