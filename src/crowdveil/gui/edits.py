"""Region edits as undoable commands. Each photo has its own undo history."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QUndoCommand, QUndoStack

from ..regions import Region
from .photo_list import PhotoItem

Notify = Callable[[PhotoItem], None]


class _Edit(QUndoCommand):
    """Swap the photo's whole region list; lists are small, so whole-list states are simplest."""

    def __init__(self, item: PhotoItem, after: list[Region], text: str, notify: Notify) -> None:
        super().__init__(text)
        self._item = item
        self._before = list(item.regions)
        self._after = list(after)
        self._notify = notify

    def redo(self) -> None:
        self._item.regions = list(self._after)
        self._notify(self._item)

    def undo(self) -> None:
        self._item.regions = list(self._before)
        self._notify(self._item)


class RegionEditor:
    """The operations the review view offers, each pushed to the photo's undo stack."""

    def __init__(self, item: PhotoItem, stack: QUndoStack, notify: Notify) -> None:
        self.item = item
        self.stack = stack
        self._notify = notify

    def _push(self, after: list[Region], text: str) -> None:
        self.stack.push(_Edit(self.item, after, text, self._notify))

    def add(self, region: Region) -> None:
        # named as "Undo <text>" completes them: a noun phrase reads well in every language
        self._push([*self.item.regions, region],
                   QCoreApplication.translate("RegionEditor", "adding a region"))

    def remove(self, indices: list[int]) -> None:
        drop = set(indices)
        if not drop:
            return
        kept = [r for i, r in enumerate(self.item.regions) if i not in drop]
        self._push(kept, QCoreApplication.translate("RegionEditor", "deleting %n region(s)",
                                                    None, len(drop)))

    def set_all(self, after: list[Region], text: str) -> None:
        if after != self.item.regions:
            self._push(after, text)

    def replace(self, index: int, region: Region, text: str = "") -> None:
        if not 0 <= index < len(self.item.regions) or self.item.regions[index] == region:
            return
        after = list(self.item.regions)
        after[index] = region
        self._push(after, text or QCoreApplication.translate("RegionEditor", "moving a region"))
