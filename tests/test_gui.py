"""crowdveil-gui: what a user does with the window, driven through real Qt events offscreen."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no screen needed

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QTimer, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from crowdveil.detect.base import Detection  # noqa: E402
from crowdveil.gui import tasks  # noqa: E402
from crowdveil.gui.app import build_window  # noqa: E402
from crowdveil.gui.language import describe  # noqa: E402
from crowdveil.gui.main_window import MainWindow  # noqa: E402
from crowdveil.gui.photo_list import Status  # noqa: E402
from crowdveil.verify import verify_file  # noqa: E402
from tests import plant  # noqa: E402

WAIT_MS = 60_000  # generous: a slow CI machine must not fail a correct test


class StubDetector:
    """Finds the same boxes in every photo, instantly: for tests of the window's mechanics."""

    name = "stub"

    def __init__(self, boxes: list[tuple[int, int, int, int]] | None = None,
                 gate: threading.Event | None = None, block_call: int = -1) -> None:
        self.boxes = boxes or []
        self.gate = gate
        self.block_call = block_call
        self.calls = 0
        self.threads: list[int] = []

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        self.threads.append(threading.get_ident())
        if self.calls == self.block_call and self.gate is not None:
            assert self.gate.wait(30), "test never released the detector"
        self.calls += 1
        return [Detection(x, y, w, h, 0.9, "stub") for x, y, w, h in self.boxes]


def textured(width: int = 400, height: int = 300, seed: int = 1) -> np.ndarray:
    """A mid-grey photo with soft texture: no pixel is black, so destroyed areas stand out."""
    rng = np.random.default_rng(seed)
    base = rng.integers(90, 200, size=(height // 10 + 1, width // 10 + 1, 3), dtype=np.uint8)
    img = Image.fromarray(base).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(img)


def save_jpeg(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels).save(path, quality=95)
    return path


def read_rgb(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        return np.asarray(im.convert("RGB")).astype(int)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def make_window(qtbot):
    def make(detector=None, boxes=None) -> MainWindow:
        stub = detector if detector is not None else StubDetector(boxes)
        window = MainWindow(detector_factory=lambda: stub)
        window.stub = stub
        qtbot.addWidget(window)  # closed at teardown, which stops its threads
        window.resize(1280, 800)
        window.show()
        return window

    return make


def settled(window: MainWindow) -> bool:
    return all(i.status not in (Status.QUEUED, Status.ANALYSING) for i in window.model.items)


def load(qtbot, window: MainWindow, paths: list[Path]) -> None:
    window.add_paths(paths)
    qtbot.waitUntil(lambda: settled(window), timeout=WAIT_MS)


def drop(window: MainWindow, paths: list[Path], at: QPoint) -> None:
    """A real drag-and-drop: enter then drop, delivered to the top-level window like a drag
    from a file manager, at a point over one of the window's child widgets."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    handle = window.windowHandle()
    enter = QDragEnterEvent(at, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(handle, enter)
    assert enter.isAccepted()
    event = QDropEvent(QPointF(at), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(handle, event)


def view_point(window: MainWindow, x: float, y: float) -> QPoint:
    """Viewport coordinates of an image pixel in the review view."""
    return window.view.mapFromScene(QPointF(x, y))


def mouse_drag(window: MainWindow, start: QPoint, end: QPoint) -> None:
    viewport = window.view.viewport()
    left, none = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    QTest.mousePress(viewport, left, none, start)
    mid = (start + end) / 2
    QTest.mouseMove(viewport, mid)
    QTest.mouseMove(viewport, end)
    QTest.mouseRelease(viewport, left, none, end)


def export_and_wait(qtbot, window: MainWindow, folder: Path, items=None) -> None:
    window.choose_folder = lambda: folder
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        started = window.export_all() if items is None else window.export_items(items)
        assert started


# --- loading --------------------------------------------------------------------------------


def test_dropping_files_and_a_folder_on_the_review_area_lists_every_photo(
        qtbot, make_window, tmp_path):
    window = make_window()
    folder = tmp_path / "march"
    save_jpeg(folder / "a.jpg", textured(seed=1))
    save_jpeg(folder / "sub" / "b.jpg", textured(seed=2))
    (folder / ".hidden.jpg").write_bytes(b"not listed")
    single = tmp_path / "single.png"
    Image.fromarray(textured(seed=3)).save(single)
    over_review_area = window.stack.mapTo(window, window.stack.rect().center())
    drop(window, [folder, single], over_review_area)
    qtbot.waitUntil(lambda: settled(window) and window.model.rowCount() == 3, timeout=WAIT_MS)
    assert [i.path.name for i in window.model.items] == ["a.jpg", "b.jpg", "single.png"]
    assert all(i.status is Status.READY for i in window.model.items)
    assert all(i.thumb is not None and not i.thumb.isNull() for i in window.model.items)
    # the first photo is opened for review without the user having to click
    assert window.current_item() is window.model.items[0]
    assert window.stack.currentWidget() is window.view


def test_broken_and_unsupported_files_are_listed_with_the_reason(qtbot, make_window, tmp_path):
    window = make_window()
    good = save_jpeg(tmp_path / "good.jpg", textured())
    truncated = tmp_path / "truncated.jpg"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    fake = tmp_path / "fake.jpg"
    fake.write_text("this is not a photo")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "notes.txt").write_text("meeting point")
    load(qtbot, window, [good, truncated, fake, folder])
    rows = {i.path.name: i for i in window.model.items}
    assert rows["good.jpg"].status is Status.READY
    for name in ("truncated.jpg", "fake.jpg", "notes.txt"):
        assert rows[name].status is Status.ERROR, name
    assert "incomplete or damaged" in describe(rows["truncated.jpg"].error)
    assert "not a supported image" in describe(rows["fake.jpg"].error)
    assert "not a photo type" in describe(rows["notes.txt"].error)
    shown = window.model.data(window.model.index(1), Qt.ItemDataRole.DisplayRole)
    assert shown.startswith("truncated.jpg\nError: ")
    # an unreadable photo is never offered for export
    window.select_row(1)
    assert window.stack.currentWidget() is window.placeholder
    assert "Error" in window.placeholder.text()


def test_a_dropped_folder_follows_no_link_the_command_line_would_not(
        qtbot, make_window, tmp_path):
    # A link in a folder of photos leads to a private photo elsewhere: the window must not
    # read it (and offer a cleaned copy of it for export), exactly as the CLI refuses it.
    window = make_window()
    secret = save_jpeg(tmp_path / "elsewhere" / "private.jpg", textured(seed=4))
    folder = tmp_path / "march"
    save_jpeg(folder / "a.jpg", textured(seed=1))
    (folder / "escape.jpg").symlink_to(secret)
    (folder / "alias.jpg").symlink_to(folder / "a.jpg")  # stays inside the folder: read
    (folder / "linked").symlink_to(secret.parent, target_is_directory=True)
    load(qtbot, window, [folder])
    rows = {i.path.name: i for i in window.model.items}
    assert sorted(rows) == ["a.jpg", "alias.jpg", "escape.jpg", "linked"]
    assert rows["a.jpg"].status is Status.READY and rows["alias.jpg"].status is Status.READY
    assert rows["escape.jpg"].status is Status.ERROR
    assert "outside the input folder" in describe(rows["escape.jpg"].error)
    assert rows["linked"].status is Status.ERROR
    assert "not followed" in describe(rows["linked"].error)


def test_a_file_with_several_images_says_only_its_first_is_kept(qtbot, make_window, tmp_path):
    window = make_window()
    scan = tmp_path / "scan.tif"
    Image.fromarray(textured(seed=4)).save(
        scan, save_all=True, append_images=[Image.fromarray(textured(seed=5))])
    load(qtbot, window, [scan])
    item = window.model.items[0]
    assert item.status is Status.READY
    assert "only the first of 2 images" in item.status_text()


def test_paths_on_the_command_line_are_opened(qtbot, tmp_path):
    photo = save_jpeg(tmp_path / "cli.jpg", textured())
    window = build_window([str(photo), "--threshold", "0.2", "--timeout", "30"],
                          detector_factory=StubDetector)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: settled(window) and window.model.rowCount() == 1, timeout=WAIT_MS)
    assert window.model.items[0].status is Status.READY


def test_first_photo_can_be_reviewed_while_the_rest_are_still_being_checked(
        qtbot, make_window, tmp_path):
    gate = threading.Event()
    window = make_window(StubDetector([(150, 100, 60, 60)], gate=gate, block_call=1))
    paths = [save_jpeg(tmp_path / f"{n}.jpg", textured(seed=n)) for n in range(3)]
    window.add_paths(paths)
    first, second, third = window.model.items
    qtbot.waitUntil(lambda: first.status is Status.READY, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: second.status is Status.ANALYSING, timeout=WAIT_MS)
    assert third.status is Status.QUEUED
    # the window works meanwhile: the first photo is on screen with its region, and editable
    assert window.stack.currentWidget() is window.view
    assert len(window.view.region_items()) == 1
    mouse_drag(window, view_point(window, 20, 20), view_point(window, 80, 80))
    assert len(first.regions) == 2
    gate.set()
    qtbot.waitUntil(lambda: settled(window), timeout=WAIT_MS)
    assert all(i.status is Status.READY for i in window.model.items)
    # one detector, used from one thread that is not the GUI thread
    assert set(window.stub.threads) == {window.provider.thread_id}
    assert window.provider.thread_id != threading.get_ident()


# --- review ---------------------------------------------------------------------------------


def test_mouse_drag_on_the_photo_adds_a_manual_region(qtbot, make_window, tmp_path):
    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    item = window.current_item()
    assert item.regions == []
    mouse_drag(window, view_point(window, 100, 80), view_point(window, 200, 180))
    assert len(item.regions) == 1
    r = item.regions[0]
    assert (r.source, r.shape) == ("manual", "box")
    assert abs(r.x - 100) <= 2 and abs(r.y - 80) <= 2
    assert abs(r.w - 100) <= 2 and abs(r.h - 100) <= 2
    assert len(window.view.region_items()) == 1
    # a click (no drag) on the photo adds nothing
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, view_point(window, 300, 250))
    assert len(item.regions) == 1


def test_delete_key_removes_the_selected_region_and_undo_brings_it_back(
        qtbot, make_window, tmp_path):
    window = make_window(boxes=[(150, 100, 60, 60)])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    item = window.current_item()
    assert len(item.regions) == 1
    detected = item.regions[0]
    centre = view_point(window, detected.x + detected.w / 2, detected.y + detected.h / 2)
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, centre)
    assert window.view.region_items()[0].isSelected()
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_Delete)
    assert item.regions == []
    assert window.view.region_items() == []
    assert "0 regions" not in window.panel.summary.text()
    window.undo_action.trigger()
    assert item.regions == [detected]
    assert len(window.view.region_items()) == 1
    window.redo_action.trigger()
    assert item.regions == []


def test_a_region_can_be_moved_and_resized_by_mouse(qtbot, make_window, tmp_path):
    window = make_window(boxes=[(150, 100, 60, 60)])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    item = window.current_item()
    before = item.regions[0]
    cx, cy = before.x + before.w / 2, before.y + before.h / 2
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier, view_point(window, cx, cy))
    mouse_drag(window, view_point(window, cx, cy), view_point(window, cx + 40, cy + 20))
    moved = item.regions[0]
    assert abs(moved.x - (before.x + 40)) <= 2 and abs(moved.y - (before.y + 20)) <= 2
    assert (moved.w, moved.h) == (before.w, before.h)
    # drag the bottom-right corner handle outwards
    corner = (moved.x + moved.w, moved.y + moved.h)
    mouse_drag(window, view_point(window, *corner),
               view_point(window, corner[0] + 30, corner[1] + 10))
    resized = item.regions[0]
    assert (resized.x, resized.y) == (moved.x, moved.y)
    assert abs(resized.w - (moved.w + 30)) <= 2 and abs(resized.h - (moved.h + 10)) <= 2
    window.undo_action.trigger()
    window.undo_action.trigger()
    assert item.regions == [before]


def test_preview_shows_the_regions_destroyed(qtbot, make_window, tmp_path):
    window = make_window(boxes=[(150, 100, 60, 60)])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    r = window.current_item().regions[0]
    centre = (r.x + r.w // 2, r.y + r.h // 2)

    def shown_centre() -> tuple[int, int, int]:
        c = window.view._pixmap_item.pixmap().toImage().pixelColor(*centre)
        return c.red(), c.green(), c.blue()

    assert shown_centre() != (0, 0, 0)
    window.preview_action.trigger()
    assert shown_centre() == (0, 0, 0)
    window.preview_action.trigger()
    assert shown_centre() != (0, 0, 0)


def test_keyboard_moves_between_photos_and_zooms(qtbot, make_window, tmp_path):
    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / f"{n}.jpg", textured(seed=n)) for n in range(3)])
    window.activateWindow()
    window.view.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is window.view, timeout=WAIT_MS)
    QTest.keyClick(window.view, Qt.Key.Key_PageDown)
    assert window.current_item() is window.model.items[1]
    QTest.keyClick(window.view, Qt.Key.Key_PageDown)
    QTest.keyClick(window.view, Qt.Key.Key_PageDown)  # stays on the last one
    assert window.current_item() is window.model.items[2]
    QTest.keyClick(window.view, Qt.Key.Key_PageUp)
    assert window.current_item() is window.model.items[1]
    fitted = window.view.scale_factor()
    QTest.keyClick(window.view, Qt.Key.Key_Plus, Qt.KeyboardModifier.ControlModifier)
    assert window.view.scale_factor() > fitted
    QTest.keyClick(window.view, Qt.Key.Key_0, Qt.KeyboardModifier.ControlModifier)
    assert window.view.scale_factor() == pytest.approx(fitted)


# --- export ---------------------------------------------------------------------------------


def test_drawn_region_is_destroyed_in_the_export_and_the_rest_is_kept(
        qtbot, make_window, tmp_path):
    window = make_window()
    original = textured()
    source = save_jpeg(tmp_path / "in" / "p.jpg", original)
    before = digest(source)
    load(qtbot, window, [source])
    mouse_drag(window, view_point(window, 100, 80), view_point(window, 200, 180))
    out = tmp_path / "out"
    export_and_wait(qtbot, window, out)
    exported = read_rgb(out / "p.jpg")
    assert exported.shape == original.shape
    inside = exported[90:170, 110:190]
    assert inside.max() <= 12  # black fill, give or take JPEG ringing
    far = np.abs(exported[200:280, 260:380] - original[200:280, 260:380].astype(int))
    assert far.mean() < 6
    assert digest(source) == before  # the original is never touched
    row = window.report()["files"][0]
    assert row["status"] == "ok"
    assert [r["source"] for r in row["regions"]] == ["manual"]
    assert window.model.items[0].status is Status.EXPORTED


def test_the_method_chosen_in_the_window_is_the_one_the_export_uses(
        qtbot, make_window, tmp_path):
    """Mosaic chosen: the drawn region comes out in coarse blocks, not the black fill (the
    window's choice travels to the worker in the task's settings object)."""
    window = make_window()
    original = textured()
    source = save_jpeg(tmp_path / "in" / "p.jpg", original)
    load(qtbot, window, [source])
    window.method_box.setCurrentIndex(window.method_box.findData("mosaic"))
    mouse_drag(window, view_point(window, 100, 80), view_point(window, 200, 180))
    export_and_wait(qtbot, window, tmp_path / "out")
    inside = read_rgb(tmp_path / "out" / "p.jpg")[90:170, 110:190].astype(int)
    assert inside.max() > 40, "filled black: the window's method was not used"
    assert np.abs(inside - original[90:170, 110:190]).mean() > 10  # and not the picture either


def test_deleted_region_is_not_destroyed_in_the_export(qtbot, make_window, tmp_path):
    window = make_window(boxes=[(150, 100, 60, 60)])
    original = textured()
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", original)])
    item = window.current_item()
    r = item.regions[0]
    QTest.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.NoModifier,
                     view_point(window, r.x + r.w / 2, r.y + r.h / 2))
    window.delete_action.trigger()
    assert item.regions == []
    export_and_wait(qtbot, window, tmp_path / "out")
    exported = read_rgb(tmp_path / "out" / "p.jpg")
    area = (slice(r.y + 10, r.y + r.h - 10), slice(r.x + 10, r.x + r.w - 10))
    assert np.abs(exported[area] - original[area].astype(int)).mean() < 6
    assert window.report()["files"][0]["regions"] == []


def test_real_pipeline_end_to_end_photo_with_gps_is_exported_clean(qtbot, tmp_path, detector):
    """Real BlazeFace, real files: a planted-metadata photo of a face, reviewed and exported."""
    # the session's default detector (loaded before sockets are blocked); from here on it is
    # only used by the window's detection thread
    window = MainWindow(detector_factory=lambda: detector)
    qtbot.addWidget(window)
    window.resize(1280, 800)
    window.show()
    source = tmp_path / "gps.jpg"
    source.write_bytes(plant.jpeg_with_everything(plant.face_image()))
    before = digest(source)
    load(qtbot, window, [source])
    item = window.current_item()
    assert item.status is Status.READY
    assert any(line.startswith("GPS position") for line in window.panel.lines())
    fx, fy, fw, fh = plant.FACE_BOX
    assert any(r.x <= fx and r.y <= fy and r.x + r.w >= fx + fw and r.y + r.h >= fy + fh
               for r in item.regions), item.regions
    export_and_wait(qtbot, window, tmp_path / "out")
    out = tmp_path / "out" / "gps.jpg"
    data = out.read_bytes()
    assert plant.tokens_in(data) == []
    assert b"Exif" not in data and b"GPS" not in data
    verify_file(out, "jpeg", 512, 512)
    with Image.open(out) as im:
        assert not im.getexif()
    face = read_rgb(out)[fy + fh // 4 : fy + 3 * fh // 4, fx + fw // 4 : fx + 3 * fw // 4]
    assert face.max() <= 12
    assert digest(source) == before
    assert window.report()["files"][0]["metadata_found"]


def test_existing_files_are_not_overwritten_without_asking(qtbot, make_window, tmp_path):
    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    out = tmp_path / "out"
    target = out / "p.jpg"
    out.mkdir()
    target.write_bytes(b"someone's earlier export")
    asked: list[list[Path]] = []

    def answer(reply: str):
        def ask(paths: list[Path]) -> str:
            asked.append(paths)
            return reply
        return ask

    window.choose_folder = lambda: out
    window.ask_overwrite = answer("cancel")
    assert not window.export_all()
    assert asked == [[target]]
    window.ask_overwrite = answer("skip")
    assert not window.export_all()  # nothing left to export
    assert target.read_bytes() == b"someone's earlier export"
    window.ask_overwrite = answer("overwrite")
    export_and_wait(qtbot, window, out)
    assert len(asked) == 3
    verify_file(target, "jpeg", 400, 300)


def test_window_stays_responsive_while_a_batch_exports(qtbot, make_window, tmp_path, monkeypatch):
    window = make_window(boxes=[(150, 100, 60, 60)])
    load(qtbot, window, [save_jpeg(tmp_path / f"{n}.jpg", textured(seed=n)) for n in range(3)])
    # Each export waits until the GUI thread has run a timer: if exporting blocked the event
    # loop the timer could never fire, the wait would time out and the export would fail.
    gui_ran = threading.Event()
    export_threads: list[int] = []
    real_export = tasks.export

    def export_after_gui_ran(*args, **kwargs):
        export_threads.append(threading.get_ident())
        if not gui_ran.wait(20):
            raise RuntimeError("the GUI event loop did not run during the export")
        return real_export(*args, **kwargs)

    monkeypatch.setattr(tasks, "export", export_after_gui_ran)
    ticks: list[int] = []

    def tick() -> None:
        ticks.append(1)
        gui_ran.set()

    timer = QTimer()
    timer.setInterval(5)
    timer.timeout.connect(tick)
    timer.start()
    window.choose_folder = lambda: tmp_path / "out"
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        assert window.export_all()
        assert window.exporting()  # export_all returned while the batch is still running
        assert window.progress.isVisible() and window.cancel_button.isVisible()
    timer.stop()
    assert ticks
    assert len(export_threads) == 3
    assert threading.get_ident() not in export_threads
    assert [r.status for r in window.results] == ["ok", "ok", "ok"]
    assert all(i.status is Status.EXPORTED for i in window.model.items)
    assert not window.progress.isVisible()


def test_cancel_stops_the_export_after_the_current_photo(qtbot, make_window, tmp_path,
                                                         monkeypatch):
    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / f"{n}.jpg", textured(seed=n)) for n in range(3)])
    release = threading.Event()
    started: list[int] = []
    real_export = tasks.export

    def held_export(*args, **kwargs):
        started.append(1)
        assert release.wait(20)
        return real_export(*args, **kwargs)

    monkeypatch.setattr(tasks, "export", held_export)
    window.choose_folder = lambda: tmp_path / "out"
    assert window.export_all()
    qtbot.waitUntil(lambda: len(started) == 1, timeout=WAIT_MS)
    with qtbot.waitSignal(window.export_finished, timeout=WAIT_MS):
        QTest.mouseClick(window.cancel_button, Qt.MouseButton.LeftButton)
        release.set()
    assert len(started) == 1
    # (the export's record, .crowdveil.record.jsonl, is not a published photo)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()
                  if not p.name.startswith(".")) == ["0.jpg"]
    assert [i.status for i in window.model.items] == [Status.EXPORTED, Status.READY, Status.READY]
    assert "cancelled" in window.status_label.text()
