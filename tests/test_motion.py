"""The camera's motion between two frames, measured in numpy (OpenCV is gone, issue 12).

Frames are a generated texture moved by a known pan, zoom and roll: the measured step must be
that motion, to a fraction of a small-copy pixel; where the motion cannot be told (a blank or
black frame, a cut) it must say so rather than guess, and someone walking through the picture
must not steer it.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_video_search import rotation, texture, warp

from crowdveil.formats import motion

W, H = 640, 360  # small copy 320 x 180 (factor 1/2)
POINTS = np.array([[40.0, 30.0, 1.0], [320.0, 180.0, 1.0], [600.0, 330.0, 1.0],
                   [60.0, 320.0, 1.0]])


def noisy(img: np.ndarray, seed: int, sigma: float = 3.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, sigma, img.shape), 0, 255).astype(np.uint8)


def measured(before: np.ndarray, after: np.ndarray) -> np.ndarray | None:
    a, factor = motion.small_grey(before)
    b, _ = motion.small_grey(after)
    return motion.step(a, b, factor)


def check(got: np.ndarray | None, m: np.ndarray) -> None:
    """`got` takes the new frame's pixels back to the old one's: m's inverse, within 0.3 px of
    the small copy (0.6 frame px here) at the corners and centre, and the scale within 1 %."""
    assert got is not None
    want = motion.invert(m)
    factor = motion.small_grey(np.zeros((H, W, 3), np.uint8))[1]
    assert np.abs((POINTS @ got.T - POINTS @ want.T) * factor).max() < 0.3
    assert np.hypot(got[0, 0], got[1, 0]) == pytest.approx(np.hypot(want[0, 0], want[1, 0]),
                                                           rel=0.01)


@pytest.mark.parametrize("zoom,angle,shift", [
    (1.0, 0.0, (7.3, -4.6)),  # a pan
    (1.0, 0.0, (-24.0, 13.5)),  # a fast one: 12 small px
    (1.03, 0.0, (1.5, 0.5)),  # zooming in
    (0.97, 0.0, (-2.0, 3.0)),  # zooming out
    (1.0, 1.5, (0.0, 0.0)),  # a roll
    (1.02, -1.0, (9.0, 6.0)),  # all three
])
def test_a_known_pan_zoom_and_roll_is_measured(zoom: float, angle: float,
                                               shift: tuple[float, float]) -> None:
    scene = texture(11, W, H)
    m = rotation((W / 2, H / 2), angle, zoom)
    m[:, 2] += shift
    check(measured(noisy(scene, 1), noisy(warp(scene, m), 2)), m)


def test_a_still_camera_is_no_motion() -> None:
    scene = texture(12, W, H)
    check(measured(noisy(scene, 3), noisy(scene, 4)), motion.IDENTITY)


def test_a_still_camera_over_a_smooth_scene_is_no_motion_not_unknown() -> None:
    # A wall or a sky has too few textured patches for a fit; "unknown" would stop the tracker
    # carrying a face past the frames where the detector lost it (tests/test_video.py).
    yy, xx = np.mgrid[0:H, 0:W]
    smooth = np.stack([xx * 255 // W, yy * 255 // H, np.full_like(xx, 120)], -1).astype(float)
    before, after = noisy(smooth, 6, sigma=0.5), noisy(smooth, 7, sigma=0.5)
    after[H // 3 : H // 3 + 12, W // 2 : W // 2 + 12] = 30  # a small thing moves in the scene
    got = measured(before, after)
    assert got is not None
    check(got, motion.IDENTITY)


@pytest.mark.parametrize("blank", [0, 128, 255])
def test_a_blank_or_black_frame_is_unknown_motion(blank: int) -> None:
    scene = texture(13, W, H)
    flat = np.full_like(scene, blank)
    assert measured(scene, flat) is None
    assert measured(flat, scene) is None
    assert measured(flat, noisy(flat, 5)) is None  # sensor noise is no texture


def test_a_cut_is_unknown_motion() -> None:
    for seed in range(4):
        assert measured(texture(20 + seed, W, H), texture(30 + seed, W, H)) is None


def test_someone_walking_through_does_not_steer_the_camera() -> None:
    """A person-sized figure (a fifth of the frame's width, most of its height) walks left
    while the camera pans right: the step is the pan."""
    scene = texture(14, W + 40, H)
    person = texture(15, 130, 300)
    pan = 6

    def frame(t: int) -> np.ndarray:
        img = scene[:, pan * t : pan * t + W].copy()
        x = 400 - 14 * t
        img[40:340, x : x + 130] = person
        return img

    m = np.array([[1.0, 0.0, -pan], [0.0, 1.0, 0.0]])  # the scene moves left in the frame
    for t in range(3):
        check(measured(noisy(frame(t), t), noisy(frame(t + 1), t + 10)), m)


def test_the_same_frames_give_the_same_step() -> None:
    """The fit's random draws are seeded: a clip always gets the same camera path."""
    scene = texture(16, W, H)
    m = rotation((W / 2, H / 2), 0.5, 1.01)
    a, b = noisy(scene, 6, sigma=8.0), noisy(warp(scene, m), 7, sigma=8.0)
    first, again = measured(a, b), measured(a, b)
    assert first is not None and again is not None
    assert np.array_equal(first, again)


def test_the_small_copy_is_grey_and_a_whole_fraction_of_the_frame() -> None:
    rgb = np.zeros((1080, 1920, 3), np.uint8)
    rgb[..., 0] = 255  # red: luma 0.299
    grey, factor = motion.small_grey(rgb)
    assert grey.shape == (180, 320) and factor == pytest.approx(1 / 6)
    assert np.all(grey == 76)
    small, same = motion.small_grey(np.full((128, 192, 3), (0, 255, 0), np.uint8))
    assert small.shape == (128, 192) and same == 1.0 and np.all(small == 150)


def test_boxes_mapped_together_are_mapped_as_each_alone_and_hold_the_face() -> None:
    """The tracker maps a frame's boxes in one go: each must come out exactly as mapped alone
    (a last-bit difference changes which sightings join), and hold the four mapped corners."""
    rng = np.random.default_rng(3)
    a = motion.compose(np.array([[1.1, 0.0, 12.5], [0.0, 1.1, -7.25]]),
                       np.array([[np.cos(0.2), -np.sin(0.2), 3.0],
                                 [np.sin(0.2), np.cos(0.2), 1.0]]))
    xy = rng.uniform(-50, 1900, size=(300, 2))
    boxes = [(x, y, x + w, y + h) for (x, y), (w, h)
             in zip(xy, rng.uniform(5, 200, size=(300, 2)), strict=True)]
    together = motion.map_boxes(a, boxes)
    assert len(together) == len(boxes)
    for box, got in zip(boxes, together, strict=True):
        x0, y0, x1, y1 = box
        alone = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x0, y1, 1.0], [x1, y1, 1.0]]) @ a.T
        assert got == (alone[:, 0].min(), alone[:, 1].min(), alone[:, 0].max(),
                       alone[:, 1].max())
        assert got == motion.map_box(a, box)
    assert motion.map_boxes(a, []) == []
