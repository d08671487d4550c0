"""Several detectors on one picture, their boxes merged: a face any of them sees is kept."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .base import Detection, Detector, FaintSplit
from .merge import merge_detections


class EnsembleDetector:
    """Runs every member and fuses all their boxes (recall first: nothing is voted away)."""

    def __init__(self, members: Sequence[Detector]) -> None:
        if not members:
            raise ValueError("an ensemble needs at least one detector")
        self.members = list(members)
        self.name = "+".join(m.name for m in self.members)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        found: list[Detection] = []
        for member in self.members:
            found.extend(member.detect(rgb))
        return merge_detections(found)

    def detect_faint(self, rgb: np.ndarray, ratio: float, small_ratio: float | None = None,
                     small_side: float = 0.0) -> FaintSplit:
        """`detect`'s faces, and the faint (and small faint) ones of the members that offer
        them."""
        found: list[Detection] = []
        faint: list[Detection] = []
        small: list[Detection] = []
        for member in self.members:
            split = getattr(member, "detect_faint", None)
            if split is None:
                found.extend(member.detect(rgb))
            else:
                parts = split(rgb, ratio, small_ratio, small_side)
                found.extend(parts.sure)
                faint.extend(parts.faint)
                small.extend(parts.small)
        return FaintSplit(merge_detections(found), merge_detections(faint),
                          merge_detections(small))

    def glance(self, rgb: np.ndarray) -> list[Detection]:
        """The members' cheap looks (formats/video.py), for the frames between full searches."""
        found: list[Detection] = []
        for member in self.members:
            glance = getattr(member, "glance", None)
            if glance is not None:
                found.extend(glance(rgb))
        return merge_detections(found)

    def close(self) -> None:
        for member in self.members:
            close = getattr(member, "close", None)
            if close is not None:
                close()
