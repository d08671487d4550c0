"""CenterFace (vendored ONNX, MIT) run with onnxruntime at several scales.

The network predicts, on a grid of stride 4, a face-centre heatmap, the log of each face's size
and the sub-cell offset of its centre. It is fully convolutional, so it runs on any image whose
sides are multiples of 32; how small a face it can see depends on the scale it is run at.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

import numpy as np

from ..errors import CrowdveilError
from .base import Detection, FaintSplit
from .merge import Neighbours, merge_detections
from .onnx_shapes import with_symbolic_dims
from .scales import Pass, plan_passes, resize
from .tiling import area_tiles
from .zoom import zoom_windows

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "centerface.onnx"
MODEL_SHA256 = "09189deaaf8646c5c51a68447e3c744ea1e211798155d4728c20507b9f5aefbc"

_INPUT = "input.1"
_HEATMAP, _SCALE, _OFFSET, _LANDMARKS = "537", "538", "539", "540"
# The graph declares a fixed 10 x 3 x 32 x 32 input; it runs on any size once these are free.
SYMBOLIC_DIMS = {
    _INPUT: ["batch", "channels", "height", "width"],
    **{name: ["batch", f"c{name}", "rows", "cols"]
       for name in (_HEATMAP, _SCALE, _OFFSET, _LANDMARKS)},
}
_STRIDE = 4  # output grid cell, in input pixels
_ALIGN = 32  # the backbone downsamples 32x: input sides must be multiples of it
# Tiles: the network's time is ~proportional to the pixels it sees, whatever the tile size
# (~0.24 us per pixel on one core), and onnxruntime's arena, which grows in powers of two,
# holds ~420 MB after 2.2 MP tiles. Smaller tiles measured no better: 1.0 MP saved 54 MB of a
# worker's ~790 MB peak for 17% more time (more overlap). A 4000 x 3000 photo takes 8 tiles.
TILE_PIXELS = 2_200_000
# Any face up to this size lies whole inside some tile, with context around it. 96 px lost
# three 10-20 px faces of the 12 MP mosaics (benchmarks/RESULTS.md): faces at a seam need room.
TILE_OVERLAP = 192
# The zoom pass (zoom.py): a picture too large for an enlarged pass gets one on the windows where
# the native heatmap exceeds threshold * ZOOM_GATE_RATIO. On the 12 MP mosaics it recovered the
# 10-20 px faces a whole 2x pass finds (recall >= 10 px 0.978 -> 0.9905) for ~40% of the
# time of the native pass (benchmarks/RESULTS.md). ZOOM_MARGIN: context around each blob, in
# picture pixels.
ZOOM_GATE_RATIO = 1 / 3
ZOOM_MARGIN = 16
# Which passes also look at the picture mirrored (CenterFace's own published figures flip).
# Measured, not the default: "coarse" hid one more face >= 40 px in the 12 MP mosaics but
# took the over-redacted area past 0.02 on the dev set and the mosaics; "all" doubled the
# time (benchmarks/RESULTS.md).
Mirror = Literal["none", "coarse", "all"]
# The glance (video frames between full searches, formats/video.py): one pass with the frame's
# long side at most this, at the coarse threshold when it shrinks the frame. It is there for faces
# the camera's motion does not carry (someone walking in); 960 px cost 0.175 s per 1080p frame
# here, 640 px about half that. Faces too small for it wait for the next full search (0.2 s).
GLANCE_LONG_SIDE = 640


class ModelError(CrowdveilError):
    """The shipped model file is missing or is not the one crowdveil was tested with."""


def load_model_bytes(path: Path = MODEL_PATH, sha256: str = MODEL_SHA256) -> bytes:
    """The model file's bytes, only if their SHA-256 is the expected one."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ModelError(f"face model missing or unreadable: {path} ({exc.strerror})") from None
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ModelError(
            f"face model {path} has SHA-256 {digest}, expected {sha256}: "
            "refusing to run with a model that was not verified (reinstall crowdveil)"
        )
    return data


def decode(
    heatmap: np.ndarray, log_size: np.ndarray, offset: np.ndarray, threshold: float
) -> np.ndarray:
    """Grid outputs -> N x 5 rows of x, y, w, h, score in network-input pixels.

    heatmap: h x w; log_size and offset: 2 x h x w, channel 0 along y, channel 1 along x.
    """
    rows, cols = np.nonzero(heatmap > threshold)
    if rows.size == 0:
        return np.zeros((0, 5), np.float32)
    bh = np.exp(log_size[0, rows, cols]) * _STRIDE
    bw = np.exp(log_size[1, rows, cols]) * _STRIDE
    cy = (rows + offset[0, rows, cols] + 0.5) * _STRIDE
    cx = (cols + offset[1, rows, cols] + 0.5) * _STRIDE
    out = np.stack([cx - bw / 2, cy - bh / 2, bw, bh, heatmap[rows, cols]], axis=1)
    return out.astype(np.float32)


def nms(boxes: np.ndarray, iou: float) -> np.ndarray:
    """Greedy non-maximum suppression on x, y, w, h, score rows; returns the kept rows."""
    if len(boxes) == 0:
        return boxes
    order = np.argsort(-boxes[:, 4], kind="stable")
    b = boxes[order]
    x0, y0 = b[:, 0], b[:, 1]
    x1, y1 = x0 + b[:, 2], y0 + b[:, 3]
    area = b[:, 2] * b[:, 3]
    alive = np.ones(len(b), dtype=bool)
    near = Neighbours(x0, x1)  # only boxes that can overlap (the zoom pass has thousands)
    keep = []
    for i in range(len(b)):
        if not alive[i]:
            continue
        keep.append(i)
        rest = near.of(i)
        rest = rest[rest > i]
        rest = rest[alive[rest]]
        if rest.size == 0:
            continue
        iw = np.clip(np.minimum(x1[i], x1[rest]) - np.maximum(x0[i], x0[rest]), 0, None)
        ih = np.clip(np.minimum(y1[i], y1[rest]) - np.maximum(y0[i], y0[rest]), 0, None)
        inter = iw * ih
        overlap = inter / np.maximum(area[i] + area[rest] - inter, 1e-9)
        alive[rest[overlap > iou]] = False
    return b[keep]


def to_blob(rgb: np.ndarray) -> np.ndarray:
    """The network's input for `rgb` (H x W x 3 uint8): 1 x 3 x H' x W' float, zero-padded to
    multiples of _ALIGN (padded, not stretched: face shapes stay true, boxes need no rescale)."""
    h, w = rgb.shape[:2]
    ph, pw = -(-h // _ALIGN) * _ALIGN, -(-w // _ALIGN) * _ALIGN
    blob = np.zeros((1, 3, ph, pw), np.float32)
    blob[0, :, :h, :w] = rgb.transpose(2, 0, 1)
    return blob


class CenterFaceNet:
    """One onnxruntime session of the verified model; `run` works on any image size.

    `device` (auto|cpu|gpu, see runtime.py) picks the execution provider; `precision`
    (auto|fp32|int8, see int8.py) whether the CPU runs the int8 copy of the model.
    """

    def __init__(self, threads: int = 1, model_path: Path = MODEL_PATH, *,
                 device: str = "cpu", precision: str = "fp32") -> None:
        from . import int8, runtime

        data = load_model_bytes(model_path)
        # The arena reuses buffers between layers and runs: 18% less time per pixel than plain
        # malloc here. It grows to what the largest tile needs, which TILE_PIXELS bounds.
        options = runtime.options(threads)
        probe = {_INPUT: np.zeros((1, 3, _ALIGN, _ALIGN), np.float32)}
        opened = runtime.open_session(with_symbolic_dims(data, SYMBOLIC_DIMS), options, device,
                                      probe)
        self.notes = list(opened.notes)
        self.precision = "fp32"
        if opened.provider == runtime.CPU and model_path == MODEL_PATH:
            chosen = int8.choose(precision, opened, threads)
            if chosen.session is not None:
                opened = chosen.session
                self.precision = "int8"
            self.notes += chosen.notes
        self._session = opened
        self.device = opened.device

    def run(self, rgb: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        """Faces in `rgb` (H x W x 3 uint8) as N x 5 rows x, y, w, h, score, before NMS, and
        the face-centre heatmap over `rgb` (one cell per _STRIDE px)."""
        h, w = rgb.shape[:2]
        heat, size, offset = self._session.run(
            [_HEATMAP, _SCALE, _OFFSET], {_INPUT: to_blob(rgb)}
        )
        rows = decode(heat[0, 0], size[0], offset[0], threshold)
        return rows, heat[0, 0, : -(-h // _STRIDE), : -(-w // _STRIDE)]


class CenterFaceDetector:
    """CenterFace over an image pyramid: upscaled/native tiles for small faces, downscaled
    whole-image passes for large ones. All passes are merged, recall first.

    `threshold` applies to passes at native resolution or above, where the small faces are;
    downscaled passes use `coarse_threshold`: there a false alarm is a big region, and the
    faces they exist for are large and score high.

    `box_scale` draws every box that many times wider and taller about its centre: a knob for
    benchmarks (recall.py --set centerface.box_scale=K; benchmarks/RESULTS.md, "int8 with
    wider boxes"), 1.0 (the boxes as the model gives them) everywhere else.
    """

    name = "centerface"

    def __init__(
        self,
        threshold: float = 0.15,
        coarse_threshold: float | None = None,
        threads: int = 1,
        fine_long_side: int = 800,
        max_upscale: float = 2.0,
        coarse_long_side: int = 200,
        pass_ratio: float = 2.0,
        tile_pixels: int = TILE_PIXELS,
        overlap: int = TILE_OVERLAP,
        finest_long_side: int | None = None,
        zoom: bool = True,
        zoom_gate: float | None = None,
        mirror: Mirror = "none",
        model_path: Path = MODEL_PATH,
        device: str = "cpu",
        precision: str = "fp32",
        box_scale: float = 1.0,
    ) -> None:
        self.threshold = threshold
        self.box_scale = box_scale
        self.coarse_threshold = min(0.9, 2 * threshold) if coarse_threshold is None \
            else coarse_threshold
        self.fine_long_side = fine_long_side
        self.max_upscale = max_upscale
        self.coarse_long_side = coarse_long_side
        self.pass_ratio = pass_ratio
        self.tile_pixels = tile_pixels
        self.overlap = overlap
        self.finest_long_side = finest_long_side
        self.zoom = zoom and max_upscale > 1
        self.zoom_gate = threshold * ZOOM_GATE_RATIO if zoom_gate is None else zoom_gate
        self.mirror = mirror
        self.net = CenterFaceNet(threads=threads, model_path=model_path, device=device,
                                 precision=precision)
        self.device, self.precision, self.notes = self.net.device, self.net.precision, \
            self.net.notes

    def passes(self, height: int, width: int) -> list[Pass]:
        return plan_passes(
            height, width, fine_long_side=self.fine_long_side, max_upscale=self.max_upscale,
            coarse_long_side=self.coarse_long_side, ratio=self.pass_ratio,
            finest_long_side=self.finest_long_side,
        )

    def run_pass(self, rgb: np.ndarray, scale: float, ratio: float = 1.0
                 ) -> tuple[list[Detection], np.ndarray]:
        """One pass at `scale` (tiled when the scaled image is large), in original pixels, and
        the pass's heatmap stitched over its tiles. `ratio` < 1 lowers the pass's threshold
        (`faint`)."""
        img = resize(rgb, scale)
        h, w = img.shape[:2]
        threshold = (self.threshold if scale >= 1 else self.coarse_threshold) * ratio
        heat = np.zeros((-(-h // _STRIDE), -(-w // _STRIDE)), np.float32)
        rows = self._tiled(img, threshold, heat)
        if self.mirror == "all" or (self.mirror == "coarse" and scale < 1):
            rows = np.concatenate([rows, self._mirrored(img, threshold)])
        return self._detections(rows, scale), heat

    def _mirrored(self, img: np.ndarray, threshold: float) -> np.ndarray:
        """Like `_tiled` on `img` flipped left to right, in `img`'s own pixels."""
        rows = self._tiled(np.ascontiguousarray(img[:, ::-1]), threshold)
        rows[:, 0] = img.shape[1] - rows[:, 0] - rows[:, 2]
        return rows

    def _tiled(self, img: np.ndarray, threshold: float, heat: np.ndarray | None = None
               ) -> np.ndarray:
        """Rows x, y, w, h, score in `img` pixels, from overlapping tiles; the tiles' heatmaps
        are stitched into `heat` when one is given."""
        h, w = img.shape[:2]
        rows = [np.zeros((0, 5), np.float32)]
        for x0, y0, x1, y1 in area_tiles(h, w, self.tile_pixels, self.overlap, _ALIGN):
            found, tile_heat = self.net.run(img[y0:y1, x0:x1], threshold)
            found[:, 0] += x0
            found[:, 1] += y0
            rows.append(found)
            if heat is not None:
                # A tile origin is off the cell grid by < 1 cell; zoom_windows grows blobs by one.
                th, tw = tile_heat.shape
                cells = heat[y0 // _STRIDE:, x0 // _STRIDE:][:th, :tw]
                np.maximum(cells, tile_heat[:cells.shape[0], :cells.shape[1]], out=cells)
        return np.concatenate(rows)

    def _detections(self, rows: np.ndarray, scale: float) -> list[Detection]:
        k = self.box_scale
        return [
            Detection(
                float((x + bw * (1 - k) / 2) / scale), float((y + bh * (1 - k) / 2) / scale),
                float(bw * k / scale), float(bh * k / scale), float(s), self.name,
            )
            for x, y, bw, bh, s in nms(rows, 0.3)
        ]

    def detect_zoom(self, rgb: np.ndarray, heat: np.ndarray, ratio: float = 1.0
                    ) -> list[Detection]:
        """The enlarged look at the windows where the native `heat` shows faint faces."""
        h, w = rgb.shape[:2]
        scale = self.max_upscale
        threshold = self.threshold * ratio
        rows = [np.zeros((0, 5), np.float32)]
        for wx0, wy0, wx1, wy1 in zoom_windows(heat, _STRIDE, h, w, self.zoom_gate, ZOOM_MARGIN):
            window = resize(rgb[wy0:wy1, wx0:wx1], scale)
            found = self._tiled(window, threshold)
            if self.mirror == "all":
                found = np.concatenate([found, self._mirrored(window, threshold)])
            found[:, 0] += wx0 * scale
            found[:, 1] += wy0 * scale
            rows.append(found)
        return self._detections(np.concatenate(rows), scale)

    def glance(self, rgb: np.ndarray) -> list[Detection]:
        """A cheap look for the video frames between full searches (formats/video.py): one
        pass with the picture's long side at most GLANCE_LONG_SIDE."""
        h, w = rgb.shape[:2]
        dets, _ = self.run_pass(rgb, min(1.0, GLANCE_LONG_SIDE / max(h, w, 1)))
        return dets

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        return self.detect_faint(rgb, 1.0).sure

    def detect_faint(self, rgb: np.ndarray, ratio: float, small_ratio: float | None = None,
                     small_side: float = 0.0) -> FaintSplit:
        """`detect`'s faces, and the faint ones: what every pass scores between its threshold
        times `ratio` and its threshold (the video tracker keeps those that persist); and,
        with `small_ratio`, the small faint ones: boxes of at most `small_side` px scored
        down to the threshold times `small_ratio` (CenterFace scores a 15-25 px face
        0.04-0.15 at any enlargement: benchmarks/RESULTS.md)."""
        h, w = rgb.shape[:2]
        found: list[Detection] = []
        faint: list[Detection] = []
        small: list[Detection] = []
        passes = self.passes(h, w)
        low = ratio if small_ratio is None else min(ratio, small_ratio)

        def split(dets: list[Detection], threshold: float) -> None:
            for d in dets:
                if d.score >= threshold:
                    found.append(d)
                    continue
                if d.score >= threshold * ratio:
                    faint.append(d)
                if (small_ratio is not None and max(d.w, d.h) <= small_side
                        and d.score >= threshold * small_ratio):
                    small.append(d)

        for p in passes:
            dets, heat = self.run_pass(rgb, p.scale, low)
            split(dets, self.threshold if p.scale >= 1 else self.coarse_threshold)
            if self.zoom and p.scale == 1.0 and passes[0].scale == 1.0:
                # No enlarged pass was affordable on the whole picture: zoom where it matters.
                split(self.detect_zoom(rgb, heat, low), self.threshold)
        return FaintSplit(merge_detections(found), merge_detections(faint),
                          merge_detections(small))
