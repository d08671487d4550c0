"""Gating CenterFace's native-resolution pass with a cheap first look (issue 15), benchmark only.

On a large picture the default runs CenterFace on every native pixel (the most expensive pass),
then enlarges windows where the native heatmap shows faint faces (zoom.py). Here the native pass
runs only on windows where a cheaper look sees something face-like, with a margin:

- ``half``: the heatmap of CenterFace's own 0.5x pass, which the default runs anyway (free);
  cells above `gate_threshold`.
- ``yunet``: YuNet (benchmarks/yunet.py, ../shared/models/yunet, hash-checked) at native
  resolution, boxes scoring above `gate_threshold`.

Cells that pass are marked on a grid of `gate_block` px, grown by `gate_margin` px, and the
bounding boxes of the marked blocks' connected components are the windows CenterFace runs on
at 1x; the zoom pass then works from the native heatmap stitched over those windows. Small
pictures (whose finest pass is enlarged, like every dev photo) are untouched.

    python benchmarks/recall.py --detector gated --set centerface.gate=half \
        --set centerface.gate_threshold=0.02 --no-deface
    python benchmarks/gate.py --mosaics 6 --repeat 2   # CPU seconds, same process
"""

from __future__ import annotations

import argparse
import time

import cv2
import numpy as np

from crowdveil.detect.base import Detection
from crowdveil.detect.centerface import _STRIDE, CenterFaceDetector
from crowdveil.detect.merge import merge_detections
from crowdveil.detect.tiling import area_tiles

Window = tuple[int, int, int, int]


def block_windows(mask: np.ndarray, block: int, height: int, width: int) -> list[Window]:
    """Bounding boxes (picture px) of the connected groups of marked blocks."""
    count, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    out = []
    for x, y, w, h, _ in stats[1:count]:
        x0, y0 = int(x) * block, int(y) * block
        x1, y1 = min(width, int(x + w) * block), min(height, int(y + h) * block)
        if x1 > x0 and y1 > y0:
            out.append((x0, y0, x1, y1))
    return out


def mark(points_or_boxes: np.ndarray, block: int, margin: int, height: int, width: int
         ) -> np.ndarray:
    """Blocks touched by any x0, y0, x1, y1 box grown by `margin` px."""
    rows, cols = -(-height // block), -(-width // block)
    mask = np.zeros((rows, cols), bool)
    for x0, y0, x1, y1 in points_or_boxes:
        bx0 = max(0, int((x0 - margin) // block))
        by0 = max(0, int((y0 - margin) // block))
        bx1 = min(cols, int((x1 + margin) // block) + 1)
        by1 = min(rows, int((y1 + margin) // block) + 1)
        if bx1 > bx0 and by1 > by0:  # a box left of or above the area: nothing (not [0:-k])
            mask[by0:by1, bx0:bx1] = True
    return mask


def band_windows(mask: np.ndarray, block: int, rows_per_band: int, overlap: int,
                 height: int, width: int) -> list[Window]:
    """Runs of marked blocks in horizontal bands of `rows_per_band` block rows, each window
    grown by `overlap` px up and down, so that a face shorter than 2 * overlap at a band's seam
    lies whole inside one window (the mask's own margin covers the left and right ends)."""
    out = []
    for top in range(0, mask.shape[0], rows_per_band):
        cols = np.flatnonzero(mask[top:top + rows_per_band].any(axis=0))
        if cols.size == 0:
            continue
        breaks = np.flatnonzero(np.diff(cols) > 1)
        starts = np.concatenate([[cols[0]], cols[breaks + 1]])
        ends = np.concatenate([cols[breaks], [cols[-1]]]) + 1
        y0 = max(0, top * block - overlap)
        y1 = min(height, (top + rows_per_band) * block + overlap)
        out += [(int(a) * block, y0, min(width, int(b) * block), y1)
                for a, b in zip(starts, ends, strict=True)]
    return out


def cut(mask: np.ndarray) -> list[tuple[int, int, int, int]]:
    """Rectangles (col0, row0, col1, row1, in cells) that together hold every marked cell of
    `mask`, split only along wholly unmarked rows or columns (recursive XY cut): no face whose
    cells are marked is ever cut, and no window needs an overlap with its neighbours."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return []
    r0, c0 = int(rows[0]), int(cols[0])
    part = mask[r0:int(rows[-1]) + 1, c0:int(cols[-1]) + 1]
    for axis in (1, 0):  # split into bands of rows first, then of columns
        used = np.flatnonzero(part.any(axis=axis))
        gaps = np.flatnonzero(np.diff(used) > 1)
        if gaps.size:
            out = []
            bounds = np.concatenate([[0], used[gaps] + 1, [part.shape[1 - axis]]])
            for a, b in zip(bounds[:-1], bounds[1:], strict=True):
                sub = part[a:b] if axis == 1 else part[:, a:b]
                dr, dc = (int(a), 0) if axis == 1 else (0, int(a))
                out += [(x0 + c0 + dc, y0 + r0 + dr, x1 + c0 + dc, y1 + r0 + dr)
                        for x0, y0, x1, y1 in cut(sub)]
            return out
    return [(c0, r0, c0 + part.shape[1], r0 + part.shape[0])]


def gated_windows(boxes: np.ndarray, tiles: list[Window], margin: float,
                  block: int = 64) -> list[Window]:
    """Windows (picture pixels) of the native pass: inside each tile, the rectangles of
    `block` cells near `boxes` (`cut`), on the tile's own grid (`block` is a multiple of the
    network's alignment, so each window starts at the tile's grid phase)."""
    out: list[Window] = []
    for tx0, ty0, tx1, ty1 in tiles:
        local = mark(boxes - np.array([tx0, ty0, tx0, ty0]), block, margin, ty1 - ty0, tx1 - tx0)
        out += [(tx0 + c0 * block, ty0 + r0 * block, min(tx1, tx0 + c1 * block),
                 min(ty1, ty0 + r1 * block)) for c0, r0, c1, r1 in cut(local)]
    return out


class GatedCenterFace(CenterFaceDetector):
    gate = "half"  # half | yunet | none
    gate_threshold = 0.02
    gate_margin = 48
    gate_block = 64
    gate_band = 0  # block rows per band (band_windows); 0: components' bounding boxes
    gate_overlap = 48
    # Windows cut inside the default's own tiles, at multiples of 32 px from each tile's origin:
    # CenterFace then sees every gated pixel at the same grid phase as the default does, so
    # away from a window's edge its heatmap is the default's (free windows shift it by a
    # few hundredths, enough to swap marginal faces in and out). "bands": band_windows in
    # each tile (overlapping windows); "cut": `cut` in each tile (split along empty lines only).
    gate_snap = ""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._yunet = None
        self.last_fraction = 1.0  # share of the picture the native pass ran on, last call
        self.timings: dict[str, float] = {}

    def _gate_boxes(self, rgb: np.ndarray, half_heat: np.ndarray, half_scale: float
                    ) -> np.ndarray:
        if self.gate == "yunet":
            if self._yunet is None:
                from yunet import YuNetDetector

                self._yunet = YuNetDetector(threshold=self.gate_threshold)
            self._yunet.threshold = self.gate_threshold
            dets = self._yunet.detect(rgb)
            return np.array([[d.x, d.y, d.x + d.w, d.y + d.h] for d in dets]).reshape(-1, 4)
        rows, cols = np.nonzero(half_heat > self.gate_threshold)
        cell = _STRIDE / half_scale  # one heatmap cell, in picture px
        return np.stack([cols * cell, rows * cell, (cols + 1) * cell, (rows + 1) * cell],
                        axis=1).reshape(-1, 4)

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        passes = self.passes(h, w)
        if self.gate == "none" or passes[0].scale != 1.0 or len(passes) < 2:
            self.last_fraction, self.timings = 1.0, {}
            return super().detect(rgb)
        t = self.timings = {}
        found: list[Detection] = []
        coarse: list[Detection] = []
        half_heat, half_scale = None, 1.0
        start = time.process_time()
        for p in passes[1:]:
            dets, heat = self.run_pass(rgb, p.scale)
            coarse.extend(dets)
            if half_heat is None:
                half_heat, half_scale = heat, p.scale
        t["coarse"] = time.process_time() - start
        start = time.process_time()
        assert half_heat is not None
        boxes = self._gate_boxes(rgb, half_heat, half_scale)
        mask = mark(boxes, self.gate_block, self.gate_margin, h, w)
        if self.gate_snap == "cut":
            windows = gated_windows(boxes, area_tiles(h, w, self.tile_pixels, self.overlap, 32),
                                    self.gate_margin, self.gate_block)
        elif self.gate_snap:
            windows = []
            for tx0, ty0, tx1, ty1 in area_tiles(h, w, self.tile_pixels, self.overlap, 32):
                local = mark(boxes - np.array([tx0, ty0, tx0, ty0]), self.gate_block,
                             self.gate_margin, ty1 - ty0, tx1 - tx0)
                windows += [(x0 + tx0, y0 + ty0, x1 + tx0, y1 + ty0) for x0, y0, x1, y1 in
                            band_windows(local, self.gate_block, self.gate_band or 4,
                                         self.gate_overlap, ty1 - ty0, tx1 - tx0)]
        elif self.gate_band:
            windows = band_windows(mask, self.gate_block, self.gate_band, self.gate_overlap, h, w)
        else:
            windows = block_windows(mask, self.gate_block, h, w)
        t["gate"] = time.process_time() - start
        start = time.process_time()
        heat = np.zeros((-(-h // _STRIDE), -(-w // _STRIDE)), np.float32)
        rows = [np.zeros((0, 5), np.float32)]
        area = 0
        for x0, y0, x1, y1 in windows:
            # Window origins on the cell grid, so the stitched heatmap lines up exactly.
            if not self.gate_snap:
                x0, y0 = x0 - x0 % _STRIDE, y0 - y0 % _STRIDE
            sub = np.zeros((-(-(y1 - y0) // _STRIDE), -(-(x1 - x0) // _STRIDE)), np.float32)
            found_rows = self._tiled(rgb[y0:y1, x0:x1], self.threshold, sub)
            found_rows[:, 0] += x0
            found_rows[:, 1] += y0
            rows.append(found_rows)
            cells = heat[y0 // _STRIDE:, x0 // _STRIDE:][:sub.shape[0], :sub.shape[1]]
            np.maximum(cells, sub[:cells.shape[0], :cells.shape[1]], out=cells)
            area += (x1 - x0) * (y1 - y0)
        self.last_fraction = area / (h * w)
        found.extend(self._detections(np.concatenate(rows), 1.0))
        t["native"] = time.process_time() - start
        start = time.process_time()
        if self.zoom:
            found.extend(self.detect_zoom(rgb, heat))
        t["zoom"] = time.process_time() - start
        return merge_detections(found + coarse)  # the default's order: finest pass first


def main(argv: list[str] | None = None) -> int:
    """CPU seconds of CenterFace per mosaic, the default against gated variants, in one
    process, interleaved; and the pixels CenterFace saw at native size or enlarged."""
    import json

    from recall import SHARED, build_mosaics

    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("--mosaics", type=int, default=6)
    p.add_argument("--repeat", type=int, default=2)
    p.add_argument("--variant", action="append", default=[],
                   help="GATE:THRESHOLD:MARGIN:WINDOWS, GATE half|yunet, WINDOWS cut|bands|"
                        "free-bands|bbox, e.g. half:0.05:96:cut")
    args = p.parse_args(argv)
    data = SHARED / "data" / "facemask"
    truth = json.loads((data / "annotations.json").read_text())
    paths, _ = build_mosaics(data, truth, args.mosaics)
    det = GatedCenterFace()
    run, seen = det.net.run, [0]

    def counting(rgb: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
        if threshold == det.threshold:  # native and zoom (the coarse passes use 2x it)
            seen[0] += rgb.shape[0] * rgb.shape[1]
        return run(rgb, threshold)

    det.net.run = counting  # type: ignore[method-assign]
    pictures = [cv2.cvtColor(cv2.imread(str(x)), cv2.COLOR_BGR2RGB) for x in paths]
    for r in range(args.repeat):
        for v in ["none:0:0:none"] + args.variant:
            gate, thr, margin, windows = v.split(":")
            det.gate, det.gate_threshold, det.gate_margin = gate, float(thr), int(margin)
            det.gate_snap = windows if windows in ("cut", "bands") else ""
            det.gate_band = 4 if windows in ("bands", "free-bands") else 0
            det.gate_overlap = 96
            cpu, seen[0], parts = 0.0, 0, {}
            for rgb in pictures:
                start = time.process_time()
                det.detect(rgb)
                cpu += time.process_time() - start
                for k, x in det.timings.items():
                    parts[k] = parts.get(k, 0.0) + x
            n = len(pictures)
            detail = ", ".join(f"{k} {x / n:.2f}" for k, x in parts.items())
            print(f"run {r}: {v}: CenterFace CPU s/picture {cpu / n:.2f}, native + zoom "
                  f"{seen[0] / n / 1e6:.1f} MP ({detail})", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
