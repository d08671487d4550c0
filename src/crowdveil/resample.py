"""Resizing in numpy, with OpenCV's arithmetic (cv2.resize as OpenCV 5.1 computes it).

crowdveil used OpenCV for a dozen small calls; its wheel was 171 MB of the app's bundle (issue 12).
The detector's scale passes (`detect/scales.py`) feed these pixels to the networks, so `area` and
`linear` reproduce cv2.resize's INTER_AREA (shrinking) and INTER_LINEAR (uint8 enlarging) to the
bit: the same pixels give the same detections as before, which a faster library's rounding
(Pillow's two 8-bit passes) would not (benchmarks/resample_parity.py compares with cv2).

Pictures are H x W or H x W x C arrays, uint8 (rounded as OpenCV rounds) or float32 (no rounding;
the redaction's coarse cells). Work is done in bands of output rows so that a 108 MP picture
never needs a float copy of itself.
"""

from __future__ import annotations

import functools
import math

import numpy as np

_EPS = float(np.finfo(np.float64).eps)
_BAND_VALUES = 1 << 20  # values per work array and band (4 MiB of float32 or int32)
_COEF_BITS = 11  # OpenCV's INTER_RESIZE_COEF_BITS: bilinear weights in 1/2048
_COEF_ONE = np.float32(1 << _COEF_BITS)


def _check(pixels: np.ndarray, width: int, height: int) -> None:
    if pixels.ndim not in (2, 3) or pixels.shape[0] < 1 or pixels.shape[1] < 1:
        raise ValueError(f"cannot resize an array of shape {pixels.shape}")
    if pixels.dtype not in (np.uint8, np.float32):
        raise TypeError(f"cannot resize {pixels.dtype} pixels (uint8 or float32)")
    if width < 1 or height < 1:
        raise ValueError(f"cannot resize to {width} x {height}")


def _as_3d(pixels: np.ndarray) -> np.ndarray:
    return pixels if pixels.ndim == 3 else pixels[:, :, None]


def _finish(out: np.ndarray, like: np.ndarray) -> np.ndarray:
    return out if like.ndim == 3 else out[:, :, 0]


def _to_uint8(acc: np.ndarray) -> np.ndarray:
    # saturate_cast<uchar>(float): round half to even, then clamp
    return np.clip(np.rint(acc), 0, 255).astype(np.uint8)


def _bands(rows: int, values_per_row: int) -> list[tuple[int, int]]:
    step = max(1, _BAND_VALUES // max(1, values_per_row))
    return [(r, min(rows, r + step)) for r in range(0, rows, step)]


# ------------------------------------------------------------------------------------------
# INTER_AREA


def _integer_factor(src: int, dst: int) -> int | None:
    """OpenCV's test for its fast path: the scale (computed as it does) within an ulp of an
    integer. 3000 -> 1000 is not one (1 / (1000 / 3000) is 3.0000000000000004)."""
    scale = 1.0 / (dst / src)
    whole = round(scale)
    return whole if abs(scale - whole) < _EPS else None


@functools.lru_cache(maxsize=64)  # a batch of same-size photos asks for the same tables
def _area_taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray]:
    """For each output index, the source indices it averages and their float32 weights, in
    OpenCV's order (left to right, the partial first and last source pixels weighted by the
    share of them inside the output pixel); unused taps have weight 0 and repeat the last
    index (so a band of outputs needs only the source rows between its own taps)."""
    scale = 1.0 / (dst / src)
    taps: list[list[tuple[int, float]]] = []
    for d in range(dst):
        start = d * scale
        end = start + scale
        cell = min(scale, src - start)
        first = min(math.ceil(start), src - 1)
        last = min(math.floor(end), src - 1)
        first = min(first, last)
        row = []
        if first - start > 1e-3:
            row.append((first - 1, (first - start) / cell))
        row.extend((s, 1.0 / cell) for s in range(first, last))
        if end - last > 1e-3:
            row.append((last, min(end - last, 1.0, cell) / cell))
        taps.append(row)
    width = max(len(row) for row in taps)
    index = np.zeros((dst, width), np.intp)
    weight = np.zeros((dst, width), np.float32)
    for d, row in enumerate(taps):
        for t, (s, w) in enumerate(row):
            index[d, t] = s
            weight[d, t] = w  # rounded to float32 from the double, as OpenCV's table
        index[d, len(row):] = row[-1][0]
    index.flags.writeable = weight.flags.writeable = False  # shared by the cache
    return index, weight


def area(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """`pixels` shrunk to width x height by averaging the source pixels under each output
    pixel (cv2.INTER_AREA). Neither side may grow."""
    _check(pixels, width, height)
    h, w = pixels.shape[:2]
    if width > w or height > h:
        raise ValueError(f"area resampling shrinks: {w} x {h} -> {width} x {height}")
    if (width, height) == (w, h):
        return pixels.copy()
    src = _as_3d(pixels)
    fx, fy = _integer_factor(w, width), _integer_factor(h, height)
    if fx is not None and fy is not None:
        return _finish(_area_blocks(src, fx, fy, width, height), pixels)
    return _finish(_area_weighted(src, width, height), pixels)


def _block_sums(src: np.ndarray, fx: int, fy: int, width: int, height: int,
                dtype: type) -> np.ndarray:
    """Sums of the fx x fy blocks, added view by view (strided views, no index arrays)."""
    rows: np.ndarray = src[0 : height * fy : fy, : width * fx].astype(dtype)
    for dy in range(1, fy):
        rows += src[dy : height * fy : fy, : width * fx]
    by_col = rows.reshape(height, width, fx, src.shape[2])
    total = by_col[:, :, 0].copy()
    for dx in range(1, fx):
        total += by_col[:, :, dx]
    return total


def _area_blocks(src: np.ndarray, fx: int, fy: int, width: int, height: int) -> np.ndarray:
    """Whole-factor shrink: each output pixel is the mean of an fx x fy block."""
    channels = src.shape[2]
    out = np.empty((height, width, channels), src.dtype)
    if src.dtype == np.uint8:
        dtype: type = np.uint16 if fx * fy <= 257 else np.int32  # 257 * 255 < 65536
    else:
        dtype = np.float32
    inv = np.float32(1.0 / (fx * fy))
    for r0, r1 in _bands(height, fy * width * fx * channels):
        total = _block_sums(src[r0 * fy : r1 * fy], fx, fy, width, r1 - r0, dtype)
        if src.dtype != np.uint8:
            out[r0:r1] = total * inv
        elif fx == fy == 2 and channels in (1, 3, 4):
            total += 2
            total >>= 2  # OpenCV's 2 x 2 path rounds half up, in integers
            out[r0:r1] = total
        else:
            out[r0:r1] = _to_uint8(total.astype(np.float32) * inv)
    return out


def _across(part: np.ndarray, index: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """Each row's weighted sums across, tap after tap in float32 (OpenCV's order: the same
    roundings). Unused taps (weight 0) add an exact 0."""
    taps = index.shape[1]
    dst = index.shape[0]
    regular = (np.array_equal(index, np.arange(dst)[:, None] * taps + np.arange(taps)[None, :])
               and bool((weight == weight[0, 0]).all()))
    if regular:  # whole blocks of `taps` pixels, equal weights: strided views, no gathers
        blocks = part[:, : dst * taps].reshape(part.shape[0], dst, taps, part.shape[2])
        w = weight[0, 0]
        if part.dtype == np.uint8 and taps <= 256 and w * taps == 1 and taps & (taps - 1) == 0:
            # w = 2 ** -k: every product and partial sum is an integer times w below 2 ** 24,
            # exact in float32, so the sum in any order is the integer sum times w (the
            # coarsest pass of a 4000 x 3000 photo: 16 columns a cell).
            total = blocks[:, :, 0].astype(np.uint16)
            for t in range(1, taps):
                total += blocks[:, :, t]
            return np.multiply(total, w, dtype=np.float32)
        acc = np.multiply(blocks[:, :, 0], w, dtype=np.float32)
        for t in range(1, taps):
            acc += np.multiply(blocks[:, :, t], w, dtype=np.float32)
        return acc
    # Gathering single bytes from rows flattened across the channels is several times faster
    # than gathering pixels of 3 bytes.
    rows, channels = part.shape[0], part.shape[2]
    flat = np.ascontiguousarray(part).reshape(rows, -1)
    lanes = np.arange(channels)[None, :]
    acc = np.zeros((rows, dst, channels), np.float32)
    for t in range(taps):
        picked = np.take(flat, (index[:, t, None] * channels + lanes).ravel(), axis=1)
        acc += np.multiply(picked.reshape(rows, dst, channels), weight[None, :, t, None],
                           dtype=np.float32)
    return acc


def _area_weighted(src: np.ndarray, width: int, height: int) -> np.ndarray:
    """Any other shrink: each row's weighted sum across, then the rows' weighted sum down, in
    float32 and in OpenCV's order (so its roundings are the same)."""
    h = src.shape[0]
    channels = src.shape[2]
    xi, xw = _area_taps(src.shape[1], width)
    yi, yw = _area_taps(h, height)
    out = np.empty((height, width, channels), src.dtype)
    rows_per_out = math.ceil(h / height) + 1
    for r0, r1 in _bands(height, rows_per_out * width * channels):
        used = yi[r0:r1]
        lo = int(used.min())
        across = _across(src[lo : int(used.max()) + 1], xi, xw)
        local = used - lo
        weights = yw[r0:r1]
        acc = weights[:, 0, None, None] * across[local[:, 0]]
        for t in range(1, yi.shape[1]):
            acc += weights[:, t, None, None] * across[local[:, t]]
        out[r0:r1] = _to_uint8(acc) if src.dtype == np.uint8 else acc
    return out


# ------------------------------------------------------------------------------------------
# INTER_LINEAR (uint8)


def _linear_taps(src: int, dst: int) -> tuple[np.ndarray, np.ndarray]:
    """Each output index's first source index (unclamped) and its float32 offset from it:
    pixel centres aligned, as OpenCV places them."""
    scale = 1.0 / (dst / src)
    pos = ((np.arange(dst, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    first = np.floor(pos).astype(np.intp)
    return first, (pos - first.astype(np.float32)).astype(np.float32)


def _fixed(frac: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two weights of each offset in 1/2048, each rounded on its own (as OpenCV does: they
    may sum to 2047 or 2049)."""
    near = np.rint((np.float32(1) - frac) * _COEF_ONE).astype(np.int32)
    far = np.rint(frac * _COEF_ONE).astype(np.int32)
    return near, far


# Cached: the zoom pass enlarges hundreds of windows per crowd photo, of few distinct sizes.
@functools.lru_cache(maxsize=256)
def _linear_across(src: int, dst: int, channels: int) -> tuple[np.ndarray, ...]:
    """Byte offsets of the two neighbours in a row flattened across the channels (single-byte
    gathers are the fastest), and their weights in 1/2048. A neighbour outside the picture is
    replaced by the edge pixel at full weight."""
    first, frac = _linear_taps(src, dst)
    frac[(first < 0) | (first >= src - 1)] = 0
    first = np.clip(first, 0, src - 1)
    lanes = np.arange(channels)[None, :]
    near = (first[:, None] * channels + lanes).ravel()
    far = (np.minimum(first + 1, src - 1)[:, None] * channels + lanes).ravel()
    tables = (near, far, *_fixed(frac))
    for table in tables:
        table.flags.writeable = False
    return tables


@functools.lru_cache(maxsize=256)
def _linear_down(src: int, dst: int) -> tuple[np.ndarray, ...]:
    """The two source rows of each output row and their weights in 1/2048: the rows are
    clamped into the picture but the weights kept as computed, as OpenCV does."""
    first, frac = _linear_taps(src, dst)
    tables = (np.clip(first, 0, src - 1), np.clip(first + 1, 0, src - 1), *_fixed(frac))
    for table in tables:
        table.flags.writeable = False
    return tables


def linear(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """uint8 `pixels` resized to width x height by bilinear interpolation (cv2.INTER_LINEAR,
    to the bit: 11-bit fixed-point weights, the vertical step on the horizontal sums shifted
    right by 4 and multiplied keeping the high 16 bits, as OpenCV's vector code does)."""
    _check(pixels, width, height)
    if pixels.dtype != np.uint8:
        raise TypeError("linear resampling is for uint8 pixels")
    h, w = pixels.shape[:2]
    if (width, height) == (w, h):
        return pixels.copy()
    src = _as_3d(pixels)
    if (width, height) == (2 * w, 2 * h) and h * w * src.shape[2] <= _BAND_VALUES:
        return _finish(_linear_double(src), pixels)
    return _finish(_linear_general(src, width, height), pixels)


def _linear_general(src: np.ndarray, width: int, height: int) -> np.ndarray:
    """`linear` for any size, by table lookups (`_linear_across`, `_linear_down`)."""
    h, w, channels = src.shape
    near_lanes, far_lanes, x_near, x_far = _linear_across(w, width, channels)
    ys1, ys2, y_near, y_far = _linear_down(h, height)
    out = np.empty((height, width, channels), np.uint8)
    a_near, a_far = x_near[None, :, None], x_far[None, :, None]
    for r0, r1 in _bands(height, 2 * width * channels):
        lo = int(ys1[r0])
        hi = int(ys2[r1 - 1]) + 1
        rows = np.ascontiguousarray(src[lo:hi]).reshape(hi - lo, -1)
        left = np.take(rows, near_lanes, axis=1).reshape(hi - lo, width, channels)
        right = np.take(rows, far_lanes, axis=1).reshape(hi - lo, width, channels)
        # Horizontal sums in 1/2048 (at most 255 * 2049, so the shift below fits int16).
        across = np.multiply(left, a_near, dtype=np.int32)
        across += np.multiply(right, a_far, dtype=np.int32)
        across >>= 4
        acc = across[ys1[r0:r1] - lo]
        acc *= y_near[r0:r1, None, None]
        acc >>= 16
        far = across[ys2[r0:r1] - lo]
        far *= y_far[r0:r1, None, None]
        far >>= 16
        acc += far
        acc += 2
        acc >>= 2
        np.clip(acc, 0, 255, out=acc)
        out[r0:r1] = acc
    return out


def _linear_double(src: np.ndarray) -> np.ndarray:
    """`linear` to exactly twice the size (the zoom windows, hundreds per crowd photo): the
    same integers as `_linear_general`, in a few whole-array steps instead of its lookups.

    At 2x each output pixel lies a quarter pixel from a source centre: its weights are 512 and
    1536 in 1/2048 on both axes, and at the edges, where `_linear_general` gives the edge pixel
    2048 (across) or repeats the edge row (down), repeating the edge pixel gives the same sums.
    The shifted horizontal sum is then 32 * q, q = a + 3 * b, and the vertical step's
    (32 * q * 512) >> 16 is q >> 2 and (32 * q * 1536) >> 16 is (3 * q) >> 2. Every value
    stays below 2 ** 12: int16 holds them and nothing needs clamping."""
    h, w, channels = src.shape
    edged = np.empty((h + 2, w + 2, channels), np.int16)  # the source, edge pixels repeated
    edged[1:-1, 1:-1] = src
    edged[0, 1:-1] = src[0]
    edged[-1, 1:-1] = src[-1]
    edged[:, 0] = edged[:, 1]
    edged[:, -1] = edged[:, -2]
    centre3 = edged[:, 1:-1] * 3
    q = np.empty((h + 2, w, 2, channels), np.int16)  # output columns 2k and 2k + 1
    np.add(edged[:, :-2], centre3, out=q[:, :, 0])
    np.add(centre3, edged[:, 2:], out=q[:, :, 1])
    q = q.reshape(h + 2, 2 * w, channels)
    one = q >> 2  # the row weighted 512
    q *= 3
    q >>= 2  # the row weighted 1536
    out = np.empty((h, 2, 2 * w, channels), np.int16)  # output rows 2k and 2k + 1
    np.add(one[:-2], q[1:-1], out=out[:, 0])
    np.add(q[1:-1], one[2:], out=out[:, 1])
    out += 2
    out >>= 2
    return out.reshape(2 * h, 2 * w, channels).astype(np.uint8)


# ------------------------------------------------------------------------------------------
# Enlarging the redaction's coarse cells (float32; no bit-exactness needed: the pixels are
# destroyed, and noise is added after)


def nearest(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Each output pixel takes the source pixel it falls in (cv2.INTER_NEAREST): blocks."""
    _check(pixels, width, height)
    h, w = pixels.shape[:2]
    cols = np.minimum((np.arange(width) * (w / width)).astype(np.intp), w - 1)
    rows = np.minimum((np.arange(height) * (h / height)).astype(np.intp), h - 1)
    return pixels[rows[:, None], cols[None, :]]


def _cubic_weights(src: int, dst: int) -> tuple[np.ndarray, np.ndarray]:
    """Four source indices (clamped: the edge pixel repeats) and Keys' cubic weights (a = -0.75,
    OpenCV's) for each output index, pixel centres aligned."""
    pos = (np.arange(dst, dtype=np.float64) + 0.5) * (src / dst) - 0.5
    first = np.floor(pos)
    t = pos - first
    a = -0.75
    weights = np.stack([
        ((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
        ((a + 2) * t - (a + 3)) * t * t + 1,
        ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
    ], axis=1)
    weights = np.concatenate([weights, 1 - weights.sum(axis=1, keepdims=True)], axis=1)
    index = np.clip(first.astype(np.intp)[:, None] + np.arange(-1, 3)[None, :], 0, src - 1)
    return index, weights.astype(np.float32)


def cubic(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """float32 `pixels` enlarged smoothly to width x height (bicubic, as cv2.INTER_CUBIC)."""
    _check(pixels, width, height)
    if pixels.dtype != np.float32:
        raise TypeError("cubic resampling is for float32 pixels")
    src = _as_3d(pixels)
    xi, xw = _cubic_weights(src.shape[1], width)
    yi, yw = _cubic_weights(src.shape[0], height)
    across = sum(src[:, xi[:, t]] * xw[None, :, t, None] for t in range(4))
    down = sum(across[yi[:, t]] * yw[:, t, None, None] for t in range(4))
    return _finish(np.asarray(down, np.float32), pixels)
