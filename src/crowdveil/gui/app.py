"""Entry point of `crowdveil-gui [PATH...]`: the desktop window over the crowdveil pipeline."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from .. import __version__
from ..batch import DEFAULT_TIMEOUT_S
from ..detect import DEFAULT_THRESHOLD, Detector, DetectorSettings
from .main_window import MainWindow


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="crowdveil-gui",
                                     description="Review and export photos with every face hidden.")
    parser.add_argument("paths", nargs="*", type=Path, help="photos or folders to open")
    parser.add_argument("--threshold", type=float, default=DEFAULT_THRESHOLD,
                        help="face detector threshold (lower finds more)")
    parser.add_argument("--paranoid", action="store_true",
                        help="lower thresholds, for the densest crowds")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT_S, metavar="SECONDS",
                        help="stop checking or exporting a photo after this long (default: "
                             "%(default)g); 0 for no limit")
    return parser.parse_args(argv)


def build_window(argv: list[str], detector_factory: Callable[[], Detector] | None = None
                 ) -> MainWindow:
    """The main window with the command-line paths already queued (needs a QApplication).

    `detector_factory` (tests) runs the work in this process instead of worker processes."""
    args = parse_args(argv)
    window = MainWindow(detector_factory, settings=DetectorSettings(args.threshold, args.paranoid),
                        timeout=args.timeout or None)
    if args.paths:
        window.add_paths([p.expanduser() for p in args.paths])
    return window


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    # Crisp on fractional-scaling screens (125 %, 150 %): no rounding of the scale factor.
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName("crowdveil")
    app.setApplicationDisplayName("crowdveil")
    app.setApplicationVersion(__version__)
    window = build_window(argv)
    window.show()
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
