"""Which faces two recall runs disagree on, and what CenterFace scores them at each pass (issue 15).

    python benchmarks/int8_faces.py TAG_A TAG_B [--scores INT8_MODEL]

TAG_A/TAG_B are `recall.py --tag` runs (their reports in benchmarks/_work). Prints every face
>= 10 px hidden by one run and not by the other (set, picture, face box, min side), and with
--scores the peak of CenterFace's heatmap over the face at each pass, fp32 against the given
int8 model: is a lost face one that sat near the threshold, and is int8 lower everywhere?
Dev photos run whole at their passes; a mosaic face runs in a 640 px crop around it at 1x (the
native pass's tile) and 2x (the zoom pass), and the whole mosaic at its coarse passes.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
SHARED = HERE.parent.parent / "shared"
WORK = HERE / "_work"


def _score_module():  # the shared scorer, so "hidden" means exactly what recall.py counts
    spec = importlib.util.spec_from_file_location("score", SHARED / "bench" / "score.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def coverage(report: dict, truth: dict) -> dict[tuple[str, int], tuple[float, float]]:
    """(picture, face index) -> (covered share, min side) for every face of `truth`."""
    mask_of = _score_module().mask_of
    out = {}
    for f in report["files"]:
        name = Path(f["input"]).name
        if name not in truth:
            continue
        m = mask_of(f["regions"], f["height"], f["width"])
        for i, (x, y, bw, bh) in enumerate(truth[name]):
            x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
            x1, y1 = min(f["width"], int(np.ceil(x + bw))), min(f["height"], int(np.ceil(y + bh)))
            if x1 <= x0 or y1 <= y0:
                continue
            out[(name, i)] = (float(m[y0:y1, x0:x1].mean()), min(bw, bh))
    return out


def differ(a: dict, b: dict, truth: dict) -> list[tuple[str, int, str, float, float, float]]:
    rows = []
    for key, (cov_a, side) in a.items():
        cov_b = b[key][0]
        if side >= 10 and (cov_a >= 0.8) != (cov_b >= 0.8):
            rows.append((key[0], key[1], "A only" if cov_a >= 0.8 else "B only", side, cov_a,
                         cov_b))
    return sorted(rows, key=lambda r: (r[2], r[3]))


def peaks(net, rgb: np.ndarray, box: list[float], scales: list[float],
          crop: bool) -> list[float]:
    """Heatmap peak over the face box at each scale (crop: a 640 px window around the face)."""
    from crowdveil.detect.scales import resize

    x, y, w, h = box
    ox = oy = 0
    if crop:
        cx, cy = x + w / 2, y + h / 2
        ox = int(max(0, min(rgb.shape[1] - 640, cx - 320)))
        oy = int(max(0, min(rgb.shape[0] - 640, cy - 320)))
        rgb = rgb[oy:oy + 640, ox:ox + 640]
    out = []
    for s in scales:
        _, heat = net.run(resize(rgb, s), 1.0)
        r0, c0 = int((y - oy) * s / 4), int((x - ox) * s / 4)
        r1, c1 = int(np.ceil((y - oy + h) * s / 4)), int(np.ceil((x - ox + w) * s / 4))
        cells = heat[max(0, r0):max(r0 + 1, r1), max(0, c0):max(c0 + 1, c1)]
        out.append(float(cells.max()) if cells.size else 0.0)
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("a")
    p.add_argument("b")
    p.add_argument("--scores", type=Path, default=None, help="int8 model to score with")
    p.add_argument("--data", type=Path, default=SHARED / "data" / "facemask")
    args = p.parse_args(argv)
    dev_truth = json.loads((args.data / "annotations.json").read_text())
    mosaic_truth = json.loads((WORK / "mosaic-cv-truth.json").read_text())
    nets = None
    if args.scores:
        from crowdveil.detect import int8
        from crowdveil.detect.centerface import CenterFaceNet

        int8.MODEL_PATH = args.scores
        int8.MODEL_SHA256 = hashlib.sha256(args.scores.read_bytes()).hexdigest()
        nets = (CenterFaceNet(precision="fp32"), CenterFaceNet(precision="int8"))
        assert nets[1].precision == "int8"
    for kind, truth, folder in (("dev", dev_truth, args.data / "images"),
                                ("mosaic", mosaic_truth, WORK / "mosaics")):
        a = coverage(json.loads((WORK / f"{args.a}-{kind}-report.json").read_text()), truth)
        b = coverage(json.loads((WORK / f"{args.b}-{kind}-report.json").read_text()), truth)
        rows = differ(a, b, truth)
        print(f"\n{kind}: {sum(r[2] == 'A only' for r in rows)} faces >= 10 px hidden by "
              f"{args.a} only, {sum(r[2] == 'B only' for r in rows)} by {args.b} only")
        for name, i, which, side, cov_a, cov_b in rows:
            line = f"{which:6} {name:24} face {i:3} side {side:5.1f} cover {cov_a:.2f}/{cov_b:.2f}"
            if nets:
                from PIL import Image

                from crowdveil.detect.scales import plan_passes

                with Image.open(folder / name) as im:
                    rgb = np.asarray(im.convert("RGB"))
                box = truth[name][i]
                if kind == "dev":
                    scales = [q.scale for q in plan_passes(*rgb.shape[:2])]
                    f32 = peaks(nets[0], rgb, box, scales, False)
                    i8 = peaks(nets[1], rgb, box, scales, False)
                else:
                    scales = [1.0, 2.0]
                    f32 = peaks(nets[0], rgb, box, scales, True)
                    i8 = peaks(nets[1], rgb, box, scales, True)
                line += " | " + " ".join(f"{s:g}x {u:.3f}/{v:.3f}"
                                         for s, u, v in zip(scales, f32, i8, strict=True))
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
