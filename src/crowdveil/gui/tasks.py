"""What the app asks a worker to do with a photo: check it, give its pixels back, export it.

Everything here runs where the isolation provider puts it (a worker process, or a thread in
tests), never in the window's process: the window does not decode photos. The tasks and
results are plain picklable data, and `run_task` is a module-level function, because a spawned
worker receives them through a pipe. No Qt here: a worker must not need a display.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from ..detect import Detector
from ..errors import CrowdveilError
from ..load import DEFAULT_MAX_PIXELS, decode_bytes, read_input
from ..messages import msg
from ..pipeline import (
    Analysis,
    FileResult,
    Options,
    analyse,
    error_row,
    export,
    inspect_bytes,
)
from ..record import Record, digest_bytes
from ..regions import Region
from ..reveal import Finding

THUMB_SIDE = 160  # sharp at the list's 72 px icons on 2x (high-DPI) screens


@dataclass(frozen=True)
class CheckTask:
    """Decode, inspect and detect: what the user reviews."""

    source: Path
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class PixelsTask:
    """The pixels of a photo checked earlier (they left the window's cache), if its bytes are
    still the ones that were checked."""

    source: Path
    digest: str
    max_pixels: int = DEFAULT_MAX_PIXELS


@dataclass(frozen=True)
class ExportTask:
    source: Path
    digest: str  # the bytes the regions were found in: anything else is refused
    target_base: Path
    regions: list[Region]
    record_root: Path
    key: str
    # the run's settings; overwrite: the user chose Replace
    options: Options = Options()


@dataclass
class Checked:
    digest: str
    pixels: np.ndarray
    thumb: np.ndarray
    regions: list[Region]
    findings: list[Finding]
    notes: list = field(default_factory=list)  # messages.Message: said in the window's language
    format: str = ""
    has_alpha: bool = False


@dataclass
class Pixels:
    pixels: np.ndarray


@dataclass
class Changed:
    """The file no longer holds the bytes that were checked: its regions are for another
    picture (rotated, cropped, replaced), so nothing may be exported from them."""

    source: Path


Result = Checked | Pixels | Changed | FileResult  # FileResult: an error row


def thumbnail(pixels: np.ndarray, side: int = THUMB_SIDE) -> np.ndarray:
    """A small picture for the photo list; area resampling (Pillow's box filter) so it stays
    crisp. Only shown, never analysed: Pillow's speed matters here, not OpenCV's rounding."""
    h, w = pixels.shape[:2]
    scale = min(1.0, side / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    if size == (w, h):
        return np.array(pixels)
    small = Image.fromarray(np.ascontiguousarray(pixels)).resize(size, Image.Resampling.BOX)
    return np.asarray(small).copy()


def run_task(task: CheckTask | PixelsTask | ExportTask, detector: Detector,
             options: Options) -> Result:
    """Do one task; a bad file becomes an error row, never an exception."""
    from . import video_tasks  # here: video_tasks needs `thumbnail` from this module

    if isinstance(task, video_tasks.VIDEO_TASKS):
        return video_tasks.run_video_task(task, detector)  # type: ignore[return-value]
    try:
        if isinstance(task, CheckTask):
            return _check(task, detector)
        if isinstance(task, PixelsTask):
            data = read_input(task.source, task.max_pixels)
            if digest_bytes(data) != task.digest:
                return Changed(task.source)
            return Pixels(decode_bytes(data, task.max_pixels).pixels)
        return _export(task)
    except CrowdveilError as exc:  # its message, so the window says it in the user's language
        return error_row(task.source, exc.message)
    except MemoryError:
        return error_row(task.source, msg("error.no_memory"))


def _check(task: CheckTask, detector: Detector) -> Checked:
    a = analyse(task.source, detector, task.max_pixels)
    return Checked(a.digest, a.image.pixels, thumbnail(a.image.pixels), a.regions, a.findings,
                   list(a.image.notes), a.image.format, a.image.has_alpha)


def _export(task: ExportTask) -> FileResult | Changed:
    data = read_input(task.source, task.options.max_pixels)
    # The proof that the regions belong to these pixels: the very bytes that were checked.
    if digest_bytes(data) != task.digest:
        return Changed(task.source)
    image = decode_bytes(data, task.options.max_pixels)
    analysis = Analysis(task.source, image, [], inspect_bytes(data, task.options.max_pixels),
                        digest=task.digest)
    # replace_ours: a stale output this folder's record shows we wrote is written again;
    # a file we did not write is only replaced when the user chose Replace (overwrite);
    # reviewed: a command-line rerun keeps these regions (the user's additions) unasked
    return export(analysis, task.target_base, task.options, regions=list(task.regions),
                  record=Record(task.record_root), key=task.key, replace_ours=True,
                  reviewed=True)
