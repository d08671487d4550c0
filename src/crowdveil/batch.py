"""Plan which outputs a batch writes, and run the pipeline over them in isolated workers.

Each worker process (`pool`) loads the face model once; only paths and small result rows cross
processes.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

from . import __version__
from .detect import Detector, DetectorSettings, build_detector
from .errors import CrowdveilError, WriteError, internal_message
from .formats import CLIP_BYTES_PER_SECOND, VIDEO_OUTPUT_SUFFIX, VIDEO_SUFFIXES
from .load import read_input
from .messages import msg
from .pipeline import (
    FileResult,
    Options,
    _same_file,
    analyse,
    display_path,
    error_row,
    export,
    may_replace,
)
from .pool import (  # noqa: F401
    BatchError,
    DetectorFactory,
    JobProgress,
    StageClock,
    WorkFn,
    _safe,
    run_isolated,
    set_progress_sink,
)
from .record import Record, digest_bytes, regular_file_digest, settings_key
from .walk import walk_folder
from .write_clean import SUFFIX, remove_stale_temps

DEFAULT_TIMEOUT_S = 300.0  # per photo; a 120 MP photo in --paranoid mode takes well under this
# A clip's timeout is DEFAULT_TIMEOUT_S per second of it as its size tells (60 frames: 5 s a
# frame, far more than detection takes); decided from the size so that planning never decodes
# a clip.
VIDEO_BYTES_PER_TIMEOUT = CLIP_BYTES_PER_SECOND
OUTPUT_SUFFIXES = (*SUFFIX.values(), VIDEO_OUTPUT_SUFFIX)


@dataclass(frozen=True)
class Job:
    source: Path
    target_base: Path  # output path without its suffix (chosen once the format is known)
    resume: bool = True  # an output the record proves was made from this photo is "skipped"
    record_root: Path | None = None  # the output folder whose record says what we wrote
    renamed: bool = False  # --rename: a random name, so resume looks the photo up by digest
    key: str = ""  # what decides the output's pixels (record.settings_key); set by `run`
    weight: float = 1.0  # the job's timeout is this many times the batch's (long clips)


@dataclass
class Plan:
    jobs: list[Job]
    problems: list[FileResult]  # inputs that failed before any decoding (missing, unreadable)


def _walk(folder: Path, skip: Path | None, problems: list[FileResult]) -> Iterator[Path]:
    """Photos under `folder`; refused links become problems, pictures and videos of types we
    do not read get a `skipped` row (they are neither cleaned nor copied), other files are
    passed over."""
    for entry in walk_folder(folder, skip, videos=True):
        if entry.reason is None:
            yield entry.path
        elif entry.problem:
            problems.append(error_row(entry.path, entry.reason))
        elif entry.picture:
            problems.append(FileResult(display_path(entry.path), status="skipped",
                                       error_message=msg("batch.not_read", reason=entry.reason)))


def plan(paths: list[Path], outdir: Path, rename: bool = False, resume: bool = True) -> Plan:
    """Map every input photo to a distinct output base path under `outdir`."""
    out_resolved = outdir.resolve()
    problems: list[FileResult] = []
    sources: list[tuple[Path, Path]] = []  # (file, path relative to outdir)
    for arg in paths:
        if arg.is_dir():
            inside = out_resolved.is_relative_to(arg.resolve())
            for f in _walk(arg, out_resolved if inside else None, problems):
                sources.append((f, f.relative_to(arg)))
        elif arg.exists() or arg.is_symlink():
            sources.append((arg, Path(arg.name)))
        else:
            problems.append(error_row(arg, msg("batch.no_such_file")))
    jobs = plan_sources(sources, outdir, rename=rename, resume=resume)
    if rename:
        # in camera order, the outputs' times and the record's lines would give the sequence
        # back that the random names hide
        secrets.SystemRandom().shuffle(jobs)
    return Plan(jobs, problems)


def plan_sources(
    sources: list[tuple[Path, Path]], outdir: Path, rename: bool = False, resume: bool = True,
    inputs: Iterable[Path] = (),
) -> list[Job]:
    """One job per (file, path relative to `outdir`), in order: distinct output names that are
    never an input's (`sources` and the other loaded `inputs`), case-insensitively.

    The CLI's `plan` and the app both name their outputs here, so neither invents names."""
    avoid: set[str] = set()
    for s in [src for src, _ in sources] + list(inputs):
        try:
            avoid.add(_fold(s.resolve()))
        except (OSError, RuntimeError):
            avoid.add(_fold(s.absolute()))
    jobs: list[Job] = []
    taken: set[str] = set()
    for source, rel in sources:
        stem = secrets.token_hex(6) if rename else Path(rel.name).stem
        base = outdir / rel.parent / stem
        n = 2
        while _collides(base, taken, avoid):
            base = outdir / rel.parent / f"{stem}_{n}"
            n += 1
        taken.add(_fold(base))
        jobs.append(Job(source, base, resume=resume, record_root=outdir, renamed=rename,
                        weight=_weight(source)))
    return jobs


def _weight(source: Path) -> float:
    return clip_weight(source) if source.suffix.lower() in VIDEO_SUFFIXES else 1.0


def clip_weight(source: Path) -> float:
    """How many photos' time limits a clip gets (the command line and the app alike): a long
    clip gets its length's time, not a photo's."""
    try:
        return max(1.0, source.stat().st_size / VIDEO_BYTES_PER_TIMEOUT)
    except OSError:
        return 1.0


def _fold(path: Path) -> str:
    """A path as a case-insensitive filesystem (Windows, macOS) compares it.

    Planning every name as if the filesystem were case-insensitive costs a `_2` suffix at
    worst; not doing so lets IMG_1.jpg and img_1.jpg be planned as two outputs that are one file.
    """
    return os.path.normcase(str(path)).casefold()


def _collides(base: Path, taken: set[str], inputs: set[str]) -> bool:
    if _fold(base) in taken:
        return True
    # never write beside an input under its own name, whatever suffix the output gets
    for s in OUTPUT_SUFFIXES:
        try:
            if _fold(base.with_name(base.name + s).resolve()) in inputs:
                return True
        except (OSError, RuntimeError):
            return True
    return False


def output_folders(jobs: Iterable[Job]) -> set[Path]:
    return {job.target_base.parent for job in jobs}


# -- one job ---------------------------------------------------------------------------------


def _existing_outputs(job: Job) -> list[Path]:
    found = []
    for s in OUTPUT_SUFFIXES:
        path = job.target_base.with_name(job.target_base.name + s)
        try:
            if os.path.lexists(path):
                found.append(path)
        except OSError:
            pass
    return found


def _already_done(job: Job, record: Record, digest: str) -> FileResult | None:
    """A `skipped` row if the record proves an existing output was made from these very input
    bytes with these settings, and that the file is still exactly what was written.

    Anything short of that proof (a file we did not write, another photo's output under this
    name, an output made with other settings or from a since-changed photo) is redone, except
    an output the app wrote from these very bytes with regions the user reviewed: it may hide
    faces the detector misses, so only --overwrite replaces it with an automatic one.
    """
    for path in _existing_outputs(job):
        fact = record.proof(path, digest, job.key)
        if fact is not None:
            return FileResult(display_path(job.source), output=display_path(path),
                              status="skipped", width=fact.width, height=fact.height)
        fact = record.reviewed(path, digest)
        if fact is not None:
            return FileResult(display_path(job.source), output=display_path(path),
                              status="skipped", width=fact.width, height=fact.height,
                              note_messages=[msg("batch.reviewed", file=display_path(path))])
    if job.renamed:
        found = record.find(job.target_base.parent, digest, job.key)
        if found is not None:
            path, fact = found
            return FileResult(display_path(job.source), output=display_path(path),
                              status="skipped", width=fact.width, height=fact.height)
    return None


def process_job(job: Job, detector: Detector, options: Options) -> FileResult:
    """Resume check, then the whole pipeline; never raises for a bad file."""
    try:
        if job.source.suffix.lower() in VIDEO_SUFFIXES:
            return process_video_job(job, detector, options)
        data = read_input(job.source, options.max_pixels)
        record = Record(job.record_root) if job.record_root is not None else None
        digest = None
        if record is not None and job.resume and not options.overwrite:
            digest = digest_bytes(data)  # the resume check's, reused for the record
            done = _already_done(job, record, digest)
            if done is not None:
                return done
        analysis = analyse(job.source, detector, options.max_pixels, data=data, digest=digest)
        return export(analysis, job.target_base, options, record=record, key=job.key,
                      replace_ours=job.resume, keep_reviewed=True)
    except CrowdveilError as exc:
        return error_row(job.source, exc.message)
    except MemoryError:
        return error_row(job.source, msg("error.no_memory"))
    except Exception as exc:  # a bug must cost one file, not the batch
        return error_row(job.source, internal_message(exc))


def process_video_job(job: Job, detector: Detector, options: Options) -> FileResult:
    """A clip as one job: resume check, then detect, track, redact, write and verify."""
    from .formats import video  # PyAV is imported only when a batch holds a clip

    digest = regular_file_digest(job.source)
    # a clip cleaned without its sound is not the one asked for with it, and the other way
    job = replace(job, key=f"{job.key}+audio" if options.keep_audio else job.key)
    record = Record(job.record_root) if job.record_root is not None else None
    if record is not None and job.resume and not options.overwrite:
        done = _already_done(job, record, digest)
        if done is not None:
            return done
    target = job.target_base.with_name(job.target_base.name + VIDEO_OUTPUT_SUFFIX)
    if _same_file(target, job.source):
        raise WriteError("write.replaces_input", file=display_path(target))
    overwrite = may_replace(target, record, overwrite=options.overwrite,
                            replace_ours=job.resume, keep_reviewed=True)

    def check(written: Path, width: int, height: int) -> None:
        if record is not None:  # before the rename: an output never exists unrecorded
            record.add(target, regular_file_digest(written), digest, job.key, width, height)

    clip = video.process_clip(job.source, target, detector, replace(options, overwrite=overwrite),
                              check=check, progress=StageClock())
    notes = [msg("video.done", frames=clip.frames, faces=clip.faces, regions=clip.regions,
                 fps=round(clip.fps, 1))]
    if clip.audio_kept:
        notes.append(msg("video.voices_kept"))
    return FileResult(display_path(job.source), output=display_path(target), width=clip.width,
                      height=clip.height, metadata_found=list(clip.findings),
                      note_messages=notes,
                      video={"frames": clip.frames, "faces": clip.faces,
                             "regions": clip.regions, "seconds": round(clip.seconds, 2)})


def batch_key(options: Options, settings: DetectorSettings) -> str:
    """Everything that decides a batch output's pixels: a rerun that changes any of it redoes
    the photos (the version stands for the models and the head geometry)."""
    # int8 finds fewer faces than fp32 (README), so its outputs never stand in for fp32's.
    # "auto" means fp32 (int8.py); fp32 keeps the key it always had, so older records hold.
    int8 = {"precision": "int8"} if settings.precision == "int8" else {}
    return settings_key(tool=f"crowdveil {__version__}", method=options.method,
                        quality=options.quality, threshold=settings.threshold,
                        paranoid=settings.paranoid, members=list(settings.members), **int8)


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
    on_progress: Callable[[Job, JobProgress], None] | None = None,
    on_start: Callable[[Job], None] | None = None,
    on_end: Callable[[Job, FileResult], None] | None = None,
) -> list[FileResult]:
    """Process every job; results come back in completion order through `on_result` too.

    With `isolate` (the default) each photo is processed in a worker process that is killed
    and replaced if it dies or exceeds `timeout` seconds on one photo. `work` and
    `make_detector` are module-level functions (they are sent to spawned workers).
    `on_progress(job, JobProgress)` says how far a clip is while it runs; `on_start(job)`
    when a job starts, `on_end(job, result)` when it ends (before `on_result`).
    """
    settings = settings or DetectorSettings()
    results: list[FileResult] = []
    key = batch_key(options, settings)
    jobs = [job if job.key else replace(job, key=key) for job in jobs]

    def done(result: FileResult) -> None:
        results.append(result)
        if on_result:
            on_result(result)

    if not jobs:
        return results
    if not isolate:
        detector = make_detector(settings)
        for job in jobs:
            sink = functools.partial(on_progress, job) if on_progress is not None else None
            previous = set_progress_sink(sink)
            if on_start is not None:
                on_start(job)
            try:
                result = _safe(work, job, detector, options)
            finally:
                set_progress_sink(previous)
            if on_end is not None:
                on_end(job, result)
            done(result)
        return results
    run_isolated(jobs, options, settings, workers, done, timeout, work, make_detector,
                 after_kill=lambda: remove_stale_temps(output_folders(jobs)),
                 progress=on_progress, on_start=on_start, on_end=on_end)
    return results


