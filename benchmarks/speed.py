"""Speed benchmark: crowdveil vs deface 1.5 on ~12 MP crowd pictures, time by stage and memory.

    python benchmarks/speed.py [--mosaics N] [--config NAME ...] [--batch N] [--big]
                               [--no-deface] [--no-dev]

Pictures are the mosaics of benchmarks/recall.py (4000 x 3000, built in benchmarks/_work, never
committed). Each crowdveil configuration runs in its own fresh process (one detector, one photo
after another through `pipeline.process_file`, the CLI's path), so its peak memory (ru_maxrss
from wait4) is its own. Per picture it records the wall time of every pipeline stage
(`FileResult.stages`) and of each detector member and CenterFace pass; recall is scored with
../shared/bench/score.py. deface 1.5 runs on the same pictures in the same run (its own venv,
one thread, read + detection only), so the speed ratio is measured under the same machine load.

--batch N times the real CLI (`crowdveil DIR -o OUT -j 2`) on a folder of N 12 MP pictures:
seconds per picture with both cores busy, model loads and writing included.
--big processes one ~100 MP picture (a 3 x 3 tiling of a mosaic) through the CLI and reports
its peak memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from recall import SHARED, WORK, build_mosaics, run_deface, score  # noqa: E402

# name -> (DetectorSettings keyword arguments, {member name: attribute overrides})
CONFIGS: dict[str, tuple[dict, dict]] = {
    # the CPU in fp32, as every figure before int8 was measured; "int8": the int8 CenterFace
    "default": ({"device": "cpu", "precision": "fp32"}, {}),
    "default-2threads": ({"threads": 2, "device": "cpu", "precision": "fp32"}, {}),
    "int8": ({"device": "cpu", "precision": "int8"}, {}),
    "int8-2threads": ({"threads": 2, "device": "cpu", "precision": "int8"}, {}),
    "gpu": ({"device": "gpu"}, {}),
    "no-zoom": ({}, {"centerface": {"zoom": False}}),
    "centerface-only": ({"members": ["centerface"]}, {}),
    "blazeface-only": ({"members": ["blazeface"]}, {}),
    # speed presets that give up the smallest faces: the finest pass is a downscaled picture
    "finest-3000px": ({}, {"centerface": {"finest_long_side": 3000}}),
    "finest-2000px": ({}, {"centerface": {"finest_long_side": 2000}}),
    # tile size caps (pixels per tile): fewer, larger tiles overlap less but need more memory
    "tiles-1.2mp": ({}, {"centerface": {"tile_pixels": 1_200_000}}),
    "tiles-2.2mp": ({}, {"centerface": {"tile_pixels": 2_200_000}}),
    "tiles-1.5mp": ({}, {"centerface": {"tile_pixels": 1_500_000}}),
    "tiles-1.0mp": ({}, {"centerface": {"tile_pixels": 1_000_000}}),
    "overlap-96": ({}, {"centerface": {"overlap": 96}}),
    # fewer coarse passes: each is `ratio` times smaller than the one before
    "pass-ratio-3": ({}, {"centerface": {"pass_ratio": 3.0}}),
    "pass-ratio-4": ({}, {"centerface": {"pass_ratio": 4.0}}),
    "blazeface-tiles-768": ({}, {"blazeface": {"tile": 768, "overlap": 256}}),
    # test-time mirroring: the coarse passes only, or every pass and the zoom windows
    "mirror-coarse": ({}, {"centerface": {"mirror": "coarse"}}),
    "mirror-all": ({}, {"centerface": {"mirror": "all"}}),
}


# ------------------------------------------------------------------------------------------
# worker: one configuration, in its own process


def _timed_method(obj, attr: str, sink: dict, key) -> None:
    """Wrap obj.attr so every call adds its wall time to sink[key(args)]."""
    inner = getattr(obj, attr)

    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            k = key(*args)
            sink[k] = sink.get(k, 0.0) + time.perf_counter() - start

    setattr(obj, attr, wrapper)


def worker(config_path: str) -> None:
    from crowdveil.detect import DetectorSettings, build_detector
    from crowdveil.pipeline import Options, process_file

    job = json.loads(Path(config_path).read_text())
    settings_kw = dict(job["settings"])
    if "members" in settings_kw:
        settings_kw["members"] = tuple(settings_kw["members"])
    start = time.perf_counter()
    detector = build_detector(DetectorSettings(**settings_kw))
    load_s = time.perf_counter() - start
    members = getattr(detector, "members", [detector])
    parts: dict[str, float] = {}
    for m in members:
        for attr, value in job["overrides"].get(m.name, {}).items():
            setattr(m, attr, value)
        if m.name == "centerface":
            # run_pass/detect_zoom since the zoom pass; a --before checkout has detect_pass
            one_pass = "run_pass" if hasattr(m, "run_pass") else "detect_pass"
            # *_: the faint-face ratio both take since the video tracker (detect_faint)
            _timed_method(m, one_pass, parts, lambda rgb, scale, *_: f"centerface {scale:g}x")
            if hasattr(m, "detect_zoom"):
                _timed_method(m, "detect_zoom", parts, lambda rgb, heat, *_: "centerface zoom")
        else:
            _timed_method(m, "detect", parts, lambda rgb, name=m.name: name)
    out = Path(job["out"])
    rows = []
    for path in job["paths"]:
        parts.clear()
        start, cpu = time.perf_counter(), time.process_time()
        r = process_file(Path(path), out / Path(path).stem, detector,
                         Options(max_pixels=job.get("max_pixels", 200_000_000), overwrite=True))
        total, cpu = time.perf_counter() - start, time.process_time() - cpu
        rows.append({**r.to_json(), "input": path, "stages": r.stages, "parts": dict(parts),
                     "seconds": total, "cpu": cpu})
    Path(job["result"]).write_text(json.dumps({"rows": rows, "load_seconds": load_s}))


def run_config(name: str, paths: list[Path], tmp: Path, src: Path | None = None) -> dict:
    """One configuration in a fresh process; `src` runs another checkout's crowdveil (before)."""
    settings, overrides = CONFIGS[name]
    if src is not None:  # a checkout from before --device/--precision: CPU fp32 was all it had
        settings = {k: v for k, v in settings.items() if k not in ("device", "precision")}
    tag = name if src is None else f"{name}-before"
    job = {"settings": settings, "overrides": overrides, "paths": [str(p) for p in paths],
           "out": str(tmp / tag), "result": str(tmp / f"{tag}.json")}
    (tmp / tag).mkdir(exist_ok=True)
    (tmp / f"{tag}.job.json").write_text(json.dumps(job))
    env = dict(os.environ)
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    result, maxrss_mb = _run_measured(
        [sys.executable, __file__, "--worker", str(tmp / f"{tag}.job.json")], env=env)
    if result.returncode:
        raise SystemExit(f"config {tag} failed:\n{result.stderr}")
    data = json.loads((tmp / f"{tag}.json").read_text())
    data["maxrss_mb"] = maxrss_mb
    return data


def _run_measured(
    cmd: list[str], env: dict | None = None
) -> tuple[subprocess.CompletedProcess, float]:
    """Run cmd; also return the peak resident memory (MB) of it and its reaped children."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, text=True, env=env)
        # wait4, not Popen.wait: it also returns the child's resource usage (its ru_maxrss
        # covers the child and the workers it reaped, i.e. the largest single process)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        done = subprocess.CompletedProcess(cmd, proc.returncode, out.read(), err.read())
    return done, usage.ru_maxrss / 1024


# ------------------------------------------------------------------------------------------
# reporting


def _mean(values: list[float]) -> float:
    return sum(values) / max(1, len(values))


def summarize(name: str, data: dict, truth: dict, tag: str) -> dict:
    rows = data["rows"]
    report = {"version": 1, "files": [
        {k: r[k] for k in ("input", "output", "status", "error", "width", "height", "regions",
                           "metadata_found")} for r in rows]}
    errors = [r for r in rows if r["status"] != "ok"]
    if errors:
        raise SystemExit(f"{name}: {errors[0]['input']}: {errors[0]['error']}")
    s = score(report, truth, f"speed-{tag}")
    stages: dict[str, float] = {}
    for r in rows:
        for k, v in r["stages"].items():
            stages[k] = stages.get(k, 0.0) + v / len(rows)
    parts: dict[str, float] = {}
    for r in rows:
        for k, v in r["parts"].items():
            parts[k] = parts.get(k, 0.0) + v / len(rows)
    return {"name": name, "seconds": _mean([r["seconds"] for r in rows]),
            "cpu": _mean([r["cpu"] for r in rows]), "stages": stages,
            "parts": parts, "maxrss_mb": data["maxrss_mb"], "score": s,
            "load_seconds": data["load_seconds"]}


STAGES = ("decode", "inspect", "detect", "redact", "encode", "verify", "write")


def print_tables(results: list[dict], deface: dict | None) -> None:
    print("\n| configuration | s/photo | vs deface | CPU s | " + " | ".join(STAGES)
          + " | peak MB | recall >=10 | recall >=20 | >=40 missed | over |")
    print("|---" * (len(STAGES) + 9) + "|")
    for r in results:
        ratio = f"{deface['seconds'] / r['seconds']:.2f}x" if deface else ""
        s = r["score"]
        print(f"| {r['name']} | {r['seconds']:.2f} | {ratio} | {r['cpu']:.2f} | "
              + " | ".join(f"{r['stages'].get(k, 0.0):.2f}" for k in STAGES)
              + f" | {r['maxrss_mb']:.0f} | {s['recall']:.4f} | {s['recall20']:.4f} | "
              f"{s['missed40']} | {s['over']:.4f} |")
    if deface:
        s = deface["score"]
        print(f"| deface 1.5 (read + detect) | {deface['seconds']:.2f} | 1.00x | | "
              + " | ".join("" for _ in STAGES)
              + f" | {deface['maxrss_mb']:.0f} | {s['recall']:.4f} | {s['recall20']:.4f} | "
              f"{s['missed40']} | {s['over']:.4f} |")
    print("\nwhere the detect time goes (s/photo):")
    for r in results:
        inner = ", ".join(f"{k} {v:.2f}" for k, v in sorted(r["parts"].items(),
                                                            key=lambda kv: -kv[1]))
        print(f"- {r['name']}: {inner}; model load {r['load_seconds']:.2f} s once per worker")


# ------------------------------------------------------------------------------------------
# end to end through the CLI


def cli_batch(paths: list[Path], count: int, jobs: int, tmp: Path) -> dict:
    src, out = tmp / "batch-in", tmp / "batch-out"
    src.mkdir()
    for i in range(count):
        shutil.copyfile(paths[i % len(paths)], src / f"photo{i:03d}.jpg")
    cli = Path(sys.executable).with_name("crowdveil")
    sampler = TreeMemory()
    start = time.perf_counter()
    with sampler:
        result, maxrss = _run_measured(
            [str(cli), str(src), "-o", str(out), "-j", str(jobs), "-q"])
    wall = time.perf_counter() - start
    if result.returncode:
        raise SystemExit(f"crowdveil batch failed:\n{result.stderr}")
    return {"count": count, "jobs": jobs, "wall": wall, "per_photo": wall / count,
            "maxrss_mb": maxrss, "tree_mb": sampler.peak_mb}


class TreeMemory:
    """Peak of the summed resident memory of this process's descendants, sampled every 0.1 s
    from /proc (ru_maxrss only gives the largest single process, not the batch's total)."""

    def __init__(self) -> None:
        import threading

        self.peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(0.1):
            parents: dict[int, int] = {}
            rss: dict[int, int] = {}
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                try:
                    fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                parents[int(entry)] = int(fields[1])
                rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
            total = 0
            for pid in rss:
                p = parents.get(pid)
                while p and p != me:
                    p = parents.get(p)
                if p == me:
                    total += rss[pid]
            self.peak_mb = max(self.peak_mb, total / 1e6)


def big_picture(mosaic: Path, tmp: Path) -> dict:
    """A ~108 MP picture (3 x 3 copies of a 12 MP mosaic) through the CLI: time and memory."""
    from PIL import Image

    src = tmp / "big-in"
    src.mkdir()
    with Image.open(mosaic) as im:
        big = Image.new("RGB", (im.width * 3, im.height * 3))
        for i in range(9):
            big.paste(im, ((i % 3) * im.width, (i // 3) * im.height))
    path = src / "big.jpg"
    big.save(path, quality=90)
    pixels = big.width * big.height
    del big
    cli = Path(sys.executable).with_name("crowdveil")
    start = time.perf_counter()
    result, maxrss = _run_measured(
        [str(cli), str(path), "-o", str(tmp / "big-out"), "-j", "1", "-q",
         "--report", str(tmp / "big.json")])
    wall = time.perf_counter() - start
    return {"pixels": pixels, "wall": wall, "maxrss_mb": maxrss, "exit": result.returncode,
            "stderr": result.stderr.strip()}


def deface_measured(paths: list[Path], truth: dict) -> dict:
    import resource

    # run first, while this process has no other children: RUSAGE_CHILDREN is then deface's
    report, seconds = run_deface(paths, "speed")
    maxrss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"seconds": seconds, "score": score(report, truth, "speed-deface"),
            "maxrss_mb": maxrss}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--worker", help=argparse.SUPPRESS)
    p.add_argument("--data", type=Path, default=SHARED / "data" / "facemask")
    p.add_argument("--mosaics", type=int, default=6)
    p.add_argument("--config", action="append", choices=sorted(CONFIGS),
                   help="configurations to time (default: default, default-2threads)")
    p.add_argument("--before", type=Path, metavar="SRC",
                   help="also time the default configuration from another checkout's src "
                   "(e.g. `git archive HEAD~3 src | tar -x -C /tmp/before`)")
    p.add_argument("--batch", type=int, default=0, help="CLI batch of N pictures, -j 2")
    p.add_argument("--big", action="store_true", help="one ~100 MP picture through the CLI")
    p.add_argument("--no-deface", action="store_true")
    args = p.parse_args(argv)
    if args.worker:
        worker(args.worker)
        return 0
    WORK.mkdir(parents=True, exist_ok=True)
    truth = json.loads((args.data / "annotations.json").read_text())
    paths, m_truth = build_mosaics(args.data, {n: truth[n] for n in sorted(truth)}, args.mosaics)
    print(f"{len(paths)} pictures of 4000 x 3000, {sum(len(v) for v in m_truth.values())} faces")
    tmp = Path(tempfile.mkdtemp(prefix="speed-", dir=WORK))
    try:
        deface = None
        if not args.no_deface:
            deface = deface_measured(paths, m_truth)
        results = []
        if args.before:
            data = run_config("default", paths, tmp, args.before.resolve())
            results.append(summarize("before: default", data, m_truth, "before"))
        for name in args.config or ["default", "default-2threads"]:
            results.append(summarize(name, run_config(name, paths, tmp), m_truth, name))
        print_tables(results, deface)
        if args.batch:
            b = cli_batch(paths, args.batch, 2, tmp)
            print(f"\nCLI batch: {b['count']} pictures of 12 MP, -j {b['jobs']}: "
                  f"{b['wall']:.1f} s wall, {b['per_photo']:.2f} s/photo (model loads included), "
                  f"peak memory of the largest process {b['maxrss_mb']:.0f} MB, "
                  f"of all its processes together {b['tree_mb']:.0f} MB")
        if args.big:
            g = big_picture(paths[0], tmp)
            print(f"\n{g['pixels'] / 1e6:.0f} MP picture through the CLI (-j 1): exit {g['exit']}, "
                  f"{g['wall']:.1f} s, peak memory {g['maxrss_mb']:.0f} MB {g['stderr']}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
