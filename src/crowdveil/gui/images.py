"""Pixels to Qt images. QImage (not QPixmap) so worker threads may build them too."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage

THUMB_SIDE = 160  # sharp at the list's 72 px icons on 2x (high-DPI) screens


def to_qimage(pixels: np.ndarray) -> QImage:
    """A deep copy of H x W x 3|4 uint8 pixels as a QImage (owns its memory)."""
    pixels = np.ascontiguousarray(pixels)
    h, w, c = pixels.shape
    fmt = QImage.Format.Format_RGBA8888 if c == 4 else QImage.Format.Format_RGB888
    return QImage(pixels.data, w, h, pixels.strides[0], fmt).copy()


def thumbnail(pixels: np.ndarray, side: int = THUMB_SIDE) -> QImage:
    """A small picture for the photo list; area resampling so it stays crisp."""
    h, w = pixels.shape[:2]
    scale = min(1.0, side / max(h, w))
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    small = cv2.resize(np.ascontiguousarray(pixels), size, interpolation=cv2.INTER_AREA)
    return to_qimage(small)
