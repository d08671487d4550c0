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


def _aligned_spans(length: int, count: int, overlap: int, align: int) -> list[tuple[int, int]]:
    """`count` equal spans covering [0, length), neighbours sharing >= overlap, each span a
    multiple of `align` long (or the whole length), so a network that pads its input to
    `align` wastes nothing on padding."""
    if count == 1:
        return [(0, length)]
    span = -(-(length + (count - 1) * overlap) // count)
    span = min(length, -(-span // align) * align)
    last = length - span
    return [(i * last // (count - 1), i * last // (count - 1) + span) for i in range(count)]


def area_tiles(
    height: int, width: int, max_pixels: int, overlap: int, align: int = 32
) -> list[Tile]:
    """The grid of tiles of at most `max_pixels` (after padding to `align`) overlapping by at
    least `overlap` px that processes the fewest pixels in total.

    Per-pixel cost of a convolutional network hardly depends on the tile's size, so the work
    is the padded area summed over tiles: few large tiles spend least on overlap. The pixel
    cap bounds the network's working memory. Any face smaller than `overlap` lies whole
    inside at least one tile.
    """
    if max_pixels < 4 * align * align or not 0 <= overlap < align * (max_pixels // align ** 2):
        raise ValueError(f"bad tiling: max_pixels={max_pixels} overlap={overlap}")

    def padded(n: int) -> int:
        return -(-n // align) * align

    best: tuple[int, int, int, int] | None = None  # total, count, cols, rows
    for cols in range(1, max(1, width // max(1, align)) + 2):
        xs = _aligned_spans(width, cols, overlap, align)
        span_w = xs[0][1] - xs[0][0]
        if cols > 1 and span_w <= overlap:
            break
        for rows in range(1, max(1, height // max(1, align)) + 2):
            ys = _aligned_spans(height, rows, overlap, align)
            span_h = ys[0][1] - ys[0][0]
            if rows > 1 and span_h <= overlap:
                break
            area = padded(span_w) * padded(span_h)
            if area > max_pixels:
                continue  # taller tiles would only be larger: try more rows
            key = (cols * rows * area, cols * rows, cols, rows)
            if best is None or key < best:
                best = key
            break  # more rows only add overlap
    if best is None:
        raise ValueError(f"no tiling of {width}x{height} fits {max_pixels} pixels per tile")
    _, _, cols, rows = best
    return [
        (x0, y0, x1, y1)
        for y0, y1 in _aligned_spans(height, rows, overlap, align)
        for x0, x1 in _aligned_spans(width, cols, overlap, align)
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
