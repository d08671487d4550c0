"""scripts/build_app.py, the cheap parts: what the bundle would carry, its licence notices, and
the entry points it freezes. The full build (about 15 s plus a fresh venv) is run by hand:
`python scripts/build_app.py --out DIR` builds and then runs both executables under `env -i`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "build_app.py"
sys.path.insert(0, str(SCRIPT.parent))

import build_app  # noqa: E402


def test_plan_lists_both_executables_every_model_and_no_unused_qt() -> None:
    proc = subprocess.run([sys.executable, str(SCRIPT), "--out", "unused", "--plan"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    plan = json.loads(proc.stdout)
    exe = ".exe" if sys.platform == "win32" else ""
    assert plan["executables"] == [f"crowdveil{exe}", f"crowdveil-gui{exe}"]
    package = REPO / "src" / "crowdveil"
    # every model, and the licence and provenance of each, travels with the code
    models = {f"models/{p.name}" for p in (package / "models").iterdir()
              if p.suffix in (".onnx", ".txt", ".md")}
    assert models and models <= set(plan["data_files"])
    translations = {str(p.relative_to(package)) for p in package.rglob("*.qm")}
    assert translations <= set(plan["data_files"])
    excluded = set(plan["excluded_modules"])
    assert {"mediapipe", "tensorflow", "jax", "pytest"} <= excluded
    assert {"PySide6.QtQml", "PySide6.QtQuick", "PySide6.QtNetwork"} & excluded
    assert not {f"PySide6.{m}" for m in ("QtCore", "QtGui", "QtWidgets")} & excluded


def fake_bundle(tmp_path: Path, *, x265: bool) -> Path:
    """A bundle's lib folder holding the packages of this environment that crowdveil imports."""
    target = tmp_path / "crowdveil"
    lib = target / "lib"
    for name in ("crowdveil", "numpy", "PIL", "PySide6", "shiboken6", "onnxruntime"):
        (lib / name).mkdir(parents=True)
    if x265:
        (lib / "pillow_heif.libs").mkdir()
        (lib / "pillow_heif.libs" / "libx265-0123abcd.so.215").write_bytes(b"")
    return target


def test_licences_cover_every_component_python_qt_and_the_models(tmp_path: Path) -> None:
    target = fake_bundle(tmp_path, x265=False)
    summary = build_app.collect_licences(target)
    licences = target / "licenses"
    names = {c["name"].lower() for c in summary["components"]}
    assert {"crowdveil", "numpy", "pillow", "onnxruntime", "shiboken6"} <= names
    assert "pytest" not in names  # in this environment, but not in the bundle
    # each carried distribution with notices in its wheel has them copied
    for c in summary["components"]:
        folder = licences / f"{c['name']}-{c['version']}"
        assert sorted(p.name for p in folder.iterdir()) == c["files"], c
    own = next(c for c in summary["components"] if c["name"] == "crowdveil")
    assert "LICENSE" in own["files"]
    onnx = next(c for c in summary["components"] if c["name"].lower() == "onnxruntime")
    assert any("LICENSE" in f for f in onnx["files"])  # kept inside the package, not dist-info
    assert (licences / "Python-LICENSE.txt").read_text().count("PYTHON SOFTWARE FOUNDATION")
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (licences / "texts" / "LGPL-3.0.txt").read_text()
    for model_licence in (REPO / "src" / "crowdveil" / "models").glob("LICENSE-*"):
        assert (licences / "models" / model_licence.name).read_bytes() == \
            model_licence.read_bytes()
    readme = (licences / "README.txt").read_text()
    assert "LGPL-3.0" in readme and "MIT" in readme
    assert "GPL-3.0-or-later" not in readme


def test_a_gpl_library_inside_makes_the_whole_bundle_gpl(tmp_path: Path) -> None:
    target = fake_bundle(tmp_path, x265=True)
    summary = build_app.collect_licences(target)
    assert summary["gpl_libraries"] == ["libx265-0123abcd.so.215"]
    readme = (target / "licenses" / "README.txt").read_text()
    assert "distributed under GPL-3.0-or-later" in readme


def test_frozen_entry_points_run_crowdveil_not_themselves(tmp_path: Path) -> None:
    cli, gui = build_app.write_entries(tmp_path)
    env = {"PYTHONPATH": str(REPO / "src"), "QT_QPA_PLATFORM": "offscreen"}
    for script, prog in ((cli, "usage: crowdveil "), (gui, "usage: crowdveil-gui ")):
        proc = subprocess.run([sys.executable, str(script), "--help"], capture_output=True,
                              text=True, timeout=60, cwd=tmp_path, env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.startswith(prog), proc.stdout
