"""How the camera moved between frames: pan, zoom and roll, from a small grey copy of each frame.

A clip's faces mostly move because the camera does. Knowing that motion lets the tracker work in
the scene's own coordinates, where a face held still by its owner stays put however the phone
pans or zooms: a face found by a full search is then carried exactly to the frames between full
searches, and held where it really is in the frames where it was lost.

The motion between two frames is a similarity (scale, rotation, shift) fitted with RANSAC to
corners followed by optical flow (OpenCV, already a dependency), so people walking through the
picture are outliers, not the fit. Where no fit is found (a cut, a black or blank frame), the
step is unknown: the caller searches that frame in full and the tracker assumes no motion.
"""

from __future__ import annotations

import cv2
import numpy as np

SMALL_SIDE = 360  # long side of the grey copy: ~2 ms per frame for corners, flow and fit
MIN_POINTS = 24  # fewer agreeing points than this: the step is unknown
RANSAC_PX = 1.0  # a point agrees with the fit within this many small-copy pixels
MIN_INLIERS = 0.5  # ... and at least this share of the followed points must agree

Affine = np.ndarray  # 2 x 3 float64: [x', y'] = A @ [x, y, 1]
IDENTITY: Affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def small_grey(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The frame as a small grey picture, and the factor from frame to small pixels."""
    h, w = rgb.shape[:2]
    factor = min(1.0, SMALL_SIDE / max(h, w, 1))
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    if factor < 1.0:
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    return grey, factor


def step(previous: np.ndarray, current: np.ndarray, factor: float) -> Affine | None:
    """The similarity taking frame pixels of `current` to those of `previous` (both small grey
    copies made with `factor`), or None when the motion cannot be told."""
    corners = cv2.goodFeaturesToTrack(previous, maxCorners=300, qualityLevel=0.01,
                                      minDistance=6, blockSize=5)
    if corners is None or len(corners) < MIN_POINTS:
        return None
    moved, status, _ = cv2.calcOpticalFlowPyrLK(previous, current, corners, None,
                                                winSize=(15, 15), maxLevel=3)
    ok = status.reshape(-1) == 1
    if ok.sum() < MIN_POINTS:
        return None
    src, dst = moved[ok].reshape(-1, 2), corners[ok].reshape(-1, 2)
    fit, inliers = cv2.estimateAffinePartial2D(src, dst, method=cv2.RANSAC,
                                               ransacReprojThreshold=RANSAC_PX)
    if fit is None or inliers is None:
        return None
    agree = int(inliers.sum())
    if agree < MIN_POINTS or agree < MIN_INLIERS * len(src):
        return None
    scale = float(np.hypot(fit[0, 0], fit[1, 0]))
    if not 0.5 <= scale <= 2.0:  # no phone zooms 2x between two frames: a wrong fit
        return None
    out = fit.astype(np.float64)
    out[:, 2] /= factor  # the shift in frame pixels; scale and rotation need no change
    return out


def compose(outer: Affine, inner: Affine) -> Affine:
    """The affine map `outer` after `inner`."""
    return np.hstack([outer[:, :2] @ inner[:, :2], outer[:, :2] @ inner[:, 2:] + outer[:, 2:]])


def invert(a: Affine) -> Affine:
    m = np.linalg.inv(a[:, :2])
    return np.hstack([m, -m @ a[:, 2:]])


class CameraPath:
    """Feeds on frames in order; `to_scene[t]` maps frame t's pixels to the first frame's.

    `known[t]` is False where the step into frame t could not be told (the first frame is
    known: it is the scene)."""

    def __init__(self) -> None:
        self.to_scene: list[Affine] = []
        self.known: list[bool] = []
        self._previous: np.ndarray | None = None

    def add(self, rgb: np.ndarray) -> bool:
        """Take the next frame; returns whether its motion from the one before is known."""
        grey, factor = small_grey(rgb)
        if self._previous is None or self._previous.shape != grey.shape:
            moved = None
        else:
            moved = step(self._previous, grey, factor)
        self._previous = grey
        first = not self.to_scene
        last = self.to_scene[-1] if self.to_scene else IDENTITY
        self.to_scene.append(last if moved is None else compose(last, moved))
        self.known.append(first or moved is not None)
        return self.known[-1]


def map_box(a: Affine, box: tuple[float, float, float, float]
            ) -> tuple[float, float, float, float]:
    """The axis-aligned box around `box` (x0, y0, x1, y1) carried by `a` (a roll makes it
    larger, never smaller: a face inside the box stays inside)."""
    x0, y0, x1, y1 = box
    pts = np.array([[x0, y0, 1.0], [x1, y0, 1.0], [x0, y1, 1.0], [x1, y1, 1.0]]) @ a.T
    return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()),
            float(pts[:, 1].max()))
