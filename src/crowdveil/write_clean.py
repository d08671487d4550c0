"""Write clean: encode a brand-new file from the pixel array alone, and put it in place atomically.

Nothing from the input file reaches the encoder: no info dict, no EXIF, no ICC profile. The
encoders get a fresh `Image.fromarray`, so only what an encoder writes of its own accord can
appear, and `verify` checks even that against an allowlist.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Literal

import numpy as np
from PIL import Image

from .errors import WriteError

OutFormat = Literal["jpeg", "png", "webp"]
SUFFIX = {"jpeg": ".jpg", "png": ".png", "webp": ".webp"}
DEFAULT_QUALITY = 90


def output_format(input_format: str, has_alpha: bool) -> OutFormat:
    """JPEG for camera formats, PNG for PNG, WebP for WebP; PNG whenever alpha must be kept."""
    if input_format == "WEBP":
        return "webp"
    if input_format == "PNG" or has_alpha:
        return "png"
    return "jpeg"


def encode(pixels: np.ndarray, fmt: OutFormat, quality: int = DEFAULT_QUALITY) -> bytes:
    """Encode H x W x 3|4 uint8 pixels; the result holds image data and nothing else."""
    im = Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if pixels.shape[2] == 4 else "RGB")
    buf = io.BytesIO()
    if fmt == "jpeg":
        if im.mode == "RGBA":
            raise ValueError("JPEG cannot hold alpha")
        im.save(buf, "JPEG", quality=quality, optimize=True)
    elif fmt == "png":
        im.save(buf, "PNG", compress_level=6)
    elif fmt == "webp":
        im.save(buf, "WEBP", quality=quality, method=4)
    else:
        raise ValueError(f"unknown output format {fmt!r}")
    return buf.getvalue()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened/fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomic(
    data: bytes,
    target: Path,
    *,
    overwrite: bool = False,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Write `data` to `target` whole or not at all.

    The bytes go to a hidden temporary file beside the target, are fsynced, re-read and
    checked by `check`, and only then renamed into place. On any failure the temporary file
    is removed and no file appears at `target`.
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError(f"cannot create output folder {folder}: {exc.strerror or exc}") from exc
    if not overwrite and target.exists():
        raise WriteError(f"output exists, not overwritten (use --overwrite): {target}")
    try:
        fd, tmp_name = tempfile.mkstemp(prefix=".crowdveil-", suffix=".part", dir=folder)
    except OSError as exc:
        raise WriteError(f"cannot write in {folder}: {exc.strerror or exc}") from exc
    tmp = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise WriteError(f"cannot write {target}: {exc.strerror or exc}") from exc
        if check is not None:
            check(tmp)
        try:
            if overwrite:
                os.replace(tmp, target)
            else:
                _rename_no_clobber(tmp, target)
        except FileExistsError as exc:
            raise WriteError(f"output exists, not overwritten (use --overwrite): {target}") from exc
        except OSError as exc:
            raise WriteError(f"cannot write {target}: {exc.strerror or exc}") from exc
        _fsync_dir(folder)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _rename_no_clobber(tmp: Path, target: Path) -> None:
    """Rename without replacing a file that appeared meanwhile (link is atomic and refuses)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise
    except OSError:
        # filesystems without hard links (FAT on USB sticks): best effort check-then-rename
        if target.exists():
            raise FileExistsError(target) from None
        os.rename(tmp, target)
        return
    tmp.unlink()
