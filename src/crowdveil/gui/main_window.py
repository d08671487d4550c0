"""The main window: photo list, review view and 'what this photo reveals', with export.

The window holds no photo's bytes it decoded itself: checking, showing again and exporting
all run through the session, in worker processes (`isolation`), with a time limit per photo.
"""

from __future__ import annotations

import math
import os
from collections import deque
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
from PySide6.QtCore import QItemSelectionModel, QSize, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QColor,
    QKeySequence,
    QPainter,
    QPen,
    QPixmap,
    QUndoGroup,
    QUndoStack,
)
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListView,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from .. import report
from ..batch import DEFAULT_TIMEOUT_S
from ..detect import Detector, DetectorSettings
from ..errors import CrowdveilError
from ..formats import VIDEO_SUFFIXES
from ..load import DEFAULT_MAX_PIXELS, SUPPORTED_SUFFIXES
from ..messages import msg
from ..pipeline import FileResult, display_path
from ..pool import JobProgress
from ..progress import BatchClock, ClipHint
from ..record import Record
from ..redact import METHODS, Method, redact
from .edits import RegionEditor
from .images import to_qimage
from .isolation import InProcessProvider, ProcessProvider, Provider
from .language import LANGUAGES, arg, describe, save_language, saved_language
from .photo_list import PhotoDelegate, PhotoItem, PhotoListModel, Status, collect
from .reveal_panel import RevealPanel
from .review_view import ReviewView
from .session import Job, Session
from .spans import span_of, with_span
from .tasks import Checked
from .video_tasks import VideoChecked

PIXEL_CACHE = 6  # decoded photos kept in memory; others are asked of a worker when shown
FRAME_CACHE = 4  # decoded frames of the clip under review (a worker decodes others again)
EXPORT_STEPS = 1000  # the export bar's fill, in thousandths of its work


def _keys(action: QAction) -> str:
    """An action's first shortcut as this system and language write it ("Del", "Suppr")."""
    keys = action.shortcuts()
    return keys[0].toString(QKeySequence.SequenceFormat.NativeText) if keys else ""


class MainWindow(QMainWindow):
    export_finished = Signal()

    def __init__(
        self,
        detector_factory: Callable[[], Detector] | None = None,
        settings: DetectorSettings | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        *,
        provider: Provider | None = None,
        timeout: float | None = DEFAULT_TIMEOUT_S,
    ) -> None:
        """`provider` runs the photos' work; by default worker processes with `timeout` s per
        photo. `detector_factory` (tests) runs it in this process instead, with no isolation."""
        super().__init__()
        # Qt adds the application's name ("… — crowdveil"): the title does not say it again
        self.setWindowTitle(self.tr("Make protest photos safe to share"))
        self.setAcceptDrops(True)
        self.resize(1280, 800)
        self.max_pixels = max_pixels
        # Dialog hooks: tests replace these with plain functions.
        self.choose_folder: Callable[[], Path | None] = self._choose_folder_dialog
        self.ask_overwrite: Callable[[list[Path]], str] = self._ask_overwrite_dialog
        self.results: list[FileResult] = []  # report rows of the last export
        self._foreign: list[Path] = []  # existing files crowdveil did not write (for the dialog)
        self._export_clock: BatchClock | None = None  # how far the export is, and its time left

        self.model = PhotoListModel(self)
        self.undo_group = QUndoGroup(self)
        self._stacks: dict[int, QUndoStack] = {}
        self._cache: deque[PhotoItem] = deque()
        self._current: PhotoItem | None = None
        self._original: QPixmap | None = None

        self._build_widgets()
        self._build_actions()
        self._show_welcome()

        if provider is None:
            provider = (InProcessProvider(detector_factory) if detector_factory is not None
                        else ProcessProvider(settings=settings or DetectorSettings(),
                                             timeout=timeout))
        self.provider = provider
        self.session = Session(provider, max_pixels)
        self.session.checking.connect(self._on_detect_started)
        self.session.checked.connect(self._on_analysed)
        self.session.failed.connect(self._on_detect_failed)
        self.session.pixels_ready.connect(self._on_pixels)
        self.session.changed.connect(self._on_changed)
        self.session.exported.connect(self._on_exported)
        self.session.export_finished.connect(self._on_export_finished)
        self.session.frame_ready.connect(self._on_frame)
        self.session.progressed.connect(self._on_progress)
        self.session.export_started.connect(self._on_export_started)
        self._update_state()

    # construction -----------------------------------------------------------------------
    def _build_widgets(self) -> None:
        self.list_view = QListView()
        self.list_view.setModel(self.model)
        self.list_view.setIconSize(QSize(72, 72))
        self.list_view.setSpacing(2)
        self.list_view.setItemDelegate(PhotoDelegate(self.list_view))
        self.list_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list_view.setResizeMode(QListView.ResizeMode.Adjust)  # rows follow the width
        # one line per row part (name, then status), each cut in the middle so a long file
        # name keeps its end ("…_0042.jpg"); the tooltip has the whole path
        self.list_view.setWordWrap(False)
        self.list_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.list_view.setSelectionMode(QListView.SelectionMode.ExtendedSelection)
        self.list_view.setMinimumWidth(260)
        self.list_view.selectionModel().currentChanged.connect(self._on_current_changed)
        self.list_view.setAccessibleName(self.tr("Photos"))
        self.list_view.setAccessibleDescription(
            self.tr("The photos to make safe, with what was found in each"))

        self.view = ReviewView()
        self.view.setAccessibleName(self.tr("Photo under review"))
        self.view.setAccessibleDescription(self.tr(
            "The coloured areas will be destroyed in the exported copy. Drag to add one."))
        self.view.viewport().setAccessibleName(self.view.accessibleName())
        self.placeholder = QLabel()
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setMargin(40)
        self.placeholder.setTextFormat(Qt.TextFormat.RichText)
        self.stack = QStackedWidget()
        self.stack.addWidget(self.placeholder)
        self.stack.addWidget(self.view)

        # a clip's frames: arrow keys step one, Page Up/Down a second, Home/End the ends
        self.scrubber = QSlider(Qt.Orientation.Horizontal)
        self.scrubber.setAccessibleName(self.tr("Frame"))
        self.scrubber.setAccessibleDescription(self.tr(
            "The frame of the video under review; the regions shown are destroyed in it"))
        self.scrubber.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.scrubber.valueChanged.connect(self._on_frame_chosen)
        self.frame_label = QLabel()
        self.frame_label.setAccessibleName(self.tr("Frame under review"))
        scrub_row = QWidget()
        row = QHBoxLayout(scrub_row)
        row.setContentsMargins(8, 2, 8, 2)
        row.addWidget(self.scrubber, 1)
        row.addWidget(self.frame_label)
        self.start_here = QPushButton(self.tr("Start here"))
        self.start_here.setAccessibleName(self.tr("The selected region starts at this frame"))
        self.start_here.setToolTip(self.tr(
            "A region drawn on a video hides its area in every frame; this makes the selected "
            "one start at the frame shown"))
        self.start_here.clicked.connect(lambda: self.trim_selected_region(start=True))
        self.end_here = QPushButton(self.tr("End here"))
        self.end_here.setAccessibleName(self.tr("The selected region ends at this frame"))
        self.end_here.setToolTip(self.tr(
            "A region drawn on a video hides its area in every frame; this makes the selected "
            "one end at the frame shown"))
        self.end_here.clicked.connect(lambda: self.trim_selected_region(start=False))
        row.addWidget(self.start_here)
        row.addWidget(self.end_here)
        self.scrub_row = scrub_row
        self.scrub_row.hide()
        centre = QWidget()
        column = QVBoxLayout(centre)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.stack, 1)
        column.addWidget(self.scrub_row)

        self.panel = RevealPanel()
        self.panel.setMinimumWidth(240)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.list_view)
        splitter.addWidget(centre)
        splitter.addWidget(self.panel)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 700, 280])
        splitter.setChildrenCollapsible(False)
        self.setCentralWidget(splitter)

        self.status_label = QLabel()
        self.status_label.setAccessibleName(self.tr("Status"))
        self.progress = QProgressBar()
        self.progress.setMaximumWidth(420)
        self.progress.setRange(0, EXPORT_STEPS)  # thousandths of the export's work
        self.progress.setAccessibleName(self.tr("Export progress"))
        self.cancel_button = QPushButton(self.tr("Cancel"))
        self.cancel_button.setAccessibleName(self.tr("Cancel the export"))
        self.cancel_button.clicked.connect(self.cancel_export)
        self.statusBar().addWidget(self.status_label, 1)
        self.statusBar().addPermanentWidget(self.progress)
        self.statusBar().addPermanentWidget(self.cancel_button)
        self.progress.hide()
        self.cancel_button.hide()

    def _show_welcome(self) -> None:
        self.placeholder.setText(
            "<h2>" + _html(self.tr("Drop photos or folders here")) + "</h2><p>"
            + _html(self.tr("crowdveil finds every face and hides it for good, and removes "
                            "everything the file says about where, when and with what it "
                            "was taken.")) + "</p><p>"
            # the menu's own words, so the two never disagree in any language
            + arg(_html(self.tr("Or use %1")), "<b>" + _html(
                f"{self.file_menu.title().replace('&', '')} › "
                f"{self.open_files_action.text()}") + "</b>") + "</p>")

    def _action(self, text: str, slot, shortcut=None, tip: str = "",
                toolbar: str = "") -> QAction:
        """`toolbar`: a shorter label for the toolbar button (the menu shows `text`)."""
        action = QAction(text, self)
        action.triggered.connect(slot)
        if shortcut is not None:
            keys = shortcut if isinstance(shortcut, list) else [shortcut]
            action.setShortcuts([QKeySequence(k) for k in keys])
        if toolbar:
            action.setIconText(toolbar)
        names = _keys(action)
        # the tooltip names the shortcut: how keyboard users learn it
        action.setToolTip(arg(self.tr("%1 (%2)"), tip or text, names) if names
                          else (tip or text))
        action.setStatusTip(tip)
        self.addAction(action)  # shortcuts work wherever the focus is
        return action

    def _build_actions(self) -> None:
        S = QKeySequence.StandardKey
        self.open_files_action = self._action(self.tr("Open photos…"), self.open_files_dialog,
                                              S.Open)
        self.open_folder_action = self._action(self.tr("Open a folder…"),
                                               self.open_folder_dialog, "Ctrl+Shift+O")
        self.export_selected_action = self._action(
            self.tr("Export selected…"), self.export_selected, "Ctrl+E",
            self.tr("Write safe copies of the selected photos to a folder"))
        self.export_all_action = self._action(
            self.tr("Export all…"), self.export_all, "Ctrl+Shift+E",
            self.tr("Write safe copies of every checked photo to a folder"))
        self.save_report_action = self._action(
            self.tr("Save report…"), self.save_report_dialog,
            tip=self.tr("Save what the last export removed, as a JSON file"))
        self.clear_action = self._action(self.tr("Clear the list"), self.clear)
        self.quit_action = self._action(self.tr("Quit"), self.close, S.Quit)

        self.undo_action = self.undo_group.createUndoAction(self, self.tr("Undo"))
        self.undo_action.setShortcuts(QKeySequence.keyBindings(S.Undo))
        self.redo_action = self.undo_group.createRedoAction(self, self.tr("Redo"))
        self.redo_action.setShortcuts(QKeySequence.keyBindings(S.Redo))
        self.undo_action.setIconText(self.tr("Undo"))
        self.redo_action.setIconText(self.tr("Redo"))
        self.addAction(self.undo_action)
        self.addAction(self.redo_action)
        self.delete_action = self._action(
            self.tr("Delete region"), self.delete_selected_regions, ["Del", "Backspace"],
            self.tr("Remove the selected region (it will not be hidden)"))
        self.add_region_action = self._action(
            self.tr("Add a region"), self.view.add_region_here, ["A", "Ins"],
            self.tr("Add a region in the middle of the view: the arrow keys move it, "
                    "Alt with the arrows resizes it"))
        self.shape_action = self._action(
            self.tr("Box / ellipse"), self.view.toggle_shape_selected, "S",
            self.tr("Switch the selected region between box and ellipse"))
        self.next_action = self._action(self.tr("Next photo"), self.next_photo,
                                        ["PgDown", "Ctrl+Right"])
        self.prev_action = self._action(self.tr("Previous photo"), self.previous_photo,
                                        ["PgUp", "Ctrl+Left"])
        self.next_region_action = self._action(
            self.tr("Next region"), lambda: self._step_region(1), "N",
            self.tr("Select the next region and zoom to it, largest faces first"))
        self.prev_region_action = self._action(
            self.tr("Previous region"), lambda: self._step_region(-1),
            "Shift+N", self.tr("Select the previous region and zoom to it"))
        self.zoom_region_action = self._action(
            self.tr("Zoom to region"), self.view.zoom_to_selected, "Z",
            self.tr("Zoom to the selected region"))
        self.zoom_in_action = self._action(self.tr("Zoom in"), lambda: self.view.zoom_by(1.25),
                                           S.ZoomIn)
        self.zoom_out_action = self._action(self.tr("Zoom out"), lambda: self.view.zoom_by(0.8),
                                            S.ZoomOut)
        self.fit_action = self._action(self.tr("Fit to window"), self.view.fit, "Ctrl+0")
        self.actual_action = self._action(self.tr("Actual pixels"), self.view.actual_size,
                                          "Ctrl+1")
        self.outlines_action = self._action(
            self.tr("Outlines"), self._on_outlines, "O",
            self.tr("Draw each region's outline instead of a see-through fill"))
        self.outlines_action.setCheckable(True)
        self.preview_action = self._action(
            self.tr("Compare with the result"), self._refresh_picture, "R",
            self.tr("Show the photo as it will be exported; again to see the original"))
        self.preview_action.setCheckable(True)

        self.method_box = QComboBox()
        for m in METHODS:
            self.method_box.addItem(self._method_label(m), m)
        self.method_box.setToolTip(self.tr("How faces are destroyed in the exported files"))
        self.method_box.currentIndexChanged.connect(self._refresh_picture)
        method_label = QLabel(self.tr("Hide faces with:"))
        method_label.setBuddy(self.method_box)
        self.method_box.setAccessibleName(self.tr("Hide faces with"))

        menu = self.menuBar()
        self.file_menu = file_menu = menu.addMenu(self.tr("&File"))
        for a in (self.open_files_action, self.open_folder_action, None,
                  self.export_selected_action, self.export_all_action, self.save_report_action,
                  None, self.clear_action, None, self.quit_action):
            file_menu.addSeparator() if a is None else file_menu.addAction(a)
        edit_menu = menu.addMenu(self.tr("&Edit"))
        for a in (self.undo_action, self.redo_action, None, self.add_region_action,
                  self.delete_action, self.shape_action):
            edit_menu.addSeparator() if a is None else edit_menu.addAction(a)
        view_menu = menu.addMenu(self.tr("&View"))
        for a in (self.next_action, self.prev_action, None, self.next_region_action,
                  self.prev_region_action, self.zoom_region_action, None, self.zoom_in_action,
                  self.zoom_out_action, self.fit_action, self.actual_action, None,
                  self.outlines_action, self.preview_action):
            view_menu.addSeparator() if a is None else view_menu.addAction(a)
        self.language_menu = menu.addMenu(self.tr("&Language"))
        self.language_group = QActionGroup(self)
        saved = saved_language()
        choices: list[tuple[str | None, str]] = [(None, self.tr("As the system"))]
        choices += list(LANGUAGES.items())
        for code, name in choices:
            action = self.language_menu.addAction(name)
            action.setCheckable(True)
            action.setChecked(code == saved)
            action.setData(code)
            self.language_group.addAction(action)
            if code is None:
                self.language_menu.addSeparator()
        self.language_group.triggered.connect(self._on_language_chosen)

        # two rows: the French labels are longer than the English ones and must not be hidden
        # behind the toolbar's overflow button at 1280 pixels or at 200 % scaling
        bar = QToolBar(self.tr("Photos and export"))
        bar.setObjectName("main-toolbar")
        review = QToolBar(self.tr("Review"))
        review.setObjectName("review-toolbar")
        for b in (bar, review):
            b.setMovable(False)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        for a in (self.open_files_action, self.open_folder_action, None, self.undo_action,
                  self.redo_action, self.delete_action):
            bar.addSeparator() if a is None else bar.addAction(a)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        bar.addWidget(spacer)
        bar.addWidget(method_label)
        bar.addWidget(self.method_box)
        bar.addAction(self.export_selected_action)
        bar.addAction(self.export_all_action)
        for a in (self.prev_action, self.next_action, None, self.prev_region_action,
                  self.next_region_action, self.zoom_region_action, None, self.fit_action,
                  None, self.outlines_action, self.preview_action):
            review.addSeparator() if a is None else review.addAction(a)
        self.addToolBar(bar)
        self.addToolBarBreak()
        self.addToolBar(review)
        self.toolbars = [bar, review]
        for b in self.toolbars:
            b.setAccessibleName(b.windowTitle())
            for button in b.findChildren(QAbstractButton):
                shown = getattr(button, "defaultAction", lambda: None)()
                if shown is not None:
                    # a screen reader says the full name, not the shortened button label
                    button.setAccessibleName(shown.text().replace("&", "").rstrip("…"))
        self.setTabOrder(self.list_view, self.view)
        self.setTabOrder(self.view, self.panel)

    def _method_label(self, method: str) -> str:
        if method == "fill":
            return self.tr("Solid fill")
        if method == "mosaic":
            return self.tr("Coarse mosaic")
        if method == "blur":
            return self.tr("Heavy blur")
        return method

    def _step_region(self, step: int) -> None:
        chosen = self.view.step_region(step)
        if chosen is not None:
            # where the user is in the list: also what a screen reader can read out
            order = self.view.region_order()
            self.status_label.setText(arg(self.tr("Region %1 of %2 (largest first)"),
                                          order.index(chosen) + 1, len(order)))

    def _on_outlines(self) -> None:
        self.view.set_outlines(self.outlines_action.isChecked())

    def _on_language_chosen(self, action: QAction) -> None:
        save_language(action.data())
        # applied at the next start: every label would otherwise need rebuilding live
        self.language_note = QMessageBox(
            QMessageBox.Icon.Information, self.tr("Language"),
            self.tr("The window will use this language the next time crowdveil starts."),
            QMessageBox.StandardButton.Ok, self)
        self.language_note.open()  # not modal: nothing waits on it

    # adding photos ----------------------------------------------------------------------
    def add_paths(self, paths: list[Path]) -> int:
        """List the photos at these paths (files or folders) and queue them for checking."""
        known = {item.path for item in self.model.items}
        new: list[PhotoItem] = []
        for path, root, reason in collect(paths):
            if path in known:
                continue
            known.add(path)
            item = PhotoItem(path=path, root=root,
                             video=path.suffix.lower() in VIDEO_SUFFIXES)
            if reason is not None:
                item.status, item.error = Status.ERROR, reason
            new.append(item)
        self.model.add(new)
        for item in new:
            if item.status is Status.QUEUED:
                self.session.check(item)
        if new and self._current is None:
            self.select_row(self.model.row_of(new[0]))
        self._update_state()
        return len(new)

    def dragEnterEvent(self, event) -> None:
        if any(u.isLocalFile() for u in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:
        self.dragEnterEvent(event)

    def dropEvent(self, event) -> None:
        paths = [Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile()]
        if paths:
            event.acceptProposedAction()
            self.add_paths(paths)

    def open_files_dialog(self) -> None:
        patterns = " ".join(f"*{s}" for s in sorted(SUPPORTED_SUFFIXES | VIDEO_SUFFIXES))
        names, _ = QFileDialog.getOpenFileNames(
            self, self.tr("Open photos"), "",
            arg(self.tr("Photos and videos (%1);;All files (*)"), patterns))
        self.add_paths([Path(n) for n in names])

    def open_folder_dialog(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Open a folder of photos"))
        if folder:
            self.add_paths([Path(folder)])

    def clear(self) -> None:
        if self.exporting():
            return
        self.session.forget(list(self.model.items))
        self._show(None)
        self.model.clear()
        for stack in self._stacks.values():
            self.undo_group.removeStack(stack)
        self._stacks.clear()
        self._cache.clear()
        self._update_state()

    # results of the workers (queued to the GUI thread) ----------------------------------
    def _known(self, item: PhotoItem) -> bool:
        return self.model.row_of(item) >= 0

    def _on_detect_started(self, item: PhotoItem) -> None:
        if self._known(item) and item.status is Status.QUEUED:
            item.status = Status.ANALYSING
            self._item_changed(item)

    def _on_analysed(self, item: PhotoItem, checked: Checked | VideoChecked) -> None:
        if not self._known(item):
            return
        if isinstance(checked, VideoChecked):
            self._on_clip_checked(item, checked)
            return
        item.digest = checked.digest
        item.detected = list(checked.regions)
        item.regions = list(checked.regions)
        item.findings = list(checked.findings)
        item.notes = list(checked.notes)
        item.height, item.width = checked.pixels.shape[:2]
        item.format, item.has_alpha = checked.format, checked.has_alpha
        item.thumb = to_qimage(checked.thumb)
        self.model.forget_icon(item)
        item.status = Status.READY
        self._keep_pixels(item, checked.pixels)
        if item is self._current:
            self._show(item)
        self._item_changed(item)

    def _on_clip_checked(self, item: PhotoItem, checked: VideoChecked) -> None:
        item.digest = checked.digest
        item.frame_regions = checked.regions
        item.detected, item.regions = [], []  # the user's own, held over the whole clip
        item.findings = list(checked.findings)
        item.width, item.height = checked.width, checked.height
        item.frames, item.duration_s = checked.frames, checked.duration_s
        item.frame, item.frame_cache = 0, {}
        item.frame_stamps = checked.stamps
        item.format = "mp4"
        item.thumb = to_qimage(checked.thumb)
        self.model.forget_icon(item)
        item.status = Status.READY
        if item is self._current:
            self._show(item)
        self._item_changed(item)

    def _on_frame(self, item: PhotoItem, index: int, pixels: np.ndarray) -> None:
        if not (self._known(item) and item.reviewable):
            return
        item.frame_cache[index] = pixels
        while len(item.frame_cache) > FRAME_CACHE:  # the oldest fetched goes first
            oldest = next(k for k in item.frame_cache if k != item.frame)
            del item.frame_cache[oldest]
        if item is self._current and index == item.frame:
            self._show(item)

    def _on_progress(self, item: PhotoItem, kind: str, p: JobProgress) -> None:
        """How far a clip is (a worker says it about every half second): frames, time left."""
        if not self._known(item):
            return
        template = (self.tr("%1: finding faces, frame %2 of %3") if kind == "check"
                    else self.tr("%1: writing, frame %2 of %3"))
        text = arg(template, item.name, p.done, p.total or "?")
        if p.left_s is not None:
            text += " " + arg(self.tr("(about %1 s left)"), round(p.left_s))
        if kind == "export" or not self.exporting():
            self.status_label.setText(text)
        if kind == "export" and self._export_clock is not None:
            self._export_clock.clip(id(item), p)
            self._show_export_progress()

    def _on_export_started(self, item: PhotoItem) -> None:
        if self._export_clock is not None:
            self._export_clock.started(id(item))
            self._show_export_progress()

    def _show_export_progress(self) -> None:
        """The export's bar: its work done (the frames of its clips count, not just files),
        with files, frames and the time left written on it."""
        clock = self._export_clock
        if clock is None:
            return
        now = clock.now()
        parts = [arg(self.tr("%1 of %2 files"), now.files_done, now.files)]
        if now.frames:
            parts.append(arg(self.tr("%1 of %2 frames"), now.frames_done, now.frames))
        if now.left_s is None:
            parts.append(self.tr("time left not known yet"))
        elif now.left_s >= 60:
            whole = round(now.left_s)
            parts.append(arg(self.tr("about %1 min %2 s left"), whole // 60,
                             f"{whole % 60:02d}"))
        else:
            parts.append(arg(self.tr("about %1 s left"), math.ceil(now.left_s)))
        # Qt reads % in a progress bar's format as its own placeholders
        self.progress.setFormat(", ".join(parts).replace("%", "%%"))
        self.progress.setValue(round(now.fraction * EXPORT_STEPS))

    def trim_selected_region(self, start: bool) -> bool:
        """The selected region of a clip starts (or ends) at the frame shown; undoable."""
        item = self._current
        index = self.view.selected_index()
        if item is None or not item.video or index is None or index >= len(item.regions):
            self.status_label.setText(self.tr("Select a region you drew first."))
            return False
        region = item.regions[index]
        first, last = span_of(region, item.frames)
        if start:
            first, last = item.frame, max(last, item.frame)
        else:
            first, last = min(first, item.frame), item.frame
        editor = RegionEditor(item, self._stack_for(item), self._item_changed)
        editor.replace(index, with_span(region, first, last),
                       self.tr("setting the frames of a region"))
        self.status_label.setText(arg(self.tr("This region hides its area in frames %1 to %2."),
                                      first + 1, last + 1))
        return True

    def _on_frame_chosen(self, index: int) -> None:
        item = self._current
        if item is None or not item.video or index == item.frame:
            return
        item.frame = index
        self._show(item)

    def _on_detect_failed(self, item: PhotoItem, reason: str) -> None:
        if self._known(item):
            item.status, item.error = Status.ERROR, reason
            item.pixels = None
            if item is self._current:
                self._show(item)
            self._item_changed(item)

    def _on_pixels(self, item: PhotoItem, pixels: np.ndarray) -> None:
        if self._known(item) and item.reviewable:
            self._keep_pixels(item, pixels)
            if item is self._current:
                self._show(item)

    def _on_changed(self, item: PhotoItem) -> None:
        """The file is not the picture that was checked: its regions are worthless; the new
        picture is checked from scratch and the user reviews it again."""
        if not self._known(item):
            return
        item.status, item.error, item.pixels = Status.QUEUED, None, None
        item.frame_cache = {}
        if item in self._cache:
            self._cache.remove(item)
        stack = self._stacks.pop(id(item), None)
        if stack is not None:
            self.undo_group.removeStack(stack)
        self.session.check(item)
        if item is self._current:
            self._show(item)
        self._item_changed(item)

    def _keep_pixels(self, item: PhotoItem, pixels: np.ndarray) -> None:
        """Hold a few decoded photos; let the oldest go (a worker decodes them again)."""
        item.pixels = pixels
        if item in self._cache:
            self._cache.remove(item)
        self._cache.append(item)
        while len(self._cache) > PIXEL_CACHE:
            old = self._cache.popleft()
            if old is not self._current:
                old.pixels = None
            else:
                self._cache.append(old)
                break

    def _pixels_of(self, item: PhotoItem) -> np.ndarray | None:
        """The pixels to show, or None while a worker decodes them again (checking that the
        file still holds the bytes that were checked)."""
        if item.video:  # the frame under review
            item.pixels = item.frame_cache.get(item.frame)
            if item.pixels is None:
                self.session.fetch_frame(item, item.frame)
            return item.pixels
        if item.pixels is None:
            self.session.fetch_pixels(item)
        return item.pixels

    # review -----------------------------------------------------------------------------
    def current_item(self) -> PhotoItem | None:
        return self._current

    def select_row(self, row: int) -> None:
        if 0 <= row < self.model.rowCount():
            index = self.model.index(row)
            self.list_view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect)
            self.list_view.scrollTo(index)

    def next_photo(self) -> None:
        self.select_row(self.list_view.currentIndex().row() + 1)

    def previous_photo(self) -> None:
        self.select_row(self.list_view.currentIndex().row() - 1)

    def _on_current_changed(self, current, _previous) -> None:
        item = self.model.data(current, PhotoListModel.ItemRole) if current.isValid() else None
        self._show(item)

    def _stack_for(self, item: PhotoItem) -> QUndoStack:
        stack = self._stacks.get(id(item))
        if stack is None:
            stack = QUndoStack(self.undo_group)
            self._stacks[id(item)] = stack
        return stack

    def _show(self, item: PhotoItem | None) -> None:
        left = self._current
        if left is not None and left is not item and left.video:
            left.frame_cache, left.pixels = {}, None  # a clip's frames: only while reviewed
        self._current = item
        self.setWindowTitle(item.name if item is not None
                            else self.tr("Make protest photos safe to share"))
        if item is None:
            self._show_welcome()
        self.panel.show_item(item)
        self._sync_scrubber(item)
        pixels = self._pixels_of(item) if item is not None and item.reviewable else None
        if item is None or pixels is None:
            self._original = None
            self.view.show_photo(None, None)
            self.undo_group.setActiveStack(None)  # type: ignore[arg-type]  # Qt takes None: no stack
            self.stack.setCurrentWidget(self.placeholder)
            if item is not None:
                text = self.tr("Loading…") if item.reviewable else item.status_text()
                self.placeholder.setText(f"<h3>{_html(item.name)}</h3><p>{_html(text)}</p>")
                self.panel.show_item(item)
            return
        stack = self._stack_for(item)
        self.undo_group.setActiveStack(stack)
        self._original = QPixmap.fromImage(to_qimage(pixels))
        self.view.show_photo(RegionEditor(item, stack, self._item_changed), self._original)
        self.stack.setCurrentWidget(self.view)
        self._refresh_picture()
        self._update_state()

    def _sync_scrubber(self, item: PhotoItem | None) -> None:
        clip = item is not None and item.video and item.reviewable and item.frames > 0
        self.scrub_row.setVisible(bool(clip))
        if item is None or not clip:
            return
        self.scrubber.blockSignals(True)  # setting the range is not the user choosing a frame
        self.scrubber.setRange(0, item.frames - 1)
        self.scrubber.setPageStep(max(1, round(item.frames / max(item.duration_s, 1e-3))))
        self.scrubber.setValue(item.frame)
        self.scrubber.blockSignals(False)
        self.frame_label.setText(arg(self.tr("Frame %1 of %2"), item.frame + 1, item.frames))

    def _item_changed(self, item: PhotoItem) -> None:
        """Called after any change to a photo: detection, an edit, undo/redo, export."""
        self.model.refresh(item)
        if item is self._current:
            self.panel.show_item(item)
            if self.stack.currentWidget() is self.view:
                self.view.sync()
                self._refresh_picture()
        self._update_state()

    def method(self) -> Method:
        return self.method_box.currentData()

    def _refresh_picture(self) -> None:
        item = self._current
        if item is None or item.pixels is None or self._original is None:
            return
        self.view.preview = self.preview_action.isChecked()
        if not self.view.preview:
            if item.video:  # the tracker's regions of this frame, outlined (not editable)
                self.view.set_pixmap(self._outlined(self._original, item))
            else:
                self.view.set_pixmap(self._original)
            return
        # a fixed seed: the preview must not flicker as the user edits
        shown = redact(item.pixels, item.shown_regions(), self.method(),
                       np.random.default_rng(0))
        self.view.set_pixmap(QPixmap.fromImage(to_qimage(shown)))

    @staticmethod
    def _outlined(original: QPixmap, item: PhotoItem) -> QPixmap:
        shown = QPixmap(original)
        painter = QPainter(shown)
        pen = QPen(QColor(255, 64, 64))
        pen.setWidth(max(2, min(item.width, item.height) // 200))
        painter.setPen(pen)
        for r in item.frame_regions[item.frame] if item.frame < len(item.frame_regions) else []:
            if r.shape == "ellipse":
                painter.drawEllipse(r.x, r.y, r.w, r.h)
            else:
                painter.drawRect(r.x, r.y, r.w, r.h)
        painter.end()
        return shown

    def delete_selected_regions(self) -> None:
        self.view.delete_selected()

    # export -----------------------------------------------------------------------------
    def export_selected(self) -> bool:
        rows = sorted(i.row() for i in self.list_view.selectionModel().selectedRows())
        return self.export_items([self.model.items[r] for r in rows])

    def export_all(self) -> bool:
        return self.export_items(list(self.model.items))

    def export_items(self, items: list[PhotoItem]) -> bool:
        """Ask for a folder and export these photos in the background; False if nothing ran."""
        if self.exporting():
            return False
        ready = [i for i in items if i.exportable]
        waiting = sum(i.status in (Status.QUEUED, Status.ANALYSING) for i in items)
        if not ready:
            self.status_label.setText(
                self.tr("Nothing to export yet: photos are still being checked.") if waiting
                else self.tr("Nothing to export yet."))
            return False
        folder = self.choose_folder()
        if folder is None:
            return False
        folder = Path(folder)
        jobs = self.session.plan_export(ready, folder, self.method(),
                                        [i.path for i in self.model.items])
        jobs, skipped, refused, answer = self._settle_existing(jobs, Record(folder))
        if answer == "cancel":
            return False
        self.results = list(skipped)
        for item, row in refused:
            self.results.append(row)
            item.status = Status.EXPORT_FAILED
            item.error = arg(self.tr(
                "not exported: %1 exists and was not written by crowdveil; the copy there is "
                "not this photo's current version (Replace writes over it)"), row.output or "")
            self._item_changed(item)
        notes = []
        if skipped:
            notes.append(self.tr("%Ln photo(s) already exported as they are now: skipped.",
                                 "", len(skipped)))
        if refused:
            names = ", ".join(display_path(Path(r.output or "")) for _, r in refused[:5])
            notes.append(arg(self.tr(
                "%Ln file(s) not written by crowdveil were left as they are (%1): the copy "
                "there is not the current one of its photo. Choose Replace to write over it.",
                "", len(refused)), names))
        if waiting:
            notes.append(self.tr("%Ln photo(s) still being checked are not included.", "",
                                 waiting))
        if not jobs:
            self.status_label.setText(" ".join(notes) or self.tr("Nothing exported."))
            self._update_state()
            return False
        self._start_export(jobs, notes)
        return True

    def _settle_existing(self, jobs: list[Job], record: Record):
        """Ask about files already there. "Skip existing" skips only an output the record
        proves was made from this photo's checked bytes with these very regions; a stale
        output of ours is written again; a file crowdveil did not write is never replaced
        without Replace, and is reported, since what is there is not the current version."""
        existing = [j for j in jobs if os.path.lexists(j[2])]
        if not existing:
            return jobs, [], [], "none"
        current = [j for j in existing if record.proof(j[2], j[0].digest, j[1].key)]
        foreign = [j for j in existing if j not in current and not record.wrote(j[2])]
        self._foreign = [j[2] for j in foreign]
        answer = self.ask_overwrite([j[2] for j in existing])
        if answer == "cancel":
            return [], [], [], answer
        if answer == "overwrite":
            return [(i, replace(t, options=replace(t.options, overwrite=True))
                     if (i, t, p) in existing else t, p)
                    for i, t, p in jobs], [], [], answer
        skipped = [FileResult(display_path(i.path), output=display_path(p), status="skipped",
                              width=i.width, height=i.height) for i, _, p in current]
        refused = [(i, FileResult(
            display_path(i.path), output=display_path(p), status="error",
            error_message=msg("app.foreign", file=display_path(p)))) for i, _, p in foreign]
        kept = [j for j in jobs if j not in current and j not in foreign]
        return kept, skipped, refused, answer

    def _start_export(self, jobs: list[Job],
                      notes: list[str]) -> None:
        self._export_notes = notes
        for item, _, _ in jobs:
            item.status = Status.EXPORTING
            self.model.refresh(item)
        self._export_clock = BatchClock(
            [(id(item), ClipHint(item.frames or None, item.width * item.height or None, 0)
              if item.video else None) for item, _, _ in jobs],
            workers=self.session.provider.workers, search=False)
        self.session.export([(item, task) for item, task, _ in jobs])
        self._show_export_progress()
        self.progress.show()
        self.cancel_button.setEnabled(True)
        self.cancel_button.show()
        self.status_label.setText(self.tr("Exporting %Ln photo(s)…", "", len(jobs)))
        self._update_state()

    def cancel_export(self) -> None:
        if self.exporting():
            self.cancel_button.setEnabled(False)
            self.status_label.setText(self.tr("Cancelling after the current photo…"))
            self.session.cancel_export()

    def _on_exported(self, item: PhotoItem, result: FileResult) -> None:
        self.results.append(result)
        if self._export_clock is not None:
            self._export_clock.finished(id(item), result)
            self._show_export_progress()
        if not self._known(item):
            return
        if result.status == "ok":
            item.status, item.output, item.error = Status.EXPORTED, result.output, None
        else:
            item.status = Status.EXPORT_FAILED
            item.error = result.error_message or result.error
        self._item_changed(item)

    def _on_export_finished(self, cancelled: bool) -> None:
        for item in self.model.items:
            if item.status is Status.EXPORTING:  # cancelled before its turn
                item.status = Status.READY
                self.model.refresh(item)
        self.progress.hide()
        self.cancel_button.hide()
        self._export_clock = None
        ok = sum(r.status == "ok" for r in self.results)
        failed = sum(r.status == "error" for r in self.results)
        text = self.tr("Exported %Ln photo(s).", "", ok)
        if failed:
            text += " " + self.tr("%Ln failed (see the list).", "", failed)
        if cancelled:
            text += " " + self.tr("Export cancelled.")
        self.status_label.setText(" ".join([text, *self._export_notes]))
        self._update_state()
        self.export_finished.emit()

    def exporting(self) -> bool:
        return self.session.exporting()

    def report(self) -> dict:
        """The last export as the CLI's default report: counts of what was removed, no values."""
        return report.build(self.results)

    def save_report_dialog(self) -> None:
        name, _ = QFileDialog.getSaveFileName(self, self.tr("Save report"),
                                              "crowdveil-report.json",
                                              self.tr("JSON report (*.json)"))
        if not name:
            return
        outputs = [Path(r.output).parent for r in self.results if r.output]
        try:
            # the dialog has asked before replacing a file; inputs and the folder people
            # publish are refused as on the command line
            report.check_target(Path(name), overwrite=True,
                                inputs=[*(item.path for item in self.model.items),
                                        *(Path(r.input) for r in self.results)],
                                writing=[Path(os.path.commonpath(outputs))] if outputs else [])
            report.write(self.report(), Path(name), overwrite=True)
        except (CrowdveilError, ValueError) as exc:  # ValueError: outputs on different drives
            QMessageBox.warning(self, self.tr("Report not saved"), describe(exc))

    def _choose_folder_dialog(self) -> Path | None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Export safe copies to…"))
        return Path(folder) if folder else None

    def _ask_overwrite_dialog(self, existing: list[Path]) -> str:
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(self.tr("Files already exist"))
        shown = "\n".join(str(p) for p in existing[:8])
        more = ("\n" + self.tr("… and %Ln more", "", len(existing) - 8)
                if len(existing) > 8 else "")
        box.setText(self.tr(
            "%Ln file(s) already exist in the export folder. Skip existing keeps the ones "
            "crowdveil wrote from these photos as they are now, and writes the others again.",
            "", len(existing)))
        foreign = ""
        if self._foreign:
            foreign = ("\n\n" + self.tr(
                "%Ln of them were not written by crowdveil (or were changed since): Skip "
                "existing leaves them as they are, so what is published there is not the "
                "current photo:", "", len(self._foreign)) + "\n"
                + "\n".join(str(p) for p in self._foreign[:8]))
        box.setInformativeText(f"{shown}{more}{foreign}")
        replace_button = box.addButton(self.tr("Replace"), QMessageBox.ButtonRole.DestructiveRole)
        skip = box.addButton(self.tr("Skip existing"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.setDefaultButton(skip)
        box.exec()
        clicked = box.clickedButton()
        return "overwrite" if clicked is replace_button else "skip" if clicked is skip else "cancel"

    # state ------------------------------------------------------------------------------
    def _update_state(self) -> None:
        items = self.model.items
        busy = self.exporting()
        any_ready = any(i.exportable for i in items)
        self.export_all_action.setEnabled(any_ready and not busy)
        self.export_selected_action.setEnabled(any_ready and not busy)
        self.clear_action.setEnabled(bool(items) and not busy)
        self.save_report_action.setEnabled(bool(self.results) and not busy)
        has_photo = self.stack.currentWidget() is self.view
        for a in (self.delete_action, self.fit_action, self.actual_action, self.zoom_in_action,
                  self.zoom_out_action, self.preview_action, self.shape_action,
                  self.next_region_action, self.prev_region_action, self.zoom_region_action,
                  self.outlines_action, self.add_region_action):
            a.setEnabled(has_photo)
        if busy:
            return
        pending = sum(i.status in (Status.QUEUED, Status.ANALYSING) for i in items)
        if pending:
            self.status_label.setText(arg(self.tr(
                "Checking photos… %1 of %2 done. You can review the finished ones now."),
                len(items) - pending, len(items)))
        elif items and not self.results:
            errors = sum(i.status is Status.ERROR for i in items)
            text = self.tr("%Ln file(s) checked.", "", len(items))
            if errors:
                text += " " + self.tr("%Ln cannot be used.", "", errors)
            self.status_label.setText(f"{text}   {self.edit_hint()}")

    def edit_hint(self) -> str:
        """How to edit, with the keys as this keyboard's language names them."""
        return arg(self.tr("Drag on the photo to hide anything missed · %1 removes the selected "
                           "region · %2 goes to the next region · %3 compares with the result · "
                           "%4 undoes"),
                   _keys(self.delete_action), _keys(self.next_region_action),
                   _keys(self.preview_action), _keys(self.undo_action))

    def closeEvent(self, event) -> None:
        self.cancel_export()
        self.session.forget(list(self.model.items))
        self.session.shutdown()  # stops (kills) the worker processes
        super().closeEvent(event)

    def shutdown(self) -> None:
        """Stop the workers (tests call this; closing the window does it too)."""
        self.close()


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
