"""Sideways-stored photos come out upright, with the face destroyed where it really is."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil.load import decode
from crowdveil.pipeline import Options, process_file
from tests import plant

UPRIGHT = plant.face_image(384)
FX, FY, FW, FH = plant.face_box(384)

# Orientation tag -> how the camera stored the upright picture.
STORED = {
    3: lambda a: np.rot90(a, 2),
    6: lambda a: np.rot90(a, 1),  # shown after a 90 degree clockwise turn
    8: lambda a: np.rot90(a, -1),
}


def _face_pixels(path: str) -> np.ndarray:
    with Image.open(path) as im:
        arr = np.asarray(im.convert("RGB"))
    return arr[FY : FY + FH, FX : FX + FW]


@pytest.mark.parametrize("orientation", sorted(STORED))
def test_decode_applies_exif_orientation_to_pixels(orientation: int, tmp_path: Path) -> None:
    import io

    stored = np.ascontiguousarray(STORED[orientation](UPRIGHT))
    data = plant.jpeg_with_everything(stored, orientation=orientation, quality=95)
    loaded = decode(io.BytesIO(data))
    assert loaded.pixels.shape == UPRIGHT.shape
    assert np.abs(loaded.pixels.astype(int) - UPRIGHT).mean() < 4


@pytest.mark.parametrize(
    "build, suffix",
    [(plant.jpeg_with_everything, ".jpg"), (plant.heic_with_exif, ".heic")],
)
def test_sideways_photo_is_written_upright_with_face_destroyed(
    build, suffix: str, tmp_path: Path, detector
) -> None:
    stored = np.ascontiguousarray(STORED[6](UPRIGHT))
    src = tmp_path / f"sideways{suffix}"
    src.write_bytes(build(stored, orientation=6))
    result = process_file(src, tmp_path / "out" / "sideways", detector, Options())
    assert result.status == "ok", result.error
    with Image.open(result.output) as im:
        assert im.size == (UPRIGHT.shape[1], UPRIGHT.shape[0])
        out = np.asarray(im.convert("RGB"))
    # away from the face the picture matches the upright original
    assert np.abs(out[-60:, :].astype(int) - UPRIGHT[-60:, :]).mean() < 6
    # and where the face is in the upright picture, it is gone
    assert (_face_pixels(result.output) < 10).mean() > 0.95


def test_sample_sideways_photo_gives_upright_output(tmp_path: Path, detector) -> None:
    samples = Path(__file__).resolve().parents[1] / "samples"
    result = process_file(samples / "astronaut_sideways.jpg", tmp_path / "s", detector, Options())
    upright = process_file(samples / "astronaut_gps.jpg", tmp_path / "u", detector, Options())
    assert (result.width, result.height) == (upright.width, upright.height)
    assert result.regions and upright.regions
    a, b = result.regions[0], upright.regions[0]
    assert abs(a.x - b.x) < 8 and abs(a.y - b.y) < 8
