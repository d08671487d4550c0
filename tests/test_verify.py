"""Verification refuses any output that carries more than image data."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import pytest

from crowdveil.errors import VerifyError
from crowdveil.verify import verify_bytes
from crowdveil.write_clean import encode
from tests import plant

PIXELS = plant.face_image(128)


def _jpeg_with(segment: bytes) -> bytes:
    clean = encode(PIXELS, "jpeg")
    return clean[:2] + segment + clean[2:]


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    crc = zlib.crc32(kind + body) & 0xFFFFFFFF
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)


def _png_with(chunk: bytes) -> bytes:
    clean = encode(PIXELS, "png")
    ihdr_end = 8 + 25
    return clean[:ihdr_end] + chunk + clean[ihdr_end:]


def _webp_with(kind: bytes, body: bytes) -> bytes:
    clean = encode(PIXELS, "webp")
    data = clean[12:] + kind + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(data)) + b"WEBP" + data


@pytest.mark.parametrize("fmt", ["jpeg", "png", "webp"])
def test_fresh_encoder_output_passes(fmt: str) -> None:
    verify_bytes(encode(PIXELS, fmt), fmt, 128, 128)


REJECTED = {
    "jpeg COM": ("jpeg", lambda: _jpeg_with(b"\xff\xfe\x00\x07hello")),
    "jpeg EXIF": ("jpeg", lambda: _jpeg_with(b"\xff\xe1\x00\x08Exif\x00\x00")),
    "jpeg ICC": ("jpeg", lambda: _jpeg_with(b"\xff\xe2\x00\x0eICC_PROFILE\x00")),
    "jpeg IPTC": ("jpeg", lambda: _jpeg_with(b"\xff\xed\x00\x0ePhotoshop 3")),
    "jpeg after EOI": ("jpeg", lambda: encode(PIXELS, "jpeg") + b"motion photo"),
    "jpeg second image": ("jpeg", lambda: encode(PIXELS, "jpeg") * 2),
    "jpeg JFIF thumbnail": ("jpeg", lambda: _jfif_with_thumbnail()),
    "png tEXt": ("png", lambda: _png_with(_png_chunk(b"tEXt", b"Author\x00me"))),
    "png eXIf": ("png", lambda: _png_with(_png_chunk(b"eXIf", b"MM\x00*"))),
    "png iCCP": ("png", lambda: _png_with(_png_chunk(b"iCCP", b"x\x00\x00"))),
    "png tIME": ("png", lambda: _png_with(_png_chunk(b"tIME", b"\x07\xe6\x01\x01\x00\x00\x00"))),
    "png after IEND": ("png", lambda: encode(PIXELS, "png") + b"zip archive"),
    "png bad CRC": ("png", lambda: encode(PIXELS, "png")[:29] + b"\0\0\0\0"
                    + encode(PIXELS, "png")[33:]),
    "webp EXIF": ("webp", lambda: _webp_with(b"EXIF", b"MM\x00*")),
    "webp XMP": ("webp", lambda: _webp_with(b"XMP ", b"<x:xmpmeta/>")),
    "webp after RIFF": ("webp", lambda: encode(PIXELS, "webp") + b"junk"),
}


def _jfif_with_thumbnail() -> bytes:
    clean = encode(PIXELS, "jpeg")
    thumb = bytes(3 * 2 * 2)
    app0 = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x02\x02" + thumb
    segment = b"\xff\xe0" + struct.pack(">H", len(app0) + 2) + app0
    start = 2 + 2 + struct.unpack(">H", clean[4:6])[0]  # past the encoder's own APP0
    return clean[:2] + segment + clean[start:]


@pytest.mark.parametrize("case", sorted(REJECTED))
def test_output_with_extra_data_is_rejected(case: str) -> None:
    fmt, build = REJECTED[case]
    with pytest.raises(VerifyError):
        verify_bytes(build(), fmt, 128, 128)


def test_wrong_size_is_rejected() -> None:
    with pytest.raises(VerifyError, match="expected 64x128"):
        verify_bytes(encode(PIXELS, "png"), "png", 64, 128)


def test_output_that_fails_verification_is_deleted_and_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, detector
) -> None:
    from crowdveil import pipeline

    src = tmp_path / "p.jpg"
    src.write_bytes(plant.jpeg_with_everything(PIXELS))

    def leaky_encode(pixels, fmt, quality=90):  # an encoder regression that adds a comment
        return _jpeg_with(b"\xff\xfe\x00\x07hello")

    monkeypatch.setattr(pipeline, "encode", leaky_encode)
    result = pipeline.process_file(src, tmp_path / "out" / "p", detector, pipeline.Options())
    assert result.status == "error" and "COM" in result.error
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


def test_a_png_with_colour_under_transparent_pixels_fails_verification() -> None:
    import io

    import numpy as np
    from PIL import Image

    rgba = np.zeros((20, 30, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[5:10, 5:10] = (200, 10, 10, 0)  # a hidden mark: colour at alpha 0
    buf = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buf, "PNG")
    with pytest.raises(VerifyError, match="transparent"):
        verify_bytes(buf.getvalue(), "png", 30, 20)
