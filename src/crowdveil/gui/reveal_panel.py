"""'What this photo reveals': the private details found in the file, in plain words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from .photo_list import PhotoItem, Status

KIND_ORDER = ["gps", "name", "serial", "device", "date", "thumbnail", "embedded-image"]


def _sort_key(kind: str) -> int:
    return KIND_ORDER.index(kind) if kind in KIND_ORDER else len(KIND_ORDER)


class RevealPanel(QScrollArea):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setWidgetResizable(True)
        self.setFrameShape(QScrollArea.Shape.NoFrame)
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(12, 12, 12, 12)
        self.title = QLabel("What this photo reveals")
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.summary = QLabel()
        self.details = QLabel()
        self.footer = QLabel()
        for label in (self.summary, self.details, self.footer):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.footer.setEnabled(False)  # the palette's muted text colour, light or dark
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addWidget(self.details)
        layout.addWidget(self.footer)
        layout.addStretch(1)
        self.setWidget(body)
        self.show_item(None)

    def lines(self) -> list[str]:
        """The findings as shown, one per line (for tests and copy/paste)."""
        return self._lines

    def show_item(self, item: PhotoItem | None) -> None:
        self._lines: list[str] = []
        self.details.clear()
        self.footer.clear()
        if item is None:
            self.summary.setText("Drop photos or folders on this window to check them.")
            return
        if item.status is Status.ERROR:
            self.summary.setText(f"This file cannot be read:\n{item.error}")
            return
        if item.status in (Status.QUEUED, Status.ANALYSING):
            self.summary.setText("Still being checked…")
            return
        faces = len(item.regions)
        head = (f"{faces} region{'s' if faces != 1 else ''} will be destroyed."
                if faces else "No faces found. Look carefully and draw over any the detector "
                "missed.")
        findings = sorted(item.findings, key=lambda f: _sort_key(f.kind))
        self._lines = [f.text for f in findings]
        if findings:
            self.summary.setText(f"{head}\n\nThe file also carries:")
            items = "".join(f"<li>{_escape(t)}</li>" for t in self._lines)
            self.details.setText(f"<ul style='margin-left:-20px'>{items}</ul>")
            self.footer.setText("Export writes a new file from the pixels alone: "
                                "none of the above is kept.")
        else:
            self.summary.setText(f"{head}\n\nNo metadata found in the file.")
        if item.output:
            self.footer.setText(f"{self.footer.text()}\n\nExported to {item.output}".strip())


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
