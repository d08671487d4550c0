"""The app's session: which photo's task is where, and what its result means for the window.

The window asks the session to check, show or export photos; the session hands the work to
the isolation provider and turns each result into one signal about one photo. All of this runs
on the GUI thread (the provider's signals arrive queued).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from ..batch import clip_weight, plan_sources
from ..formats import VIDEO_OUTPUT_SUFFIX
from ..messages import msg
from ..pipeline import FileResult, error_row
from ..record import settings_key
from ..redact import Method
from ..settings import DEFAULT_QUALITY, Options
from ..write_clean import output_target, remove_stale_temps
from .isolation import Provider
from .photo_list import PhotoItem
from .spans import span_of
from .tasks import Changed, Checked, CheckTask, ExportTask, Pixels, PixelsTask
from .video_tasks import (
    UserRegion,
    VideoChanged,
    VideoChecked,
    VideoCheckTask,
    VideoExportTask,
    VideoFrame,
    VideoFrameTask,
)

CHANGED = msg("app.changed")
APP_TOOL = "crowdveil-app"  # the tool named in the key of every output the app writes
Job = tuple[PhotoItem, ExportTask | VideoExportTask, Path]  # what, how, the file it writes


@dataclass
class _Ticket:
    kind: str  # check | pixels | frame | export
    item: PhotoItem
    video: bool = False
    index: int = -1  # the frame a frame task fetches


class Session(QObject):
    checking = Signal(object)  # item: a worker has started on it
    checked = Signal(object, object)  # item, tasks.Checked
    failed = Signal(object, object)  # item, why it cannot be used (a messages.Message)
    pixels_ready = Signal(object, object)  # item, pixels (H x W x 3|4 uint8)
    changed = Signal(object)  # item whose file no longer holds the bytes that were checked
    exported = Signal(object, object)  # item, FileResult
    export_finished = Signal(bool)  # cancelled
    progressed = Signal(object, str, object)  # item, "check" | "export", pool.JobProgress
    export_started = Signal(object)  # item: a worker has started writing it
    frame_ready = Signal(object, int, object)  # item, frame index, pixels (H x W x 3 uint8)

    def __init__(self, provider: Provider, max_pixels: int) -> None:
        super().__init__()
        self.provider = provider
        self.max_pixels = max_pixels
        self._tickets: dict[int, _Ticket] = {}
        self._exports: set[int] = set()
        self._export_folders: set[Path] = set()
        self._kills_before = 0
        self._cancelled = False
        self._killed = False
        provider.started.connect(self._on_started)
        provider.finished.connect(self._on_finished)
        provider.progressed.connect(self._on_progress)

    def check(self, item: PhotoItem) -> None:
        task: CheckTask | VideoCheckTask = (
            VideoCheckTask(item.path, self.max_pixels, clip_weight(item.path)) if item.video
            else CheckTask(item.path, self.max_pixels))
        ticket = self.provider.submit(task)
        self._tickets[ticket] = _Ticket("check", item)

    def fetch_frame(self, item: PhotoItem, index: int) -> None:
        """Ask for one frame of a checked clip (first in line); an older request for another
        frame of it that has not started is dropped: the user has moved on."""
        for ticket, t in list(self._tickets.items()):
            if t.kind == "frame" and t.item is item:
                if t.index == index:
                    return
                if self.provider.cancel(ticket):
                    del self._tickets[ticket]
        stamps = item.frame_stamps
        task = VideoFrameTask(item.path, item.digest, index, clip_weight(item.path),
                              stamps[index] if 0 <= index < len(stamps) else None)
        ticket = self.provider.submit(task, urgent=True)
        self._tickets[ticket] = _Ticket("frame", item, True, index)

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

    def plan_export(self, items: list[PhotoItem], folder: Path, method: Method,
                    loaded: list[Path]) -> list[Job]:
        """The export of `items` into `folder`: output names from the CLI's planner (no other
        names exist): distinct, and never one of the `loaded` files' paths; the key holds
        everything that decides the output's pixels."""
        sources = []
        for item in items:
            rel = Path(item.path.name)
            if item.root != item.path:  # from a dropped folder: keep its layout
                try:
                    rel = item.path.relative_to(item.root)
                except ValueError:
                    pass
            sources.append((item.path, rel))
        planned = plan_sources(sources, folder, inputs=loaded)
        options = Options(method=method, quality=DEFAULT_QUALITY, max_pixels=self.max_pixels)
        jobs: list[Job] = []
        for item, job in zip(items, planned, strict=True):
            key = settings_key(tool=APP_TOOL, method=method, quality=options.quality,
                               regions=[r.to_json() for r in item.regions])
            if item.video:
                # the user's regions hold over the whole clip unless trimmed (a face that
                # shows once is enough to identify someone: a shorter span is the riskier one)
                spans = [UserRegion(r, *span_of(r, item.frames)) for r in item.regions]
                video_task = VideoExportTask(
                    item.path, item.digest, job.target_base, item.frame_regions, spans,
                    folder, key, options, weight=clip_weight(item.path))
                jobs.append((item, video_task, job.target_base.with_name(
                    job.target_base.name + VIDEO_OUTPUT_SUFFIX)))
                continue
            task = ExportTask(item.path, item.digest, job.target_base, list(item.regions),
                              folder, key, options)
            jobs.append((item, task, output_target(job.target_base, item.format,
                                                   item.has_alpha)))
        return jobs

    def export(self, jobs: list[tuple[PhotoItem, ExportTask | VideoExportTask]]) -> None:
        self._cancelled = False
        self._kills_before = self.provider.kills
        self._export_folders = {task.target_base.parent for _, task in jobs}
        for item, task in jobs:
            ticket = self.provider.submit(task)
            self._tickets[ticket] = _Ticket("export", item, isinstance(task, VideoExportTask))
            self._exports.add(ticket)

    def exporting(self) -> bool:
        return bool(self._exports)

    def cancel_export(self) -> None:
        """Drop the exports that have not started; a running photo finishes, a running clip
        (minutes) is stopped where the provider can: its worker dies, its temporary file is
        swept when the export ends, and no output appears."""
        self._cancelled = True
        for ticket in list(self._exports):
            t = self._tickets[ticket]
            if self.provider.cancel(ticket, kill_running=t.video) or (
                    t.video and self.provider.stops_running):
                self._exports.discard(ticket)
                del self._tickets[ticket]
                if t.video:
                    self._killed = True
        if not self._exports:
            self._finish_export()

    def shutdown(self) -> None:
        self.provider.shutdown()

    def _on_started(self, ticket: int) -> None:
        t = self._tickets.get(ticket)
        if t is not None and t.kind == "check":
            self.checking.emit(t.item)
        elif t is not None and t.kind == "export":
            self.export_started.emit(t.item)

    def _on_progress(self, ticket: int, progress: object) -> None:
        t = self._tickets.get(ticket)
        if t is not None and t.kind in ("check", "export"):
            self.progressed.emit(t.item, t.kind, progress)

    def _on_finished(self, ticket: int, result: object) -> None:
        t = self._tickets.pop(ticket, None)
        if t is None:  # forgotten (the list was cleared)
            return
        if t.kind == "export":
            self._exports.discard(ticket)
            if isinstance(result, Changed | VideoChanged):
                self.exported.emit(t.item, error_row(t.item.path, CHANGED))
                self.changed.emit(t.item)
            else:
                self.exported.emit(t.item, result)
            if not self._exports:
                self._finish_export()
        elif isinstance(result, Checked | VideoChecked) and t.kind == "check":
            self.checked.emit(t.item, result)
        elif isinstance(result, Pixels) and t.kind == "pixels":
            self.pixels_ready.emit(t.item, result.pixels)
        elif isinstance(result, VideoFrame) and t.kind == "frame":
            self.frame_ready.emit(t.item, result.index, result.pixels)
        elif isinstance(result, Changed | VideoChanged):
            self.changed.emit(t.item)
        elif isinstance(result, FileResult):
            self.failed.emit(t.item, result.error_message or result.error
                             or "")

    def _finish_export(self) -> None:
        if self.provider.kills != self._kills_before:
            remove_stale_temps(self._export_folders)  # a killed worker may have left one
        if self._killed:  # a clip's worker is being killed now: sweep once it is gone
            self._killed = False
            folders = set(self._export_folders)
            for ms in (1000, 5000):
                QTimer.singleShot(ms, lambda f=folders: remove_stale_temps(f))
        self.export_finished.emit(self._cancelled)
