"""crowdveil.resample against cv2.resize: pixel differences and speed (issue 12).

    python benchmarks/resample_parity.py [--trials N] [--photos N]

crowdveil no longer imports OpenCV; this benchmark does (it must be installed to run it) to show
that the numpy reproductions give the same pixels: random pictures of many sizes (1 px sides,
odd sizes, whole-factor and other scales, 1/3/4 channels), the dev photos at the detector's own
scales, and timings per ~12 MP picture as the detector resizes it.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from crowdveil import resample  # noqa: E402
from crowdveil.detect.scales import plan_passes  # noqa: E402

DEV = HERE.parent.parent / "shared" / "data" / "facemask" / "images"


def ours(img: np.ndarray, w: int, h: int, kind: str) -> np.ndarray:
    return resample.area(img, w, h) if kind == "area" else resample.linear(img, w, h)


def theirs(img: np.ndarray, w: int, h: int, kind: str) -> np.ndarray:
    flag = cv2.INTER_AREA if kind == "area" else cv2.INTER_LINEAR
    out = cv2.resize(img, (w, h), interpolation=flag)
    return out if out.ndim == img.ndim else out[:, :, None]


def compare(img: np.ndarray, w: int, h: int, kind: str) -> int:
    a = ours(img, w, h, kind).astype(np.int16)
    b = theirs(img, w, h, kind).astype(np.int16)
    assert a.shape == b.shape, (a.shape, b.shape)
    return int(np.abs(a - b).max()) if a.size else 0


def random_sizes(trials: int) -> tuple[int, int]:
    rng = np.random.default_rng(12)
    cases = worst = 0
    for trial in range(trials):
        h, w = (int(v) for v in rng.integers(1, 700, 2))
        channels = (1, 3, 4)[trial % 3]
        img = rng.integers(0, 256, (h, w, channels), dtype=np.uint8)
        if trial % 5 == 0:  # smooth content too: rounding ties are commoner there
            img = np.clip(np.add.outer(np.arange(h), np.arange(w))[:, :, None] % 256, 0, 255)
            img = np.repeat(img, channels, axis=2).astype(np.uint8)
        factor = int(rng.integers(2, 9))
        shrink = [1 / factor, float(rng.uniform(0.02, 1.0)), 0.5, 0.25, 0.125]
        for s in shrink:
            dw, dh = max(1, round(w * s)), max(1, round(h * s))
            if trial % 4 == 0:  # one side kept: scale 1 on that axis
                dw = w
            worst = max(worst, compare(img, dw, dh, "area"))
            cases += 1
        for s in (2.0, float(rng.uniform(1.0, 4.0)), 800 / max(h, w)):
            if s < 1:
                continue
            worst = max(worst, compare(img, max(1, round(w * s)), max(1, round(h * s)), "linear"))
            cases += 1
    return cases, worst


def dev_photos(count: int) -> tuple[int, int, float, float]:
    cases = worst = 0
    t_ours = t_cv = 0.0
    for path in sorted(DEV.iterdir())[:count]:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        h, w = rgb.shape[:2]
        for p in plan_passes(h, w) + [type(plan_passes(h, w)[0])(2.0)]:
            if p.scale == 1.0:
                continue
            kind = "area" if p.scale < 1 else "linear"
            dw, dh = max(1, round(w * p.scale)), max(1, round(h * p.scale))
            worst = max(worst, compare(rgb, dw, dh, kind))
            cases += 1
    return cases, worst, t_ours, t_cv


def timing(repeats: int) -> None:
    """Per ~12 MP picture as the detector resizes it: its shrunk passes, and 2x enlargement of
    a quarter of it (the zoom windows cover 5-28% of the 12 MP mosaics)."""
    rng = np.random.default_rng(3)
    img = rng.integers(0, 256, (3000, 4000, 3), dtype=np.uint8)
    img = cv2.GaussianBlur(img, (0, 0), 3)
    window = np.ascontiguousarray(img[:1500, :2000])
    jobs = [(img, round(4000 * p.scale), round(3000 * p.scale), "area")
            for p in plan_passes(3000, 4000) if p.scale < 1]
    jobs.append((window, 4000, 3000, "linear"))
    for name, fn in (("numpy", ours), ("cv2", theirs)):
        best = float("inf")
        for _ in range(repeats):
            t0 = time.perf_counter()
            for a, w, h, kind in jobs:
                fn(a, w, h, kind)
            best = min(best, time.perf_counter() - t0)
        print(f"{name}: {best:.3f} s per 12 MP picture (passes {[j[1] for j in jobs]})")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--trials", type=int, default=300)
    p.add_argument("--photos", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    cv2.setNumThreads(1)
    cases, worst = random_sizes(args.trials)
    print(f"random pictures: {cases} resizes, largest difference {worst}")
    if DEV.is_dir() and args.photos:
        cases, worst, _, _ = dev_photos(args.photos)
        print(f"dev photos: {cases} resizes, largest difference {worst}")
    timing(args.repeats)
    return 0


if __name__ == "__main__":
    sys.exit(main())
