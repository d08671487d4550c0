"""Overlapping tiles, so that faces far smaller than a model's input size are still seen."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .base import Detection

Tile = tuple[int, int, int, int]  # x0, y0, x1, y1


def _starts(length: int, size: int, step: int) -> list[int]:
    if length <= size:
        return [0]
    starts = list(range(0, length - size, step))
    starts.append(length - size)  # last tile flush with the edge: no strip left unseen
    return starts


def tiles(height: int, width: int, size: int, overlap: int) -> list[Tile]:
    """Cover the image with size x size tiles overlapping by `overlap` px.

    Any face smaller than `overlap` lies whole inside at least one tile.
    """
    if size <= 0 or not 0 <= overlap < size:
        raise ValueError(f"bad tiling: size={size} overlap={overlap}")
    step = size - overlap
    return [
        (x0, y0, min(width, x0 + size), min(height, y0 + size))
        for y0 in _starts(height, size, step)
        for x0 in _starts(width, size, step)
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
