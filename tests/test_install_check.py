"""What a user installs: every imported package declared, no Python cap, a wheel that is complete.

The end-to-end check (build the wheel, install it in a fresh venv per Python, clean the samples)
is scripts/check_install.py, run by .ci/run; here are the rules it and a plain `pip install` rely
on, and proof that its wheel check catches a wheel missing what the detector needs at load.
"""

from __future__ import annotations

import ast
import importlib.metadata as md
import importlib.util
import re
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "scripts" / "check_install.py"


def _script():
    if "check_install" in sys.modules:
        return sys.modules["check_install"]
    spec = importlib.util.spec_from_file_location("check_install", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["check_install"] = module  # dataclasses look their module up while defined
    spec.loader.exec_module(module)
    return module


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _imported_modules(text: str) -> set[str]:
    """Top-level names of a module's absolute imports, less the standard library and our own."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"crowdveil", "__future__"}


def _declared() -> tuple[set[str], set[str]]:
    """crowdveil's installed requirements: (always installed, installed by some extra)."""
    base: set[str] = set()
    extras: set[str] = set()
    for requirement in md.requires("crowdveil") or []:
        name = _normalise(re.match(r"[A-Za-z0-9._-]+", requirement).group(0))
        (extras if "extra ==" in requirement else base).add(name)
    return base, extras


def _providers() -> dict[str, set[str]]:
    """Top-level module -> the installed distributions that provide it.

    Python 3.10's packages_distributions() reads only top_level.txt, which wheels built by
    meson (numpy 2) do not have; the files each distribution installed say it on every Python."""
    found: dict[str, set[str]] = {}
    for dist in md.distributions():
        tops = set((dist.read_text("top_level.txt") or "").split())
        for file in dist.files or []:
            first = file.parts[0]
            if first != ".." and not first.endswith((".dist-info", ".egg-info", ".data")):
                tops.add(first.split(".")[0])
        for top in tops:
            found.setdefault(top, set()).add(dist.metadata["Name"])
    return found


def _package_source() -> Path:
    import crowdveil

    return Path(crowdveil.__file__).resolve().parent


@pytest.mark.parametrize("part", ["core", "gui"])
def test_every_package_the_code_imports_is_declared(part: str) -> None:
    """A package that arrives only through another one's dependencies (OpenCV through mediapipe)
    disappears when that one changes, and `import crowdveil` then fails on a user's machine."""
    source = _package_source()
    gui = source / "gui"
    modules: set[str] = set()
    for path in source.rglob("*.py"):
        if (gui in path.parents) == (part == "gui"):
            modules |= _imported_modules(path.read_text(encoding="utf-8"))
    base, extras = _declared()
    allowed = base if part == "core" else base | extras
    installed_by = _providers()
    undeclared = {}
    for module in sorted(modules):
        distributions = {_normalise(d) for d in installed_by.get(module, [])}
        if not distributions & allowed:
            undeclared[module] = sorted(distributions) or ["not installed"]
    assert undeclared == {}, (
        f"imported by crowdveil's {part} code but not declared in pyproject's "
        f"{'dependencies' if part == 'core' else 'dependencies or extras'} (module: the "
        f"distributions that provide it here; after editing pyproject, reinstall: pip install -e .)"
    )


def test_nothing_caps_the_python_version() -> None:
    """`pip install crowdveil` on a new Python must not be refused by our own metadata."""
    requires = md.metadata("crowdveil")["Requires-Python"] or ""
    assert "<" not in requires and "!=" not in requires, requires
    for requirement in md.requires("crowdveil") or []:
        assert "python_version <" not in requirement.replace('"', ""), requirement


# --- the wheel check of scripts/check_install.py --------------------------------------------


def _project(tmp_path: Path) -> Path:
    package = tmp_path / "src" / "crowdveil"
    (package / "models").mkdir(parents=True)
    (package / "detect").mkdir()
    (package / "__init__.py").write_text("")
    (package / "detect" / "__init__.py").write_text("")
    (package / "models" / "face.onnx").write_bytes(b"weights" * 100)
    (package / "models" / "LICENSE-face.txt").write_text("Apache-2.0")
    (package / "models" / "PROVENANCE.md").write_text("sha256 ...")
    (package / "gui" / "i18n").mkdir(parents=True)
    (package / "gui" / "i18n" / "de.qm").write_bytes(b"translations")
    (package / "gui" / "i18n" / "de.ts").write_text("<TS/>")  # source only: need not ship
    (tmp_path / "LICENSE").write_text("MIT")
    return package


def _wheel(tmp_path: Path, package: Path, *, leave_out: str = "", replace: bytes = b"",
           requires_python: str = ">=3.10") -> Path:
    wheel = tmp_path / "crowdveil-0.1.0-py3-none-any.whl"
    info = "crowdveil-0.1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path in sorted(package.rglob("*")):
            inside = "crowdveil/" + path.relative_to(package).as_posix()
            if path.is_file() and inside != leave_out and path.suffix != ".ts":
                data = replace if replace and inside.endswith(".onnx") else path.read_bytes()
                zf.writestr(inside, data)
        zf.writestr(f"{info}/METADATA", f"Name: crowdveil\nRequires-Python: {requires_python}\n")
        if leave_out != "LICENSE":
            zf.writestr(f"{info}/licenses/LICENSE", "MIT")
    return wheel


def test_a_complete_wheel_passes_the_check(tmp_path: Path) -> None:
    package = _project(tmp_path)
    assert _script().check_wheel(_wheel(tmp_path, package), package, ["LICENSE"]) == []


@pytest.mark.parametrize(("leave_out", "expected"), [
    ("crowdveil/models/face.onnx", "missing from the wheel: crowdveil/models/face.onnx"),
    ("crowdveil/models/PROVENANCE.md", "missing from the wheel: crowdveil/models/PROVENANCE.md"),
    ("crowdveil/models/LICENSE-face.txt", "missing from the wheel: crowdveil/models/LICENSE-f"),
    ("crowdveil/detect/__init__.py", "missing from the wheel: crowdveil/detect/__init__.py"),
    ("crowdveil/gui/i18n/de.qm", "missing from the wheel: crowdveil/gui/i18n/de.qm"),
    ("LICENSE", "licence file missing: crowdveil-0.1.0.dist-info/licenses/LICENSE"),
])
def test_the_check_names_what_a_wheel_lacks(tmp_path: Path, leave_out: str, expected: str) -> None:
    package = _project(tmp_path)
    problems = _script().check_wheel(_wheel(tmp_path, package, leave_out=leave_out), package,
                                     ["LICENSE"])
    assert len(problems) == 1 and problems[0].startswith(expected), problems


def test_the_check_refuses_other_weights_and_a_python_cap(tmp_path: Path) -> None:
    package = _project(tmp_path)
    wheel = _wheel(tmp_path, package, replace=b"other weights", requires_python="<3.13,>=3.10")
    problems = _script().check_wheel(wheel, package, ["LICENSE"])
    assert problems == [
        "differs from the source tree: crowdveil/models/face.onnx",
        "the wheel caps the Python version: Requires-Python: <3.13,>=3.10",
    ]


def test_find_python_takes_pyenvs_newest_patch_and_says_none_otherwise(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = _script()
    for version in ("3.99.1", "3.99.10", "3.99.2t", "3.98.0"):
        exe = tmp_path / "versions" / version / "bin" / "python3"
        exe.parent.mkdir(parents=True)
        major_minor = ".".join(version.split(".")[:2])
        exe.write_text(f"#!/bin/sh\necho {major_minor}\n")
        exe.chmod(0o755)
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert script.find_python("3.99") == tmp_path / "versions" / "3.99.10" / "bin" / "python3"
    assert script.find_python("3.97") is None
