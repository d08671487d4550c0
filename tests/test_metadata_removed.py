"""Plant private metadata in every input format and prove none of it reaches the output."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from crowdveil import reveal
from crowdveil.pipeline import Options, process_file
from crowdveil.verify import verify_file
from tests import plant

PIXELS = plant.face_image(256)

# builder name -> (bytes, input suffix, expected output suffix)
CASES = {
    "jpeg_with_everything": (lambda: plant.jpeg_with_everything(PIXELS), ".jpg", ".jpg"),
    "mpo_with_second_image": (lambda: plant.mpo_with_second_image(PIXELS), ".mpo", ".jpg"),
    "png_with_text": (lambda: plant.png_with_text(PIXELS), ".png", ".png"),
    "png_with_alpha": (lambda: plant.png_with_text(PIXELS, with_alpha=True), ".png", ".png"),
    "webp_with_exif_xmp": (lambda: plant.webp_with_exif_xmp(PIXELS), ".webp", ".webp"),
    "tiff_with_exif": (lambda: plant.tiff_with_exif(PIXELS), ".tif", ".jpg"),
    "heic_with_exif": (lambda: plant.heic_with_exif(PIXELS), ".heic", ".jpg"),
}


def _planted_tokens(name: str) -> tuple[str, ...]:
    return plant.TOKENS_BY_BUILDER[name.replace("png_with_alpha", "png_with_text")]


@pytest.fixture(params=sorted(CASES))
def planted(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, str]:
    build, suffix, out_suffix = CASES[request.param]
    src = tmp_path / f"in{suffix}"
    data = build()
    src.write_bytes(data)
    # the builder really planted what we are about to look for; otherwise the test proves nothing
    assert plant.tokens_in(data, _planted_tokens(request.param)) == list(
        _planted_tokens(request.param)
    )
    return request.param, src, out_suffix


def test_no_planted_token_survives_in_output(planted, tmp_path: Path, detector) -> None:
    name, src, out_suffix = planted
    result = process_file(src, tmp_path / "out" / "clean", detector, Options())
    assert result.status == "ok", result.error
    out = Path(result.output)
    assert out.suffix == out_suffix
    data = out.read_bytes()
    assert plant.tokens_in(data) == []
    assert b"Exif" not in data and b"http://ns.adobe.com" not in data
    assert b"ICC_PROFILE" not in data and b"8BIM" not in data


def test_output_reveals_nothing_when_inspected(planted, tmp_path: Path, detector) -> None:
    name, src, _ = planted
    result = process_file(src, tmp_path / "out" / "clean", detector, Options())
    assert result.metadata_found, "the planted input should have been reported as revealing"
    assert reveal.findings(Path(result.output).read_bytes()) == []


def test_gps_position_is_reported_then_removed(tmp_path: Path, detector) -> None:
    src = tmp_path / "gps.jpg"
    src.write_bytes(plant.jpeg_with_everything(PIXELS))
    result = process_file(src, tmp_path / "gps-clean", detector, Options())
    assert any("GPS position 48.85" in item.text for item in result.metadata_found)
    out = Path(result.output).read_bytes()
    lat_rational = (48).to_bytes(4, "big") + (1).to_bytes(4, "big")
    assert b"GPS" not in out and lat_rational not in out


def test_every_output_passes_the_container_allowlist(planted, tmp_path: Path, detector) -> None:
    name, src, out_suffix = planted
    result = process_file(src, tmp_path / "clean", detector, Options())
    fmt = {".jpg": "jpeg", ".png": "png", ".webp": "webp"}[out_suffix]
    verify_file(Path(result.output), fmt, result.width, result.height)


def test_alpha_is_kept_and_opaque_under_redaction(tmp_path: Path, detector) -> None:
    from PIL import Image

    src = tmp_path / "alpha.png"
    src.write_bytes(plant.png_with_text(PIXELS, with_alpha=True))
    result = process_file(src, tmp_path / "alpha-clean", detector, Options())
    assert result.status == "ok" and result.regions
    with Image.open(result.output) as im:
        assert im.mode == "RGBA"
        alpha = np.asarray(im)[..., 3]
    with Image.open(src) as im:
        original_alpha = np.asarray(im.convert("RGBA"))[..., 3]
    assert original_alpha.min() < 255  # the input really has transparency
    r = result.regions[0]
    centre = alpha[r.y + r.h // 2, r.x + r.w // 2]
    assert centre == 255
