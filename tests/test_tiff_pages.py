"""Counting a multi-page TIFF's pages costs a bounded number of page reads, however many pages.

Pillow's `n_frames` walks every page and checks each against all pages before it: 100,000
pages took 105 s to count. The count only feeds a note ("only the first of N images was
kept"), so past `MAX_COUNTED_IMAGES` the note says "more than" and stops reading.
Proved by counting IFD (page directory) reads, never by timing.
"""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, TiffImagePlugin

from crowdveil.load import MAX_COUNTED_IMAGES, count_images, decode

FIRST, OTHERS = 10, 200  # the grey of page 1, and of every later page


def many_page_tiff(pages: int) -> bytes:
    """A little-endian TIFF of `pages` 1 x 1 grey pages, written by hand (Pillow's writer would
    take far longer): page 1 is FIRST, the rest share one strip of OTHERS."""
    header = b"II*\x00" + struct.pack("<I", 12)
    strips = bytes([FIRST, OTHERS, 0, 0])  # at offsets 8 and 9; IFDs start at 12
    ifd_size = 2 + 9 * 12 + 4
    body = bytearray()
    for page in range(pages):
        offset = 12 + page * ifd_size
        nxt = offset + ifd_size if page + 1 < pages else 0
        entries = [
            (256, 3, 1, 1),  # ImageWidth
            (257, 3, 1, 1),  # ImageLength
            (258, 3, 1, 8),  # BitsPerSample
            (259, 3, 1, 1),  # Compression: none
            (262, 3, 1, 1),  # PhotometricInterpretation: black is zero
            (273, 4, 1, 8 if page == 0 else 9),  # StripOffsets
            (277, 3, 1, 1),  # SamplesPerPixel
            (278, 3, 1, 1),  # RowsPerStrip
            (279, 4, 1, 1),  # StripByteCounts
        ]
        body += struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            body += struct.pack("<HHII", tag, kind, count, value)
        body += struct.pack("<I", nxt)
    return header + strips + bytes(body)


@pytest.fixture
def ifd_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every page directory Pillow reads (one list entry per read)."""
    reads: list[int] = []
    original = TiffImagePlugin.ImageFileDirectory_v2.load

    def counting(self: TiffImagePlugin.ImageFileDirectory_v2, fp: object) -> None:
        reads.append(1)
        original(self, fp)

    monkeypatch.setattr(TiffImagePlugin.ImageFileDirectory_v2, "load", counting)
    return reads


def _decode_counting(data: bytes, reads: list[int]) -> tuple[int, list[str], int]:
    reads.clear()
    loaded = decode(io.BytesIO(data))
    return int(loaded.pixels[0, 0, 0]), [str(n) for n in loaded.notes], len(reads)


def test_page_reads_do_not_grow_with_the_number_of_pages(ifd_reads: list[int]) -> None:
    few = _decode_counting(many_page_tiff(3 * MAX_COUNTED_IMAGES), ifd_reads)[2]
    many = _decode_counting(many_page_tiff(30 * MAX_COUNTED_IMAGES), ifd_reads)[2]
    assert few == many
    # a handful of reads per page counted (Pillow rereads the directory it lands on)
    assert many <= 4 * MAX_COUNTED_IMAGES


def test_many_pages_are_reported_as_more_than_the_cap(ifd_reads: list[int]) -> None:
    grey, notes, _ = _decode_counting(many_page_tiff(30 * MAX_COUNTED_IMAGES), ifd_reads)
    assert grey == FIRST, "the first page, not the last one counted, must be kept"
    assert notes == [f"only the first of more than {MAX_COUNTED_IMAGES} images in the file "
                     "was kept"]


@pytest.mark.parametrize("pages", [2, 3, MAX_COUNTED_IMAGES])
def test_a_countable_number_of_pages_is_reported_exactly(pages: int,
                                                        ifd_reads: list[int]) -> None:
    grey, notes, _ = _decode_counting(many_page_tiff(pages), ifd_reads)
    assert grey == FIRST
    assert notes == [f"only the first of {pages} images in the file was kept"]


def test_one_past_the_cap_is_more_than_the_cap() -> None:
    with Image.open(io.BytesIO(many_page_tiff(MAX_COUNTED_IMAGES + 1))) as im:
        assert count_images(im) == (MAX_COUNTED_IMAGES, True)
        assert im.tell() == 0, "counting must leave the picture on the page it was on"
    with Image.open(io.BytesIO(many_page_tiff(1))) as im:
        assert count_images(im) == (1, False)


def test_inspecting_many_pages_does_not_grow_with_the_number_of_pages(
    ifd_reads: list[int],
) -> None:
    from crowdveil import reveal

    counts = []
    for pages in (3 * MAX_COUNTED_IMAGES, 30 * MAX_COUNTED_IMAGES):
        ifd_reads.clear()
        found = reveal.findings(many_page_tiff(pages))
        counts.append(len(ifd_reads))
        assert any(f.kind == "embedded-image" and "more than" in f.text for f in found)
    assert counts[0] == counts[1]
