"""scripts/build_app.py, the cheap parts: what the bundle would carry, its licence notices, and
the entry points it freezes. The full build (about 15 s plus a fresh venv) is run by hand:
`python scripts/build_app.py --out DIR` builds and then runs both executables under `env -i`."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

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
    # no network at run time: no TLS stack in the bundle
    assert {"ssl", "_ssl"} <= excluded
    assert {"numpy/*/tests", "PySide6/Qt/plugins/imageformats"} <= set(plan["left_out"])
    assert plan["strip"] == sys.platform.startswith("linux")


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


def touch(path: Path, data: bytes = b"") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_prune_leaves_out_tests_and_unused_plugins_but_not_what_runs(tmp_path: Path) -> None:
    target = tmp_path / "crowdveil"
    lib = target / "lib"
    so = ".cpython-311-x86_64-linux-gnu.so"
    kept = [touch(lib / p) for p in (
        f"numpy/_core/_multiarray_umath{so}", "numpy/_core/numeric.pyc",
        f"numpy/linalg/_umath_linalg{so}", "numpy/random/mtrand.pyc",
        "onnxruntime/capi/onnxruntime_pybind11_state.so", "onnxruntime/__init__.pyc",
        f"PIL/_imaging{so}", "PIL/Image.pyc", "PySide6/Qt/plugins/platforms/libqxcb.so",
        "PySide6/Qt/plugins/platforms/libqoffscreen.so",
        "PySide6/Qt/plugins/platforminputcontexts/libibusplatforminputcontextplugin.so",
        "crowdveil/models/centerface.onnx", "crowdveil/cli.pyc")]
    dropped = [touch(lib / p) for p in (
        "numpy/_core/tests/test_numeric.pyc", "numpy/linalg/tests/test_linalg.pyc",
        f"numpy/_core/_simd{so}", f"numpy/_core/_multiarray_tests{so}",
        f"numpy/_core/_umath_tests{so}", "numpy/_core/include/numpy/ndarrayobject.h",
        "numpy/__init__.pyi", "onnxruntime/transformers/machine_info.pyc",
        "onnxruntime/quantization/quantize.pyc", f"PIL/_imagingtk{so}",
        "PySide6/Qt/plugins/imageformats/libqjpeg.so",
        "PySide6/Qt/plugins/generic/libqevdevtouchplugin.so",
        "PySide6/Qt/plugins/platforms/libqeglfs.so", "cv2/data/haarcascade_frontalface.xml")]
    removed = set(build_app.prune(target))
    assert [p for p in kept if not p.exists()] == []
    assert [p for p in dropped if p.exists()] == []
    assert "lib/numpy/_core/tests" in removed and "lib/PySide6/Qt/plugins/imageformats" in removed


def first_load_header(data: bytes) -> int:
    """Offset of the first PT_LOAD program header of a little-endian ELF64 file."""
    (phoff,) = struct.unpack_from("<Q", data, 0x20)
    entsize, count = struct.unpack_from("<HH", data, 0x36)
    for i in range(count):
        if struct.unpack_from("<I", data, phoff + i * entsize)[0] == 1:
            return phoff + i * entsize
    raise AssertionError("no PT_LOAD segment")


def a_pillow_extension() -> Path:
    import PIL

    found = sorted(Path(PIL.__file__).parent.glob("_imagingmorph*.so"))
    assert found, "Pillow's _imagingmorph extension module"
    return found[0]


def needs_strip() -> None:
    if sys.platform != "linux" or sys.byteorder != "little":
        pytest.skip("the bundle is stripped on Linux only")
    if shutil.which("strip") is None:
        # binutils comes with any compiler; CI has it and must not skip
        if os.environ.get("CI"):
            pytest.fail("strip (binutils) not found")
        pytest.skip("needs strip from binutils")


def test_a_library_whose_segments_are_misaligned_is_seen_as_unloadable(tmp_path: Path) -> None:
    needs_strip()
    good = a_pillow_extension().read_bytes()
    assert build_app.load_segments_aligned(touch(tmp_path / "good.so", good))
    # what strip did to numpy's patchelf-grown OpenBLAS: a segment's file offset no longer
    # matches its address modulo the page size
    bad = bytearray(good)
    at = first_load_header(good) + 8
    (offset,) = struct.unpack_from("<Q", bad, at)
    struct.pack_into("<Q", bad, at, offset + 0x98)
    assert not build_app.load_segments_aligned(touch(tmp_path / "bad.so", bytes(bad)))
    assert not build_app.load_segments_aligned(touch(tmp_path / "text.so", b"not an ELF"))


def test_stripped_libraries_still_import_and_a_broken_strip_keeps_the_original(
    tmp_path: Path,
) -> None:
    needs_strip()
    source = a_pillow_extension()
    target = tmp_path / "crowdveil"
    module = touch(target / "lib" / source.name, source.read_bytes())
    touch(target / "lib" / "notes.txt", b"not an ELF file")
    saved, kept = build_app.strip_binaries(target)
    assert kept == [] and 0 < saved == source.stat().st_size - module.stat().st_size
    assert (target / "lib" / "notes.txt").read_bytes() == b"not an ELF file"
    load = ("import importlib.machinery as m, importlib.util as u, sys; "
            "spec = u.spec_from_file_location('_imagingmorph', sys.argv[1]); "
            "mod = u.module_from_spec(spec); spec.loader.exec_module(mod); "
            "print(callable(mod.apply))")
    ran = subprocess.run([sys.executable, "-c", load, str(module)], capture_output=True,
                         text=True, timeout=60)
    assert ran.stdout.strip() == "True", ran.stderr

    # a strip that writes a smaller file the loader would refuse: the original stays
    broken = touch(target / "lib" / "other" / source.name, source.read_bytes())
    fake = tmp_path / "bad-strip"
    fake.write_text(f"""#!{sys.executable}
import struct, sys
out, src = sys.argv[sys.argv.index("-o") + 1], sys.argv[-1]
data = bytearray(open(src, "rb").read()[:-64])
at = {first_load_header(source.read_bytes()) + 8}
struct.pack_into("<Q", data, at, struct.unpack_from("<Q", data, at)[0] + 0x98)
open(out, "wb").write(bytes(data))
""")
    fake.chmod(0o755)
    stripped_once = module.read_bytes()
    saved, kept = build_app.strip_binaries(target, strip=str(fake))
    assert saved == 0
    assert kept == [str(module.relative_to(target)), str(broken.relative_to(target))]
    assert broken.read_bytes() == source.read_bytes()
    assert module.read_bytes() == stripped_once
    assert not list(target.rglob("*.stripped"))


def needs_toolchain() -> None:
    """The encoder stand-ins are built on Linux with a C compiler and binutils."""
    if sys.platform != "linux":
        pytest.skip("the encoder stand-ins are built on Linux only")
    missing = [tool for tool in ("cc", "nm", "readelf") if shutil.which(tool) is None]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"not found: {', '.join(missing)}")
        pytest.skip(f"needs {', '.join(missing)}")


def compile_library(path: Path, source: str, *needed: Path) -> Path:
    """A shared library named (and with the SONAME) `path.name`, linked to `needed`, which it
    finds beside itself."""
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(path), f"-Wl,-soname,{path.name}",
                    "-Wl,-rpath,$ORIGIN", "-x", "c", "-", "-x", "none", *map(str, needed)],
                   input=source, text=True, check=True, capture_output=True)
    return path


def call_probe(library: Path) -> int:
    """probe() of `library`, in a fresh process (the loader resolves its needs there)."""
    ran = subprocess.run([sys.executable, "-c", "import ctypes, sys; "
                          "print(ctypes.CDLL(sys.argv[1]).probe())", str(library)],
                         capture_output=True, text=True, timeout=60)
    assert ran.returncode == 0, ran.stderr
    return int(ran.stdout)


def test_an_unused_encoder_becomes_a_stand_in_that_answers_not_available(
    tmp_path: Path,
) -> None:
    needs_toolchain()
    libs = tmp_path / "crowdveil" / "lib" / "av.libs"
    # an x265 whose API answers for every bit depth, and a library of its other symbols that
    # nothing imports
    x265 = compile_library(libs / "libx265-0123abcd.so.216",
                           "static int api[4];\n"
                           "void *x265_api_get_216(int depth) { return api; }\n"
                           "int x265_encoder_open(void) { return 1; }\n")
    codec = compile_library(libs / "libavcodec-0123abcd.so.62",
                            "void *x265_api_get_216(int);\n"
                            "long probe(void) { return x265_api_get_216(8) ? 2 : 1; }\n", x265)
    # an SVT-AV1 whose importer reads a variable: a function cannot stand in for it
    svt = compile_library(libs / "libSvtAv1Enc-0123abcd.so.4", "int svt_level = 7;\n")
    reader = compile_library(libs / "libreader.so", "extern int svt_level;\n"
                             "long probe(void) { return svt_level; }\n", svt)
    svt_bytes = svt.read_bytes()
    assert call_probe(codec) == 2

    replaced = build_app.stub_encoders(tmp_path / "crowdveil")

    assert replaced == [{"library": "lib/av.libs/libx265-0123abcd.so.216",
                         "bytes_before": replaced[0]["bytes_before"],
                         "symbols": ["x265_api_get_216"]}]
    assert build_app.is_stub(x265) and not build_app.is_stub(codec)
    assert call_probe(codec) == 1  # loads, and x265_api_get answers NULL: no encoder
    assert svt.read_bytes() == svt_bytes and call_probe(reader) == 7
    assert build_app.stub_encoders(tmp_path / "crowdveil") == []  # a stand-in stays one


def test_a_left_out_library_that_is_still_needed_is_named(tmp_path: Path) -> None:
    needs_toolchain()
    target = tmp_path / "crowdveil"
    used = compile_library(target / "lib" / "x.libs" / "libused-0123abcd.so.1",
                           "int used(void) { return 1; }\n")
    compile_library(target / "lib" / "x.libs" / "libuser.so",
                    "int used(void);\nint probe(void) { return used(); }\n", used)
    compile_library(target / "lib" / "x.libs" / "libspare.so", "int spare(void) { return 2; }\n")
    frozen = build_app.library_names(target)
    readelf = shutil.which("readelf")
    assert readelf
    (target / "lib" / "x.libs" / "libspare.so").unlink()  # nothing needs it
    assert build_app.broken_links(target, frozen, readelf) == []
    used.unlink()
    assert build_app.broken_links(target, frozen, readelf) == [
        "lib/x.libs/libuser.so needs libused-0123abcd.so.1"]


def test_identical_executables_become_one_file_counted_once(tmp_path: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("hard-linked on Linux only")
    target = tmp_path / "crowdveil"
    launcher = os.urandom(4096)
    cli = touch(target / "crowdveil", launcher)
    gui = touch(target / "crowdveil-gui", launcher)
    touch(target / "lib" / "other", b"x" * 100)
    assert build_app.folder_size(target) == 2 * 4096 + 100
    assert build_app.link_identical_executables(target)
    assert cli.stat().st_ino == gui.stat().st_ino and gui.read_bytes() == launcher
    assert build_app.folder_size(target) == 4096 + 100
    # different launchers stay two files
    other = tmp_path / "other"
    touch(other / "crowdveil", launcher)
    touch(other / "crowdveil-gui", launcher[::-1])
    assert not build_app.link_identical_executables(other)
    assert (other / "crowdveil").stat().st_ino != (other / "crowdveil-gui").stat().st_ino


def test_a_stand_in_is_named_in_the_licences_and_is_not_counted_as_gpl(tmp_path: Path) -> None:
    target = fake_bundle(tmp_path, x265=False)
    (target / "lib" / "av.libs").mkdir()
    touch(target / "lib" / "av.libs" / "libx265-0123abcd.so.216",
          b"\x7fELF" + build_app.STUB_MARK + b"libx265-0123abcd.so.216")
    summary = build_app.collect_licences(target)
    assert summary["gpl_libraries"] == []
    assert summary["stand_ins"] == ["lib/av.libs/libx265-0123abcd.so.216"]
    readme = (target / "licenses" / "README.txt").read_text()
    assert "Stand-ins, not the library their name says" in readme
    assert "lib/av.libs/libx265-0123abcd.so.216" in readme


ICU_ITEMS = [  # sorted, as ICU's binary search over the table of contents needs
    ("icudt73l/brkitr/line.brk", b"line rules"),
    ("icudt73l/brkitr/thaidict.dict", b"thai words" * 50),
    ("icudt73l/coll/de.res", b"german collation"),
    ("icudt73l/coll/fr_CA.res", b"canadian french collation"),
    ("icudt73l/coll/root.res", b"root collation"),
    ("icudt73l/coll/ucadata.icu", b"collation elements" * 3),
    ("icudt73l/en_US_POSIX.res", b"posix"),
    ("icudt73l/ibm-943_P15A-2003.cnv", b"shift-jis" * 40),
    ("icudt73l/pool.res", b"shared strings"),
    ("icudt73l/res_index.res", b"installed locales"),
    ("icudt73l/zh_Hant_TW.res", b"taiwan"),
]


def icu_header() -> bytes:
    """The 32-byte header of a little-endian ICU common-data package ("CmnD", version 1)."""
    return (struct.pack("<HBB", 32, 0xDA, 0x27) + struct.pack("<HHBBBB", 20, 0, 0, 0, 2, 0)
            + b"CmnD" + bytes([1, 0, 0, 0]) + bytes([73, 1, 0, 0]) + bytes(8))


def test_an_icu_package_is_read_back_as_written_and_keeps_only_usable_items() -> None:
    package = build_app.icu_package(icu_header(), ICU_ITEMS)
    header_size, items = build_app.icu_package_items(package)
    assert header_size == 32
    assert [name for name, _ in items] == [name for name, _ in ICU_ITEMS]
    for (_, blob), (_, original) in zip(items, ICU_ITEMS, strict=True):
        assert blob.rstrip(b"\0") == original  # each item padded to 16 bytes, nothing else
    kept = [name for name, _ in ICU_ITEMS if build_app.icu_item_kept(name, {"en", "fr"})]
    assert kept == ["icudt73l/brkitr/line.brk", "icudt73l/coll/fr_CA.res",
                    "icudt73l/coll/root.res", "icudt73l/coll/ucadata.icu",
                    "icudt73l/en_US_POSIX.res", "icudt73l/pool.res", "icudt73l/res_index.res"]
    with pytest.raises(ValueError):
        build_app.icu_package_items(b"\x20\x00\x00\x00" + package[4:])


def test_qts_icu_data_library_is_rebuilt_with_the_same_name_and_fewer_items(
    tmp_path: Path,
) -> None:
    needs_toolchain()
    package = build_app.icu_package(icu_header(), ICU_ITEMS)
    (tmp_path / "data.bin").write_bytes(package)
    library = tmp_path / "crowdveil" / "lib" / "PySide6" / "Qt" / "lib" / "libicudata.so.73"
    compile_library(library, '__asm__(".section .rodata\\n.globl icudt73_dat\\n'
                    '.type icudt73_dat, @object\\n.balign 16\\nicudt73_dat:\\n'
                    f'.incbin \\"{tmp_path / "data.bin"}\\"\\n'
                    '.size icudt73_dat, .-icudt73_dat\\n.text\\n");\n')
    readelf = shutil.which("readelf")
    assert readelf

    report = build_app.trim_icu_data(tmp_path / "crowdveil", {"en", "fr"})

    assert report is not None and (report["items"], report["items_before"]) == (7, 11)
    name, offset, size = build_app.icu_data_symbol(library, readelf) or ("", 0, 0)
    assert name == "icudt73_dat"
    _, items = build_app.icu_package_items(library.read_bytes()[offset:offset + size])
    assert [n for n, _ in items] == [n for n, _ in ICU_ITEMS
                                    if build_app.icu_item_kept(n, {"en", "fr"})]
    assert build_app.dynamic_entries(library, readelf)["SONAME"] == ["libicudata.so.73"]


def test_a_library_laid_out_for_2_mb_pages_loses_its_zeros_and_still_runs(
    tmp_path: Path,
) -> None:
    needs_toolchain()
    target = tmp_path / "crowdveil"
    library = target / "lib" / "libpadded.so"
    library.parent.mkdir(parents=True)
    # what auditwheel's patchelf and 2 MB-page links give: segments 2 MB apart in the file
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(library), "-Wl,-z,max-page-size=0x200000",
                    "-Wl,-z,separate-code", "-x", "c", "-"],
                   input="int value = 5;\nconst char text[] = \"kept\";\n"
                         "long probe(void) { return value * 10 + text[0] - 'k'; }\n",
                   text=True, check=True, capture_output=True)
    before = library.stat().st_size
    if before < 1_000_000:
        pytest.skip("this linker does not pad to 2 MB pages")
    assert call_probe(library) == 50
    touch(target / "notes.txt", b"\x7fELF is not here")

    saved, compacted = build_app.compact_binaries(target)

    assert compacted == ["lib/libpadded.so"] and saved == before - library.stat().st_size
    assert library.stat().st_size < 100_000
    assert build_app.load_segments_aligned(library)
    assert call_probe(library) == 50  # same code, same data
    readelf = shutil.which("readelf")
    assert readelf and subprocess.run([readelf, "-SW", str(library)], capture_output=True,
                                      text=True).stderr == ""
    assert build_app.compact_elf(library) == 0  # nothing left to take out
