"""Errors a user is meant to read: one line, naming what went wrong, never a traceback."""


class CrowdveilError(Exception):
    """An expected failure for one file; the batch reports it and goes on."""


class LoadError(CrowdveilError):
    """The input cannot be decoded safely (truncated, not an image, too large, unreadable)."""


class WriteError(CrowdveilError):
    """The output could not be written whole (exists, disk full, permission)."""


class VerifyError(CrowdveilError):
    """A written file failed the container audit; it has been deleted."""
