"""onnxruntime sessions for every model, on the device the user asked for (`auto|cpu|gpu`).

`auto` tries the accelerated execution providers the installed onnxruntime offers, in the order
of PROVIDER_ORDER, and falls back to the CPU with a note (never a crash) when one fails to load
or to run: each accelerated session runs a tiny inference when it is made, because a provider
can load and then fail on its first real call (missing cuDNN, an unsupported operator). `gpu`
fails with one line when none works. `cpu` never tries anything else.

An accelerated provider is always paired with the CPU provider, as onnxruntime expects: the
operators it lacks run on the CPU. Which provider leads the session is the device reported.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import CrowdveilError
from ..messages import Message

DEVICES = ("auto", "cpu", "gpu")
CPU = "CPUExecutionProvider"
# CUDA before TensorRT: TensorRT builds an engine for every new input shape, and crowdveil's
# tiles and scales change shape from photo to photo (minutes of engine building per batch).
# OpenVINO last: on most machines it drives the same CPU we already use.
PROVIDER_ORDER = (
    "CUDAExecutionProvider",
    "TensorrtExecutionProvider",
    "DmlExecutionProvider",
    "CoreMLExecutionProvider",
    "ROCMExecutionProvider",
    "MIGraphXExecutionProvider",
    "OpenVINOExecutionProvider",
)
# What the run and the report call each provider (short, stable: scripts read the report).
LABELS = {
    CPU: "cpu",
    "CUDAExecutionProvider": "cuda",
    "TensorrtExecutionProvider": "tensorrt",
    "DmlExecutionProvider": "directml",
    "CoreMLExecutionProvider": "coreml",
    "ROCMExecutionProvider": "rocm",
    "MIGraphXExecutionProvider": "migraphx",
    "OpenVINOExecutionProvider": "openvino",
}
# OpenVINO's default target is the CPU: ask it for the GPU, or it is no accelerator.
_PROVIDER_OPTIONS: dict[str, dict[str, str]] = {"OpenVINOExecutionProvider": {"device_type": "GPU"}}


class DeviceError(CrowdveilError):
    """`--device gpu` and no accelerated provider works here."""


def label(provider: str) -> str:
    """The short name of a provider ("cuda", "cpu"); unknown ones lose their suffix."""
    return LABELS.get(provider, provider.removesuffix("ExecutionProvider").lower())


def available_providers() -> list[str]:
    import onnxruntime as ort

    return list(ort.get_available_providers())


def candidates(device: str, available: Sequence[str]) -> list[str]:
    """Providers to try, in order. `device` is auto|cpu|gpu or a provider name (a device that
    an earlier probe chose: tried first, the CPU after it)."""
    if device == "cpu":
        return [CPU]
    if device not in DEVICES:
        return [device, CPU] if device != CPU else [CPU]
    accelerated = [p for p in PROVIDER_ORDER if p in available]
    return accelerated if device == "gpu" else [*accelerated, CPU]


def _reason(exc: BaseException) -> str:
    """The first line of an onnxruntime error, short enough for one line of output."""
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return first if len(first) <= 160 else first[:157] + "..."


SessionFactory = Callable[..., Any]


@dataclass
class Session:
    """An onnxruntime session and where it runs; `notes` say why a device was passed over.

    An accelerated session that fails on a real input (one the tiny probe did not stand for:
    a shape the provider cannot take, its memory exhausted) is replaced by a CPU session and the
    call retried there, so a photo is never lost to the device.
    """

    session: Any
    provider: str
    notes: list[Message] = field(default_factory=list)
    reopen_on_cpu: Callable[[], Any] | None = None

    @property
    def device(self) -> str:
        return label(self.provider)

    def run(self, outputs: Sequence[str] | None, feed: Mapping[str, np.ndarray]) -> list:
        try:
            return self.session.run(outputs, dict(feed))
        except Exception as exc:
            if self.provider == CPU or self.reopen_on_cpu is None:
                raise
            self.notes.append(Message("device.fallback", {"device": self.device,
                                                          "reason": _reason(exc)}))
            self.session, self.provider = self.reopen_on_cpu(), CPU
            return self.session.run(outputs, dict(feed))

    def __getattr__(self, name: str) -> Any:  # get_inputs() and the like: the session's own
        if name == "session":  # not set yet (copy, unpickling): no recursion
            raise AttributeError(name)
        return getattr(self.session, name)


def options(threads: int, *, arena: bool = True) -> Any:
    """Session options shared by every model: `threads` intra-op threads, sequential."""
    import onnxruntime as ort

    ort.disable_telemetry_events()  # a no-op off Windows; crowdveil never reports anything
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, int(threads))
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3  # old exports' unused-initializer warnings are noise
    opts.enable_cpu_mem_arena = arena
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    return opts


def open_session(
    model: bytes,
    session_options: Any,
    device: str,
    probe: Mapping[str, np.ndarray],
    *,
    available: Sequence[str] | None = None,
    factory: SessionFactory | None = None,
) -> Session:
    """A session of `model` on the first provider of `candidates(device)` that loads AND runs
    `probe` (a tiny input). Raises DeviceError when `device` is "gpu" and none does."""
    if factory is None:
        import onnxruntime as ort

        factory = ort.InferenceSession
    if available is None:
        available = available_providers()
    tried = candidates(device, available)
    notes: list[Message] = []
    for provider in tried:
        if provider == CPU:
            # The CPU is not probed: if it fails, nothing would help and the error must show.
            return Session(factory(model, session_options, providers=[CPU]), CPU, notes)
        try:
            session = factory(
                model, session_options, providers=[provider, CPU],
                provider_options=[_PROVIDER_OPTIONS.get(provider, {}), {}],
            )
            # onnxruntime itself falls back to the CPU, with a log line only, when a provider's
            # libraries are missing: that is a failure to load here.
            if session.get_providers()[:1] != [provider]:
                raise RuntimeError(f"{provider} did not load")
            session.run(None, dict(probe))
        except Exception as exc:  # noqa: BLE001 - any failure of an optional device: use the next
            notes.append(Message("device.fallback", {"device": label(provider),
                                                     "reason": _reason(exc)}))
            continue
        return Session(session, provider, notes,
                       lambda: factory(model, session_options, providers=[CPU]))
    raise DeviceError(Message("device.no_gpu", {
        "tried": ", ".join(label(p) for p in tried) or "-",
        "installed": ", ".join(label(p) for p in available) or "-",
    }))
