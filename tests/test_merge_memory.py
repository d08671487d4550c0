"""Merging the boxes of a huge crowd stays in bounded memory."""

from __future__ import annotations

import tracemalloc

import numpy as np

from crowdveil.detect.base import Detection
from crowdveil.detect.merge import merge_detections


def test_merging_thousands_of_boxes_needs_no_square_matrix() -> None:
    # A 100 MP crowd gives tens of thousands of boxes across passes; N x N float matrices of
    # 6,000 boxes would need 288 MB each.
    rng = np.random.default_rng(0)
    n = 6000
    xy = rng.uniform(0, 20000, (n, 2))
    dets = [Detection(float(x), float(y), 30.0, 30.0, float(s), "t")
            for (x, y), s in zip(xy, rng.uniform(0.2, 1.0, n), strict=True)]
    tracemalloc.start()
    try:
        merged = merge_detections(dets)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert 0 < len(merged) <= n
    assert peak < 50 * 2**20
