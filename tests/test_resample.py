"""Our numpy resizing (OpenCV is gone, issue 12): the detector must see the pixels cv2.resize
gave, and the results must be what area averaging and bilinear interpolation mean."""

from __future__ import annotations

import hashlib
import itertools

import numpy as np
import pytest

from crowdveil import resample
from crowdveil.detect.scales import plan_passes, resize


def _area_reference(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Straight from the definition, pixel by pixel in float64: each output pixel is the mean
    of the source under it, partial source pixels weighted by the share of them it covers."""
    h, w = img.shape[:2]
    sx, sy = w / width, h / height
    out = np.zeros((height, width, img.shape[2]))
    for oy, ox in itertools.product(range(height), range(width)):
        total = np.zeros(img.shape[2])
        for y in range(int(oy * sy), min(h, int(np.ceil((oy + 1) * sy)))):
            wy = min(y + 1, (oy + 1) * sy) - max(y, oy * sy)
            for x in range(int(ox * sx), min(w, int(np.ceil((ox + 1) * sx)))):
                wx = min(x + 1, (ox + 1) * sx) - max(x, ox * sx)
                total += wx * wy * img[y, x]
        out[oy, ox] = total / (sx * sy)
    return out


def _linear_reference(img: np.ndarray, width: int, height: int) -> np.ndarray:
    """Bilinear with pixel centres aligned and the edge pixels repeated, in float64."""
    h, w = img.shape[:2]

    def taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        pos = np.clip((np.arange(dst) + 0.5) * src / dst - 0.5, 0, src - 1)
        first = np.floor(pos).astype(int)
        return first, np.minimum(first + 1, src - 1), pos - first

    x0, x1, fx = taps(w, width)
    y0, y1, fy = taps(h, height)
    p = img.astype(np.float64)
    rows = p[:, x0] * (1 - fx)[None, :, None] + p[:, x1] * fx[None, :, None]
    return rows[y0] * (1 - fy)[:, None, None] + rows[y1] * fy[:, None, None]


def _pictures() -> dict[str, np.ndarray]:
    y, x = np.mgrid[0:45, 0:70]
    return {
        "constant": np.full((45, 70, 3), 137, np.uint8),
        "ramp": np.dstack([x * 3, y * 5, (x + y) * 2]).astype(np.uint8),
        "checker": np.repeat((((x + y) % 2) * 255).astype(np.uint8)[:, :, None], 3, axis=2),
    }


@pytest.mark.parametrize("name", ["constant", "ramp", "checker"])
@pytest.mark.parametrize("size", [(35, 15), (23, 17), (1, 1), (70, 9), (50, 44)])
def test_area_is_the_mean_of_the_source_under_each_pixel(name: str, size: tuple[int, int]) -> None:
    img = _pictures()[name]
    out = resample.area(img, *size)
    ref = _area_reference(img, *size)
    assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
    # float32 sums and OpenCV's rounding of halves: within one level of the exact mean
    assert np.abs(out.astype(float) - ref).max() <= 1.0
    if name == "constant":
        assert (out == 137).all()


def test_area_of_whole_2x2_blocks_rounds_halves_up_as_opencv_did() -> None:
    # OpenCV's 2 x 2 path adds 2 before dividing by 4: a mean of 0.5 becomes 1, 2.5 becomes 3
    img = np.array([[[0], [1], [2], [3]], [[0], [1], [2], [3]]], np.uint8)
    assert resample.area(img, 2, 1)[:, :, 0].tolist() == [[1, 3]]


@pytest.mark.parametrize("name", ["constant", "ramp", "checker"])
@pytest.mark.parametrize("size", [(140, 90), (97, 61), (71, 46), (400, 45)])
def test_linear_interpolates_between_pixel_centres(name: str, size: tuple[int, int]) -> None:
    img = _pictures()[name]
    out = resample.linear(img, *size)
    assert out.shape == (size[1], size[0], 3) and out.dtype == np.uint8
    # 11-bit fixed-point weights: within one level of the exact interpolation
    assert np.abs(out.astype(float) - _linear_reference(img, *size)).max() <= 1.0
    if name == "constant":
        assert (out == 137).all()


# SHA-256 (first 16 hex digits) of cv2.resize's output (opencv-python-headless 5.1.0.95, the
# last OpenCV crowdveil used) on `_golden_picture`: our resizing must give the same bytes, so
# that the detector sees what it saw when the recall figures were measured.
# benchmarks/resample_parity.py compares with cv2 on thousands of sizes and the dev photos.
GOLDEN = [
    ("area", 3, 42, 30, "57a4b4fc232f661b"),  # whole 2 x 2 blocks
    ("area", 3, 28, 20, "6191b5e1d6562a6e"),  # whole 3 x 3 blocks
    ("area", 4, 21, 15, "a8527e06cc7a32f4"),  # whole 4 x 4 blocks, alpha channel
    ("area", 3, 50, 37, "f233f9eeb459f4fc"),  # partial pixels both ways
    ("area", 1, 84, 17, "6a91a4ee064493a1"),  # one side kept, grey
    ("area", 3, 1, 1, "513456600e4e6553"),
    ("area", 4, 31, 59, "c2a8914891bd3268"),
    ("linear", 3, 168, 120, "bd70caf65e68a27d"),  # the zoom windows' 2x
    ("linear", 3, 115, 82, "2554bcfa3872dce9"),
    ("linear", 4, 85, 61, "2fc968ddc31da112"),
    ("linear", 1, 400, 61, "75fc625d995ecc6e"),
]


def _golden_picture(channels: int) -> np.ndarray:
    return np.random.default_rng(2024).integers(0, 256, (60, 84, channels), dtype=np.uint8)


@pytest.mark.parametrize(("kind", "channels", "width", "height", "digest"), GOLDEN)
def test_same_bytes_as_opencv(kind: str, channels: int, width: int, height: int,
                              digest: str) -> None:
    out = getattr(resample, kind)(_golden_picture(channels), width, height)
    assert hashlib.sha256(out.tobytes()).hexdigest()[:16] == digest


def test_grey_pictures_keep_two_dimensions() -> None:
    grey = _golden_picture(1)[:, :, 0]
    assert resample.area(grey, 42, 30).shape == (30, 42)
    assert resample.linear(grey, 168, 120).shape == (120, 168)
    assert (resample.area(grey, 42, 30) == resample.area(grey[:, :, None], 42, 30)[:, :, 0]).all()


def test_large_pictures_are_done_in_bands_with_the_same_result(monkeypatch) -> None:
    img = np.random.default_rng(5).integers(0, 256, (301, 407, 3), dtype=np.uint8)
    whole = [resample.area(img, 203, 150), resample.area(img, 101, 75),
             resample.linear(img, 814, 602)]
    monkeypatch.setattr(resample, "_BAND_VALUES", 5000)  # many bands, and rows across them
    banded = [resample.area(img, 203, 150), resample.area(img, 101, 75),
              resample.linear(img, 814, 602)]
    for a, b in zip(whole, banded, strict=True):
        assert np.array_equal(a, b)


@pytest.mark.parametrize(("h", "w"), [(3000, 4000), (3001, 4003), (1, 5000), (7, 1), (480, 640)])
def test_the_detector_passes_keep_their_sizes(h: int, w: int) -> None:
    img = np.zeros((h, w, 3), np.uint8)
    for p in plan_passes(h, w) + [type(plan_passes(h, w)[0])(2.0)]:
        out = resize(img, p.scale)
        assert out.shape == (max(1, round(h * p.scale)), max(1, round(w * p.scale)), 3)
        assert out.dtype == np.uint8 and out.flags.c_contiguous


def test_float_cells_for_the_redaction() -> None:
    patch = np.random.default_rng(1).uniform(0, 255, (33, 27, 3)).astype(np.float32)
    small = resample.area(patch, 5, 6)
    assert small.dtype == np.float32
    assert np.allclose(small, _area_reference(patch, 5, 6), atol=1e-3)
    blocks = resample.nearest(small, 27, 33)
    assert set(map(tuple, blocks.reshape(-1, 3))) <= set(map(tuple, small.reshape(-1, 3)))
    smooth = resample.cubic(small, 27, 33)
    assert smooth.shape == (33, 27, 3) and smooth.dtype == np.float32
    flat = resample.cubic(np.full((3, 3, 3), 80, np.float32), 40, 50)
    assert np.allclose(flat, 80, atol=1e-3)


def test_bad_requests_are_refused() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(ValueError):
        resample.area(img, 11, 5)  # area resampling only shrinks
    with pytest.raises(ValueError):
        resample.linear(img, 0, 5)
    with pytest.raises(TypeError):
        resample.linear(img.astype(np.float32), 20, 20)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_doubling_gives_the_same_bytes_as_the_general_path(channels: int) -> None:
    # The zoom windows' 2x has its own quicker path; it must not move a single level.
    rng = np.random.default_rng(7)
    for h, w in [(1, 1), (1, 5), (4, 1), (2, 3), (17, 31), (60, 84), (97, 120)]:
        img = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
        for pic in (img, np.where(img > 127, 255, 0).astype(np.uint8)):
            assert np.array_equal(resample.linear(pic, 2 * w, 2 * h),
                                  resample._linear_general(pic, 2 * w, 2 * h))
            assert np.array_equal(resample._linear_double(pic),
                                  resample._linear_general(pic, 2 * w, 2 * h))


@pytest.mark.parametrize("taps", [2, 4, 8, 16, 32])
def test_power_of_two_cells_sum_in_integers_to_the_same_floats(taps: int) -> None:
    # Columns averaged in whole cells of 2 ** k pixels are summed in integers: the same
    # float32 values as adding the weighted pixels one after another (OpenCV's order).
    rng = np.random.default_rng(taps)
    part = rng.integers(0, 256, (7, taps * 9, 3), dtype=np.uint8)
    part[0] = 255
    index = np.arange(9)[:, None] * taps + np.arange(taps)[None, :]
    weight = np.full((9, taps), 1 / taps, np.float32)
    expected = np.zeros((7, 9, 3), np.float32)
    for t in range(taps):
        expected += part[:, index[:, t]].astype(np.float32) * weight[0, 0]
    got = resample._across(part, index, weight)
    assert got.dtype == np.float32 and np.array_equal(got, expected)
