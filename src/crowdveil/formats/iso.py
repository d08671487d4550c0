"""A clip's frame count and picture size from its MP4/MOV header, without FFmpeg.

The batch's progress counts every frame of every clip before any clip is decoded, and the
parent process never hands a file to a decoder (workers do: `pool`). Reading a handful of
box headers in Python is bounded and cannot crash the process; anything unexpected gives
None (the count is then estimated, `progress`).
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

_DESCEND = {b"moov", b"trak", b"mdia", b"minf", b"stbl"}
MAX_BOXES = 20_000  # a real header has a few dozen; a crafted one must not keep us reading


@dataclass(frozen=True)
class VideoHeader:
    frames: int
    width: int  # as stored (a portrait phone clip is stored landscape): only its area is used
    height: int


class _Budget:
    def __init__(self) -> None:
        self.left = MAX_BOXES

    def spend(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise ValueError("too many boxes")


def box_header(f: BinaryIO, off: int, end: int) -> tuple[bytes, int, int]:
    """(type, header length, size) of the ISO box at `off` in a parent ending at `end` (a size
    of 1 means a 64-bit size follows; 0, to the parent's end); ValueError when it does not fit."""
    f.seek(off)
    size, kind = struct.unpack(">I4s", f.read(8))
    header = 8
    if size == 1:
        size = struct.unpack(">Q", f.read(8))[0]
        header = 16
    elif size == 0:
        size = end - off
    if size < header or off + size > end:
        raise ValueError("bad box")
    return kind, header, size


def _children(f: BinaryIO, start: int, end: int, budget: _Budget):  # noqa: ANN202
    """(type, body offset, body end) of each box in [start, end)."""
    off = start
    while off + 8 <= end:
        budget.spend()
        kind, header, size = box_header(f, off, end)
        yield kind, off + header, off + size
        off += size


def _read(f: BinaryIO, at: int, n: int, end: int) -> bytes:
    if at + n > end:
        raise ValueError("short box")
    f.seek(at)
    data = f.read(n)
    if len(data) != n:
        raise ValueError("short file")
    return data


def _track(f: BinaryIO, start: int, end: int, budget: _Budget) -> VideoHeader | None:
    handler = None
    frames = None
    width = height = 0

    def walk(s: int, e: int, parent: bytes) -> None:
        nonlocal handler, frames, width, height
        for kind, body, stop in _children(f, s, e, budget):
            if kind in _DESCEND:
                walk(body, stop, kind)
            elif kind == b"tkhd":
                version = _read(f, body, 1, stop)[0]
                at = body + (88 if version == 1 else 76)  # width, height: 16.16 fixed point
                w, h = struct.unpack(">II", _read(f, at, 8, stop))
                width, height = w >> 16, h >> 16
            elif kind == b"hdlr" and parent == b"mdia":  # (QuickTime has one in minf too)
                handler = _read(f, body + 8, 4, stop)
            elif kind == b"stsz":
                frames = struct.unpack(">I", _read(f, body + 8, 4, stop))[0]
            elif kind == b"stz2":
                frames = struct.unpack(">I", _read(f, body + 8, 4, stop))[0]

    walk(start, end, b"trak")
    if handler != b"vide" or not frames:
        return None
    return VideoHeader(frames, width, height)


def video_header(path: Path) -> VideoHeader | None:
    """The first video track's frame count and size, or None (not MP4/MOV, fragmented,
    damaged, unreadable)."""
    try:
        with open(path, "rb") as f:
            end = os.fstat(f.fileno()).st_size
            budget = _Budget()
            for kind, body, stop in _children(f, 0, end, budget):
                if kind != b"moov":
                    continue
                for sub, sbody, sstop in _children(f, body, stop, budget):
                    if sub == b"trak":
                        found = _track(f, sbody, sstop, budget)
                        if found is not None:
                            return found
                return None
    except (OSError, ValueError, struct.error):
        return None
    return None
