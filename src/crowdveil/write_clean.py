"""Write clean: encode a brand-new file from the pixel array alone, and put it in place atomically.

Nothing from the input file reaches the encoder: no info dict, no EXIF, no ICC profile. The
encoders (each writing family's `save`, `formats/`) get a fresh `Image.fromarray`, so only
what an encoder writes of its own accord can appear, and `verify` checks even that against the
family's allowlist.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from PIL import Image

from . import formats
from .errors import WriteError, display_path, first_line, os_reason
from .redact import scrub_hidden_colour
from .settings import DEFAULT_QUALITY

OutFormat = str  # the name of a family that writes (`formats.output`): "jpeg", "png", "webp"
SUFFIX = {f.name: f.output_suffix for f in formats.writers() if f.output_suffix}


def output_format(input_format: str, has_alpha: bool) -> OutFormat:
    """JPEG for camera formats, PNG for PNG, WebP for WebP; PNG whenever alpha must be kept
    (each family says what it is written as, `formats.for_output`)."""
    return formats.for_output(input_format, has_alpha).name


def output_target(target_base: Path, input_format: str, has_alpha: bool) -> Path:
    """Where a photo's output goes: `target_base` plus the suffix of the format written."""
    fmt = output_format(input_format, has_alpha)
    return target_base.with_name(target_base.name + SUFFIX[fmt])


# The most pixels per side each output format can hold.
MAX_SIDE = {f.name: f.max_side for f in formats.writers()}


def encode(pixels: np.ndarray, fmt: OutFormat, quality: int = DEFAULT_QUALITY) -> bytes:
    """Encode H x W x 3|4 uint8 pixels; the result holds image data and nothing else.

    Colour that transparency hides is destroyed first (`scrub_hidden_colour`): every output
    passes through here, so no caller can forget it. Raises WriteError when the format cannot
    hold the picture (too many pixels per side).
    """
    family = formats.output(fmt)
    h, w = pixels.shape[:2]
    if max(h, w) > family.max_side:
        raise WriteError("write.too_large", width=w, height=h, format=fmt.upper(),
                         max_side=family.max_side)
    try:
        return _encode(scrub_hidden_colour(pixels), family, quality)
    except (OSError, SystemError) as exc:  # the encoder refused: one line, not a crash
        raise WriteError("write.encode", format=fmt.upper(), detail=first_line(str(exc))) from exc


def _encode(pixels: np.ndarray, family: formats.PhotoFamily, quality: int) -> bytes:
    im = Image.fromarray(np.ascontiguousarray(pixels), "RGBA" if pixels.shape[2] == 4 else "RGB")
    buf = io.BytesIO()
    save = family.save
    if save is None:  # `formats.output` gives writing families only
        raise ValueError(f"unknown output format {family.name!r}")
    save(im, buf, quality)
    return buf.getvalue()


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened/fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


TEMP_PREFIX = ".crowdveil-"
TEMP_SUFFIX = ".part"


def temp_owner(name: str) -> int | None:
    """The process id a crowdveil temporary file name was made by, or None if it names none."""
    if not (name.startswith(TEMP_PREFIX) and name.endswith(TEMP_SUFFIX)):
        return None
    pid, sep, _ = name[len(TEMP_PREFIX) : -len(TEMP_SUFFIX)].partition("-")
    return int(pid) if sep and pid.isdigit() else None


def _running(pid: int, since: float) -> bool:
    """Whether process `pid` runs and may have written a file last modified at `since`."""
    try:  # signal 0 only asks; POSIX only (on Windows os.kill would terminate the process)
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but belongs to someone else
        pass
    started, state = _proc_start_and_state(pid)
    # A killed worker whose parent died too stays a zombie until something reaps it, and some
    # containers' init never does: it answers signal 0 but will never write again.
    if state in ("Z", "X"):
        return False
    # A pid is reused once its process is gone: a process that started after the file was
    # last written is not the one that wrote it.
    return started is None or started <= since + 1.0


def _proc_start_and_state(pid: int) -> tuple[float | None, str | None]:
    """(start time, seconds since the epoch; state letter) from Linux's /proc, else Nones."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # comm, in parentheses, may itself hold spaces and parentheses: split after the last.
            fields = f.read().rpartition(")")[2].split()
        with open("/proc/stat") as f:
            boot = next(float(line.split()[1]) for line in f if line.startswith("btime "))
        ticks = os.sysconf("SC_CLK_TCK")
        return boot + int(fields[19]) / ticks, fields[0]
    except (OSError, ValueError, IndexError, StopIteration):
        return None, None


STALE_AGE_S = 24 * 3600  # where liveness cannot be asked, a day-old temporary file is stale


def _stale(entry: os.DirEntry, pid: int | None) -> bool:
    if pid == os.getpid():
        return False
    if pid is None or os.name != "posix":  # no owner to ask: judge by age
        return time.time() - entry.stat().st_mtime > STALE_AGE_S
    return not _running(pid, entry.stat().st_mtime)


def remove_stale_temps(folders: Iterable[Path]) -> list[Path]:
    """Delete temporary files that killed crowdveil runs left in `folders` (not recursive).

    A temporary file is stale when the process that made it (its pid is in the name) no longer
    runs, so a concurrent run writing into the same folder keeps its own files.
    """
    removed: list[Path] = []
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if not (entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX)):
                continue
            pid = temp_owner(entry.name)
            try:
                if not entry.is_file(follow_symlinks=False) or not _stale(entry, pid):
                    continue
                os.unlink(entry.path)
                removed.append(Path(entry.path))
            except OSError:
                continue
    return removed


def probe_folder(folder: Path) -> Path:
    """Prove now, before any photo is searched, that `folder` can take a new file.

    Missing folders are created later by `write_atomic`, so the nearest existing folder above
    is what is tried: a small file is written, synced and removed. A read-only disk, a full one
    or a folder the user may not write in raises OSError (NotADirectoryError if a file stands
    where the folder should be). Returns the folder that was tried.
    """
    existing = folder.absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(existing))
    fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX,
                                dir=existing)
    try:
        os.write(fd, bytes(4096))  # a full disk still lets a file be created, not written
        os.fsync(fd)
    finally:
        os.close(fd)
        with contextlib.suppress(OSError):
            os.unlink(name)
    return existing


def check_output_folder(folder: Path) -> None:
    """`probe_folder` as the error the user reads: WriteError, with the reason in plain words."""
    try:
        probe_folder(folder)
    except NotADirectoryError as exc:
        raise WriteError("write.not_a_folder", folder=display_path(exc.filename)) from exc
    except OSError as exc:
        raise WriteError("write.cannot_write_in", folder=display_path(folder),
                         reason=os_reason(exc)) from exc


def write_atomic(
    data: bytes,
    target: Path,
    *,
    overwrite: bool = False,
    check: Callable[[Path], None] | None = None,
) -> None:
    """Write `data` to `target` whole or not at all (`write_atomic_with`): fsynced, re-read
    and checked by `check` before it is renamed into place."""

    def fill(fd: int, tmp: Path) -> None:
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        except OSError as exc:
            raise WriteError("write.cannot_write", file=display_path(target),
                             reason=os_reason(exc)) from exc
        if check is not None:
            check(tmp)

    write_atomic_with(target, fill, overwrite=overwrite)


def write_atomic_with(
    target: Path, fill: Callable[[int, Path], None], *, overwrite: bool = False
) -> None:
    """Make `target` appear whole or not at all, its content written by `fill(fd, tmp)`.

    `fill` gets the open descriptor (it owns it: close it or wrap it) of a hidden temporary
    file beside the target (named after this process, so a later run can tell a killed run's
    leftovers from a live one's); it writes and checks that file and raises if anything is
    wrong. Only then is the file renamed into place. On any failure the temporary file is
    removed and no file appears at `target`.
    """
    folder = target.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError("write.mkdir", folder=display_path(folder),
                         reason=os_reason(exc)) from exc
    if not overwrite and os.path.lexists(target):
        raise WriteError("write.exists", file=display_path(target))
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=folder
        )
    except OSError as exc:
        raise WriteError("write.cannot_write_in", folder=display_path(folder),
                         reason=os_reason(exc)) from exc
    tmp = Path(tmp_name)
    try:
        fill(fd, tmp)
        try:
            if overwrite:
                os.replace(tmp, target)
            else:
                _rename_no_clobber(tmp, target)
        except FileExistsError as exc:
            raise WriteError("write.exists", file=display_path(target)) from exc
        except OSError as exc:
            raise WriteError("write.cannot_write", file=display_path(target),
                             reason=os_reason(exc)) from exc
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
