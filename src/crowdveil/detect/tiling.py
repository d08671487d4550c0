"""Overlapping tiles, so that faces far smaller than a model's input size are still seen."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import Detection

Tile = tuple[int, int, int, int]  # x0, y0, x1, y1


def _spans(length: int, size: int, overlap: int) -> list[tuple[int, int]]:
    """Fewest equal spans of at most `size` covering [0, length), neighbours sharing >= overlap.

    Spans are shrunk to share the length evenly, so no pixel is processed more than needed.
    """
    if length <= size:
        return [(0, length)]
    count = -(-(length - overlap) // (size - overlap))
    span = min(size, -(-(length - overlap) // count) + overlap)
    last = length - span
    return [(round(i * last / (count - 1)), round(i * last / (count - 1)) + span)
            for i in range(count)]


def tiles(height: int, width: int, size: int, overlap: int) -> list[Tile]:
    """Cover the image with tiles of at most size x size overlapping by at least `overlap` px.

    Any face smaller than `overlap` lies whole inside at least one tile.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"bad tiling: size={size} overlap={overlap}")
    return [
        (x0, y0, x1, y1)
        for y0, y1 in _spans(height, size, overlap)
        for x0, x1 in _spans(width, size, overlap)
    ]


def detect_tiled(
    detect: Callable[[np.ndarray], list[Detection]],
    rgb: np.ndarray,
    size: int,
    overlap: int,
) -> list[Detection]:
    """Run `detect` on every tile and return all boxes in whole-image coordinates."""
    h, w = rgb.shape[:2]
    found: list[Detection] = []
    for x0, y0, x1, y1 in tiles(h, w, size, overlap):
        tile = np.ascontiguousarray(rgb[y0:y1, x0:x1])
        found.extend(d.translated(x0, y0) for d in detect(tile))
    return found
