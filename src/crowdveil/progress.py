"""How far a batch is, counted in work rather than files, and how long the rest will take.

A batch's files are not alike: a one-minute clip is 1,800 searches of the detector, a photo
one. Counting files, one long clip among photos made "time left" meaningless. Here the work
is every photo and every frame of every clip, and each kind is timed apart from this run's
own speed (it differs with the machine, the device and the size of the pictures, so no fixed
ratio would hold):

- a photo costs the mean time the photos cleaned so far took (skipped ones took none);
- a clip's frame costs a search and a write. The search is timed by the detector's speed on
  the clips of this run (per pixel of their frames: a 4K clip after a 720p one), the write by
  what the clips cleaned so far took beyond their search; before any clip has ended, writing
  is counted at the search's speed (as `pool.StageClock` does: an upper bound while the
  detector is the slow part), so the first estimate errs long, not short;
- a kind not timed yet (the first clip after photos, or the other way round) is guessed from
  the other kind's seconds per pixel, until one of its own is timed.

The app's export has no search pass (its clips were searched when they were checked):
`search=False` times a clip's frames by their writing alone.

The batch's time left is the work left shared by the workers, but never less than the
longest single job left (a clip runs on one worker). A clip's frame count comes from its
MP4/MOV header (`formats.iso`: no decoder runs in this process), then from the clip itself
once it starts; a clip whose header does not say (Matroska, WebM) is estimated from its size
until then, and the frame total is then "about".
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

from . import pool
from .formats import CLIP_BYTES_PER_SECOND
from .pipeline import FileResult
from .pool import JobProgress

DEFAULT_PHOTO_PIXELS = 12_000_000  # a phone's photo, until this run has cleaned one
DEFAULT_FRAME_PIXELS = 1920 * 1080
# a clip of unknown length, at 30 frames/s
BYTES_PER_FRAME = CLIP_BYTES_PER_SECOND // 30


@dataclass(frozen=True)
class ClipHint:
    """What the batch knows of a clip before it runs: its frames (None: the header does not
    say), its frame's pixels (None: not known) and its size in bytes."""

    frames: int | None
    pixels: int | None
    size: int


@dataclass(frozen=True)
class BatchProgress:
    files_done: int
    files: int
    frames_done: int  # frames of its clips searched, or written if not searched (a clip that
    # ended: all of them)
    frames: int  # frames of all its clips (0: no clip)
    frames_exact: bool  # False: some clip's frames are estimated from its size
    left_s: float | None  # None: cannot be guessed yet
    fraction: float  # 0..1, for a bar: by time when time left is known, else by files


@dataclass
class _Job:
    hint: ClipHint | None  # None: a photo
    state: str = "waiting"  # "running", "done"
    start: float = 0.0
    total: int = 0  # frames the clip said it has once running (0: not said)
    ended_frames: int = 0  # frames it had, once done
    searched: int = 0
    search_fps: float = 0.0  # the detector's speed on this clip, once it has said
    write_fps: float = 0.0  # its writing's speed, once it has said
    searched_at: float | None = None  # when its search pass ended
    writing: JobProgress | None = None  # its latest report while writing
    writing_at: float = 0.0

    @property
    def clip(self) -> bool:
        return self.hint is not None


class BatchClock:
    """Turns a batch's events (a job starts, a clip reports, a job ends) into `BatchProgress`.

    `jobs` pairs a key with a ClipHint for a clip or None for a photo; `clock` gives seconds
    (`pool.monotonic` by default)."""

    def __init__(self, jobs: Iterable[tuple[Hashable, ClipHint | None]], workers: int = 1,
                 clock: Callable[[], float] | None = None, search: bool = True) -> None:
        self._clock = clock or pool.monotonic
        self.search = search  # clips are searched, then written (False: written only)
        self._jobs: dict[Hashable, _Job] = {key: _Job(hint) for key, hint in jobs}
        self.workers = max(1, min(workers, len(self._jobs) or 1))
        self._began = self._clock()
        self._photo_s: list[float] = []  # seconds of each photo cleaned
        self._photo_px: list[int] = []  # ... and its pixels
        self._write_s = 0.0  # seconds the clips cleaned took beyond their search
        self._write_px = 0.0  # their frames times their pixels per frame

    # events ---------------------------------------------------------------------------------
    def started(self, key: Hashable) -> None:
        job = self._jobs.get(key)
        if job is not None and job.state == "waiting":
            job.state, job.start = "running", self._clock()

    def clip(self, key: Hashable, how: JobProgress) -> None:
        job = self._jobs.get(key)
        if job is None or job.state == "done":
            return
        now = self._clock()
        if job.state == "waiting":  # (a report before the start: the start was missed)
            job.state, job.start = "running", now
        if how.total:
            job.total = how.total
        if how.stage == "search":
            job.searched = how.done
            if how.fps > 0:
                job.search_fps = how.fps
            if how.total and how.done >= how.total:
                job.searched_at = now
        else:  # (not searched: a frame is done once written)
            job.searched = max(job.searched, job.total) if self.search else how.done
            if job.searched_at is None:
                job.searched_at = now
            job.writing, job.writing_at = how, now
            if how.fps > 0:
                job.write_fps = how.fps

    def finished(self, key: Hashable, result: FileResult | None = None) -> None:
        job = self._jobs.get(key)
        if job is None or job.state == "done":
            return
        now = self._clock()
        spent = now - job.start if job.state == "running" else None
        job.state = "done"
        frames = int((result.video or {}).get("frames", 0)) if result is not None else 0
        job.ended_frames = frames or job.total or self._frames(job)[0]
        if result is None or result.status != "ok" or spent is None:
            return  # a failed or skipped file says nothing of how long the work takes
        pixels = result.width * result.height if result.width and result.height else None
        if job.clip and frames and (job.search_fps > 0 or not self.search):
            px = pixels or self._pixels(job)
            searching = frames / job.search_fps if self.search else 0.0
            self._write_s += max(0.0, spent - searching)
            self._write_px += frames * px
        elif not job.clip:
            self._photo_s.append(spent)
            self._photo_px.append(pixels or DEFAULT_PHOTO_PIXELS)

    # what it comes to -----------------------------------------------------------------------
    def _frames(self, job: _Job) -> tuple[int, bool]:
        """A clip's frames and whether that is its count (not an estimate)."""
        if job.state == "done" and job.ended_frames:
            return job.ended_frames, True
        if job.total:
            return job.total, True
        hint = job.hint
        if hint is not None and hint.frames:
            return hint.frames, True
        guess = (hint.size if hint else 0) // self._bytes_per_frame()
        return max(1, guess, job.searched), False  # never fewer than it has been seen to have

    def _bytes_per_frame(self) -> int:
        """From this batch's clips whose frames are known, else a phone's 1080p bit rate."""
        sizes = frames = 0
        for job in self._jobs.values():
            if job.hint is not None and job.hint.size:
                n = job.ended_frames or job.total or job.hint.frames or 0
                if n:
                    sizes, frames = sizes + job.hint.size, frames + n
        return max(1, sizes // frames) if frames else BYTES_PER_FRAME

    def _pixels(self, job: _Job) -> int:
        return (job.hint.pixels if job.hint else None) or DEFAULT_FRAME_PIXELS

    def _search_per_pixel(self) -> float | None:
        """Seconds the detector takes per pixel of a frame: the latest clip that said, else
        the photos' (0 when clips are not searched)."""
        if not self.search:
            return 0.0
        for job in sorted(self._jobs.values(), key=lambda j: j.start, reverse=True):
            if job.search_fps > 0:
                return 1.0 / job.search_fps / self._pixels(job)
        if self._photo_s:
            return sum(self._photo_s) / sum(self._photo_px)
        return None

    def _write_per_pixel(self) -> float | None:
        """Seconds a frame's writing takes per pixel, beyond its search: from the clips done,
        else the latest clip's writing speed, else as long as its search (or, not searched,
        as long as the photos take per pixel)."""
        if self._write_px:
            return self._write_s / self._write_px
        for job in sorted(self._jobs.values(), key=lambda j: j.start, reverse=True):
            if job.write_fps > 0:
                return 1.0 / job.write_fps / self._pixels(job)
        if self.search:
            return self._search_per_pixel()
        if self._photo_s:
            return sum(self._photo_s) / sum(self._photo_px)
        return None

    def _photo_cost(self) -> float | None:
        if self._photo_s:
            return sum(self._photo_s) / len(self._photo_s)
        search, write = self._search_per_pixel(), self._write_per_pixel()
        if search is None or write is None:
            return None
        return (search + write) * DEFAULT_PHOTO_PIXELS

    def _clip_left(self, job: _Job, now: float) -> float | None:
        frames = self._frames(job)[0]
        px = self._pixels(job)
        write_px = self._write_per_pixel()
        if write_px is None:
            return None
        write = write_px * px * frames
        if job.state == "running" and job.searched_at is not None:  # writing
            how = job.writing
            if how is not None and how.left_s is not None:
                return max(0.0, how.left_s - (now - job.writing_at))
            return max(0.0, write - (now - job.searched_at))
        if job.state == "running" and job.search_fps > 0:
            return (frames - job.searched) / job.search_fps + write
        search_px = self._search_per_pixel()
        if search_px is None:
            return None
        whole = search_px * px * frames + write
        return max(0.0, whole - (now - job.start)) if job.state == "running" else whole

    def _left(self, job: _Job, now: float) -> float | None:
        """Seconds of work `job` has left (None: cannot be guessed)."""
        if job.state == "done":
            return 0.0
        if job.clip:
            return self._clip_left(job, now)
        photo = self._photo_cost()
        if photo is None:
            return None
        return max(0.0, photo - (now - job.start)) if job.state == "running" else photo

    def now(self) -> BatchProgress:
        now = self._clock()
        jobs = list(self._jobs.values())
        done = sum(job.state == "done" for job in jobs)
        frames = frames_done = 0
        exact = True
        for job in jobs:
            if not job.clip:
                continue
            n, known = self._frames(job)
            frames += n
            exact = exact and known
            frames_done += n if job.state == "done" else min(job.searched, n)
        lefts = [self._left(job, now) for job in jobs]
        left: float | None = None
        if all(x is not None for x in lefts):
            known_lefts = [x for x in lefts if x is not None]
            left = max(sum(known_lefts) / self.workers, max(known_lefts, default=0.0))
        spent = now - self._began
        if done == len(jobs):
            fraction = 1.0
        elif left is not None and spent + left > 0:
            fraction = spent / (spent + left)
        else:
            fraction = done / len(jobs) if jobs else 1.0
        return BatchProgress(done, len(jobs), frames_done, frames, exact, left,
                             min(1.0, max(0.0, fraction)))
