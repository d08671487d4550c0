"""The one path every photo takes: load -> detect -> redact -> write clean -> verify.

The CLI and the GUI both call `analyse` and `export` (or `process_file`, which is both);
neither has its own copy of any step.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import reveal
from .containers import ContainerError
from .detect import Detector
from .errors import CrowdveilError, WriteError, display_path
from .load import DEFAULT_MAX_PIXELS, Loaded, decode_bytes, load_path
from .messages import Message, msg
from .record import Record, digest_bytes
from .redact import redact
from .regions import Region, clip_region, regions_from_detections
from .settings import Options
from .verify import verify_file
from .write_clean import (
    encode,
    output_format,
    output_target,
    write_atomic,
)

Stages = dict[str, float]  # seconds spent per pipeline stage, for benchmarks and profiling


@contextmanager
def _timed(stages: Stages, name: str) -> Iterator[None]:
    start = time.perf_counter()
    try:
        yield
    finally:
        stages[name] = stages.get(name, 0.0) + time.perf_counter() - start


@dataclass
class Analysis:
    """A decoded photo with what was found in it, before anything is written."""

    path: Path
    image: Loaded
    regions: list[Region]
    findings: list[reveal.Finding]
    stages: Stages = field(default_factory=dict)
    # SHA-256 of the very bytes that were decoded: what the regions were found in. An export
    # that reads the file again must find these bytes, or it would redact another picture.
    digest: str = ""

    @property
    def width(self) -> int:
        return int(self.image.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.pixels.shape[0])


@dataclass
class FileResult:
    """One photo's outcome; `to_json` is its row of the report (`report.py`, schema version 3)."""

    input: str
    output: str | None = None
    status: str = "ok"  # ok | error | skipped
    error: str | None = None  # the English line (logs); error_message is what to show
    width: int = 0
    height: int = 0
    regions: list[Region] = field(default_factory=list)
    metadata_found: list[reveal.Finding] = field(default_factory=list)  # what was removed
    notes: list[str] = field(default_factory=list)  # English lines of note_messages
    stages: Stages = field(default_factory=dict)  # not part of the report schema
    # The same as data (code + values), for the user's language and the report's codes
    error_message: Message | None = None
    note_messages: list[Message] = field(default_factory=list)  # what to know about the output
    video: dict | None = None  # a clip's frames, faces followed and regions destroyed (counts)

    def __post_init__(self) -> None:
        if self.error_message is not None and self.error is None:
            self.error = str(self.error_message)
        elif self.error is not None and self.error_message is None:
            self.error_message = msg("error.text", text=self.error)
        if self.note_messages and not self.notes:
            self.notes = [str(m) for m in self.note_messages]
        elif self.notes and not self.note_messages:
            self.note_messages = [msg("error.text", text=n) for n in self.notes]

    def to_json(self, *, details: bool = False, hide_input: bool = False) -> dict:
        """The report row: counts of what was removed, never the values unless `details`."""
        from .report import row  # report builds on this class

        return row(self, details=details, hide_input=hide_input)


def error_row(path: Path, reason: Message | str) -> FileResult:
    """The report row of a photo that could not be cleaned, saying why."""
    if isinstance(reason, str):
        reason = msg("error.text", text=reason)
    return FileResult(display_path(path), status="error", error_message=reason)


def inspect_bytes(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> list[reveal.Finding]:
    try:
        return reveal.findings(data, max_pixels)
    except (ContainerError, CrowdveilError) as exc:
        return [reveal.Finding("damaged", "finding.damaged", {"detail": str(exc)})]
    except Exception as exc:  # inspection must never be why a photo is not cleaned
        return [reveal.Finding("damaged", "finding.unreadable", {"type": type(exc).__name__})]


def analyse(
    path: Path, detector: Detector, max_pixels: int = DEFAULT_MAX_PIXELS,
    data: bytes | None = None, digest: str | None = None,
) -> Analysis:
    """Load and detect: the regions that would be destroyed, in upright output pixels.

    `data`: the file's bytes when the caller has read them already (they are what is decoded);
    `digest`: their SHA-256 when the caller has it already (`digest_bytes(data)`).
    """
    stages: Stages = {}
    with _timed(stages, "decode"):
        data, image = load_path(path, max_pixels) if data is None else (
            data, decode_bytes(data, max_pixels))
    with _timed(stages, "inspect"):
        findings = inspect_bytes(data, max_pixels)
    h, w = image.pixels.shape[:2]
    with _timed(stages, "detect"):
        detections = detector.detect(np.ascontiguousarray(image.pixels[..., :3]))
    regions = regions_from_detections(detections, w, h)
    if digest is None:
        digest = digest_bytes(data)
    return Analysis(path, image, regions, findings, stages, digest=digest)


def output_path(analysis: Analysis, target_base: Path) -> Path:
    """`target_base` with the suffix of the format the output is written in."""
    return output_target(target_base, analysis.image.format, analysis.image.has_alpha)


def export(
    analysis: Analysis,
    target_base: Path,
    options: Options,
    regions: list[Region] | None = None,
    record: Record | None = None,
    key: str = "",
    replace_ours: bool = False,
    reviewed: bool = False,
    keep_reviewed: bool = False,
) -> FileResult:
    """Redact, write clean and verify; `regions` overrides the detected ones (GUI edits).

    With a `record`, the output is recorded (its digest, the input's digest and `key`) before
    it appears, so a later run can prove what it is. `replace_ours`: an existing file at the
    target may be replaced if the record shows we wrote it (a stale output of ours).
    `reviewed`: the app writes the regions the user reviewed (recorded as such).
    `keep_reviewed` (the command line): an output of ours that the app wrote from reviewed
    regions is not replaced either (see `may_replace`).
    """
    stages = dict(analysis.stages)
    result = FileResult(
        input=display_path(analysis.path), width=analysis.width, height=analysis.height,
        metadata_found=list(analysis.findings), note_messages=list(analysis.image.notes),
        stages=stages,
    )
    chosen = analysis.regions if regions is None else regions
    clipped = [c for r in chosen if (c := clip_region(r, analysis.width, analysis.height))]
    result.regions = clipped
    fmt = output_format(analysis.image.format, analysis.image.has_alpha)
    target = output_path(analysis, target_base)
    if _same_file(target, analysis.path):
        raise WriteError("write.replaces_input", file=display_path(target))
    overwrite = may_replace(target, record, overwrite=options.overwrite,
                            replace_ours=replace_ours, keep_reviewed=keep_reviewed)
    with _timed(stages, "redact"):
        pixels = redact(analysis.image.pixels, clipped, options.method)
    with _timed(stages, "encode"):
        data = encode(pixels, fmt, options.quality)

    def check(written: Path) -> None:
        with _timed(stages, "verify"):
            verify_file(written, fmt, analysis.width, analysis.height)
        if record is not None:  # before the rename: an output never exists unrecorded
            record.add(target, digest_bytes(data), analysis.digest, key,
                       analysis.width, analysis.height, reviewed=reviewed)

    with _timed(stages, "write"):
        write_atomic(data, target, overwrite=overwrite, check=check)
    stages["write"] -= stages.get("verify", 0.0)
    result.output = display_path(target)
    return result


def may_replace(target: Path, record: Record | None, *, overwrite: bool, replace_ours: bool,
                keep_reviewed: bool = False) -> bool:
    """Whether writing `target` may replace a file there (photos and clips decide alike).

    `overwrite` (the user asked) always may. Otherwise, with `replace_ours`, an existing file
    may be replaced only if the record shows we wrote those bytes (a stale output of ours);
    any other file is refused (WriteError). With `keep_reviewed` (the command line), an output
    the app wrote from regions the user reviewed is refused too: an output from these very
    input bytes was kept before this point (`batch._already_done`), so this one came from other
    bytes (the photo changed since, or another file had this name), and an automatic output in
    its place could publish a face the user hid by hand. --overwrite replaces it.
    """
    if overwrite or not replace_ours or not os.path.lexists(target):
        return overwrite
    ours = record.holding(target) if record is not None else []
    if not ours:
        raise WriteError("write.not_ours", file=display_path(target))
    if keep_reviewed and any(f.reviewed for f in ours):
        raise WriteError("write.reviewed_other", file=display_path(target))
    return True


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def process_file(
    path: Path, target_base: Path, detector: Detector, options: Options
) -> FileResult:
    """The whole path for one photo; expected failures become an error row, never an exception."""
    try:
        analysis = analyse(path, detector, options.max_pixels)
        return export(analysis, target_base, options)
    except CrowdveilError as exc:
        return error_row(path, exc.message)
