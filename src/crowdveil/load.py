"""Load: decode a photo to upright sRGB pixels, refusing anything unsafe to decode.

Everything downstream sees only the numpy array this returns; no metadata travels further.
"""

from __future__ import annotations

import io
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
from PIL import Image, ImageCms, ImageFile, ImageOps

from . import colour, formats
from .errors import LoadError, os_reason
from .messages import Message, msg
from .redact import scrub_hidden_colour
from .settings import DEFAULT_MAX_PIXELS

# What the format families (`formats/`) read: Pillow's format names, the openers asked, suffixes.
SUPPORTED_FORMATS = {name for f in formats.photo_families() for name in f.pil_formats}
_OPENERS = [f.opener for f in formats.photo_families()]
SUPPORTED_SUFFIXES = {suffix for f in formats.photo_families() for suffix in f.suffixes}


# Pillow's decompression-bomb check reads a process-wide limit (Image.MAX_IMAGE_PIXELS) that
# cannot follow each run's settings without being rewritten on every open (and two opens with
# two limits would race on it). The limit is ours instead: `open_image` checks the run's
# `max_pixels` on the header, before any pixel is decoded, so Pillow's check stays off.
Image.MAX_IMAGE_PIXELS = None
ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated photo is an error, never half a face


def open_image(fp: IO[bytes], max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Open (header only) an image of a supported format, refusing oversized ones."""
    for family in formats.photo_families():
        if family.prepare is not None:
            family.prepare()
    Image.init()  # load every plugin so `formats=` can name them
    try:
        im = Image.open(fp, formats=_OPENERS)
    except Image.UnidentifiedImageError as exc:
        raise LoadError("load.unsupported") from exc
    if im.width * im.height > max_pixels:
        im.close()
        raise LoadError("load.too_many_pixels", width=im.width, height=im.height,
                        pixels=im.width * im.height, limit=max_pixels)
    if im.width < 1 or im.height < 1:
        raise LoadError("load.no_pixels")
    return im


@dataclass
class Loaded:
    pixels: np.ndarray  # H x W x 3 (RGB) or 4 (RGBA), uint8, upright, sRGB
    format: str  # Pillow's format name of the input
    orientation: int = 1  # EXIF orientation that was applied to the pixels
    notes: list[Message] = field(default_factory=list)  # conversions worth reporting

    @property
    def has_alpha(self) -> bool:
        return self.pixels.shape[2] == 4


_SRGB = None


def _to_srgb(im: Image.Image, notes: list[Message]) -> Image.Image:
    """Apply the embedded ICC profile so colours survive dropping it from the output."""
    global _SRGB
    icc = im.info.get("icc_profile")
    if not icc or im.mode not in ("RGB", "RGBA", "CMYK", "L"):
        return im
    try:
        if _SRGB is None:
            _SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        out_mode = "RGBA" if im.mode == "RGBA" else "RGB"
        if im.mode == "L":
            # a grey profile cannot be paired with an RGB one in a single lcms transform
            return im
        converted = ImageCms.profileToProfile(im, src, _SRGB, outputMode=out_mode)
        return im if converted is None else converted  # None only for an in-place transform
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        notes.append(msg("note.icc_unusable"))
        return im


def _to_8bit_array(im: Image.Image) -> np.ndarray:
    mode = im.mode
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        arr = np.asarray(im, dtype=np.float64)
        top = 65535.0 if mode.startswith("I;16") or arr.max(initial=0) > 255 else 255.0
        grey = np.clip(arr / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return np.repeat(grey[..., None], 3, axis=2)
    if mode in ("P", "L", "RGB") and "transparency" in im.info:
        # a palette's transparent entries, or a PNG colour key: alpha, which keeps them unseen
        im = im.convert("RGBA")
    elif mode in ("LA", "PA", "RGBa", "La"):
        im = im.convert("RGBA")
    elif mode not in ("RGB", "RGBA"):
        im = im.convert("RGB")
    arr = np.asarray(im)
    if arr.dtype != np.uint8:
        raise LoadError("load.pixel_format", mode=mode)
    if arr.shape[2] == 4 and arr[..., 3].min() == 255:
        arr = arr[..., :3]  # an all-opaque alpha channel carries nothing worth keeping
    # The detector and the preview must see only what shows: a face hidden under alpha 0 would
    # otherwise be found, and its redaction (opaque, see redact) would show where it was.
    return np.ascontiguousarray(scrub_hidden_colour(arr))


MAX_COUNTED_IMAGES = 100  # past this, "more than 100" tells the user all a count would


def count_images(im: Image.Image, cap: int = MAX_COUNTED_IMAGES) -> tuple[int, bool]:
    """(how many images the file holds, counting at most `cap`; whether it holds more).

    A family may count its own way (TIFF: Pillow's `n_frames` is quadratic in pages); the
    others know their count from an index and are asked for it. Leaves `im` on the frame it
    was on; raises what a damaged later page raises.
    """
    family = formats.by_pil_format(im.format or "")
    if family is not None and family.count_images is not None:
        return family.count_images(im, cap)
    frames = int(getattr(im, "n_frames", 1) or 1)
    return min(frames, cap), frames > cap


def _note_other_images(im: Image.Image, notes: list[Message]) -> None:
    """Nothing of a file's other images is written (no leak), but the user must know the clean
    file is not the whole file: pages of a scan, a burst, a phone's depth map."""
    try:
        frames, more = count_images(im)
    except Exception:  # counting reads later pages; a damaged one must not cost the first
        notes.append(msg("note.images_unreadable"))
        return
    if more:
        notes.append(msg("note.first_of_more_than", n=frames))
    elif frames > 1:
        notes.append(msg("note.first_of", n=frames))


def decode(fp: IO[bytes], max_pixels: int = DEFAULT_MAX_PIXELS) -> Loaded:
    """Decode to an upright sRGB uint8 array; raise LoadError with a one-line reason."""
    try:
        with open_image(fp, max_pixels) as im:
            fmt = im.format or "unknown"
            orientation = int(im.getexif().get(0x0112, 1) or 1)
            im.load()
            notes: list[Message] = []
            _note_other_images(im, notes)
            # In place: an upright photo is not copied (a 12 MP one is 36 MB of pixels)
            ImageOps.exif_transpose(im, in_place=True)
            srgb = _to_srgb(im, notes)
            pixels = _to_8bit_array(srgb)
            if not im.info.get("icc_profile"):  # a profile, when there is one, has been applied
                pixels = colour.nclx_to_srgb(pixels, im.info.get("nclx_profile"), notes)
            return Loaded(pixels, fmt, orientation, notes)
    except LoadError:
        raise
    except MemoryError as exc:
        raise LoadError("load.no_memory") from exc
    except Exception as exc:  # decoders raise anything on hostile input; each is one bad file
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "truncated" in reason.lower() or isinstance(exc, EOFError):
            # the decoder's own English words would add nothing the sentence does not say
            raise LoadError("load.truncated") from exc
        raise LoadError("load.undecodable", detail=reason) from exc


def max_file_bytes(max_pixels: int = DEFAULT_MAX_PIXELS) -> int:
    """The largest file worth reading under a pixel limit.

    An honest photo is at most its pixels stored uncompressed at 16 bits per RGBA channel, plus
    room for metadata and previews; a bigger one is padding or a bomb, and since decoding needs
    about twice the file in memory, the cap is what keeps memory in proportion to the limit.
    """
    return max_pixels * 8 + 64 * 1024 * 1024


def read_input(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> bytes:
    """A photo's bytes, read once: everything later (digest, metadata, pixels) comes from them."""
    limit = max_file_bytes(max_pixels)
    try:
        # O_NONBLOCK: a FIFO or device named like a photo must not hang the reader on open
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise LoadError("load.not_regular")
            if st.st_size > limit:
                raise LoadError("load.file_too_big", size=st.st_size, limit=limit)
            data = fh.read(limit + 1)
    except OSError as exc:
        raise LoadError("load.cannot_read", reason=os_reason(exc)) from exc
    if len(data) > limit:  # it grew while we read it
        raise LoadError("load.file_grew", limit=limit)
    if not data:
        raise LoadError("load.empty")
    return data


def decode_bytes(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS) -> Loaded:
    return decode(io.BytesIO(data), max_pixels)


def load_path(path: Path, max_pixels: int = DEFAULT_MAX_PIXELS) -> tuple[bytes, Loaded]:
    """Read a file once and decode it; returns the raw bytes (for inspection) and the pixels."""
    data = read_input(path, max_pixels)
    return data, decode_bytes(data, max_pixels)
