"""The zoom pass: a large picture's faint small faces get an enlarged second look."""

from __future__ import annotations

import numpy as np
from test_detect_regression import DEV, _truth, coverage, region_mask

from crowdveil.detect.centerface import CenterFaceDetector
from crowdveil.detect.zoom import blob_boxes, dilate, zoom_windows
from crowdveil.regions import regions_from_detections


def test_a_dark_heatmap_asks_for_no_zoom() -> None:
    assert zoom_windows(np.full((50, 80), 0.01, np.float32), 4, 200, 320, 0.05, 16) == []


def test_each_faint_blob_gets_its_own_window_with_context() -> None:
    heat = np.zeros((100, 100), np.float32)
    heat[10, 10] = 0.06  # a faint face centre near the top-left corner
    heat[60:62, 70:73] = 0.3  # and one further in
    windows = sorted(zoom_windows(heat, 4, 400, 400, 0.05, 16))
    assert len(windows) == 2
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = windows
    # Each blob's cells, grown by one cell, then by the margin, clipped to the picture.
    assert (ax0, ay0, ax1, ay1) == (4 * 9 - 16, 4 * 9 - 16, 4 * 12 + 16, 4 * 12 + 16)
    assert (bx0, by0, bx1, by1) == (4 * 69 - 16, 4 * 59 - 16, 4 * 74 + 16, 4 * 63 + 16)
    assert zoom_windows(heat, 4, 40, 40, 0.05, 16)[0][:2] == (20, 20)


def _flood_boxes(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """The slow obvious way: flood-fill each 8-connected blob from its first cell in row order;
    boxes in the order OpenCV labelled them (first 2 x 2 block of each blob, blocks row-major)."""
    h, w = mask.shape
    seen = np.zeros_like(mask)
    found = []
    for y, x in zip(*np.nonzero(mask), strict=True):
        if seen[y, x]:
            continue
        seen[y, x] = True
        stack, cells = [(y, x)], []
        while stack:
            cy, cx = stack.pop()
            cells.append((cy, cx))
            for ny in range(max(0, cy - 1), min(h, cy + 2)):
                for nx in range(max(0, cx - 1), min(w, cx + 2)):
                    if mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        ys, xs = np.array(cells).T
        key = min((cy // 2, cx // 2) for cy, cx in cells)
        found.append((key, (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)))
    return [box for _, box in sorted(found)]


def test_blobs_touching_diagonally_are_one_window() -> None:
    mask = np.zeros((8, 8), bool)
    mask[1, 1] = mask[2, 2] = mask[3, 3] = True  # a diagonal line
    mask[3, 6] = mask[4, 5] = True  # an anti-diagonal pair
    mask[7, 0] = True  # alone: (6, 1) and (6, 0) are empty
    assert blob_boxes(mask) == [(1, 1, 4, 4), (5, 3, 7, 5), (0, 7, 1, 8)]


def test_blobs_come_in_opencvs_label_order() -> None:
    mask = np.zeros((6, 12), bool)
    mask[0, 9] = True  # first in row order, but its 2 x 2 block comes after the next one's
    mask[1, 2] = True
    mask[4:6, 0:12:3] = True  # four blobs in the third block row
    assert blob_boxes(mask) == [(2, 1, 3, 2), (9, 0, 10, 1), (0, 4, 1, 6), (3, 4, 4, 6),
                                (6, 4, 7, 6), (9, 4, 10, 6)]


def test_labelling_matches_a_flood_fill_on_random_and_crowd_like_masks() -> None:
    rng = np.random.default_rng(4)
    for trial in range(60):
        h, w = (int(v) for v in rng.integers(1, 60, 2))
        mask = rng.random((h, w)) < rng.uniform(0.02, 0.7)
        if trial % 2:
            mask = dilate(mask)
        assert blob_boxes(mask) == _flood_boxes(mask)
    # a U, a spiral-ish snake and a ring: one blob each however the runs meet
    snake = np.zeros((40, 40), bool)
    snake[::4, 1:39] = True
    snake[1::8, 38] = snake[2::8, 38] = snake[3::8, 38] = True
    snake[5::8, 1] = snake[6::8, 1] = snake[7::8, 1] = True
    assert blob_boxes(snake) == _flood_boxes(snake) == [(1, 0, 39, 40)]
    ring = np.zeros((9, 9), bool)
    ring[1, 1:8] = ring[7, 1:8] = ring[1:8, 1] = ring[1:8, 7] = True
    ring[4, 4] = True  # inside, not touching
    assert blob_boxes(ring) == [(1, 1, 8, 8), (4, 4, 5, 5)]


def test_dilation_grows_by_one_cell_in_every_direction_and_stops_at_the_edges() -> None:
    mask = np.zeros((5, 6), bool)
    mask[0, 0] = mask[3, 4] = True
    grown = dilate(mask)
    expected = np.zeros_like(mask)
    expected[0:2, 0:2] = True
    expected[2:5, 3:6] = True
    assert (grown == expected).all()
    assert dilate(np.zeros((0, 0), bool)).shape == (0, 0)


def test_small_faces_in_a_large_picture_are_found_by_the_zoom_pass() -> None:
    # A dev street photo with three 11-13 px faces, pasted into a picture too large for a whole
    # enlarged pass: at native resolution CenterFace misses them; the zoom pass must not.
    from PIL import Image

    truth = _truth()  # skips (or, under CI, fails) without the shared dev set
    name = "maksssksksss518.jpg"
    with Image.open(DEV / "images" / name) as im:
        photo = np.asarray(im.convert("RGB"))
    canvas = np.full((1300, 1700, 3), 128, np.uint8)
    dy, dx = 200, 300
    canvas[dy:dy + photo.shape[0], dx:dx + photo.shape[1]] = photo
    faces = [
        [x + dx, y + dy, w, h] for x, y, w, h in truth[name] if 11 <= min(w, h) <= 13
    ]
    assert len(faces) >= 3

    def covered(zoom: bool) -> list[float]:
        detector = CenterFaceDetector(zoom=zoom)
        regions = regions_from_detections(detector.detect(canvas), 1700, 1300)
        mask = region_mask(regions, 1300, 1700)
        return [coverage(mask, f) for f in faces]

    assert all(c >= 0.8 for c in covered(zoom=True))
    assert min(covered(zoom=False)) < 0.8  # without it one is missed: the zoom is what finds it
