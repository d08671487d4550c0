"""--precision auto|fp32|int8: the int8 CenterFace runs only on CPUs whose int8 arithmetic is
exact and after a check of its heatmap against fp32; otherwise fp32, with a note when the check
failed. Its weights are hash-checked like every model's, and it finds the faces fp32 finds.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from crowdveil.detect import DetectorSettings, int8, resolve_device
from crowdveil.detect.centerface import CenterFaceDetector, CenterFaceNet, ModelError
from tests import plant

NO_VNNI = "flags\t\t: fpu sse sse2 ssse3 sse4_1 sse4_2 avx avx2 fma avx512f avx512bw\n"
VNNI = NO_VNNI.rstrip("\n") + " avx512_vnni\n"
ARM_DOT = "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics asimddp\n"
ARM_OLD = "Features\t: fp asimd evtstrm aes pmull sha1 sha2 crc32\n"


@pytest.mark.parametrize(("cpuinfo", "exact"), [
    (NO_VNNI, False), (VNNI, True), (NO_VNNI.replace("avx2", "avx2 avx_vnni"), True),
    (NO_VNNI.replace("avx2", "avx2 amx_int8"), True), (ARM_DOT, True), (ARM_OLD, False),
    ("", False),
])
def test_int8_only_on_cpus_that_multiply_int8_exactly(tmp_path: Path, cpuinfo: str,
                                                      exact: bool) -> None:
    (tmp_path / "cpuinfo").write_text("processor\t: 0\n" + cpuinfo)
    flags = int8.cpu_flags(tmp_path / "cpuinfo")
    assert int8.exact_int8_cpu(flags, system="linux", machine="x86_64") is exact


def test_apple_silicon_counts_as_exact_without_a_cpuinfo() -> None:
    assert int8.exact_int8_cpu(set(), system="darwin", machine="arm64")
    assert not int8.exact_int8_cpu(set(), system="darwin", machine="x86_64")
    assert not int8.exact_int8_cpu(set(), system="win32", machine="AMD64")


@pytest.fixture
def fresh_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(int8, "_checked", {})


def test_auto_is_fp32_while_int8_hides_faces_fp32_finds(monkeypatch, fresh_check) -> None:
    monkeypatch.setattr(int8, "exact_int8_cpu", lambda: True)
    monkeypatch.setattr(int8, "open_int8", lambda threads: pytest.fail("int8 opened"))
    net = CenterFaceNet(precision="auto")
    assert net.precision == "fp32" and net.notes == []


def test_no_int8_on_a_cpu_whose_int8_sums_can_saturate(monkeypatch, fresh_check) -> None:
    monkeypatch.setattr(int8, "exact_int8_cpu", lambda: False)
    monkeypatch.setattr(int8, "open_int8", lambda threads: pytest.fail("int8 opened"))
    net = CenterFaceNet(precision="int8")
    assert net.precision == "fp32" and [n.code for n in net.notes] == ["precision.int8_cpu"]
    monkeypatch.setattr(int8, "AUTO_INT8", True)  # were auto to pick int8: silently fp32 here
    net = CenterFaceNet(precision="auto")
    assert net.precision == "fp32" and net.notes == []


def test_a_heatmap_that_strays_means_fp32_with_a_note(monkeypatch, fresh_check) -> None:
    monkeypatch.setattr(int8, "exact_int8_cpu", lambda: True)
    monkeypatch.setattr(int8, "AUTO_INT8", True)
    # what a saturating CPU would do: the int8 heatmap far from the fp32 one
    monkeypatch.setattr(int8, "heat_difference", lambda a, b: 0.6)
    for precision in ("auto", "int8"):
        net = CenterFaceNet(precision=precision)
        assert net.precision == "fp32"
        assert [n.code for n in net.notes] == ["precision.int8_inexact"]


def test_the_check_runs_once_per_process(monkeypatch, fresh_check) -> None:
    calls = []
    real = int8.heat_difference
    monkeypatch.setattr(int8, "heat_difference", lambda a, b: calls.append(1) or real(a, b))
    for _ in range(3):
        assert CenterFaceNet(precision="int8").precision == "int8"
    assert len(calls) == 1


def test_a_changed_int8_model_or_check_picture_is_refused(monkeypatch, tmp_path, fresh_check
                                                          ) -> None:
    for name in ("MODEL_PATH", "CHECK_PICTURE"):
        bad = tmp_path / name
        data = bytearray(getattr(int8, name).read_bytes())
        data[len(data) // 2] ^= 1
        bad.write_bytes(bytes(data))
        with monkeypatch.context() as m:
            m.setattr(int8, name, bad)
            with pytest.raises(ModelError):
                CenterFaceNet(precision="int8")


def test_fp32_is_never_replaced(monkeypatch, fresh_check) -> None:
    monkeypatch.setattr(int8, "open_int8", lambda threads: pytest.fail("int8 opened"))
    assert CenterFaceNet(precision="fp32").precision == "fp32"


def _exact_here() -> None:
    if not int8.exact_int8_cpu():
        pytest.skip("this CPU has no VNNI/AMX/dot-product int8: int8 is not used here")


def test_on_this_exact_cpu_the_int8_heatmap_is_within_the_bound(fresh_check) -> None:
    _exact_here()
    fp32 = CenterFaceNet(precision="fp32")._session
    assert int8.heat_difference(fp32, int8.open_int8(1)) <= int8.HEAT_BOUND
    where = resolve_device(DetectorSettings(device="cpu", precision="int8"))
    assert (where.device, where.precision, where.notes) == ("cpu", "int8", ())
    assert where.settings.precision == "int8"
    assert resolve_device(DetectorSettings(device="cpu")).precision == "fp32"


def _iou(a: tuple, b: tuple) -> float:
    ix = max(0.0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def test_int8_finds_every_face_fp32_finds_in_a_crowd(fresh_check) -> None:
    _exact_here()
    rgb, _ = plant.crowd_image()
    boxes = {}
    for precision in ("fp32", "int8"):
        det = CenterFaceDetector(precision=precision)
        assert det.precision == precision
        boxes[precision] = [(d.x, d.y, d.w, d.h) for d in det.detect(rgb) if d.score >= 0.5]
    assert len(boxes["fp32"]) >= 13  # every planted head
    for box in boxes["fp32"]:
        best = max(_iou(box, other) for other in boxes["int8"])
        assert best >= 0.8, box
    assert len(boxes["int8"]) == len(boxes["fp32"])


def test_the_run_says_int8(tmp_path: Path, capsys: pytest.CaptureFixture[str], fresh_check
                           ) -> None:
    _exact_here()
    from crowdveil import cli

    (tmp_path / "a.jpg").write_bytes(plant.jpeg_with_everything(plant.face_image(256)))
    assert cli.main([str(tmp_path / "a.jpg"), "-o", str(tmp_path / "out"), "-j", "1",
                     "--device", "cpu", "--precision", "int8"]) == 0
    assert "searched on cpu (int8)" in capsys.readouterr().err
