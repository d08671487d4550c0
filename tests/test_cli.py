"""The batch CLI as a script sees it: exit codes, report, inputs untouched, bad files skipped."""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil import cli
from tests import plant
from tests.outputs import published

FACE = plant.face_image(256)


def _png(width: int, height: int, idat: bytes = b"") -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(
            ">I", zlib.crc32(kind + body) & 0xFFFFFFFF
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat)
            + chunk(b"IEND", b""))


def _good_jpeg() -> bytes:
    return plant.jpeg_with_everything(FACE)


BAD_FILES = {
    "truncated.jpg": lambda: _good_jpeg()[:3000],
    "empty.png": lambda: b"",
    "text.jpg": lambda: b"this is not a picture at all\n" * 20,
    "crc.png": lambda: _png(64, 64, zlib.compress(b"\x00" * (64 * 3 + 1) * 64)).replace(
        b"IHDR", b"IHDR", 1)[:29] + b"\x00\x00\x00\x00" + _png(64, 64)[33:],
    "bomb.png": lambda: _png(40000, 40000, zlib.compress(b"\x00" * 1000)),
    "html.webp": lambda: b"<html><body>download page</body></html>",
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(*args: str | Path) -> int:
    return cli.main([str(a) for a in args])


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    src = tmp_path / "photos"
    (src / "day1").mkdir(parents=True)
    (src / "day1" / "IMG_0001.jpg").write_bytes(_good_jpeg())
    (src / "IMG_0002.png").write_bytes(plant.png_with_text(FACE))
    (src / "IMG_0003.webp").write_bytes(plant.webp_with_exif_xmp(FACE))
    return src


def test_clean_batch_exits_0_and_keeps_relative_layout(batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(batch, "-o", out, "-j", "1", "-q") == 0
    written = sorted(p.relative_to(out).as_posix() for p in published(out))
    assert written == ["IMG_0002.png", "IMG_0003.webp", "day1/IMG_0001.jpg"]


def test_inputs_are_byte_identical_after_a_run(batch: Path, tmp_path: Path) -> None:
    before = {p: _sha(p) for p in batch.rglob("*") if p.is_file()}
    mtimes = {p: p.stat().st_mtime_ns for p in before}
    _run(batch, "-o", tmp_path / "out", "-j", "1", "-q")
    assert {p: _sha(p) for p in before} == before
    assert {p: p.stat().st_mtime_ns for p in before} == mtimes
    assert sorted(p for p in batch.rglob("*") if p.is_file()) == sorted(before)


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_input_is_reported_on_one_line_and_the_batch_goes_on(
    name: str, batch: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (batch / name).write_bytes(BAD_FILES[name]())
    out = tmp_path / "out"
    assert _run(batch, "-o", out, "-j", "1", "-q", "--report", tmp_path / "r.json") == 1
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if name in line]
    assert len(lines) == 1 and lines[0].startswith("crowdveil: error: ")
    assert "Traceback" not in err
    assert not list(out.rglob(Path(name).stem + ".*"))  # no output for the bad file
    assert len(published(out)) == 3  # the good ones all written
    report = json.loads((tmp_path / "r.json").read_text())
    row = next(f for f in report["files"] if f["input"].endswith(name))
    assert row["status"] == "error" and row["output"] is None and row["error"]


def test_decompression_bomb_is_refused_with_the_pixel_limit_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bomb = tmp_path / "bomb.png"
    bomb.write_bytes(BAD_FILES["bomb.png"]())
    assert _run(bomb, "-o", tmp_path / "out", "-j", "1") == 1
    assert "limit" in capsys.readouterr().err


def test_max_megapixels_option_refuses_larger_images(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "big.jpg"
    src.write_bytes(_good_jpeg())
    assert _run(src, "-o", tmp_path / "out", "-j", "1", "--max-megapixels", "0.01") == 1
    assert "over the limit" in capsys.readouterr().err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_each_decode_keeps_its_own_pixel_limit_and_pillows_global_is_left_alone() -> None:
    # The limit comes from each run's settings (a worker may serve runs with different ones);
    # it used to be written into Pillow's process-wide MAX_IMAGE_PIXELS on every open.
    from PIL import Image

    from crowdveil.errors import LoadError
    from crowdveil.load import decode_bytes

    before = Image.MAX_IMAGE_PIXELS
    data = _good_jpeg()
    with Image.open(io.BytesIO(data)) as im:
        pixels = im.width * im.height
    with pytest.raises(LoadError) as exc:
        decode_bytes(data, pixels - 1)
    assert exc.value.message.code == "load.too_many_pixels"
    assert decode_bytes(data, pixels).pixels.shape[:2] == (im.height, im.width)
    # a 1.6 GP header: refused on the header by our limit, before any pixel is decoded
    with pytest.raises(LoadError) as exc:
        decode_bytes(BAD_FILES["bomb.png"](), 1_000_000)
    assert exc.value.message.code == "load.too_many_pixels"
    assert Image.MAX_IMAGE_PIXELS == before


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path)  # no -o
    assert exc.value.code == 2
    with pytest.raises(SystemExit) as exc:
        _run(tmp_path, "-o", tmp_path / "o", "--method", "light-blur")
    assert exc.value.code == 2


def test_missing_input_path_is_an_error(tmp_path: Path, capsys) -> None:
    assert _run(tmp_path / "nope.jpg", "-o", tmp_path / "out", "-j", "1") == 1
    assert "nope.jpg: no such file" in capsys.readouterr().err


def test_existing_output_is_not_overwritten_unless_asked(batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "day1").mkdir(parents=True)
    precious = out / "day1" / "IMG_0001.jpg"
    precious.write_bytes(b"someone's earlier work")
    _run(batch, "-o", out, "-j", "1", "-q")
    assert precious.read_bytes() == b"someone's earlier work"
    assert _run(batch, "-o", out, "-j", "1", "-q", "--overwrite") == 0
    assert precious.read_bytes().startswith(b"\xff\xd8")


def test_output_never_replaces_an_input_in_the_same_folder(tmp_path: Path) -> None:
    src = tmp_path / "IMG_1.jpg"
    src.write_bytes(_good_jpeg())
    digest = _sha(src)
    assert _run(src, "-o", tmp_path, "-j", "1", "-q", "--overwrite") == 0
    assert _sha(src) == digest
    assert (tmp_path / "IMG_1_2.jpg").exists()


def test_rename_gives_random_names_without_camera_numbers(batch: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert _run(batch, "-o", out, "-j", "1", "-q", "--rename") == 0
    names = [p.name for p in published(out)]
    assert len(names) == 3 and not any("IMG" in n for n in names)


def test_report_follows_schema_version_3(batch: Path, tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    assert _run(batch, "-o", tmp_path / "out", "-j", "1", "-q", "--report", report) == 0
    data = json.loads(report.read_text())
    assert data["version"] == 3 and data["language"] == "en" and len(data["files"]) == 3
    for row in data["files"]:
        assert set(row) == {"input", "output", "status", "error", "error_code", "width",
                            "height", "regions", "metadata_found", "notes", "note_codes"}
        assert row["status"] == "ok" and row["width"] == 256 and row["height"] == 256
        assert row["regions"], "the astronaut's face must be found"
        for region in row["regions"]:
            assert set(region) == {"x", "y", "w", "h", "shape", "score", "source"}
            assert region["shape"] in ("ellipse", "box")
        assert row["metadata_found"]["serial"] == 2  # counts by kind, no values (test_report)


def test_parallel_workers_give_the_same_result(batch: Path, tmp_path: Path) -> None:
    r1, r2 = tmp_path / "r1.json", tmp_path / "r2.json"
    assert _run(batch, "-o", tmp_path / "o1", "-j", "1", "-q", "--report", r1) == 0
    assert _run(batch, "-o", tmp_path / "o2", "-j", "2", "-q", "--report", r2) == 0

    def regions(p: Path) -> dict:
        return {Path(f["input"]).name: f["regions"] for f in json.loads(p.read_text())["files"]}

    assert regions(r1) == regions(r2)


def test_failed_write_leaves_no_partial_file(
    batch: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detector
) -> None:
    # In-process (no worker processes) so the disk failure can be injected here.
    from crowdveil.batch import plan, run
    from crowdveil.pipeline import Options

    real_fsync = os.fsync
    calls = {"n": 0}

    def fsync_then_die(fd: int) -> None:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            calls["n"] += 1
        if calls["n"] == 2:  # the second photo's write is interrupted
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync_then_die)
    out = tmp_path / "out"
    jobs = plan([batch], out).jobs
    results = run(jobs, Options(), isolate=False, make_detector=lambda settings: detector)
    assert [r.status for r in results].count("error") == 1
    assert "the disk is full" in next(r.error for r in results if r.status == "error")
    files = published(out)
    assert len(files) == 2
    assert not [p for p in files if p.name.startswith(".crowdveil")]
    for p in files:
        with Image.open(p) as im:
            im.load()


def test_inspect_prints_what_a_photo_gives_away(tmp_path: Path, capsys) -> None:
    src = tmp_path / "p.jpg"
    src.write_bytes(_good_jpeg())
    assert _run("inspect", src) == 0
    text = capsys.readouterr().out
    for words in ("GPS position 48.85", plant.SERIAL_TOKEN, plant.OWNER_TOKEN, "thumbnail",
                  "XMP", "IPTC", plant.COMMENT_TOKEN, "after the end of the picture", "2019-07-14",
                  f"User comment: {plant.USERCOMMENT_TOKEN}"):
        assert words in text


def test_inspect_of_a_clean_output_finds_nothing(batch: Path, tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    _run(batch, "-o", out, "-j", "1", "-q")
    capsys.readouterr()
    assert _run("inspect", *sorted(out.rglob("*.*"))) == 0
    assert capsys.readouterr().out.count("nothing found beyond the pixels") == 3


def test_odd_file_names_are_handled(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    odd = os.fsencode(src) + b"/caf\xe9 -n \xff.jpg"  # Latin-1 bytes: not valid UTF-8
    with open(odd, "wb") as fh:
        fh.write(_good_jpeg())
    assert _run(src, "-o", tmp_path / "out", "-j", "1", "-q") == 0
    assert len(published(tmp_path / "out")) == 1


def test_grey_cmyk_palette_and_16bit_inputs_are_cleaned(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    im = Image.fromarray(FACE)
    im.convert("L").save(src / "grey.jpg")
    im.convert("CMYK").save(src / "cmyk.jpg")
    im.convert("P", palette=Image.Palette.ADAPTIVE).save(src / "palette.png")
    deep = (np.asarray(im.convert("L")).astype(np.uint16) * 257)
    Image.fromarray(deep).save(src / "deep.png")
    buf = io.BytesIO()
    im.save(buf, "TIFF", compression="tiff_lzw")
    (src / "lzw.tif").write_bytes(buf.getvalue())
    out = tmp_path / "out"
    assert _run(src, "-o", out, "-j", "1", "-q") == 0
    assert len(published(out)) == 5


def test_a_multi_page_tiff_keeps_its_first_page_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    first = Image.fromarray(plant.face_image(256))
    second = Image.fromarray(np.full((64, 64, 3), 200, np.uint8))
    first.save(src / "scan.tif", save_all=True, append_images=[second])
    report = tmp_path / "r.json"
    assert _run(src, "-o", tmp_path / "out", "-j", "1", "-q", "--report", report) == 0
    row = json.loads(report.read_text())["files"][0]
    assert row["notes"] == ["only the first of 2 images in the file was kept"]
    assert "note:" in capsys.readouterr().err and "scan.tif" in row["input"]
    with Image.open(tmp_path / "out" / "scan.jpg") as out:
        assert out.size == (256, 256) and getattr(out, "n_frames", 1) == 1


def test_a_tiff_whose_second_page_is_damaged_still_gives_its_first_page(
    tmp_path: Path,
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    buf = io.BytesIO()
    Image.fromarray(plant.face_image(256)).save(
        buf, "TIFF", save_all=True, append_images=[Image.new("RGB", (8, 8))])
    data = bytearray(buf.getvalue())
    ifd = struct.unpack("<I", data[4:8])[0]
    entries = struct.unpack("<H", data[ifd:ifd + 2])[0]
    next_ifd = ifd + 2 + 12 * entries
    data[next_ifd:next_ifd + 4] = struct.pack("<I", len(data) + 1000)  # page 2: past the end
    (src / "scan.tif").write_bytes(bytes(data))
    report = tmp_path / "r.json"
    assert _run(src, "-o", tmp_path / "out", "-j", "1", "-q", "--report", report) == 0
    row = json.loads(report.read_text())["files"][0]
    assert row["status"] == "ok" and row["regions"]
    assert any("more images" in note for note in row["notes"])
