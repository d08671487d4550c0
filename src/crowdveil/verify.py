"""Verify: re-read a written file and prove it carries image data and nothing else.

Each format has an allowlist of segments/chunks that an image needs; anything else (EXIF, XMP,
ICC, comments, text, a second image, bytes after the end) fails. The file must also decode to
exactly the intended size.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from . import containers
from .errors import VerifyError, first_line, os_reason
from .redact import hidden_colour_count

JPEG_ALLOWED = {"SOI", "APP0", "DQT", "DHT", "DRI", "SOF0", "SOF1", "SOF2", "SOS", "EOI"}
JPEG_ALLOWED |= {f"RST{i}" for i in range(8)}
PNG_ALLOWED = {"IHDR", "PLTE", "tRNS", "IDAT", "IEND"}
WEBP_ALLOWED = {"VP8 ", "VP8L", "VP8X", "ALPH"}
VP8X_ALPHA = 0x10


def _check_jpeg(data: bytes) -> None:
    layout = containers.jpeg_layout(data)
    for part in layout.parts:
        if part.name not in JPEG_ALLOWED:
            raise VerifyError("verify.jpeg_segment", name=part.name)
        if part.name == "APP0":
            body = data[part.offset : part.offset + part.length]
            # JFIF header only, and with a 0 x 0 thumbnail: no picture hides in it
            if not body.startswith(b"JFIF\x00") or len(body) != 14 or body[12:14] != b"\x00\x00":
                raise VerifyError("verify.jpeg_app0")
    if layout.trailing:
        raise VerifyError("verify.jpeg_trailing", size=layout.trailing)


def _check_png(data: bytes) -> None:
    layout = containers.png_layout(data)
    for part in layout.parts:
        if part.name not in PNG_ALLOWED:
            raise VerifyError("verify.png_chunk", name=part.name)
    if layout.trailing:
        raise VerifyError("verify.png_trailing", size=layout.trailing)


def _check_webp(data: bytes) -> None:
    layout = containers.riff_layout(data)
    for part in layout.parts:
        if part.name not in WEBP_ALLOWED:
            raise VerifyError("verify.webp_chunk", name=repr(part.name))
        if part.name == "VP8X":
            (flags,) = struct.unpack("<B", data[part.offset : part.offset + 1])
            if flags & ~VP8X_ALPHA:
                raise VerifyError("verify.webp_flags", flags=f"{flags:02X}")
    if layout.trailing:
        raise VerifyError("verify.webp_trailing", size=layout.trailing)


# Keys Pillow's decoders put in `info` by themselves, describing the stream, not the scene.
DECODER_KEYS = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive",
                "progression", "loop", "background", "duration", "timestamp"}

CHECKS = {"jpeg": _check_jpeg, "png": _check_png, "webp": _check_webp}
PIL_FORMAT = {"jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


def verify_bytes(data: bytes, fmt: str, width: int, height: int) -> None:
    """Raise VerifyError unless `data` is a clean `fmt` file of exactly width x height."""
    try:
        CHECKS[fmt](data)
    except containers.ContainerError as exc:
        raise VerifyError("verify.malformed", format=fmt.upper(),
                          detail=first_line(str(exc))) from exc
    try:
        with Image.open(io.BytesIO(data), formats=[PIL_FORMAT[fmt]]) as im:
            im.load()
            size = im.size
            leftovers = set(im.info) - DECODER_KEYS
            # lossless output only: lossy WebP smears visible colour under transparent pixels
            hidden = hidden_colour_count(np.asarray(im)) if (
                fmt == "png" and im.mode == "RGBA") else 0
    except Exception as exc:
        raise VerifyError("verify.undecodable", detail=first_line(str(exc))) from exc
    if size != (width, height):
        raise VerifyError("verify.size", width=size[0], height=size[1], expected_width=width,
                          expected_height=height)
    if leftovers:
        raise VerifyError("verify.leftovers", keys=str(sorted(leftovers)))
    if hidden:
        raise VerifyError("verify.hidden_colour", n=hidden)


def verify_file(path: Path, fmt: str, width: int, height: int) -> None:
    """Read the file back from disk (not from memory) and verify it."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise VerifyError("verify.cannot_reread", reason=os_reason(exc)) from exc
    verify_bytes(data, fmt, width, height)
