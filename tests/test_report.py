"""The report: safe to keep by default, never where people publish, never over a photo.

The CLI runs in this process with a stub detector (the report's rules do not depend on which
faces are found), so each case takes a fraction of a second.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from crowdveil import batch, cli, reveal
from crowdveil.pipeline import FileResult, inspect_bytes
from crowdveil.write_clean import TEMP_PREFIX
from fuzz.harness import StubDetector
from tests import plant

FACE = plant.face_image(128)
GPS_TEXT = "48.85"  # the planted position as `inspect` prints it
# Folder and file names a person would not want next to a published photo: a place, a name,
# a camera sequence number.
INPUT_FOLDER = "jane-doe-march-rue-rivoli"
CAMERA_NAMES = ("IMG_4821.jpg", "day2/IMG_4822.png", "IMG_4823.webp")


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(autouse=True)
def in_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "run", functools.partial(
        batch.run, isolate=False, make_detector=lambda settings: StubDetector()))


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Photos carrying a GPS position, camera and lens serials and the owner's name."""
    src = tmp_path / INPUT_FOLDER
    (src / "day2").mkdir(parents=True)
    (src / CAMERA_NAMES[0]).write_bytes(plant.jpeg_with_everything(FACE))
    (src / CAMERA_NAMES[1]).write_bytes(plant.png_with_text(FACE))
    (src / CAMERA_NAMES[2]).write_bytes(plant.webp_with_exif_xmp(FACE))
    return src


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = cli.main([os.fspath(a) for a in args])
    return code, capsys.readouterr().err


def _leaks(text: str) -> list[str]:
    found = plant.tokens_in(text.encode("utf-8"))
    return found + ([GPS_TEXT] if GPS_TEXT in text else [])


def _photos_written(out: Path) -> list[Path]:
    """Outputs, not the hidden bookkeeping crowdveil may keep in the output folder."""
    if not out.exists():
        return []
    return [p for p in out.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_default_report_has_counts_by_kind_and_none_of_the_removed_values(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    code, _ = _run(capsys, photos, "-o", tmp_path / "out", "-j", "1", "-q", "--report", report)
    assert code == 0
    text = report.read_text(encoding="utf-8")
    assert _leaks(text) == []
    data = json.loads(text)
    assert data["version"] == 3 and data["details"] is False
    rows = {Path(r["output"]).name: r for r in data["files"]}
    jpeg = rows["IMG_4821.jpg"]
    assert jpeg["metadata_found"]["gps"] == 1
    assert jpeg["metadata_found"]["serial"] == 2  # camera body and lens
    assert jpeg["metadata_found"]["name"] >= 1  # owner, artist, copyright...
    assert all(isinstance(n, int) for r in rows.values() for n in r["metadata_found"].values())
    # what scripts and benchmarks read is all still there
    assert jpeg["width"] == 128 and jpeg["height"] == 128 and jpeg["regions"]
    assert "metadata_details" not in jpeg


def test_renamed_report_names_no_input_file_or_folder_and_keeps_no_camera_order(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (photos / "IMG_4824.jpg").write_bytes(plant.jpeg_with_everything(FACE)[:3000])  # fails
    report = tmp_path / "report.json"
    out = tmp_path / "out"
    code, err = _run(capsys, photos, "-o", out, "-j", "1", "-q", "--rename", "--report", report)
    assert code == 1 and "IMG_4824" in err  # the terminal still says which photo failed
    text = report.read_text(encoding="utf-8")
    assert "IMG_48" not in text and INPUT_FOLDER not in text
    assert _leaks(text) == []
    rows = json.loads(text)["files"]
    assert all(r["input"] is None for r in rows)
    failed = [r for r in rows if r["status"] == "error"]
    assert len(failed) == 1 and failed[0]["error"] and failed[0]["output"] is None
    done = [r for r in rows if r["status"] == "ok"]
    written = sorted(p.relative_to(out).as_posix() for p in _photos_written(out))
    assert sorted(Path(r["output"]).relative_to(out).as_posix() for r in done) == written
    assert all(r["regions"] and r["width"] == 128 for r in done)
    outputs = [r["output"] for r in done]
    assert outputs == sorted(outputs)  # the order of random names, not of the camera's numbers


@pytest.mark.parametrize("how", ["same path", "symbolic link", "hard link"])
def test_report_pointing_at_an_input_photo_leaves_it_byte_identical_and_exits_2(
    how: str, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photo = photos / CAMERA_NAMES[0]
    before = _sha(photo)
    report = {"same path": photo, "symbolic link": tmp_path / "link.json",
              "hard link": tmp_path / "hard.json"}[how]
    if how == "symbolic link":
        report.symlink_to(photo)
    elif how == "hard link":
        os.link(photo, report)
    out = tmp_path / "out"
    for extra in ([], ["--overwrite"]):
        code, err = _run(capsys, photos, "-o", out, "-j", "1", "--report", report, *extra)
        assert code == 2
        assert _sha(photo) == before
        assert len(err.splitlines()) == 1 and err.startswith("crowdveil: error: ")
        assert _photos_written(out) == []  # refused before any photo was processed


def test_existing_report_is_not_replaced_without_overwrite(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "report.json"
    report.write_text("last week's notes")
    out = tmp_path / "out"
    code, err = _run(capsys, photos, "-o", out, "-j", "1", "--report", report)
    assert code == 2 and len(err.splitlines()) == 1 and "--overwrite" in err
    assert report.read_text() == "last week's notes"
    assert _photos_written(out) == []
    code, _ = _run(capsys, photos, "-o", out, "-j", "1", "-q", "--report", report, "--overwrite")
    assert code == 0
    assert len(json.loads(report.read_text())["files"]) == 3
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]


@pytest.mark.parametrize("where", ["out/report.json", "out/day2/report.json",
                                   "alias/report.json"])
def test_report_inside_the_output_folder_is_refused_before_any_photo(
    where: str, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "alias").symlink_to(out, target_is_directory=True)  # out by another name
    code, err = _run(capsys, photos, "-o", out, "-j", "1", "--report", tmp_path / where)
    assert code == 2
    assert len(err.splitlines()) == 1 and "output folder" in err
    assert _photos_written(out) == []


def test_report_folder_that_cannot_be_written_is_refused_before_any_photo(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "notes.txt"
    not_a_folder.write_text("a file, not a folder")
    out = tmp_path / "out"
    code, err = _run(capsys, photos, "-o", out, "-j", "1", "--report", not_a_folder / "r.json")
    assert code == 2 and len(err.splitlines()) == 1
    assert _photos_written(out) == []
    code, err = _run(capsys, photos, "-o", out, "-j", "1", "--report", tmp_path)
    assert code == 2 and len(err.splitlines()) == 1 and "folder" in err


def test_report_details_lists_the_removed_values_and_warns_not_to_publish(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "private.json"
    code, err = _run(capsys, photos, "-o", tmp_path / "out", "-j", "1", "-q", "--rename",
                     "--report", report, "--report-details")
    assert code == 0
    warning = [line for line in err.splitlines() if "warning" in line]
    assert len(warning) == 1 and "must not be published" in warning[0]
    text = report.read_text(encoding="utf-8")
    for value in (plant.SERIAL_TOKEN, plant.OWNER_TOKEN, GPS_TEXT, "IMG_4821", INPUT_FOLDER):
        assert value in text
    data = json.loads(text)
    assert data["details"] is True
    row = next(r for r in data["files"] if r["input"].endswith("IMG_4821.jpg"))
    assert row["metadata_found"]["serial"] == 2
    assert any(plant.SERIAL_TOKEN in m for m in row["metadata_details"])


def test_report_details_without_a_report_is_a_usage_error(
    photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([str(photos), "-o", str(tmp_path / "out"), "--report-details"])
    assert exc.value.code == 2
    assert "--report-details needs --report" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def _findings_of_every_kind() -> list[reveal.Finding]:
    files = [plant.jpeg_with_everything(FACE), plant.png_with_text(FACE, with_alpha=True),
             plant.webp_with_exif_xmp(FACE), plant.tiff_with_exif(FACE),
             plant.heic_with_exif(FACE), plant.mpo_with_second_image(FACE),
             b"\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM", b"not a picture"]
    return [f for data in files for f in inspect_bytes(data)]


def test_every_kind_reveal_reports_is_counted_under_that_kind() -> None:
    from crowdveil import report

    found = _findings_of_every_kind()
    kinds = {f.kind for f in found}
    assert {"gps", "serial", "name", "device", "date", "exif", "xmp", "icc", "iptc", "comment",
            "thumbnail", "trailer", "png-text", "maker-note", "damaged"} <= kinds
    for f in found:
        assert report.metadata_counts([f]) == {f.kind: 1}, f.text


def test_the_apps_saved_report_is_the_same_safe_form(photos: Path, tmp_path: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    gui = pytest.importorskip("crowdveil.gui.main_window")
    found = inspect_bytes((photos / CAMERA_NAMES[0]).read_bytes())
    row = FileResult(str(photos / CAMERA_NAMES[0]), output=str(tmp_path / "out" / "a.jpg"),
                     width=128, height=128, metadata_found=found)
    data = gui.MainWindow.report(SimpleNamespace(results=[row]))
    text = json.dumps(data, ensure_ascii=False)
    assert _leaks(text) == []
    assert data["version"] == 3 and data["files"][0]["metadata_found"]["serial"] == 2


def test_the_apps_save_report_refuses_an_original_and_the_export_folder(
    photos: Path, tmp_path: Path, qtbot, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    gui = pytest.importorskip("crowdveil.gui.main_window")
    window = gui.MainWindow(detector_factory=StubDetector)
    qtbot.addWidget(window)
    photo = photos / CAMERA_NAMES[0]
    before = _sha(photo)
    out = tmp_path / "out"
    found = inspect_bytes(photo.read_bytes())
    window.results = [FileResult(str(photo), output=str(out / "a.jpg"), width=128, height=128,
                                 metadata_found=found)]
    warnings: list[str] = []
    monkeypatch.setattr(gui.QMessageBox, "warning",
                        lambda parent, title, text: warnings.append(text))
    chosen: list[Path] = []
    monkeypatch.setattr(gui.QFileDialog, "getSaveFileName",
                        lambda *args, **kwargs: (str(chosen[-1]), "JSON (*.json)"))
    for refused in (photo, out / "report.json"):
        chosen.append(refused)
        window.save_report_dialog()
        assert len(warnings) == len(chosen)
    assert _sha(photo) == before and not (out / "report.json").exists()
    chosen.append(tmp_path / "report.json")
    window.save_report_dialog()
    assert len(warnings) == 2
    text = (tmp_path / "report.json").read_text(encoding="utf-8")
    assert _leaks(text) == [] and json.loads(text)["files"][0]["metadata_found"]["gps"] == 1
