"""Which scales to run a detector at, so that both 10 px and 1000 px faces are seen.

A detector sees faces well within a band of sizes (in its input pixels). The finest pass enlarges
small pictures (a 400 px street photo holds 10-20 px faces) and keeps large ones at native
resolution; each further pass shrinks the picture by `ratio` until its long side reaches
`coarse_long_side`, where faces filling most of the frame fall into the band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import resample


@dataclass(frozen=True)
class Pass:
    scale: float  # resize factor applied to the picture before the detector sees it


def plan_passes(
    height: int,
    width: int,
    fine_long_side: int = 800,
    max_upscale: float = 2.0,
    coarse_long_side: int = 200,
    ratio: float = 2.0,
    finest_long_side: int | None = None,
) -> list[Pass]:
    """Scales from finest to coarsest; the first is >= 1 (never below native resolution)
    unless `finest_long_side` caps it: a speed preset that gives up the smallest faces."""
    if ratio <= 1:
        raise ValueError(f"pass ratio must be > 1, got {ratio}")
    long_side = max(height, width, 1)
    scales = [min(max_upscale, max(1.0, fine_long_side / long_side))]
    if finest_long_side is not None and long_side * scales[0] > finest_long_side:
        scales = [finest_long_side / long_side]
    while scales[-1] / ratio > 1.15:
        scales.append(scales[-1] / ratio)  # enlarged steps between the finest and native
    if scales[-1] >= 1.25:
        scales.append(1.0)  # an enlarged picture is always also seen as it is
    coarsest = min(1.0, coarse_long_side / long_side)
    # A pass barely larger than the coarse target would add time and no new face sizes.
    while scales[-1] > coarsest * 1.3:
        scales.append(max(scales[-1] / ratio, coarsest))
    return [Pass(round(s, 6)) for s in scales]


def resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    """The picture resized by `scale` (itself at 1): area-averaged when shrinking, so the large
    faces the coarse passes exist for keep their detail without aliasing; bilinear when
    enlarging. Same pixels as cv2.resize gave (`resample`), so the same detections."""
    if scale == 1.0:
        return rgb
    h, w = rgb.shape[:2]
    width, height = max(1, round(w * scale)), max(1, round(h * scale))
    if scale < 1:
        return resample.area(rgb, width, height)
    return resample.linear(rgb, width, height)
