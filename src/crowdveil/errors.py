"""Errors a user is meant to read: one line, naming what went wrong, never a traceback.

An error carries a `Message` (a code and its values), not a sentence: the command line and the
window say it in the user's language. `str(exc)` is the English line, for logs.
"""

from __future__ import annotations

import errno
import os

from .english import ENGLISH
from .messages import Message, Value, msg


class CrowdveilError(Exception):
    """An expected failure for one file; the batch reports it and goes on.

    Raised as `LoadError("load.empty")` or `WriteError("write.exists", file=name)`; a bare
    sentence (older callers) becomes the message "error.text".
    """

    def __init__(self, code: str | Message, /, **values: Value) -> None:
        if isinstance(code, Message):
            message = code
        elif values or code in ENGLISH:
            message = Message(code, values)
        else:
            message = msg("error.text", text=code)
        self.message = message
        super().__init__(str(message))


class LoadError(CrowdveilError):
    """The input cannot be decoded safely (truncated, not an image, too large, unreadable)."""


class WriteError(CrowdveilError):
    """The output could not be written whole (exists, disk full, permission)."""


class VerifyError(CrowdveilError):
    """A written file failed the container audit; it has been deleted."""


# Wording that meant nothing to people who tried it ("Read-only file system"), in plain words.
_ERRNO_CODES = {
    errno.ENOSPC: "os.no_space",
    errno.EROFS: "os.read_only",
    errno.EACCES: "os.permission",
    errno.EPERM: "os.permission",
    errno.ENOENT: "os.not_found",
    errno.EISDIR: "os.is_folder",
    errno.ENOTDIR: "os.not_folder",
    errno.ENAMETOOLONG: "os.name_too_long",
    errno.EIO: "os.io",
    errno.EMFILE: "os.too_many_open",
    errno.ENFILE: "os.too_many_open",
    errno.EBUSY: "os.busy",
}
if hasattr(errno, "EDQUOT"):
    _ERRNO_CODES[errno.EDQUOT] = "os.quota"


def os_reason(exc: OSError) -> Message:
    """Why the system refused, as a message: known causes in plain words, others as the OS
    said them (without the file name it repeats, which may be hostile)."""
    code = _ERRNO_CODES.get(exc.errno or -1)
    if code is not None:
        return msg(code)
    return msg("os.other", text=printable(exc.strerror or type(exc).__name__))


# No-break spaces are French typography, not control characters: they stay as they are.
_KEPT_SPACES = {"\u00a0", "\u202f"}


def printable(text: str) -> str:
    """What a terminal shows as exactly one line: no newline, no escape sequence."""
    return "".join(c if c.isprintable() or c in _KEPT_SPACES else repr(c)[1:-1] for c in text)


def display_path(path: os.PathLike[str] | str) -> str:
    """A path on one line whatever bytes its name holds (it ends up in one-line errors)."""
    text = os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")
    return printable(text)


def first_line(text: str, fallback: str = "no details") -> str:
    """The first non-empty line of a message: library errors sometimes span several."""
    lines = text.strip().splitlines()
    return lines[0] if lines else fallback


def internal_message(exc: BaseException) -> Message:
    """The message for a bug (not a bad file): it costs that photo, and says what broke."""
    return msg("error.internal", type=type(exc).__name__, detail=first_line(str(exc)))


def internal(exc: BaseException) -> str:
    """`internal_message` as its English line."""
    return str(internal_message(exc))
