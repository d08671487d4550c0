"""Face detectors behind one small interface (`Detector`), and the default one to use."""

from __future__ import annotations

from dataclasses import dataclass

from .base import Detection, Detector

DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class DetectorSettings:
    """What a worker needs to build its own detector (small, picklable)."""

    threshold: float = DEFAULT_THRESHOLD
    paranoid: bool = False  # lower thresholds and more scales, for the worst crowds


def build_detector(settings: DetectorSettings | None = None) -> Detector:
    """The detector crowdveil uses by default (loads model weights shipped in packages)."""
    from .blazeface import BlazeFaceDetector

    settings = settings or DetectorSettings()
    threshold = settings.threshold * (0.5 if settings.paranoid else 1.0)
    return BlazeFaceDetector(threshold=threshold)


__all__ = ["Detection", "Detector", "DetectorSettings", "build_detector", "DEFAULT_THRESHOLD"]
