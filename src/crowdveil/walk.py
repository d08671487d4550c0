"""Which files under a folder are photos crowdveil reads, and why the others are not.

The CLI and the GUI walk folders through this one function, so a folder dropped on the window
yields exactly the photos the command line would process. Links are followed only to files
inside the folder itself: a folder of photos from elsewhere must not make crowdveil read (and
write a cleaned copy of) some other file, such as a private photo a link points to.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .formats import VIDEO_SUFFIXES
from .load import SUPPORTED_SUFFIXES
from .messages import Message, msg

LINK_TO_FOLDER = msg("walk.link_to_folder")
LINK_OUTSIDE = msg("walk.link_outside")
# Pictures and videos that crowdveil cannot clean (yet): a folder of demonstration photos may
# hold them, and the user must hear that they were neither cleaned nor copied.
UNREAD_PICTURES = frozenset({
    ".gif", ".avif", ".jxl", ".bmp", ".dng", ".cr2", ".cr3", ".nef", ".arw", ".orf", ".rw2",
    ".raf", ".pef", ".srw", ".heics", ".mp4", ".mov", ".m4v", ".3gp", ".webm", ".mkv", ".avi",
})  # the videos crowdveil reads are passed on when the caller takes them (`videos`)


@dataclass(frozen=True)
class Entry:
    path: Path
    reason: Message | None  # why it is not read; None for a photo to process
    problem: bool = False  # a reason to report as an error (a link), not just another file type
    picture: bool = False  # a picture or video of a type crowdveil does not read: say so


def walk_folder(folder: Path, skip: Path | None = None, videos: bool = False) -> Iterator[Entry]:
    """Every file and refused link under `folder`, sorted, hidden entries and `skip` left out.

    `videos`: clips of the types in `formats.VIDEO_SUFFIXES` are inputs too (the command line
    cleans them; the app does not review them yet, so for it they stay "not read").

    `skip` (the output folder) is compared with each folder's resolved path, so an output
    folder inside the input is never read back, however either was given.
    """
    skip = skip.resolve() if skip is not None else None
    root = folder.resolve()
    for here_s, dirs, files in os.walk(folder, followlinks=False):
        here = Path(here_s)
        keep = []
        for d in sorted(dirs):
            if d.startswith(".") or (skip is not None and _same(here / d, skip)):
                continue
            if (here / d).is_symlink():
                yield Entry(here / d, LINK_TO_FOLDER, problem=True)
                continue
            keep.append(d)
        dirs[:] = keep
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = here / name
            readable = SUPPORTED_SUFFIXES | VIDEO_SUFFIXES if videos else SUPPORTED_SUFFIXES
            if path.suffix.lower() not in readable:
                suffix = path.suffix.lower()
                kind: Message | str = suffix or msg("walk.no_extension")
                yield Entry(path, msg("walk.not_a_photo", kind=kind),
                            picture=suffix in UNREAD_PICTURES)
            elif path.is_symlink() and not _inside(path, root):
                yield Entry(path, LINK_OUTSIDE, problem=True)
            else:
                yield Entry(path, None)


def _same(path: Path, resolved: Path) -> bool:
    """Whether `path`, given relative, with `./` or `..` or through a link, is `resolved`."""
    try:
        return path.resolve() == resolved
    except (OSError, RuntimeError):
        return False


def _inside(path: Path, root: Path) -> bool:
    try:
        return path.resolve(strict=True).is_relative_to(root)
    except (OSError, RuntimeError):  # dangling link, loop (RuntimeError before Python 3.13)
        return False
