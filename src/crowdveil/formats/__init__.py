"""Format families beside the photo path: each module knows its suffixes, magic bytes, reader,
writer, the container parts it allows and what a file of its kind reveals.

Video is the first family here (`video`); the photo formats still live in load/write_clean/
verify/reveal.
"""

from __future__ import annotations

# Here, not in formats.video, so that walking a folder does not import the video library.
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv"})
VIDEO_OUTPUT_SUFFIX = ".mp4"
