"""Where a 12 MP photo's CPU time goes, part by part, this checkout against another one.

    python benchmarks/photo_parts.py [--before SRC] [--mosaics N]

Each run is a fresh process that puts one photo after another through `pipeline.process_file`
(one thread, CPU fp32, as `speed.py`'s default) with a CPU-time timer around each part:
decoding, every detector pass split into onnxruntime and the rest, merging, redaction,
encoding, verification. With --before SRC (another checkout's src, e.g. `git archive BASE src |
tar -x -C /tmp/before`) the runs alternate before, after, after, before, so that a machine whose
load drifts favours neither; the table gives each run and the mean saving. The pictures are the
mosaics of recall.py (benchmarks/_work/mosaics).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from recall import SHARED, build_mosaics  # noqa: E402

# The members' parts: (timer context, label in the table)
PASSES = (("centerface 1x", "CenterFace 1x"),
          ("centerface coarse", "CenterFace 0.5x and coarser"),
          ("centerface zoom", "CenterFace zoom windows"),
          ("blazeface", "BlazeFace"))


def worker(out: str, pictures: list[str]) -> None:
    """Time every part in this process (the crowdveil on PYTHONPATH) and write the means."""
    import crowdveil
    import crowdveil.detect.blazeface as bf
    import crowdveil.detect.centerface as cf
    import crowdveil.detect.ensemble as en
    import crowdveil.pipeline as pl
    from crowdveil.detect import DetectorSettings, build_detector, runtime

    spent: dict[str, float] = {}
    where = ["outside"]

    def timed(owner: object, name: str, key: str, context=None) -> None:
        inner = getattr(owner, name)

        def wrapper(*args, **kwargs):
            entered = context(*args) if context else None
            if entered:
                where.append(entered)
            start = time.process_time()
            try:
                return inner(*args, **kwargs)
            finally:
                k = f"{where[-1]}|{key}"
                spent[k] = spent.get(k, 0.0) + time.process_time() - start
                if entered:
                    where.pop()

        setattr(owner, name, wrapper)

    timed(pl, "load_path", "decode")
    for name in ("inspect_bytes", "digest_bytes", "regions_from_detections", "redact", "encode",
                 "verify_file", "write_atomic"):
        timed(pl, name, name)
    timed(runtime.Session, "run", "onnxruntime")
    timed(cf.CenterFaceDetector, "run_pass", "total",
          lambda self, rgb, scale, *rest: "centerface 1x" if scale >= 1 else "centerface coarse")
    timed(cf.CenterFaceDetector, "detect_zoom", "total", lambda *a: "centerface zoom")
    timed(bf.BlazeFaceDetector, "detect", "total", lambda *a: "blazeface")
    timed(cf, "resize", "resize")
    timed(bf, "resize", "resize")
    timed(en, "merge_detections", "merge")
    timed(cf, "merge_detections", "merge")
    detector = build_detector(DetectorSettings(device="cpu", precision="fp32", threads=1))
    timed(type(detector), "detect", "total", lambda *a: "detect")
    folder = Path(tempfile.mkdtemp(prefix="parts-"))
    paths = [Path(p) for p in pictures]
    pl.process_file(paths[0], folder / "warm", detector, pl.Options(overwrite=True))
    spent.clear()
    start = time.process_time()
    for path in paths:
        pl.process_file(path, folder / path.stem, detector, pl.Options(overwrite=True))
    total = time.process_time() - start
    n = len(paths)
    Path(out).write_text(json.dumps({"src": crowdveil.__file__, "total": total / n,
                                     "spent": {k: v / n for k, v in spent.items()}}))


def parts(data: dict) -> dict[str, float]:
    """One run's table column: CPU s per photo by part (the rest of each pass by difference)."""
    s = data["spent"]

    def get(key: str) -> float:
        return float(s.get(key, 0.0))

    rows = {"decode": get("outside|decode"),
            "inspect + SHA-256": get("outside|inspect_bytes") + get("outside|digest_bytes")}
    members = 0.0
    for context, label in PASSES:
        total, ort, resize = (get(f"{context}|{k}") for k in ("total", "onnxruntime", "resize"))
        members += total
        rows[f"{label}: onnxruntime"] = ort
        rows[f"{label}: resize"] = resize
        rows[f"{label}: rest"] = total - ort - resize
    rows["merging boxes"] = get("detect|merge")
    rows["detect, rest"] = get("detect|total") - members - get("detect|merge")
    rows["regions"] = get("outside|regions_from_detections")
    for key in ("redact", "encode"):
        rows[key] = get(f"outside|{key}")
    rows["verify"] = get("outside|verify_file")
    rows["write"] = get("outside|write_atomic") - get("outside|verify_file")
    named = sum(get(f"outside|{k}") for k in ("decode", "inspect_bytes", "digest_bytes",
                                              "regions_from_detections", "redact", "encode",
                                              "write_atomic")) + get("detect|total")
    rows["outside all these"] = data["total"] - named
    rows["**total CPU s**"] = data["total"]
    return rows


def run(tag: str, src: Path | None, pictures: list[Path], folder: Path) -> dict:
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    out = folder / f"{tag}.json"
    subprocess.run([sys.executable, __file__, "--worker", str(out), *map(str, pictures)],
                   env=env, check=True)
    data = json.loads(out.read_text())
    print(f"{tag}: {data['src']}", file=sys.stderr)
    return data


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, default=SHARED / "data" / "facemask")
    p.add_argument("--mosaics", type=int, default=6)
    p.add_argument("--before", type=Path, metavar="SRC")
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker[0], args.worker[1:])
        return 0
    truth = json.loads((args.data / "annotations.json").read_text())
    pictures, _ = build_mosaics(args.data, {n: truth[n] for n in sorted(truth)}, args.mosaics)
    before = args.before.resolve() if args.before else None
    order = [("before 1", before), ("after 1", None), ("after 2", None), ("before 2", before)] \
        if before else [("this checkout", None)]
    with tempfile.TemporaryDirectory() as tmp:
        columns = {tag: parts(run(tag.replace(" ", "-"), src, pictures, Path(tmp)))
                   for tag, src in order}
    tags = [t for t, _ in order]
    print(f"\n| part (CPU s per 12 MP photo, mean of {len(pictures)}) | " + " | ".join(tags)
          + (" | saved |" if before else " |"))
    print("|---" * (len(tags) + 1 + bool(before)) + "|")
    for key in columns[tags[0]]:
        cells = [f"{columns[t][key]:.3f}" for t in tags]
        if before:
            old = sum(columns[t][key] for t in tags if t.startswith("before")) / 2
            new = sum(columns[t][key] for t in tags if t.startswith("after")) / 2
            cells.append(f"{old - new:+.3f}")
        print(f"| {key} | " + " | ".join(cells) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
