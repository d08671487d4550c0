"""The batch's progress counts work, not files: every photo and every frame of every clip, and
a time left for all of it that one long clip among photos does not make meaningless.

Time here is a fake clock that moves only when the fake detector searches a picture (0.1 s a
search), so every figure the progress shows follows from the work done, never from how busy
the machine is.
"""

from __future__ import annotations

import functools
import io
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PIL import Image

from crowdveil import batch, cli, pool
from crowdveil.detect.base import Detection
from crowdveil.formats.iso import video_header
from crowdveil.pipeline import FileResult
from crowdveil.pool import JobProgress
from crowdveil.progress import BYTES_PER_FRAME, BatchClock, ClipHint
from tests.test_video import make_clip

SEARCH_S = 0.1  # fake seconds the fake detector takes per picture


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


class TimedDetector:
    """Finds nothing, and each search takes SEARCH_S on the fake clock."""

    name = "timed"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        self.clock.t += SEARCH_S
        return []


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


BATCH_LINE = re.compile(r"(\d+) of (\d+) files, (\d+) of (\d+) frames: +\d+%\|.*?\| "
                        r"\[\d\d:\d\d, ([^\]]+)\]")


def _seconds(left: str) -> float | None:
    if left == "time left not known yet":
        return None
    m = re.fullmatch(r"(?:(\d+) min )?(\d+) s left", left)
    assert m, left
    return int(m.group(1) or 0) * 60 + int(m.group(2))


def test_the_batch_line_counts_every_frame_and_its_time_left_goes_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(np.full((120, 160, 3), 90, np.uint8)).save(src / "a.jpg")
    make_clip(src / "b.mp4", n=40)
    make_clip(src / "c.mp4", n=24)
    clock = Clock()
    monkeypatch.setattr(pool, "monotonic", clock)
    detector = TimedDetector(clock)
    monkeypatch.setattr(cli, "run", functools.partial(
        batch.run, isolate=False, make_detector=lambda settings: detector))
    monkeypatch.setattr(cli, "resolve_device", lambda settings: SimpleNamespace(
        settings=settings, device="cpu", precision="fp32", notes=()))
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert cli.main([str(src), "-o", str(tmp_path / "out"), "-j", "1"]) == 0

    shown = [m.groups() for m in BATCH_LINE.finditer(screen.getvalue())]
    assert shown, screen.getvalue()
    # every line counts the two clips' 64 frames from the start (their headers say so)
    assert {(files, frames) for _, files, _, frames, _ in shown} == {("3", "64")}
    files_done = [int(g[0]) for g in shown]
    frames_done = [int(g[2]) for g in shown]
    assert files_done == sorted(files_done) and files_done[-1] == 3
    assert frames_done == sorted(frames_done) and frames_done[-1] == 64
    assert 0 < len({n for n in frames_done if 0 < n < 64})  # the frames move within a clip
    lefts = [_seconds(g[4]) for g in shown]
    # not known until something has been timed, then known to the end
    known = [x for x in lefts if x is not None]
    assert lefts[: lefts.index(known[0])] == [None] * lefts.index(known[0])
    assert None not in lefts[lefts.index(known[0]):]
    # the photo took 0.1 s: the clips' 64 frames are guessed at 0.1 s to search and (no clip
    # done yet: as long again) to write, 12.8 s; once the first clip shows that writing
    # takes no fake time, the rest is its search alone; it only ever goes down, to 0
    assert known[0] == 13
    assert known == sorted(known, reverse=True), known
    assert known[-1] == 0 and len(set(known)) >= 5, known


def _ok(width: int = 160, height: int = 120, frames: int | None = None) -> FileResult:
    return FileResult("x", status="ok", width=width, height=height,
                      video={"frames": frames} if frames else None)


def test_nothing_timed_yet_says_so_and_the_bar_counts_files() -> None:
    clock = Clock()
    batch_clock = BatchClock([("p1", None), ("p2", None),
                              ("clip", ClipHint(300, 1280 * 720, 10_000_000))], clock=clock)
    now = batch_clock.now()
    assert (now.files_done, now.files, now.frames_done, now.frames) == (0, 3, 0, 300)
    assert now.left_s is None and now.frames_exact
    batch_clock.started("p1")
    clock.t += 5
    batch_clock.finished("p1", FileResult("p1", status="error", error="bad"))
    now = batch_clock.now()
    assert now.left_s is None  # a failed photo says nothing of how long photos take
    assert now.fraction == pytest.approx(1 / 3)


def test_two_workers_share_the_photos_but_not_a_clip() -> None:
    clock = Clock()
    jobs = [(f"p{i}", None) for i in range(6)] + [("clip", ClipHint(100, 100, 1000))]
    batch_clock = BatchClock(jobs, workers=2, clock=clock)
    batch_clock.started("p0")
    clock.t += 2
    batch_clock.finished("p0", _ok(10, 10))  # a photo: 2 s, 0.02 s a pixel
    batch_clock.started("clip")
    batch_clock.clip("clip", JobProgress("search", 10, 100, 1.0, 190.0))
    # the clip alone has 90 s of search and 100 s of writing left (the search's speed,
    # as no clip is done), far more than half of it plus five photos' 10 s
    assert batch_clock.now().left_s == pytest.approx(190.0)
    clock.t += 50
    batch_clock.clip("clip", JobProgress("search", 60, 100, 1.0, 140.0))
    assert batch_clock.now().left_s == pytest.approx(140.0)
    for i in range(1, 6):  # the other worker cleans the photos meanwhile
        batch_clock.started(f"p{i}")
        batch_clock.finished(f"p{i}", _ok(10, 10))
    assert batch_clock.now().left_s == pytest.approx(140.0)


def test_many_photos_beside_a_short_clip_are_shared_by_the_workers() -> None:
    clock = Clock()
    jobs = [(f"p{i}", None) for i in range(11)] + [("clip", ClipHint(2, 100, 1000))]
    batch_clock = BatchClock(jobs, workers=2, clock=clock)
    batch_clock.started("p0")
    clock.t += 2
    batch_clock.finished("p0", _ok(10, 10))
    # ten photos of 2 s and a clip of 2 frames x 100 px x 0.02 s x 2 passes = 8 s: 28 s
    # of work on two workers
    assert batch_clock.now().left_s == pytest.approx(14.0)


def test_a_clip_whose_header_does_not_count_its_frames_is_estimated_from_its_size() -> None:
    clock = Clock()
    batch_clock = BatchClock([("mp4", ClipHint(100, 100, 2_000_000)),
                              ("mkv", ClipHint(None, None, 3_000_000))], clock=clock)
    now = batch_clock.now()
    # 20 kB a frame in the MP4 of this batch: the 3 MB Matroska clip is about 150 frames
    assert (now.frames, now.frames_exact) == (250, False)
    batch_clock.started("mkv")
    batch_clock.clip("mkv", JobProgress("search", 10, 180, 5.0, 70.0))
    now = batch_clock.now()  # once it runs, the clip says its own count
    assert (now.frames, now.frames_exact, now.frames_done) == (280, True, 10)
    lone = BatchClock([("mkv", ClipHint(None, None, 10 * BYTES_PER_FRAME))], clock=clock)
    assert (lone.now().frames, lone.now().frames_exact) == (10, False)  # a phone's rate
    lone.started("mkv")  # its container does not count its frames either: searched 25 so far
    lone.clip("mkv", JobProgress("search", 25, 0, 5.0, None))
    now = lone.now()
    assert (now.frames, now.frames_done, now.frames_exact) == (25, 25, False)
    assert now.left_s is not None and now.left_s >= 0


def test_a_clip_first_times_the_photos_after_it_per_pixel() -> None:
    clock = Clock()
    batch_clock = BatchClock([("clip", ClipHint(50, 1000, 1000)), ("photo", None)],
                             clock=clock)
    batch_clock.started("clip")
    batch_clock.clip("clip", JobProgress("search", 50, 50, 10.0, 5.0))
    clock.t += 5.5
    batch_clock.finished("clip", _ok(40, 25, frames=50))
    # 0.1 s to search a 1,000-pixel frame, 0.01 s to write it: a 12 MP photo is guessed at
    # 12,000 such frames' worth until one is timed
    assert batch_clock.now().left_s == pytest.approx(0.11 / 1000 * 12_000_000)
    batch_clock.started("photo")
    clock.t += 3
    batch_clock.finished("photo", _ok())
    assert batch_clock.now().left_s == 0 and batch_clock.now().fraction == 1.0


def test_frame_count_and_size_come_from_the_header_without_a_decoder(tmp_path: Path) -> None:
    for name in ("a.mp4", "a.mov"):
        clip = make_clip(tmp_path / name, n=30, size=(176, 96))
        header = video_header(clip)
        assert header is not None and (header.frames, header.width, header.height) == (30, 176,
                                                                                      96)
    assert video_header(make_clip(tmp_path / "a.mkv", n=30)) is None  # Matroska: not said
    whole = (tmp_path / "a.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])  # the header (at the end) is gone
    assert video_header(cut) is None
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"\x00\x00\x00\x10moov" + b"\xff" * 64)
    assert video_header(junk) is None
    assert video_header(tmp_path / "missing.mp4") is None
