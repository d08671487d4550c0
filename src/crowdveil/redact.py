"""Destroy the pixels under each region so that no model can bring the face back.

Every method leaves the region depending on at most a handful of numbers from the original
(a constant, or a mean per coarse cell), plus fresh random noise; a light blur or a fine mosaic
keeps enough signal to be reversed, so neither is offered.

A redacted region is made fully opaque: its colour is replaced in every channel, and an alpha
left as it was could draw the face's silhouette by itself. Outside the regions, colour that
transparency hides is destroyed too (`scrub_hidden_colour`): an image editor's "erased" name
tag keeps its pixels under alpha 0, and any viewer that drops the alpha shows them.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Literal

import numpy as np

from . import resample
from .regions import Region

Method = Literal["fill", "mosaic", "blur"]
METHODS: tuple[Method, ...] = ("fill", "mosaic", "blur")

FILL_COLOUR = (0, 0, 0)
MOSAIC_CELLS = 5  # cells across the region: a face becomes at most 5 x 5 averages
BLUR_CELLS = 3  # the blur is a 3 x 3 average upsampled smoothly
NOISE_SIGMA = 12.0
_MARGIN = 3  # px around a region: its ellipse mask reaches at most 2 px past its box
# The ellipse mask is the analytic ellipse with both semi-axes one pixel longer: it holds every
# pixel of the region's own ellipse, and every pixel OpenCV's polygon fill (cv2.ellipse, used
# until issue 12 and still by the scorer) drew, which reaches up to 0.79 px further out
# (measured for semi-axes 1-300 px, and samples to 3000 px, at aspect ratios 1/3-3): no region
# shrank.
_ELLIPSE_GROWTH = 1.0


def _round_half_up(value: float) -> int:
    return math.floor(value + 0.5)


def region_mask(
    region: Region, height: int, width: int, left: int = 0, top: int = 0
) -> np.ndarray:
    """Boolean mask of the region, clipped to the height x width window whose top-left corner
    is image pixel (left, top); (0, 0) gives the whole image's mask."""
    if region.shape == "ellipse":
        # Centre and semi-axes rounded to whole pixels twice: half to even as the scorer's
        # cv2.ellipse call has them (so every pixel it counts as hidden is), and half up,
        # which puts the top of every region's ellipse 1 px above its box. Half to even alone
        # moved the top of a taller (less sure) region's ellipse 2 px below a sure one's from
        # the same box (h 17 against 15): the less sure face got the smaller head.
        def ellipse(rounding: Callable[[float], int]) -> np.ndarray:
            cx = rounding(region.x + region.w / 2) - left
            cy = rounding(region.y + region.h / 2) - top
            ax = max(1, rounding(region.w / 2)) + _ELLIPSE_GROWTH
            ay = max(1, rounding(region.h / 2)) + _ELLIPSE_GROWTH
            dy = ((np.arange(height) - cy) / ay) ** 2
            dx = ((np.arange(width) - cx) / ax) ** 2
            return dy[:, None] + dx[None, :] <= 1.0

        return ellipse(round) | ellipse(_round_half_up)
    mask = np.zeros((height, width), dtype=bool)
    x0, y0 = max(0, region.x - left), max(0, region.y - top)
    mask[y0 : max(y0, region.y + region.h - top), x0 : max(x0, region.x + region.w - left)] = True
    return mask


def _coarse(patch: np.ndarray, cells: int, smooth: bool) -> np.ndarray:
    """float32 `patch` averaged down to at most cells x cells, then enlarged back: in blocks,
    or smoothly (bicubic) when `smooth`."""
    h, w = patch.shape[:2]
    aspect = h / max(w, 1)
    cw = max(1, min(cells, w))
    ch = max(1, min(cells, round(cells * aspect) or 1, h))
    small = resample.area(patch, cw, ch)
    return resample.cubic(small, w, h) if smooth else resample.nearest(small, w, h)


def _noise(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    return rng.normal(0.0, NOISE_SIGMA, size=shape)


def _window(region: Region, height: int, width: int) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1): the region's neighbourhood in a height x width picture (empty when
    the region lies outside it). A whole-picture mask per face cost ~1 s on a 12 MP crowd
    photo; the margin holds the whole ellipse mask: same pixels as a whole-picture mask."""
    x0, y0 = max(0, region.x - _MARGIN), max(0, region.y - _MARGIN)
    x1 = min(width, region.x + region.w + _MARGIN)
    y1 = min(height, region.y + region.h + _MARGIN)
    return x0, y0, x1, y1


# `regions_mask` draws the ellipses all at once (`_ellipse_rows`) where there is one for every
# _PIXELS_PER_ELLIPSE pixels of the picture or more: one by one, each costs about 25 us; all at
# once, about 4 ms per megapixel whatever their number (measured at 720p, 1080p and 2160p). A
# crowd's clip has up to 900 regions a frame: drawing them one by one took 3.3 s of a 720p
# clip's 32 (benchmarks/video.py seed 11), all at once 1.1 s.
_PIXELS_PER_ELLIPSE = 7000


def regions_mask(regions: list[Region], height: int, width: int) -> np.ndarray:
    """Boolean height x width mask of every pixel that `redact` destroys for `regions`."""
    mask = np.zeros((height, width), dtype=bool)
    ellipses = [r for r in regions if r.shape == "ellipse"]
    many = len(ellipses) * _PIXELS_PER_ELLIPSE >= height * width
    for region in regions:
        if many and region.shape == "ellipse":
            continue
        x0, y0, x1, y1 = _window(region, height, width)
        if x1 > x0 and y1 > y0:
            mask[y0:y1, x0:x1] |= region_mask(region, y1 - y0, x1 - x0, x0, y0)
    if many:
        mask |= _ellipse_rows(ellipses, height, width)
    return mask


def _ellipse_rows(regions: list[Region], height: int, width: int) -> np.ndarray:
    """The mask `region_mask` gives each ellipse region, for many at once, pixel for pixel.

    On each row the ellipse test, dy + ((x - cx) / ax) ** 2 <= 1 in floating point, holds for
    a run of columns about cx (it only grows with |x - cx|): the run's half-length is found
    from the square root and then settled by the same test, so no pixel differs from
    `region_mask`'s. The runs are painted through a running sum along each row."""
    rx = np.array([r.x for r in regions], dtype=np.int64)
    ry = np.array([r.y for r in regions], dtype=np.int64)
    rw = np.array([r.w for r in regions], dtype=np.int64)
    rh = np.array([r.h for r in regions], dtype=np.int64)
    # each region's window (`_window`), clipped to the picture
    wx0, wy0 = np.maximum(0, rx - _MARGIN), np.maximum(0, ry - _MARGIN)
    wx1 = np.minimum(width, rx + rw + _MARGIN)
    wy1 = np.minimum(height, ry + rh + _MARGIN)
    rows_n = np.where((wx1 > wx0) & (wy1 > wy0), wy1 - wy0, 0)
    # one entry per row of every region's window: its region and its picture row
    which = np.repeat(np.arange(len(regions)), rows_n)
    y = wy0[which] + (np.arange(len(which)) - np.repeat(np.cumsum(rows_n) - rows_n, rows_n))
    starts: list[np.ndarray] = []
    ends: list[np.ndarray] = []
    lines: list[np.ndarray] = []
    for half_up in (False, True):
        # centre and semi-axes as `region_mask` rounds them (x + w / 2 is exact in floats)
        if half_up:
            cx = np.floor(rx + rw / 2 + 0.5).astype(np.int64)
            cy = np.floor(ry + rh / 2 + 0.5).astype(np.int64)
            ax = np.maximum(1, np.floor(rw / 2 + 0.5)) + _ELLIPSE_GROWTH
            ay = np.maximum(1, np.floor(rh / 2 + 0.5)) + _ELLIPSE_GROWTH
        else:
            cx = np.rint(rx + rw / 2).astype(np.int64)
            cy = np.rint(ry + rh / 2).astype(np.int64)
            ax = np.maximum(1, np.rint(rw / 2)) + _ELLIPSE_GROWTH
            ay = np.maximum(1, np.rint(rh / 2)) + _ELLIPSE_GROWTH
        dy = ((y - cy[which]) / ay[which]) ** 2
        a = ax[which]

        def inside(d: np.ndarray, dy: np.ndarray = dy, a: np.ndarray = a) -> np.ndarray:
            return dy + (d / a) ** 2 <= 1.0

        k = np.floor(a * np.sqrt(np.maximum(0.0, 1.0 - dy))).astype(np.int64)
        for _ in range(8):  # float error moves the estimate a pixel at most
            grow = inside((k + 1).astype(np.float64))
            shrink = (k >= 0) & ~inside(np.maximum(k, 0).astype(np.float64))
            if not grow.any() and not shrink.any():
                break
            k = k + grow - shrink
        else:  # never seen: the estimate settles in one or two steps
            raise AssertionError("ellipse rows did not settle")
        x0 = np.maximum(cx[which] - k, wx0[which])
        x1 = np.minimum(cx[which] + k + 1, wx1[which])
        keep = (k >= 0) & (x1 > x0)
        starts.append(x0[keep])
        ends.append(x1[keep])
        lines.append(y[keep])
    line = np.concatenate(lines)
    size = height * (width + 1)
    runs = (np.bincount(line * (width + 1) + np.concatenate(starts), minlength=size)
            - np.bincount(line * (width + 1) + np.concatenate(ends), minlength=size))
    return np.cumsum(runs.reshape(height, width + 1), axis=1)[:, :width] > 0


def _paint(rgb: np.ndarray, region: Region, method: Method, rng: np.random.Generator) -> None:
    h, w = rgb.shape[:2]
    # the mosaic's and blur's cells cover the region's neighbourhood
    x0, y0, x1, y1 = _window(region, h, w)
    if x1 <= x0 or y1 <= y0:
        return
    mask = region_mask(region, y1 - y0, x1 - x0, x0, y0)
    view = rgb[y0:y1, x0:x1]
    if method == "fill":  # one colour: no float copy of the patch (a crowd has ~1,000 faces)
        view[..., :3][mask] = FILL_COLOUR
    else:
        patch = rgb[y0:y1, x0:x1, :3].astype(np.float32)
        if method == "mosaic":
            new = _coarse(patch, MOSAIC_CELLS, smooth=False)
        else:
            new = _coarse(patch, BLUR_CELLS, smooth=True)
        new = np.clip(new + _noise(new.shape, rng), 0, 255).astype(np.uint8)
        view[..., :3][mask] = new[mask]
    if rgb.shape[2] == 4:
        view[..., 3][mask] = 255  # no transparent hole where a face was


def _visible_colour_table() -> np.ndarray:
    """table[a, c]: the colour c under alpha a, cut to the precision at which it can show.

    Over any background a pixel shows as c * a / 255 + background * (1 - a / 255), so all it
    can show of c is the premultiplied value round(c * a / 255); unpremultiplying that gives the
    colour to keep. Alpha 0 keeps nothing (0), alpha 255 keeps every colour, alpha 1 keeps 1 bit.
    What shows over black is unchanged, over other backgrounds it moves by under a level, and
    applying the table twice changes nothing.
    """
    a = np.arange(256, dtype=np.int32)[:, None]
    c = np.arange(256, dtype=np.int32)[None, :]
    premultiplied = (c * a + 127) // 255
    kept = (premultiplied * 255 + a // 2) // np.maximum(a, 1)
    return np.where(a > 0, kept, 0).astype(np.uint8)


_VISIBLE = _visible_colour_table()


def scrub_hidden_colour(pixels: np.ndarray) -> np.ndarray:
    """Pixels (H x W x 3|4, uint8) with nothing kept of a colour that transparency hides.

    Colour under alpha 0 becomes 0; under partial alpha it is cut to what can show (see
    `_visible_colour_table`). Returns `pixels` itself when there is no alpha, else a copy.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        return pixels
    out = pixels.copy()
    translucent = out[..., 3] < 255
    count = int(np.count_nonzero(translucent))
    if count == 0:
        return out
    flat = _VISIBLE.ravel()  # index (alpha << 8) | colour: uint16 indices, a quarter of intp's
    if count * 4 < translucent.size:
        # a mostly opaque photo: look up only the translucent pixels (12 MP with 10% of them
        # transparent: 0.1 s, against 0.5 s for the whole picture)
        some = out[translucent]
        shifted = some[:, 3].astype(np.uint16) << 8
        some[:, :3] = flat[some[:, :3] | shifted[:, None]]
        out[translucent] = some
    else:  # gathering most of the picture costs more than looking all of it up
        shifted = out[..., 3].astype(np.uint16) << 8
        out[..., :3] = flat[out[..., :3] | shifted[..., None]]
    return out


def hidden_colour_count(pixels: np.ndarray) -> int:
    """How many fully transparent pixels still carry colour (0 for a clean RGBA array).

    For an audit of decoded lossless output; after lossy WebP coding the colour under alpha 0
    is smeared in from visible neighbours and this is not 0 even for clean output.
    """
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        return 0
    hidden = pixels[..., 3] == 0
    return int(np.count_nonzero(pixels[..., :3][hidden].any(axis=1)))


def redact(
    rgb: np.ndarray,
    regions: list[Region],
    method: Method = "fill",
    rng: np.random.Generator | None = None,
) -> np.ndarray:
    """Return a copy of `rgb` (H x W x 3 or 4, uint8) with every region destroyed."""
    if method not in METHODS:
        raise ValueError(f"unknown redaction method {method!r}")
    rng = rng if rng is not None else np.random.default_rng()
    out = rgb.copy()
    for region in regions:
        _paint(out, region, method, rng)
    return out
