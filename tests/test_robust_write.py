"""Outputs appear whole and clean or not at all: disk full, read-only folder, failed check."""

from __future__ import annotations

import errno
import functools
import hashlib
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil import batch, cli, pipeline
from crowdveil.pipeline import Options, process_file
from crowdveil.record import RECORD_NAME
from crowdveil.verify import verify_file
from crowdveil.write_clean import TEMP_PREFIX
from fuzz.harness import StubDetector
from tests import plant

GOOD = plant.jpeg_with_everything(plant.face_image(128))


def stub_detector(settings) -> StubDetector:
    return StubDetector()


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    src = tmp_path / "in" / "IMG_7.jpg"
    src.parent.mkdir()
    src.write_bytes(GOOD)
    return src


def _everything(folder: Path) -> list[str]:
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.rglob("*") if p.name != RECORD_NAME)


class _HalfThenFull:
    """A file object that takes half of what it is given, then the disk is full."""

    def __init__(self, fh) -> None:
        self.fh = fh

    def write(self, data: bytes) -> int:
        self.fh.write(data[: len(data) // 2])
        self.fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str):
        return getattr(self.fh, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.fh.close()


def test_disk_full_mid_write_leaves_no_file_and_says_so(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fdopen = os.fdopen
    monkeypatch.setattr(os, "fdopen", lambda *a, **k: _HalfThenFull(real_fdopen(*a, **k)))
    out = tmp_path / "out"
    result = process_file(photo, out / "IMG_7", StubDetector(), Options())
    assert result.status == "error" and result.output is None
    assert result.error == (f"cannot write {out / 'IMG_7.jpg'}: the disk is full "
                            "(no space left on device)")
    assert result.error_message.values["reason"].code == "os.no_space"
    assert _everything(out) == []
    assert photo.read_bytes() == GOOD


def test_read_only_output_folder_is_one_clear_error(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS))

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    out = tmp_path / "out"
    result = process_file(photo, out / "IMG_7", StubDetector(), Options())
    assert result.error == (f"cannot write in {out}: the disk or folder is read-only: "
                            "nothing can be written there")
    assert _everything(out) == []


def test_a_real_file_size_limit_fails_big_outputs_only(tmp_path: Path) -> None:
    """The kernel refuses writes past RLIMIT_FSIZE, as a full disk refuses them: a real write
    error in the middle of a real file, in a real CLI process."""
    src = tmp_path / "in"
    src.mkdir()
    Image.fromarray(plant.face_image(64)).save(src / "small.jpg")
    noise = np.random.default_rng(3).integers(0, 255, (900, 900, 3), dtype=np.uint8)
    Image.fromarray(noise).save(src / "big.png")  # output ~2.4 MB, far over the limit
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()}
    out = tmp_path / "out"
    limit = 200_000

    def small_files_only() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    proc = subprocess.run(
        [sys.executable, "-m", "crowdveil.cli", str(src), "-o", str(out), "-j", "1"],
        capture_output=True, text=True, timeout=300, preexec_fn=small_files_only,
    )
    assert proc.returncode == 1
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("crowdveil: error:")]
    assert len(errors) == 1 and "big.png" in errors[0] and "File too large" in errors[0]
    assert _everything(out) == ["small.jpg"]
    verify_file(out / "small.jpg", "jpeg", 64, 64)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in src.iterdir()} == before


def _with_comment(real_encode, pixels, fmt, quality=90):
    data = real_encode(pixels, fmt, quality)
    return data[:2] + b"\xff\xfe\x00\x0eshot by ACME" + data[2:]


def _with_trailer(real_encode, pixels, fmt, quality=90):
    return real_encode(pixels, fmt, quality) + b"motion photo video"


@pytest.mark.parametrize("tamper, reason", [
    (_with_comment, "JPEG holds a COM segment"),
    (_with_trailer, "18 bytes follow the JPEG end marker"),
])
def test_an_output_that_fails_verification_is_removed_and_the_exit_code_says_so(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tamper, reason: str,
) -> None:
    monkeypatch.setattr(pipeline, "encode", functools.partial(tamper, pipeline.encode))
    # in-process workers, so the tampered encoder is the one used
    monkeypatch.setattr(cli, "run", functools.partial(batch.run, isolate=False,
                                                      make_detector=stub_detector))
    out = tmp_path / "out"
    assert cli.main([str(photo), "-o", str(out), "-q"]) == 1
    assert _everything(out) == []  # neither the output nor its temporary file
    err = capsys.readouterr().err.strip()
    assert err == f"crowdveil: error: {photo}: {reason}"


def test_no_temporary_file_survives_any_failure_of_the_check(
    photo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(*args, **kwargs):
        raise KeyboardInterrupt  # even an interrupt at the worst moment

    monkeypatch.setattr(pipeline, "verify_file", explode)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        process_file(photo, out / "IMG_7", StubDetector(), Options())
    assert [p for p in _everything(out) if p.startswith(TEMP_PREFIX)] == []
    assert _everything(out) == []
