"""Where a large picture deserves a second, enlarged look: the zoom windows.

A 12 MP crowd holds faces of 10-20 px that CenterFace, at native resolution, scores too low to
keep; enlarged 2x it finds most of them. An enlarged pass over the whole picture costs 4x the
native one. But the native pass's heatmap already says where something face-like is: even the
faces it scores at 0.02-0.15 light it up there, while sky, road and walls stay dark. So only
windows around those faint responses are enlarged: 5-28% of the 12 MP crowd mosaics' area.
Pure functions on the heatmap; centerface.py runs the network on the windows.
"""

from __future__ import annotations

import cv2
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
    mask = cv2.dilate((heat > gate).astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    windows = []
    for x, y, w, h, _ in stats[1:count]:
        x0 = max(0, int(x) * stride - margin)
        y0 = max(0, int(y) * stride - margin)
        x1 = min(width, int(x + w) * stride + margin)
        y1 = min(height, int(y + h) * stride + margin)
        if x1 > x0 and y1 > y0:
            windows.append((x0, y0, x1, y1))
    return windows
