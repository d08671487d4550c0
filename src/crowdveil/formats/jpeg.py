"""JPEG, and MPO (a phone's JPEG followed by its depth map or preview, indexed by an APP2 MPF
segment): the family that also writes the clean copy of every camera format.

Its segment walk never trusts a length field further than the bytes present; a clean copy may
hold only what a baseline/progressive image needs (a bare JFIF header, tables, frame, scans).
"""

from __future__ import annotations

import struct
from typing import IO

from PIL import Image

from ..errors import VerifyError
from ..reveal import ICC, Finding, exif_findings, short_text, xmp_finding
from . import ContainerError, Layout, Part, PhotoFamily, audit, payloads, register

SUFFIXES = frozenset({".jpg", ".jpeg", ".jpe", ".mpo"})

NAMES = {
    0xD8: "SOI", 0xD9: "EOI", 0xDA: "SOS", 0xDB: "DQT", 0xC4: "DHT", 0xDD: "DRI", 0xFE: "COM",
    0xC0: "SOF0", 0xC1: "SOF1", 0xC2: "SOF2", 0xC3: "SOF3", 0xCC: "DAC",
}
NAMES.update({0xE0 + i: f"APP{i}" for i in range(16)})
NAMES.update({0xD0 + i: f"RST{i}" for i in range(8)})
_OTHER_SOF = (0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF)
NAMES.update({c: f"SOF{c - 0xC0}" for c in _OTHER_SOF})

ALLOWED = {"SOI", "APP0", "DQT", "DHT", "DRI", "SOF0", "SOF1", "SOF2", "SOS", "EOI"}
ALLOWED |= {f"RST{i}" for i in range(8)}
MAX_SIDE = 65500


def magic(head: bytes) -> bool:
    return head[:3] == b"\xff\xd8\xff"


def layout(data: bytes) -> Layout:
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
        name = NAMES.get(code, f"0x{code:02X}")
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


def findings(data: bytes, max_pixels: int = 0) -> list[Finding]:
    """What a JPEG's segments and trailer give away (the pixel limit plays no part)."""
    walked = layout(data)
    found: list[Finding] = []
    for part, body in payloads(data, walked):
        if part.name == "APP1" and body.startswith(b"Exif\x00"):
            found += exif_findings(body)
        elif part.name == "APP1" and b"http://ns.adobe.com/xap/1.0/" in body[:40]:
            found.append(xmp_finding(body))
        elif part.name == "APP13":
            found.append(Finding("iptc", "finding.iptc", {"size": len(body)}))
        elif part.name == "COM":
            found.append(Finding("comment", "finding.comment", {"value": short_text(body)}))
        elif part.name == "APP2" and body.startswith(b"ICC_PROFILE"):
            found.append(ICC)
        elif part.name == "APP2" and body.startswith(b"MPF"):
            found.append(Finding("embedded-image", "finding.multi_picture"))
        elif part.name.startswith("APP") and part.name not in ("APP0",):
            found.append(Finding("vendor", "finding.vendor",
                                 {"segment": part.name, "size": len(body)}))
    if walked.trailing:
        tail = data[walked.end :]
        images = tail.count(b"\xff\xd8\xff")
        if images:
            found.append(Finding("trailer", "finding.trailer_images",
                                 {"size": walked.trailing, "n": images}))
        else:
            found.append(Finding("trailer", "finding.trailer_data", {"size": walked.trailing}))
    return found


def save(im: Image.Image, fp: IO[bytes], quality: int) -> None:
    if im.mode == "RGBA":
        raise ValueError("JPEG cannot hold alpha")
    im.save(fp, "JPEG", quality=quality, optimize=True)


def _check_app0(data: bytes, part: Part) -> None:
    if part.name == "APP0":
        body = data[part.offset : part.offset + part.length]
        # JFIF header only, and with a 0 x 0 thumbnail: no picture hides in it
        if not body.startswith(b"JFIF\x00") or len(body) != 14 or body[12:14] != b"\x00\x00":
            raise VerifyError("verify.jpeg_app0")


def check(data: bytes) -> None:
    """Verify's allowlist: raise VerifyError unless `data` holds only what the image needs."""
    audit(data, layout(data), ALLOWED, refused="verify.jpeg_segment",
          trailing="verify.jpeg_trailing", part_check=_check_app0)


FAMILY = register(PhotoFamily(
    name="jpeg", suffixes=SUFFIXES, pil_formats=frozenset({"JPEG", "MPO"}),
    opener="JPEG",  # Pillow's JPEG opener also yields MPO
    sniff=magic, findings=findings, writes_as="jpeg", layout=layout,
    output_suffix=".jpg", save=save, max_side=MAX_SIDE, check=check,
))
