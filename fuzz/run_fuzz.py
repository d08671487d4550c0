"""Long fuzz run, by hand: mutate every seed file until the time is up; save what breaks.

    python fuzz/run_fuzz.py --minutes 30 [--seed N] [--real-detector]

Each mutated file goes through the whole pipeline (fuzz/harness.py states the oracle). A file
that breaks it is saved as tests/regressions/<seed name>-<sha256 prefix>.<ext> together with
the reason in a .txt beside it; tests/test_fuzz.py replays every file there. Before each case
the file is also written to fuzz/last_case.bin, so a native crash or hang (reported by
faulthandler after --hang-seconds) leaves the culprit behind.
"""

from __future__ import annotations

import argparse
import faulthandler
import hashlib
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fuzz.harness import StubDetector, check_case, mutate, random_ops, seeds  # noqa: E402

REGRESSIONS = REPO / "tests" / "regressions"
# A case whose peak memory climbs this far is a memory bomb, even when it ends well: left to
# run, one took the fuzzer to 23 GB and an OOM kill without a word.
MEMORY_BOMB_MB = 1024


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10.0)
    p.add_argument("--seed", type=int, default=None, help="random seed (default: from time)")
    p.add_argument("--real-detector", action="store_true",
                   help="use the default face detector instead of the stub (slower)")
    p.add_argument("--hang-seconds", type=float, default=60.0,
                   help="dump stacks and exit if one case takes longer than this")
    args = p.parse_args(argv)
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    if args.real_detector:
        from crowdveil.detect import build_detector

        detector = build_detector()
    else:
        detector = StubDetector()
    files = seeds()
    names = sorted(files)
    last = REPO / "fuzz" / "last_case.bin"
    end = time.monotonic() + args.minutes * 60
    cases = found = 0
    print(f"fuzzing with seed {seed} for {args.minutes:g} min", flush=True)
    with tempfile.TemporaryDirectory(prefix="crowdveil-fuzz-") as tmp:
        while time.monotonic() < end:
            name = rng.choice(names)
            data = mutate(files[name], random_ops(rng))
            last.write_bytes(data)
            faulthandler.dump_traceback_later(args.hang_seconds, exit=True)
            peak = _peak_mb()
            problem = check_case(data, name, detector, Path(tmp) / str(cases))
            faulthandler.cancel_dump_traceback_later()
            if problem is None and _peak_mb() - peak > MEMORY_BOMB_MB:
                problem = f"memory: peak grew by {_peak_mb() - peak:.0f} MB on one case"
            cases += 1
            if problem:
                found += 1
                digest = hashlib.sha256(data).hexdigest()[:12]
                stem = f"{Path(name).stem}-{digest}"
                REGRESSIONS.mkdir(exist_ok=True)
                (REGRESSIONS / f"{stem}{Path(name).suffix}").write_bytes(data)
                (REGRESSIONS / f"{stem}.txt").write_text(problem + "\n")
                print(f"[{cases}] {stem}: {problem.splitlines()[-1]}", flush=True)
            if cases % 500 == 0:
                print(f"{cases} cases, {found} problems", flush=True)
    last.unlink(missing_ok=True)
    print(f"done: {cases} cases, {found} problems (seed {seed})")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
