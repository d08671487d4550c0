"""Merge overlapping boxes from tiles, scales and detectors without losing a face."""

from __future__ import annotations

import numpy as np

from .base import Detection


def iou_matrix(boxes: np.ndarray) -> np.ndarray:
    """Pairwise intersection-over-union of N boxes given as x, y, w, h rows."""
    x0, y0 = boxes[:, 0], boxes[:, 1]
    x1, y1 = x0 + boxes[:, 2], y0 + boxes[:, 3]
    ix = np.clip(np.minimum(x1[:, None], x1[None]) - np.maximum(x0[:, None], x0[None]), 0, None)
    iy = np.clip(np.minimum(y1[:, None], y1[None]) - np.maximum(y0[:, None], y0[None]), 0, None)
    inter = ix * iy
    area = boxes[:, 2] * boxes[:, 3]
    union = area[:, None] + area[None] - inter
    return inter / np.maximum(union, 1e-9)


def merge_detections(dets: list[Detection], iou: float = 0.35) -> list[Detection]:
    """Group boxes that overlap by more than `iou` and fuse each group into one box.

    A group's box is the score-weighted mean of its members, widened to their union when the
    members disagree a lot: a fused box never covers less of a face than its best member did.
    """
    if not dets:
        return []
    order = sorted(range(len(dets)), key=lambda i: -dets[i].score)
    arr = np.array([[dets[i].x, dets[i].y, dets[i].w, dets[i].h] for i in order], dtype=float)
    scores = np.array([dets[i].score for i in order])
    overlaps = iou_matrix(arr)
    taken = np.zeros(len(order), dtype=bool)
    merged: list[Detection] = []
    for i in range(len(order)):
        if taken[i]:
            continue
        group = np.where(~taken & (overlaps[i] > iou))[0]
        group = np.union1d(group, [i])
        taken[group] = True
        weights = scores[group] / max(scores[group].sum(), 1e-9)
        mean = (arr[group] * weights[:, None]).sum(axis=0)
        best = arr[i]
        # keep at least the top member's extent so fusion never shrinks coverage of its face
        x0 = min(mean[0], best[0])
        y0 = min(mean[1], best[1])
        x1 = max(mean[0] + mean[2], best[0] + best[2])
        y1 = max(mean[1] + mean[3], best[1] + best[3])
        sources = sorted({dets[order[g]].source for g in group})
        merged.append(Detection(x0, y0, x1 - x0, y1 - y0, float(scores[i]), "+".join(sources)))
    return merged
