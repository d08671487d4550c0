"""The resume record as workers share it: appended by several, read again and again."""

from __future__ import annotations

import os
from pathlib import Path

from crowdveil.record import RECORD_NAME, Record


def _add(record: Record, name: str, digest: str) -> None:
    record.add(record.root / name, digest * 64, "00" * 32, "key", 10, 10)


def test_a_fact_appended_by_another_writer_after_a_read_is_seen(tmp_path: Path) -> None:
    reader, writer = Record(tmp_path), Record(tmp_path)
    _add(writer, "a.jpg", "a")
    assert [f.output for f in reader.facts()] == ["a.jpg"]
    _add(writer, "b.jpg", "b")
    assert [f.output for f in reader.facts()] == ["a.jpg", "b.jpg"]


def test_a_line_still_being_written_is_ignored_then_read_once_whole(tmp_path: Path) -> None:
    record = Record(tmp_path)
    _add(record, "a.jpg", "a")
    line = (tmp_path / RECORD_NAME).read_bytes()
    _add(record, "b.jpg", "b")
    whole = (tmp_path / RECORD_NAME).read_bytes()
    second = whole[len(line):]
    (tmp_path / RECORD_NAME).write_bytes(line + second[:20])  # torn: half of b's line
    assert [f.output for f in record.facts()] == ["a.jpg"]
    with open(tmp_path / RECORD_NAME, "ab") as fh:
        fh.write(second[20:])
    assert [f.output for f in record.facts()] == ["a.jpg", "b.jpg"]


def test_a_record_deleted_and_made_again_is_read_from_its_start(tmp_path: Path) -> None:
    record = Record(tmp_path)
    _add(record, "old.jpg", "a")
    _add(record, "older.jpg", "b")
    assert len(record.facts()) == 2
    os.unlink(tmp_path / RECORD_NAME)  # the next file may well get the same inode number
    _add(record, "new.jpg", "c")
    _add(record, "newer.jpg", "d")
    _add(record, "newest.jpg", "e")
    assert [f.output for f in record.facts()] == ["new.jpg", "newer.jpg", "newest.jpg"]


def test_a_record_that_shrank_is_read_again(tmp_path: Path) -> None:
    record = Record(tmp_path)
    for name in ("a.jpg", "b.jpg", "c.jpg"):
        _add(record, name, name[0])
    assert len(record.facts()) == 3
    first = (tmp_path / RECORD_NAME).read_bytes().splitlines(keepends=True)[0]
    with open(tmp_path / RECORD_NAME, "r+b") as fh:  # same file, cut back to one line
        fh.truncate(len(first))
    assert [f.output for f in record.facts()] == ["a.jpg"]
