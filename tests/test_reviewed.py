"""A command-line rerun keeps what the user reviewed in the app.

The app's outputs hold the regions the user added for faces the detector missed. A later
`crowdveil photos/ -o thatfolder/` over the same inputs must not replace them with automatic
outputs, which would publish those faces again; `--overwrite` still redoes them on purpose.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from crowdveil import cli
from crowdveil.gui import tasks
from crowdveil.gui.session import APP_TOOL
from crowdveil.gui.video_tasks import UserRegion, VideoExportTask, check_clip
from crowdveil.pipeline import FileResult, Options
from crowdveil.record import RECORD_NAME, Record, settings_key
from crowdveil.regions import Region
from crowdveil.write_clean import DEFAULT_QUALITY
from tests import test_gui_video as gv
from tests.test_resume_trust import FACE_BOX, BoxDetector, face_destroyed, photo, rgb, save
from tests.test_video import use_detector

MISSED = (100, 80, 40, 40)  # a face the detector does not see; the user hides it in the app


def hidden(path: Path, box: tuple[int, int, int, int] = MISSED) -> bool:
    x, y, w, h = box
    return bool(rgb(path)[y + 8:y + h - 8, x + 8:x + w - 8].max() < 40)


def app_export(src: Path, out: Path, regions: list[Region]) -> FileResult:
    """Export one photo as the app does: its key, its task, its record."""
    digest = tasks.run_task(tasks.CheckTask(src), BoxDetector(), Options()).digest
    key = settings_key(tool=APP_TOOL, method="fill", quality=DEFAULT_QUALITY,
                       regions=[r.to_json() for r in regions])
    result = tasks.run_task(tasks.ExportTask(src, digest, out / src.stem, regions, out, key),
                            BoxDetector(), Options())
    assert isinstance(result, FileResult) and result.error is None, result
    return result


def reviewed_photo(tmp_path: Path) -> tuple[Path, Path, Path]:
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    out = tmp_path / "out"
    added = Region(*MISSED, "rect", 1.0, "manual")
    app_export(src, out, [Region(*FACE_BOX, "rect", 0.9, "box"), added])
    done = out / "a.jpg"
    assert hidden(done) and face_destroyed(done)
    return src, out, done


def rows(report: Path) -> list[dict]:
    return json.loads(report.read_text())["files"]


def test_a_rerun_keeps_a_photo_the_user_reviewed_in_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    use_detector(monkeypatch, BoxDetector())
    src, out, done = reviewed_photo(tmp_path)
    kept = done.read_bytes()
    report = tmp_path / "r.json"
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "--report", str(report)]) == 0
    assert done.read_bytes() == kept and hidden(done)  # the added region still hides the face
    [row] = rows(report)
    assert row["status"] == "skipped"
    said = capsys.readouterr().err
    assert "reviewed in the app" in said and "--overwrite" in said, said


def test_overwrite_redoes_a_reviewed_photo_on_purpose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_detector(monkeypatch, BoxDetector())
    src, out, done = reviewed_photo(tmp_path)
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "-q", "--overwrite"]) == 0
    assert face_destroyed(done) and not hidden(done)  # the automatic output, as asked
    # and now it is the command line's own output: a plain rerun skips it as such
    before = done.read_bytes()
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "-q"]) == 0
    assert done.read_bytes() == before


def test_a_reviewed_output_of_other_input_bytes_is_kept_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    use_detector(monkeypatch, BoxDetector())
    src, out, done = reviewed_photo(tmp_path)
    kept = done.read_bytes()
    changed = photo(5)
    save(src, changed)  # edited since: the user's regions were drawn on the old version
    report = tmp_path / "r.json"
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "--report", str(report)]) == 1
    assert done.read_bytes() == kept  # not silently replaced by an automatic output
    assert [r["status"] for r in rows(report)] == ["error"]
    said = capsys.readouterr().err
    assert "reviewed in the app" in said and "--overwrite" in said, said
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "-q", "--overwrite"]) == 0
    assert face_destroyed(done) and np.abs(rgb(done)[:30] - changed[:30].astype(int)).mean() < 6


def test_the_app_still_replaces_its_own_reviewed_output(tmp_path: Path) -> None:
    src, out, done = reviewed_photo(tmp_path)
    app_export(src, out, [Region(*FACE_BOX, "rect", 0.9, "box")])  # the user removed a region
    assert face_destroyed(done) and not hidden(done)


def test_an_old_record_line_without_the_field_reads_as_not_reviewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_detector(monkeypatch, BoxDetector())
    src, out, done = reviewed_photo(tmp_path)
    record = out / RECORD_NAME
    [line] = record.read_text().splitlines()
    fact = json.loads(line)
    assert fact["reviewed"] is True
    del fact["reviewed"]  # as a record written before the field existed
    record.write_text(json.dumps(fact) + "\n" + json.dumps({**fact, "reviewed": "yes"}) + "\n")
    facts = Record(out).facts()
    assert len(facts) == 2 and not any(f.reviewed for f in facts)  # read, never reviewed
    # ours (the record holds its bytes), not known as reviewed: replaced as before
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "-q"]) == 0
    assert face_destroyed(done) and not hidden(done)


def test_a_command_line_record_line_is_not_marked_reviewed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_detector(monkeypatch, BoxDetector())
    src = save(tmp_path / "in" / "a.jpg", photo(1))
    out = tmp_path / "out"
    assert cli.main([str(src.parent), "-o", str(out), "-j", "1", "-q"]) == 0
    [line] = (out / RECORD_NAME).read_text().splitlines()
    assert "reviewed" not in json.loads(line)


def test_a_rerun_keeps_a_clip_the_user_reviewed_in_the_app(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    (tmp_path / "in").mkdir()
    clip = gv.make_clip(tmp_path / "in" / "march.mp4")
    checked = check_clip(clip, gv.SquareDetector())
    drawn = Region(*gv.MARK, "rect", 1.0, "manual")
    out = tmp_path / "out"
    task = VideoExportTask(clip, checked.digest, out / "march", checked.regions,
                           [UserRegion(drawn, 0, gv.N - 1)], out, "app key")
    assert isinstance(tasks.run_task(task, gv.SquareDetector(), Options()), FileResult)
    done = out / "march.mp4"
    assert not any(gv.is_yellow(f) for f in gv.decoded(done))
    kept = done.read_bytes()

    use_detector(monkeypatch, gv.SquareDetector())
    report = tmp_path / "r.json"
    assert cli.main([str(clip.parent), "-o", str(out), "-j", "1", "-q",
                     "--report", str(report)]) == 0
    assert done.read_bytes() == kept  # the user's region still hides the patch
    assert [r["status"] for r in rows(report)] == ["skipped"]

    gv.make_clip(clip, n=gv.N - 2)  # edited since: the user's regions were for the old one
    again = tmp_path / "again.json"
    assert cli.main([str(clip.parent), "-o", str(out), "-j", "1", "-q",
                     "--report", str(again)]) == 1
    assert done.read_bytes() == kept and [r["status"] for r in rows(again)] == ["error"]

    assert cli.main([str(clip.parent), "-o", str(out), "-j", "1", "-q", "--overwrite"]) == 0
    frames = gv.decoded(done)
    assert all(gv.is_yellow(f) for f in frames)  # the automatic output, as asked
    assert all(gv.patch_mean(f, gv.FACE).max() < 60 for f in frames)
