"""mediapipe's full-range BlazeFace, whose weights ship inside the mediapipe 0.10.21 wheel."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import numpy as np

from .base import Detection
from .merge import merge_detections
from .scales import resize
from .tiling import detect_tiled

# mediapipe logs through glog/absl to stderr at import; keep the batch output readable.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@contextlib.contextmanager
def _quiet_native_stderr() -> Iterator[None]:
    """Silence TFLite's start-up chatter, which native code writes straight to fd 2."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


WHOLE_PASS_SIDE = 1024  # long side of the whole-picture pass
# Long side of the picture the tiles are cut from. BlazeFace is in the ensemble for the odd
# turned face CenterFace misses: on the dev photos (<= 1000 px, tiled as they are) it adds one
# face in 4,072; on 12 MP mosaics its native-resolution tiles (192 of them, 1.3 s) added none
# once CenterFace had its zoom pass (benchmarks/RESULTS.md). Shrinking large pictures to this
# side first cuts that to 48 tiles.
TILED_LONG_SIDE = 2048


class BlazeFaceDetector:
    """Full-range BlazeFace over the whole picture and over overlapping tiles.

    The model looks at a 192 px square, so on a whole 4000 px photo a 40 px face shrinks to
    2 px. Tiles of `tile` px bring small faces back into the range the model was trained on.
    """

    name = "blazeface"

    def __init__(
        self, threshold: float = 0.3, tile: int = 384, overlap: int = 128,
        tiled_long_side: int = TILED_LONG_SIDE,
    ) -> None:
        import mediapipe as mp  # heavy import: only when a detector is really built

        self.threshold = threshold
        self.tile = tile
        self.overlap = overlap
        self.tiled_long_side = tiled_long_side
        with _quiet_native_stderr():
            self._model = mp.solutions.face_detection.FaceDetection(
                model_selection=1, min_detection_confidence=threshold
            )
            self._model.process(np.zeros((64, 64, 3), np.uint8))  # first call logs too

    def _detect_once(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        result = self._model.process(np.ascontiguousarray(rgb))
        found = []
        for det in result.detections or []:
            box = det.location_data.relative_bounding_box
            found.append(
                Detection(
                    box.xmin * w, box.ymin * h, box.width * w, box.height * h,
                    float(det.score[0]), self.name,
                )
            )
        return found

    def _detect_whole(self, rgb: np.ndarray) -> list[Detection]:
        """The whole picture, shrunk first: the model sees 192 px anyway, and mediapipe's
        OpenCV aborts the process on a side of 32767 px or more."""
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
        self._model.close()


def _shrunk(rgb: np.ndarray, long_side: int) -> tuple[np.ndarray, float]:
    """The picture with its long side cut to `long_side` (never enlarged), and the factor."""
    factor = min(1.0, long_side / max(rgb.shape[:2]))
    return resize(rgb, factor), factor
