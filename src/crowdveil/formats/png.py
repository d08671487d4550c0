"""PNG: read, and written for PNG inputs and for any photo whose transparency must be kept.

Every chunk's CRC is checked on the walk; a clean copy holds header, palette, transparency and
image data only, and being lossless it must not keep colour under fully transparent pixels.
"""

from __future__ import annotations

import struct
import zlib
from typing import IO

from PIL import Image

from ..reveal import ICC, Finding, exif_findings, short_text, trailer
from . import ContainerError, Layout, Part, PhotoFamily, audit, payloads, register

SUFFIXES = frozenset({".png"})
SIGNATURE = b"\x89PNG\r\n\x1a\n"
ALLOWED = {"IHDR", "PLTE", "tRNS", "IDAT", "IEND"}
TEXT_CHUNKS = {"tEXt", "zTXt", "iTXt"}
MAX_SIDE = 2**31 - 1


def magic(head: bytes) -> bool:
    return head.startswith(SIGNATURE)


def layout(data: bytes) -> Layout:
    """Chunks of a PNG up to IEND, with every CRC checked."""
    if not data.startswith(SIGNATURE):
        raise ContainerError("not a PNG (bad signature)")
    parts: list[Part] = []
    pos = len(SIGNATURE)
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


def findings(data: bytes, max_pixels: int = 0) -> list[Finding]:
    """What a PNG's chunks and trailer give away (the pixel limit plays no part)."""
    walked = layout(data)
    found: list[Finding] = []
    for part, body in payloads(data, walked):
        if part.name in TEXT_CHUNKS:
            key = body.split(b"\x00", 1)[0]
            found.append(Finding("png-text", "finding.png_text", {"key": short_text(key, 40)}))
        elif part.name == "eXIf":
            found += exif_findings(body)
        elif part.name == "iCCP":
            found.append(ICC)
        elif part.name == "tIME":
            found.append(Finding("date", "finding.png_time"))
    return found + trailer(walked)


def save(im: Image.Image, fp: IO[bytes], quality: int) -> None:
    im.save(fp, "PNG", compress_level=6)  # lossless: `quality` does not apply


def check(data: bytes) -> None:
    """Verify's allowlist: raise VerifyError unless `data` holds only what the image needs."""
    audit(data, layout(data), ALLOWED, refused="verify.png_chunk", trailing="verify.png_trailing")


FAMILY = register(PhotoFamily(
    name="png", suffixes=SUFFIXES, pil_formats=frozenset({"PNG"}), opener="PNG",
    sniff=magic, findings=findings, writes_as="png", layout=layout,
    output_suffix=".png", save=save, max_side=MAX_SIDE, keeps_alpha=True, lossless=True,
    check=check,
))
