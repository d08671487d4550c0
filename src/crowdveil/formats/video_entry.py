"""The video family's entry in the registry, apart from `formats.video` so that walking a
folder or asking the registry never imports PyAV: suffixes, magic bytes, output suffix, and its
findings (which load `formats.video`, the family's reader, writer and checks)."""

from __future__ import annotations

from pathlib import Path

from ..reveal import Finding
from . import VIDEO_OUTPUT_SUFFIX, VIDEO_SUFFIXES, VideoFamily, register


def magic(head: bytes) -> bool:
    """ISO base media (MP4/MOV/M4V: `ftyp` box first) or Matroska/WebM (EBML header)."""
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


def findings(path: Path) -> list[Finding]:
    from . import video  # PyAV only when a clip is looked at

    return video.findings(path)


FAMILY = register(VideoFamily(
    name="video", suffixes=VIDEO_SUFFIXES, output_suffix=VIDEO_OUTPUT_SUFFIX, sniff=magic,
    findings=findings,
))
