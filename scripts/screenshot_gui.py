"""Render the crowdveil-gui main window (1280 x 800) with sample photos to docs/gui-screenshot.png.

Runs without a screen (Qt's offscreen platform) so a reviewer or CI can look at the window:
    python scripts/screenshot_gui.py [--lang fr|en] [--dark] [OUTPUT.png]
    QT_SCALE_FACTOR=2 python scripts/screenshot_gui.py /tmp/at-200-percent.png
(--lang fr writes docs/gui-screenshot-fr.png unless OUTPUT is given.)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QCoreApplication  # noqa: E402
from PySide6.QtGui import QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from crowdveil.gui import language  # noqa: E402
from crowdveil.gui.main_window import MainWindow  # noqa: E402
from crowdveil.gui.photo_list import Status  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"


def sample_paths(scratch: Path) -> list[Path]:
    """The shipped samples when they exist, else a generated photo of a face."""
    names = ["crowd.jpg", "astronaut_gps.jpg", "astronaut.webp", "astronaut_alpha.png",
             "astronaut.heic"]
    found = [SAMPLES / n for n in names if (SAMPLES / n).exists()]
    if found:
        return found
    import numpy as np
    from PIL import Image
    from skimage import data

    path = scratch / "astronaut.jpg"
    Image.fromarray(np.asarray(data.astronaut())).save(path, quality=90)
    return [path]


def dark_palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#2b2b2d", QPalette.ColorRole.WindowText: "#e6e6e6",
        QPalette.ColorRole.Base: "#1f1f21", QPalette.ColorRole.AlternateBase: "#2b2b2d",
        QPalette.ColorRole.Text: "#e6e6e6", QPalette.ColorRole.Button: "#353537",
        QPalette.ColorRole.ButtonText: "#e6e6e6", QPalette.ColorRole.Highlight: "#3d7bd9",
        QPalette.ColorRole.HighlightedText: "#ffffff", QPalette.ColorRole.ToolTipBase: "#353537",
        QPalette.ColorRole.ToolTipText: "#e6e6e6",
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, QColor("#8a8a8e"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text, QColor("#8a8a8e"))
    p.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.ButtonText, QColor("#8a8a8e"))
    return p


def wait_until(condition, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("photos were not analysed in time")
        QCoreApplication.processEvents()
        time.sleep(0.02)


def main(argv: list[str]) -> int:
    dark = "--dark" in argv  # check the dark palette too: --dark OUTPUT.png
    argv = [a for a in argv if a != "--dark"]
    lang = "en"
    if "--lang" in argv:
        at = argv.index("--lang")
        lang = argv[at + 1]
        del argv[at:at + 2]
    default = "gui-screenshot.png" if lang == "en" else f"gui-screenshot-{lang}.png"
    out = Path(argv[0]) if argv else REPO / "docs" / default
    app = QApplication.instance() or QApplication([])
    if dark:
        # the offscreen platform has no system theme to follow; stand in for a dark desktop
        app.setStyle("Fusion")
        app.setPalette(dark_palette())
    app.setApplicationName("crowdveil")
    app.setApplicationDisplayName("crowdveil")
    language.install(lang)
    with tempfile.TemporaryDirectory() as scratch:
        window = MainWindow()
        window.resize(1280, 800)
        window.show()
        window.add_paths(sample_paths(Path(scratch)))
        wait_until(lambda: all(i.status not in (Status.QUEUED, Status.ANALYSING)
                               for i in window.model.items))
        window.select_row(0)
        items = window.view.region_items()
        if items:
            items[0].setSelected(True)  # show the resize handles
        for _ in range(5):
            app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(out)):
            raise OSError(f"cannot write {out}")
        window.close()
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
