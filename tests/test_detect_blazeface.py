"""BlazeFace on large pictures: shrunk before tiling, boxes back in the picture's pixels."""

from __future__ import annotations

import numpy as np
from plant import face_box, face_image

from crowdveil.detect.blazeface import BlazeFaceDetector


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_a_face_in_a_12_mp_picture_is_boxed_where_it_is() -> None:
    canvas = np.full((3000, 4000, 3), 90, np.uint8)
    dx, dy = 2300, 1400
    canvas[dy:dy + 768, dx:dx + 768] = face_image(768)
    fx, fy, fw, fh = face_box(768)
    truth = (fx + dx, fy + dy, fw, fh)
    detector = BlazeFaceDetector()
    try:
        tiles_only = detector._detect_tiles(canvas)
        found = detector.detect(canvas)
    finally:
        detector.close()
    # The tiles, cut from the shrunk picture, must map back onto the face, as must the merge.
    assert max(_iou((d.x, d.y, d.w, d.h), truth) for d in tiles_only) > 0.5
    assert max(_iou((d.x, d.y, d.w, d.h), truth) for d in found) > 0.5
