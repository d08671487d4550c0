"""What the app may publish: only the pixels it checked, each at its own path, never in place of
a loaded photo or of a file it did not write; and one hostile photo costs that photo only.

Tracker issue 11, items 1, 7, 8 and the app's half of 9.
"""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no screen needed

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from crowdveil.detect import DetectorSettings  # noqa: E402
from crowdveil.gui.app import parse_args  # noqa: E402
from crowdveil.gui.isolation import ProcessProvider  # noqa: E402
from crowdveil.gui.language import describe  # noqa: E402
from crowdveil.gui.main_window import PIXEL_CACHE, MainWindow  # noqa: E402
from crowdveil.gui.photo_list import Status  # noqa: E402
from tests.test_gui import (  # noqa: E402
    WAIT_MS,
    digest,
    export_and_wait,
    load,
    make_window,  # noqa: F401  (a fixture)
    mouse_drag,
    read_rgb,
    save_jpeg,
    textured,
    view_point,
)
from tests.test_pool import box_detector, crash_on_name, hang_on_name  # noqa: E402

FACE = (150, 100, 60, 60)


def rotate_like_a_file_manager(path: Path) -> None:
    """Set EXIF orientation 6 (same stored pixels, shown turned): the file's bytes change."""
    with Image.open(path) as im:
        pixels = im.copy()
    exif = Image.Exif()
    exif[0x0112] = 6
    pixels.save(path, quality=95, exif=exif)


# --- item 7: one planner, never two photos to one path, never over a loaded input -----------


@pytest.mark.parametrize("as_folder", [False, True])
def test_export_never_writes_two_photos_to_one_path_nor_over_a_loaded_photo(
        qtbot, make_window, tmp_path, as_folder):  # noqa: F811
    photos = tmp_path / "photos"
    loaded = [save_jpeg(photos / "y.jpg", textured(seed=1)),
              save_jpeg(photos / "clean" / "y.jpg", textured(seed=2)),
              save_jpeg(photos / "clean" / "sub" / "y.jpg", textured(seed=3))]
    before = {p: digest(p) for p in loaded}
    window = make_window()
    load(qtbot, window, [photos] if as_folder else loaded)
    assert len(window.model.items) == 3
    window.ask_overwrite = lambda paths: "overwrite"
    export_and_wait(qtbot, window, photos / "clean")
    assert [r.status for r in window.results] == ["ok", "ok", "ok"], window.results
    outputs = [Path(r.output).resolve() for r in window.results]
    assert len(set(outputs)) == 3
    assert not set(outputs) & {p.resolve() for p in loaded}
    assert {p: digest(p) for p in loaded} == before  # no loaded photo was replaced
    # each output holds its own photo (seeds differ: compare with the photo it came from)
    for r in window.results:
        got = read_rgb(Path(r.output))
        src = read_rgb(Path(r.input))
        assert np.abs(got - src).mean() < 6, (r.input, r.output)


# --- item 1: export proves it redacts the very pixels that were checked ----------------------


def test_a_photo_changed_on_disk_after_its_check_is_refused_and_checked_again(
        qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window(boxes=[FACE])
    paths = [save_jpeg(tmp_path / "in" / f"{n}.jpg", textured(seed=n)) for n in range(8)]
    load(qtbot, window, paths)
    changed = window.model.items[1]  # its pixels have left the window's cache
    rotate_like_a_file_manager(paths[1])
    out = tmp_path / "out"
    export_and_wait(qtbot, window, out)
    rows = {Path(r.input).name: r for r in window.results}
    assert rows["1.jpg"].status == "error"
    assert "changed on disk since it was checked" in rows["1.jpg"].error
    # the report keeps a language-independent code for it, like every core error
    assert rows["1.jpg"].error_message.code == "app.changed"
    assert not (out / "1.jpg").exists()
    assert all(rows[f"{n}.jpg"].status == "ok" for n in range(8) if n != 1)
    # checked again, so the user reviews the picture that is now in the file
    qtbot.waitUntil(lambda: changed.status is Status.READY, timeout=WAIT_MS)
    assert (changed.width, changed.height) == (300, 400)
    export_and_wait(qtbot, window, tmp_path / "out2", items=[changed])
    assert window.results[0].status == "ok"


# --- item 9 (the app's half): Skip existing trusts only the record ---------------------------


def test_skip_existing_rewrites_our_export_made_before_a_correction(
        qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    out = tmp_path / "out"
    export_and_wait(qtbot, window, out)
    mouse_drag(window, view_point(window, 100, 80), view_point(window, 200, 180))  # a missed face
    asked: list[list[Path]] = []
    window.ask_overwrite = lambda paths: asked.append(paths) or "skip"
    export_and_wait(qtbot, window, out)
    assert asked == [[out / "p.jpg"]]
    assert window.results[0].status == "ok"
    assert read_rgb(out / "p.jpg")[90:170, 110:190].max() <= 12  # the new region is destroyed


def test_skip_existing_skips_an_export_the_record_proves_current(qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window(boxes=[FACE])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    out = tmp_path / "out"
    export_and_wait(qtbot, window, out)
    first = digest(out / "p.jpg")
    window.ask_overwrite = lambda paths: "skip"
    window.choose_folder = lambda: out
    assert not window.export_all()  # nothing to write: the copy there is this photo's current one
    assert digest(out / "p.jpg") == first
    assert "already exported" in window.status_label.text()


def test_skip_existing_never_replaces_a_file_crowdveil_did_not_write_and_says_so(
        qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    out = tmp_path / "out"
    out.mkdir()
    (out / "p.jpg").write_bytes(b"an unredacted copy put here by hand")
    window.choose_folder = lambda: out
    window.ask_overwrite = lambda paths: "skip"
    assert not window.export_all()
    assert (out / "p.jpg").read_bytes() == b"an unredacted copy put here by hand"
    text = window.status_label.text()
    assert "not written by crowdveil" in text and "p.jpg" in text and "not the current" in text
    item = window.model.items[0]
    assert item.status is Status.EXPORT_FAILED
    assert "not written by crowdveil" in describe(item.error)
    refused = [r for r in window.results if r.status == "error"]
    assert [r.error_message.code for r in refused] == ["app.foreign"]


# --- item 8: decoding, detection and export in worker processes, with the time limit ---------


def process_window(qtbot, work=None, timeout: float = 3.0) -> MainWindow:
    kwargs = {"work": work} if work is not None else {}
    provider = ProcessProvider(box_detector, DetectorSettings(), timeout=timeout, **kwargs)
    window = MainWindow(provider=provider)
    qtbot.addWidget(window)  # closed at teardown, which stops the workers
    window.show()
    return window


def test_a_photo_that_hangs_is_stopped_at_the_time_limit_and_the_rest_export(qtbot, tmp_path):
    hang = save_jpeg(tmp_path / "in" / "hang.jpg", textured(seed=4))
    good = [save_jpeg(tmp_path / "in" / f"{n}.jpg", textured(seed=n)) for n in range(2)]
    window = process_window(qtbot, work=hang_on_name, timeout=3)
    load(qtbot, window, [hang, *good])
    rows = {i.path.name: i for i in window.model.items}
    assert rows["hang.jpg"].status is Status.ERROR
    assert describe(rows["hang.jpg"].error).startswith("stopped after the time limit of 3 s")
    assert rows["0.jpg"].status is Status.READY and rows["1.jpg"].status is Status.READY
    export_and_wait(qtbot, window, tmp_path / "out")
    assert sorted(Path(r.output).name for r in window.results if r.status == "ok") == [
        "0.jpg", "1.jpg"]
    face = read_rgb(tmp_path / "out" / "0.jpg")[140:160, 190:210]  # the stub's middle box
    assert face.max() <= 12


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_named_jpg_costs_that_row_only(qtbot, tmp_path):
    fifo = tmp_path / "in" / "x.jpg"
    good = save_jpeg(tmp_path / "in" / "a.jpg", textured(seed=1))
    os.mkfifo(fifo)
    window = process_window(qtbot)
    load(qtbot, window, [fifo, good])
    rows = {i.path.name: i for i in window.model.items}
    assert rows["x.jpg"].status is Status.ERROR  # refused, or stopped at the time limit
    assert rows["a.jpg"].status is Status.READY
    export_and_wait(qtbot, window, tmp_path / "out", items=[rows["a.jpg"]])
    assert window.results[0].status == "ok"


def test_a_worker_that_crashes_on_a_photo_costs_that_photo_only(qtbot, tmp_path):
    crash = save_jpeg(tmp_path / "in" / "crash.jpg", textured(seed=5))
    good = save_jpeg(tmp_path / "in" / "a.jpg", textured(seed=6))
    window = process_window(qtbot, work=crash_on_name, timeout=60)
    load(qtbot, window, [crash, good])
    rows = {i.path.name: i for i in window.model.items}
    assert rows["crash.jpg"].status is Status.ERROR
    assert "worker process died on this photo" in describe(rows["crash.jpg"].error)
    assert rows["a.jpg"].status is Status.READY
    export_and_wait(qtbot, window, tmp_path / "out", items=[rows["a.jpg"]])
    assert window.results[0].status == "ok"


def test_the_app_takes_the_time_limit_on_its_command_line() -> None:
    assert parse_args(["--timeout", "12"]).timeout == 12
    assert parse_args([]).timeout == 300


def test_the_window_never_decodes_a_photo_itself_and_rechecks_one_changed_before_display(
        qtbot, tmp_path, monkeypatch):
    import crowdveil.load

    def refuse(*args, **kwargs):
        raise AssertionError("the window's process decoded a photo")

    # workers are other processes: only a decode in the window's own process trips this
    monkeypatch.setattr(crowdveil.load, "decode", refuse)
    window = process_window(qtbot, timeout=60)
    # PIXEL_CACHE + 4: the shown photo may stay cached beyond the limit (whichever came back
    # first), so two more than the cache left one evicted photo on a loaded machine
    paths = [save_jpeg(tmp_path / "in" / f"{n}.jpg", textured(seed=n))
             for n in range(PIXEL_CACHE + 4)]
    load(qtbot, window, paths)
    items = window.model.items
    evicted, changed = [i for i in items if i.pixels is None][:2]  # beyond the window's cache
    window.select_row(window.model.row_of(evicted))
    qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view, timeout=WAIT_MS)
    assert window.current_item() is evicted and evicted.pixels is not None
    rotate_like_a_file_manager(changed.path)
    window.select_row(window.model.row_of(changed))
    qtbot.waitUntil(lambda: changed.status is Status.READY and changed.height == 400,
                    timeout=WAIT_MS)
    assert window.current_item() is changed


@pytest.mark.parametrize("kind", ["pixels", "export"])
def test_the_apps_rereads_keep_the_pixel_limit_the_photo_was_checked_under(
    tmp_path: Path, kind: str
) -> None:
    # the app's own limit, not the default one, bounds what a worker reads (as the check does)
    from crowdveil.gui import tasks
    from crowdveil.load import max_file_bytes
    from crowdveil.pipeline import FileResult, Options

    padded = tmp_path / "padded.jpg"
    with open(padded, "wb") as fh:  # sparse: no disk, and far past a 10,000 px photo's size
        fh.write(b"\xff\xd8\xff\xd9")
        fh.truncate(max_file_bytes(10_000) + 1)
    task = (tasks.PixelsTask(padded, "not its digest", max_pixels=10_000) if kind == "pixels"
            else tasks.ExportTask(padded, "not its digest", tmp_path / "out" / "padded", [],
                                  tmp_path / "out", "key", Options(max_pixels=10_000)))
    result = tasks.run_task(task, None, Options())  # type: ignore[arg-type]
    assert isinstance(result, FileResult) and result.status == "error"
    assert "over the limit" in (result.error or "")
