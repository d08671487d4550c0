"""The app's session plans an export on its own, without a window: names, settings, keys."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no screen needed

from crowdveil.gui.isolation import InProcessProvider  # noqa: E402
from crowdveil.gui.photo_list import PhotoItem  # noqa: E402
from crowdveil.gui.session import Session  # noqa: E402
from crowdveil.gui.tasks import ExportTask  # noqa: E402
from crowdveil.gui.video_tasks import VideoExportTask  # noqa: E402
from crowdveil.regions import Region  # noqa: E402


def test_an_export_plan_keeps_the_dropped_folders_layout_and_the_chosen_method(
        qtbot, tmp_path: Path) -> None:
    root = tmp_path / "march"
    photo = PhotoItem(root / "a" / "p.jpg", root, digest="d1", format="jpeg")
    photo.regions = [Region(1, 2, 3, 4, "rect", 1.0, "manual")]
    clip = PhotoItem(root / "b" / "c.mov", root, digest="d2", video=True, frames=3)
    clip.frame_regions = [[], [], []]
    clip.regions = [Region(5, 6, 7, 8, "rect", 1.0, "manual")]
    provider = InProcessProvider(lambda: None)  # type: ignore[arg-type,return-value]
    session = Session(provider, 10_000_000)  # planning asks no worker anything
    try:
        out = tmp_path / "out"
        loaded = [photo.path, clip.path]
        jobs = session.plan_export([photo, clip], out, "blur", loaded)
        (p_item, p_task, p_target), (c_item, c_task, c_target) = jobs
        assert (p_item, c_item) == (photo, clip)
        assert isinstance(p_task, ExportTask) and isinstance(c_task, VideoExportTask)
        assert p_target == out / "a" / "p.jpg" and c_target == out / "b" / "c.mp4"
        assert {p_task.options.method, c_task.options.method} == {"blur"}
        assert p_task.options.max_pixels == 10_000_000 and not p_task.options.overwrite
        assert p_task.regions == photo.regions
        # the clip's drawn regions hold over every frame unless trimmed
        assert [(u.first, u.last) for u in c_task.user_regions] == [(0, 2)]
        # another method is another output: its key differs, so no old output stands in
        other = session.plan_export([photo], out, "fill", loaded)[0][1]
        assert other.key != p_task.key
    finally:
        session.shutdown()
