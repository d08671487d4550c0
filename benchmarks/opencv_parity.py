"""crowdveil's numpy replacements of OpenCV against OpenCV itself (issue 12).

    python benchmarks/opencv_parity.py [--trials N] [--photos N] [--heatmaps N] [--mosaics DIR]

crowdveil no longer imports OpenCV; this benchmark does (it must be installed to run it) to show
that the replacements give the same results:
- resizing (crowdveil.resample vs cv2.resize): random pictures of many sizes (1 px sides, odd
  sizes, whole-factor and other scales, 1/3/4 channels) and the dev photos at the detector's
  own scales: largest pixel difference; and the time per ~12 MP picture as the detector resizes;
- zoom windows (numpy labelling vs cv2.dilate + connectedComponentsWithStats) on CenterFace's
  native heatmaps of dev photos and of the 12 MP mosaics (benchmarks/recall.py --mosaics builds
  them), and on random crowd-like masks: same windows in the same order;
- BlazeFace's letterbox map (vs cv2.boxPoints, getPerspectiveTransform, invert): same doubles;
- the redaction's ellipse mask vs cv2.ellipse's fill: pixels of cv2's missing from ours;
- with --speed N: the detector's time on N mosaics with OpenCV's resize and labelling and with
  ours, alternating in one process (same load for both), and whether the detections are equal.
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
from crowdveil.detect import blazeface  # noqa: E402
from crowdveil.detect.scales import plan_passes  # noqa: E402
from crowdveil.detect.zoom import zoom_windows  # noqa: E402
from crowdveil.redact import region_mask  # noqa: E402
from crowdveil.regions import Region  # noqa: E402

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


def dev_photos(count: int) -> tuple[int, int]:
    cases = worst = 0
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
    return cases, worst


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


def cv2_zoom_windows(heat: np.ndarray, stride: int, height: int, width: int, gate: float,
                     margin: int) -> list[tuple[int, int, int, int]]:
    """crowdveil.detect.zoom.zoom_windows as it was written with OpenCV."""
    mask = cv2.dilate((heat > gate).astype(np.uint8), np.ones((3, 3), np.uint8))
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    windows = []
    for x, y, w, h, _ in stats[1:count]:
        x0, y0 = max(0, int(x) * stride - margin), max(0, int(y) * stride - margin)
        x1 = min(width, int(x + w) * stride + margin)
        y1 = min(height, int(y + h) * stride + margin)
        if x1 > x0 and y1 > y0:
            windows.append((x0, y0, x1, y1))
    return windows


def labelling(photos: int, mosaics: Path | None) -> None:
    from crowdveil.detect.centerface import _STRIDE, ZOOM_MARGIN, CenterFaceDetector

    detector = CenterFaceDetector(threads=1)
    paths = sorted(DEV.iterdir())[:photos] if DEV.is_dir() else []
    if mosaics is not None:
        paths += sorted(mosaics.glob("*.jpg"))
    same = windows = 0
    for path in paths:
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        h, w = rgb.shape[:2]
        _, heat = detector.run_pass(rgb, 1.0)
        for gate in (detector.zoom_gate, detector.zoom_gate / 4):
            a = zoom_windows(heat, _STRIDE, h, w, gate, ZOOM_MARGIN)
            b = cv2_zoom_windows(heat, _STRIDE, h, w, gate, ZOOM_MARGIN)
            same += a == b
            windows += len(b)
    print(f"zoom windows on {len(paths)} heatmaps x 2 gates: {same} of {2 * len(paths)} "
          f"identical (same order), {windows} windows")
    rng = np.random.default_rng(8)
    heat = rng.random((750, 1000)).astype(np.float32) * 0.02
    heat[rng.random(heat.shape) < 0.01] = 0.1  # ~7,500 faint cells: a dense crowd
    for name, fn in (("numpy", zoom_windows), ("cv2", cv2_zoom_windows)):
        t0 = time.perf_counter()
        found = fn(heat, 4, 3000, 4000, 0.05, 16)
        print(f"  {name}: {len(found)} windows on a 1000 x 750 crowd-like heatmap in "
              f"{time.perf_counter() - t0:.3f} s")
    print(f"  same: {zoom_windows(heat, 4, 3000, 4000, 0.05, 16) == found}")


def letterbox_map(count: int) -> None:
    rng = np.random.default_rng(9)
    sizes = [(h, w) for h in range(1, 80) for w in range(1, 80)]
    sizes += [(int(h), int(w)) for h, w in rng.integers(1, 40000, (count, 2))]
    target = np.array([[0, 192], [0, 0], [192, 0], [192, 192]], np.float32)
    differ = 0
    for h, w in sizes:
        side = float(max(h, w))
        corners = cv2.boxPoints(((np.float32(0.5 * w), np.float32(0.5 * h)), (side, side), 0.0))
        theirs = cv2.invert(cv2.getPerspectiveTransform(corners.astype(np.float32), target))[1]
        ours = blazeface._inverse3(blazeface._perspective(
            blazeface._square_corners(w, h, side), target))
        differ += not np.array_equal(theirs.ravel(), ours)
    print(f"BlazeFace letterbox map: {len(sizes)} picture sizes, {differ} differ in any bit")


def ellipses() -> None:
    missing = extra = drawn = 0
    for a in range(1, 160):
        for ratio in (0.5, 0.75, 1.0, 1.3, 1.6, 2.0):
            b = max(1, round(a * ratio))
            region = Region(10, 10, 2 * a, 2 * b, "ellipse", 1.0, "t")
            h, w = 2 * b + 30, 2 * a + 30
            theirs = np.zeros((h, w), np.uint8)
            cv2.ellipse(theirs, (10 + a, 10 + b), (a, b), 0, 0, 360, 1, -1)
            ours = region_mask(region, h, w)
            missing += int((theirs.astype(bool) & ~ours).sum())
            extra += int((ours & ~theirs.astype(bool)).sum())
            drawn += int(theirs.sum())
    print(f"ellipse masks (semi-axes 1-159 px, aspect 0.5-2): of cv2's {drawn} pixels ours "
          f"misses {missing}; ours adds {extra} ({extra / drawn:.1%})")


def cv2_resize(rgb: np.ndarray, scale: float) -> np.ndarray:
    """crowdveil.detect.scales.resize as it was written with OpenCV."""
    if scale == 1.0:
        return rgb
    h, w = rgb.shape[:2]
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(rgb, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR)


def detector_speed(mosaics: Path, count: int) -> None:
    import crowdveil.detect.blazeface as bf
    import crowdveil.detect.centerface as cf
    from crowdveil.detect import DetectorSettings, build_detector

    ours = (cf.resize, bf.resize, cf.zoom_windows)
    theirs = (cv2_resize, cv2_resize, cv2_zoom_windows)
    detector = build_detector(DetectorSettings(threads=1, device="cpu", precision="fp32"))
    times: dict[str, list[float]] = {"numpy": [], "cv2": []}
    for i, path in enumerate(sorted(mosaics.glob("*.jpg"))[:count]):
        with Image.open(path) as im:
            rgb = np.asarray(im.convert("RGB"))
        found = {}
        runs = [("numpy", ours), ("cv2", theirs)]
        for name, (r1, r2, z) in runs if i % 2 == 0 else runs[::-1]:
            cf.resize, bf.resize, cf.zoom_windows = r1, r2, z  # type: ignore[assignment]
            t0 = time.perf_counter()
            found[name] = [(d.x, d.y, d.w, d.h, d.score) for d in detector.detect(rgb)]
            times[name].append(time.perf_counter() - t0)
        print(f"  {path.name}: numpy {times['numpy'][-1]:.2f} s, cv2 {times['cv2'][-1]:.2f} s, "
              f"same detections: {found['numpy'] == found['cv2']}", flush=True)
    cf.resize, bf.resize, cf.zoom_windows = ours  # type: ignore[assignment]
    a, b = np.mean(times["numpy"]), np.mean(times["cv2"])
    print(f"detector per mosaic: numpy {a:.2f} s, cv2 {b:.2f} s, ratio {a / b:.3f}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--trials", type=int, default=300)
    p.add_argument("--photos", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--heatmaps", type=int, default=40, help="dev photos whose heatmaps to label")
    p.add_argument("--mosaics", type=Path, default=None,
                   help="folder of 12 MP mosaics (benchmarks/_work/mosaics after recall.py)")
    p.add_argument("--speed", type=int, default=0, help="mosaics to time the detector on")
    args = p.parse_args()
    cv2.setNumThreads(1)
    if args.speed:
        if args.mosaics is None:
            p.error("--speed needs --mosaics")
        detector_speed(args.mosaics, args.speed)
        return 0
    cases, worst = random_sizes(args.trials)
    print(f"random pictures: {cases} resizes, largest difference {worst}")
    if DEV.is_dir() and args.photos:
        cases, worst = dev_photos(args.photos)
        print(f"dev photos: {cases} resizes, largest difference {worst}")
    timing(args.repeats)
    letterbox_map(3000)
    ellipses()
    labelling(args.heatmaps, args.mosaics)
    return 0


if __name__ == "__main__":
    sys.exit(main())
