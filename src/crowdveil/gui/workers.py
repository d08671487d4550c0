"""Background work: detection (one detector, one thread) and export (its own thread).

Both call the shared pipeline; nothing here detects, redacts or writes by itself. Results come
back to the GUI thread through queued signals, so the window never waits for a photo.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from PySide6.QtCore import QObject, QThread, Signal, Slot
from PySide6.QtGui import QImage

from ..detect import Detector
from ..errors import CrowdveilError, first_line
from ..load import load_path
from ..pipeline import Analysis, FileResult, Options, analyse, display_path, export
from ..regions import Region
from .images import thumbnail

DetectorFactory = Callable[[], Detector]


def _internal(exc: BaseException) -> str:
    return f"internal error: {type(exc).__name__}: {first_line(str(exc), type(exc).__name__)}"


class DetectWorker(QObject):
    """Analyses photos one at a time, in the order they were queued, on its own thread.

    The detector is built lazily on that thread and only ever used there: model sessions are
    not shared between threads.
    """

    started_one = Signal(object)  # key
    analysed = Signal(object, object, QImage)  # key, Analysis, thumbnail
    failed = Signal(object, str)  # key, one-line reason

    def __init__(self, factory: DetectorFactory, max_pixels: int) -> None:
        super().__init__()
        self._factory = factory
        self._max_pixels = max_pixels
        self._detector: Detector | None = None
        self._dropped: set[object] = set()
        self._lock = threading.Lock()
        self.thread_id: int | None = None

    def forget(self, keys: list[object]) -> None:
        """Skip these queued photos (called from the GUI thread when the list is cleared)."""
        with self._lock:
            self._dropped.update(keys)

    @Slot(object, object)
    def analyse(self, key: object, path: Path) -> None:
        self.thread_id = threading.get_ident()
        with self._lock:
            if key in self._dropped:
                self._dropped.discard(key)
                return
        self.started_one.emit(key)
        try:
            if self._detector is None:
                self._detector = self._factory()
            result = analyse(path, self._detector, self._max_pixels)
            thumb = thumbnail(result.image.pixels)
        except CrowdveilError as exc:
            self.failed.emit(key, str(exc))
            return
        except Exception as exc:  # a bug or a hostile file costs one photo, never the window
            self.failed.emit(key, _internal(exc))
            return
        self.analysed.emit(key, result, thumb)


@dataclass
class ExportJob:
    key: object
    path: Path
    target_base: Path
    regions: list[Region]
    detected: list[Region]
    findings: list
    analysis: Analysis | None  # None: pixels were dropped from memory; reload from the file
    overwrite: bool = False


def reload(job: ExportJob, max_pixels: int) -> Analysis:
    """The analysis of a photo whose pixels were let go, without running detection again."""
    _, image = load_path(job.path, max_pixels)
    return Analysis(job.path, image, list(job.detected), list(job.findings))


class ExportWorker(QObject):
    """Exports a list of photos with the user's regions; cancellable between photos."""

    started_one = Signal(object)  # key
    exported = Signal(object, object)  # key, FileResult
    finished = Signal(bool)  # cancelled

    def __init__(self, jobs: list[ExportJob], options: Options) -> None:
        super().__init__()
        self._jobs = jobs
        self._options = options
        self._cancel = threading.Event()
        self.thread_id: int | None = None

    def cancel(self) -> None:
        self._cancel.set()

    @Slot()
    def run(self) -> None:
        self.thread_id = threading.get_ident()
        for job in self._jobs:
            if self._cancel.is_set():
                break
            self.started_one.emit(job.key)
            self.exported.emit(job.key, self._export_one(job))
        self.finished.emit(self._cancel.is_set())

    def _export_one(self, job: ExportJob) -> FileResult:
        options = replace(self._options, overwrite=job.overwrite)
        try:
            analysis = job.analysis or reload(job, options.max_pixels)
            return export(analysis, job.target_base, options, regions=job.regions)
        except CrowdveilError as exc:
            return FileResult(display_path(job.path), status="error", error=str(exc))
        except Exception as exc:  # one photo's bug must not end the batch
            return FileResult(display_path(job.path), status="error",
                              error=_internal(exc))


def start_thread(worker: QObject, name: str, run: Callable[[], None] | None = None) -> QThread:
    """Move `worker` to a new running thread (calling `run` there first, if given)."""
    thread = QThread()
    thread.setObjectName(name)
    worker.moveToThread(thread)
    if run is not None:
        thread.started.connect(run)
    thread.start()
    return thread


def stop_thread(thread: QThread, timeout_ms: int = 30_000) -> None:
    thread.quit()
    thread.wait(timeout_ms)
