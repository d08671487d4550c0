"""--device auto|cpu|gpu: a provider that fails to load or to run falls back to the CPU with a
note, never a crash; `gpu` without one is one clear line and exit 2; the run and the report say
which device searched; an accelerated provider finds the same regions as the CPU (within 2 px).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnxruntime as ort
import pytest

from crowdveil import cli
from crowdveil.detect import DetectorSettings, resolve_device, runtime
from crowdveil.detect.centerface import CenterFaceDetector
from crowdveil.messages import render
from tests import plant

CUDA = "CUDAExecutionProvider"
DML = "DmlExecutionProvider"
PROBE = {"input.1": np.zeros((1, 3, 32, 32), np.float32)}


def _model() -> bytes:
    from crowdveil.detect.centerface import SYMBOLIC_DIMS, load_model_bytes
    from crowdveil.detect.onnx_shapes import with_symbolic_dims

    return with_symbolic_dims(load_model_bytes(), SYMBOLIC_DIMS)


class _Fake:
    """A session that claims `provider` leads it but computes on the CPU (or fails on run)."""

    def __init__(self, real: ort.InferenceSession, provider: str, fail_run: str) -> None:
        self.real, self.provider, self.fail_run = real, provider, fail_run

    def get_providers(self) -> list[str]:
        return [self.provider, runtime.CPU]

    def run(self, outputs: object, feed: dict) -> list:
        if self.fail_run == "always" or (self.fail_run == "large" and max(
                next(iter(feed.values())).shape) > 32):
            raise RuntimeError("CUDA failure 100: no CUDA-capable device is detected\nmore")
        return self.real.run(outputs, feed)


def _factory(behaviour: dict[str, str]):
    """An InferenceSession stand-in: per provider, 'raise' at creation, 'silent' (onnxruntime
    quietly put it on the CPU), 'fail_run' (loads, fails on the first run), 'fail_large' (passes
    the tiny probe, fails on a real picture) or 'ok'."""
    made: list[str] = []

    def factory(model: bytes, options: object, providers: list[str], **_: object):
        made.append(providers[0])
        real = ort.InferenceSession(model, options, providers=[runtime.CPU])
        what = behaviour.get(providers[0], "ok")
        if providers[0] == runtime.CPU:
            return real
        if what == "raise":
            raise RuntimeError(f"{providers[0]} could not load libcudnn.so.9")
        if what == "silent":
            return real  # get_providers() says CPU only
        return _Fake(real, providers[0], fail_run={"fail_run": "always", "fail_large": "large"
                                                   }.get(what, ""))

    factory.made = made  # type: ignore[attr-defined]
    return factory


def _open(device: str, available: list[str], behaviour: dict[str, str]) -> runtime.Session:
    return runtime.open_session(_model(), runtime.options(1), device, PROBE,
                                available=available, factory=_factory(behaviour))


@pytest.mark.parametrize("failure", ["raise", "silent", "fail_run"])
def test_auto_falls_back_to_the_cpu_with_one_note(failure: str) -> None:
    opened = _open("auto", [CUDA, runtime.CPU], {CUDA: failure})
    assert opened.provider == runtime.CPU and opened.device == "cpu"
    assert [n.code for n in opened.notes] == ["device.fallback"]
    line = render(opened.notes[0], "en")
    assert "cuda" in line and "CPU" in line and "\n" not in line
    # the session really works
    assert opened.run(None, PROBE)[0].shape[0] == 1


def test_auto_uses_the_first_provider_that_loads_and_runs() -> None:
    factory = _factory({CUDA: "fail_run", DML: "ok"})
    opened = runtime.open_session(_model(), runtime.options(1), "auto", PROBE,
                                  available=[DML, runtime.CPU, CUDA], factory=factory)
    assert opened.provider == DML and opened.device == "directml"
    assert factory.made == [CUDA, DML]  # CUDA first, whatever order onnxruntime lists them
    assert [n.values["device"] for n in opened.notes] == ["cuda"]


def test_a_provider_that_fails_on_a_real_picture_hands_it_to_the_cpu() -> None:
    opened = _open("auto", [CUDA, runtime.CPU], {CUDA: "fail_large"})
    assert opened.device == "cuda" and not opened.notes  # the probe passed
    blob = {"input.1": np.random.default_rng(0).uniform(0, 255, (1, 3, 96, 128)).astype(
        np.float32)}
    heat = opened.run(["537"], blob)[0]
    cpu = ort.InferenceSession(_model(), runtime.options(1), providers=[runtime.CPU])
    assert np.array_equal(heat, cpu.run(["537"], blob)[0])
    assert opened.device == "cpu" and [n.code for n in opened.notes] == ["device.fallback"]


def test_cpu_never_tries_an_accelerator() -> None:
    factory = _factory({})
    opened = runtime.open_session(_model(), runtime.options(1), "cpu", PROBE,
                                  available=[CUDA, runtime.CPU], factory=factory)
    assert factory.made == [runtime.CPU] and not opened.notes


def test_gpu_without_a_working_one_is_a_clear_error() -> None:
    with pytest.raises(runtime.DeviceError) as caught:
        _open("gpu", [CUDA, runtime.CPU], {CUDA: "raise"})
    assert caught.value.message.code == "device.no_gpu"
    with pytest.raises(runtime.DeviceError):
        _open("gpu", [runtime.CPU], {})


def _accelerators() -> list[str]:
    return [p for p in runtime.PROVIDER_ORDER if p in ort.get_available_providers()]


@pytest.fixture
def one_photo(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(plant.jpeg_with_everything(plant.face_image(256)))
    return folder


def test_cli_gpu_without_one_exits_2_on_one_line(
    one_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if _accelerators():
        pytest.skip("this machine has an accelerated onnxruntime provider")
    out = tmp_path / "out"
    assert cli.main([str(one_photo), "-o", str(out), "--device", "gpu", "-j", "1"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("crowdveil: error: no GPU works here")
    assert not out.exists() or not any(out.rglob("*.jpg"))


def test_the_summary_and_report_say_where_faces_were_searched(
    one_photo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "r.json"
    assert cli.main([str(one_photo), "-o", str(tmp_path / "out"), "-j", "1", "--device", "cpu",
                     "--precision", "fp32", "--report", str(report)]) == 0
    assert "searched on cpu (fp32)" in capsys.readouterr().err
    assert json.loads(report.read_text())["device"] == {"device": "cpu", "precision": "fp32"}


def test_resolve_pins_the_device_for_the_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    real = runtime.open_session

    def fake_open(model, options, device, probe, **kw):
        return real(model, options, device, probe, available=[CUDA, runtime.CPU],
                    factory=_factory({CUDA: "fail_run"}))

    monkeypatch.setattr(runtime, "open_session", fake_open)
    where = resolve_device(DetectorSettings(device="auto", precision="fp32"))
    # the failed CUDA is not tried again by every worker
    assert where.device == "cpu" and where.settings.device == "cpu"
    assert [n.code for n in where.notes] == ["device.fallback"]


def _regions(device: str, rgb: np.ndarray) -> np.ndarray:
    det = CenterFaceDetector(device=device)
    assert det.device == runtime.label(device if device != "cpu" else runtime.CPU), det.notes
    return np.array(sorted((d.x, d.y, d.w, d.h) for d in det.detect(rgb)), np.float64)


def test_accelerated_regions_equal_the_cpu_ones_within_2_px() -> None:
    providers = _accelerators()
    if not providers:
        pytest.skip("no accelerated onnxruntime provider installed here "
                    f"(available: {', '.join(ort.get_available_providers())})")
    pictures = [plant.face_image(256), plant.crowd_image()[0]]
    for rgb in pictures:
        cpu = _regions("cpu", rgb)
        assert len(cpu)
        for provider in providers:
            fast = _regions(provider, rgb)
            assert fast.shape == cpu.shape, provider
            assert np.abs(fast - cpu).max() <= 2.0, provider


def test_the_app_takes_the_same_device_and_precision() -> None:
    pytest.importorskip("PySide6", reason="the app's extra (PySide6) is not installed")
    from crowdveil.gui.app import parse_args

    args = parse_args(["--device", "gpu", "--precision", "int8"])
    assert (args.device, args.precision) == ("gpu", "int8")
    assert (parse_args([]).device, parse_args([]).precision) == ("auto", "auto")


def test_the_app_with_gpu_and_none_says_so_once_and_opens_no_window(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Before: the window opened and every photo failed in its worker, one error each."""
    pytest.importorskip("PySide6", reason="the app's extra (PySide6) is not installed")
    from crowdveil.gui import app

    monkeypatch.setattr(runtime, "available_providers", lambda: [runtime.CPU])

    def no_window(*_a: object, **_k: object) -> None:
        raise AssertionError("a window was built for an impossible --device gpu")

    monkeypatch.setattr(app, "build_window", no_window)
    assert app.main(["--device", "gpu", "--lang", "en"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("crowdveil: error: no GPU works here"), err


def test_the_app_with_gpu_gives_its_workers_the_device_found(
    monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("PySide6", reason="the app's extra (PySide6) is not installed")
    from crowdveil.gui import app

    real = runtime.open_session

    def fake_open(model, options, device, probe, **kw):
        return real(model, options, device, probe, available=[CUDA, runtime.CPU],
                    factory=_factory({}))

    monkeypatch.setattr(runtime, "open_session", fake_open)
    settings = app.gpu_settings(app.parse_args(["--device", "gpu"]))
    assert settings.device == CUDA  # the workers open CUDA first, not "gpu" again
