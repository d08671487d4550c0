"""Driver run INSIDE the separate deface venv: the regions deface 1.5 would redact, as JSON.

deface writes anonymised pictures, not boxes. To score it by the same rule as crowdveil, this
applies deface's own default path to each picture: CenterFace at native resolution
(`in_shape=None`, backend 'auto'), threshold 0.2, boxes grown by its default --mask-scale 1.3
with its `scale_bb`, clipped like its `anonymize_frame`, drawn as ellipses (its default).

    deface-venv/bin/python deface_boxes.py LIST.json OUT.json

LIST.json: a list of picture paths. OUT.json: {name: {"size": [w, h], "seconds": s,
"regions": [{"x", "y", "w", "h", "shape": "ellipse"}]}}; seconds covers reading and detection
(not deface's blurring and writing).
"""

import json
import os
import sys
import time

import imageio.v3 as iio
from deface.centerface import CenterFace
from deface.deface import scale_bb

THRESHOLD = 0.2  # deface --thresh default
MASK_SCALE = 1.3  # deface --mask-scale default


def regions_for(frame, centerface):
    dets, _ = centerface(frame, threshold=THRESHOLD)
    h, w = frame.shape[:2]
    regions = []
    for det in dets:
        x1, y1, x2, y2 = det[:4].astype(int)
        x1, y1, x2, y2 = scale_bb(x1, y1, x2, y2, MASK_SCALE)
        y1, y2 = max(0, y1), min(h - 1, y2)
        x1, x2 = max(0, x1), min(w - 1, x2)
        regions.append({"x": int(x1), "y": int(y1), "w": int(x2 - x1), "h": int(y2 - y1),
                        "shape": "ellipse", "score": float(det[4]), "source": "deface"})
    return regions


def main() -> None:
    paths = json.load(open(sys.argv[1]))
    centerface = CenterFace(in_shape=None, backend="auto")
    out = {}
    for path in paths:
        start = time.perf_counter()
        frame = iio.imread(path)
        if frame.ndim == 3 and frame.shape[2] == 4:
            frame = frame[..., :3]
        regions = regions_for(frame, centerface)
        out[os.path.basename(path)] = {
            "size": [int(frame.shape[1]), int(frame.shape[0])],
            "seconds": time.perf_counter() - start,
            "regions": regions,
        }
    json.dump(out, open(sys.argv[2], "w"))


if __name__ == "__main__":
    main()
