"""A clip says how far it is while it runs: pass, frame n of N, frames per second, time left.

The clip runs in a real worker process (spawned, as in a batch). Time there is a fake clock:
every reading advances it by TICK_S and each frame the fake detector searches by FRAME_S, so
the speed and the time left the progress reports are fixed by the test, whatever the load of
the machine running it (no sleep, no real time).
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

from crowdveil import batch, cli, pool
from crowdveil.detect import DetectorSettings
from crowdveil.detect.base import Detection
from crowdveil.pipeline import Options
from crowdveil.pool import JobProgress, StageClock, set_progress_sink
from tests.test_video import TruthDetector, make_clip

FRAME_S = 2**-5  # the fake detector's time per frame (binary fractions: sums stay exact)
TICK_S = 2**-10  # what each reading of the clock costs
SEARCH_FPS = 1 / (FRAME_S + TICK_S)  # the progress reads the clock once per frame
WRITE_FPS = 1 / TICK_S


class TickClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        self.now += TICK_S
        return self.now


CLOCK = TickClock()


class SlowTruth(TruthDetector):
    def detect(self, rgb: np.ndarray) -> list[Detection]:
        CLOCK.now += FRAME_S
        return super().detect(rgb)


def slow_truth(settings: DetectorSettings) -> SlowTruth:
    # Called in the worker process that searches the clip: its progress runs on the fake clock.
    pool.monotonic = CLOCK  # type: ignore[assignment]
    return SlowTruth()


def test_a_clip_in_a_worker_reports_frames_speed_and_time_left(tmp_path: Path) -> None:
    clip = make_clip(tmp_path / "march.mp4", n=80)
    jobs = batch.plan([clip], tmp_path / "out").jobs
    seen: list[tuple[str, JobProgress]] = []
    results = batch.run(jobs, Options(), make_detector=slow_truth,
                        on_progress=lambda job, how: seen.append((job.source.name, how)))
    assert [r.status for r in results] == ["ok"]
    assert {name for name, _ in seen} == {"march.mp4"}
    reports = [how for _, how in seen]
    stages = [how.stage for how in reports]
    assert stages == sorted(stages, key=["search", "write"].index)  # searching, then writing
    search = [how for how in reports if how.stage == "search"]
    write = [how for how in reports if how.stage == "write"]
    # 80 frames of 33 ms: 2.6 s of searching, told every 0.5 s and at its last frame
    assert len(search) == 5, [h.done for h in search]
    assert write and write[-1].done == write[-1].total == 80
    for stage in (search, write):
        done = [how.done for how in stage]
        assert done == sorted(set(done)), done  # frame numbers only go up
    assert search[-1].done == search[-1].total == 80
    for how in search:
        assert how.fps == pytest.approx(SEARCH_FPS), how  # the detector's own pace
        # the frames left to search, and as many to write, at the search's pace
        assert how.left_s == pytest.approx((80 - how.done + 80) / SEARCH_FPS), how
    lefts = [how.left_s for how in search]
    assert lefts == sorted(lefts, reverse=True) and lefts[-1] == pytest.approx(80 / SEARCH_FPS)
    assert write[-1].fps == pytest.approx(WRITE_FPS)


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_under_rename_names_the_clip_by_its_random_name_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    clip = make_clip(tmp_path / "jane-doe-at-the-march.mp4", n=40)
    monkeypatch.setattr(cli, "run", functools.partial(batch.run, make_detector=slow_truth))
    monkeypatch.setattr(cli, "resolve_device", lambda settings: SimpleNamespace(
        settings=settings, device="cpu", precision="fp32", notes=()))
    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "--rename", "-j", "1"]) == 0
    [written] = [p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".mp4"]
    # what the bar showed while the clip ran: tqdm redraws the line after a carriage return
    shown = [part for part in re.split(r"[\r\n]", screen.getvalue()) if " frame " in part]
    assert any("searching frame" in part for part in shown), screen.getvalue()
    assert any("writing frame 40 of 40" in part for part in shown), screen.getvalue()
    assert all(written in part for part in shown), shown
    assert not [part for part in shown if "jane" in part or "march" in part]
    def speeds(stage: str) -> list[float]:
        return [float(s) for part in shown if stage in part
                for s in re.findall(r"([\d.]+) frames/s", part)]

    # the bar shows the worker's speeds as the fake clock made them (one decimal on screen)
    assert speeds("searching") and all(s == pytest.approx(SEARCH_FPS, abs=0.06)
                                       for s in speeds("searching"))
    assert speeds("writing") and all(s == pytest.approx(WRITE_FPS, abs=0.06)
                                     for s in speeds("writing"))


def test_progress_is_throttled_and_always_tells_the_last_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pool, "monotonic", TickClock())
    told: list[JobProgress] = []
    previous = set_progress_sink(told.append)
    try:
        clock = StageClock()
        for t in range(1, 2001):  # 2,000 fast frames: a report each 0.5 s, not thousands
            clock("write", t, 2000)
    finally:
        set_progress_sink(previous)
    assert [h.done for h in told] == [513, 1025, 1537, 2000]  # 512 ticks after the first
    assert told[-1].fps == pytest.approx(WRITE_FPS)


def test_time_left_in_french() -> None:
    job = batch.Job(Path("in/clip.mp4"), Path("out/5f3a9c2e1b7d"), renamed=True)
    line = cli.clip_progress(job, JobProgress("search", 30, 1800, 12.5, 185.0), "fr")
    assert line == ("5f3a9c2e1b7d.mp4\u00a0: recherche dans l'image 30 sur 1\u00a0800, "
                    "12,5\u00a0images/s, encore 3\u00a0min 05\u00a0s")
