"""The GPU path on a machine that has one (issue 15): one short run, nothing downloaded.

    python benchmarks/gpu_check.py [--repeat 3] [--json OUT.json]

Prints the providers the installed onnxruntime offers, then for the default detector on the CPU
(fp32) and with --device gpu: whether the regions agree within 2 px on the test crowd picture
and on a 12 MP picture made from it, the seconds per 12 MP photo (whole pipeline: decode,
detect, redact, encode, verify, write) and the seconds per 1080p frame (detection only, the
part a video run repeats). Needs onnxruntime-gpu in place of onnxruntime (README, "GPUs") and
scikit-image (tests' pictures). No GPU: it says so and exits 0 after the CPU figures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from crowdveil.detect import DetectorSettings, build_detector, runtime  # noqa: E402
from crowdveil.detect.scales import resize  # noqa: E402
from crowdveil.pipeline import Options, process_file  # noqa: E402
from tests import plant  # noqa: E402


def boxes(detector, rgb: np.ndarray) -> np.ndarray:
    return np.array(sorted((d.x, d.y, d.w, d.h) for d in detector.detect(rgb)), np.float64)


def agree(a: np.ndarray, b: np.ndarray) -> tuple[bool, float]:
    if a.shape != b.shape:
        return False, float("inf")
    worst = float(np.abs(a - b).max()) if len(a) else 0.0
    return worst <= 2.0, worst


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--json", type=Path)
    args = p.parse_args(argv)
    import onnxruntime as ort

    out: dict = {"onnxruntime": ort.__version__, "providers": ort.get_available_providers()}
    print(f"onnxruntime {ort.__version__}: {', '.join(out['providers'])}")
    crowd, _ = plant.crowd_image()
    big = resize(crowd, 2.0)[:3000, :4000]  # 12 MP
    frame = resize(crowd, 1920 / crowd.shape[1])[:1080]
    with tempfile.TemporaryDirectory() as tmp:
        photo = Path(tmp) / "big.jpg"
        photo.write_bytes(plant.jpeg_with_everything(np.ascontiguousarray(big)))
        detectors = {"cpu": build_detector(DetectorSettings(device="cpu", precision="fp32"))}
        try:
            gpu = build_detector(DetectorSettings(device="gpu", threads=1))
            detectors["gpu"] = gpu
            out["gpu_device"] = [m.device for m in gpu.members]
        except runtime.DeviceError as exc:
            print(f"no GPU: {exc}")
            out["gpu_device"] = None
        for name, det in detectors.items():
            photo_s, frame_s = [], []
            for i in range(args.repeat):
                start = time.perf_counter()
                process_file(photo, Path(tmp) / f"{name}{i}", det, Options(overwrite=True))
                photo_s.append(time.perf_counter() - start)
            det.detect(frame)  # first call: kernels, arena
            for _ in range(max(10, args.repeat)):
                start = time.perf_counter()
                det.detect(frame)
                frame_s.append(time.perf_counter() - start)
            out[name] = {"s_per_12mp_photo": statistics.median(photo_s),
                         "s_per_1080p_frame": statistics.median(frame_s)}
            print(f"{name}: {out[name]['s_per_12mp_photo']:.2f} s per 12 MP photo, "
                  f"{out[name]['s_per_1080p_frame']:.3f} s per 1080p frame "
                  f"({1 / out[name]['s_per_1080p_frame']:.1f} frames/s, detection only)")
        if "gpu" in detectors:
            for label, rgb in (("crowd", crowd), ("12 MP", big)):
                ok, worst = agree(boxes(detectors["cpu"], rgb), boxes(detectors["gpu"], rgb))
                out[f"regions_equal_{label}"] = ok
                print(f"regions {label}: {'equal' if ok else 'DIFFERENT'} (worst {worst:.2f} px)")
    if args.json:
        args.json.write_text(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
