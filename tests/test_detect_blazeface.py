"""BlazeFace: mediapipe's detections from our ONNX copy; large pictures shrunk before tiling,
boxes back in the picture's pixels; a changed model or a missing licence refused."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from plant import crowd_image, face_box, face_image

from crowdveil.detect.blazeface import (
    MODEL_PATH,
    BlazeFaceDetector,
    BlazeFaceNet,
    weighted_nms,
)
from crowdveil.detect.centerface import ModelError


def _iou(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_a_face_in_a_12_mp_picture_is_boxed_where_it_is() -> None:
    canvas = np.full((3000, 4000, 3), 90, np.uint8)
    dx, dy = 2300, 1400
    canvas[dy:dy + 768, dx:dx + 768] = face_image(768)
    fx, fy, fw, fh = face_box(768)
    truth = (fx + dx, fy + dy, fw, fh)
    detector = BlazeFaceDetector()
    try:
        tiles_only = detector._detect_tiles(canvas)
        found = detector.detect(canvas)
    finally:
        detector.close()
    # The tiles, cut from the shrunk picture, must map back onto the face, as must the merge.
    assert max(_iou((d.x, d.y, d.w, d.h), truth) for d in tiles_only) > 0.5
    assert max(_iou((d.x, d.y, d.w, d.h), truth) for d in found) > 0.5


# Golden detections recorded from mediapipe 0.10.21 itself (FaceDetection(model_selection=1)
# through benchmarks/blazeface_parity.py's MediapipeBlazeFace) before it left the dependencies.
# Rows: x, y, w, h in the picture's pixels, score. The ONNX port reproduced them within 1e-4 px.
GOLDEN_ONCE = {
    "astronaut": [(173.659, 67.776, 103.929, 103.926, 0.91206)],
    # letterboxed both ways: the face is off-centre in a wide and in a tall picture
    "wide": [(486.365, 54.497, 52.403, 52.364, 0.87879)],
    "tall": [(98.695, 335.207, 50.370, 50.399, 0.87155)],
}
GOLDEN_CROWD = [  # BlazeFaceDetector(threshold=0.3).detect(crowd_image()[0]): 13 planted faces
    (103.771, 131.073, 178.465, 164.969, 0.77795),
    (300.394, 804.383, 141.257, 141.259, 0.89444),
    (413.598, 199.788, 122.890, 122.731, 0.90645),
    (686.382, 120.094, 98.585, 99.591, 0.95398),
    (730.454, 735.486, 111.305, 111.306, 0.91322),
    (916.479, 221.286, 85.187, 85.199, 0.90841),
    (1121.983, 846.926, 83.896, 83.904, 0.87216),
    (1137.672, 131.252, 60.682, 60.691, 0.89079),
    (1336.262, 247.078, 48.844, 50.038, 0.92459),
    (1521.747, 784.897, 67.017, 67.030, 0.91922),
    (1533.117, 158.013, 36.458, 36.463, 0.91740),
    (1710.352, 269.211, 30.366, 33.203, 0.78073),
    (1859.231, 190.730, 25.692, 25.686, 0.64596),
]
BOX_TOLERANCE = 0.01  # px: the goldens are rounded to 1e-3; the port differed by < 1e-4
SCORE_TOLERANCE = 1e-4


def _golden_picture(name: str) -> np.ndarray:
    if name == "astronaut":
        return face_image(512)
    if name == "wide":
        pic = np.full((300, 700, 3), 90, np.uint8)
        pic[20:276, 400:656] = face_image(256)
        return pic
    pic = np.full((640, 300, 3), 90, np.uint8)
    pic[300:556, 10:266] = face_image(256)
    return pic


def _rows(found: list) -> np.ndarray:
    return np.array(sorted((d.x, d.y, d.w, d.h, d.score) for d in found)).reshape(-1, 5)


def _assert_golden(found: list, golden: list[tuple[float, ...]]) -> None:
    rows, want = _rows(found), np.array(sorted(golden))
    assert rows.shape == want.shape, f"{len(rows)} detections, mediapipe gave {len(want)}"
    assert np.abs(rows[:, :4] - want[:, :4]).max() < BOX_TOLERANCE
    assert np.abs(rows[:, 4] - want[:, 4]).max() < SCORE_TOLERANCE


@pytest.fixture(scope="module")
def detector() -> Iterator[BlazeFaceDetector]:
    det = BlazeFaceDetector(threshold=0.3)
    yield det
    det.close()


@pytest.mark.parametrize("name", sorted(GOLDEN_ONCE))
def test_one_model_call_gives_mediapipes_boxes(detector: BlazeFaceDetector, name: str) -> None:
    _assert_golden(detector._detect_once(_golden_picture(name)), GOLDEN_ONCE[name])


def test_the_planted_crowd_gives_mediapipes_boxes(detector: BlazeFaceDetector) -> None:
    # Whole pass, tiles and merge: weighted NMS and letterbox removal on 30 model calls.
    _assert_golden(detector.detect(crowd_image()[0]), GOLDEN_CROWD)


def test_the_score_floor_is_mediapipes_whatever_the_threshold() -> None:
    # mediapipe applied its graph's 0.6 whatever min_detection_confidence said; the figures in
    # benchmarks/RESULTS.md were measured that way, so the port keeps it by default.
    picture = face_image(512)
    strict = BlazeFaceDetector(threshold=0.95)
    honoured = BlazeFaceDetector(threshold=0.95, honour_threshold=True)
    try:
        assert [round(d.score, 3) for d in strict._detect_once(picture)] == [0.912]
        assert honoured._detect_once(picture) == []
    finally:
        strict.close()
        honoured.close()


def test_weighted_nms_averages_overlapping_boxes_by_score() -> None:
    rows = np.array([[0.0, 0.0, 10.0, 10.0, 0.9], [1.0, 1.0, 10.0, 10.0, 0.6],
                     [50.0, 50.0, 5.0, 5.0, 0.7]], np.float32)
    kept = weighted_nms(rows)
    np.testing.assert_allclose(kept[0], [0.4, 0.4, 10.0, 10.0, 0.9], atol=1e-6)
    np.testing.assert_allclose(kept[1], [50.0, 50.0, 5.0, 5.0, 0.7], atol=1e-6)
    assert len(kept) == 2


def test_a_changed_model_file_is_refused(tmp_path: Path) -> None:
    model = tmp_path / "blazeface_full_range.onnx"
    data = bytearray(MODEL_PATH.read_bytes())
    data[len(data) // 2] ^= 1
    model.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256"):
        BlazeFaceNet(model_path=model)


def test_a_model_without_its_licence_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="licence"):
        BlazeFaceNet(license_path=tmp_path / "LICENSE-blazeface.txt")


@pytest.mark.parametrize(("h", "w"), [(512, 512), (300, 700), (700, 300), (1, 1), (3000, 4001)])
def test_the_letterbox_map_is_the_square_onto_the_tensor(h: int, w: int) -> None:
    # OpenCV's boxPoints / getPerspectiveTransform / invert, redone in numpy (issue 12)
    from crowdveil.detect.blazeface import INPUT_SIDE, _inverse3, _perspective, _square_corners

    side = max(h, w)
    corners = _square_corners(w, h, side)
    left, top = w / 2 - side / 2, h / 2 - side / 2
    assert corners.tolist() == [[left, top + side], [left, top], [left + side, top],
                                [left + side, top + side]]
    target = np.array([[0, INPUT_SIDE], [0, 0], [INPUT_SIDE, 0], [INPUT_SIDE, INPUT_SIDE]],
                      np.float32)
    forward = _perspective(corners, target)
    mapped = np.c_[corners, np.ones(4)] @ forward.T
    assert np.allclose(mapped[:, :2] / mapped[:, 2:], target, atol=1e-9)
    back = _inverse3(forward).reshape(3, 3)
    assert np.allclose(back @ forward, np.eye(3), atol=1e-12)
    scale = side / INPUT_SIDE
    assert np.allclose(back, [[scale, 0, left], [0, scale, top], [0, 0, 1]], atol=1e-9)
