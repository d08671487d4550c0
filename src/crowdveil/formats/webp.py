"""WebP (RIFF): read, and written for WebP inputs (lossy, alpha kept).

The RIFF walk believes only the sizes the bytes present can hold; a clean copy holds the
image bitstream (VP8/VP8L), an alpha chunk and a VP8X header whose only flag is alpha.
"""

from __future__ import annotations

import struct
from typing import IO

from PIL import Image

from ..errors import VerifyError
from ..reveal import ICC, Finding, exif_findings, trailer, xmp_finding
from . import ContainerError, Layout, Part, PhotoFamily, audit, payloads, register

SUFFIXES = frozenset({".webp"})
ALLOWED = {"VP8 ", "VP8L", "VP8X", "ALPH"}
VP8X_ALPHA = 0x10
MAX_SIDE = 16383


def magic(head: bytes) -> bool:
    return head[:4] == b"RIFF" and head[8:12] == b"WEBP"


def layout(data: bytes) -> Layout:
    """Chunks of a RIFF/WEBP file as its header declares them."""
    if len(data) < 12 or not magic(data):
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


def findings(data: bytes, max_pixels: int = 0) -> list[Finding]:
    """What a WebP's chunks and trailer give away (the pixel limit plays no part)."""
    walked = layout(data)
    found: list[Finding] = []
    for part, body in payloads(data, walked):
        if part.name == "EXIF":
            found += exif_findings(body)
        elif part.name == "XMP ":
            found.append(xmp_finding(body))
        elif part.name == "ICCP":
            found.append(ICC)
    return found + trailer(walked)


def save(im: Image.Image, fp: IO[bytes], quality: int) -> None:
    im.save(fp, "WEBP", quality=quality, method=4)


def _check_vp8x(data: bytes, part: Part) -> None:
    if part.name == "VP8X":
        (flags,) = struct.unpack("<B", data[part.offset : part.offset + 1])
        if flags & ~VP8X_ALPHA:
            raise VerifyError("verify.webp_flags", flags=f"{flags:02X}")


def check(data: bytes) -> None:
    """Verify's allowlist: raise VerifyError unless `data` holds only what the image needs."""
    audit(data, layout(data), ALLOWED, refused="verify.webp_chunk",
          trailing="verify.webp_trailing", label=repr, part_check=_check_vp8x)


FAMILY = register(PhotoFamily(
    name="webp", suffixes=SUFFIXES, pil_formats=frozenset({"WEBP"}), opener="WEBP",
    sniff=magic, findings=findings, writes_as="webp", layout=layout,
    output_suffix=".webp", save=save, max_side=MAX_SIDE, keeps_alpha=True, check=check,
))
