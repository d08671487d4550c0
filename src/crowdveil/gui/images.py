"""Pixels to Qt images (thumbnails are made by the workers: `tasks.thumbnail`)."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QImage


def to_qimage(pixels: np.ndarray) -> QImage:
    """A deep copy of H x W x 3|4 uint8 pixels as a QImage (owns its memory)."""
    pixels = np.ascontiguousarray(pixels)
    h, w, c = pixels.shape
    fmt = QImage.Format.Format_RGBA8888 if c == 4 else QImage.Format.Format_RGB888
    return QImage(pixels.data, w, h, pixels.strides[0], fmt).copy()
