#!/usr/bin/env python3
"""Build the desktop app bundle: `DIR/crowdveil/` with Python, Qt and the models inside.

    python scripts/build_app.py --out DIR            # build, then test the bundle
    python scripts/build_app.py --out DIR --plan     # only say what would go in

Run it with the Python of an environment that has crowdveil[gui] and cx_Freeze installed
(`pip install '.[gui,app]'`); that Python and its packages are what the bundle carries. The
result runs on a machine with no Python:

    DIR/crowdveil/crowdveil        the command line (crowdveil.exe on Windows)
    DIR/crowdveil/crowdveil-gui    the window (crowdveil-gui.exe on Windows)
    DIR/crowdveil/lib/             Python, Qt, onnxruntime, the models: shared by both
    DIR/crowdveil/licenses/        the licence notice of everything inside, and README.txt
    DIR/crowdveil/samples/         the sample photos, to try it on

Why cx_Freeze: one folder with two executables over one shared lib directory is what it builds
by default (PyInstaller needs two analyses merged), and it carries the platform integration we
want: a macOS .app whose Info.plist declares the photo types (photos dropped on the icon open)
and a Windows MSI that registers "Open with crowdveil" for the photo types. Only the Linux build
has been built and tested; the Windows and macOS branches follow cx_Freeze's documented options.

Size: only what runs goes in. Left out after freezing: Qt modules, plugins and libraries the
window does not load, test suites, headers and tools inside the packages, Pillow's AVIF and
font support (RUNTIME_UNUSED), the TLS stack and OpenSSL's hashes. On Linux, the HEVC and AV1
encoders that the HEIC and video decoders link (x265 twice, SVT-AV1: 50 MB) are replaced by
stand-ins that answer "not available" (ENCODER_STUBS), Qt's ICU data keeps the locale data of
crowdveil's languages only (trim_icu_data: 32 -> 5.6 MB), every ELF file is stripped of its
symbol tables (a stripped copy that the loader would refuse is dropped and the original
kept), libraries laid out for 2 MB pages lose the megabytes of zeros between their segments
(compact_elf), and the two launchers, the same bytes, become one file under two names. The
build report gives the size after each step, and the build fails if a library left out is
still needed by one kept. What remains is loaded when crowdveil runs (checked with
LD_DEBUG=files): the largest parts are Qt, PyAV's FFmpeg, numpy with its OpenBLAS and
onnxruntime (OpenCV, with the FFmpeg, AV1 and OpenBLAS libraries its wheel linked in, was the
largest until issue 12 removed it).
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import importlib.util
import json
import platform
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
LICENCE_TEXTS = Path(__file__).resolve().parent / "app_licenses"
APP = "crowdveil"
WINDOWS = sys.platform == "win32"
MACOS = sys.platform == "darwin"
EXE = ".exe" if WINDOWS else ""

# The Qt modules the app imports; every other PySide6 module (QML, Quick, WebEngine,
# Multimedia, 3D, Network...) stays out, with the Qt libraries and plugins only they need.
QT_MODULES_USED = ("QtCore", "QtGui", "QtWidgets")
# Qt platform plugins worth carrying: X11 and Wayland desktops, and offscreen for headless
# checks. eglfs/linuxfb/vnc/vkkhrdisplay are for embedded screens and pull in extra Qt libraries.
QT_PLATFORMS_KEPT = ("xcb", "wayland", "wayland-egl", "offscreen", "minimal", "windows", "cocoa")
# Linux: X11 helper libraries Qt's xcb plugin links to that a desktop often lacks (Qt then names
# the wrong one: "xcb-cursor0 is needed"). They are carried beside Qt's own libraries, which look
# there first; libxcb itself and the X server's extensions stay the system's.
XCB_CARRIED = ("libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1",
               "libxcb-image.so.0", "libxcb-render-util.so.0", "libxcb-util.so.1",
               "libxkbcommon-x11.so.0")
# Never imported by crowdveil at run time: test and build tools, and mediapipe's heavy tree
# (the BlazeFace weights run from our own ONNX copy).
EXCLUDED_MODULES = (
    "tkinter", "unittest.mock", "pydoc_data", "lib2to3", "idlelib", "ensurepip", "venv",
    "pytest", "_pytest", "pytestqt", "hypothesis", "skimage", "scipy", "matplotlib",
    "mediapipe", "tensorflow", "jax", "jaxlib", "sounddevice", "IPython",
    "cx_Freeze", "PyInstaller", "setuptools", "pip", "wheel", "ruff", "onnx",
    # crowdveil never opens a network connection: no TLS stack (_ssl, libssl) and no CA
    # bundle (cx_Freeze's ssl hook adds share/certs.pem) travel with it
    "ssl", "_ssl",
    # OpenSSL's hashes (libcrypto, 6 MB): without _hashlib, hashlib and hmac use Python's
    # own SHA-2/SHA-1/MD5/BLAKE2 modules, which is all crowdveil (SHA-256, HMAC-SHA-256) and
    # multiprocessing (HMAC of its connection handshake) ask for
    "_hashlib",
)
# Files inside the packages that nothing loads when crowdveil runs (checked with LD_DEBUG=files
# on the samples and the window): test suites and their extension modules, C headers, type
# stubs, numpy's build helpers, onnxruntime's model-conversion tools, Pillow's Tk glue (tkinter
# is excluded), Qt's input drivers for embedded screens without a windowing system, and Qt's
# image-format plugins (the window draws numpy buffers; photos are decoded by Pillow).
# Glob patterns relative to the lib folder.
RUNTIME_UNUSED = (
    "numpy/tests", "numpy/*/tests", "numpy/*/*/tests", "numpy/_core/_simd.*",
    "numpy/_core/_*_tests.*", "numpy/_core/include", "numpy/_core/lib", "numpy/f2py",
    "numpy/distutils", "numpy/testing", "numpy/_pyinstaller", "numpy/conftest.*",
    "onnxruntime/tools", "onnxruntime/transformers", "onnxruntime/quantization",
    "onnxruntime/datasets", "onnxruntime/backend", "PIL/_imagingtk.*", "PIL/ImageTk.*",
    # AVIF (crowdveil does not read it: load.SUPPORTED_FORMATS; Pillow's plugin says
    # unsupported when _avif is missing) with libavif, and text drawing (ImageFont, never
    # imported) with FreeType and HarfBuzz
    "PIL/_avif.*", "pillow.libs/libavif-*", "PIL/_imagingft.*", "pillow.libs/libfreetype-*",
    "pillow.libs/libharfbuzz-*",
    "PySide6/Qt/plugins/generic", "PySide6/plugins/generic",
    "PySide6/Qt/plugins/imageformats", "PySide6/plugins/imageformats",
    "PySide6/include", "PySide6/typesystems", "PySide6/glue", "shiboken6/include",
    "**/*.pyi", "**/py.typed",
)

# Package data crowdveil needs at run time (models, their licences, translations).
DATA_SUFFIXES = (".onnx", ".txt", ".md", ".qm", ".mo", ".json", ".jpg")  # .jpg: int8 check
# The photo types the app opens, for the macOS document types and Windows associations.
PHOTO_TYPES = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "webp": "image/webp",
    "heic": "image/heic", "heif": "image/heif", "tif": "image/tiff", "tiff": "image/tiff",
}
LICENCE_NAME = re.compile(
    r"(?i)^(licen[cs]e|copying|notice|thirdpartynotices|third_party_notices|authors|"
    r"licenses?_bundled|license-3rd-party)")
# cx_Freeze ships its own launcher; its licence goes in too (it is in every executable).
BUILDER_DISTS = {"cx-freeze", "freeze-core"}


# --- what goes in ---------------------------------------------------------------------------
def crowdveil_package() -> Path:
    spec = importlib.util.find_spec("crowdveil")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("crowdveil is not importable: run this with the app's environment "
                         "(pip install '.[gui,app]')")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def data_files(package: Path) -> list[Path]:
    """Every non-code file crowdveil reads at run time (models, licences, translations)."""
    return sorted(p for p in package.rglob("*")
                  if p.is_file() and p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts)


def unused_qt_modules() -> list[str]:
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("PySide6 is not installed: pip install '.[gui]'")
    folder = Path(next(iter(spec.submodule_search_locations)))
    names = {p.name.split(".")[0] for p in folder.iterdir()
             if p.name.startswith("Qt") and p.suffix in (".so", ".pyd")}
    return sorted(f"PySide6.{n}" for n in names - set(QT_MODULES_USED))


def plan() -> dict[str, object]:
    package = crowdveil_package()
    return {
        "python": sys.version.split()[0],
        "platform": sys.platform,
        "executables": [f"{APP}{EXE}", f"{APP}-gui{EXE}"],
        "crowdveil": str(package),
        "data_files": [str(p.relative_to(package)) for p in data_files(package)],
        "qt_modules": list(QT_MODULES_USED),
        "excluded_modules": [*EXCLUDED_MODULES, *unused_qt_modules()],
        "left_out": list(RUNTIME_UNUSED),
        "strip": sys.platform.startswith("linux"),
        "licence_texts": sorted(p.name for p in LICENCE_TEXTS.glob("*.txt")),
    }


# --- the build ------------------------------------------------------------------------------
ENTRY = '''\
import multiprocessing
import multiprocessing.spawn
import sys

# Worker processes (spawn) and multiprocessing's resource tracker re-run this executable: hand
# them to multiprocessing before anything else, so they never parse our command line or open a
# window. (cx_Freeze also patches multiprocessing for this; PyInstaller patches freeze_support.)
if multiprocessing.spawn.is_forking(sys.argv):
    multiprocessing.spawn.freeze_support()
multiprocessing.freeze_support()

from {module} import main

sys.exit(main())
'''


def write_entries(folder: Path) -> tuple[Path, Path]:
    # not crowdveil.py: a script beside the build must not shadow the package
    cli, gui = folder / "main_cli.py", folder / "main_gui.py"
    cli.write_text(ENTRY.format(module="crowdveil.cli"))
    gui.write_text(ENTRY.format(module="crowdveil.gui.app"))
    return cli, gui


def build_cx_freeze(target: Path, work: Path) -> None:
    """Freeze both entry points into `target` (one lib folder), with platform extras."""
    try:
        import cx_Freeze
    except ImportError:
        raise SystemExit("cx_Freeze is not installed: pip install '.[app]'") from None
    from crowdveil import __version__

    cli, gui = write_entries(work)
    package = crowdveil_package()
    build_exe = {
        "build_exe": str(target),
        "packages": ["crowdveil"],
        "includes": [f"PySide6.{m}" for m in QT_MODULES_USED],
        "excludes": [*EXCLUDED_MODULES, *unused_qt_modules()],
        # package data lives beside the code, where crowdveil looks for it
        "include_files": [(str(p), str(Path("lib", "crowdveil", p.relative_to(package))))
                          for p in data_files(package)],
        "zip_exclude_packages": ["crowdveil"],
        "include_msvcr": WINDOWS,
        "optimize": 0,  # asserts stay: some checks in the pipeline are asserts
        "silent_level": 1,
    }
    executables = [
        cx_Freeze.Executable(str(cli), target_name=f"{APP}{EXE}", base="console"),
        cx_Freeze.Executable(str(gui), target_name=f"{APP}-gui{EXE}",
                             base="gui" if WINDOWS else "console"),
    ]
    commands = ["build_exe"]
    # the .app (macOS) and the .msi (Windows) are written beside DIR/crowdveil, not in the cwd
    options: dict[str, dict[str, object]] = {"build_exe": build_exe,
                                             "build": {"build_base": str(target.parent)}}
    if MACOS:
        commands.append("bdist_mac")
        options["bdist_mac"] = {
            "bundle_name": APP,
            "plist_items": [
                ("CFBundleIdentifier", "org.crowdveil.app"),
                ("CFBundleShortVersionString", __version__),
                # photos dropped on the icon arrive as open-document events
                ("CFBundleDocumentTypes", [{
                    "CFBundleTypeName": "Photo",
                    "CFBundleTypeRole": "Viewer",
                    "LSHandlerRank": "Alternate",
                    "LSItemContentTypes": ["public.jpeg", "public.png", "public.tiff",
                                           "public.heic", "public.heif", "org.webmproject.webp"],
                }]),
            ],
        }
    if WINDOWS:
        commands.append("bdist_msi")
        options["bdist_msi"] = {
            "upgrade_code": "{6A0B3C52-2B1E-4C4B-9C53-0C7A4B1C9E11}",
            "add_to_path": False,
            "dist_dir": str(target.parent),
            "extensions": [{"extension": ext, "verb": "open", "executable": f"{APP}-gui{EXE}",
                            "context": "Open with crowdveil", "argument": '"%1"', "mime": mime}
                           for ext, mime in PHOTO_TYPES.items()],
        }
    cx_Freeze.setup(name=APP, version=__version__, description="crowdveil",
                    executables=executables, options=options, script_args=commands)


# Qt plugin folders for embedded screens and for being a Wayland compositor ourselves.
QT_PLUGIN_DIRS_DROPPED = ("egldeviceintegrations", "wayland-graphics-integration-server")
# Qt libraries no part of the window needs: a plugin linking to one (SVG icons, the QML virtual
# keyboard, TUIO network touch, the SVG-drawn Adwaita title bar) goes, and the library with it.
# Photos are decoded by Pillow, never by Qt's image plugins.
QT_LIBS_UNWANTED = re.compile(r"^libQt6(Qml|Quick|Svg|Pdf|Network|VirtualKeyboard|WlShell)")


def needed_libraries(binary: Path, patchelf: str) -> set[str]:
    found = subprocess.run([patchelf, "--print-needed", str(binary)], capture_output=True,
                           text=True)
    return set(found.stdout.split()) if found.returncode == 0 else set()


def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def runtime_unused(lib: Path) -> list[Path]:
    """The files and folders under `lib` that match RUNTIME_UNUSED (outermost match only)."""
    found: set[Path] = set()
    for pattern in RUNTIME_UNUSED:
        found.update(p for p in lib.glob(pattern) if not p.is_symlink())
    return sorted(p for p in found if not any(parent in found for parent in p.parents))


def window_languages(lib: Path) -> set[str]:
    """The languages the window is translated into (its .qm catalogues), English aside."""
    return {m.group(1) for p in (lib / "crowdveil").rglob("crowdveil_*.qm")
            if (m := re.match(r"crowdveil_(\w+)\.qm$", p.name))}


def prune(target: Path) -> list[str]:
    """Leave out what nothing in crowdveil loads; returns what was removed.

    Qt: platform plugins for embedded screens, plugins needing left-out modules, translations
    other than qtbase for the languages crowdveil ships, then every Qt library no remaining
    binary links to. OpenCV's Haar cascades (unused) and onnxruntime's C-API library (the Python
    module carries its own copy of the runtime) go too.
    """
    removed: list[Path] = []
    lib = target / "lib"
    qt = lib / "PySide6" / "Qt"
    plugins = qt / "plugins"
    for folder in QT_PLUGIN_DIRS_DROPPED:
        if (plugins / folder).is_dir():
            removed.append(plugins / folder)
    for plugin in (plugins / "platforms").glob("*") if (plugins / "platforms").is_dir() else []:
        name = re.sub(r"^(lib)?q|\.(so|dll|dylib)$", "", plugin.name)
        if name not in QT_PLATFORMS_KEPT:
            removed.append(plugin)
    keep = {f"qtbase_{lang}.qm" for lang in window_languages(lib)}
    removed += [p for p in (qt / "translations").glob("*") if p.name not in keep]
    removed += [lib / "cv2" / "data", *(lib / "onnxruntime" / "capi").glob("libonnxruntime.so*")]
    removed += runtime_unused(lib)
    for path in removed:
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()
    patchelf = shutil.which("patchelf") or str(Path(sys.executable).parent / "patchelf")
    if sys.platform.startswith("linux") and Path(patchelf).exists() and (qt / "lib").is_dir():
        needs = {p: needed_libraries(p, patchelf) for p in target.rglob("*")
                 if p.is_file() and not p.is_symlink() and is_elf(p)}
        for p, libs in list(needs.items()):
            if p.is_relative_to(plugins) and any(QT_LIBS_UNWANTED.match(n) for n in libs):
                p.unlink()
                removed.append(p)
                del needs[p]
        while True:
            wanted = set().union(*needs.values())
            unused = [p for p in needs if p.parent == qt / "lib" and p.name not in wanted]
            if not unused:
                break
            for p in unused:
                p.unlink()
                removed.append(p)
                del needs[p]
    return [str(p.relative_to(target)) for p in removed]


# Encoders that come linked into decoders crowdveil uses, for formats it never writes (it
# writes JPEG, PNG, WebP, TIFF and H.264 with libx264): pillow-heif's libheif links x265 (HEIC
# encoding), PyAV's libavcodec links x265 and SVT-AV1 (HEVC and AV1 encoding). Linux: each is
# replaced by a library of the same name whose functions answer "not available", the answer
# the callers already handle: x265_api_get returns NULL, as from an x265 built without that
# bit depth (libheif then lists the encoder as "x265 HEVC encoder (null)" and refuses to
# encode; FFmpeg's libx265 fails to open), and SVT-AV1's calls return
# EB_ErrorInsufficientResources (FFmpeg's libsvtav1 fails to open). Value: the C expression
# each stand-in function returns.
ENCODER_STUBS = {"libx265": "0", "libSvtAv1Enc": "(long)(int)0x80001000"}
STUB_MARK = b"crowdveil stand-in for "


def is_stub(path: Path) -> bool:
    """Whether `path` is one of the stand-in libraries stub_encoders wrote."""
    return path.is_file() and path.stat().st_size < 1_000_000 and STUB_MARK in path.read_bytes()


def dynamic_symbols(path: Path, nm: str, defined: bool) -> dict[str, str]:
    """The dynamic symbols `path` defines (or needs): name -> nm's type letter."""
    found = subprocess.run([nm, "-D", "--defined-only" if defined else "--undefined-only",
                            str(path)], capture_output=True, text=True)
    symbols = {}
    for line in found.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2:
            symbols[fields[-1]] = fields[-2]
    return symbols


def dynamic_entries(path: Path, readelf: str) -> dict[str, list[str]]:
    """An ELF file's NEEDED and SONAME entries, as readelf (binutils) prints them."""
    found = subprocess.run([readelf, "-dW", str(path)], capture_output=True, text=True)
    entries: dict[str, list[str]] = {"NEEDED": [], "SONAME": []}
    for kind, value in re.findall(r"\((NEEDED|SONAME)\)\s+.*?\[(.+?)\]", found.stdout):
        entries[kind].append(value)
    return entries


def stub_encoders(target: Path, cc: str | None = None) -> list[dict[str, object]]:
    """Linux: replace each ENCODER_STUBS library in the bundle by a stand-in (see there).

    The stand-in defines exactly the symbols the bundle's other libraries import from the
    original, as functions; a library whose imports include data or versioned symbols is left
    as it is (a stand-in could not satisfy the loader). Returns what was replaced.
    """
    cc = cc or shutil.which("cc") or shutil.which("gcc")
    nm, readelf = shutil.which("nm"), shutil.which("readelf")
    if not sys.platform.startswith("linux") or cc is None or nm is None or readelf is None:
        if sys.platform.startswith("linux"):
            print("warning: no C compiler or binutils: encoder libraries kept", file=sys.stderr)
        return []
    elves = [p for p in target.rglob("*") if p.is_file() and not p.is_symlink() and is_elf(p)]
    replaced: list[dict[str, object]] = []
    needs: dict[Path, list[str]] = {}
    for lib in elves:
        ret = ENCODER_STUBS.get(re.split(r"[-.]", lib.name)[0])
        if ret is None or is_stub(lib):
            continue
        sonames = dynamic_entries(lib, readelf)["SONAME"]
        if not sonames:
            continue
        soname = sonames[0]
        if not needs:
            needs = {p: dynamic_entries(p, readelf)["NEEDED"] for p in elves}
        # nm writes a versioned symbol as name@VERSION (name@@VERSION where defined)
        defined = {name.split("@")[0]: kind
                   for name, kind in dynamic_symbols(lib, nm, defined=True).items()}
        wanted: set[str] = set()
        for other in elves:
            if other != lib and soname in needs[other]:
                wanted |= {name for name in dynamic_symbols(other, nm, defined=False)
                           if name.split("@")[0] in defined}
        if any("@" in name or defined[name] not in ("T", "W", "i") for name in wanted):
            print(f"warning: {lib.name} kept: its importers need data or versioned symbols",
                  file=sys.stderr)
            continue
        source = "".join(f"long {name}(void) {{ return {ret}; }}\n" for name in sorted(wanted))
        note = (STUB_MARK.decode() + f"{lib.name}, built by crowdveil's scripts/build_app.py: "
                "crowdveil never encodes with it")
        source += f'__attribute__((used)) static const char crowdveil_stub[] = "{note}";\n'
        with tempfile.TemporaryDirectory() as work:
            c_file, built = Path(work) / "stub.c", Path(work) / lib.name
            c_file.write_text(source)
            done = subprocess.run([cc, "-shared", "-fPIC", "-O2", f"-Wl,-soname,{soname}",
                                   "-o", str(built), str(c_file)], capture_output=True,
                                  text=True)
            if done.returncode != 0:
                print(f"warning: {lib.name} kept: {done.stderr.strip()}", file=sys.stderr)
                continue
            before = lib.stat().st_size
            shutil.copymode(lib, built)
            shutil.move(str(built), str(lib))
        replaced.append({"library": str(lib.relative_to(target)), "bytes_before": before,
                         "symbols": sorted(wanted)})
    return replaced


# Qt's ICU data, libicudata.so.NN (32 MB): one exported symbol, icudtNN_dat, holding an ICU
# common-data package (a header, a sorted table of contents of named items, the items). Qt
# reads collation from it (QCollator: the file dialogs sort names with it) and, if ever asked,
# normalisation, break rules, converter aliases and time-zone data. Linux: the library is
# rebuilt keeping every item except locale data for languages crowdveil has no translation
# for (ICU falls back to the root locale for those: its documented behaviour for any locale it
# lacks), character-set converters (*.cnv: crowdveil's text is UTF-8) and the word
# dictionaries of Thai, Khmer, Lao, Burmese and CJK line breaking (*.dict).
ICU_LOCALE = re.compile(r"^[a-z]{2,3}(_[A-Z][a-z]{3})?(_(?:[A-Z]{2}|[0-9]{3}))?(_[A-Z]+)?$")
ICU_DROPPED_KINDS = ("cnv", "dict")


def icu_item_kept(name: str, languages: set[str]) -> bool:
    """Whether a package item (e.g. 'icudt73l/coll/fr_CA.res') stays in the trimmed data."""
    leaf = name.rsplit("/", 1)[-1]
    stem, _, kind = leaf.rpartition(".")
    if kind in ICU_DROPPED_KINDS:
        return False
    if kind == "res" and ICU_LOCALE.match(stem):
        return stem.split("_")[0] in languages
    return True  # root, pools, indexes, supplemental data, collation/normalisation tables...


def icu_package_items(package: bytes) -> tuple[int, list[tuple[str, bytes]]]:
    """(header size, [(name, bytes)]) of a little-endian ICU common-data package."""
    header_size = struct.unpack_from("<H", package, 0)[0]
    # magic 0xda27, then UDataInfo: little-endian flag at +8, data format "CmnD" at +12
    if package[2:4] != b"\xda\x27" or package[8] != 0 or package[12:16] != b"CmnD":
        raise ValueError("not a little-endian ICU common-data package")
    (count,) = struct.unpack_from("<I", package, header_size)
    entries = [struct.unpack_from("<II", package, header_size + 4 + 8 * i) for i in range(count)]
    starts = [header_size + data for _, data in entries] + [len(package)]
    items = []
    for i, (name_at, _) in enumerate(entries):
        name_start = header_size + name_at
        name = package[name_start:package.index(b"\0", name_start)].decode("ascii")
        items.append((name, package[starts[i]:starts[i + 1]]))
    return header_size, items


def icu_package(header: bytes, items: list[tuple[str, bytes]]) -> bytes:
    """An ICU common-data package of `items` (in the given, sorted, order), each 16-aligned."""
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    toc_size = 4 + 8 * len(items)
    at = -(-(toc_size + len(names)) // 16) * 16  # offsets count from the table's start
    entries, blobs, name_at = [], [], toc_size
    for name, blob in items:
        entries.append(struct.pack("<II", name_at, at))
        name_at += len(name) + 1
        padded = blob + b"\0" * (-len(blob) % 16)
        blobs.append(padded)
        at += len(padded)
    table = struct.pack("<I", len(items)) + b"".join(entries) + names
    table += b"\0" * (-len(table) % 16)
    return header + table + b"".join(blobs)


def icu_data_symbol(library: Path, readelf: str) -> tuple[str, int, int] | None:
    """(name, file offset, size) of the icudtNN_dat symbol in Qt's ICU data library."""
    symbols = subprocess.run([readelf, "-sW", str(library)], capture_output=True, text=True)
    # readelf writes a large size in hex (0x1e8bb80), a small one in decimal
    found = re.search(r"([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+OBJECT\s+GLOBAL\s+\S+\s+(\d+)\s+"
                      r"(icudt\d+_dat)\b", symbols.stdout)
    if found is None:
        return None
    address, size, section = int(found.group(1), 16), int(found.group(2), 0), int(found.group(3))
    sections = subprocess.run([readelf, "-SW", str(library)], capture_output=True, text=True)
    for line in sections.stdout.splitlines():
        fields = re.match(r"\s*\[\s*(\d+)\]\s+\S+\s+\S+\s+([0-9a-f]+)\s+([0-9a-f]+)", line)
        if fields and int(fields.group(1)) == section:
            start, at = int(fields.group(2), 16), int(fields.group(3), 16)
            return found.group(4), address - start + at, size
    return None


def trim_icu_data(target: Path, languages: set[str], cc: str | None = None
                  ) -> dict[str, object] | None:
    """Linux: rebuild Qt's libicudata with only what crowdveil can use (see ICU_LOCALE)."""
    cc = cc or shutil.which("cc") or shutil.which("gcc")
    readelf = shutil.which("readelf")
    found = sorted((target / "lib" / "PySide6" / "Qt" / "lib").glob("libicudata.so.*"))
    if not sys.platform.startswith("linux") or cc is None or readelf is None or not found:
        return None
    library = found[0]
    symbol = icu_data_symbol(library, readelf)
    if symbol is None:
        print(f"warning: {library.name} kept: no icudtNN_dat symbol", file=sys.stderr)
        return None
    name, offset, size = symbol
    package = library.read_bytes()[offset:offset + size]
    header_size, items = icu_package_items(package)
    kept = [(item, blob) for item, blob in items if icu_item_kept(item, languages)]
    trimmed = icu_package(package[:header_size], kept)
    with tempfile.TemporaryDirectory() as work:
        (Path(work) / "icudata.dat").write_bytes(trimmed)
        (Path(work) / "icudata.S").write_text(
            f"\t.section .rodata\n\t.globl {name}\n\t.type {name}, @object\n\t.balign 16\n"
            f"{name}:\n\t.incbin \"icudata.dat\"\n\t.size {name}, .-{name}\n"
            "\t.section .note.GNU-stack,\"\",@progbits\n")
        built = Path(work) / library.name
        done = subprocess.run([cc, "-shared", "-o", str(built), f"-Wl,-soname,{library.name}",
                               "icudata.S"], cwd=work, capture_output=True, text=True)
        rebuilt = icu_data_symbol(built, readelf) if done.returncode == 0 else None
        if rebuilt is None or built.read_bytes()[rebuilt[1]:rebuilt[1] + rebuilt[2]] != trimmed:
            print(f"warning: {library.name} kept: {done.stderr.strip()}", file=sys.stderr)
            return None
        before = library.stat().st_size
        shutil.copymode(library, built)
        shutil.move(str(built), str(library))
    return {"library": str(library.relative_to(target)), "bytes_before": before,
            "bytes_after": library.stat().st_size, "items": len(kept), "items_before": len(items)}


def load_segments_aligned(path: Path) -> bool:
    """Whether the dynamic linker can map this ELF file: each PT_LOAD segment's file offset
    and address agree modulo its alignment and the page size.

    `strip` rewrites a file that auditwheel's patchelf has already grown (a moved dynamic
    string table, an extra segment) without keeping that rule, and the result fails to load
    with "ELF load command address/offset not page-aligned" (numpy's OpenBLAS did).
    """
    data = path.read_bytes()
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return False
    wide, order = data[4] == 2, "<" if data[5] == 1 else ">"
    # e_phoff, then e_phentsize and e_phnum, at their ELF64 / ELF32 header offsets
    (phoff,) = struct.unpack_from(order + ("Q" if wide else "I"), data, 0x20 if wide else 0x1C)
    phentsize, phnum = struct.unpack_from(order + "HH", data, 0x36 if wide else 0x2A)
    header = order + ("IIQQQQQQ" if wide else "IIIIIIII")
    for i in range(phnum):
        at = phoff + i * phentsize
        if at + struct.calcsize(header) > len(data):
            return False
        fields = struct.unpack_from(header, data, at)
        # 64-bit: type, flags, offset, vaddr, ...; 32-bit: type, offset, vaddr, ..., flags, align
        kind, offset, vaddr, align = ((fields[0], fields[2], fields[3], fields[7]) if wide else
                                      (fields[0], fields[1], fields[2], fields[7]))
        if kind == 1 and ((vaddr - offset) % max(align, 1) or (vaddr - offset) % 4096):
            return False
    return True


PAGE = 4096


def compact_elf(path: Path) -> int:
    """Cut the runs of zero bytes between the loadable segments of a little-endian ELF64 file;
    returns the bytes saved (0: left as it was).

    A library linked (or patched by auditwheel's patchelf) for 2 MB pages keeps each segment
    at a file offset equal to its address modulo 2 MB: a 20 KB libuuid takes 2 MB on disk. The
    loader needs only the 4 KB page rule (offset = address modulo 4096), so whole pages of
    zeros that no section or segment uses are taken out, every file offset past them moves
    back by the same multiple of 4096, and a segment whose offset no longer agrees with its
    2 MB alignment gets 4096 as its alignment. Addresses do not change, so the code and its
    relocations are untouched.
    """
    data = bytearray(path.read_bytes())
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        return 0
    saved = 0
    while True:
        phoff, shoff = struct.unpack_from("<QQ", data, 0x20)
        phentsize, phnum, shentsize, shnum = struct.unpack_from("<HHHH", data, 0x36)
        program = [(phoff + i * phentsize,
                    *struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize))
                   for i in range(phnum)]
        sections = [(shoff + i * shentsize,
                     *struct.unpack_from("<IIQQQQ", data, shoff + i * shentsize))
                    for i in range(shnum)] if shoff else []
        used = [(h[3], h[3] + h[6]) for h in program if h[6]]
        used += [(s[5], s[5] + s[6]) for s in sections if s[2] != 8 and s[6]]  # 8: NOBITS
        used += [(phoff, phoff + phentsize * phnum), (shoff, shoff + shentsize * shnum), (0, 64)]
        cut = None
        for start in sorted(h[3] for h in program if h[1] == 1 and h[3]):
            # the free bytes just below a segment: past the end of everything that starts
            # before it (sections outside any segment, such as .shstrtab, included)
            below = max(end for begin, end in used if begin < start)
            if below >= start:
                continue
            # and past any stale bytes there (patchelf leaves old tables behind)
            below += len(bytes(data[below:start]).rstrip(b"\0"))
            size = (start - below) // PAGE * PAGE
            at = start - size
            if size >= 16 * PAGE:
                cut = (at, size)
                break
        if cut is None:
            break
        at, size = cut
        del data[at:at + size]
        saved += size
        phoff, shoff = _moved(phoff, at, size), _moved(shoff, at, size)
        struct.pack_into("<QQ", data, 0x20, phoff, shoff)
        for i, (_, kind, _, offset, vaddr, *_rest, align) in enumerate(program):
            header = phoff + i * phentsize
            new = _moved(offset, at, size)
            struct.pack_into("<Q", data, header + 8, new)
            if kind == 1 and align > PAGE and (vaddr - new) % align:
                struct.pack_into("<Q", data, header + 48, PAGE)
        for i, section in enumerate(sections):
            struct.pack_into("<Q", data, shoff + i * shentsize + 24,
                             _moved(section[5], at, size))
    if saved:
        path.write_bytes(bytes(data))
    return saved


def _moved(offset: int, at: int, size: int) -> int:
    """A file offset after `size` bytes at `at` were taken out."""
    return offset - size if offset >= at + size else offset


def compact_binaries(target: Path) -> tuple[int, list[str]]:
    """Linux: compact_elf every ELF file of the bundle; a result that the loader would refuse
    (load_segments_aligned) is dropped and the original kept. Returns the bytes saved and the
    files compacted."""
    if not sys.platform.startswith("linux"):
        return 0, []
    saved, done = 0, []
    for path in sorted(target.rglob("*")):
        if path.is_symlink() or not path.is_file() or not is_elf(path):
            continue
        original = path.read_bytes()
        cut = compact_elf(path)
        if cut and not load_segments_aligned(path):
            path.write_bytes(original)
        elif cut:
            saved += cut
            done.append(str(path.relative_to(target)))
    return saved, done


def strip_binaries(target: Path, strip: str | None = None) -> tuple[int, list[str]]:
    """Linux: drop symbol tables and debug sections from every ELF file in the bundle.

    The dynamic symbols the linker and Python's import use stay (--strip-unneeded), so the code
    that runs is the same; a stripped copy that would no longer load is thrown away and the
    original kept. Returns the bytes saved and the files kept unstripped for that reason.
    Not on macOS (stripping breaks code signatures) or Windows (no ELF; PE files carry no
    symbol tables to speak of).
    """
    strip = strip or shutil.which("strip")
    if not sys.platform.startswith("linux") or strip is None:
        return 0, []
    saved, kept = 0, []
    for path in sorted(target.rglob("*")):
        if path.is_symlink() or not path.is_file() or not is_elf(path):
            continue
        stripped = path.with_name(path.name + ".stripped")
        done = subprocess.run([strip, "--strip-unneeded", "-o", str(stripped), str(path)],
                              capture_output=True)
        before = path.stat().st_size
        if (done.returncode == 0 and stripped.stat().st_size < before
                and load_segments_aligned(stripped)):
            shutil.copymode(path, stripped)
            stripped.replace(path)
            saved += before - path.stat().st_size
        else:
            if done.returncode == 0 and stripped.stat().st_size < before:
                kept.append(str(path.relative_to(target)))
            stripped.unlink(missing_ok=True)
    return saved, kept


# --- licences -------------------------------------------------------------------------------
def top_level_names(dist: metadata.Distribution) -> set[str]:
    text = dist.read_text("top_level.txt")
    names = set(text.split()) if text else set()
    for f in dist.files or []:
        first = f.parts[0]
        if first.endswith((".dist-info", ".data")) or first == "..":
            continue
        names.add(first.split(".")[0])
    return names


def names_in_bundle(target: Path) -> set[str]:
    names = set()
    lib = target / "lib"
    for p in lib.iterdir() if lib.is_dir() else []:
        names.add(p.name.split(".")[0])
    for archive in lib.glob("*.zip"):
        with zipfile.ZipFile(archive) as z:
            names.update(n.split("/")[0].split(".")[0] for n in z.namelist())
    return names


def dist_licence(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return expression
    short = (meta.get("License") or "").strip()
    if short and "\n" not in short and len(short) < 120:
        return short
    classifiers = [c.split(" :: ")[-1] for c in meta.get_all("Classifier") or []
                   if c.startswith("License ::")]
    return "; ".join(classifiers) or "see the files"


def copy_licence_files(dist: metadata.Distribution, dest: Path) -> list[str]:
    copied = []
    for f in dist.files or []:
        if not LICENCE_NAME.match(f.name) or f.suffix in (".py", ".pyc"):
            continue
        source = Path(str(f.locate()))
        if source.is_file():
            rel = f.name if ".dist-info" in f.parts[0] else "_".join(f.parts[-2:])
            shutil.copy2(source, dest / rel)
            copied.append(rel)
    return sorted(set(copied))


def python_licence() -> Path | None:
    base = Path(sys.base_prefix)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    for candidate in (base / "lib" / version / "LICENSE.txt", base / "LICENSE.txt",
                      base / "Lib" / "LICENSE.txt"):
        if candidate.is_file():
            return candidate
    return None


def system_library(soname: str) -> Path | None:
    """Where the dynamic linker finds `soname` for this machine's architecture."""
    ldconfig = shutil.which("ldconfig") or "/sbin/ldconfig"
    found = subprocess.run([ldconfig, "-p"], capture_output=True, text=True)
    # ldconfig tags 64-bit x86 libraries "x86-64" and ARM ones "AArch64"
    arch = {"x86_64": "x86-64", "aarch64": "AArch64"}.get(platform.machine(), "")
    for line in found.stdout.splitlines():
        name, _, path = line.strip().partition(" => ")
        if name.split(" ")[0] == soname and arch in name:
            return Path(path)
    return None


def carry_xcb(target: Path) -> list[Path]:
    """Copy the X11 helper libraries Qt needs into the bundle's Qt library folder (Linux)."""
    qt_lib = target / "lib" / "PySide6" / "Qt" / "lib"
    if not sys.platform.startswith("linux") or not qt_lib.is_dir():
        return []
    carried, missing = [], []
    for soname in XCB_CARRIED:
        source = system_library(soname)
        if source is None:
            missing.append(soname)
            continue
        shutil.copy2(source.resolve(), qt_lib / soname)
        carried.append(source)
    if missing:
        print("warning: not on this build machine, so not carried (users then need them): "
              + ", ".join(missing), file=sys.stderr)
    return carried


def system_library_notices(libraries: list[Path], dest: Path) -> list[str]:
    """Linux: the distribution's copyright file of each system library carried in."""
    if shutil.which("dpkg") is None:
        return [f"{lib.name}: from {lib}" for lib in libraries]
    notes = []
    for lib in libraries:
        found = subprocess.run(["dpkg", "-S", str(lib.resolve())], capture_output=True,
                               text=True)
        if found.returncode != 0:  # merged /usr: dpkg knows the /lib spelling
            found = subprocess.run(["dpkg", "-S", str(lib)], capture_output=True, text=True)
        package = found.stdout.split(":")[0].strip()
        copyright_file = Path("/usr/share/doc") / package / "copyright"
        if package and copyright_file.is_file():
            (dest / "system").mkdir(exist_ok=True)
            shutil.copy2(copyright_file, dest / "system" / f"{package}.copyright")
        notes.append(f"{lib.name}: Debian package {package or '(unknown)'}")
    return notes


def collect_licences(target: Path, system_libraries: list[Path] | None = None
                     ) -> dict[str, object]:
    """licenses/ in the bundle: every carried distribution's notices, Python's, Qt's, models'."""
    dest = target / "licenses"
    dest.mkdir(exist_ok=True)
    present = names_in_bundle(target)
    components = []
    seen: set[str] = set()
    # the first of a name on sys.path is the one Python imports (a source tree's egg-info may
    # follow an installed dist-info)
    for dist in metadata.distributions():
        name = dist.metadata["Name"]
        key = re.sub(r"[-_.]+", "-", name).lower()
        if key in seen or (key not in BUILDER_DISTS and not (top_level_names(dist) & present)):
            continue
        seen.add(key)
        folder = dest / f"{name}-{dist.version}"
        folder.mkdir(exist_ok=True)
        files = copy_licence_files(dist, folder)
        components.append({"name": name, "version": dist.version,
                           "licence": dist_licence(dist), "files": files})
    # Texts the wheels refer to but do not carry (Qt and PySide6 are LGPL-3.0, offered
    # alternatively under GPL; FFmpeg and libheif are LGPL; x264 in PyAV is GPL-2.0+).
    texts = dest / "texts"
    texts.mkdir(exist_ok=True)
    for text in LICENCE_TEXTS.glob("*.txt"):
        shutil.copy2(text, texts / text.name)
    psf = python_licence()
    if psf is not None:
        shutil.copy2(psf, dest / "Python-LICENSE.txt")
    models = crowdveil_package() / "models"
    (dest / "models").mkdir(exist_ok=True)
    for f in models.iterdir():
        if f.suffix in (".txt", ".md"):
            shutil.copy2(f, dest / "models" / f.name)
    system = system_library_notices(system_libraries or [], dest)
    gpl = sorted(p.name for p in target.rglob("*")
                 if re.match(r"libx26[45]", p.name) and not is_stub(p))
    stubs = sorted(str(p.relative_to(target)) for p in target.rglob("lib*") if is_stub(p))
    summary = {"components": components, "python": psf is not None,
               "system_libraries": system, "gpl_libraries": gpl, "stand_ins": stubs}
    components.sort(key=lambda c: c["name"].lower())
    (dest / "components.json").write_text(json.dumps(summary, indent=2))
    write_licence_readme(dest, summary)
    return summary


def write_licence_readme(dest: Path, summary: dict) -> None:
    gpl = summary["gpl_libraries"]
    whole = ("GPL-3.0-or-later: it contains GPL-2.0-or-later code (the H.264/HEVC encoders "
             f"that PyAV's FFmpeg links: {', '.join(gpl)}), so the combination is conveyed "
             "under the GPL, version 3 or later (texts/GPL-3.0.txt)." if gpl else
             "MIT for crowdveil's own code (crowdveil-*/LICENSE); every other component is "
             "distributed under its own licence, listed below.")
    lines = [
        "crowdveil desktop app: licences of everything in this folder",
        "",
        f"The bundle as a whole is distributed under {whole}",
        "crowdveil's own code is MIT. Each component below keeps its own licence; its notices "
        "are in the folder named after it.",
        "Qt 6 and PySide6/shiboken6 are used under the LGPL-3.0 (texts/LGPL-3.0.txt with "
        "texts/GPL-3.0.txt). They are separate shared libraries in lib/: you may replace them "
        "with your own build of the same version. Sources: https://download.qt.io/ and "
        "https://code.qt.io/cgit/pyside/pyside-setup.git/. Qt's third-party parts are listed "
        "at https://doc.qt.io/qt-6/licenses-used-in-qt.html.",
        "Python: PSF licence (Python-LICENSE.txt). Models: models/ (licence, provenance, SHA-256).",
        "",
        "Component | version | licence | notice files",
    ]
    for c in summary["components"]:
        lines.append(f"{c['name']} | {c['version']} | {c['licence']} | "
                     f"{', '.join(c['files']) or '(none in the wheel: see texts/)'}")
    if summary.get("stand_ins"):
        lines += ["", "Stand-ins, not the library their name says: encoders crowdveil never uses, "
                  "replaced by a few functions that answer 'not available' (their source is in "
                  "crowdveil's scripts/build_app.py, MIT):", *summary["stand_ins"]]
    if summary["system_libraries"]:
        lines += ["", "System libraries copied from the build machine (system/):",
                  *summary["system_libraries"]]
    (dest / "README.txt").write_text("\n".join(lines) + "\n")


# --- checks ---------------------------------------------------------------------------------
def check(target: Path) -> dict[str, float]:
    """Run both executables with an empty environment (no Python, no PATH)."""
    samples = target / "samples"
    results: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        start = time.monotonic()
        cli = subprocess.run(["env", "-i", str(target / f"{APP}{EXE}"), str(samples), "-o",
                              str(out)], capture_output=True, text=True, timeout=900)
        results["cli_seconds"] = round(time.monotonic() - start, 2)
        cleaned = sorted(p.name for p in out.rglob("*") if p.is_file() and p.suffix != ".txt"
                         and not p.name.startswith("."))
        print(cli.stdout[-2000:], cli.stderr[-2000:], sep="\n")
        if cli.returncode != 0:
            raise SystemExit(f"the bundled CLI failed (exit {cli.returncode})")
        results["photos_cleaned"] = len(cleaned)
        start = time.monotonic()
        gui = subprocess.run(["env", "-i", "QT_QPA_PLATFORM=offscreen", f"HOME={tmp}",
                              str(target / f"{APP}-gui{EXE}"), "--smoke-test",
                              str(samples / "crowd.jpg")],
                             capture_output=True, text=True, timeout=300)
        results["gui_seconds"] = round(time.monotonic() - start, 2)
        print(gui.stdout[-2000:], gui.stderr[-2000:], sep="\n")
        if gui.returncode != 0:
            raise SystemExit(f"the bundled app failed to open its window (exit {gui.returncode})")
        ready = re.search(r"window ready in ([0-9.]+) s", gui.stdout)
        if ready:
            results["window_ready_seconds"] = float(ready.group(1))
        # in French too: its translations, and Qt's text layout and collation over the
        # trimmed ICU data
        french = subprocess.run(["env", "-i", "QT_QPA_PLATFORM=offscreen", f"HOME={tmp}",
                                 str(target / f"{APP}-gui{EXE}"), "--lang", "fr", "--smoke-test",
                                 str(samples / "crowd.jpg")],
                                capture_output=True, text=True, timeout=300)
        if french.returncode != 0 or "window ready" not in french.stdout:
            print(french.stdout[-2000:], french.stderr[-2000:], sep="\n")
            raise SystemExit(f"the bundled app failed to open in French (exit {french.returncode})")
        clips = Path(tmp) / "clips"
        if write_sample_clip(clips / "crowd.mp4"):
            # PyAV's FFmpeg decodes it and libx264 writes the clean copy: the video path
            # still loads and works with the encoder stand-ins in place
            start = time.monotonic()
            video = subprocess.run(["env", "-i", str(target / f"{APP}{EXE}"), str(clips), "-o",
                                    str(Path(tmp) / "clips-out")], capture_output=True,
                                   text=True, timeout=900)
            results["clip_seconds"] = round(time.monotonic() - start, 2)
            print(video.stdout[-2000:], video.stderr[-2000:], sep="\n")
            written = list((Path(tmp) / "clips-out").rglob("*.mp4"))
            if video.returncode != 0 or len(written) != 1:
                raise SystemExit(f"the bundled CLI did not clean a clip (exit {video.returncode})")
            results["clips_cleaned"] = 1
    return results


def write_sample_clip(path: Path) -> bool:
    """One second of H.264 panning over the sample crowd photo, written with the build
    environment's PyAV; False when that environment has no PyAV."""
    try:
        import av
        from PIL import Image
    except ImportError:
        return False
    path.parent.mkdir(parents=True)
    with Image.open(REPO / "samples" / "crowd.jpg") as im:
        picture = im.convert("RGB")
    width, height = 640, 360
    with av.open(str(path), mode="w", format="mp4") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        for i in range(10):
            frame = picture.crop((i * 8, 400, i * 8 + width, 400 + height))
            for packet in stream.encode(av.VideoFrame.from_image(frame)):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return True


def folder_size(folder: Path) -> int:
    """Bytes on disk once unpacked: a hard-linked file counts once, as du and tar count it."""
    inodes = {}
    for p in folder.rglob("*"):
        if p.is_file() and not p.is_symlink():
            st = p.stat()
            inodes[(st.st_dev, st.st_ino)] = st.st_size
    return sum(inodes.values())


def link_identical_executables(target: Path) -> bool:
    """Linux: make crowdveil-gui a hard link to crowdveil when cx_Freeze wrote the same bytes.

    Both are cx_Freeze's launcher (6 MB: the Python interpreter is linked into it); the
    launcher picks the script to run from the name it was started by (argv[0], symlinks
    resolved), so one file under two names runs both, and tar keeps the link. A symlink
    would not do: resolved, it names the CLI.
    """
    cli, gui = target / f"{APP}{EXE}", target / f"{APP}-gui{EXE}"
    if not sys.platform.startswith("linux") or not (cli.is_file() and gui.is_file()):
        return False
    if cli.read_bytes() != gui.read_bytes():
        return False
    linked = gui.with_name(gui.name + ".link")
    linked.hardlink_to(cli)
    linked.replace(gui)
    return True


def library_names(target: Path) -> set[str]:
    return {p.name for p in target.rglob("*") if p.is_symlink() or p.is_file() and is_elf(p)}


def broken_links(target: Path, frozen: set[str], readelf: str) -> list[str]:
    """Libraries that cx_Freeze put in (`frozen`: their names), that the build then left out,
    and that a file still in the bundle needs: what pruning would break, found before a user
    does. (Libraries the desktop provides, such as Wayland's, were never in the bundle.)"""
    gone = frozen - library_names(target)
    return sorted({f"{p.relative_to(target)} needs {name}" for p in target.rglob("*")
                   if p.is_file() and not p.is_symlink() and is_elf(p)
                   for name in dynamic_entries(p, readelf)["NEEDED"] if name in gone})


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, required=True, help="folder to build DIR/crowdveil in")
    parser.add_argument("--plan", action="store_true",
                        help="print what the bundle would carry (JSON) and build nothing")
    parser.add_argument("--no-check", action="store_true",
                        help="skip running the built executables")
    parser.add_argument("--no-strip", action="store_true",
                        help="keep the symbol tables of the libraries (Linux strips them)")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.plan:
        print(json.dumps(plan(), indent=2))
        return 0
    target = args.out.resolve() / APP
    if target.exists():
        shutil.rmtree(target)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as work:
        build_cx_freeze(target, Path(work))
    sizes = {"frozen": folder_size(target)}
    frozen_libraries = library_names(target)
    removed = prune(target)
    sizes["pruned"] = folder_size(target)
    carried = carry_xcb(target)
    stubbed = stub_encoders(target)
    sizes["encoders_stubbed"] = folder_size(target)
    icu = trim_icu_data(target, window_languages(target / "lib") | {"en"})
    sizes["icu_trimmed"] = folder_size(target)
    kept_unstripped: list[str] = []
    if not args.no_strip:
        _, kept_unstripped = strip_binaries(target)
        sizes["stripped"] = folder_size(target)
    _, compacted = compact_binaries(target)
    sizes["compacted"] = folder_size(target)
    linked = link_identical_executables(target)  # after strip, which writes new files
    sizes["executables_linked"] = folder_size(target)
    readelf = shutil.which("readelf")
    broken = (broken_links(target, frozen_libraries, readelf)
              if sys.platform.startswith("linux") and readelf else [])
    if broken:
        raise SystemExit("left out but still needed:\n" + "\n".join(broken))
    shutil.copytree(REPO / "samples", target / "samples",
                    ignore=shutil.ignore_patterns("*.py", "*.json"))
    summary = collect_licences(target, carried)
    build_seconds = round(time.monotonic() - start, 1)
    report = {"bundle": str(target), "build_seconds": build_seconds,
              "size_mb": round(folder_size(target) / 1e6, 1), "pruned": len(removed),
              "size_mb_by_step": {k: round(v / 1e6, 1) for k, v in sizes.items()},
              "kept_unstripped": kept_unstripped,
              "stand_ins": [s["library"] for s in stubbed], "executables_linked": linked,
              "icu_data": icu, "compacted": compacted,
              "components": len(summary["components"]), "gpl_libraries": summary["gpl_libraries"]}
    if not args.no_check and not MACOS and not WINDOWS:
        report.update(check(target))
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
