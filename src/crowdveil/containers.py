"""Walk the structure of JPEG, PNG and RIFF/WebP files without decoding pixels.

Used by `verify` (is the output made only of allowed parts?) and by `inspect` (what does the
input carry?). Parsers never trust a length field further than the bytes actually present.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass


class ContainerError(ValueError):
    """The bytes are not a well-formed container of the expected kind."""


@dataclass(frozen=True)
class Part:
    """One segment/chunk: its name, where its payload starts, and the payload length."""

    name: str
    offset: int
    length: int


@dataclass(frozen=True)
class Layout:
    parts: list[Part]
    end: int  # offset just past the last byte that belongs to the image
    trailing: int  # bytes after `end`


JPEG_NAMES = {
    0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xFE: "COM",
    0xC0: "SOF0", 0xC1: "SOF1", 0xC2: "SOF2", 0xC3: "SOF3", 0xCC: "DAC",
}
JPEG_NAMES.update({0xE0 + i: f"APP{i}" for i in range(16)})
JPEG_NAMES.update({0xD0 + i: f"RST{i}" for i in range(8)})
_OTHER_SOF = (0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
JPEG_NAMES.update({c: f"SOF{c - 0xC0}" for c in _OTHER_SOF})


def jpeg_layout(data: bytes) -> Layout:
    """Segments of the first JPEG image in `data`, up to and including its EOI."""
    if data[:2] != b"\xff\xd8":
        raise ContainerError("not a JPEG (no SOI marker)")
    parts = [Part("SOI", 0, 0)]
    pos = 2
    n = len(data)
    while True:
        if pos + 2 > n:
            raise ContainerError("JPEG ends before its EOI marker")
        if data[pos] != 0xFF:
            raise ContainerError(f"JPEG marker expected at byte {pos}")
        while pos < n and data[pos] == 0xFF:  # fill bytes
            pos += 1
        if pos >= n:
            raise ContainerError("JPEG ends inside a marker")
        code = data[pos]
        pos += 1
        name = JPEG_NAMES.get(code, f"0x{code:02X}")
        if code == 0xD9:
            parts.append(Part("EOI", pos, 0))
            return Layout(parts, pos, n - pos)
        if 0xD0 <= code <= 0xD7 or code == 0x01:
            parts.append(Part(name, pos, 0))
            continue
        if pos + 2 > n:
            raise ContainerError(f"JPEG {name} segment truncated")
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if length < 2 or pos + length > n:
            raise ContainerError(f"JPEG {name} segment length {length} runs past the end")
        parts.append(Part(name, pos + 2, length - 2))
        pos += length
        if code == 0xDA:
            pos = _skip_entropy(data, pos)


def _skip_entropy(data: bytes, pos: int) -> int:
    """Return the offset of the next real marker after entropy-coded data."""
    n = len(data)
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= n:
            raise ContainerError("JPEG scan data ends before its EOI marker")
        nxt = data[pos + 1]
        if nxt == 0x00 or 0xD0 <= nxt <= 0xD7 or nxt == 0xFF:
            pos += 1 if nxt == 0xFF else 2
            continue
        return pos


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def png_layout(data: bytes) -> Layout:
    """Chunks of a PNG up to IEND, with every CRC checked."""
    if not data.startswith(PNG_SIGNATURE):
        raise ContainerError("not a PNG (bad signature)")
    parts: list[Part] = []
    pos = len(PNG_SIGNATURE)
    n = len(data)
    while True:
        if pos + 8 > n:
            raise ContainerError("PNG ends before its IEND chunk")
        length, ctype = struct.unpack(">I4s", data[pos : pos + 8])
        if pos + 12 + length > n:
            raise ContainerError(f"PNG chunk {ctype!r} runs past the end")
        body = data[pos + 4 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        name = ctype.decode("latin-1")
        if zlib.crc32(body) & 0xFFFFFFFF != crc:
            raise ContainerError(f"PNG chunk {name} has a bad CRC")
        parts.append(Part(name, pos + 8, length))
        pos += 12 + length
        if ctype == b"IEND":
            return Layout(parts, pos, n - pos)


def riff_layout(data: bytes) -> Layout:
    """Chunks of a RIFF/WEBP file as its header declares them."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WEBP":
        raise ContainerError("not a WebP (bad RIFF header)")
    (riff_size,) = struct.unpack("<I", data[4:8])
    end = 8 + riff_size
    if end > len(data):
        raise ContainerError("WebP is shorter than its RIFF header says")
    parts: list[Part] = []
    pos = 12
    while pos < end:
        if pos + 8 > end:
            raise ContainerError("WebP chunk header truncated")
        ctype, length = struct.unpack("<4sI", data[pos : pos + 8])
        if pos + 8 + length > end:
            raise ContainerError(f"WebP chunk {ctype!r} runs past the end")
        parts.append(Part(ctype.decode("latin-1"), pos + 8, length))
        pos += 8 + length + (length & 1)
    return Layout(parts, end, len(data) - end)


def sniff(data: bytes) -> str | None:
    """The container kind from magic bytes: 'jpeg', 'png', 'webp', 'tiff', 'heif' or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data.startswith(PNG_SIGNATURE):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if data[4:8] == b"ftyp":
        return "heif"
    return None
