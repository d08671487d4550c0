"""'What this photo reveals': the private details found in the file, in plain words."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QScrollArea, QVBoxLayout, QWidget

from .language import arg, describe
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
        self.setAccessibleName(self.tr("What this photo reveals"))
        self.title = QLabel(self.tr("What this photo reveals"))
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.title.setFont(font)
        self.summary = QLabel()
        self.details = QLabel()
        self.footer = QLabel()
        for label in (self.summary, self.details, self.footer):
            label.setWordWrap(True)
            # selectable, and readable by keyboard (a screen reader can walk the lines)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.details.setTextFormat(Qt.TextFormat.RichText)
        # the helper text keeps the palette's full text colour (a greyed, disabled-looking
        # label was hard to read, worst of all in a dark theme); italics set it apart
        font = self.footer.font()
        font.setItalic(True)
        self.footer.setFont(font)
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
        self._fill(item)
        # an empty label would still take keyboard focus, and a screen reader would say nothing
        for label in (self.summary, self.details, self.footer):
            label.setVisible(bool(label.text()))

    def _fill(self, item: PhotoItem | None) -> None:
        self._lines: list[str] = []
        self.details.clear()
        self.footer.clear()
        if item is None:
            self.summary.setText(self.tr("Drop photos or folders on this window to check them."))
            return
        if item.status is Status.ERROR:
            self.summary.setText(self.tr("This file cannot be read:") + "\n"
                                 + describe(item.error))
            return
        if item.status in (Status.QUEUED, Status.ANALYSING):
            self.summary.setText(self.tr("Still being checked…"))
            return
        faces = len(item.regions)
        if item.video:  # the tracker's regions are per frame; the user's hold in every frame
            faces += max((len(r) for r in item.frame_regions), default=0)
        if not faces:
            head = self.tr("No faces found. Look carefully and draw over any the detector "
                           "missed.")
        elif item.video:
            head = self.tr("Up to %Ln region(s) in a frame will be destroyed.", "", faces)
        else:
            head = self.tr("%Ln region(s) will be destroyed.", "", faces)
        findings = sorted(item.findings, key=lambda f: _sort_key(f.kind))
        self._lines = [finding_text(f) for f in findings]
        if findings:
            self.summary.setText(head + "\n\n" + self.tr("The file also carries:"))
            items = "".join(f"<li>{_escape(t)}</li>" for t in self._lines)
            self.details.setText(f"<ul style='margin-left:-20px'>{items}</ul>")
            self.footer.setText(self.tr("Export writes a new file from the pixels alone: "
                                        "none of the above is kept."))
        else:
            self.summary.setText(head + "\n\n" + self.tr("No metadata found in the file."))
        if item.output:
            exported = arg(self.tr("Exported to %1"), item.output)
            self.footer.setText(f"{self.footer.text()}\n\n{exported}".strip())


def finding_text(finding: object) -> str:
    """A finding in the window's language: the core's message when it carries one."""
    message = getattr(finding, "message", None)
    return describe(message) if message is not None else str(finding)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
