"""Killing a batch midway loses nothing: no partial file, and a rerun finishes the rest.

The CLI runs as a real subprocess on a folder of photos and is killed (SIGKILL, as by a crash
or power-off of the terminal, and SIGINT, as by Ctrl-C) once some outputs have appeared.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil.verify import verify_file
from crowdveil.write_clean import TEMP_PREFIX, TEMP_SUFFIX, remove_stale_temps
from tests import plant

N_PHOTOS = 20
WIDTH, HEIGHT = 640, 480
FORMATS = {".jpg": "jpeg", ".png": "png", ".webp": "webp"}


@pytest.fixture(scope="module")
def photos(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = tmp_path_factory.mktemp("photos")
    face = plant.face_image(256)
    rng = np.random.default_rng(1)
    for i in range(N_PHOTOS):
        canvas = rng.integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
        canvas[100:356, 200:456] = face
        sub = src / ("day2" if i % 2 else "day1")
        sub.mkdir(exist_ok=True)
        Image.fromarray(canvas).save(sub / f"IMG_{i:04d}.jpg", quality=90)
    return src


def _sha_tree(folder: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()}


def _cli(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "crowdveil.cli", *map(str, args)]


def _outputs(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]


def _temps(out: Path) -> list[Path]:
    return [p for p in out.rglob(f"{TEMP_PREFIX}*{TEMP_SUFFIX}")]


def _all_verify(files: list[Path]) -> None:
    for p in files:
        verify_file(p, FORMATS[p.suffix], WIDTH, HEIGHT)  # raises if partial or not clean


def _like_a_terminal() -> None:
    # A command started in the background by a non-interactive shell (`cmd &`, as CI runners
    # may do) inherits SIGINT ignored, and Python then keeps ignoring it. Ctrl-C in a terminal
    # reaches a process whose SIGINT is at its default: test that case.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _start_and_kill(photos: Path, out: Path, sig: signal.Signals) -> subprocess.Popen:
    proc = subprocess.Popen(_cli(photos, "-o", out, "-j", "2", "-q"), start_new_session=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            preexec_fn=_like_a_terminal)
    while len(_outputs(out)) < 3 and proc.poll() is None:
        time.sleep(0.01)
    os.killpg(proc.pid, sig)  # the whole group, like a terminal does
    proc.wait(60)
    return proc


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT, signal.SIGTERM])
def test_killed_batch_leaves_only_whole_files_and_a_rerun_finishes_it(
    photos: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    before = _sha_tree(photos)
    out = tmp_path / "out"
    proc = _start_and_kill(photos, out, sig)
    done_before = _outputs(out)
    assert 3 <= len(done_before) < N_PHOTOS, "the batch was not stopped midway"
    _all_verify(done_before)  # every file under a final name is whole and clean
    if sig != signal.SIGKILL:  # a signal crowdveil can handle: it cleans up before exiting
        assert proc.returncode == 130
        assert "interrupted" in proc.stderr.read().decode()
        assert _temps(out) == []

    report = tmp_path / "report.json"
    rerun = subprocess.run(_cli(photos, "-o", out, "-j", "2", "--report", report),
                           capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    rows = json.loads(report.read_text())["files"]
    skipped = {Path(r["output"]) for r in rows if r["status"] == "skipped"}
    assert skipped == set(done_before)  # each photo done before the kill is not redone
    assert sum(r["status"] == "ok" for r in rows) == N_PHOTOS - len(done_before)
    assert f"{len(done_before)} skipped" in rerun.stderr
    outputs = _outputs(out)
    assert len(outputs) == N_PHOTOS
    _all_verify(outputs)
    assert _temps(out) == []  # including any a SIGKILL left behind
    assert _sha_tree(photos) == before


def test_rerun_reports_an_output_changed_since_it_was_written_and_keeps_it(
    photos: Path, tmp_path: Path
) -> None:
    one = photos / "day1" / "IMG_0000.jpg"
    out = tmp_path / "out"
    assert subprocess.run(_cli(one, "-o", out, "-q"), timeout=300).returncode == 0
    done = out / "IMG_0000.jpg"
    done.write_bytes(done.read_bytes() + b"appended after crowdveil wrote it")
    rerun = subprocess.run(_cli(one, "-o", out), capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 1
    lines = [ln for ln in rerun.stderr.splitlines() if ln.startswith("crowdveil: error:")]
    assert len(lines) == 1
    assert "not a file crowdveil wrote" in lines[0] and "IMG_0000.jpg" in lines[0]
    assert done.read_bytes().endswith(b"appended after crowdveil wrote it")  # not ours to delete


def test_temporary_files_of_dead_runs_are_removed_and_live_ones_kept(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        stale = tmp_path / f"{TEMP_PREFIX}{dead.pid}-abc{TEMP_SUFFIX}"
        busy = tmp_path / f"{TEMP_PREFIX}{live.pid}-def{TEMP_SUFFIX}"
        other = tmp_path / "IMG_1.jpg"
        for p in (stale, busy, other):
            p.write_bytes(b"x")
        assert remove_stale_temps([tmp_path]) == [stale]
        assert sorted(tmp_path.iterdir()) == sorted([busy, other])
    finally:
        live.kill()
        live.wait()


def _wait_until_zombie(pid: int) -> None:
    for _ in range(500):
        with open(f"/proc/{pid}/stat") as f:
            if f.read().rpartition(")")[2].split()[0] == "Z":
                return
        time.sleep(0.01)
    raise AssertionError(f"process {pid} did not exit")


def test_a_killed_worker_left_unreaped_does_not_keep_its_temporary_file(tmp_path: Path) -> None:
    # When a batch is killed whole, its workers become orphans, and an init that never reaps
    # (as in some containers) leaves them zombies: they answer "alive" to signal 0 for ever.
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        _wait_until_zombie(zombie.pid)
        left = tmp_path / f"{TEMP_PREFIX}{zombie.pid}-abc{TEMP_SUFFIX}"
        left.write_bytes(b"x")
        assert remove_stale_temps([tmp_path]) == [left]
    finally:
        zombie.wait()


def test_a_temporary_file_older_than_the_process_now_holding_its_pid_is_stale(
    tmp_path: Path,
) -> None:
    # Pids are reused: the live process with this pid started after the file was last
    # written, so it cannot be the run that wrote it.
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        left = tmp_path / f"{TEMP_PREFIX}{live.pid}-abc{TEMP_SUFFIX}"
        left.write_bytes(b"x")
        an_hour_ago = time.time() - 3600
        os.utime(left, (an_hour_ago, an_hour_ago))
        assert remove_stale_temps([tmp_path]) == [left]
    finally:
        live.kill()
        live.wait()
