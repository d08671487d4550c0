"""Format families: one module per container family, each registering itself here.

Like Pillow's `*ImagePlugin.py`, everything about one family lives in its module: its suffixes
and magic bytes, how its container is walked (`Part`s of a `Layout`), what decodes it (the
Pillow opener), what writes its clean copy (encoder settings, largest side), the parts a clean
copy may hold (verify's allowlist) and what a file of its kind gives away (inspect's findings).

- `jpeg` (JPEG, and MPO: a phone's JPEG with its depth or preview image), `png`, `webp`,
  `tiff`, `heif` (HEIC/HEIF): photos, `PhotoFamily`.
- `video_entry`: videos (MP4, MOV, M4V, WebM, MKV), `VideoFamily`; the family's reader,
  writer and checks are `formats.video` (its tracker `formats.tracking`), imported only when
  a clip is handled.

The steps (load, write_clean, verify, reveal) are generic and ask this registry: `by_suffix`,
`by_magic`, `by_pil_format`, `for_output` (the family that writes an input's clean copy) and
`output` (a writing family by name). The families load on the first question, so importing
this package stays cheap. What the families share is here too: `Part`, `Layout` and
`ContainerError` for their container walks, `payloads` and `audit` (verify's allowlist walk).

A new family: a module that builds a `PhotoFamily` (or `VideoFamily`), passes it to `register`,
and is named in `_MODULES`; `tests/test_formats.py` then asks for a sample of it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Set
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol, TypeVar

from ..errors import VerifyError

if TYPE_CHECKING:
    from PIL import Image

    from ..reveal import Finding

# Here, not in formats.video, so that walking a folder does not import the video library.
VIDEO_SUFFIXES = frozenset({".mp4", ".mov", ".m4v", ".webm", ".mkv"})
VIDEO_OUTPUT_SUFFIX = ".mp4"
# What a clip's size says of its length before it is opened: a 1080p phone clip holds ~2 MB a
# second (the batch's time limit for a clip and the progress's guess of its frames use it).
CLIP_BYTES_PER_SECOND = 2 * 1024 * 1024


class ContainerError(ValueError):
    """The bytes are not a well-formed container of the expected kind."""


@dataclass(frozen=True)
class Part:
    """One segment/chunk: its name, where its payload starts, and the payload length."""

    name: str
    offset: int
    length: int


@dataclass(frozen=True)
class Layout:
    parts: list[Part]
    end: int  # offset just past the last byte that belongs to the image
    trailing: int  # bytes after `end`


def payloads(data: bytes, walked: Layout) -> Iterator[tuple[Part, bytes]]:
    """Each part of `walked` with its payload, as `data` holds it."""
    for part in walked.parts:
        yield part, data[part.offset : part.offset + part.length]


def audit(
    data: bytes,
    walked: Layout,
    allowed: Set[str],
    *,
    refused: str,
    trailing: str,
    label: Callable[[str], str] = str,
    part_check: Callable[[bytes, Part], None] | None = None,
) -> None:
    """Verify's allowlist walk: raise VerifyError (code `refused` naming the part, `trailing`
    with the size of what follows the image) unless `data` holds only `allowed` parts, each
    passing `part_check(data, part)`."""
    for part in walked.parts:
        if part.name not in allowed:
            raise VerifyError(refused, name=label(part.name))
        if part_check is not None:
            part_check(data, part)
    if walked.trailing:
        raise VerifyError(trailing, size=walked.trailing)


class Family(Protocol):
    """What every family tells the registry."""

    @property
    def name(self) -> str: ...

    @property
    def suffixes(self) -> frozenset[str]: ...

    @property
    def output_suffix(self) -> str | None: ...

    def magic(self, head: bytes) -> bool: ...


@dataclass(frozen=True)
class PhotoFamily:
    """A still-image family: read whole into memory, decoded by Pillow, written by Pillow."""

    name: str  # also the name of the format it writes, when it writes one ("jpeg")
    suffixes: frozenset[str]
    pil_formats: frozenset[str]  # Pillow's format names for what it decodes ("JPEG", "MPO")
    opener: str  # the Pillow plugin that opens (and, for the written ones, re-reads) it
    sniff: Callable[[bytes], bool]  # the magic bytes, on the file's first bytes
    # What a file of this family gives away: (bytes, pixel limit) -> findings; raises
    # ContainerError on a broken container.
    findings: Callable[[bytes, int], list[Finding]]
    writes_as: str  # the family whose writer makes the clean copy of this family's files
    layout: Callable[[bytes], Layout] | None = None  # the container walk, where we have one
    prepare: Callable[[], None] | None = None  # before any decode (HEIF: its Pillow opener)
    # (images in the file counting at most cap, whether there are more) where Pillow's own
    # `n_frames` is unfit; None: ask `n_frames`.
    count_images: Callable[[Image.Image, int], tuple[int, bool]] | None = None
    # The writer, for families that write their own clean copies:
    output_suffix: str | None = None
    save: Callable[[Image.Image, IO[bytes], int], None] | None = None  # (image, file, quality)
    max_side: int = 0  # the most pixels per side the format can hold
    keeps_alpha: bool = False  # can hold transparency (else PNG is written for it)
    lossless: bool = False  # re-read pixels are the written ones (verify checks hidden colour)
    check: Callable[[bytes], None] | None = None  # verify's allowlist: raises VerifyError

    def __post_init__(self) -> None:
        writer = (self.output_suffix, self.save, self.check)
        if any(w is None for w in writer) and any(w is not None for w in writer):
            # a family that writes without an allowlist would let anything through verify
            raise ValueError(f"{self.name}: a writer needs output_suffix, save and check")

    def magic(self, head: bytes) -> bool:
        return self.sniff(head)


@dataclass(frozen=True)
class VideoFamily:
    """A clip family: streamed frame by frame from a path (`formats.video`), never held whole."""

    name: str
    suffixes: frozenset[str]
    output_suffix: str | None
    sniff: Callable[[bytes], bool]
    findings: Callable[[Path], list[Finding]]  # what a clip gives away, read from its path

    def magic(self, head: bytes) -> bool:
        return self.sniff(head)


# The order `by_magic` asks in (each module's `FAMILY`): ISO base media (`ftyp`) is claimed by
# HEIF before video, as `inspect` always read it.
_MODULES = ("jpeg", "png", "webp", "tiff", "heif", "video_entry")
_FAMILIES: dict[str, Family] = {}
_loaded = False

# Transparency is kept in PNG when the family's own output cannot hold it; an input whose
# format no family names is written as JPEG.
ALPHA_OUTPUT = "png"
DEFAULT_OUTPUT = "jpeg"


F = TypeVar("F", bound=Family)


def register(family: F) -> F:
    """Add a family; called by each family module when it is imported."""
    _FAMILIES[family.name] = family
    return family


def _load() -> None:
    global _loaded
    if not _loaded:
        # importing a module registers its FAMILY; kept in _MODULES's order, whichever module
        # was imported first
        ordered = [importlib.import_module(f"{__name__}.{m}").FAMILY for m in _MODULES]
        others = [f for f in _FAMILIES.values() if f not in ordered]
        _FAMILIES.clear()
        _FAMILIES.update((f.name, f) for f in ordered + others)
        _loaded = True


def families() -> list[Family]:
    _load()
    return list(_FAMILIES.values())


def photo_families() -> list[PhotoFamily]:
    return [f for f in families() if isinstance(f, PhotoFamily)]


def by_suffix(suffix: str) -> Family | None:
    """The family that reads files named with `suffix` (".JPG" too), or None."""
    suffix = suffix.lower()
    return next((f for f in families() if suffix in f.suffixes), None)


def by_magic(head: bytes) -> Family | None:
    """The first family whose magic bytes start `head`, or None."""
    return next((f for f in families() if f.magic(head)), None)


def by_pil_format(pil_format: str) -> PhotoFamily | None:
    """The photo family of a format as Pillow names it ("MPO" -> jpeg), or None."""
    return next((f for f in photo_families() if pil_format in f.pil_formats), None)


def output(name: str) -> PhotoFamily:
    """The family that writes format `name` ("jpeg", "png", "webp")."""
    _load()
    family = _FAMILIES.get(name)
    if not isinstance(family, PhotoFamily) or family.save is None or family.check is None:
        raise ValueError(f"unknown output format {name!r}")
    return family


def writers() -> list[PhotoFamily]:
    """The families that write clean copies, in registration order."""
    return [f for f in photo_families() if f.save is not None]


def for_output(pil_format: str, has_alpha: bool) -> PhotoFamily:
    """The family that writes the clean copy of a photo Pillow decoded as `pil_format`."""
    family = by_pil_format(pil_format)
    chosen = output(family.writes_as if family else DEFAULT_OUTPUT)
    return output(ALPHA_OUTPUT) if has_alpha and not chosen.keeps_alpha else chosen
