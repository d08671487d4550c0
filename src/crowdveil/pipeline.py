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
from .load import DEFAULT_MAX_PIXELS, Loaded, load_path
from .redact import Method, redact
from .regions import Region, clip_region, regions_from_detections
from .verify import verify_file
from .write_clean import (
    DEFAULT_QUALITY,
    encode,
    output_format,
    output_target,
    write_atomic,
)


@dataclass
class Options:
    method: Method = "fill"
    quality: int = DEFAULT_QUALITY
    max_pixels: int = DEFAULT_MAX_PIXELS
    overwrite: bool = False


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

    @property
    def width(self) -> int:
        return int(self.image.pixels.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.pixels.shape[0])


@dataclass
class FileResult:
    """One row of the report (schema version 1)."""

    input: str
    output: str | None = None
    status: str = "ok"  # ok | error | skipped
    error: str | None = None
    width: int = 0
    height: int = 0
    regions: list[Region] = field(default_factory=list)
    metadata_found: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what the user should know about the output
    stages: Stages = field(default_factory=dict)  # not part of the report schema

    def to_json(self) -> dict:
        return {
            "input": self.input,
            "output": self.output,
            "status": self.status,
            "error": self.error,
            "width": self.width,
            "height": self.height,
            "regions": [r.to_json() for r in self.regions],
            "metadata_found": list(self.metadata_found),
            "notes": list(self.notes),
        }


def inspect_bytes(data: bytes) -> list[reveal.Finding]:
    try:
        return reveal.findings(data)
    except (ContainerError, CrowdveilError) as exc:
        return [reveal.Finding("damaged", f"container damaged: {exc}")]
    except Exception as exc:  # inspection must never be why a photo is not cleaned
        return [reveal.Finding("damaged", f"metadata unreadable: {type(exc).__name__}")]


def analyse(path: Path, detector: Detector, max_pixels: int = DEFAULT_MAX_PIXELS) -> Analysis:
    """Load and detect: the regions that would be destroyed, in upright output pixels."""
    stages: Stages = {}
    with _timed(stages, "decode"):
        data, image = load_path(path, max_pixels)
    with _timed(stages, "inspect"):
        findings = inspect_bytes(data)
    h, w = image.pixels.shape[:2]
    with _timed(stages, "detect"):
        detections = detector.detect(np.ascontiguousarray(image.pixels[..., :3]))
    regions = regions_from_detections(detections, w, h)
    return Analysis(path, image, regions, findings, stages)


def output_path(analysis: Analysis, target_base: Path) -> Path:
    """`target_base` with the suffix of the format the output is written in."""
    return output_target(target_base, analysis.image.format, analysis.image.has_alpha)


def export(
    analysis: Analysis,
    target_base: Path,
    options: Options,
    regions: list[Region] | None = None,
) -> FileResult:
    """Redact, write clean and verify; `regions` overrides the detected ones (GUI edits)."""
    stages = dict(analysis.stages)
    result = FileResult(
        input=display_path(analysis.path), width=analysis.width, height=analysis.height,
        metadata_found=[f.text for f in analysis.findings], notes=list(analysis.image.notes),
        stages=stages,
    )
    chosen = analysis.regions if regions is None else regions
    clipped = [c for r in chosen if (c := clip_region(r, analysis.width, analysis.height))]
    result.regions = clipped
    fmt = output_format(analysis.image.format, analysis.image.has_alpha)
    target = output_path(analysis, target_base)
    if _same_file(target, analysis.path):
        raise WriteError(f"output would replace the input: {display_path(target)}")
    with _timed(stages, "redact"):
        pixels = redact(analysis.image.pixels, clipped, options.method)
    with _timed(stages, "encode"):
        data = encode(pixels, fmt, options.quality)

    def check(written: Path) -> None:
        with _timed(stages, "verify"):
            verify_file(written, fmt, analysis.width, analysis.height)

    with _timed(stages, "write"):
        write_atomic(data, target, overwrite=options.overwrite, check=check)
    stages["write"] -= stages.get("verify", 0.0)
    result.output = display_path(target)
    return result


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
        return FileResult(input=display_path(path), status="error", error=str(exc))
