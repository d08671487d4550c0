"""Area-capped tiles (the CenterFace passes): no face lost at a seam, working memory bounded."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from test_detect_units import assert_a_face_smaller_than_the_overlap_lies_whole_in_a_tile

from crowdveil.detect.scales import plan_passes
from crowdveil.detect.tiling import area_tiles


def _padded(n: int) -> int:
    return -(-n // 32) * 32


@settings(max_examples=300, deadline=None)
@given(
    height=st.integers(1, 13000),
    width=st.integers(1, 13000),
    max_pixels=st.integers(300_000, 3_000_000),
    overlap=st.integers(0, 256),
    data=st.data(),
)
def test_area_tiles_keep_every_small_face_whole_and_stay_under_the_pixel_cap(
    height: int, width: int, max_pixels: int, overlap: int, data: st.DataObject
) -> None:
    grid = area_tiles(height, width, max_pixels, overlap)
    for x0, y0, x1, y1 in grid:
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
        assert _padded(x1 - x0) * _padded(y1 - y0) <= max_pixels
    assert_a_face_smaller_than_the_overlap_lies_whole_in_a_tile(grid, height, width, overlap, data)


def test_a_12_mp_photo_is_cut_into_few_tiles_with_little_overlap() -> None:
    grid = area_tiles(3000, 4000, 2_200_000, 96)
    work = sum(_padded(x1 - x0) * _padded(y1 - y0) for x0, y0, x1, y1 in grid)
    assert work < 1.15 * 4000 * 3000


def test_a_picture_that_fits_is_one_tile() -> None:
    assert area_tiles(600, 800, 2_200_000, 96) == [(0, 0, 800, 600)]


def test_the_finest_pass_is_native_unless_a_speed_cap_is_asked_for() -> None:
    assert plan_passes(3000, 4000)[0].scale == 1.0
    assert plan_passes(300, 400)[0].scale == 2.0
    assert plan_passes(3000, 4000, finest_long_side=2000)[0].scale == 0.5
    assert plan_passes(300, 400, finest_long_side=2000)[0].scale == 2.0
