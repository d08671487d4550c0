"""A clip says how far it is while it runs: pass, frame n of N, frames per second, time left.

The clip runs in a real worker process (spawned, as in a batch); the detector is a fake that
takes a fixed time per frame, so the speed the progress reports can be checked against it.
"""

from __future__ import annotations

import functools
import io
import re
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from crowdveil import batch, cli
from crowdveil.detect import DetectorSettings
from crowdveil.detect.base import Detection
from crowdveil.pipeline import Options
from crowdveil.pool import JobProgress, StageClock, set_progress_sink
from tests.test_video import TruthDetector, make_clip

FRAME_S = 0.025  # the fake detector's time per frame: at most 40 frames/s in the search pass


class SlowTruth(TruthDetector):
    def detect(self, rgb: np.ndarray) -> list[Detection]:
        time.sleep(FRAME_S)
        return super().detect(rgb)


def slow_truth(settings: DetectorSettings) -> SlowTruth:
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
    # 80 frames at 25 ms: 2 s of searching, told about every 0.5 s and at its last frame
    assert 3 <= len(search) <= 6, [h.done for h in search]
    assert write and write[-1].done == write[-1].total == 80
    for stage in (search, write):
        done = [how.done for how in stage]
        assert done == sorted(set(done)), done  # frame numbers only go up
    assert search[-1].done == search[-1].total == 80
    for how in search:
        assert 10 < how.fps <= 1 / FRAME_S + 1, how  # the detector's speed, not a wild number
        assert how.left_s is not None and 0 <= how.left_s < 10
    lefts = [how.left_s for how in search]
    # time left shrinks as the clip goes (a loaded machine may nudge one estimate up a little)
    assert lefts[0] == max(lefts) and lefts[-1] == min(lefts)
    assert all(later <= earlier + 1 for earlier, later in zip(lefts, lefts[1:], strict=False))


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

    # searching is held to the fake detector's pace; writing small frames has no such bound
    assert speeds("searching") and all(0 < s < 1000 for s in speeds("searching"))
    assert speeds("writing") and all(s > 0 for s in speeds("writing"))


def test_progress_is_throttled_and_always_tells_the_last_frame() -> None:
    told: list[JobProgress] = []
    previous = set_progress_sink(told.append)
    try:
        clock = StageClock()
        for t in range(1, 2001):  # thousands of fast frames: a few reports, not thousands
            clock("write", t, 2000)
    finally:
        set_progress_sink(previous)
    assert 1 <= len(told) <= 3, [h.done for h in told]
    assert told[-1].done == 2000 and told[-1].fps > 0


def test_time_left_in_french() -> None:
    job = batch.Job(Path("in/clip.mp4"), Path("out/5f3a9c2e1b7d"), renamed=True)
    line = cli.clip_progress(job, JobProgress("search", 30, 1800, 12.5, 185.0), "fr")
    assert line == ("5f3a9c2e1b7d.mp4\u00a0: recherche dans l'image 30 sur 1\u00a0800, "
                    "12,5\u00a0images/s, encore 3\u00a0min 05\u00a0s")
