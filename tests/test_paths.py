"""Hostile paths: links out of the tree, link loops, names no terminal should print raw.

Each gives a clear one-line error naming the file (or a clean output), nothing half written,
inputs unchanged.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from crowdveil import batch, cli
from crowdveil.write_clean import TEMP_PREFIX
from tests import plant
from tests.outputs import published

GOOD = plant.jpeg_with_everything(plant.face_image(128))
BAD = b"\xff\xd8\xff\xe0 not really a photo"


def _sha_tree(folder: Path) -> dict[bytes, str]:
    return {os.fsencode(p): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def _run(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, list[str], dict]:
    report = Path(args[args.index("-o") + 1]).parent / "report.json"
    code = cli.main(["-j", "1", "-q", "--report", str(report), *map(os.fspath, args)])
    err = capsys.readouterr().err
    rows = {row["input"]: row for row in json.loads(report.read_text())["files"]}
    return code, err.splitlines(), rows


def _assert_one_line_errors(lines: list[str], rows: dict) -> None:
    for line in lines:
        assert line.startswith("crowdveil: error: ") and line.isprintable(), repr(line)
    for row in rows.values():
        if row["error"]:
            assert "\n" not in row["error"] and "Traceback" not in row["error"]


def test_link_out_of_the_input_folder_is_reported_and_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = tmp_path / "elsewhere" / "private.jpg"
    secret.parent.mkdir()
    secret.write_bytes(GOOD)
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "sub" / "a.jpg").write_bytes(GOOD)
    (src / "escape.jpg").symlink_to(secret)
    (src / "alias.jpg").symlink_to(src / "sub" / "a.jpg")  # stays inside: followed
    (src / "dangling.jpg").symlink_to(tmp_path / "gone.jpg")
    (src / "linked_folder").symlink_to(secret.parent, target_is_directory=True)
    out = tmp_path / "out"
    code, lines, rows = _run(capsys, src, "-o", out)
    assert code == 1
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*.jpg")) == [
        "alias.jpg", "sub/a.jpg"]
    reasons = {Path(k).name: r["error"] for k, r in rows.items() if r["status"] == "error"}
    assert reasons == {
        "escape.jpg": "link leads outside the input folder or nowhere, not followed",
        "dangling.jpg": "link leads outside the input folder or nowhere, not followed",
        "linked_folder": "link to a folder, not followed",
    }
    assert len(lines) == 3
    _assert_one_line_errors(lines, rows)


def test_link_loops_end_in_one_line_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    (src / "sub").mkdir(parents=True)
    (src / "ok.jpg").write_bytes(GOOD)
    (src / "loop1.jpg").symlink_to(src / "loop2.jpg")
    (src / "loop2.jpg").symlink_to(src / "loop1.jpg")
    (src / "sub" / "up").symlink_to(src, target_is_directory=True)  # a folder loop
    (tmp_path / "named.jpg").symlink_to(tmp_path / "named.jpg")
    out = tmp_path / "out"
    code, lines, rows = _run(capsys, src, tmp_path / "named.jpg", "-o", out)
    assert code == 1
    assert [p.name for p in out.rglob("*.jpg")] == ["ok.jpg"]
    errors = {k: r["error"] for k, r in rows.items() if r["status"] == "error"}
    named = errors.pop(str(tmp_path / "named.jpg"))  # named on the command line: tried, refused
    assert named.startswith("cannot read file: ") and "symbolic links" in named
    assert sorted(Path(k).name for k in errors) == ["loop1.jpg", "loop2.jpg", "up"]
    _assert_one_line_errors(lines, rows)


HOSTILE_NAMES = [
    b"line\nbreak",
    b"carriage\rreturn",
    b"\x1b[31mred\x1b[0m",  # a terminal escape sequence
    b"-rf",
    b"--output=x",
    b"caf\xe9 \xff\xfe",  # not UTF-8
    b" spaced out ",
]


def test_hostile_names_give_outputs_or_one_line_errors_and_inputs_stay(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    for i, name in enumerate(HOSTILE_NAMES):
        for kind, data in (("good", GOOD), ("bad", BAD)):
            path = os.fsencode(src) + b"/" + name + f"_{kind}{i}.jpg".encode()
            with open(path, "wb") as fh:
                fh.write(data)
    before = _sha_tree(src)
    out = tmp_path / "out"
    code, lines, rows = _run(capsys, src, "-o", out)
    assert code == 1
    assert _sha_tree(src) == before
    written = [os.fsencode(p.name) for p in published(out)]
    assert len(written) == len(HOSTILE_NAMES) and all(b"_good" in n for n in written)
    assert len(lines) == len(HOSTILE_NAMES)  # one line per bad file, however it is named
    _assert_one_line_errors(lines, rows)
    for line in lines:
        assert "_bad" in line  # the line names the file
    assert not [p for p in out.iterdir() if p.name.startswith(TEMP_PREFIX)]


def test_a_file_named_like_an_option_is_read_after_double_dash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("-o.jpg").write_bytes(GOOD)
    code, _, rows = _run(capsys, "-o", tmp_path / "out", "--", "-o.jpg")
    assert code == 0 and (tmp_path / "out" / "-o.jpg").exists()
    assert list(rows) == ["-o.jpg"]


def test_a_name_too_long_for_the_output_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    longest = src / ("a" * 251 + ".jpg")  # 255 bytes: the most a Linux file name may have
    longest.write_bytes(GOOD)
    (src / "short.jpg").write_bytes(GOOD)
    before = _sha_tree(src)
    # writing beside the inputs forces a "_2" suffix, and the name no longer fits
    code, lines, rows = _run(capsys, src, "-o", src)
    assert code == 1
    assert rows[str(longest)]["error"].endswith(": the name is too long for this disk")
    assert len(lines) == 1 and "a" * 251 in lines[0]
    names = sorted(p.name for p in published(src))
    assert names == sorted([longest.name, "short.jpg", "short_2.jpg"])
    assert {k: v for k, v in _sha_tree(src).items() if k in before} == before


def test_plan_never_follows_a_folder_link_out_of_the_tree(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "x.jpg").write_bytes(GOOD)
    (src / "door").symlink_to(tmp_path / "outside", target_is_directory=True)
    result = batch.plan([src], tmp_path / "out")
    assert result.jobs == []
    assert [p.error for p in result.problems] == ["link to a folder, not followed"]
