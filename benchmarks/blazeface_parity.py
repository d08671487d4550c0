"""Prove that crowdveil's BlazeFace (ONNX, onnxruntime) finds what mediapipe 0.10.21 found.

    python benchmarks/blazeface_parity.py [--data ../shared/data/facemask] [--speed]

Needs `mediapipe==0.10.21` importable (it is no longer a crowdveil dependency: use a scratch
venv with `pip install -e '.[test]' mediapipe==0.10.21`, as the dev venv had before issue 12),
plus scikit-image for the test pictures. crowdveil is imported from src/.

Both sides run the same BlazeFaceDetector code (whole-picture pass, tiles, merge); only the
single model call differs: mediapipe's FaceDetection(model_selection=1) graph, or our ONNX
model with the re-implemented pre/post-processing. Two levels are compared on every picture:
`once` (one model call on the picture as read) and `detect` (what the ensemble gets). A pair
matches when the boxes overlap by IoU > 0.5; every unmatched box is listed.

Measured 2026-12-04 on 863 pictures (dev photos: all 853 of the facemask set; samples/: 6;
tests: astronaut 512 and 768 px, the planted crowd 2000 x 1300, the 12 MP canvas of
tests/test_detect_blazeface.py), onnxruntime 1.32.0, opencv 4.11.0:

| level | pictures | mediapipe | onnx | matched | max box diff px | max score diff | unmatched |
|---|---|---|---|---|---|---|---|
| one model call on the picture | 863 | 1250 | 1250 | 1250 | 8.27e-05 | 1.01e-06 | 0 |
| detect() (whole + tiles + merge) | 863 | 1859 | 1859 | 1859 | 8.85e-05 | 1.43e-06 | 0 |

The residue is float rounding (XNNPACK vs onnxruntime kernels): the model sees the same pixels,
since crowdveil redoes OpenCV 4's fixed-point bilinear warpPerspective exactly (mediapipe's
warp; OpenCV 5's differs, hence not cv2.warpPerspective). Same figures with numpy 2.4.6 and
opencv-python-headless 5.1.0.95 in a venv without mediapipe: tests/test_detect_blazeface.py's
goldens hold there, and `recall.py --detector blazeface --mosaics 6` gives the same table as
mediapipe did, figure for figure (dev recall >= 10 px 0.4779, mosaics 0.1317). The default
ensemble's table (`recall.py --mosaics 6 --no-deface --jobs 2`) is also the same figure for
figure: mediapipe + numpy 1.26 + OpenCV 4.11 vs ONNX + numpy 2.4.6 + OpenCV 5.1, dev recall
>= 10 px 0.9925, >= 20 px 0.9951, over-redacted 0.0192; mosaics 0.9905 / 0.9943 / 0.0181.

`--speed`, same machine (2 cores shared with other jobs), BlazeFace alone on 4000 x 3000 (whole
pass + 48 tiles of 384 px), two runs: mediapipe 0.342-0.388 s, onnxruntime (1 thread) 0.370-0.438
s; one 384 px tile 5.1 vs 5.4-6.4 ms (of ours: ~3.7 ms model, ~1.4 ms warp in numpy).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT / "tests"))

from crowdveil.detect.base import Detection  # noqa: E402
from crowdveil.detect.blazeface import MEDIAPIPE_MIN_SCORE, BlazeFaceDetector  # noqa: E402


class MediapipeBlazeFace(BlazeFaceDetector):
    """The detector as crowdveil ran it before issue 12: each model call through mediapipe."""

    def __init__(self, **kwargs: object) -> None:
        import mediapipe as mp

        super().__init__(**kwargs)  # type: ignore[arg-type]
        # min_detection_confidence is what crowdveil passed; mediapipe applies its own 0.6.
        self._mp = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=self.threshold)

    def _detect_once(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        result = self._mp.process(np.ascontiguousarray(rgb))
        found = []
        for det in result.detections or []:
            box = det.location_data.relative_bounding_box
            found.append(Detection(
                box.xmin * w, box.ymin * h, box.width * w, box.height * h,
                float(det.score[0]), self.name))
        return found

    def close(self) -> None:
        self._mp.close()
        super().close()


def _iou(a: Detection, b: Detection) -> float:
    ix = max(0.0, min(a.x + a.w, b.x + b.w) - max(a.x, b.x))
    iy = max(0.0, min(a.y + a.h, b.y + b.h) - max(a.y, b.y))
    inter = ix * iy
    union = a.w * a.h + b.w * b.h - inter
    return inter / union if union > 0 else 0.0


@dataclass
class Tally:
    pictures: int = 0
    reference: int = 0
    ours: int = 0
    matched: int = 0
    max_box: float = 0.0
    max_score: float = 0.0
    unmatched: list[str] = field(default_factory=list)

    def add(self, name: str, ref: list[Detection], new: list[Detection]) -> None:
        self.pictures += 1
        self.reference += len(ref)
        self.ours += len(new)
        pairs = sorted(
            ((_iou(a, b), i, j) for i, a in enumerate(ref) for j, b in enumerate(new)),
            reverse=True,
        )
        used_ref: set[int] = set()
        used_new: set[int] = set()
        for iou, i, j in pairs:
            if iou <= 0.5 or i in used_ref or j in used_new:
                continue
            used_ref.add(i)
            used_new.add(j)
            a, b = ref[i], new[j]
            self.matched += 1
            self.max_box = max(self.max_box, abs(a.x - b.x), abs(a.y - b.y),
                               abs(a.w - b.w), abs(a.h - b.h))
            self.max_score = max(self.max_score, abs(a.score - b.score))
        for side, dets, used in (("mediapipe only", ref, used_ref), ("onnx only", new, used_new)):
            for k, d in enumerate(dets):
                if k not in used:
                    self.unmatched.append(
                        f"{name}: {side} ({d.x:.1f}, {d.y:.1f}, {d.w:.1f}, {d.h:.1f}) "
                        f"score {d.score:.3f}")

    def row(self, label: str) -> str:
        return (f"| {label} | {self.pictures} | {self.reference} | {self.ours} | {self.matched} "
                f"| {self.max_box:.2e} | {self.max_score:.2e} | {len(self.unmatched)} |")


def _read(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(ImageOps.exif_transpose(im).convert("RGB"))


def pictures(data: Path) -> list[tuple[str, np.ndarray]]:
    """(group/name, RGB) for the dev photos, the samples and the tests' pictures."""
    import pillow_heif
    from plant import crowd_image, face_image

    pillow_heif.register_heif_opener()
    found: list[tuple[str, np.ndarray]] = []
    images = data / "images"
    if images.is_dir():
        found += [(f"dev/{p.name}", _read(p)) for p in sorted(images.glob("*.jpg"))]
    else:
        print(f"no dev photos at {images}: skipping them", file=sys.stderr)
    for p in sorted((ROOT / "samples").iterdir()):
        if p.suffix.lower() in (".jpg", ".png", ".webp", ".heic"):
            found.append((f"samples/{p.name}", _read(p)))
    found.append(("tests/astronaut_512", face_image(512)))
    found.append(("tests/astronaut_768", face_image(768)))
    found.append(("tests/crowd_2000x1300", crowd_image()[0]))
    canvas = np.full((3000, 4000, 3), 90, np.uint8)
    canvas[1400:1400 + 768, 2300:2300 + 768] = face_image(768)
    found.append(("tests/canvas_12mp", canvas))
    return found


def parity(data: Path) -> None:
    threshold = 0.3  # what build_detector passes by default (0.15 x BLAZEFACE_RATIO)
    ref = MediapipeBlazeFace(threshold=threshold)
    new = BlazeFaceDetector(threshold=threshold)
    once, full = Tally(), Tally()
    try:
        for name, rgb in pictures(data):
            once.add(name, ref._detect_once(rgb), new._detect_once(rgb))
            full.add(name, ref.detect(rgb), new.detect(rgb))
    finally:
        ref.close()
        new.close()
    print(f"score floor {MEDIAPIPE_MIN_SCORE} (mediapipe's own; it ignores the 0.3 asked for)")
    print("| level | pictures | mediapipe | onnx | matched | max box diff px "
          "| max score diff | unmatched |")
    print("|---|---|---|---|---|---|---|---|")
    print(once.row("one model call on the picture"))
    print(full.row("detect() (whole + tiles + merge)"))
    for line in once.unmatched + full.unmatched:
        print("  unmatched:", line)


def speed() -> None:
    """BlazeFace alone on a 12 MP picture (the planted crowd scaled to 4000 x 3000)."""
    from plant import crowd_image

    crowd = np.asarray(Image.fromarray(crowd_image()[0]).resize((4000, 3000), Image.BICUBIC))
    for label, cls in (("mediapipe 0.10.21", MediapipeBlazeFace),
                       ("onnxruntime, 1 thread", BlazeFaceDetector)):
        det = cls(threshold=0.3)
        try:
            det.detect(crowd)  # warm-up
            walls, cpus = [], []
            for _ in range(5):
                t0, c0 = time.perf_counter(), time.process_time()
                found = det.detect(crowd)
                walls.append(time.perf_counter() - t0)
                cpus.append(time.process_time() - c0)
            tile = np.ascontiguousarray(crowd[:384, :384])
            t0 = time.perf_counter()
            for _ in range(50):
                det._detect_once(tile)
            per_call = (time.perf_counter() - t0) / 50
        finally:
            det.close()
        print(f"{label}: detect() on 4000x3000 median {statistics.median(walls):.3f} s wall, "
              f"{statistics.median(cpus):.3f} s CPU, {len(found)} faces; "
              f"one 384 px tile {per_call * 1000:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared/data/facemask")
    parser.add_argument("--speed", action="store_true", help="time both on a 12 MP picture")
    args = parser.parse_args()
    if args.speed:
        speed()
    else:
        parity(args.data)
    return 0


if __name__ == "__main__":
    sys.exit(main())
