"""The detector contract: an RGB array in, face boxes in the same pixel coordinates out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Protocol

import numpy as np


@dataclass(frozen=True)
class Detection:
    """A face box in image pixels (top-left origin), as tight as the model gives it."""

    x: float
    y: float
    w: float
    h: float
    score: float
    source: str

    def translated(self, dx: float, dy: float) -> Detection:
        return Detection(self.x + dx, self.y + dy, self.w, self.h, self.score, self.source)

    def scaled(self, factor: float) -> Detection:
        return Detection(
            self.x * factor, self.y * factor, self.w * factor, self.h * factor,
            self.score, self.source,
        )


class FaintSplit(NamedTuple):
    """A full search's finds for the video tracker (`detect_faint`): the faces `detect` gives,
    the faint ones scored a little below the thresholds, and the small faint ones scored
    further below them (each kept only where it persists: formats/tracking.py)."""

    sure: list[Detection]
    faint: list[Detection]
    small: list[Detection]


class Detector(Protocol):
    """Anything that finds faces. Implementations must not touch the network or the disk."""

    name: str

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        """Return faces in `rgb` (H x W x 3 uint8, RGB order)."""
        ...
