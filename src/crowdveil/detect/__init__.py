"""Face detectors behind one small interface (`Detector`), and the default one to use."""

from __future__ import annotations

from .base import Detection, Detector

DEFAULT_THRESHOLD = 0.3


def build_detector(threshold: float = DEFAULT_THRESHOLD) -> Detector:
    """The detector crowdveil uses by default (loads model weights shipped in packages)."""
    from .blazeface import BlazeFaceDetector

    return BlazeFaceDetector(threshold=threshold)


__all__ = ["Detection", "Detector", "build_detector", "DEFAULT_THRESHOLD"]
