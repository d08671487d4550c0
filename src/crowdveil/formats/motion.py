"""How the camera moved between frames: pan, zoom and roll, from a small grey copy of each frame.

A clip's faces mostly move because the camera does. Knowing that motion lets the tracker work in
the scene's own coordinates, where a face held still by its owner stays put however the phone
pans or zooms: a face found by a full search is then carried exactly to the frames between full
searches, and held where it really is in the frames where it was lost.

The motion between two frames is a similarity (scale, rotation, shift), measured in numpy alone
(OpenCV is no longer a dependency, issue 12):

1. the dominant shift, by phase correlation of the two small copies at half size;
2. a grid of textured patches of the previous copy (flat or edge-only patches skipped: their
   match is ambiguous), each found in the current copy by normalised cross-correlation over a
   small window around that shift, then to a small fraction of a pixel by Lucas-Kanade steps
   (a path adds up hundreds of steps: their errors must be tiny and unbiased);
3. a similarity fitted to the patch matches with RANSAC (fixed seed: the same clip always gives
   the same path), refitted by least squares on the agreeing matches.

People walking through the picture are outliers, not the fit. Where no fit is found (a cut, a
black or blank frame, too little texture, too few agreeing matches), the step is unknown: the
caller searches that frame in full and the tracker assumes no motion.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .. import resample

SMALL_SIDE = 360  # most pixels on the grey copy's long side (1080p: 320 x 180)
MIN_POINTS = 24  # fewer agreeing matches than this: the step is unknown
RANSAC_PX = 1.0  # a match agrees with the fit within this many small-copy pixels
MIN_INLIERS = 0.5  # ... and at least this share of the matched patches must agree

PATCH = 16  # side of a patch, small-copy pixels (patches tile the copy without overlap)
REACH = 8  # how far (px) a patch is looked for around the dominant shift: zoom and roll
MIN_TEXTURE = 4.0  # a patch's weaker structure-tensor eigenvalue, per pixel, below: flat or edge
MAX_PATCHES = 120  # matched at most (time grows with them)
MIN_MATCH = 0.7  # normalised cross-correlation below this: the patch was not found
HYPOTHESES = 256  # RANSAC draws of two matches
SEED = 2026
# Two frames (not blank) this close, in mean grey levels, show the same view: the camera did not
# move. A still camera over a smooth scene (a wall, a sky, a generated clip) has too few textured
# patches for a fit, and "unknown" would stop the tracker carrying its faces.
SAME_VIEW = 0.5

Affine = np.ndarray  # 2 x 3 float64: [x', y'] = A @ [x, y, 1]
IDENTITY: Affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def small_grey(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The frame as a small grey picture, and the factor from frame to small pixels."""
    h, w = rgb.shape[:2]
    # a whole shrink factor: each small pixel is the mean of a k x k block (5x faster than a
    # fractional area shrink); the last k - 1 rows or columns at most are left out
    k = max(1, -(-max(h, w) // SMALL_SIDE))
    if k > 1:
        rgb = resample.area(rgb[: h - h % k, : w - w % k], w // k, h // k)
    # ITU-R BT.601 luma in 14-bit fixed point, as cv2's RGB2GRAY rounded it
    wide = rgb.astype(np.uint32)
    grey = (wide[..., 0] * 4899 + wide[..., 1] * 9617 + wide[..., 2] * 1868 + 8192) >> 14
    return grey.astype(np.uint8), 1.0 / k


def _dominant_shift(previous: np.ndarray, current: np.ndarray) -> tuple[int, int]:
    """The shift (dx, dy), to 2 px, that best carries `current` onto `previous` (phase
    correlation at half size: the pan, which most of the picture shares)."""
    h, w = (previous.shape[0] // 2) * 2, (previous.shape[1] // 2) * 2

    def half(grey: np.ndarray) -> np.ndarray:
        blocks = grey[:h, :w].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        return (blocks - blocks.mean()) * window

    window = np.outer(np.hanning(h // 2), np.hanning(w // 2)).astype(np.float32)
    cross = np.fft.rfft2(half(current)) * np.conj(np.fft.rfft2(half(previous)))
    # current = previous moved by d: the peak is at +d
    cross /= np.abs(cross) + 1e-6
    surface = np.fft.irfft2(cross, s=(h // 2, w // 2))
    peak_y, peak_x = (int(v) for v in np.unravel_index(int(np.argmax(surface)), surface.shape))
    # the surface wraps: shifts past half the copy are negative
    x = peak_x - w // 2 if peak_x > w // 4 else peak_x
    y = peak_y - h // 2 if peak_y > h // 4 else peak_y
    return 2 * x, 2 * y


def _textured(previous: np.ndarray, ys: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """Which patches (top-left ys, xs) have texture in two directions: the weaker eigenvalue
    of the structure tensor, per pixel, at least MIN_TEXTURE (a straight edge alone matches
    anywhere along itself)."""
    gy, gx = np.gradient(previous)
    h, w = previous.shape
    rows, cols = h // PATCH, w // PATCH

    def sums(values: np.ndarray) -> np.ndarray:
        blocks = values[: rows * PATCH, : cols * PATCH].reshape(rows, PATCH, cols, PATCH)
        return blocks.sum(axis=(1, 3))[ys // PATCH, xs // PATCH] / (PATCH * PATCH)

    xx, yy, xy = sums(gx * gx), sums(gy * gy), sums(gx * gy)
    weaker = 0.5 * (xx + yy) - np.sqrt(0.25 * (xx - yy) ** 2 + xy * xy)
    return weaker >= MIN_TEXTURE


def _match(previous: np.ndarray, current: np.ndarray, shift: tuple[int, int]
           ) -> tuple[np.ndarray, np.ndarray]:
    """Centres of the textured patches of `previous` found in `current`, as (current points,
    previous points), N x 2 each, x then y."""
    h, w = previous.shape
    dx, dy = shift
    ys, xs = np.mgrid[0 : h - PATCH + 1 : PATCH, 0 : w - PATCH + 1 : PATCH]
    ys, xs = ys.ravel(), xs.ravel()
    # the search window in `current` must lie inside it
    inside = ((ys + dy - REACH >= 0) & (ys + dy + PATCH + REACH <= h)
              & (xs + dx - REACH >= 0) & (xs + dx + PATCH + REACH <= w))
    ys, xs = ys[inside], xs[inside]
    if len(ys):
        keep = _textured(previous, ys, xs)
        ys, xs = ys[keep], xs[keep]
    if len(ys) < MIN_POINTS:
        return np.empty((0, 2)), np.empty((0, 2))
    if len(ys) > MAX_PATCHES:  # enough for the fit; spread over the picture, not the busiest
        pick = np.linspace(0, len(ys) - 1, MAX_PATCHES).round().astype(int)
        ys, xs = ys[pick], xs[pick]
    side = PATCH + 2 * REACH
    offsets = np.arange(PATCH)
    templates = previous[(ys[:, None] + offsets)[:, :, None], (xs[:, None] + offsets)[:, None, :]]
    around = np.arange(side)
    windows = current[(ys[:, None] + dy - REACH + around)[:, :, None],
                      (xs[:, None] + dx - REACH + around)[:, None, :]]
    # float32 transforms (twice as fast); the windows' means taken out first keep the sums of
    # squares small enough for float32's precision
    windows = windows - windows.mean(axis=(1, 2), keepdims=True)
    templates = templates - templates.mean(axis=(1, 2), keepdims=True)
    spread = np.sqrt((templates * templates).sum(axis=(1, 2)))
    # for every position of each template in its window, all at once by FFT: the correlation
    # with the zero-mean template, and the window's pixel sum and sum of squares under it
    shape = (side, side)
    box = np.conj(np.fft.rfft2(np.ones((PATCH, PATCH), np.float32), s=shape))
    spectrum = np.fft.rfft2(windows)
    span = 2 * REACH + 1
    product, sums, squares = np.fft.irfft2(
        np.stack([spectrum * np.conj(np.fft.rfft2(templates, s=shape)), spectrum * box,
                  np.fft.rfft2(windows * windows) * box]), s=shape)[:, :, :span, :span]
    energy = squares - sums * sums / (PATCH * PATCH)
    # at least one grey level of spread: a flat window matches nothing
    score = product / (spread[:, None, None] * np.sqrt(np.maximum(energy, PATCH * PATCH)))
    flat = score.reshape(len(ys), -1)
    best = flat.argmax(axis=1)
    py, px = best // span, best % span
    top = flat[np.arange(len(ys)), best]
    # a peak on the window's rim may lie outside it; a weak one is no match
    ok = (top >= MIN_MATCH) & (py > 0) & (py < span - 1) & (px > 0) & (px < span - 1)
    ys, xs, py, px, score = ys[ok], xs[ok], py[ok], px[ok], score[ok]
    n = np.arange(len(ys))

    def vertex(low: np.ndarray, mid: np.ndarray, high: np.ndarray) -> np.ndarray:
        bend = low - 2 * mid + high
        safe = np.where(bend < 0, bend, -1.0)
        return np.clip(np.where(bend < 0, 0.5 * (low - high) / safe, 0.0), -0.5, 0.5)

    fx = vertex(score[n, py, px - 1], score[n, py, px], score[n, py, px + 1])
    fy = vertex(score[n, py - 1, px], score[n, py, px], score[n, py + 1, px])
    moved = _refine(previous, current, ys, xs,
                    np.stack([px - REACH + dx + fx, py - REACH + dy + fy], axis=1))
    centre = (PATCH - 1) / 2
    before = np.stack([xs + centre, ys + centre], axis=1)
    return before + moved, before


def _refine(previous: np.ndarray, current: np.ndarray, ys: np.ndarray, xs: np.ndarray,
            shift: np.ndarray) -> np.ndarray:
    """The patches' shifts (N x 2, x then y) made exact by a few Lucas-Kanade steps: the
    correlation peak's parabola is off by up to a tenth of a pixel, which a camera path
    would add up over hundreds of frames."""
    h, w = current.shape
    gy, gx = np.gradient(previous)
    offsets = np.arange(PATCH)
    rows = (ys[:, None] + offsets)[:, :, None]
    cols = (xs[:, None] + offsets)[:, None, :]
    template, tx, ty = previous[rows, cols], gx[rows, cols], gy[rows, cols]
    txx, tyy, txy = ((tx * tx).sum(axis=(1, 2)), (ty * ty).sum(axis=(1, 2)),
                     (tx * ty).sum(axis=(1, 2)))
    det = txx * tyy - txy * txy  # > 0: the patches are textured both ways
    out = shift.copy()
    for _ in range(3):
        x = np.clip(cols + out[:, 0, None, None], 0, w - 1.001)
        y = np.clip(rows + out[:, 1, None, None], 0, h - 1.001)
        x0, y0 = x.astype(np.intp), y.astype(np.intp)
        ax, ay = x - x0, y - y0
        seen = ((1 - ay) * ((1 - ax) * current[y0, x0] + ax * current[y0, x0 + 1])
                + ay * ((1 - ax) * current[y0 + 1, x0] + ax * current[y0 + 1, x0 + 1]))
        error = seen - template
        error -= error.mean(axis=(1, 2), keepdims=True)  # a change of exposure is no motion
        bx, by = (tx * error).sum(axis=(1, 2)), (ty * error).sum(axis=(1, 2))
        step_x = (tyy * bx - txy * by) / det
        step_y = (txx * by - txy * bx) / det
        out -= np.clip(np.stack([step_x, step_y], axis=1), -1.0, 1.0)
    return out


def _similarity(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Least-squares (a, b, tx, ty) with dst = [[a, -b], [b, a]] @ src + t."""
    n = len(src)
    rows = np.zeros((2 * n, 4))
    rows[0::2] = np.stack([src[:, 0], -src[:, 1], np.ones(n), np.zeros(n)], axis=1)
    rows[1::2] = np.stack([src[:, 1], src[:, 0], np.zeros(n), np.ones(n)], axis=1)
    solution, *_ = np.linalg.lstsq(rows, dst.reshape(-1), rcond=None)
    return solution


def _residuals(params: np.ndarray, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """Distances from dst of src carried by each (a, b, tx, ty) row of `params`: K x N."""
    a, b, tx, ty = (params[:, i : i + 1] for i in range(4))
    x = a * src[:, 0] - b * src[:, 1] + tx
    y = b * src[:, 0] + a * src[:, 1] + ty
    return np.hypot(x - dst[:, 0], y - dst[:, 1])


def _ransac(src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """The similarity most matches agree with, refitted on them, and which agree."""
    n = len(src)
    rng = np.random.default_rng(SEED)
    i = rng.integers(0, n, HYPOTHESES)
    j = (i + rng.integers(1, n, HYPOTHESES)) % n  # never the same match twice
    # two matches fix a similarity: as complex numbers, dst = z * src + t
    s = src[:, 0] + 1j * src[:, 1]
    d = dst[:, 0] + 1j * dst[:, 1]
    apart = s[j] - s[i]
    usable = np.abs(apart) >= 4.0  # close pairs amplify each match's error
    if not usable.any():
        return None
    z = (d[j] - d[i])[usable] / apart[usable]
    t = d[i][usable] - z * s[i][usable]
    params = np.stack([z.real, z.imag, t.real, t.imag], axis=1)
    counts = (_residuals(params, src, dst) <= RANSAC_PX).sum(axis=1)
    agree = _residuals(params[int(np.argmax(counts))][None], src, dst)[0] <= RANSAC_PX
    for _ in range(2):  # refit on the agreeing matches, then see who agrees with the refit
        if agree.sum() < 2:
            return None
        fit = _similarity(src[agree], dst[agree])
        agree = _residuals(fit[None], src, dst)[0] <= RANSAC_PX
    return fit, agree


def step(previous: np.ndarray, current: np.ndarray, factor: float) -> Affine | None:
    """The similarity taking frame pixels of `current` to those of `previous` (both small grey
    copies made with `factor`), or None when the motion cannot be told."""
    if previous.shape != current.shape or min(previous.shape) < PATCH + 2 * REACH:
        return None
    before = previous.astype(np.float32)
    now = current.astype(np.float32)
    if before.std() < 1.0 or now.std() < 1.0:  # a blank or black frame
        return None
    if float(np.abs(before - now).mean()) <= SAME_VIEW:
        return IDENTITY.copy()
    src, dst = _match(before, now, _dominant_shift(before, now))
    if len(src) < MIN_POINTS:
        return None
    found = _ransac(src, dst)
    if found is None:
        return None
    (a, b, tx, ty), inliers = found
    agree = int(inliers.sum())
    if agree < MIN_POINTS or agree < MIN_INLIERS * len(src):
        return None
    scale = float(np.hypot(a, b))
    if not 0.5 <= scale <= 2.0:  # no phone zooms 2x between two frames: a wrong fit
        return None
    # in frame pixels: the shift grows by 1 / factor; and small pixel s covers frame pixels
    # around s / factor + c, so the scale and roll about that offset move it too
    c = (1.0 / factor - 1.0) / 2
    return np.array([[a, -b, tx / factor + c - (a - b) * c],
                     [b, a, ty / factor + c - (b + a) * c]], dtype=np.float64)


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
    return map_boxes(a, [box])[0]


def map_boxes(a: Affine, boxes: Sequence[tuple[float, float, float, float]]
              ) -> list[tuple[float, float, float, float]]:
    """`map_box` for many boxes at once, each mapped exactly as alone (one product of the
    corners by `a`): the tracker maps a crowded clip's hundreds of thousands of boxes, and
    one small array a box cost more than the arithmetic."""
    b = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    one = np.ones(len(b))
    corners = np.stack([np.stack([b[:, 0], b[:, 1], one], axis=1),
                        np.stack([b[:, 2], b[:, 1], one], axis=1),
                        np.stack([b[:, 0], b[:, 3], one], axis=1),
                        np.stack([b[:, 2], b[:, 3], one], axis=1)], axis=1)
    pts = (corners.reshape(-1, 3) @ a.T).reshape(len(b), 4, 2)
    out = np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1).tolist()
    return [(x0, y0, x1, y1) for x0, y0, x1, y1 in out]
