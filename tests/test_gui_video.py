"""Videos in the app: the worker tasks the window will ask for (check, one frame, export).

Clips are generated here (160x120, a few dozen frames, a bright square where a face would be)
and the detector is a fake that finds the square, so the tests measure what the app's video
tasks do with detections and with the regions the user adds, not the model.
"""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pytest

from crowdveil.detect.base import Detection
from crowdveil.gui import tasks
from crowdveil.gui.video_tasks import (
    UserRegion,
    VideoChanged,
    VideoChecked,
    VideoCheckTask,
    VideoExportTask,
    VideoFrame,
    VideoFrameTask,
    check_clip,
    write_clip,
)
from crowdveil.pipeline import FileResult, Options
from crowdveil.regions import Region

W, H, N = 160, 120, 30
FACE = (40, 30, 32, 32)  # x, y, w, h of the planted "face" (a textured square)
MARK = (110, 70, 30, 30)  # where the user draws a region: nothing is detected there


def scene(t: int) -> np.ndarray:
    rng = np.random.default_rng(t)
    frame = np.full((H, W, 3), 150, np.uint8)
    x, y, w, h = FACE
    frame[y:y + h, x:x + w] = rng.integers(200, 255, (h, w, 3), dtype=np.uint8)
    mx, my, mw, mh = MARK
    frame[my:my + mh, mx:mx + mw] = (230, 230, 40)  # a bright yellow patch: the user hides it
    frame[:4, :4 + t * 4] = 0  # a frame counter, readable after compression
    return frame


def make_clip(path: Path, n: int = N) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for t in range(n):
            for p in s.encode(av.VideoFrame.from_ndarray(scene(t), format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


class SquareDetector:
    """Finds the planted square in every frame."""

    name = "square"

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        return [Detection(*[float(v) for v in FACE], 0.9, "square")]


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def patch_mean(frame: np.ndarray, rect: tuple[int, int, int, int]) -> np.ndarray:
    x, y, w, h = rect
    return frame[y + 4:y + h - 4, x + 4:x + w - 4].reshape(-1, 3).mean(0)


def is_yellow(frame: np.ndarray) -> bool:
    r, g, b = patch_mean(frame, MARK)
    return bool(r > 180 and g > 180 and b < 110)


@pytest.fixture
def clip(tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    return make_clip(tmp_path / "in" / "march.mp4")


def test_check_gives_every_frame_its_regions_and_a_thumbnail(clip: Path) -> None:
    result = tasks.run_task(VideoCheckTask(clip), SquareDetector(), Options())
    assert isinstance(result, VideoChecked)
    assert (result.width, result.height, result.frames) == (W, H, N)
    assert result.duration_s == pytest.approx(N / 30, abs=0.05)
    assert len(result.regions) == N
    fx, fy, fw, fh = FACE
    for frame_regions in result.regions:  # the tracker's head region covers the square
        assert any(r.x <= fx and r.y <= fy and r.x + r.w >= fx + fw and r.y + r.h >= fy + fh
                   for r in frame_regions)
    assert result.thumb.shape[2] == 3 and max(result.thumb.shape[:2]) <= tasks.THUMB_SIDE


def test_a_frame_task_gives_frame_k(clip: Path) -> None:
    checked = check_clip(clip, SquareDetector())
    for k in (0, 7, N - 1):
        got = tasks.run_task(VideoFrameTask(clip, checked.digest, k), SquareDetector(), Options())
        assert isinstance(got, VideoFrame) and got.index == k
        # the counter bar drawn in frame k is 4 + 4k px wide
        assert got.pixels[1, 4 * k + 1].max() < 60
        assert got.pixels[1, 4 * k + 8].max() > 100


def test_a_changed_clip_is_refused(clip: Path) -> None:
    checked = check_clip(clip, SquareDetector())
    make_clip(clip, n=N - 2)
    got = tasks.run_task(VideoFrameTask(clip, checked.digest, 0), SquareDetector(), Options())
    assert isinstance(got, VideoChanged)
    task = VideoExportTask(clip, checked.digest, clip.parent.parent / "out" / "march",
                           checked.regions, [], clip.parent.parent / "out", "k")
    assert isinstance(tasks.run_task(task, SquareDetector(), Options()), VideoChanged)
    assert not (clip.parent.parent / "out" / "march.mp4").exists()


def test_a_user_region_is_destroyed_in_exactly_its_frames(clip: Path) -> None:
    checked = check_clip(clip, SquareDetector())
    first, last = 10, 19
    drawn = Region(*MARK, "rect", 1.0, "manual")
    out = clip.parent.parent / "out"
    task = VideoExportTask(clip, checked.digest, out / "march", checked.regions,
                           [UserRegion(drawn, first, last)], out, "key")
    result = tasks.run_task(task, SquareDetector(), Options())
    assert isinstance(result, FileResult) and result.error is None, result
    frames = decoded(out / "march.mp4")
    assert len(frames) == N
    for t, frame in enumerate(frames):
        # the detected face: gone in every frame, as the command line does it
        assert patch_mean(frame, FACE).max() < 60, t
        # the user's region: gone in frames first..last and only there
        assert is_yellow(frame) == (not first <= t <= last), t


def test_a_cancelled_export_leaves_nothing(clip: Path) -> None:
    checked = check_clip(clip, SquareDetector())
    out = clip.parent.parent / "out"
    out.mkdir()

    class Cancelled(Exception):
        pass

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "write" and done == N // 2:
            raise Cancelled

    with pytest.raises(Cancelled):
        write_clip(clip, out / "march.mp4", checked.regions, progress=progress)
    assert os.listdir(out) == []
