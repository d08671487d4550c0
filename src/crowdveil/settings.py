"""The one settings object a run carries from the CLI or the app down to every step.

Photos (`pipeline`) and clips (`formats.video`) take the same `Options`: built once, checked
once here, never rebuilt from loose keyword arguments on the way. This module imports nothing
of the pipeline, so the format families can take it without an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass

from .redact import METHODS, Method

# Decoding a larger picture is refused before its pixels are allocated (load.py): a 120 MP
# photo is larger than any phone or camera writes, and a hostile header cannot ask for more.
DEFAULT_MAX_PIXELS = 120_000_000
DEFAULT_QUALITY = 90  # JPEG/WebP quality of the written file


@dataclass(frozen=True)
class Options:
    """How to redact and write. Invalid values are refused here (ValueError), so no step has
    to check them again; the CLI and the app check the user's input first, in their words."""

    method: Method = "fill"
    quality: int = DEFAULT_QUALITY
    max_pixels: int = DEFAULT_MAX_PIXELS
    overwrite: bool = False
    keep_audio: bool = False  # videos: keep the sound (re-encoded, no tags); else it is removed

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        if isinstance(self.quality, bool) or not isinstance(self.quality, int) \
                or not 1 <= self.quality <= 100:
            raise ValueError(f"quality must be a whole number from 1 to 100, not {self.quality!r}")
        if isinstance(self.max_pixels, bool) or not isinstance(self.max_pixels, int) \
                or self.max_pixels <= 0:
            raise ValueError(f"max_pixels must be a positive whole number, not "
                             f"{self.max_pixels!r}")
