"""Faces are destroyed for good: no method leaves detail that a model could undo."""

from __future__ import annotations

import numpy as np
import pytest

from crowdveil.detect.zoom import dilate
from crowdveil.redact import FILL_COLOUR, METHODS, redact, region_mask
from crowdveil.regions import Region
from tests import plant

FACE = plant.face_image(512)
X, Y, W, H = plant.FACE_BOX
REGION = Region(X - 20, Y - 30, W + 40, H + 60, "ellipse", 1.0, "test")


def _inside(arr: np.ndarray) -> np.ndarray:
    return arr[region_mask(REGION, *FACE.shape[:2])]


def _detail(arr: np.ndarray) -> np.ndarray:
    """High-frequency content: what identifies a face once the coarse shading is gone."""
    grey = arr[..., :3].astype(np.float64).mean(axis=2)
    centre = grey[1:-1, 1:-1] * 4
    return centre - grey[:-2, 1:-1] - grey[2:, 1:-1] - grey[1:-1, :-2] - grey[1:-1, 2:]


def test_fill_replaces_every_pixel_of_the_region_with_one_colour() -> None:
    out = redact(FACE, [REGION], "fill")
    assert (_inside(out) == FILL_COLOUR).all()


@pytest.mark.parametrize("method", METHODS)
def test_no_method_keeps_the_faces_fine_detail(method: str) -> None:
    out = redact(FACE, [REGION], method, np.random.default_rng(1))
    mask = region_mask(REGION, *FACE.shape[:2])[1:-1, 1:-1]
    before, after = _detail(FACE)[mask], _detail(out)[mask]
    correlation = np.corrcoef(before, after)[0, 1]
    assert abs(correlation) < 0.1


@pytest.mark.parametrize("method", ["mosaic", "blur"])
def test_region_depends_only_on_a_few_coarse_values(method: str) -> None:
    # Two faces that differ only in fine detail must redact to the same coarse picture:
    # whatever survives is at most a handful of averages, not the face.
    rng = np.random.default_rng(7)
    detail = rng.integers(-40, 41, FACE.shape, dtype=np.int16)
    other = np.clip(FACE.astype(np.int16) + detail - detail.mean(), 0, 255).astype(np.uint8)
    a = redact(FACE, [REGION], method, np.random.default_rng(3)).astype(float)
    b = redact(other, [REGION], method, np.random.default_rng(3)).astype(float)
    assert np.abs(_inside(a) - _inside(b)).mean() < 3.0


@pytest.mark.parametrize("method", METHODS)
def test_redacted_face_is_no_longer_found_by_the_detector(method: str, detector) -> None:
    assert detector.detect(FACE), "the test face must be detectable before redaction"
    out = redact(FACE, [REGION], method, np.random.default_rng(0))
    centre_x, centre_y = X + W / 2, Y + H / 2
    # A high-recall detector at a low threshold may still call a coarse head-shaped blob a
    # possible face; what must be gone is a confident face (the original scores about 0.9).
    for d in detector.detect(out):
        inside = d.x < centre_x < d.x + d.w and d.y < centre_y < d.y + d.h
        assert not (inside and d.score >= 0.5), f"{method}: a face is still seen there: {d}"


def test_pixels_outside_regions_are_untouched() -> None:
    out = redact(FACE, [REGION], "mosaic", np.random.default_rng(0))
    outside = ~region_mask(REGION, *FACE.shape[:2])
    assert (out[outside] == FACE[outside]).all()


def test_redaction_makes_transparent_faces_opaque() -> None:
    rgba = np.dstack([FACE, np.zeros(FACE.shape[:2], np.uint8)])
    out = redact(rgba, [REGION], "blur", np.random.default_rng(0))
    assert (_inside(out)[:, 3] == 255).all()


def test_input_array_is_not_modified() -> None:
    copy = FACE.copy()
    redact(FACE, [REGION], "fill")
    assert (FACE == copy).all()


def _analytic_ellipse(region: Region, height: int, width: int, growth: float = 0.0) -> np.ndarray:
    """Pixels whose centre lies inside the region's ellipse, with the centre and semi-axes
    rounded as the scorer rounds them (its cv2.ellipse fill covers all of these)."""
    cx, cy = round(region.x + region.w / 2), round(region.y + region.h / 2)
    ax = max(1, round(region.w / 2)) + growth
    ay = max(1, round(region.h / 2)) + growth
    rows, cols = np.mgrid[0:height, 0:width]
    return ((cols - cx) / ax) ** 2 + ((rows - cy) / ay) ** 2 <= 1


def test_the_ellipse_mask_covers_the_whole_analytic_ellipse_and_two_pixels_more_at_most() -> None:
    # Two: one of growth, and one where rounding the centre half up (so that a taller region
    # never starts lower) moves it a pixel from the scorer's half-to-even centre.
    rng = np.random.default_rng(11)
    for _ in range(300):
        w, h = (int(v) for v in rng.integers(1, 90, 2))
        x, y = (int(v) for v in rng.integers(-20, 60, 2))
        region = Region(x, y, w, h, "ellipse", 1.0, "test")
        mask = region_mask(region, 140, 150)
        assert not (_analytic_ellipse(region, 140, 150) & ~mask).any()
        # measured away from the picture's edges, where a dilation cannot see past the border
        inside = Region(x + 30, y + 30, w, h, "ellipse", 1.0, "test")
        near = dilate(dilate(_analytic_ellipse(inside, 200, 210, growth=1.0)))
        assert not (region_mask(inside, 200, 210) & ~near).any()


@pytest.mark.parametrize("method", METHODS)
def test_every_mask_pixel_is_redacted_even_at_the_pictures_edges(method: str) -> None:
    rng = np.random.default_rng(2)
    picture = rng.integers(0, 256, (60, 80, 3), dtype=np.uint8)
    for region in (Region(-3, -4, 11, 9, "ellipse", 1.0, "t"), Region(71, 53, 12, 10, "ellipse",
                   1.0, "t"), Region(30, 20, 1, 1, "ellipse", 1.0, "t"),
                   Region(10, 30, 5, 3, "box", 1.0, "t")):
        out = redact(picture, [region], method, np.random.default_rng(0))
        mask = region_mask(region, 60, 80)
        assert mask.any()
        if method == "fill":
            assert (out[mask] == FILL_COLOUR).all()
        # nothing outside the mask moves, and the mask's pixels are not the original's
        assert (out[~mask] == picture[~mask]).all()
        assert (out[mask] != picture[mask]).any(axis=1).mean() > 0.8


def test_a_mask_of_a_window_is_that_window_of_the_whole_mask() -> None:
    region = Region(17, 9, 23, 31, "ellipse", 1.0, "test")
    whole = region_mask(region, 60, 70)
    assert (region_mask(region, 40, 30, left=14, top=6) == whole[6:46, 14:44]).all()
