"""Face detectors behind one small interface (`Detector`), and the default one to use.

The default is an ensemble: CenterFace (vendored ONNX model) over an image pyramid, which finds
nearly every face of 10 px and more, plus mediapipe's full-range BlazeFace (its weights
converted to a vendored ONNX model, run by onnxruntime like CenterFace; mediapipe itself is not
used), which adds the odd large, turned face. `threshold` is CenterFace's heatmap threshold;
BlazeFace is handed threshold * BLAZEFACE_RATIO but, as mediapipe did, keeps its own score
floor of 0.6 (blazeface.MEDIAPIPE_MIN_SCORE), with which every BlazeFace figure was measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..messages import Message
from .base import Detection, Detector

# Chosen on the even-indexed half of the dev set (benchmarks/recall.py); see benchmarks/RESULTS.md.
DEFAULT_THRESHOLD = 0.15
BLAZEFACE_RATIO = 2.0  # BlazeFace threshold = threshold * BLAZEFACE_RATIO
PARANOID_FACTOR = 0.5  # --paranoid halves the thresholds and adds finer scales
MEMBERS = ("centerface", "blazeface")
# BlazeFace is in the ensemble for the odd large, turned face; CenterFace finds the small ones.
# Its 384 px tiles cost ~1 s per 12 MP; 768 px tiles cost a quarter of that but hid one face
# fewer on the 12 MP mosaics (benchmarks/RESULTS.md, speed section): recall first.
BLAZEFACE_TILE, BLAZEFACE_OVERLAP = 384, 128


@dataclass(frozen=True)
class DetectorSettings:
    """What a worker needs to build its own detector (small, picklable)."""

    threshold: float = DEFAULT_THRESHOLD
    paranoid: bool = False  # lower thresholds and more scales, for the worst crowds
    threads: int = 1  # onnxruntime threads per detector: 1 when one worker runs per core
    members: tuple[str, ...] = MEMBERS  # which detectors the ensemble runs (benchmarks vary it)
    # auto|cpu|gpu (runtime.py), or the provider an earlier probe chose (`resolve_device`).
    # The device is not in the batch key: it changes how fast, not which regions (the same
    # within 2 px, tests/test_device*.py), and a batch moved to another machine should not redo
    # the photos it finished. int8 precision is in it (batch.batch_key): it misses faces.
    device: str = "auto"
    precision: str = "auto"  # auto|fp32|int8 (int8.py): int8 only where the CPU is exact


def build_detector(settings: DetectorSettings | None = None) -> Detector:
    """The detector crowdveil uses (loads model weights shipped in packages, never downloads)."""
    from .ensemble import EnsembleDetector

    settings = settings or DetectorSettings()
    threshold = settings.threshold * (PARANOID_FACTOR if settings.paranoid else 1.0)
    members: list[Detector] = []
    for name in settings.members:
        if name == "centerface":
            members.append(_centerface(threshold, settings))
        elif name == "blazeface":
            from .blazeface import BlazeFaceDetector

            members.append(BlazeFaceDetector(
                threshold=min(0.95, threshold * BLAZEFACE_RATIO),
                tile=BLAZEFACE_TILE, overlap=BLAZEFACE_OVERLAP, device=settings.device,
            ))
        else:
            raise ValueError(f"unknown detector: {name}")
    if len(members) == 1:
        return members[0]
    return EnsembleDetector(members)


def _centerface(threshold: float, settings: DetectorSettings) -> Detector:
    from .centerface import CenterFaceDetector

    if settings.paranoid:
        return CenterFaceDetector(
            threshold=threshold, threads=settings.threads, fine_long_side=1200, max_upscale=3.0,
            device=settings.device, precision=settings.precision,
        )
    return CenterFaceDetector(threshold=threshold, threads=settings.threads,
                              device=settings.device, precision=settings.precision)


@dataclass(frozen=True)
class Resolved:
    """Where detection runs: `settings` with the device pinned, for every worker to reuse."""

    settings: DetectorSettings
    device: str  # "cpu", "cuda", "directml"...
    precision: str  # "fp32" | "int8"
    notes: tuple[Message, ...]


def resolve_device(settings: DetectorSettings) -> Resolved:
    """Try the requested device and precision once, in this process, with CenterFace.

    Workers then open their sessions on the provider found here (or the CPU), so a provider
    that fails is tried once per run, not once per worker, and the run can say which device
    and precision it used. Raises runtime.DeviceError for `gpu` when none works.
    """
    from . import runtime
    from .centerface import CenterFaceNet

    net = CenterFaceNet(threads=1, device=settings.device, precision=settings.precision)
    provider = net._session.provider
    pinned = replace(settings, device="cpu" if provider == runtime.CPU else provider,
                     precision=net.precision)
    return Resolved(pinned, net.device, net.precision, tuple(net.notes))


__all__ = [
    "Detection", "Detector", "DetectorSettings", "build_detector", "DEFAULT_THRESHOLD",
    "Resolved", "resolve_device",
]
