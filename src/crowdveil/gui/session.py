"""The app's session: which photo's task is where, and what its result means for the window.

The window asks the session to check, show or export photos; the session hands the work to
the isolation provider and turns each result into one signal about one photo. All of this runs
on the GUI thread (the provider's signals arrive queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from ..messages import msg
from ..pipeline import FileResult, error_row
from ..write_clean import remove_stale_temps
from .isolation import Provider
from .photo_list import PhotoItem
from .tasks import Changed, Checked, CheckTask, ExportTask, Pixels, PixelsTask

CHANGED = msg("app.changed")


@dataclass
class _Ticket:
    kind: str  # check | pixels | export
    item: PhotoItem


class Session(QObject):
    checking = Signal(object)  # item: a worker has started on it
    checked = Signal(object, object)  # item, tasks.Checked
    failed = Signal(object, object)  # item, why it cannot be used (a messages.Message)
    pixels_ready = Signal(object, object)  # item, pixels (H x W x 3|4 uint8)
    changed = Signal(object)  # item whose file no longer holds the bytes that were checked
    exported = Signal(object, object)  # item, FileResult
    export_finished = Signal(bool)  # cancelled

    def __init__(self, provider: Provider, max_pixels: int) -> None:
        super().__init__()
        self.provider = provider
        self.max_pixels = max_pixels
        self._tickets: dict[int, _Ticket] = {}
        self._exports: set[int] = set()
        self._export_folders: set[Path] = set()
        self._kills_before = 0
        self._cancelled = False
        provider.started.connect(self._on_started)
        provider.finished.connect(self._on_finished)

    def check(self, item: PhotoItem) -> None:
        ticket = self.provider.submit(CheckTask(item.path, self.max_pixels))
        self._tickets[ticket] = _Ticket("check", item)

    def fetch_pixels(self, item: PhotoItem) -> None:
        """Ask for a checked photo's pixels again (first in line: the user is waiting)."""
        if any(t.kind == "pixels" and t.item is item for t in self._tickets.values()):
            return
        ticket = self.provider.submit(PixelsTask(item.path, item.digest, self.max_pixels),
                                      urgent=True)
        self._tickets[ticket] = _Ticket("pixels", item)

    def forget(self, items: list[PhotoItem]) -> None:
        """Drop the checks of these photos; a running one is stopped (it may be hanging)."""
        doomed = {id(i) for i in items}
        for ticket, t in list(self._tickets.items()):
            if t.kind != "export" and id(t.item) in doomed:
                self.provider.cancel(ticket, kill_running=True)
                del self._tickets[ticket]

    def export(self, jobs: list[tuple[PhotoItem, ExportTask]]) -> None:
        self._cancelled = False
        self._kills_before = self.provider.kills
        self._export_folders = {task.target_base.parent for _, task in jobs}
        for item, task in jobs:
            ticket = self.provider.submit(task)
            self._tickets[ticket] = _Ticket("export", item)
            self._exports.add(ticket)

    def exporting(self) -> bool:
        return bool(self._exports)

    def cancel_export(self) -> None:
        """Drop the exports that have not started; those running finish."""
        self._cancelled = True
        for ticket in list(self._exports):
            if self.provider.cancel(ticket):
                self._exports.discard(ticket)
                del self._tickets[ticket]
        if not self._exports:
            self._finish_export()

    def shutdown(self) -> None:
        self.provider.shutdown()

    def _on_started(self, ticket: int) -> None:
        t = self._tickets.get(ticket)
        if t is not None and t.kind == "check":
            self.checking.emit(t.item)

    def _on_finished(self, ticket: int, result: object) -> None:
        t = self._tickets.pop(ticket, None)
        if t is None:  # forgotten (the list was cleared)
            return
        if t.kind == "export":
            self._exports.discard(ticket)
            if isinstance(result, Changed):
                self.exported.emit(t.item, error_row(t.item.path, CHANGED))
                self.changed.emit(t.item)
            else:
                self.exported.emit(t.item, result)
            if not self._exports:
                self._finish_export()
        elif isinstance(result, Checked) and t.kind == "check":
            self.checked.emit(t.item, result)
        elif isinstance(result, Pixels) and t.kind == "pixels":
            self.pixels_ready.emit(t.item, result.pixels)
        elif isinstance(result, Changed):
            self.changed.emit(t.item)
        elif isinstance(result, FileResult):
            self.failed.emit(t.item, result.error_message or result.error
                             or "")

    def _finish_export(self) -> None:
        if self.provider.kills != self._kills_before:
            remove_stale_temps(self._export_folders)  # a killed worker may have left one
        self.export_finished.emit(self._cancelled)
