"""The photos the user dropped: one `PhotoItem` each, shown by `PhotoListModel`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path

import numpy as np
from PySide6.QtCore import (
    QAbstractListModel,
    QCoreApplication,
    QLocale,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QIcon, QImage, QPixmap
from PySide6.QtWidgets import QApplication, QListView, QStyle, QStyledItemDelegate

from ..messages import Message
from ..regions import Region
from ..reveal import Finding
from ..walk import walk_folder
from .language import arg, describe
from .spans import holds_at


class Status(Enum):
    QUEUED = "queued"
    ANALYSING = "analysing"
    READY = "ready"
    EXPORTING = "exporting"
    EXPORTED = "exported"
    ERROR = "error"  # cannot be read: never exported
    EXPORT_FAILED = "export failed"  # readable, but the last export of it failed


@dataclass(eq=False)
class PhotoItem:
    path: Path
    root: Path  # the file or folder the user gave, so exports keep the folder layout
    status: Status = Status.QUEUED
    error: object = None  # why it cannot be used: words, or the core's message (see describe)
    # decoded by a worker; may be dropped to save memory (see MainWindow), then asked again
    pixels: np.ndarray | None = None
    digest: str = ""  # SHA-256 of the bytes that were checked: an export must find the same
    detected: list[Region] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)  # what export destroys (user-edited)
    findings: list[Finding] = field(default_factory=list)
    notes: list = field(default_factory=list)  # e.g. only the first of several images
    width: int = 0
    height: int = 0
    format: str = ""
    has_alpha: bool = False
    thumb: QImage | None = None
    output: str | None = None
    # a clip: `regions` are the user's, held over the whole clip; the tracker's are per frame
    video: bool = False
    frames: int = 0
    duration_s: float = 0.0
    frame_regions: list[list[Region]] = field(default_factory=list)
    frame: int = 0  # the frame under review
    frame_stamps: list[int | None] = field(default_factory=list)  # to seek frames
    frame_cache: dict[int, np.ndarray] = field(default_factory=dict)  # a few decoded frames

    def shown_regions(self) -> list[Region]:
        """What export destroys in the picture under review (for a clip: in this frame)."""
        if not self.video:
            return self.regions
        tracked = self.frame_regions[self.frame] if self.frame < len(self.frame_regions) else []
        return list(tracked) + [r for r in self.regions
                                if holds_at(r, self.frame, self.frames)]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def exportable(self) -> bool:
        return self.status in (Status.READY, Status.EXPORTED, Status.EXPORT_FAILED)

    @property
    def reviewable(self) -> bool:
        return self.exportable or self.status is Status.EXPORTING

    def status_text(self) -> str:
        # QCoreApplication.translate with the context spelled out: lupdate reads these calls
        if self.status is Status.QUEUED:
            return QCoreApplication.translate("PhotoItem", "Waiting to be checked…")
        if self.status is Status.ANALYSING:
            return QCoreApplication.translate("PhotoItem", "Finding faces…")
        if self.status is Status.ERROR:
            return arg(QCoreApplication.translate("PhotoItem", "Error: %1"),
                       describe(self.error))
        parts = []
        if self.video:
            seconds = QLocale().toString(self.duration_s, "f", 1)
            parts.append(arg(QCoreApplication.translate(
                "PhotoItem", "video, %1 s, %Ln frame(s)", None, self.frames), seconds))
            most = max((len(r) for r in self.frame_regions), default=0) + len(self.regions)
            parts.append(QCoreApplication.translate(
                "PhotoItem", "up to %Ln region(s) in a frame", None, most) if most
                else QCoreApplication.translate("PhotoItem", "No faces found"))
        else:
            faces = len(self.regions)
            parts.append(QCoreApplication.translate("PhotoItem", "%Ln region(s)", None, faces)
                         if faces else QCoreApplication.translate("PhotoItem", "No faces found"))
        n = len(self.findings)
        parts.append(QCoreApplication.translate("PhotoItem", "%Ln metadata item(s)", None, n)
                     if n else QCoreApplication.translate("PhotoItem", "no metadata"))
        parts += [describe(note) for note in self.notes]
        if self.status is Status.EXPORTING:
            parts.append(QCoreApplication.translate("PhotoItem", "exporting…"))
        elif self.status is Status.EXPORTED:
            parts.append(QCoreApplication.translate("PhotoItem", "exported"))
        elif self.status is Status.EXPORT_FAILED:
            parts.append(arg(QCoreApplication.translate("PhotoItem", "export failed: %1"),
                             describe(self.error)))
        return " · ".join(parts)


def collect(paths: Iterable[Path]) -> Iterator[tuple[Path, Path, Message | str | None]]:
    """(file, root it came from, reason it is skipped or None) for every dropped path.

    Folders are walked as the CLI walks them (`walk.walk_folder`, clips included), but files
    of other types are listed with a reason instead of vanishing silently.
    """
    for root in paths:
        if root.is_dir():
            for entry in walk_folder(root, videos=True):
                yield entry.path, root, entry.reason
        elif root.exists() or root.is_symlink():
            # a file dropped on its own is always tried: the decoder gives the real reason
            yield root, root, None
        else:
            yield root, root, QCoreApplication.translate("PhotoItem", "no such file")


class PhotoListModel(QAbstractListModel):
    ItemRole = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.items: list[PhotoItem] = []
        self._icons: dict[int, QIcon] = {}

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{item.name}\n{item.status_text()}"
        if role == Qt.ItemDataRole.DecorationRole:
            return self._icon(item)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.path}\n{item.status_text()}"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{item.name}, {item.status_text()}"
        if role == self.ItemRole:
            return item
        return None

    def _icon(self, item: PhotoItem) -> QIcon:
        if item.thumb is not None:
            key = id(item)
            if key not in self._icons:
                self._icons[key] = QIcon(QPixmap.fromImage(item.thumb))
            return self._icons[key]
        style = QApplication.style()
        if item.status is Status.ERROR:
            return style.standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        return style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)

    def add(self, items: list[PhotoItem]) -> None:
        if not items:
            return
        start = len(self.items)
        self.beginInsertRows(QModelIndex(), start, start + len(items) - 1)
        self.items.extend(items)
        self.endInsertRows()

    def clear(self) -> None:
        self.beginResetModel()
        self.items.clear()
        self._icons.clear()
        self.endResetModel()

    def forget_icon(self, item: PhotoItem) -> None:
        """The photo was checked again: its list icon is rebuilt from the new thumbnail."""
        self._icons.pop(id(item), None)

    def row_of(self, item: PhotoItem) -> int:
        for i, it in enumerate(self.items):
            if it is item:
                return i
        return -1

    def refresh(self, item: PhotoItem) -> None:
        row = self.row_of(item)
        if row >= 0:
            idx = self.index(row)
            self.dataChanged.emit(idx, idx)

    def find(self, path: Path) -> PhotoItem | None:
        for item in self.items:
            if item.path == path:
                return item
        return None


class PhotoDelegate(QStyledItemDelegate):
    """Rows as wide as the list, never wider: each line (name, status) is then cut in the
    middle by the view's elide mode, so a long name keeps its end ("…_0042.jpg") instead of
    running off the edge behind a horizontal scroll bar. The tooltip has the whole path."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view

    def sizeHint(self, option, index):
        hint = super().sizeHint(option, index)
        width = self._view.viewport().width() - 2 * self._view.spacing()
        hint.setWidth(max(1, min(hint.width(), width)))
        return hint
