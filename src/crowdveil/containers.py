"""Container walks, kept under their old names: each now lives in its format family.

`ContainerError`, `Part` and `Layout` are the registry's (`formats`); the JPEG, PNG and RIFF/WebP
walks are `formats.jpeg.layout`, `formats.png.layout` and `formats.webp.layout`.
"""

from __future__ import annotations

from .formats import ContainerError, Layout, Part, PhotoFamily, by_magic
from .formats.jpeg import NAMES as JPEG_NAMES
from .formats.jpeg import layout as jpeg_layout
from .formats.png import SIGNATURE as PNG_SIGNATURE
from .formats.png import layout as png_layout
from .formats.webp import layout as riff_layout

__all__ = ["JPEG_NAMES", "PNG_SIGNATURE", "ContainerError", "Layout", "Part", "jpeg_layout",
           "png_layout", "riff_layout", "sniff"]


def sniff(data: bytes) -> str | None:
    """The photo family's name from magic bytes: 'jpeg', 'png', 'webp', 'tiff', 'heif' or None."""
    family = by_magic(data)
    return family.name if isinstance(family, PhotoFamily) else None
