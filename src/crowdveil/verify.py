"""Verify: re-read a written file and prove it carries image data and nothing else.

Each written format's family (`formats/`) has an allowlist of segments/chunks that an image
needs; anything else (EXIF, XMP, ICC, comments, text, a second image, bytes after the end)
fails. The file must also decode to exactly the intended size.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from . import formats
from .errors import VerifyError, first_line, os_reason
from .formats.jpeg import ALLOWED as JPEG_ALLOWED
from .formats.png import ALLOWED as PNG_ALLOWED
from .formats.webp import ALLOWED as WEBP_ALLOWED
from .formats.webp import VP8X_ALPHA
from .redact import hidden_colour_count

__all__ = ["DECODER_KEYS", "JPEG_ALLOWED", "PNG_ALLOWED", "VP8X_ALPHA", "WEBP_ALLOWED",
           "verify_bytes", "verify_file"]  # the allowlists stay importable from here

# Keys Pillow's decoders put in `info` by themselves, describing the stream, not the scene.
DECODER_KEYS = {"jfif", "jfif_version", "jfif_unit", "jfif_density", "dpi", "progressive",
                "progression", "loop", "background", "duration", "timestamp"}


def verify_bytes(data: bytes, fmt: str, width: int, height: int) -> None:
    """Raise VerifyError unless `data` is a clean `fmt` file of exactly width x height."""
    family = formats.output(fmt)
    check = family.check
    if check is None:  # `output` gives writing families only, and each has its allowlist
        raise ValueError(f"no allowlist for {fmt!r}")
    try:
        check(data)
    except formats.ContainerError as exc:
        raise VerifyError("verify.malformed", format=fmt.upper(),
                          detail=first_line(str(exc))) from exc
    try:
        with Image.open(io.BytesIO(data), formats=[family.opener]) as im:
            im.load()
            size = im.size
            leftovers = set(im.info) - DECODER_KEYS
            # lossless output only: lossy WebP smears visible colour under transparent pixels
            hidden = hidden_colour_count(np.asarray(im)) if (
                family.lossless and im.mode == "RGBA") else 0
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
