"""The int8 copy of CenterFace, for CPUs where its integer arithmetic is exact.

The model (models/centerface_int8.onnx) is written from the vendored fp32 model by
scripts/quantize_centerface.py (QDQ, 8-bit weights per channel, uint8 activations). Its
u8 x s8 products are summed exactly by VNNI/AMX (x86) and the dot-product instructions (ARM);
older x86 CPUs add pairs into 16-bit sums that can saturate, and faces would be lost. So int8
runs only where the CPU says it has those instructions AND, once per process, the int8 heatmap
of a built-in picture (NASA's public-domain astronaut, models/int8_check.jpg) matches the fp32
one within HEAT_BOUND; otherwise fp32, with a note.

`auto` is fp32 for now (AUTO_INT8): on this project's dev set and 12 MP mosaics the int8 model
is 1.6x faster per photo but hid two more 20-40 px faces than fp32 in each, and recall comes
first (benchmarks/RESULTS.md). Other calibrations, an fp32 layer or a lower int8 threshold
moved which faces at the threshold are lost but never matched fp32 on both sets within the
over-redaction budget (RESULTS.md, "int8 calibration"). `int8` asks for it; `fp32` never
uses it.
"""

from __future__ import annotations

import io
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..messages import Message
from . import runtime

PRECISIONS = ("auto", "fp32", "int8")
# Whether `auto` picks int8 on an exact CPU. False: measured to hide faces fp32 finds (above).
AUTO_INT8 = False
MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "centerface_int8.onnx"
MODEL_SHA256 = "e3c5d11a1093cead5ad371ae792606031651cb4131c2f62b1f861581b9e4f1be"
CHECK_PICTURE = MODEL_PATH.parent / "int8_check.jpg"
# A blank or damaged picture would make any model pass: it is hash-checked like the weights.
CHECK_SHA256 = "4fd6f27ba8938dace95d04ae6df4adc06748baf1036153421c48ee1397c3fb67"
# Largest difference allowed between the int8 and fp32 heatmaps (0..1) anywhere on the check
# picture at 1x and 2x. On AVX512-VNNI (exact) it is 0.054 at 1x, 0.076 at 2x: rounding to 8
# bits moves the values next to the face peak; the peak itself stays above 0.9 in both.
HEAT_BOUND = 0.15
X86_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")
ARM_FLAGS = ("asimddp", "i8mm")  # /proc/cpuinfo names of FEAT_DotProd and FEAT_I8MM


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU feature words Linux lists (x86 "flags", ARM "Features"); empty elsewhere."""
    try:
        text = cpuinfo.read_text(errors="replace")
    except OSError:
        return set()
    words: set[str] = set()
    for line in text.splitlines():
        key, _, value = line.partition(":")
        if key.strip().lower() in ("flags", "features"):
            words.update(value.split())
    return words


def exact_int8_cpu(flags: set[str] | None = None, system: str | None = None,
                   machine: str | None = None) -> bool:
    """Whether this CPU multiplies int8 without 16-bit saturation (see the module docstring)."""
    system = system or sys.platform
    machine = (machine or platform.machine()).lower()
    if system == "darwin" and machine in ("arm64", "aarch64"):
        return True  # every Apple silicon core has the dot-product instructions
    flags = cpu_flags() if flags is None else flags
    return any(f in flags for f in X86_FLAGS + ARM_FLAGS)


@dataclass
class Choice:
    """The int8 session to use instead of fp32 (None: stay fp32), and what to tell the user."""

    session: runtime.Session | None
    notes: list[Message] = field(default_factory=list)


# One check per process (per thread count does not matter: the result is the same).
_checked: dict[str, float] = {}


def check_picture() -> np.ndarray:
    """The check picture as RGB pixels (Pillow's libjpeg-turbo decodes it to the same pixels
    OpenCV's did, measured: the int8 check's figure is unchanged)."""
    from PIL import Image, UnidentifiedImageError

    from .centerface import load_model_bytes

    data = load_model_bytes(CHECK_PICTURE, CHECK_SHA256)
    try:
        with Image.open(io.BytesIO(data)) as im:
            return np.ascontiguousarray(np.asarray(im.convert("RGB")))
    except (OSError, UnidentifiedImageError) as e:  # cannot happen for the hash-checked JPEG
        raise RuntimeError(f"{CHECK_PICTURE} does not decode") from e


def heat_difference(fp32: runtime.Session, int8: runtime.Session) -> float:
    """Largest |int8 - fp32| of the heatmap on the check picture at 1x and 2x."""
    from .centerface import _HEATMAP, _INPUT, to_blob
    from .scales import resize

    rgb = check_picture()
    worst = 0.0
    for scale in (1.0, 2.0):
        blob = to_blob(resize(rgb, scale))
        a = fp32.run([_HEATMAP], {_INPUT: blob})[0]
        b = int8.run([_HEATMAP], {_INPUT: blob})[0]
        worst = max(worst, float(np.abs(a - b).max()))
    return worst


def open_int8(threads: int) -> runtime.Session:
    from .centerface import _ALIGN, _INPUT, SYMBOLIC_DIMS, load_model_bytes
    from .onnx_shapes import with_symbolic_dims

    data = load_model_bytes(MODEL_PATH, MODEL_SHA256)
    probe = {_INPUT: np.zeros((1, 3, _ALIGN, _ALIGN), np.float32)}
    return runtime.open_session(with_symbolic_dims(data, SYMBOLIC_DIMS),
                                runtime.options(threads), "cpu", probe)


def choose(precision: str, fp32: runtime.Session, threads: int = 1, *,
           exact_cpu: Callable[[], bool] | None = None) -> Choice:
    """The int8 session to run instead of `fp32` (a CPU session), or none."""
    if precision not in PRECISIONS:
        raise ValueError(f"unknown precision: {precision}")
    if precision == "fp32" or (precision == "auto" and not AUTO_INT8):
        return Choice(None)
    if not (exact_cpu or exact_int8_cpu)():
        # asked for int8 (or auto once it picks it) on a CPU whose int8 sums can saturate
        return Choice(None, [Message("precision.int8_cpu")] if precision == "int8" else [])
    int8 = open_int8(threads)
    if "diff" not in _checked:
        _checked["diff"] = heat_difference(fp32, int8)
    diff = _checked["diff"]
    if diff > HEAT_BOUND:
        return Choice(None, [Message("precision.int8_inexact", {
            "difference": round(diff, 3), "bound": HEAT_BOUND})])
    return Choice(int8)
