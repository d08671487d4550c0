"""Entry point of `crowdveil-gui [PATH...]`: the desktop window over the crowdveil pipeline."""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QEventLoop, Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..batch import DEFAULT_TIMEOUT_S
from ..cli import _argparse_words, _error_line, _requested_language
from ..detect import DEFAULT_THRESHOLD, Detector, DetectorSettings, resolve_device
from ..detect.int8 import PRECISIONS
from ..detect.runtime import DEVICES, DeviceError
from ..messages import text
from . import language
from .main_window import MainWindow

_IMPORTED = time.monotonic()


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The options, with the help (and argparse's own words) in the window's language."""
    lang = language.choose(_requested_language(argv))
    with _argparse_words(lang):
        return _parser(lang).parse_args(argv)


def _parser(lang: str) -> argparse.ArgumentParser:
    def h(code: str, **values: object) -> str:
        return text(code, lang, **values)  # type: ignore[arg-type]

    parser = argparse.ArgumentParser(prog="crowdveil-gui", description=h("app.description"))
    parser.add_argument("paths", nargs="*", type=Path, help=h("app.help.paths"))
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help=h("cli.help.threshold", value=DEFAULT_THRESHOLD))
    parser.add_argument("--paranoid", action="store_true", help=h("cli.help.paranoid"))
    parser.add_argument("--device", choices=DEVICES, default="auto", help=h("cli.help.device"))
    parser.add_argument("--precision", choices=PRECISIONS, default="auto",
                        help=h("cli.help.precision"))
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help=h("app.help.timeout", value=DEFAULT_TIMEOUT_S))
    # the app bundle's check: open the window, say how long that took, close
    parser.add_argument("--smoke-test", action="store_true", help=argparse.SUPPRESS)
    choices = sorted(language.LANGUAGES)
    parser.add_argument("--lang", choices=choices,
                        help=h("app.help.lang", choices=", ".join(choices)))
    return parser


def settings_from(args: argparse.Namespace) -> DetectorSettings:
    return DetectorSettings(args.threshold, args.paranoid, device=args.device,
                            precision=args.precision)


def gpu_settings(args: argparse.Namespace) -> DetectorSettings:
    """`--device gpu`: the accelerator found once, here, before any window (as the command line
    does), so the workers open their sessions on it instead of each failing photo after photo.
    Raises DeviceError when none works."""
    return resolve_device(settings_from(args)).settings


def build_window(argv: list[str], detector_factory: Callable[[], Detector] | None = None,
                 settings: DetectorSettings | None = None) -> MainWindow:
    """The main window with the command-line paths already queued (needs a QApplication).

    `detector_factory` (tests) runs the work in this process instead of worker processes."""
    args = parse_args(argv)
    if settings is None:
        settings = settings_from(args)
    window = MainWindow(detector_factory, settings=settings, timeout=args.timeout or None)
    if args.paths:
        window.add_paths([p.expanduser() for p in args.paths])
    return window


def _seconds_since_launch() -> float:
    """From the process's start (Linux: the kernel's count, so a bundle's unpacking counts too)."""
    try:
        start = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - start / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return time.monotonic() - _IMPORTED


def _smoke_test(app: QApplication, window: MainWindow) -> int:
    deadline = time.monotonic() + 60
    while not window.windowHandle().isExposed() and time.monotonic() < deadline:
        app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
    app.processEvents()
    exposed = window.windowHandle().isExposed()
    print(f"window ready in {_seconds_since_launch():.2f} s" if exposed
          else "window never appeared", flush=True)
    window.close()  # stops the worker processes
    return 0 if exposed else 1


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)  # before Qt starts: --help and a bad option need no display
    settings = None
    if args.device == "gpu":
        try:
            settings = gpu_settings(args)
        except DeviceError as exc:  # asked for the impossible: say so, as the command line does
            print(_error_line(language.choose(args.lang), exc.message), file=sys.stderr)
            return 2
    # Crisp on fractional-scaling screens (125 %, 150 %): no rounding of the scale factor.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    existing = QApplication.instance()  # tests and the bundle's check may have made one
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    app.setApplicationName("crowdveil")
    app.setApplicationDisplayName("crowdveil")
    app.setApplicationVersion(__version__)
    language.install(language.choose(args.lang))
    window = build_window(argv, settings=settings)
    window.show()
    if args.smoke_test:
        return _smoke_test(app, window)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
