"""What the app asks a worker to do with a clip: check it, show one frame, export it.

Like `tasks`, everything here runs in a worker (never in the window, which decodes nothing),
and tasks and results are plain picklable data. The clip is read with the command line's own
functions (`formats.video`: probe, frames, the encoder and verify; `formats.tracking`), so a
clip exported from the app has every face destroyed in every frame exactly as `crowdveil
clip.mp4` does, plus the regions the user drew, each held over the frames the user chose.

A clip is never held in memory: the check keeps boxes, a frame task decodes up to the frame it
was asked for and keeps that one.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from pathlib import Path

import av
import numpy as np

from ..detect import Detector
from ..errors import CrowdveilError, LoadError, WriteError, display_path
from ..formats import VIDEO_OUTPUT_SUFFIX, tracking, video
from ..load import DEFAULT_MAX_PIXELS
from ..messages import msg
from ..pipeline import FileResult, _same_file, error_row, may_replace
from ..pool import StageClock
from ..record import Record, regular_file_digest
from ..regions import Region, clip_region
from ..reveal import Finding
from ..settings import Options
from .tasks import thumbnail


@dataclass(frozen=True)
class UserRegion:
    """A region the user drew, destroyed in frames `first` to `last` (both included)."""

    region: Region
    first: int
    last: int


@dataclass(frozen=True)
class VideoCheckTask:
    """Probe, detect on every frame, track: what the user reviews."""

    source: Path
    max_pixels: int = DEFAULT_MAX_PIXELS
    weight: float = 1.0  # the worker pool's time limit is this many times the photo limit


@dataclass(frozen=True)
class VideoFrameTask:
    """One frame of a clip checked earlier, if the file is still the one that was checked."""

    source: Path
    digest: str
    index: int
    weight: float = 1.0
    pts: int | None = None  # frame `index`'s time stamp from the check: found by seeking


@dataclass(frozen=True)
class VideoExportTask:
    source: Path
    digest: str  # the bytes the regions were found in: anything else is refused
    target_base: Path
    regions: list[list[Region]]  # per frame, from the check (the CLI's tracker)
    user_regions: list[UserRegion]
    record_root: Path
    key: str
    # the run's settings (the app never keeps the sound); overwrite: the user chose Replace
    options: Options = Options()
    weight: float = 1.0


@dataclass
class VideoChecked:
    digest: str
    width: int
    height: int
    frames: int
    rate: float
    duration_s: float
    thumb: np.ndarray
    regions: list[list[Region]]  # per frame: what will be destroyed in it
    faces: int  # tracks
    findings: list[Finding] = field(default_factory=list)
    stamps: list[int | None] = field(default_factory=list)  # each frame's pts; [] if unusable


@dataclass
class VideoFrame:
    index: int
    pixels: np.ndarray


@dataclass
class VideoChanged:
    source: Path


VideoResult = VideoChecked | VideoFrame | VideoChanged | FileResult
VIDEO_TASKS = (VideoCheckTask, VideoFrameTask, VideoExportTask)

Progress = Callable[[str, int, int], None]


def run_video_task(task: VideoCheckTask | VideoFrameTask | VideoExportTask, detector: Detector,
                   progress: Progress | None = None) -> VideoResult:
    """Do one clip task; a bad clip becomes an error row, never an exception."""
    try:
        if isinstance(task, VideoCheckTask):
            return check_clip(task.source, detector, task.max_pixels,
                              progress if progress is not None else StageClock(("search",)))
        if isinstance(task, VideoFrameTask):
            if regular_file_digest(task.source) != task.digest:
                return VideoChanged(task.source)
            return VideoFrame(task.index, frame_at(task.source, task.index, task.pts))
        return export_task(task, progress if progress is not None else StageClock(("write",)))
    except CrowdveilError as exc:
        return error_row(task.source, exc.message)
    except MemoryError:
        return error_row(task.source, msg("error.no_memory"))


def check_clip(source: Path, detector: Detector, max_pixels: int = DEFAULT_MAX_PIXELS,
               progress: Progress | None = None) -> VideoChecked:
    """The detection pass and the tracker of `video.process_clip`, without writing."""
    digest = regular_file_digest(source)
    info = video.probe_writable(source, max_pixels)
    stamps: list[int | None] = []
    thumbs: list[np.ndarray] = []

    def each(frame: av.VideoFrame, rgb: np.ndarray) -> None:
        if not thumbs:
            thumbs.append(thumbnail(rgb))
        stamps.append(frame.pts)

    found = video.search(source, info, detector, progress, each)
    n = len(found)
    rate = video.frame_rate(info)
    regions, faces = tracking.track_found(found, info.width, info.height, rate)
    # a frame can be found by seeking only where every frame has its own, rising time stamp
    rising = all(a is not None and b is not None and a < b for a, b in pairwise(stamps))
    return VideoChecked(digest, info.width, info.height, n, rate, info.duration_s, thumbs[0],
                        regions, faces, list(info.findings),
                        stamps if rising and stamps[0] is not None else [])


def frame_at(source: Path, index: int, pts: int | None = None) -> np.ndarray:
    """Frame `index` (0-based), upright. With the time stamp the check saw for it, decoding
    starts at the key frame before it (seconds, not minutes, deep in a long clip) and only
    the frame with exactly that stamp is taken; otherwise it is counted from the start, as
    the writer counts."""
    info = video.probe(source)
    if pts is not None:
        with contextlib.suppress(av.FFmpegError), \
                video.open_input(source) as container:
            stream = container.streams.video[0]
            container.seek(pts, backward=True, any_frame=False, stream=stream)
            for frame in container.decode(stream):
                if frame.pts is not None and frame.pts > pts:
                    break
                if frame.pts == pts:
                    return video.upright(frame, info.orientation)
    for i, (_, rgb) in enumerate(video.frames(source, info.orientation)):
        if i == index:
            return rgb
    raise LoadError("video.no_frames")


def merged(regions: list[list[Region]], user: list[UserRegion], width: int,
           height: int) -> list[list[Region]]:
    """Per frame: the tracker's regions plus each user region inside its frame range."""
    out = [list(r) for r in regions]
    for u in user:
        clipped = clip_region(u.region, width, height)
        if clipped is None:
            continue
        for t in range(max(0, u.first), min(len(out) - 1, u.last) + 1):
            out[t].append(clipped)
    return out


def write_clip(source: Path, target: Path, regions: list[list[Region]], options: Options, *,
               check: Callable[[Path, int, int], None] | None = None,
               progress: Progress | None = None) -> int:
    """Write `source` redacted with `regions` (one list per frame) at `target`, whole or not.

    `video.write_clip`, as `video.process_clip` writes (the app never keeps the sound), for
    regions decided in the app. Returns the frames written."""
    info = video.probe_writable(source, options.max_pixels)
    video.write_clip(source, target, info, regions, replace(options, keep_audio=False),
                     check=check, progress=progress)
    return len(regions)


def export_task(task: VideoExportTask, progress: Progress | None = None,
                ) -> FileResult | VideoChanged:
    """Export a checked clip with the user's regions; recorded as the CLI records a clip."""
    digest = regular_file_digest(task.source)
    if digest != task.digest:
        return VideoChanged(task.source)
    target = task.target_base.with_name(task.target_base.name + VIDEO_OUTPUT_SUFFIX)
    if _same_file(target, task.source):
        raise WriteError("write.replaces_input", file=display_path(target))
    info = video.probe_writable(task.source, task.options.max_pixels)
    record = Record(task.record_root)
    # a stale output of ours is written again, as the app's photos are
    overwrite = may_replace(target, record, overwrite=task.options.overwrite, replace_ours=True)

    def check(written: Path, width: int, height: int) -> None:
        # before the rename: an output never exists unrecorded
        # reviewed: a command-line rerun keeps the user's regions unasked
        record.add(target, regular_file_digest(written), digest, task.key, width, height,
                   reviewed=True)

    regions = merged(task.regions, task.user_regions, info.width, info.height)
    n = write_clip(task.source, target, regions, replace(task.options, overwrite=overwrite),
                   check=check, progress=progress)
    return FileResult(display_path(task.source), output=display_path(target),
                      width=info.width, height=info.height,
                      metadata_found=list(info.findings),
                      video={"frames": n, "regions": sum(len(r) for r in regions)})
