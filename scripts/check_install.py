#!/usr/bin/env python3
"""Build crowdveil's wheel and prove it works where a user installs it, with no source tree around.

    python3 scripts/check_install.py                       # the Python running this script
    python3 scripts/check_install.py --python 3.10 3.11 3.12 3.13
    python3 scripts/check_install.py --python 3.10 --python 3.13 --tests
    python3 scripts/check_install.py --python 3.11 --measure   # first install: download, venv

Steps:
1. ``python -m build`` (in a scratch venv, so `build` never becomes a project dependency) makes the
   sdist and, from it, the wheel; building from the sdist proves the sdist is complete too, and a
   stale ``build/`` folder in the checkout cannot leak into the wheel.
2. The wheel must carry every file of ``src/crowdveil`` byte for byte (modules, the models/
   weights, their licences and PROVENANCE.md, data files), every ``license-files`` entry, and must
   not cap the Python version.
3. For each ``--python X.Y``: a fresh venv in a temporary folder, ``pip install WHEEL``
   (``WHEEL[test]`` with ``--tests``), then, from a copy of samples/ outside the checkout with
   PYTHONPATH unset, ``crowdveil samples -o out --report r.json``: exit 0, every sample photo
   cleaned, at least one face region in each. With ``--tests`` the checkout's test suite runs with
   the venv's Python, importing ``crowdveil`` from the installed wheel (checked), not from src/.

One line per Python; the exit status is non-zero when anything failed. Re-runs reuse pip's cache
(except with ``--measure``, which measures what a first install downloads). Standard library only.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "crowdveil"
# translation sources: what runs is the compiled catalogue (.mo, .qm), which the wheel must carry
SOURCE_ONLY_SUFFIXES = {".po", ".pot", ".ts"}
PHOTO_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif", ".tif", ".tiff"}
# reported for each Python: the native libraries the install really resolved to
VERSIONS_OF = ("numpy", "onnxruntime", "pillow", "pillow-heif", "mediapipe")


class CheckFailed(Exception):
    """One check failed; the message is the reason, printed on that Python's line."""


@dataclass
class Result:
    python: str
    ok: bool = False
    notes: list[str] = field(default_factory=list)
    failure: str = ""

    def line(self) -> str:
        verdict = "OK  " if self.ok else "FAIL"
        text = f"{verdict} python {self.python}: " + "; ".join(self.notes)
        if self.failure:
            text += ("; " if self.notes else "") + self.failure
        return text


def run(cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 1800, log: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command; its output goes to ``log`` (kept for the failure message) and is returned."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, timeout=timeout, text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=False)
    if log is not None:
        log.write_text(proc.stdout)
    return proc


def tail(text: str, lines: int = 15) -> str:
    return "\n".join("    " + s for s in text.rstrip().splitlines()[-lines:])


def clean_env(**extra: str) -> dict[str, str]:
    """The user's environment, less anything that could make Python find the source tree."""
    env = {k: v for k, v in os.environ.items()
           if k not in {"PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
                        "VIRTUAL_ENV", "PIP_REQUIRE_VIRTUALENV"}}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


# --- interpreters -----------------------------------------------------------------------------

def _version_key(path: str) -> tuple[int, ...]:
    found = re.search(r"(\d+)\.(\d+)\.(\d+)", path)
    return tuple(int(x) for x in found.groups()) if found else (0,)


def find_python(version: str) -> Path | None:
    """An interpreter for ``X.Y``: pyenv's newest X.Y.*, else ``pythonX.Y`` on the PATH."""
    if not re.fullmatch(r"\d+\.\d+", version):
        raise SystemExit(f"--python takes X.Y (like 3.13), not {version!r}")
    roots = [os.environ.get("PYENV_ROOT", ""), str(Path.home() / ".pyenv")]
    candidates: list[str] = []
    for root in filter(None, roots):
        candidates += glob.glob(os.path.join(root, "versions", f"{version}.*", "bin", "python3"))
    # a pyenv version such as 3.13.0t (free-threaded) or 3.13-dev is not the plain X.Y.Z build
    candidates = [c for c in candidates if re.search(rf"/{re.escape(version)}\.\d+/bin/", c)]
    for exe in sorted(set(candidates), key=_version_key, reverse=True):
        if _reports_version(Path(exe), version):
            return Path(exe)
    on_path = shutil.which(f"python{version}")
    if on_path and _reports_version(Path(on_path), version):
        return Path(on_path)
    return None


def _reports_version(exe: Path, version: str) -> bool:
    try:
        proc = run([str(exe), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                   timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout.strip() == version


def full_version(exe: Path) -> str:
    return run([str(exe), "-c", "import platform; print(platform.python_version())"],
               timeout=60).stdout.strip()


# --- the wheel --------------------------------------------------------------------------------

def build_wheel(work: Path) -> Path:
    """sdist, then the wheel from that sdist, with `build` from a scratch venv."""
    venv = work / "build-venv"
    run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    py = str(venv / "bin" / "python")
    proc = run([py, "-m", "pip", "install", "-q", "--disable-pip-version-check", "build"],
               env=clean_env(), timeout=900)
    if proc.returncode:
        raise CheckFailed("cannot install `build` in a scratch venv:\n" + tail(proc.stdout))
    dist = work / "dist"
    proc = run([py, "-m", "build", "--outdir", str(dist), str(REPO)], env=clean_env(),
               timeout=1800, log=work / "build.log")
    if proc.returncode:
        raise CheckFailed("python -m build failed:\n" + tail(proc.stdout))
    wheels = sorted(dist.glob("crowdveil-*.whl"))
    if len(wheels) != 1:
        raise CheckFailed(f"expected one wheel in {dist}, found {[w.name for w in wheels]}")
    return wheels[0]


def _license_files() -> list[str]:
    """The ``license-files`` patterns of pyproject.toml (tomllib is 3.11+; this may run on 3.10)."""
    text = (REPO / "pyproject.toml").read_text(encoding="utf-8")
    try:
        import tomllib
    except ModuleNotFoundError:
        found = re.search(r"^license-files\s*=\s*\[(.*?)\]", text, re.M | re.S)
        return re.findall(r"\"([^\"]+)\"", found.group(1)) if found else []
    return list(tomllib.loads(text).get("project", {}).get("license-files", []))


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def check_wheel(wheel: Path, package: Path = PACKAGE,
                license_patterns: list[str] | None = None) -> list[str]:
    """What the wheel lacks or gets wrong; empty when it is complete.

    Every file of the package (modules, the models/ folder's weights, licences and PROVENANCE.md,
    data files; not translation sources) with the same bytes, every licence file pyproject names
    (under .dist-info/licenses/), and no upper bound on Python.
    """
    problems: list[str] = []
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        files = sorted(p for p in package.rglob("*") if p.is_file()
                       and "__pycache__" not in p.parts
                       and p.suffix not in SOURCE_ONLY_SUFFIXES | {".pyc"})
        if not any(p.parent.name == "models" for p in files):
            problems.append(f"no model files found in {package / 'models'}")
        for src in files:
            inside = "crowdveil/" + src.relative_to(package).as_posix()
            if inside not in names:
                problems.append(f"missing from the wheel: {inside}")
            elif _sha256(zf.read(inside)) != _sha256(src.read_bytes()):
                problems.append(f"differs from the source tree: {inside}")
        dist_info = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
        if len(dist_info) != 1:
            return problems + [f"expected one .dist-info folder, found {sorted(dist_info)}"]
        info = dist_info.pop()
        patterns = _license_files() if license_patterns is None else license_patterns
        for pattern in patterns:
            # patterns are relative to the project root (src/crowdveil's grandparent)
            matches = glob.glob(pattern, root_dir=package.parents[1])
            for rel in matches or [pattern]:
                if f"{info}/licenses/{rel}" not in names:
                    problems.append(f"licence file missing: {info}/licenses/{rel}")
        metadata = zf.read(f"{info}/METADATA").decode("utf-8")
        requires = re.search(r"^Requires-Python:\s*(.*)$", metadata, re.M)
        if requires and "<" in requires.group(1):
            problems.append(f"the wheel caps the Python version: Requires-Python: "
                            f"{requires.group(1)}")
    return problems


# --- one Python -------------------------------------------------------------------------------

VERSIONS_SCRIPT = """
import importlib.metadata as md, json, sys
import crowdveil
out = {"crowdveil_file": crowdveil.__file__}
for name in sys.argv[1:]:
    try:
        out[name] = md.version(name)
    except md.PackageNotFoundError:
        pass
import numpy, onnxruntime, PIL.Image  # the native modules the detector needs must import
print(json.dumps(out))
"""


def check_python(version: str, wheel: Path, work: Path, *, tests: bool, measure: bool,
                 pytest_args: list[str], extras: list[str] | None = None) -> Result:
    result = Result(version)
    exe = find_python(version)
    if exe is None:
        result.failure = (f"no Python {version} found (looked in $PYENV_ROOT and ~/.pyenv "
                          f"versions/{version}.*, and for python{version} on the PATH)")
        return result
    result.python = full_version(exe)
    here = work / f"py{version}"
    here.mkdir()
    venv = here / "venv"
    try:
        proc = run([str(exe), "-m", "venv", str(venv)], timeout=300)
        if proc.returncode:
            raise CheckFailed("venv failed:\n" + tail(proc.stdout))
        py = venv / "bin" / "python"
        wanted = sorted(set(extras or []) | ({"test"} if tests else set()))
        target = f"{wheel}[{','.join(wanted)}]" if wanted else str(wheel)
        pip = [str(py), "-m", "pip", "install", "--disable-pip-version-check"]
        if measure:
            pip += ["--no-cache-dir", "-v", "--report", str(here / "pip-report.json")]
        started = time.monotonic()
        proc = run(pip + [target], cwd=here, env=clean_env(), timeout=3600,
                   log=here / "pip.log")
        took = time.monotonic() - started
        if proc.returncode:
            raise CheckFailed("pip install failed:\n" + tail(proc.stdout))
        result.notes.append(f"install {took:.0f} s")
        if measure:
            result.notes.append(describe_download(proc.stdout, venv))

        proc = run([str(py), "-c", VERSIONS_SCRIPT, *VERSIONS_OF], cwd=here, env=clean_env(),
                   timeout=300)
        if proc.returncode:
            raise CheckFailed("importing crowdveil and its native modules failed:\n"
                              + tail(proc.stdout))
        found = json.loads(proc.stdout.strip().splitlines()[-1])
        where = Path(found.pop("crowdveil_file")).resolve()
        if venv.resolve() not in where.parents:
            raise CheckFailed(f"crowdveil was imported from {where}, not from the venv")
        result.notes.append(" ".join(f"{k} {v}" for k, v in found.items()))

        result.notes.append(run_samples(venv, here))
        result.notes.append(run_clip(venv, here))
        if tests:
            result.notes.append(run_tests(py, here, pytest_args))
        result.ok = True
    except CheckFailed as failed:
        result.failure = str(failed)
    except subprocess.TimeoutExpired as expired:
        result.failure = f"timed out: {' '.join(map(str, expired.cmd))[:200]}"
    return result


def run_samples(venv: Path, here: Path) -> str:
    """``crowdveil samples -o out`` from a folder that holds only a copy of the samples."""
    user = here / "user"
    shutil.copytree(REPO / "samples", user / "samples")
    photos = sorted(p.name for p in (user / "samples").iterdir()
                    if p.suffix.lower() in PHOTO_SUFFIXES)
    # the record's secret key goes to a folder of this run, not the user's configuration
    env = clean_env(XDG_CONFIG_HOME=str(here / "config"), QT_QPA_PLATFORM="offscreen")
    started = time.monotonic()
    proc = run([str(venv / "bin" / "crowdveil"), "samples", "-o", "out", "--report", "r.json"],
               cwd=user, env=env, timeout=1800, log=here / "samples.log")
    took = time.monotonic() - started
    if proc.returncode:
        raise CheckFailed(f"crowdveil samples exited {proc.returncode}:\n" + tail(proc.stdout))
    try:
        rows = json.loads((user / "r.json").read_text(encoding="utf-8"))["files"]
    except (OSError, ValueError, KeyError) as exc:
        raise CheckFailed(f"no readable report: {exc}") from exc
    seen = {Path(r["input"]).name: r for r in rows}
    problems = [f"{name}: not in the report" for name in photos if name not in seen]
    regions = 0
    for name in photos:
        row = seen.get(name)
        if row is None:
            continue
        out = user / row["output"] if row.get("output") else None
        if row.get("status") != "ok":
            problems.append(f"{name}: status {row.get('status')} ({row.get('error')})")
        elif out is None or not out.is_file() or out.stat().st_size == 0:
            problems.append(f"{name}: no output file")
        elif not row.get("regions"):
            # every sample shows at least one face: none found means the detector is broken
            problems.append(f"{name}: no face region found")
        regions += len(row.get("regions") or [])
    if problems:
        raise CheckFailed("samples: " + "; ".join(problems))
    return f"samples {len(photos)}/{len(photos)} cleaned, {regions} regions, {took:.0f} s"


# A clip made with the venv's own PyAV: whichever release pip took on this Python must read
# and write it (PyAV 19, taken on 3.12+, once broke every video while the photos passed).
MAKE_CLIP = """
import sys, av, numpy as np
with av.open(sys.argv[1], "w") as c:
    s = c.add_stream("libx264", rate=30)
    s.width, s.height, s.pix_fmt = 128, 96, "yuv420p"
    for t in range(30):
        y, x = np.mgrid[0:96, 0:128]
        rgb = np.stack([(x + 2 * t) % 256, y * 2, np.full_like(x, 90)], -1).astype(np.uint8)
        for p in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
            c.mux(p)
    for p in s.encode():
        c.mux(p)
print(av.__version__)
"""


def run_clip(venv: Path, here: Path) -> str:
    """A generated 1 s clip cleaned by ``crowdveil``: exit 0 and a report row with 30 frames."""
    user = here / "clip"
    user.mkdir()
    env = clean_env(XDG_CONFIG_HOME=str(here / "config"))
    made = run([str(venv / "bin" / "python"), "-c", MAKE_CLIP, "walk.mp4"], cwd=user, env=env,
               timeout=300)
    if made.returncode:
        raise CheckFailed("making a test clip with PyAV failed:\n" + tail(made.stdout))
    proc = run([str(venv / "bin" / "crowdveil"), "walk.mp4", "-o", "out", "--report", "r.json"],
               cwd=user, env=env, timeout=600, log=here / "clip.log")
    if proc.returncode:
        raise CheckFailed(f"crowdveil on a clip exited {proc.returncode}:\n" + tail(proc.stdout))
    try:
        [row] = json.loads((user / "r.json").read_text(encoding="utf-8"))["files"]
        frames = row["video"]["frames"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckFailed(f"clip: no readable report row: {exc}") from exc
    if row.get("status") != "ok" or frames != 30:
        raise CheckFailed(f"clip: status {row.get('status')}, {frames} frames of 30")
    return f"clip cleaned (PyAV {made.stdout.strip().splitlines()[-1]}, 30 frames)"


def run_tests(py: Path, here: Path, pytest_args: list[str]) -> str:
    """The checkout's test suite, run by the venv's Python against the installed wheel.

    Tests read the checkout's samples, scripts and translation sources, so they run in place; but
    ``crowdveil`` itself comes from the venv: no src/ is on sys.path (the conftest adds the
    repository root, which holds no crowdveil package), and that is checked first. Subprocesses
    that a test starts with src/ on PYTHONPATH on purpose (test_network, test_build_app) run the
    same source the wheel was built from.
    """
    probe = ("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import crowdveil; "
             "print(crowdveil.__file__)")
    proc = run([str(py), "-c", probe, str(REPO / "tests"), str(REPO)], cwd=REPO,
               env=clean_env(), timeout=300)
    where = Path(proc.stdout.strip().splitlines()[-1]).resolve() if proc.stdout.strip() else None
    if proc.returncode or where is None or py.parent.parent.resolve() not in where.parents:
        raise CheckFailed(f"from the checkout, crowdveil is not imported from the venv: "
                          f"{proc.stdout.strip()[-500:]}")
    started = time.monotonic()
    proc = run([str(py), "-m", "pytest", "-q", "-p", "no:cacheprovider", *pytest_args],
               cwd=REPO, env=clean_env(), timeout=3600, log=here / "pytest.log")
    took = time.monotonic() - started
    summary = next((s.strip("= ") for s in reversed(proc.stdout.splitlines())
                    if re.search(r"\d+ (passed|failed|error)", s)), "no summary line")
    summary = re.sub(r" in [\d.]+s( \(.*\))?$", "", summary)  # our own time is printed
    if proc.returncode:
        raise CheckFailed(f"tests exited {proc.returncode} ({summary}), log {here}/pytest.log:\n"
                          + tail(proc.stdout, 25))
    return f"tests {summary} in {took:.0f} s"


# --- first-install measurement ----------------------------------------------------------------

_UNITS = {"kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9, "bytes": 1.0}


def describe_download(log: str, venv: Path) -> str:
    """What a first install fetches: pip's 'Downloading NAME (SIZE)' lines, plus the files it took
    from a local mirror ('Processing /path/NAME.whl': a user without one downloads them), the
    packages fetched in more than one version (pip backtracking), and the venv's size on disk."""
    total, files = 0.0, 0
    versions: dict[str, set[str]] = {}
    remote = re.compile(r"Downloading (\S+?)(?:-(\d[^-]*))?-\S*[ \t]+\(([\d.]+) "
                        r"(kB|KB|MB|GB|bytes)\)")
    local = re.compile(r"^\s*Processing (/\S+\.(?:whl|tar\.gz|zip))")
    for line in log.splitlines():
        if found := remote.search(line):
            name, ver, size, unit = found.groups()
            total += float(size) * _UNITS[unit]
        elif (found := local.search(line)) and Path(found.group(1)).is_file():
            path = Path(found.group(1))
            if path.name.startswith("crowdveil-"):  # our own wheel, not a download
                continue
            name, _, rest = path.name.partition("-")
            ver = rest.split("-")[0] or None
            total += path.stat().st_size
        else:
            continue
        files += 1
        versions.setdefault(name.lower().replace("-", "_"), set()).add(ver or "?")
    backtracked = {n: len(v) for n, v in versions.items() if len(v) > 1}
    size = sum(f.stat().st_size for f in venv.rglob("*") if f.is_file() and not f.is_symlink())
    text = f"downloaded {total / 1e6:.0f} MB in {files} files"
    if backtracked:
        text += " (several versions: " + ", ".join(f"{n} x{c}" for n, c in
                                                    sorted(backtracked.items())) + ")"
    return text + f", venv {size / 1e6:.0f} MB"


# --- main ---------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", action="extend", nargs="+", metavar="X.Y",
                        help="Python versions to install into (--python 3.10 3.13, or repeated; "
                             "default: the one running this script)")
    parser.add_argument("--tests", action="store_true",
                        help="also run the test suite against the installed wheel")
    parser.add_argument("--measure", action="store_true",
                        help="install with an empty pip cache and report the download and the "
                             "venv size (slow: downloads everything)")
    parser.add_argument("--extras", default="", metavar="A,B",
                        help="install these extras too (e.g. gui, to measure the app's install)")
    parser.add_argument("--wheel", type=Path, help="check this wheel instead of building one")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--pytest-arg", action="append", default=[], metavar="ARG",
                        help="extra argument for pytest (repeatable)")
    args = parser.parse_args(argv)
    versions = args.python or [f"{sys.version_info[0]}.{sys.version_info[1]}"]

    work = Path(tempfile.mkdtemp(prefix="crowdveil-install-"))
    failed = False
    try:
        if args.wheel:
            wheel = args.wheel.resolve()
        else:
            started = time.monotonic()
            try:
                wheel = build_wheel(work)
            except CheckFailed as exc:
                print(f"FAIL wheel: {exc}", flush=True)
                return 1
            print(f"built {wheel.name} ({wheel.stat().st_size / 1e6:.1f} MB) in "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        problems = check_wheel(wheel)
        if problems:
            print("FAIL wheel contents: " + "; ".join(problems), flush=True)
            failed = True
        else:
            print("OK   wheel carries every module, model file and licence; no Python cap",
                  flush=True)
        for version in versions:
            result = check_python(version, wheel, work, tests=args.tests, measure=args.measure,
                                  pytest_args=args.pytest_arg,
                                  extras=[e for e in args.extras.split(",") if e])
            print(result.line(), flush=True)
            failed |= not result.ok
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
