"""YuNet (../shared/models/yunet, Apache-2.0) as a benchmark-only detector (issue 15, first look).

Not part of the package: it is measured here (benchmarks/recall.py --detector yunet or
default+yunet) to see whether it earns a place, as a cheap native-resolution look or as a second
opinion beside CenterFace + BlazeFace. The weights are read from ../shared and hash-checked.

Decoding follows the model's interface (PROVENANCE.md there): per stride S in 8, 16, 32, cells
in row-major order, score = sqrt(cls * obj), centre = (cell + bbox[0:2]) * S,
size = exp(bbox[2:4]) * S. Input: BGR float 0-255, sides multiples of 32. Large pictures are cut
into the same overlapping tiles as CenterFace's.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from crowdveil.detect.base import Detection
from crowdveil.detect.centerface import nms
from crowdveil.detect.scales import resize
from crowdveil.detect.tiling import area_tiles

MODELS = Path(__file__).resolve().parents[2] / "shared" / "models" / "yunet"
SHA256 = {
    "n": "104ee26c71d5c270ce79a6b3dced91c91013260d29a6bf18f9296c5b8c4c2b12",
    "s": "daede24002cc8590f457998cc5e6c9e8b82f45f6bd969506a8913cd4ed10a2d3",
}
STRIDES = (8, 16, 32)


class YuNetDetector:
    name = "yunet"

    def __init__(self, threshold: float = 0.5, scale: float = 1.0, variant: str = "n",
                 tile_pixels: int = 2_200_000, overlap: int = 192) -> None:
        import onnxruntime as ort

        data = (MODELS / f"yunet_{variant}_dynamic.onnx").read_bytes()
        if hashlib.sha256(data).hexdigest() != SHA256[variant]:
            raise SystemExit(f"yunet_{variant}: SHA-256 mismatch")
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = ort.InferenceSession(data, options, providers=["CPUExecutionProvider"])
        self.threshold, self.scale = threshold, scale
        self.tile_pixels, self.overlap = tile_pixels, overlap

    def _run(self, rgb: np.ndarray) -> np.ndarray:
        h, w = rgb.shape[:2]
        ph, pw = -(-h // 32) * 32, -(-w // 32) * 32
        blob = np.zeros((1, 3, ph, pw), np.float32)
        blob[0, :, :h, :w] = rgb[:, :, ::-1].transpose(2, 0, 1)
        names = [f"{k}_{s}" for s in STRIDES for k in ("cls", "obj", "bbox")]
        out = dict(zip(names, self.session.run(names, {"input": blob}), strict=True))
        rows = []
        for s in STRIDES:
            cols = pw // s
            score = np.sqrt(np.clip(out[f"cls_{s}"][0, :, 0] * out[f"obj_{s}"][0, :, 0], 0, 1))
            keep = np.flatnonzero(score >= self.threshold)
            box = out[f"bbox_{s}"][0, keep]
            cx = (keep % cols + box[:, 0]) * s
            cy = (keep // cols + box[:, 1]) * s
            bw, bh = np.exp(box[:, 2]) * s, np.exp(box[:, 3]) * s
            rows.append(np.stack([cx - bw / 2, cy - bh / 2, bw, bh, score[keep]], axis=1))
        return np.concatenate(rows).astype(np.float32)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        img = resize(rgb, self.scale)
        h, w = img.shape[:2]
        found = [np.zeros((0, 5), np.float32)]
        for x0, y0, x1, y1 in area_tiles(h, w, self.tile_pixels, self.overlap, 32):
            rows = self._run(img[y0:y1, x0:x1])
            rows[:, 0] += x0
            rows[:, 1] += y0
            found.append(rows)
        s = self.scale
        return [Detection(float(x / s), float(y / s), float(bw / s), float(bh / s), float(sc),
                          self.name)
                for x, y, bw, bh, sc in nms(np.concatenate(found), 0.3)]
