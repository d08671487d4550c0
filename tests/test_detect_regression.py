"""Real street photos from the shared dev set: every annotated face must end up hidden.

Uses the scoring rule of ../shared/bench/score.py: a face is hidden when at least 80% of its
annotated box lies under the union of the redaction regions. Ellipses are rasterised as the
analytic ellipse with the scorer's rounded centre and semi-axes: a pixel counts when its centre
is inside. That is a little stricter than the scorer's cv2.ellipse polygon fill (which covers
those pixels and up to 0.79 px more), and than the redaction's own mask (one pixel wider).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil.pipeline import analyse
from crowdveil.regions import Region

REPO = Path(__file__).resolve().parents[1]
DEV = REPO.parent / "shared" / "data" / "facemask"
COVER = 0.8
# The six dev photos with the most annotated faces of 20 px or more (a rule on the annotations,
# not on how crowdveil does), plus two with large close faces.
PHOTOS = [
    "maksssksksss110.jpg",
    "maksssksksss251.jpg",
    "maksssksksss296.jpg",
    "maksssksksss795.jpg",
    "maksssksksss52.jpg",
    "maksssksksss139.jpg",
    "maksssksksss101.jpg",
    "maksssksksss397.jpg",
]


def _truth() -> dict[str, list[list[float]]]:
    path = DEV / "annotations.json"
    if not path.is_file():
        # a newcomer's clone has no ../shared: say so and skip; CI has it, and must not skip
        if os.environ.get("CI"):
            pytest.fail(f"dev set not found at {DEV} (CI keeps ../shared beside the checkout)")
        pytest.skip(f"needs the shared dev set at {DEV} (only CI and the team have it)")
    return json.loads(path.read_text())


def region_mask(regions: list[Region], height: int, width: int) -> np.ndarray:
    """Union of regions, rasterised as the module docstring says."""
    mask = np.zeros((height, width), bool)
    rows, cols = np.arange(height)[:, None], np.arange(width)[None, :]
    for r in regions:
        if r.shape == "ellipse":
            cx, cy = round(r.x + r.w / 2), round(r.y + r.h / 2)
            ax, ay = max(1, round(r.w / 2)), max(1, round(r.h / 2))
            mask |= ((cols - cx) / ax) ** 2 + ((rows - cy) / ay) ** 2 <= 1
        else:
            mask[max(0, r.y) : max(0, r.y + r.h), max(0, r.x) : max(0, r.x + r.w)] = True
    return mask


def coverage(mask: np.ndarray, box: list[float]) -> float:
    """Share of a face box (x, y, w, h) lying under the mask."""
    x, y, w, h = box
    height, width = mask.shape
    x0, y0 = max(0, int(np.floor(x))), max(0, int(np.floor(y)))
    x1, y1 = min(width, int(np.ceil(x + w))), min(height, int(np.ceil(y + h)))
    if x1 <= x0 or y1 <= y0:
        return 1.0  # box entirely outside the picture: nothing to hide
    return float(mask[y0:y1, x0:x1].mean())


def test_coverage_helper_agrees_with_the_scoring_rule() -> None:
    mask = region_mask([Region(0, 0, 100, 100, "ellipse", 1.0, "t")], 200, 200)
    assert coverage(mask, [0, 0, 100, 100]) == pytest.approx(np.pi / 4, abs=0.02)
    assert coverage(mask, [30, 30, 40, 40]) == 1.0
    assert coverage(mask, [150, 150, 20, 20]) == 0.0


@pytest.mark.parametrize("name", PHOTOS)
def test_every_face_of_20_px_or_more_is_hidden(name: str, detector) -> None:
    faces = [b for b in _truth()[name] if min(b[2], b[3]) >= 20]
    assert faces, "the chosen photo must hold faces of 20 px or more"
    analysis = analyse(DEV / "images" / name, detector)
    mask = region_mask(analysis.regions, analysis.height, analysis.width)
    missed = [b for b in faces if coverage(mask, b) < COVER]
    assert not missed, f"{name}: faces not hidden: {missed}"


def test_sideways_stored_photo_gives_the_same_regions_as_the_upright_one(
    tmp_path: Path, detector
) -> None:
    _truth()  # skips (or, under CI, fails) without the shared dev set
    with Image.open(DEV / "images" / "maksssksksss397.jpg") as im:
        upright = np.asarray(im.convert("RGB"))
    Image.fromarray(upright).save(tmp_path / "upright.png")
    # Orientation 6: the camera stored the picture turned 90 degrees counter-clockwise.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(np.ascontiguousarray(np.rot90(upright, 1))).save(
        tmp_path / "sideways.png", exif=exif
    )
    straight = analyse(tmp_path / "upright.png", detector)
    turned = analyse(tmp_path / "sideways.png", detector)
    assert turned.image.orientation == 6
    assert (turned.width, turned.height) == (upright.shape[1], upright.shape[0])
    assert straight.regions, "the photo must contain detected faces"
    assert turned.regions == straight.regions
