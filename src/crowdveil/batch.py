"""Plan which outputs a batch writes, and run the pipeline over them in isolated workers.

Each worker process (`pool`) loads the face model once; only paths and small result rows cross
processes.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .detect import Detector, DetectorSettings, build_detector
from .errors import CrowdveilError, VerifyError, first_line
from .load import load_path
from .pipeline import FileResult, Options, display_path, process_file
from .pool import BatchError, DetectorFactory, WorkFn, _safe, run_isolated  # noqa: F401 (BatchError: part of batch's API)
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
    run_isolated(jobs, options, settings, workers, done, timeout, work, make_detector,
                 after_kill=lambda: remove_stale_temps(output_folders(jobs)))
    return results


