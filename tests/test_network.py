"""crowdveil never touches the network: not the CLI, not its workers, not the GUI, no telemetry.

Python-level attempts are caught by an audit hook (it sees every socket, DNS lookup and URL
request made through Python, whichever library makes them) installed before crowdveil is
imported, in the test process and, through sitecustomize, in every subprocess and spawned
worker. Native telemetry (onnxruntime's, which starts at import and does its own DNS lookup) is
caught by what it leaves behind: its device id and event queue in the home folder.
"""

from __future__ import annotations

import functools
import importlib
import os
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from crowdveil import batch, cli

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
NET_EVENTS = ("socket.", "urllib.Request", "http.client.", "ftplib.", "smtplib.", "webbrowser.")

ATTEMPTS: list[str] = []
_recording = False


def _audit(event: str, args: tuple) -> None:
    if _recording and event.startswith(NET_EVENTS):
        ATTEMPTS.append(f"{event}{args!r}"[:200])
        raise RuntimeError(f"network access attempted: {event}")


sys.addaudithook(_audit)  # cannot be removed again; records only while a test asks it to

SITECUSTOMIZE = textwrap.dedent(f"""
    import sys, traceback

    def _audit(event, args):
        if event.startswith({NET_EVENTS!r}):
            with open({{log!r}}, "a") as fh:
                fh.write(event + repr(args)[:200] + "\\n")
                traceback.print_stack(file=fh)
            raise RuntimeError("network access attempted: " + event)

    sys.addaudithook(_audit)
""")


@pytest.fixture
def recording():
    global _recording
    ATTEMPTS.clear()
    _recording = True
    try:
        yield ATTEMPTS
    finally:
        _recording = False


CI_VARIABLES = {"CI", "CONTINUOUS_INTEGRATION", "BUILD_ID", "BUILD_NUMBER", "GITHUB_ACTIONS",
                "GITLAB_CI", "TF_BUILD", "JENKINS_URL", "TEAMCITY_VERSION", "RUN_ID"}


@pytest.fixture
def sandbox(tmp_path: Path) -> tuple[dict[str, str], Path, Path]:
    """Environment for a subprocess: an empty home, and the audit hook in every interpreter."""
    hook_dir, home, log = tmp_path / "hook", tmp_path / "home", tmp_path / "net.log"
    hook_dir.mkdir()
    home.mkdir()
    (hook_dir / "sitecustomize.py").write_text(SITECUSTOMIZE.format(log=str(log)))
    # onnxruntime keeps quiet by itself when it sees a CI variable (CI=true is set where our CI
    # runs): drop those too, so these tests watch what a user's laptop would do.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ORT_", "XDG_")) and k not in CI_VARIABLES}
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"),
               XDG_CONFIG_HOME=str(home / ".config"), QT_QPA_PLATFORM="offscreen",
               PYTHONPATH=os.pathsep.join([str(hook_dir), str(REPO / "src")]))
    return env, home, log


def _telemetry_traces(home: Path) -> list[str]:
    return sorted(str(p.relative_to(home)) for p in home.rglob("*")
                  if "microsoft" in str(p).lower() or "onnxruntime" in str(p).lower())


def test_the_audit_hook_does_see_a_connection_attempt(recording: list[str]) -> None:
    """The watchman works: a real DNS lookup is caught before it leaves the process."""
    import _socket

    with pytest.raises(RuntimeError):
        _socket.getaddrinfo("example.org", 80)  # below the conftest's monkeypatch
    assert recording and recording[0].startswith("socket.getaddrinfo")


def test_cli_in_process_with_the_real_detector_makes_no_network_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, recording: list[str]
) -> None:
    # workers in this process, so the hook watches detector, decoders and writers too
    monkeypatch.setattr(cli, "run", functools.partial(batch.run, isolate=False))
    code = cli.main([str(SAMPLES), "-o", str(tmp_path / "out"), "-q",
                     "--report", str(tmp_path / "r.json")])
    assert recording == []
    assert code == 0
    assert cli.main(["inspect", *map(str, sorted(SAMPLES.glob("*.jp*g")))]) == 0
    assert recording == []


def test_cli_subprocess_and_its_workers_make_no_network_call_and_no_telemetry(
    tmp_path: Path, sandbox: tuple[dict[str, str], Path, Path]
) -> None:
    env, home, log = sandbox
    proc = subprocess.run(
        [sys.executable, "-m", "crowdveil.cli", str(SAMPLES), "-o", str(tmp_path / "out"),
         "-j", "2"], env=env, capture_output=True, text=True, timeout=600,
    )
    assert not log.exists(), log.read_text()
    assert proc.returncode == 0, proc.stderr
    assert "6 cleaned" in proc.stderr or "cleaned" in proc.stderr
    assert _telemetry_traces(home) == []


def _gui_modules() -> list[str]:
    """Every module of crowdveil.gui (empty while the GUI does not exist yet)."""
    spec = importlib.util.find_spec("crowdveil.gui")
    if spec is None or not spec.submodule_search_locations:
        return []
    return ["crowdveil.gui"] + [
        f"crowdveil.gui.{m.name}" for m in pkgutil.iter_modules(spec.submodule_search_locations)]


def test_importing_the_gui_and_building_a_detector_makes_no_network_call(
    sandbox: tuple[dict[str, str], Path, Path]
) -> None:
    env, home, log = sandbox
    modules = _gui_modules() + ["crowdveil.detect"]
    script = "import importlib\n" + "".join(
        f"importlib.import_module({m!r})\n" for m in modules
    ) + "from crowdveil.detect import build_detector\nbuild_detector()\n"
    proc = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=600)
    assert not log.exists(), log.read_text()
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert _telemetry_traces(home) == []


def test_the_telemetry_check_does_see_onnxruntime_telemetry(
    sandbox: tuple[dict[str, str], Path, Path]
) -> None:
    """The other watchman works: onnxruntime left to its defaults leaves its telemetry store
    (and looks up its collector) on a bare import. This is what batch.py switches off.

    Releases built without that store (1.23, the newest for Python 3.10) leave nothing, so
    the watchman is checked against what the installed binaries carry."""
    env, home, _ = sandbox
    env = {k: v for k, v in env.items() if k != "PYTHONPATH"}  # no crowdveil, no hook
    subprocess.run([sys.executable, "-c", "import onnxruntime"], env=env, check=True,
                   capture_output=True, timeout=300)
    if _onnxruntime_has_a_telemetry_store():
        assert _telemetry_traces(home), "onnxruntime no longer writes telemetry by default?"
    else:
        assert _telemetry_traces(home) == []


def _onnxruntime_has_a_telemetry_store() -> bool:
    """Whether the installed onnxruntime's native code names the folder of its telemetry store
    (found without importing it here: that import would write to the real home folder)."""
    spec = importlib.util.find_spec("onnxruntime")
    assert spec is not None and spec.submodule_search_locations
    folder = Path(next(iter(spec.submodule_search_locations)))
    libraries = [p for p in folder.rglob("*") if p.is_file()
                 and (p.suffix in {".so", ".pyd", ".dll", ".dylib"} or ".so." in p.name)]
    assert libraries, f"no native library found in {folder}"
    return any(b"DeveloperTools" in p.read_bytes() for p in libraries)
