"""HEIC/HEIF (a phone's photo): read only, through pillow-heif's Pillow opener; its clean copy
is a JPEG (a PNG when it has transparency).

The one place the HEIF decoder is named: `prepare` registers it with Pillow before any decode.
Its EXIF/XMP/colour description come from the decoder (`reveal.pillow_findings`); a wide-gamut
or HDR colour description (nclx) is applied in `load`/`colour`.
"""

from __future__ import annotations

from ..reveal import pillow_findings
from . import PhotoFamily, register

SUFFIXES = frozenset({".heic", ".heif", ".hif"})

_registered = False


def prepare() -> None:
    global _registered
    if not _registered:
        import pillow_heif

        pillow_heif.register_heif_opener()
        _registered = True


def magic(head: bytes) -> bool:
    """An ISO base media file (`ftyp` box first); a video's MP4/MOV starts the same way."""
    return head[4:8] == b"ftyp"


FAMILY = register(PhotoFamily(
    name="heif", suffixes=SUFFIXES, pil_formats=frozenset({"HEIF"}), opener="HEIF",
    sniff=magic, findings=pillow_findings, writes_as="jpeg", prepare=prepare,
))
