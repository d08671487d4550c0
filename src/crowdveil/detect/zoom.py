"""Where a large picture deserves a second, enlarged look: the zoom windows.

A 12 MP crowd holds faces of 10-20 px that CenterFace, at native resolution, scores too low to
keep; enlarged 2x it finds most of them. An enlarged pass over the whole picture costs 4x the
native one. But the native pass's heatmap already says where something face-like is: even the
faces it scores at 0.02-0.15 light it up there, while sky, road and walls stay dark. So only
windows around those faint responses are enlarged: 5-28% of the 12 MP crowd mosaics' area.
Pure functions on the heatmap; centerface.py runs the network on the windows.
"""

from __future__ import annotations

import numpy as np

Window = tuple[int, int, int, int]  # x0, y0, x1, y1 in picture pixels


def zoom_windows(
    heat: np.ndarray,
    stride: int,
    height: int,
    width: int,
    gate: float,
    margin: int,
) -> list[Window]:
    """Windows (picture pixels) around every blob of `heat` above `gate`.

    heat: the native pass's face-centre heatmap, one cell per `stride` picture pixels.
    Each blob's cells are grown by one cell (a face's centre can sit on a cell edge), then its
    bounding box by `margin` picture pixels of context on every side. Windows may overlap:
    merging neighbours into their common bounding box measured 2x the pixels on crowds.
    """
    if heat.size == 0:
        return []
    windows = []
    for x, y, x_end, y_end in blob_boxes(dilate(heat > gate)):
        x0 = max(0, x * stride - margin)
        y0 = max(0, y * stride - margin)
        x1 = min(width, x_end * stride + margin)
        y1 = min(height, y_end * stride + margin)
        if x1 > x0 and y1 > y0:
            windows.append((x0, y0, x1, y1))
    return windows


def dilate(mask: np.ndarray) -> np.ndarray:
    """`mask` grown by one cell in all 8 directions (a 3 x 3 dilation; nothing comes in from
    outside the edges)."""
    rows = mask.copy()
    rows[1:] |= mask[:-1]
    rows[:-1] |= mask[1:]
    grown = rows.copy()
    grown[:, 1:] |= rows[:, :-1]
    grown[:, :-1] |= rows[:, 1:]
    return grown


def blob_boxes(mask: np.ndarray) -> list[Window]:
    """Bounding boxes (x0, y0, x1, y1, ends exclusive) of the 8-connected blobs of a 2-D
    boolean mask, in the order OpenCV's connectedComponentsWithStats labels them (by the first
    2 x 2 block of each blob, block rows top to bottom, left to right), so the zoom windows
    come in the same order as they did with it.

    Works on runs of set cells: a run touches a run of the row above when their column spans
    overlap or meet diagonally; runs are joined by repeated min-label propagation with pointer
    jumping, which needs a few passes even on a crowd's thousands of blobs."""
    if mask.ndim != 2 or not mask.any():
        return []
    h, w = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).view(np.int8), axis=1)
    row_s, start = np.nonzero(edges == 1)  # row-major: runs sorted by row, then column
    row_e, end = np.nonzero(edges == -1)  # exclusive ends, same order
    span = w + 2
    # For each run, the runs of the row above that touch it form one contiguous range:
    # those ending at or after its start - 1 and starting at or before its end (exclusive).
    first = np.searchsorted(row_e * span + end, (row_s - 1) * span + start, side="left")
    last = np.searchsorted(row_s * span + start, (row_s - 1) * span + end, side="right")
    count = np.maximum(last - first, 0)
    below = np.repeat(np.arange(len(start)), count)
    offsets = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    above = np.repeat(first, count) + offsets
    label = np.arange(len(start))
    while True:
        low = np.minimum(label[below], label[above])
        np.minimum.at(label, below, low)
        np.minimum.at(label, above, low)
        jumped = label[label]
        while not np.array_equal(jumped, label):
            label = jumped
            jumped = label[label]
        if np.array_equal(label[below], label[above]):
            break
    roots, blob = np.unique(label, return_inverse=True)
    n = len(roots)
    x0 = np.full(n, w)
    y0 = np.full(n, h)
    x1 = np.zeros(n, np.intp)
    y1 = np.zeros(n, np.intp)
    key = np.full(n, np.iinfo(np.int64).max)
    np.minimum.at(x0, blob, start)
    np.minimum.at(y0, blob, row_s)
    np.maximum.at(x1, blob, end)
    np.maximum.at(y1, blob, row_s + 1)
    np.minimum.at(key, blob, (row_s // 2) * span + start // 2)
    order = np.argsort(key)
    return [(int(x0[i]), int(y0[i]), int(x1[i]), int(y1[i])) for i in order]
