"""Plan which outputs a batch writes, and run the pipeline over them on every core.

Workers each load the face model once; only paths and small result rows cross processes.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from .detect import Detector, DetectorSettings, build_detector
from .load import SUPPORTED_SUFFIXES
from .pipeline import FileResult, Options, display_path, process_file


@dataclass(frozen=True)
class Job:
    source: Path
    target_base: Path  # output path without its suffix (chosen once the format is known)


@dataclass
class Plan:
    jobs: list[Job]
    problems: list[FileResult]  # inputs that failed before any decoding (missing, unreadable)


def _walk(folder: Path, skip: Path | None) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder, followlinks=False):
        here = Path(root)
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and here / d != skip)
        for name in sorted(files):
            path = here / name
            if not name.startswith(".") and path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path


def plan(paths: list[Path], outdir: Path, rename: bool = False) -> Plan:
    """Map every input photo to a distinct output base path under `outdir`."""
    out_resolved = outdir.resolve()
    jobs: list[Job] = []
    problems: list[FileResult] = []
    taken: set[Path] = set()
    sources: list[tuple[Path, Path]] = []  # (file, path relative to outdir)
    for arg in paths:
        if arg.is_dir():
            inside = out_resolved.is_relative_to(arg.resolve())
            for f in _walk(arg, out_resolved if inside else None):
                sources.append((f, f.relative_to(arg)))
        elif arg.exists() or arg.is_symlink():
            sources.append((arg, Path(arg.name)))
        else:
            problems.append(FileResult(display_path(arg), status="error", error="no such file"))
    inputs = {s.resolve() for s, _ in sources}
    for source, rel in sources:
        stem = secrets.token_hex(6) if rename else Path(rel.name).stem
        base = outdir / rel.parent / stem
        n = 2
        while _collides(base, taken, inputs):
            base = outdir / rel.parent / f"{stem}_{n}"
            n += 1
        taken.add(base)
        jobs.append(Job(source, base))
    return Plan(jobs, problems)


def _collides(base: Path, taken: set[Path], inputs: set[Path]) -> bool:
    if base in taken:
        return True
    # never write beside an input under its own name, whatever suffix the output gets
    return any(base.with_name(base.name + s).resolve() in inputs for s in (".jpg", ".png", ".webp"))


# -- workers ---------------------------------------------------------------------------------

_worker_detector: Detector | None = None


def _init_worker(settings: DetectorSettings) -> None:
    global _worker_detector
    _worker_detector = build_detector(settings)


def _run_one(job: Job, options: Options) -> FileResult:
    assert _worker_detector is not None
    return _safe_process(job, _worker_detector, options)


def _safe_process(job: Job, detector: Detector, options: Options) -> FileResult:
    try:
        return process_file(job.source, job.target_base, detector, options)
    except Exception as exc:  # a bug must cost one file, not the batch
        return FileResult(display_path(job.source), status="error",
                          error=f"internal error: {type(exc).__name__}: {exc}")


def run(
    jobs: list[Job],
    options: Options,
    settings: DetectorSettings | None = None,
    workers: int = 1,
    on_result: Callable[[FileResult], None] | None = None,
) -> list[FileResult]:
    """Process every job; results come back in completion order through `on_result` too."""
    results: list[FileResult] = []

    def done(result: FileResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    workers = max(1, min(workers, len(jobs)))
    if workers == 1:
        detector = build_detector(settings) if jobs else None
        for job in jobs:
            done(_safe_process(job, detector, options))  # type: ignore[arg-type]
        return results
    ctx = multiprocessing.get_context("spawn")  # no fork of a process holding model threads
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(settings or DetectorSettings(),)) as pool:
        futures = {pool.submit(_run_one, job, options): job for job in jobs}
        for future in as_completed(futures):
            job = futures[future]
            try:
                done(future.result())
            except BrokenProcessPool:
                done(FileResult(display_path(job.source), status="error",
                                error="worker process died while decoding this file"))
    return results
