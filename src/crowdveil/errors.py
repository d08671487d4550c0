"""Errors a user is meant to read: one line, naming what went wrong, never a traceback."""

import os


class CrowdveilError(Exception):
    """An expected failure for one file; the batch reports it and goes on."""


class LoadError(CrowdveilError):
    """The input cannot be decoded safely (truncated, not an image, too large, unreadable)."""


class WriteError(CrowdveilError):
    """The output could not be written whole (exists, disk full, permission)."""


class VerifyError(CrowdveilError):
    """A written file failed the container audit; it has been deleted."""


def printable(text: str) -> str:
    """What a terminal shows as exactly one line: no newline, no escape sequence."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def display_path(path: os.PathLike[str] | str) -> str:
    """A path on one line whatever bytes its name holds (it ends up in one-line errors)."""
    text = os.fsdecode(path).encode("utf-8", "backslashreplace").decode("utf-8")
    return printable(text)


def first_line(text: str, fallback: str = "no details") -> str:
    """The first non-empty line of a message: library errors sometimes span several."""
    lines = text.strip().splitlines()
    return lines[0] if lines else fallback


def internal(exc: BaseException) -> str:
    """The one line for a bug (not a bad file): it costs that photo, and says what broke."""
    return f"internal error: {type(exc).__name__}: {first_line(str(exc))}"
