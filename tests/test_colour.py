"""Colours survive the clean copy: a photo's colour profile is applied to its pixels before the
profile is dropped, so a phone's wide-gamut (Display P3) photo does not come out dull."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil.pipeline import Options, process_file
from tests import plant

# Flat patches: a grey, and saturated colours whose P3 and sRGB values differ by 10-50 levels.
PATCHES = [(128, 128, 128), (200, 60, 50), (60, 170, 70), (40, 80, 200), (230, 200, 60)]


class NoFaces:
    name = "none"

    def detect(self, rgb: np.ndarray) -> list:
        return []


def _patches(side: int) -> np.ndarray:
    """PATCHES side by side, each `side` px square."""
    img = np.zeros((side, side * len(PATCHES), 3), np.uint8)
    for i, colour in enumerate(PATCHES):
        img[:, side * i:side * (i + 1)] = colour
    return img


def _read_patches(path: Path, side: int) -> np.ndarray:
    """The colour at the centre of each patch of a `_patches(side)` picture, as decoded."""
    with Image.open(path) as im:
        img = np.asarray(im.convert("RGB"), float)
    return np.array([img[side // 2, side * i + side // 2] for i in range(len(PATCHES))])


def _patches_photo(path: Path, icc: bytes | None, fmt: str) -> None:
    img = _patches(40)
    kwargs = {"icc_profile": icc} if icc else {}
    if fmt == "JPEG":
        kwargs["quality"] = 100
        kwargs["subsampling"] = 0  # full-resolution colour: flat patches come back exact
    Image.fromarray(img).save(path, fmt, **kwargs)


def _patch_colours(path: Path, side: int = 40) -> np.ndarray:
    """`_read_patches` of a clean output, which must carry no profile of its own."""
    with Image.open(path) as im:
        assert "icc_profile" not in im.info  # the profile itself is gone
    return _read_patches(path, side)


@pytest.mark.parametrize("fmt, suffix", [("PNG", ".png"), ("JPEG", ".jpg")])
def test_a_display_p3_photo_keeps_its_colours_in_srgb(tmp_path: Path, fmt, suffix) -> None:
    src = tmp_path / f"phone{suffix}"
    _patches_photo(src, plant.display_p3_icc(), fmt)
    result = process_file(src, tmp_path / "out" / "phone", NoFaces(), Options())
    assert result.status == "ok", result.error
    got = _patch_colours(Path(result.output))
    expected = plant.p3_to_srgb(np.array(PATCHES))
    assert np.abs(got - expected).max() <= 3  # the same colours, now as sRGB values
    # and not the P3 numbers copied as they were (what dropping the profile alone would do)
    assert np.abs(got[1:] - np.array(PATCHES[1:])).max(axis=1).min() >= 10


def test_an_untagged_photo_keeps_its_values(tmp_path: Path) -> None:
    src = tmp_path / "plain.png"
    _patches_photo(src, None, "PNG")
    result = process_file(src, tmp_path / "out" / "plain", NoFaces(), Options())
    assert result.status == "ok", result.error
    assert np.array_equal(_patch_colours(Path(result.output)), np.array(PATCHES, float))


HEIC_SIDE = 64


def _heic_patches(path: Path, primaries: int, transfer: int = 13) -> None:
    img = _patches(HEIC_SIDE)
    # lossless, full-resolution colour: the patches' values come back within a level or two
    Image.fromarray(img).save(path, "HEIF", quality=-1, chroma=444, color_primaries=primaries,
                              transfer_characteristic=transfer, matrix_coefficients=6,
                              full_range_flag=1, save_nclx_profile=True)


def test_a_heic_tagged_display_p3_by_numbers_keeps_its_colours_in_srgb(tmp_path: Path) -> None:
    # Phones may describe a wide-gamut HEIC by CICP numbers (nclx) instead of an ICC profile.
    src = tmp_path / "phone.heic"
    _heic_patches(src, primaries=12)  # 12: Display P3 (SMPTE EG 432-1), sRGB curve
    as_stored = _read_patches(src, HEIC_SIDE)  # the values as stored, before any conversion
    result = process_file(src, tmp_path / "out" / "phone", NoFaces(), Options())
    assert result.status == "ok", result.error
    got = _patch_colours(Path(result.output), HEIC_SIDE)
    assert np.abs(got - plant.p3_to_srgb(as_stored)).max() <= 3
    assert np.abs(got[1:] - as_stored[1:]).max(axis=1).min() >= 10


def test_a_heic_tagged_srgb_by_numbers_keeps_its_values(tmp_path: Path) -> None:
    src = tmp_path / "plain.heic"
    _heic_patches(src, primaries=1)  # 1: BT.709, the sRGB primaries
    result = process_file(src, tmp_path / "out" / "plain", NoFaces(), Options())
    assert result.status == "ok", result.error
    got = _patch_colours(Path(result.output), HEIC_SIDE)
    assert np.abs(got - _read_patches(src, HEIC_SIDE)).max() <= 1
    assert result.notes == []


def test_converting_from_the_srgb_primaries_changes_no_value() -> None:
    from crowdveil import colour

    levels = np.stack(np.meshgrid(np.arange(256), [0, 128, 255], indexing="ij"), -1)
    pixels = np.concatenate([levels, levels[..., :1]], axis=-1).astype(np.uint8)
    out = colour.to_srgb(pixels, colour.SRGB_PRIMARIES, colour.D65)
    assert np.abs(out.astype(int) - pixels).max() <= 1


def test_colour_numbers_that_describe_no_colour_space_leave_the_pixels_and_say_so() -> None:
    from crowdveil import colour

    pixels = np.array([PATCHES], np.uint8)
    p3 = {"color_primaries": 12, "transfer_characteristics": 13,
          "color_primary_red_x": 0.68, "color_primary_red_y": 0.32,
          "color_primary_green_x": 0.265, "color_primary_green_y": 0.69,
          "color_primary_blue_x": 0.15, "color_primary_blue_y": 0.06,
          "color_primary_white_x": 0.3127, "color_primary_white_y": 0.329}
    hostile = [
        {**p3, "color_primary_green_x": 0.68, "color_primary_green_y": 0.32},  # red twice
        {**p3, "color_primary_blue_x": float("nan")},
        {**p3, "color_primary_white_x": 0.0},
        {**p3, "transfer_characteristics": 16},  # PQ: HDR
    ]
    for nclx in hostile:
        notes: list[str] = []
        assert np.array_equal(colour.nclx_to_srgb(pixels, nclx, notes), pixels)
        assert len(notes) == 1
    notes = []
    assert not np.array_equal(colour.nclx_to_srgb(pixels, p3, notes), pixels)
    assert notes == []
