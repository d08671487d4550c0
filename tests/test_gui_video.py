"""Videos in the app: the worker tasks the window will ask for (check, one frame, export).

Clips are generated here (160x120, a few dozen frames, a bright square where a face would be)
and the detector is a fake that finds the square, so the tests measure what the app's video
tasks do with detections and with the regions the user adds, not the model.
"""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no screen needed

import av  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QPointF, Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402

from crowdveil import pool  # noqa: E402
from crowdveil.detect import DetectorSettings  # noqa: E402
from crowdveil.detect.base import Detection  # noqa: E402
from crowdveil.gui import tasks, video_tasks  # noqa: E402
from crowdveil.gui.isolation import ProcessProvider  # noqa: E402
from crowdveil.gui.main_window import MainWindow  # noqa: E402
from crowdveil.gui.photo_list import Status  # noqa: E402
from crowdveil.gui.video_tasks import (  # noqa: E402
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
from crowdveil.pipeline import FileResult, Options  # noqa: E402
from crowdveil.pool import JobProgress  # noqa: E402
from crowdveil.regions import Region  # noqa: E402
from crowdveil.write_clean import TEMP_PREFIX  # noqa: E402
from tests.plant import encode_clip  # noqa: E402

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
    return encode_clip(path, (scene(t) for t in range(n)))


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
    assert len(checked.stamps) == N
    for k in (0, 7, N - 1):
        got = tasks.run_task(VideoFrameTask(clip, checked.digest, k), SquareDetector(), Options())
        assert isinstance(got, VideoFrame) and got.index == k
        # the counter bar drawn in frame k is 4 + 4k px wide
        assert got.pixels[1, 4 * k + 1].max() < 60
        assert got.pixels[1, 4 * k + 8].max() > 100
        # found by seeking to its time stamp: the very same frame
        sought = tasks.run_task(VideoFrameTask(clip, checked.digest, k, pts=checked.stamps[k]),
                                SquareDetector(), Options())
        assert isinstance(sought, VideoFrame)
        assert np.array_equal(sought.pixels, got.pixels)


def test_a_changed_clip_is_refused(clip: Path) -> None:
    checked = check_clip(clip, SquareDetector())
    make_clip(clip, n=N - 2)
    got = tasks.run_task(VideoFrameTask(clip, checked.digest, 0), SquareDetector(), Options())
    assert isinstance(got, VideoChanged)
    task = VideoExportTask(clip, checked.digest, clip.parent.parent / "out" / "march",
                           checked.regions, [], clip.parent.parent / "out", "k")
    assert isinstance(tasks.run_task(task, SquareDetector(), Options()), VideoChanged)
    assert not (clip.parent.parent / "out" / "march.mp4").exists()


def test_an_export_replaces_its_own_stale_clip_but_never_someone_elses(clip: Path) -> None:
    checked = check_clip(clip, SquareDetector())
    out = clip.parent.parent / "out"
    out.mkdir()
    target = out / "march.mp4"
    target.write_bytes(b"someone's own film")

    def export() -> FileResult:
        task = VideoExportTask(clip, checked.digest, out / "march", checked.regions, [], out,
                               "key")
        result = tasks.run_task(task, SquareDetector(), Options())
        assert isinstance(result, FileResult)
        return result

    refused = export()
    assert refused.error_message is not None, refused
    assert refused.error_message.code == "write.not_ours", refused
    assert target.read_bytes() == b"someone's own film"
    target.unlink()
    assert export().error is None
    ours = target.read_bytes()
    target.write_bytes(ours)  # the same bytes: ours by the record, written again
    assert export().error is None and len(decoded(target)) == N


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
        write_clip(clip, out / "march.mp4", checked.regions, Options(), progress=progress)
    assert os.listdir(out) == []


# --- the window -----------------------------------------------------------------------------

WAIT_MS = 60_000


@pytest.fixture
def window(qtbot):
    w = MainWindow(detector_factory=SquareDetector)
    qtbot.addWidget(w)  # closed at teardown, which stops its threads
    w.resize(1280, 800)
    w.show()
    return w


def _settled(window) -> bool:
    return all(i.status not in (Status.QUEUED, Status.ANALYSING) for i in window.model.items)


def _shown(window, x: int, y: int) -> tuple[int, int, int]:
    c = window.view._pixmap_item.pixmap().toImage().pixelColor(x, y)
    return c.red(), c.green(), c.blue()


def test_a_dropped_folder_lists_its_clip_with_duration_and_thumbnail(qtbot, window,
                                                                       clip: Path) -> None:
    window.add_paths([clip.parent])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    [item] = window.model.items
    assert item.status is Status.READY, item.status_text()
    assert "1.0 s" in item.status_text() and "30 frame" in item.status_text()
    assert item.thumb is not None and item.frames == N


def test_the_scrubber_shows_frame_k_with_its_regions(qtbot, window, clip: Path) -> None:
    window.add_paths([clip])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    assert window.scrub_row.isVisible() and window.scrubber.accessibleName()
    item = window.current_item()
    window.scrubber.setFocus()
    for _ in range(5):  # the keyboard alone reaches any frame
        QTest.keyClick(window.scrubber, Qt.Key.Key_Right)
    k = 5
    qtbot.waitUntil(lambda: item.pixels is not None and item.frame == k
                    and window.stack.currentWidget() is window.view, timeout=WAIT_MS)
    assert "6" in window.frame_label.text()
    # frame k's counter bar (4 + 4k px) is what the view shows
    assert max(_shown(window, 4 * k + 1, 1)) < 60 and max(_shown(window, 4 * k + 8, 1)) > 100
    cx, cy = FACE[0] + FACE[2] // 2, FACE[1] + FACE[3] // 2
    assert _shown(window, cx, cy) != (0, 0, 0)
    window.preview_action.trigger()  # the regions that will be destroyed in this frame
    assert _shown(window, cx, cy) == (0, 0, 0)


def draw_over_mark(window: MainWindow) -> None:
    mx, my, mw, mh = MARK
    viewport = window.view.viewport()
    start = window.view.mapFromScene(QPointF(mx - 2, my - 2))
    end = window.view.mapFromScene(QPointF(mx + mw + 2, my + mh + 2))
    QTest.mousePress(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, start)
    QTest.mouseMove(viewport, (start + end) / 2)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                       end)


def open_and_draw_over_mark(qtbot, window: MainWindow, clip: Path):
    """The clip added, checked and shown, with one region drawn by mouse over the mark."""
    window.add_paths([clip])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    item = window.current_item()
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view, timeout=WAIT_MS)
    draw_over_mark(window)
    return item


def test_a_region_drawn_on_a_clip_is_destroyed_in_every_frame_of_the_export(
        qtbot, window, clip: Path, tmp_path: Path) -> None:
    item = open_and_draw_over_mark(qtbot, window, clip)
    assert len(item.regions) == 1
    out = tmp_path / "out"
    window.choose_folder = lambda: out
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        assert window.export_all()
    assert [r.status for r in window.results] == ["ok"], window.results
    frames = decoded(out / "march.mp4")
    assert len(frames) == N
    for t, frame in enumerate(frames):
        assert patch_mean(frame, FACE).max() < 60, t
        assert not is_yellow(frame), t
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == ["march.mp4"]


def test_cancel_drops_clips_not_started_and_leaves_no_partial_file(
        qtbot, window, tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "clips"
    folder.mkdir()
    for name in ("a", "b"):
        make_clip(folder / f"{name}.mp4")
    window.add_paths([folder])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    release, started = threading.Event(), []
    real = video_tasks.write_clip

    def held(*args, **kwargs):
        started.append(1)
        assert release.wait(20)
        return real(*args, **kwargs)

    monkeypatch.setattr(video_tasks, "write_clip", held)
    out = tmp_path / "out"
    window.choose_folder = lambda: out
    assert window.export_all()
    qtbot.waitUntil(lambda: len(started) == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        window.cancel_button.click()
        release.set()
    assert len(started) == 1
    # the clip running in this process's fake provider finishes whole; the other never starts
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["a.mp4"]
    assert len(decoded(out / "a.mp4")) == N


def test_in_french_the_clip_and_the_scrubber_speak_french(qtbot, qapp, clip: Path) -> None:
    from crowdveil.gui import language

    language.install("fr")
    try:
        w = MainWindow(detector_factory=SquareDetector)
        qtbot.addWidget(w)
        w.show()
        w.add_paths([clip])
        qtbot.waitUntil(lambda: _settled(w), timeout=WAIT_MS)
        text = w.current_item().status_text()
        assert "vidéo, 1,0\u00a0s, 30 images" in text, text
        assert "jusqu’à 1 zone par image" in text, text
        assert w.scrubber.accessibleName() == "Image"
        assert w.frame_label.text() == "Image 1 sur 30"
    finally:
        language.install("en")


def square_detector(settings: object) -> SquareDetector:
    """For worker processes (spawned: a module-level function)."""
    return SquareDetector()


def slow_writer(task, detector, options):  # noqa: ANN001, ANN201
    """The app's work, with a clip's encoding slowed so that Cancel lands while it runs."""
    if isinstance(task, VideoExportTask):
        return video_tasks.run_video_task(task, detector,
                                          progress=lambda stage, done, total: time.sleep(0.1))
    return tasks.run_task(task, detector, options)


def test_cancel_stops_a_clip_being_written_in_a_worker_and_leaves_no_partial_file(
        qtbot, clip: Path, tmp_path: Path) -> None:
    provider = ProcessProvider(square_detector, DetectorSettings(), timeout=60, work=slow_writer)
    w = MainWindow(provider=provider)
    qtbot.addWidget(w)  # closed at teardown, which stops the workers
    w.show()
    w.add_paths([clip])
    qtbot.waitUntil(lambda: _settled(w), timeout=WAIT_MS)
    assert w.current_item().status is Status.READY
    out = tmp_path / "out"
    w.choose_folder = lambda: out
    assert w.export_all()

    def temp_files() -> list[str]:
        return [p.name for p in out.iterdir() if p.name.startswith(TEMP_PREFIX)] \
            if out.is_dir() else []

    qtbot.waitUntil(lambda: bool(temp_files()), timeout=WAIT_MS)  # the clip is being written
    with qtbot.waitSignal(w.export_finished, timeout=WAIT_MS):
        w.cancel_button.click()
    qtbot.waitUntil(lambda: not temp_files(), timeout=WAIT_MS)  # swept once its worker is gone
    assert [p.name for p in out.iterdir() if not p.name.startswith(".")] == []
    assert w.current_item().status is Status.READY


def test_a_clip_reports_its_frames_while_checked_and_exported(qtbot, window, clip: Path,
                                                             tmp_path: Path) -> None:
    seen: list[tuple[str, str, int, int]] = []
    window.session.progressed.connect(
        lambda item, kind, p: seen.append((kind, p.stage, p.done, p.total)))
    window.add_paths([clip])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    window.choose_folder = lambda: tmp_path / "out"
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        assert window.export_all()
    # a stage's last frame is always said: the user sees it reach the end
    assert ("check", "search", N, N) in seen and ("export", "write", N, N) in seen


def test_the_panel_says_what_a_clip_reveals_and_that_its_faces_will_be_destroyed(
        qtbot, window, tmp_path: Path) -> None:
    path = encode_clip(tmp_path / "gps.mp4", (scene(t) for t in range(10)),
                      metadata={"location": "+48.8584+002.2945/", "title": "CVMarchTitle"})
    window.add_paths([path])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    lines = " | ".join(window.panel.lines())
    assert "+48.8584+002.2945" in lines and "CVMarchTitle" in lines, lines
    summary = window.panel.summary.text()
    assert "Up to 1 region" in summary and "in a frame will be destroyed" in summary, summary


def test_a_region_trimmed_to_frames_10_to_19_is_destroyed_in_exactly_those_frames(
        qtbot, window, clip: Path, tmp_path: Path) -> None:
    item = open_and_draw_over_mark(qtbot, window, clip)
    for frame, button in ((10, window.start_here), (19, window.end_here)):
        window.scrubber.setValue(frame)
        qtbot.waitUntil(lambda f=frame: item.frame == f and item.pixels is not None,
                        timeout=WAIT_MS)
        if window.view.selected_index() is None:  # N selects a region, as a user would
            window.next_region_action.trigger()
        assert window.view.selected_index() == 0
        button.click()
    assert "frames 11 to 20" in window.status_label.text()  # said as people count: from 1
    out = tmp_path / "out"
    window.choose_folder = lambda: out
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        assert window.export_all()
    frames = decoded(out / "march.mp4")
    assert len(frames) == N
    for t, frame in enumerate(frames):
        assert patch_mean(frame, FACE).max() < 60, t
        assert is_yellow(frame) == (not 10 <= t <= 19), t
    drawn = item.regions[0].source
    window.undo_action.trigger()  # the end, then the start, come back off
    window.undo_action.trigger()
    assert "@" in drawn and "@" not in item.regions[0].source


def test_the_export_bar_counts_the_clips_frames_and_its_time_left_goes_down(
        qtbot, window, tmp_path: Path, monkeypatch) -> None:
    """Two clips and a photo: the bar says the frames of both clips from the start, and a time
    left from the run's own speed that only goes down. The export's events are played to the
    window on a fake clock (its real workers are not asked), so no figure depends on timing."""
    folder = tmp_path / "mix"
    folder.mkdir()
    make_clip(folder / "a.mp4", n=N)
    make_clip(folder / "b.mp4", n=20)
    Image.fromarray(scene(0)).save(folder / "c.png")
    window.add_paths([folder])
    qtbot.waitUntil(lambda: _settled(window), timeout=WAIT_MS)
    assert [i.status for i in window.model.items] == [Status.READY] * 3
    now = [0.0]
    monkeypatch.setattr(pool, "monotonic", lambda: now[0])
    asked: list = []
    monkeypatch.setattr(window.session, "export", asked.extend)
    window.choose_folder = lambda: tmp_path / "out"
    assert window.export_all()
    item = {i.path.name: i for i, _ in asked}
    shown: list[tuple[str, int]] = []

    def show() -> None:
        shown.append((window.progress.format(), window.progress.value()))

    show()
    window._on_export_started(item["c.png"])
    now[0] += 0.5
    window._on_exported(item["c.png"], FileResult("c.png", status="ok", width=W, height=H))
    show()
    for name, n in (("a.mp4", N), ("b.mp4", 20)):  # each written at 10 frames/s
        window._on_export_started(item[name])
        show()
        for k in range(5, n + 1, 5):
            now[0] += 0.5
            window._on_progress(item[name], "export", JobProgress("write", k, n, 10.0,
                                                                  (n - k) / 10))
            show()
        window._on_exported(item[name], FileResult(name, status="ok", width=W, height=H,
                                                   video={"frames": n}))
        show()
    texts = [text for text, _ in shown]
    assert texts[0] == "0 of 3 files, 0 of 50 frames, time left not known yet"
    assert texts[-1] == "3 of 3 files, 50 of 50 frames, about 0 s left"
    assert shown[-1][1] == window.progress.maximum()
    assert all(" of 50 frames, " in t for t in texts)
    lefts = [int(m.group(1)) for t in texts if (m := re.search(r"about (\d+) s left", t))]
    # the photo's 0.5 s for its 19,200 pixels: both clips' frames guessed at as much, 25 s;
    # then clip a's own speed, 0.1 s a frame
    assert lefts[0] == 25 and lefts == sorted(lefts, reverse=True) and len(set(lefts)) >= 5
    values = [value for _, value in shown]
    assert values == sorted(values)
