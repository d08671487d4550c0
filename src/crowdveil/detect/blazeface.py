"""mediapipe's full-range BlazeFace, run by onnxruntime from a verified copy we ship.

The weights are mediapipe 0.10.21's `face_detection_full_range_sparse.tflite` (Apache-2.0),
converted once to ONNX by scripts/convert_blazeface.py (models/PROVENANCE.md). mediapipe itself
is not used: the steps below redo, one for one, what its FaceDetectionFullRangeCpu graph does
around the model, so the detections stay those mediapipe gave (benchmarks/blazeface_parity.py):

1. ImageToTensor: the picture, letterboxed into a square (keep_aspect_ratio, zero border), is
   warped to 192 x 192 with OpenCV 4's fixed-point bilinear warpPerspective (redone in numpy,
   see `_warp_taps`), then mapped from [0, 255] to [-1, 1].
2. SSD anchors: one per cell of a 48 x 48 grid (stride 4), at the cell centre, size 1.
3. Tensors to detections: box centre and size are offsets / 192 (x, y, w, h order) around the
   anchor; score = sigmoid of the logit clipped to [-100, 100]; boxes scoring under the
   threshold, or with a negative size, are dropped.
4. Weighted non-maximum suppression (IoU > 0.3): each kept box is the score-weighted mean of
   the boxes it suppresses, with the best one's score.
5. The letterbox is removed: boxes go back to picture pixels.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from .base import Detection
from .centerface import ModelError, load_model_bytes
from .merge import merge_detections
from .scales import resize
from .tiling import detect_tiled

_MODELS = Path(__file__).resolve().parent.parent / "models"
MODEL_PATH = _MODELS / "blazeface_full_range.onnx"
MODEL_SHA256 = "cf94fb5f17ac4b9476c459d646f5304252f4d1b2b7b77105ed6a99f399db6b0e"
LICENSE_PATH = _MODELS / "LICENSE-blazeface.txt"

# mediapipe/modules/face_detection/face_detection_full_range.pbtxt and face_detection.pbtxt.
INPUT_SIDE = 192
_GRID = 48  # 192 / stride 4
_SCORE_CLIP = 100.0
_NMS_IOU = 0.3
# The score a box needs. mediapipe 0.10.21's Python FaceDetection ignores its
# min_detection_confidence for this model (google-ai-edge/mediapipe issue 3896): the graph's
# own 0.6 applied whatever crowdveil asked for, checked here on the dev photos at 0.3, 0.5 and
# 0.7. Every BlazeFace figure in benchmarks/RESULTS.md was measured with it, so it stays the
# default; `honour_threshold=True` applies the detector's `threshold` instead.
MEDIAPIPE_MIN_SCORE = 0.6

WHOLE_PASS_SIDE = 1024  # long side of the whole-picture pass
# Long side of the picture the tiles are cut from. BlazeFace is in the ensemble for the odd
# turned face CenterFace misses: on the dev photos (<= 1000 px, tiled as they are) it adds one
# face in 4,072; on 12 MP mosaics its native-resolution tiles (192 of them, 1.3 s) added none
# once CenterFace had its zoom pass (benchmarks/RESULTS.md). Shrinking large pictures to this
# side first cuts that to 48 tiles.
TILED_LONG_SIDE = 2048


def _anchors() -> np.ndarray:
    """x, y centres of the 2,304 anchors in tensor-relative units, row by row."""
    centres = (np.arange(_GRID, dtype=np.float32) + np.float32(0.5)) / np.float32(_GRID)
    ys, xs = np.meshgrid(centres, centres, indexing="ij")
    return np.stack([xs.ravel(), ys.ravel()], axis=1)


ANCHORS = _anchors()


_TAB_BITS = 5  # OpenCV's INTER_BITS: source positions in 1/32 px
_TAB = 1 << _TAB_BITS
# OpenCV's warp works in blocks of 64 x 16 destination pixels (BLOCK_SZ 32) and computes each
# block's first column apart from the rest; the same order keeps the same double roundings.
_BLOCK_COLS = 64


def _taps(pos: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Source positions in 1/32 px -> the two neighbours' indices (clamped into the picture)
    and their weights in 1/32, zero for a neighbour outside the picture (BORDER_ZERO)."""
    first = pos >> _TAB_BITS
    frac = pos & (_TAB - 1)
    second = first + 1
    w0 = np.where((first >= 0) & (first < size), _TAB - frac, 0).astype(np.int32)
    w1 = np.where((second >= 0) & (second < size), frac, 0).astype(np.int32)
    return np.clip(first, 0, size - 1), np.clip(second, 0, size - 1), w0, w1


def _square_corners(w: int, h: int, side: float) -> np.ndarray:
    """Corners of the side x side square centred on a w x h picture, in mediapipe's order
    (bottom-left, top-left, top-right, bottom-right), in float32 arithmetic as OpenCV's
    RotatedRect.points computes them for an angle of 0 (cv2.boxPoints, as mediapipe calls it)."""
    cx, cy, s = np.float32(0.5 * w), np.float32(0.5 * h), np.float32(side)
    half, zero, two = np.float32(0.5), np.float32(0.0), np.float32(2.0)
    x0, y0 = cx - zero * s - half * s, cy + half * s - zero * s
    x1, y1 = cx + zero * s - half * s, cy - half * s - zero * s
    return np.array([[x0, y0], [x1, y1], [two * cx - x0, two * cy - y0],
                     [two * cx - x1, two * cy - y1]], np.float32)


def _solve_lu(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x = b by Gaussian elimination with partial pivoting, in OpenCV's order of operations
    (its DECOMP_LU), so the doubles come out identical to the last bit: a different rounding of
    the map can move a sampling position that sits on a 1/32 px rounding tie."""
    a, b = a.copy(), b.copy()
    n = len(b)
    for i in range(n):
        pivot = i + int(np.argmax(np.abs(a[i:, i])))  # the first of equal maxima, as OpenCV
        if pivot != i:
            a[[i, pivot], i:] = a[[pivot, i], i:]
            b[[i, pivot]] = b[[pivot, i]]
        d = -1.0 / a[i, i]
        for j in range(i + 1, n):
            alpha = a[j, i] * d
            for k in range(i + 1, n):
                a[j, k] += alpha * a[i, k]
            b[j] += alpha * b[i]
    for i in range(n - 1, -1, -1):
        total = b[i]
        for k in range(i + 1, n):
            total -= a[i, k] * b[k]
        b[i] = total / a[i, i]
    return b


def _perspective(src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The 3 x 3 map taking the four float32 points `src` onto `dst` (cv2.getPerspectiveTransform:
    the same 8 x 8 system, its products of coordinates in float32, solved as `_solve_lu`)."""
    a = np.zeros((8, 8))
    b = np.zeros(8)
    for i in range(4):
        (x, y), (u, v) = src[i], dst[i]
        a[i, :3] = a[i + 4, 3:6] = (x, y, 1.0)
        a[i, 6:] = (-(x * u), -(y * u))
        a[i + 4, 6:] = (-(x * v), -(y * v))
        b[i], b[i + 4] = u, v
    return np.append(_solve_lu(a, b), 1.0).reshape(3, 3)


def _inverse3(m: np.ndarray) -> np.ndarray:
    """The inverse of a 3 x 3 map, flattened, by cofactors over the determinant in OpenCV's
    order (cv2.invert's small-matrix path)."""
    def minor(r0: int, c0: int, r1: int, c1: int) -> float:
        return float(m[r0, c0] * m[r1, c1] - m[r0, c1] * m[r1, c0])

    det = (m[0, 0] * minor(1, 1, 2, 2) - m[0, 1] * minor(1, 0, 2, 2)
           + m[0, 2] * minor(1, 0, 2, 1))
    d = 1.0 / det
    return np.array([
        minor(1, 1, 2, 2) * d, (m[0, 2] * m[2, 1] - m[0, 1] * m[2, 2]) * d, minor(0, 1, 1, 2) * d,
        (m[1, 2] * m[2, 0] - m[1, 0] * m[2, 2]) * d, minor(0, 0, 2, 2) * d,
        (m[0, 2] * m[1, 0] - m[0, 0] * m[1, 2]) * d,
        minor(1, 0, 2, 1) * d, (m[0, 1] * m[2, 0] - m[0, 0] * m[2, 1]) * d, minor(0, 0, 1, 1) * d,
    ])


@functools.lru_cache(maxsize=8)
def _warp_taps(h: int, w: int) -> tuple[np.ndarray, ...]:
    """Where each tensor pixel samples an h x w picture, and with which weights.

    This is OpenCV 4's warpPerspective with INTER_LINEAR, as mediapipe 0.10.21 ran it: the
    inverse map in double precision, each source position rounded to 1/32 px, the four
    neighbours weighted (1/32 x 1/32 steps, so the fixed-point weights are exact and sum to
    32768), pixels outside the picture counted as 0 (BORDER_ZERO). Done here rather than by
    cv2.warpPerspective because OpenCV 5 interpolates differently (up to 5 grey levels on 43%
    of the pixels) and the detections must not depend on which OpenCV is installed.

    The letterbox map is a scale and a shift, so rows and columns are sampled independently:
    returns row indices and weights (top, bottom) and column indices and weights (left,
    right), as vectors of INPUT_SIDE, or the same as INPUT_SIDE x INPUT_SIDE grids if rounding
    ever made the map depend on both coordinates.
    """
    side = float(max(h, w))
    corners = _square_corners(w, h, side)
    target = np.array(
        [[0, INPUT_SIDE], [0, 0], [INPUT_SIDE, 0], [INPUT_SIDE, INPUT_SIDE]], np.float32)
    m = _inverse3(_perspective(corners, target))
    cols = np.arange(INPUT_SIDE)
    x1 = (cols % _BLOCK_COLS).astype(np.float64)
    x0 = (cols - cols % _BLOCK_COLS).astype(np.float64)[None, :]
    y = np.arange(INPUT_SIDE, dtype=np.float64)[:, None]
    big = float(np.iinfo(np.int32).max)
    with np.errstate(divide="ignore"):
        weight = (m[6] * x0 + m[7] * y + m[8]) + m[6] * x1
        weight = np.where(weight != 0, _TAB / weight, 0.0)
    fx = ((m[0] * x0 + m[1] * y + m[2]) + m[0] * x1) * weight
    fy = ((m[3] * x0 + m[4] * y + m[5]) + m[3] * x1) * weight
    sx = np.rint(np.clip(fx, -big - 1, big)).astype(np.int64)
    sy = np.rint(np.clip(fy, -big - 1, big)).astype(np.int64)
    if (sx == sx[:1]).all() and (sy == sy[:, :1]).all():
        sx, sy = sx[0], sy[:, 0]
    return (*_taps(sy, h), *_taps(sx, w))


def to_tensor(rgb: np.ndarray) -> tuple[np.ndarray, float]:
    """The model's 1 x 192 x 192 x 3 input for `rgb`, and the letterboxed square's side.

    The square (side = the picture's long side) is centred on the picture, its corners mapped
    onto the tensor's corners, exactly as mediapipe's ImageToTensorCalculator does, so the same
    pixels are sampled with the same fixed-point bilinear weights (`_warp_taps`).
    """
    h, w = rgb.shape[:2]
    top, bottom, wt, wb, left, right, wl, wr = _warp_taps(h, w)
    if top.ndim == 1:
        upper, lower = rgb[top].astype(np.int32), rgb[bottom].astype(np.int32)
        wl, wr = wl[None, :, None], wr[None, :, None]
        # Exact integers all the way, so the order of the sums cannot change the result.
        acc = ((upper[:, left] * wl + upper[:, right] * wr) * wt[:, None, None]
               + (lower[:, left] * wl + lower[:, right] * wr) * wb[:, None, None])
    else:
        wl, wr, wt, wb = (v[..., None] for v in (wl, wr, wt, wb))
        pix = rgb.astype(np.int32)
        acc = ((pix[top, left] * wl + pix[top, right] * wr) * wt
               + (pix[bottom, left] * wl + pix[bottom, right] * wr) * wb)
    # Weights in 1/1024 here; OpenCV rounds its 1/32768 fixed point the same way: half up.
    warped = (acc + (1 << (2 * _TAB_BITS - 1))) >> (2 * _TAB_BITS)
    tensor = warped.astype(np.float32) * np.float32(2.0 / 255.0) - np.float32(1.0)
    return tensor[None], float(max(h, w))


def decode(regressors: np.ndarray, logits: np.ndarray, threshold: float) -> np.ndarray:
    """Model outputs (2304 x 16, 2304 x 1) -> N x 5 rows xmin, ymin, w, h, score, in
    tensor-relative units, for the boxes scoring at least `threshold`."""
    with np.errstate(over="ignore"):  # exp(100) is inf in float32, as in mediapipe: score 0
        scores = 1.0 / (1.0 + np.exp(-np.clip(logits[:, 0], -_SCORE_CLIP, _SCORE_CLIP)))
    keep = np.nonzero(scores >= np.float32(threshold))[0]
    raw = regressors[keep, :4] / np.float32(INPUT_SIDE)
    cx = raw[:, 0] + ANCHORS[keep, 0]
    cy = raw[:, 1] + ANCHORS[keep, 1]
    bw, bh = raw[:, 2], raw[:, 3]
    x0, y0 = cx - bw / 2, cy - bh / 2
    rows = np.stack([x0, y0, (cx + bw / 2) - x0, (cy + bh / 2) - y0, scores[keep]], axis=1)
    # A negative (or NaN) size is a broken prediction; mediapipe drops it before NMS.
    valid = (rows[:, 2] >= 0) & (rows[:, 3] >= 0)
    return rows[valid].astype(np.float32)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[0] + box[2], boxes[:, 0] + boxes[:, 2])
    y1 = np.minimum(box[1] + box[3], boxes[:, 1] + boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = box[2] * box[3] + boxes[:, 2] * boxes[:, 3] - inter
    return np.where((inter > 0) & (union > 0), inter / np.where(union > 0, union, 1), 0.0)


def weighted_nms(rows: np.ndarray, iou: float = _NMS_IOU) -> np.ndarray:
    """mediapipe's WEIGHTED non-maximum suppression on xmin, ymin, w, h, score rows.

    Best first, every remaining box overlapping the best one by IoU > `iou` (itself included)
    is merged into it: corners averaged with the scores as weights; the score stays the best's.
    """
    order = np.argsort(-rows[:, 4], kind="stable")
    remaining = rows[order].astype(np.float64)
    kept = []
    while len(remaining):
        best = remaining[0]
        near = _iou(best, remaining) > iou
        if not near.any():  # a zero-area best box overlaps nothing, not even itself
            kept.append(best)
            break
        group = remaining[near]
        weights = group[:, 4:5]
        total = weights.sum()
        x0, y0 = (group[:, :2] * weights).sum(axis=0) / total
        x1 = ((group[:, 0] + group[:, 2]) * weights[:, 0]).sum() / total
        y1 = ((group[:, 1] + group[:, 3]) * weights[:, 0]).sum() / total
        kept.append(np.array([x0, y0, x1 - x0, y1 - y0, best[4]]))
        remaining = remaining[~near]
    return np.array(kept, np.float64).reshape(-1, 5)


class BlazeFaceNet:
    """One onnxruntime session of the verified BlazeFace model."""

    def __init__(self, threads: int = 1, model_path: Path = MODEL_PATH,
                 license_path: Path = LICENSE_PATH, sha256: str = MODEL_SHA256, *,
                 device: str = "cpu") -> None:
        from . import runtime  # onnxruntime is heavy: imported only when a detector is built

        if not license_path.is_file():
            # Apache-2.0 lets us ship the weights only with their licence beside them.
            raise ModelError(
                f"face model licence missing: {license_path} (reinstall crowdveil)")
        data = load_model_bytes(model_path, sha256)
        options = runtime.options(threads)
        probe = {"input": np.zeros((1, INPUT_SIDE, INPUT_SIDE, 3), np.float32)}
        self._session = runtime.open_session(data, options, device, probe)
        self.device, self.notes = self._session.device, self._session.notes

    def run(self, rgb: np.ndarray, threshold: float) -> np.ndarray:
        """Faces in `rgb` (H x W x 3 uint8) as N x 5 rows x, y, w, h, score in its pixels."""
        h, w = rgb.shape[:2]
        tensor, side = to_tensor(rgb)
        regressors, logits = self._session.run(
            ["regressors", "classificators"], {"input": tensor})
        rows = weighted_nms(decode(regressors[0], logits[0], threshold))
        # Letterbox removal: tensor units -> the centred square -> picture pixels.
        rows[:, :4] *= side
        rows[:, 0] += (w - side) / 2
        rows[:, 1] += (h - side) / 2
        return rows


class BlazeFaceDetector:
    """Full-range BlazeFace over the whole picture and over overlapping tiles.

    The model looks at a 192 px square, so on a whole 4000 px photo a 40 px face shrinks to
    2 px. Tiles of `tile` px bring small faces back into the range the model was trained on.
    """

    name = "blazeface"

    def __init__(
        self, threshold: float = 0.3, tile: int = 384, overlap: int = 128,
        tiled_long_side: int = TILED_LONG_SIDE, threads: int = 1,
        honour_threshold: bool = False, device: str = "cpu",
    ) -> None:
        self.threshold = threshold
        self.min_score = threshold if honour_threshold else MEDIAPIPE_MIN_SCORE
        self.tile = tile
        self.overlap = overlap
        self.tiled_long_side = tiled_long_side
        self._net = BlazeFaceNet(threads=threads, device=device)
        self.device, self.notes = self._net.device, self._net.notes

    def _detect_once(self, rgb: np.ndarray) -> list[Detection]:
        return [
            Detection(float(x), float(y), float(w), float(h), float(s), self.name)
            for x, y, w, h, s in self._net.run(rgb, self.min_score)
        ]

    def _detect_whole(self, rgb: np.ndarray) -> list[Detection]:
        """The whole picture, shrunk first: the model sees 192 px anyway, and OpenCV's warp
        (as mediapipe's did) fails on a side of 32767 px or more."""
        small, factor = _shrunk(rgb, WHOLE_PASS_SIDE)
        return [d.scaled(1.0 / factor) for d in self._detect_once(small)]

    def _detect_tiles(self, rgb: np.ndarray) -> list[Detection]:
        small, factor = _shrunk(rgb, self.tiled_long_side)
        if max(small.shape[:2]) <= self.tile:
            return []  # the whole-picture pass saw it at this size already
        found = detect_tiled(self._detect_once, small, self.tile, self.overlap)
        return [d.scaled(1.0 / factor) for d in found]

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        return merge_detections(self._detect_whole(rgb) + self._detect_tiles(rgb))

    def close(self) -> None:
        self._net = None  # type: ignore[assignment]  # the session frees with its last reference


def _shrunk(rgb: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """The picture with its long side cut to `long_side` (never enlarged), and the factor."""
    factor = min(1.0, long_side / max(rgb.shape[:2]))
    return resize(rgb, factor), factor
