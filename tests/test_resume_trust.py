"""A rerun trusts only what crowdveil can prove it wrote, and never reads its own output back.

Issue 11, items 5, 6 and the command line's half of 9, plus the smaller findings on planning
(case-insensitive names), skipped picture types and the pixel limit in `inspect`.
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil import batch, cli, pipeline
from crowdveil.detect import DetectorSettings, Resolved
from crowdveil.detect.base import Detection
from crowdveil.record import RECORD_NAME
from tests import plant
from tests.outputs import published

FACE_BOX = (40, 40, 60, 60)  # where the stub detector "finds" a face in every photo


class BoxDetector:
    """Finds one face at FACE_BOX in every photo, instantly (no model load)."""

    name = "box"

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        x, y, w, h = FACE_BOX
        return [Detection(x, y, w, h, 0.9, "box")]


def box_detector(settings: object) -> BoxDetector:
    return BoxDetector()


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI as users run it, minus the worker processes and the model load (speed only)."""
    monkeypatch.setattr(cli, "run", functools.partial(batch.run, isolate=False,
                                                      make_detector=box_detector))


def photo(seed: int, size: tuple[int, int] = (160, 140)) -> np.ndarray:
    """A textured photo; different seeds give pictures that differ everywhere."""
    rng = np.random.default_rng(seed)
    small = rng.integers(30, 225, size=(size[1] // 8, size[0] // 8, 3), dtype=np.uint8)
    return np.asarray(Image.fromarray(small).resize(size, Image.Resampling.BILINEAR))


def save(path: Path, pixels: np.ndarray, **kwargs: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95, **kwargs)
    return path


def rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(int)


def face_destroyed(path: Path) -> bool:
    x, y, w, h = FACE_BOX
    centre = rgb(path)[y + h // 3 : y + 2 * h // 3, x + w // 3 : x + 2 * w // 3]
    return bool(centre.max() < 40)  # fill: black, give or take JPEG ringing


def looks_like(path: Path, pixels: np.ndarray) -> bool:
    """The output shows this picture (away from the face, within JPEG error)."""
    out = rgb(path)
    return bool(np.abs(out[:30] - pixels[:30].astype(int)).mean() < 6)


def crowdveil(*args: str | Path) -> int:
    return cli.main([str(a) for a in args] + ["-j", "1", "-q"])


# -- item 5: resume trusts only what it wrote ------------------------------------------------


def test_an_unredacted_copy_at_the_output_name_is_never_taken_as_cleaned(tmp_path: Path) -> None:
    pixels = photo(1)
    src = save(tmp_path / "in" / "a.jpg", pixels)
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out) == 0
    done = out / "a.jpg"
    assert face_destroyed(done)
    # someone (or something) puts a clean-looking, metadata-free, unredacted copy there
    save(done, pixels)
    forged = done.read_bytes()
    code = crowdveil(src, "-o", out, "--report", tmp_path / "r.json")
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert code == 1 and rows[0]["status"] == "error"  # not "skipped", not exit 0
    assert done.read_bytes() == forged  # not ours: reported, never silently replaced
    assert crowdveil(src, "-o", out, "--overwrite") == 0
    assert face_destroyed(done)


def test_another_photo_is_never_skipped_as_the_output_of_a_photo_with_the_same_name(
    tmp_path: Path,
) -> None:
    first, second = photo(1), photo(2)
    src = tmp_path / "in"
    save(src / "a.jpg", first)
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out) == 0
    save(src / "a.jpeg", second)  # a new photo whose planned output name is taken
    assert crowdveil(src, "-o", out, "--report", tmp_path / "r.json") == 0
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert all(r["status"] == "ok" for r in rows), rows
    outputs = published(out)
    assert len(outputs) == 2 and all(face_destroyed(p) for p in outputs)
    # every photo has an output that shows it, and not the other one
    assert any(looks_like(p, first) for p in outputs)
    assert any(looks_like(p, second) for p in outputs)


def test_a_photo_changed_since_its_output_was_written_is_cleaned_again(tmp_path: Path) -> None:
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out) == 0
    changed = photo(5)
    save(src, changed)  # e.g. cropped or rotated in another program
    assert crowdveil(src, "-o", out) == 0
    assert looks_like(out / "a.jpg", changed) and face_destroyed(out / "a.jpg")


def test_a_rerun_skips_exactly_what_it_proved_and_writes_nothing_twice(tmp_path: Path) -> None:
    src = tmp_path / "in"
    for i in range(3):
        save(src / f"p{i}.jpg", photo(i))
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out) == 0
    before = {p: p.stat().st_mtime_ns for p in published(out)}
    assert crowdveil(src, "-o", out, "--report", tmp_path / "r.json") == 0
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert [r["status"] for r in rows] == ["skipped"] * 3
    assert {p: p.stat().st_mtime_ns for p in published(out)} == before


def test_a_renamed_batch_resumes_and_its_record_names_no_input(tmp_path: Path) -> None:
    src = tmp_path / "in"
    for i in range(3):
        save(src / f"IMG_48{i}.jpg", photo(i))
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out, "--rename") == 0
    first = sorted(p.name for p in published(out))
    assert crowdveil(src, "-o", out, "--rename") == 0
    assert sorted(p.name for p in published(out)) == first  # resumed, not written again
    record = (out / RECORD_NAME).read_text()
    assert "IMG" not in record and "in/" not in record and str(src) not in record


def test_the_record_is_never_written_through_a_link_to_an_input(tmp_path: Path) -> None:
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    original = src.read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(src, out / RECORD_NAME)
    crowdveil(src, "-o", out)
    assert src.read_bytes() == original


# -- item 9, command line: other options mean other outputs ----------------------------------


@pytest.mark.parametrize("change", [["--method", "mosaic"], ["--threshold", "0.3"],
                                    ["--paranoid"], ["--quality", "70"]])
def test_a_rerun_with_other_options_redoes_the_outputs(tmp_path: Path, change: list[str]) -> None:
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out, "--method", "fill") == 0
    report = tmp_path / "r.json"
    assert crowdveil(src, "-o", out, *(change if change[0] == "--method" else
                                       ["--method", "fill", *change]), "--report", report) == 0
    assert json.loads(report.read_text())["files"][0]["status"] == "ok"  # redone, not skipped


def test_a_photo_searched_with_int8_is_searched_again_when_fp32_is_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """int8 misses faces fp32 finds (README): its outputs must not stand in for fp32's."""
    def pinned(settings: DetectorSettings) -> Resolved:
        precision = "int8" if settings.precision == "int8" else "fp32"  # auto means fp32
        return Resolved(replace(settings, device="cpu", precision=precision), "cpu", precision,
                        ())

    monkeypatch.setattr(cli, "resolve_device", pinned)
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    out, report = tmp_path / "out", tmp_path / "r.json"

    assert crowdveil(src, "-o", out, "--precision", "int8") == 0
    assert crowdveil(src, "-o", out, "--report", report) == 0  # auto: fp32
    assert json.loads(report.read_text())["files"][0]["status"] == "ok"  # redone, not skipped
    report.unlink()
    assert crowdveil(src, "-o", out, "--precision", "fp32", "--report", report) == 0
    assert json.loads(report.read_text())["files"][0]["status"] == "skipped"  # fp32 == auto


# -- item 6: an output folder inside the input is never read back ----------------------------


@pytest.mark.parametrize("form", ["relative", "dot", "dotdot", "absolute", "link-in", "link-out"])
def test_an_output_folder_inside_the_input_is_never_read_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, form: str
) -> None:
    monkeypatch.chdir(tmp_path)
    for i in range(2):
        save(tmp_path / "photos" / f"p{i}.jpg", photo(i))
    os.symlink(tmp_path / "photos", tmp_path / "link")
    inp, outdir = {
        "relative": ("photos", "photos/clean"),
        "dot": ("./photos", "./photos/clean"),
        "dotdot": ("photos", "photos/../photos/clean"),
        "absolute": (str(tmp_path / "photos"), str(tmp_path / "photos" / "clean")),
        "link-in": ("link", "photos/clean"),
        "link-out": ("photos", "link/clean"),
    }[form]
    for _ in range(3):
        crowdveil(inp, "-o", outdir)
        assert len(published(tmp_path / "photos" / "clean")) == 2


# -- smaller findings ------------------------------------------------------------------------


def test_names_that_differ_only_in_case_get_two_outputs(tmp_path: Path) -> None:
    src = tmp_path / "in"
    save(src / "IMG_1.jpg", photo(1))
    save(src / "img_1.jpg", photo(2))
    jobs = batch.plan([src], tmp_path / "out").jobs
    names = [str(j.target_base).casefold() for j in jobs]
    assert len(jobs) == 2 and len(set(names)) == 2  # one file on Windows and macOS otherwise


def test_pictures_of_types_crowdveil_does_not_read_are_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    save(src / "a.jpg", photo(1))
    Image.fromarray(photo(2)).save(src / "b.gif")
    (src / "c.avif").write_bytes(b"\x00\x00\x00\x1cftypavif")
    (src / "notes.txt").write_text("not a picture")
    report = tmp_path / "r.json"
    assert cli.main([str(src), "-o", str(tmp_path / "out"), "-j", "1", "--report",
                     str(report)]) == 0
    err = capsys.readouterr().err
    assert "b.gif" in err and "c.avif" in err and "notes.txt" not in err
    rows = {Path(r["input"]).name if r.get("input") else r["output"]: r
            for r in json.loads(report.read_text())["files"]}
    assert rows["b.gif"]["status"] == rows["c.avif"]["status"] == "skipped"
    assert "2 not read" in err


def test_inspect_keeps_the_pixel_limit_the_photo_is_cleaned_under() -> None:
    # 11000 x 11001 = 121 MP: over the default limit of 120 MP, allowed by --max-megapixels 200
    big = Image.new("1", (11000, 11001))
    buf = io.BytesIO()
    big.save(buf, "TIFF", exif=plant.exif_bytes())  # 1 bit per pixel: 15 MB
    found = pipeline.inspect_bytes(buf.getvalue(), 200_000_000)
    kinds = [f.kind for f in found]
    assert "damaged" not in kinds and "gps" in kinds, found


def test_the_record_holds_output_names_and_digests_only(tmp_path: Path) -> None:
    src = tmp_path / "IMG_4821.jpg"
    src.write_bytes(plant.jpeg_with_everything(photo(3)))
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out) == 0
    facts = [json.loads(line) for line in (out / RECORD_NAME).read_text().splitlines()]
    assert len(facts) == 1
    assert set(facts[0]) == {"v", "output", "output_sha256", "input_tag", "key", "width",
                             "height"}
    # the input appears only keyed: holding the original does not tell which output it became
    plain = hashlib.sha256(src.read_bytes()).hexdigest()
    assert plain not in (out / RECORD_NAME).read_text()
    assert facts[0]["output"] == "IMG_4821.jpg"
    assert not plant.tokens_in((out / RECORD_NAME).read_bytes())  # no planted metadata value


def test_a_file_far_larger_than_any_photo_under_the_limit_is_refused_unread(
    tmp_path: Path,
) -> None:
    from crowdveil.load import max_file_bytes

    src = tmp_path / "padded.jpg"
    with open(src, "wb") as fh:  # sparse: costs no disk, but reading it would cost the memory
        fh.write(plant.jpeg_with_everything(photo(1)))
        fh.truncate(max_file_bytes(10_000) + 1)
    result = batch.process_job(batch.plan([src], tmp_path / "out").jobs[0], BoxDetector(),
                               pipeline.Options(max_pixels=10_000))
    assert result.status == "error" and "over the limit" in result.error
    assert "bytes" in result.error


def test_a_pipe_named_like_a_photo_is_refused_without_waiting(tmp_path: Path) -> None:
    import threading

    fifo = tmp_path / "x.jpg"
    os.mkfifo(fifo)
    job = batch.plan([fifo], tmp_path / "out").jobs[0]
    results: list[pipeline.FileResult] = []
    reader = threading.Thread(
        target=lambda: results.append(batch.process_job(job, BoxDetector(), pipeline.Options())),
        daemon=True)
    reader.start()
    reader.join(60)  # a liveness bound, not a speed check: the old reader waited forever
    if reader.is_alive():  # release it, so the failure is reported instead of hanging the suite
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
    assert results and results[0].status == "error", "the reader waited on the pipe"
    assert "not a regular file" in results[0].error


def test_a_renamed_batch_is_written_in_an_order_unrelated_to_the_camera_sequence(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in"
    for i in range(40):
        (src / f"IMG_{i:04d}.jpg").parent.mkdir(parents=True, exist_ok=True)
        (src / f"IMG_{i:04d}.jpg").write_bytes(b"")
    orders = {tuple(j.source.name for j in batch.plan([src], tmp_path / "o", rename=True).jobs)
              for _ in range(3)}
    in_sequence = tuple(sorted(p.name for p in src.iterdir()))
    # three shuffles of 40 photos all equal to camera order: about one chance in 10^142
    assert in_sequence not in orders


def test_each_photo_s_bytes_are_hashed_once_and_recorded_as_the_input(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The resume check's digest of the input is the one recorded (a 12 MP photo's bytes were
    # hashed twice per run); a rerun must still prove the output from it.
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    data = src.read_bytes()
    hashed: list[bytes] = []

    def counting(blob: bytes) -> str:
        hashed.append(blob)
        return hashlib.sha256(blob).hexdigest()

    monkeypatch.setattr(batch, "digest_bytes", counting)
    monkeypatch.setattr(pipeline, "digest_bytes", counting)
    out = tmp_path / "out"
    assert crowdveil(src, "-o", out) == 0
    assert sum(blob == data for blob in hashed) == 1
    assert face_destroyed(out / "a.jpg")
    assert crowdveil(src, "-o", out, "--report", tmp_path / "r.json") == 0
    rows = json.loads((tmp_path / "r.json").read_text())["files"]
    assert [r["status"] for r in rows] == ["skipped"]
