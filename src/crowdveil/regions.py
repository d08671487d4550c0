"""Redaction regions in output-image pixels, and how a detected face box grows to a head."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Literal

from .detect.base import Detection

Shape = Literal["ellipse", "box"]

# A detector's box hugs brow-to-chin; hair, ears and chin edge lie outside it. The ellipse grows
# the box to the head. How well the box sits on the face depends on how sure the detector is,
# so the geometry does too (measured on the even half of the dev set, benchmarks/recall.py):
# - a confident box (score >= SURE_SCORE) fits the annotated face closely; annotated faces sit
#   ~0.1 box-heights LOWER than the box centre (masks, chins), hence the shift down;
# - an unsure box (score <= UNSURE_SCORE) is often a masked, turned or blurred face of which the
#   detector saw only the eyes: the face runs on below it (annotated/detected height up to 1.4x
#   at the 97th percentile), so the ellipse is taller and further down.
# Between the two the geometry is interpolated. Confident faces are many and their ellipses sit
# inside the face's surroundings anyway; trimming them pays for the unsure ones (most of the
# false alarms are unsure too, so growing every ellipse costs more area than it saves faces).
HEAD_GROW_W = 1.35
HEAD_GROW_H = 1.45
HEAD_SHIFT_UP = -0.1
SURE_SCORE = 0.5
UNSURE_GROW_W = 1.4
UNSURE_GROW_H = 1.85
UNSURE_SHIFT_UP = -0.15
UNSURE_SCORE = 0.2
# Boxes of faces a few pixels wide are off by a pixel or two whatever their size: a fixed margin
# (picture pixels, each side) covers that at almost no cost in area.
HEAD_MARGIN = 1.0
# A faint face (a video's: scored below the detector's thresholds, kept where it persists) is
# a hazy or masked face of which the detector saw the brow and hair: its box sits high on the
# face. Its ellipse is the unsure one run further down (its top where the unsure one's is).
# Measured on the 1080p benchmark clip (benchmarks/video.py): a hazy masked face was covered
# at 41-74 % in 16 frames with the unsure geometry, in 1 frame with this one.
FAINT_GROW_W = UNSURE_GROW_W
FAINT_GROW_H = 2.1
FAINT_SHIFT_UP = -0.3


@dataclass(frozen=True)
class Region:
    x: int
    y: int
    w: int
    h: int
    shape: Shape
    score: float
    source: str

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Region:
        return cls(
            int(data["x"]), int(data["y"]), int(data["w"]), int(data["h"]),
            data.get("shape", "ellipse"), float(data.get("score", 1.0)),
            str(data.get("source", "manual")),
        )


def clip_region(region: Region, width: int, height: int) -> Region | None:
    """Clip to the image; None if nothing of the region is left inside it."""
    x0, y0 = max(0, region.x), max(0, region.y)
    x1, y1 = min(width, region.x + region.w), min(height, region.y + region.h)
    if x1 <= x0 or y1 <= y0:
        return None
    inside = (x0, y0, x1, y1) == (region.x, region.y, region.x + region.w, region.y + region.h)
    if inside or region.shape == "ellipse":
        # An ellipse clipped by the border would be redrawn smaller; keep its true geometry
        # and let the painter clip instead.
        return region
    return Region(x0, y0, x1 - x0, y1 - y0, region.shape, region.score, region.source)


def head_geometry(score: float) -> tuple[float, float, float]:
    """(grow_w, grow_h, shift_up) for a detection of this confidence."""
    t = (SURE_SCORE - score) / (SURE_SCORE - UNSURE_SCORE)
    t = min(1.0, max(0.0, t))
    return (
        HEAD_GROW_W + t * (UNSURE_GROW_W - HEAD_GROW_W),
        HEAD_GROW_H + t * (UNSURE_GROW_H - HEAD_GROW_H),
        HEAD_SHIFT_UP + t * (UNSURE_SHIFT_UP - HEAD_SHIFT_UP),
    )


def faint_geometry(score: float) -> tuple[float, float, float]:
    """(grow_w, grow_h, shift_up) for a faint face (formats/tracking.py: scored below the
    detector's thresholds, kept where it persists)."""
    return FAINT_GROW_W, FAINT_GROW_H, FAINT_SHIFT_UP


def head_region(det: Detection, width: int, height: int,
                geometry: Callable[[float], tuple[float, float, float]] = head_geometry,
                ) -> Region | None:
    """An ellipse covering the whole head around a detected face box."""
    grow_w, grow_h, shift_up = geometry(det.score)
    cx = det.x + det.w / 2
    cy = det.y + det.h / 2 - shift_up * det.h
    hw = det.w * grow_w / 2 + HEAD_MARGIN
    hh = det.h * grow_h / 2 + HEAD_MARGIN
    # floor/ceil, not int(): int() rounds towards zero, which would shave a pixel off the
    # ellipse of a face cut by the left or top border.
    x0, y0 = math.floor(cx - hw), math.floor(cy - hh)
    x1, y1 = math.ceil(cx + hw), math.ceil(cy + hh)
    region = Region(x0, y0, x1 - x0, y1 - y0, "ellipse", round(det.score, 4), det.source)
    return clip_region(region, width, height)


def regions_from_detections(dets: list[Detection], width: int, height: int) -> list[Region]:
    regions = (head_region(d, width, height) for d in dets)
    return [r for r in regions if r is not None]
