"""One photo that hangs or kills its worker costs that photo only: the batch goes on.

The hostile behaviour is injected as the batch's work function (run in real spawned worker
processes), so these tests exercise the real worker pool, time limit and restart logic.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil import batch
from crowdveil.detect import Detection, DetectorSettings
from crowdveil.pipeline import FileResult, Options
from crowdveil.verify import verify_file
from tests.outputs import published


class StubDetector:
    """Finds one 'face' in the middle: cheap, and the redaction path still runs."""

    name = "stub"

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        return [Detection(w * 0.4, h * 0.4, w * 0.2, h * 0.2, 0.9, self.name)]


def stub_detector(settings: DetectorSettings) -> StubDetector:
    return StubDetector()


def broken_detector(settings: DetectorSettings) -> StubDetector:
    raise RuntimeError("model file missing\nsecond line")


def hostile_work(job: batch.Job, detector, options: Options) -> FileResult:
    """Behaves like a decoder meeting a hostile file when the file name says so."""
    name = job.source.name
    if name.startswith("hang"):
        time.sleep(3600)
    if name.startswith("segv"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if name.startswith("oom"):
        os.kill(os.getpid(), signal.SIGKILL)  # what the kernel's OOM killer does
    if name.startswith("exit"):
        os._exit(3)
    if name.startswith("raise"):
        raise ValueError("decoder bug\nwith a second line")
    return batch.process_job(job, detector, options)


def _photos(folder: Path, names: list[str]) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    paths = []
    for name in names:
        path = folder / name
        Image.fromarray(rng.integers(0, 255, (40, 48, 3), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def _run(tmp_path: Path, names: list[str], workers: int, **kw) -> tuple[list, Path]:
    src = tmp_path / "in"
    _photos(src, names)
    out = tmp_path / "out"
    jobs = batch.plan([src], out).jobs
    results = batch.run(jobs, Options(), DetectorSettings(), workers, work=hostile_work,
                        make_detector=stub_detector, **kw)
    return results, out


def _by_name(results: list[FileResult]) -> dict[str, FileResult]:
    return {Path(r.input).name: r for r in results}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_worker_that_dies_costs_only_its_own_photo(tmp_path: Path, workers: int) -> None:
    names = ["a.jpg", "segv.jpg", "b.jpg", "oom.png", "c.png", "exit.jpg", "d.jpg"]
    results, out = _run(tmp_path, names, workers)
    rows = _by_name(results)
    assert sorted(rows) == sorted(names)  # every photo has exactly one row
    for bad, how in (("segv.jpg", "SIGSEGV"), ("oom.png", "SIGKILL"), ("exit.jpg", "exit code 3")):
        assert rows[bad].status == "error"
        assert "worker process died on this photo" in rows[bad].error and how in rows[bad].error
    for good in ("a.jpg", "b.jpg", "c.png", "d.jpg"):
        assert rows[good].status == "ok", rows[good].error
        output = Path(rows[good].output)
        verify_file(output, "png" if good.endswith(".png") else "jpeg", 48, 40)
    assert not list(out.glob(".crowdveil-*"))


def test_a_photo_over_the_time_limit_is_stopped_and_the_batch_goes_on(tmp_path: Path) -> None:
    results, out = _run(tmp_path, ["a.jpg", "hang.jpg", "b.jpg"], workers=1, timeout=1.0)
    rows = _by_name(results)
    assert rows["hang.jpg"].status == "error"
    assert "time limit of 1 s" in rows["hang.jpg"].error
    assert rows["a.jpg"].status == rows["b.jpg"].status == "ok"
    assert sorted(p.name for p in published(out)) == ["a.jpg", "b.jpg"]


def test_an_exception_in_a_worker_is_one_line_naming_the_photo(tmp_path: Path) -> None:
    results, _ = _run(tmp_path, ["raise.jpg", "a.jpg"], workers=1)
    row = _by_name(results)["raise.jpg"]
    assert row.status == "error" and row.input.endswith("raise.jpg")
    assert row.error == "internal error: ValueError: decoder bug"


def test_a_detector_that_cannot_start_stops_the_batch_with_one_line(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _photos(src, ["a.jpg"])
    jobs = batch.plan([src], tmp_path / "out").jobs
    with pytest.raises(batch.BatchError) as exc:
        batch.run(jobs, Options(), DetectorSettings(), 1, make_detector=broken_detector)
    assert str(exc.value) == "the face detector does not start: RuntimeError: model file missing"


def test_results_come_back_through_on_result_as_they_finish(tmp_path: Path) -> None:
    src = tmp_path / "in"
    _photos(src, ["a.jpg", "b.jpg", "c.jpg"])
    seen: list[FileResult] = []
    results = batch.run(batch.plan([src], tmp_path / "out").jobs, Options(), None, 2,
                        on_result=seen.append, make_detector=stub_detector)
    assert seen == results and len(results) == 3


def test_a_photo_over_32767_px_no_longer_aborts_the_detector(tmp_path: Path, detector) -> None:
    """Found by fuzzing: a JPEG 42802 px long made OpenCV inside BlazeFace abort the whole
    process (SIGABRT), which would take the GUI down with it. The whole-picture pass now
    shrinks the picture first, so the photo is cleaned in-process like any other."""
    from crowdveil.pipeline import process_file

    hostile = Path(__file__).parent / "regressions" / "jpeg-side-over-32767-detector-abort.jpg"
    result = process_file(hostile, tmp_path / "out" / "wide", detector, Options())
    assert result.status == "ok", result.error
    assert max(result.width, result.height) > 32767
