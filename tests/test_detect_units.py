"""Tiling, merging, pass planning and the model integrity check: the pieces recall rests on."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crowdveil.detect.base import Detection
from crowdveil.detect.centerface import (
    MODEL_PATH,
    MODEL_SHA256,
    CenterFaceNet,
    ModelError,
    decode,
    load_model_bytes,
    nms,
)
from crowdveil.detect.merge import merge_detections
from crowdveil.detect.scales import plan_passes
from crowdveil.detect.tiling import tiles


@settings(max_examples=300, deadline=None)
@given(
    height=st.integers(1, 3000),
    width=st.integers(1, 3000),
    size=st.integers(64, 1500),
    overlap_share=st.floats(0.05, 0.9),
    data=st.data(),
)
def test_every_face_smaller_than_the_overlap_lies_whole_in_some_tile(
    height: int, width: int, size: int, overlap_share: float, data: st.DataObject
) -> None:
    overlap = int(size * overlap_share)
    grid = tiles(height, width, size, overlap)
    assert_a_face_smaller_than_the_overlap_lies_whole_in_a_tile(grid, height, width, overlap, data)


def assert_a_face_smaller_than_the_overlap_lies_whole_in_a_tile(
    grid: list[tuple[int, int, int, int]], height: int, width: int, overlap: int,
    data: st.DataObject,
) -> None:
    """Draw a face box no larger than `overlap` anywhere in the picture; some tile holds it."""
    fw = data.draw(st.integers(1, max(1, min(overlap, width))))
    fh = data.draw(st.integers(1, max(1, min(overlap, height))))
    fx = data.draw(st.integers(0, width - fw))
    fy = data.draw(st.integers(0, height - fh))
    assert any(
        x0 <= fx and fx + fw <= x1 and y0 <= fy and fy + fh <= y1 for x0, y0, x1, y1 in grid
    )


def test_tiles_cover_every_pixel() -> None:
    seen = np.zeros((1234, 2345), bool)
    for x0, y0, x1, y1 in tiles(1234, 2345, 640, 128):
        seen[y0:y1, x0:x1] = True
    assert seen.all()


box = st.tuples(
    st.floats(0, 500), st.floats(0, 500), st.floats(1, 200), st.floats(1, 200), st.floats(0.01, 1)
)


def _contains(outer: Detection, inner: Detection, eps: float = 1e-6) -> bool:
    return (
        outer.x <= inner.x + eps and outer.y <= inner.y + eps
        and outer.x + outer.w >= inner.x + inner.w - eps
        and outer.y + outer.h >= inner.y + inner.h - eps
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(box, min_size=1, max_size=25))
def test_fusion_never_shrinks_the_box_of_a_group_s_best_detection(rows: list) -> None:
    dets = [Detection(*r, source="t") for r in rows]
    merged = merge_detections(dets)
    assert len(merged) <= len(dets)
    # The highest-scoring detection survives whole in some fused box...
    best = max(dets, key=lambda d: d.score)
    assert any(_contains(m, best) for m in merged)
    # ...and no detection is dropped unless a fused box at least as confident overlaps it.
    for d in dets:
        assert any(
            _contains(m, d) or (m.score >= d.score and _overlap(m, d) > 0) for m in merged
        )


def _overlap(a: Detection, b: Detection) -> float:
    iw = min(a.x + a.w, b.x + b.w) - max(a.x, b.x)
    ih = min(a.y + a.h, b.y + b.h) - max(a.y, b.y)
    return max(0.0, iw) * max(0.0, ih)


def test_far_apart_faces_are_never_merged() -> None:
    dets = [Detection(10, 10, 20, 20, 0.9, "a"), Detection(100, 10, 20, 20, 0.3, "b")]
    assert len(merge_detections(dets)) == 2


def test_decode_places_a_face_at_its_heatmap_peak() -> None:
    heat = np.zeros((20, 30), np.float32)
    heat[5, 7] = 0.9
    log_size = np.full((2, 20, 30), np.log(10 / 4), np.float32)  # 10 px boxes
    offset = np.zeros((2, 20, 30), np.float32)
    (x, y, w, h, s), = decode(heat, log_size, offset, 0.5)
    assert (w, h) == pytest.approx((10, 10))
    assert (x + w / 2, y + h / 2) == pytest.approx(((7 + 0.5) * 4, (5 + 0.5) * 4))
    assert s == pytest.approx(0.9)
    assert len(decode(heat, log_size, offset, 0.95)) == 0


def test_nms_keeps_the_most_confident_of_overlapping_boxes_and_distant_ones() -> None:
    rows = np.array(
        [[0, 0, 10, 10, 0.5], [1, 1, 10, 10, 0.9], [50, 50, 10, 10, 0.2]], np.float32
    )
    kept = nms(rows, 0.3)
    assert kept[:, 4].tolist() == pytest.approx([0.9, 0.2])


def _greedy_all_pairs(rows: np.ndarray, iou: float) -> list[list[int]]:
    """The greedy grouping by definition: best first, each box against every other box
    (float64, no shortcuts). Groups of row indices."""
    order = sorted(range(len(rows)), key=lambda i: -rows[i, 4])
    left = list(order)
    groups = []
    while left:
        best = left[0]
        bx0, by0, bw, bh = (float(v) for v in rows[best, :4])
        group = []
        for j in left:
            x0, y0, w, h = (float(v) for v in rows[j, :4])
            ix = max(0.0, min(bx0 + bw, x0 + w) - max(bx0, x0))
            iy = max(0.0, min(by0 + bh, y0 + h) - max(by0, y0))
            union = bw * bh + w * h - ix * iy
            if j == best or ix * iy / max(union, 1e-9) > iou:
                group.append(j)
        groups.append(group)
        left = [j for j in left if j not in group]
    return groups


def _crowd(seed: int, count: int) -> np.ndarray:
    """x, y, w, h, score rows of a crowd: small faces everywhere, some large ones, some empty
    boxes and tied scores (the cases where looking only at neighbours could go wrong)."""
    rng = np.random.default_rng(seed)
    xy = rng.uniform(-20, 1500, (count, 2))
    wh = np.concatenate([rng.uniform(4, 40, (count - count // 4, 2)),
                         rng.uniform(100, 600, (count // 4, 2))])
    wh[: count // 10] = 0
    scores = np.round(rng.uniform(0.1, 1.0, count), 2)
    return np.column_stack([xy, wh, scores]).astype(np.float32)


@pytest.mark.parametrize("seed", range(6))
def test_merging_a_crowd_groups_exactly_the_overlapping_boxes(seed: int) -> None:
    # merge only compares each box with those that can reach it: the groups must be those of
    # the plain all-pairs definition.
    rows = _crowd(seed, 300).astype(np.float64)
    dets = [Detection(*map(float, r), "centerface") for r in rows]
    expected = []
    for group in _greedy_all_pairs(rows, 0.35):
        x0, y0 = rows[group, 0].min(), rows[group, 1].min()
        x1, y1 = (rows[group, 0] + rows[group, 2]).max(), (rows[group, 1] + rows[group, 3]).max()
        expected.append((x0, y0, x1 - x0, y1 - y0, rows[group[0], 4]))
    got = [(d.x, d.y, d.w, d.h, d.score) for d in merge_detections(dets)]
    assert np.allclose(np.array(got), np.array(expected), rtol=0, atol=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_nms_on_a_crowd_keeps_exactly_the_boxes_of_the_definition(seed: int) -> None:
    rows = _crowd(seed, 300)
    kept = nms(rows, 0.3)
    # NMS keeps each group's best; the groups of the greedy definition, at NMS's threshold
    best = [rows[g[0]] for g in _greedy_all_pairs(rows, 0.3)]
    # float32 rounding of the overlaps may flip a pair sitting exactly on the threshold; these
    # crowds have none, so the kept boxes are the definition's, in its order
    assert np.array_equal(kept, np.array(best, np.float32).reshape(-1, 5))


@pytest.mark.parametrize("hw", [(300, 400), (366, 512), (3000, 4000), (8000, 6000)])
def test_passes_start_at_or_above_native_and_end_with_a_small_whole_picture(hw) -> None:
    passes = plan_passes(*hw)
    scales = [p.scale for p in passes]
    assert scales[0] >= 1.0
    assert scales == sorted(scales, reverse=True)
    assert max(hw) * scales[-1] <= 400


def test_the_shipped_model_passes_its_integrity_check() -> None:
    assert len(load_model_bytes()) == MODEL_PATH.stat().st_size
    assert MODEL_SHA256 in (MODEL_PATH.parent / "PROVENANCE.md").read_text()


def test_a_tampered_model_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    data = bytearray(MODEL_PATH.read_bytes())
    data[len(data) // 2] ^= 0x01  # one flipped bit in the weights
    tampered = tmp_path / "centerface.onnx"
    tampered.write_bytes(bytes(data))
    with pytest.raises(ModelError, match="SHA-256"):
        CenterFaceNet(model_path=tampered)


def test_a_missing_model_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="missing"):
        CenterFaceNet(model_path=tmp_path / "nothing.onnx")


def test_the_model_s_weights_are_constants_the_runtime_may_fuse() -> None:
    # Weights listed as overridable inputs block Conv+BatchNorm fusion: 2.4x slower per pixel.
    net = CenterFaceNet()
    assert net._session.get_overridable_initializers() == []
    assert [i.name for i in net._session.get_inputs()] == ["input.1"]


@pytest.mark.parametrize("mirror", ["coarse", "all"])
def test_the_mirrored_look_puts_its_boxes_on_the_face_not_on_its_reflection(mirror) -> None:
    from crowdveil.detect.centerface import CenterFaceDetector
    from tests import plant

    # The face on the left of a wide picture: a box not flipped back would land on the right.
    canvas = np.full((512, 1100, 3), 128, np.uint8)
    canvas[:, :512] = plant.face_image(512)
    fx, fy, fw, fh = plant.face_box(512)

    def on_the_face(x: float, y: float, w: float, h: float) -> bool:
        return fx <= x + w / 2 <= fx + fw and fy <= y + h / 2 <= fy + fh

    detector = CenterFaceDetector(threshold=0.3, mirror=mirror)
    mirrored = detector._mirrored(canvas, 0.3)
    assert len(mirrored) >= 1
    assert all(on_the_face(*row[:4]) for row in mirrored)
    found = detector.detect(canvas)
    assert found and all(on_the_face(d.x, d.y, d.w, d.h) for d in found)
