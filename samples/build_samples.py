"""Rebuild the shipped sample pictures in ``samples/`` from ``tests/plant.py``.

Usage (from anywhere)::

    python samples/build_samples.py

Every picture is a public-domain / CC0 scikit-image sample; every file carries planted,
fake private metadata (GPS, serial numbers, owner name...) whose ASCII tokens are listed in
``tests/plant.py``.  The output is deterministic.  ``faces.json`` records, for each sample,
the face boxes ``[x, y, w, h]`` in *displayed* (orientation-corrected) pixel coordinates and
the tokens planted in the file.
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

SAMPLES = Path(__file__).resolve().parent
sys.path.insert(0, str(SAMPLES.parent))

from tests.plant import (  # noqa: E402
    FACE_BOX,
    TOKENS_BY_BUILDER,
    crowd_image,
    face_image,
    heic_with_exif,
    jpeg_with_everything,
    png_with_text,
    tokens_in,
    webp_with_exif_xmp,
)

MAX_BYTES = 1_000_000


def _open(data: bytes) -> Image.Image:
    import pillow_heif

    pillow_heif.register_heif_opener()
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def _check_sideways(data: bytes, upright: np.ndarray) -> None:
    """The stored pixels are rotated; EXIF Orientation=6 must make them upright again."""
    im = _open(data)
    stored = np.asarray(im)
    displayed = np.asarray(ImageOps.exif_transpose(im).convert("RGB"))
    assert stored.shape == (upright.shape[1], upright.shape[0], 3), stored.shape
    assert displayed.shape == upright.shape, displayed.shape
    diff = np.abs(displayed.astype(np.int16) - upright.astype(np.int16)).mean()
    assert diff < 3.0, f"exif_transpose result differs from the upright picture: {diff:.2f}"


def build() -> dict[str, dict]:
    """Write every sample; return the manifest written to ``faces.json``."""
    astronaut = face_image()
    crowd, crowd_boxes = crowd_image()
    astro_boxes = [list(FACE_BOX)]
    jobs: list[tuple[str, Callable[[], bytes], str, list[list[int]]]] = [
        (
            "astronaut_gps.jpg",
            lambda: jpeg_with_everything(astronaut),
            "jpeg_with_everything",
            astro_boxes,
        ),
        (
            "astronaut_sideways.jpg",
            # np.rot90(k=1) turns the picture 90 deg counter-clockwise for storage;
            # Orientation 6 tells viewers to turn it 90 deg clockwise when displaying.
            lambda: jpeg_with_everything(np.rot90(astronaut, k=1).copy(), orientation=6),
            "jpeg_with_everything",
            astro_boxes,
        ),
        (
            "crowd.jpg",
            lambda: jpeg_with_everything(crowd, quality=85),
            "jpeg_with_everything",
            [list(b) for b in crowd_boxes],
        ),
        (
            "astronaut_alpha.png",
            lambda: png_with_text(astronaut, with_alpha=True),
            "png_with_text",
            astro_boxes,
        ),
        ("astronaut.heic", lambda: heic_with_exif(astronaut), "heic_with_exif", astro_boxes),
        (
            "astronaut.webp",
            lambda: webp_with_exif_xmp(astronaut),
            "webp_with_exif_xmp",
            astro_boxes,
        ),
    ]
    manifest: dict[str, dict] = {}
    for name, make, builder, boxes in jobs:
        data = make()
        missing = [t for t in TOKENS_BY_BUILDER[builder] if t not in tokens_in(data)]
        assert not missing, f"{name}: tokens missing from the bytes: {missing}"
        assert len(data) < MAX_BYTES, f"{name}: {len(data)} bytes is too big"
        im = _open(data)
        if name == "astronaut_sideways.jpg":
            _check_sideways(data, astronaut)
        (SAMPLES / name).write_bytes(data)
        manifest[name] = {
            "format": im.format,
            "mode": im.mode,
            "stored_size": list(im.size),
            "faces": boxes,
            "tokens": tokens_in(data),
        }
        print(f"{name:24s} {len(data):>8d} bytes  {im.format} {im.mode} {im.size}")
    (SAMPLES / "faces.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


if __name__ == "__main__":
    build()
