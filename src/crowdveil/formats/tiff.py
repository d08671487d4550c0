"""TIFF: read only (its clean copy is a JPEG, or a PNG when it has transparency).

Its metadata (EXIF, XMP, ICC) sits in IFD tags that Pillow parses, so its findings come from
Pillow (`reveal.pillow_findings`). A scan may hold thousands of pages: they are counted by
seeking, never with Pillow's `n_frames`.
"""

from __future__ import annotations

from PIL import Image

from ..reveal import pillow_findings
from . import PhotoFamily, register

SUFFIXES = frozenset({".tif", ".tiff"})


def magic(head: bytes) -> bool:
    return head[:4] in (b"II*\x00", b"MM\x00*")


def count_images(im: Image.Image, cap: int) -> tuple[int, bool]:
    """(pages, counting at most `cap`; whether there are more), leaving `im` on its page.

    Pillow's TIFF `n_frames` reads every page and checks each against a list of all the pages
    before it: quadratic (100,000 pages took 105 s). Seeking page by page stops after `cap`.
    """
    current = im.tell()
    try:
        for frame in range(1, cap + 1):
            try:
                im.seek(frame)
            except EOFError:
                return frame, False
        return cap, True
    finally:
        im.seek(current)


FAMILY = register(PhotoFamily(
    name="tiff", suffixes=SUFFIXES, pil_formats=frozenset({"TIFF"}), opener="TIFF",
    sniff=magic, findings=pillow_findings, writes_as="jpeg", count_images=count_images,
))
