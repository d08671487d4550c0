"""Transparency hides nothing: what cannot be seen in a photo is not in its clean copy either.

A name tag "erased" by setting its alpha to 0 still has its colour under the alpha, and any
viewer's `convert('RGB')` shows it. Every picture with alpha goes through the real pipeline
(`process_file`, stub detector) and the colour under its fully transparent pixels must come out
as zero (or, after lossy WebP, carry none of the planted text). A face inside a redaction must
be destroyed in every channel, alpha included.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

from crowdveil.detect import Detection
from crowdveil.pipeline import FileResult, Options, process_file
from crowdveil.redact import FILL_COLOUR, hidden_colour_count, region_mask, scrub_hidden_colour
from crowdveil.write_clean import encode
from tests import plant

W, H = 160, 120
TAG = (slice(40, 80), slice(10, 150))  # rows, columns of the erased name tag
SECRET = "JANE DOE 555-0143"


class StubDetector:
    """Finds the given boxes (or none) in every picture."""

    name = "stub"

    def __init__(self, boxes: list[tuple[float, float, float, float]] | None = None) -> None:
        self.boxes = boxes or []

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        return [Detection(x, y, w, h, 0.9, self.name) for x, y, w, h in self.boxes]


def _text_mask() -> np.ndarray:
    """Where the secret's letters are, drawn large enough to survive lossy coding."""
    im = Image.new("L", (W, H), 0)
    ImageDraw.Draw(im).text((14, 48), SECRET, fill=255, font_size=14)
    return np.asarray(im) > 127


TEXT = _text_mask()


def tagged_rgba() -> np.ndarray:
    """A visible gradient with an erased name tag: white letters on red, at alpha 0."""
    yy, xx = np.mgrid[0:H, 0:W]
    rgba = np.zeros((H, W, 4), np.uint8)
    rgba[..., 0] = 40 + xx // 2
    rgba[..., 1] = 60 + yy // 2
    rgba[..., 2] = 90
    rgba[..., 3] = 255
    rgba[TAG] = (120, 20, 30, 0)
    rgba[TEXT] = (255, 255, 255, 0)
    assert TEXT[TAG].sum() > 300, "the planted text must lie in the tag"
    assert not TEXT[rgba[..., 3] == 255].any()
    return rgba


def _saved(im: Image.Image, fmt: str, **kw: object) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


def _png16(rgba16: np.ndarray, colour_type: int) -> bytes:
    """A 16-bit PNG written by hand (Pillow writes RGBA at 8 bits only)."""
    h, w, _ = rgba16.shape
    raw = b"".join(b"\0" + rgba16[y].astype(">u2").tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n"
            + plant.png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 16, colour_type, 0, 0, 0))
            + plant.png_chunk(b"IDAT", zlib.compress(raw))
            + plant.png_chunk(b"IEND", b""))


def _palette_png(rgba: np.ndarray) -> bytes:
    """Palette PNG whose transparent entries still hold the tag's colours (tRNS per entry)."""
    index = np.zeros((H, W), np.uint8)  # 0: transparent red, 1: transparent white, 2+: visible
    index[TEXT] = 1
    visible = rgba[..., 3] == 255
    grey = rgba[..., 1] // 16
    index[visible] = 2 + grey[visible]
    palette = [120, 20, 30, 255, 255, 255] + [v for g in range(16) for v in (g * 16,) * 3]
    im = Image.fromarray(index, "P")
    im.putpalette(palette)
    return _saved(im, "PNG", transparency=bytes([0, 0] + [255] * 16))


def _tiff16(rgba: np.ndarray) -> bytes:
    tifffile = pytest.importorskip("tifffile")
    buf = io.BytesIO()
    tifffile.imwrite(buf, rgba.astype(np.uint16) * 257, photometric="rgb",
                     extrasamples=["unassalpha"])
    return buf.getvalue()


def _heic(rgba: np.ndarray) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return _saved(Image.fromarray(rgba, "RGBA"), "HEIF", quality=-1)


# name -> (file name, builder); every one of them decodes to RGBA with the tag at alpha 0
LOSSLESS_OUTPUTS: dict[str, tuple[str, Callable[[np.ndarray], bytes]]] = {
    "png": ("tag.png", lambda a: _saved(Image.fromarray(a, "RGBA"), "PNG")),
    "png_16bit": ("tag.png", lambda a: _png16(a.astype(np.uint16) * 257, 6)),
    "png_grey_alpha": ("tag.png", lambda a: _saved(Image.fromarray(a[..., [0, 3]], "LA"), "PNG")),
    "png_palette_trns": ("tag.png", _palette_png),
    "tiff": ("tag.tif", lambda a: _saved(Image.fromarray(a, "RGBA"), "TIFF")),
    "tiff_16bit": ("tag.tif", _tiff16),
    "heic": ("tag.heic", _heic),
}
WEBP_INPUTS: dict[str, dict] = {
    # exact: keep the colour under alpha 0 in the input, as an image editor may
    "webp_lossless": {"lossless": True, "exact": True},
    "webp_lossy": {"quality": 95, "exact": True},
}


def _run(tmp_path: Path, name: str, data: bytes, detector: StubDetector | None = None,
         options: Options | None = None) -> tuple[FileResult, np.ndarray]:
    tmp_path.mkdir(exist_ok=True)
    src = tmp_path / name
    src.write_bytes(data)
    result = process_file(src, tmp_path / "clean", detector or StubDetector(),
                          options or Options())
    assert result.status == "ok", result.error
    with Image.open(result.output) as im:
        assert im.mode == "RGBA", "the output must keep the transparency"
        return result, np.asarray(im).copy()


def _planted_text_shows(rgb: np.ndarray) -> float:
    """How far the letters stand out from the tag around them, in levels of the channels' mean
    (about 200 where the tag is untouched)."""
    tag = np.zeros((H, W), bool)
    tag[TAG] = True
    grey = rgb.astype(np.float64).mean(axis=2)
    return float(grey[TEXT & tag].mean() - grey[tag & ~TEXT].mean())


@pytest.mark.parametrize("kind", sorted(LOSSLESS_OUTPUTS))
def test_colour_under_fully_transparent_pixels_is_zero_in_the_output(
        kind: str, tmp_path: Path) -> None:
    name, build = LOSSLESS_OUTPUTS[kind]
    rgba = tagged_rgba()
    data = build(rgba)
    with Image.open(io.BytesIO(data)) as im:  # the input really hides the secret
        assert _planted_text_shows(np.asarray(im.convert("RGBA"))[..., :3]) > 100
    _, out = _run(tmp_path, name, data)
    hidden = out[..., 3] == 0
    assert hidden[TAG].all(), "the tag must still be transparent"
    assert not out[..., :3][hidden].any(), "colour survives under alpha 0"
    assert _planted_text_shows(out[..., :3]) == 0


@pytest.mark.parametrize("mode", ["L", "RGB"])
def test_colour_keyed_png_stays_transparent_where_its_key_is(mode: str, tmp_path: Path) -> None:
    # tRNS naming one grey or colour as transparent: dropping it would show what was unseen
    rgb = tagged_rgba()[..., :3].copy()
    rgb[TAG] = 7
    im = Image.fromarray(rgb, "RGB").convert(mode)
    key = 7 if mode == "L" else (7, 7, 7)
    _, out = _run(tmp_path, "key.png", _saved(im, "PNG", transparency=key))
    keyed = np.zeros((H, W), bool)
    keyed[TAG] = True
    assert (out[..., 3][keyed] == 0).all() and not out[..., :3][keyed].any()
    assert (out[..., 3][~keyed] == 255).all()


@pytest.mark.parametrize("kind", sorted(WEBP_INPUTS))
def test_webp_output_carries_none_of_the_text_hidden_under_transparency(
        kind: str, tmp_path: Path) -> None:
    rgba = tagged_rgba()
    data = _saved(Image.fromarray(rgba, "RGBA"), "WEBP", **WEBP_INPUTS[kind])
    with Image.open(io.BytesIO(data)) as im:
        assert _planted_text_shows(np.asarray(im.convert("RGB"))) > 100
    result, out = _run(tmp_path / "tag", "tag.webp", data)
    assert result.output.endswith(".webp")
    assert (out[..., 3][TAG] == 0).all()
    # Lossy coding smears the visible neighbours into the tag, so the colour there is not 0;
    # it must be what the same picture with nothing under its tag gives.
    blank = rgba.copy()
    blank[TAG] = 0
    control = _saved(Image.fromarray(blank, "RGBA"), "WEBP", **WEBP_INPUTS[kind])
    _, expected = _run(tmp_path / "blank", "blank.webp", control)
    under = np.abs(out[TAG].astype(int) - expected[TAG].astype(int))
    assert under.mean() < 1, "the hidden tag changes the output"
    shows = _planted_text_shows(out[..., :3]) - _planted_text_shows(expected[..., :3])
    assert abs(shows) < 1, "the letters stand out from the tag"


def test_colour_under_nearly_transparent_pixels_keeps_only_what_shows(tmp_path: Path) -> None:
    # An eraser's soft edge leaves alpha 1 or 2 over full colour: over any background that
    # colour shows as at most a level or two, so that is all the output may keep of it.
    rgba = tagged_rgba()
    rgba[TAG + (3,)] = 1
    rng = np.random.default_rng(5)
    rgba[TAG + (slice(0, 3),)] = rng.integers(0, 256, rgba[TAG + (slice(0, 3),)].shape)
    _, out = _run(tmp_path, "faint.png", _saved(Image.fromarray(rgba, "RGBA"), "PNG"))
    faint = out[TAG]
    assert (faint[..., 3] == 1).all()
    # premultiplied by alpha 1 a colour is 0 or 1: unpremultiplied, 0 or 255
    assert set(np.unique(faint[..., :3])) <= {0, 255}
    shown_before = np.rint(rgba[TAG][..., :3] / 255.0)
    assert (faint[..., :3] / 255 == shown_before).all()


def test_opaque_and_half_transparent_pixels_keep_their_colour_to_within_a_level() -> None:
    rng = np.random.default_rng(2)
    rgba = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    rgba[:32, ..., 3] = 255
    out = scrub_hidden_colour(rgba)
    assert (out[:32] == rgba[:32]).all()
    half = rgba[..., 3] >= 128
    assert np.abs(out[half].astype(int) - rgba[half].astype(int)).max() <= 1
    # and what shows over black (the premultiplied colour) does not change at all
    a = rgba[..., 3:].astype(int)
    assert ((out[..., :3] * a + 127) // 255 == (rgba[..., :3] * a + 127) // 255).all()


@pytest.mark.parametrize("translucent_share", [0.1, 0.9])
def test_mostly_opaque_and_mostly_translucent_pictures_are_scrubbed_alike(
        translucent_share: float) -> None:
    # two code paths (look up only the translucent pixels, or all of them): one result
    rng = np.random.default_rng(4)
    rgba = rng.integers(0, 256, (50, 40, 4), dtype=np.uint8)
    rgba[: round(50 * (1 - translucent_share)), :, 3] = 255
    out = scrub_hidden_colour(rgba)
    a = rgba[..., 3:].astype(int)
    expected = np.where(a > 0, (((rgba[..., :3] * a + 127) // 255) * 255 + a // 2)
                        // np.maximum(a, 1), 0)
    assert (out[..., :3] == expected).all() and (out[..., 3] == rgba[..., 3]).all()


@pytest.mark.parametrize("fmt", ["png", "webp"])
def test_encode_writes_the_same_bytes_whatever_hides_under_alpha_0(fmt: str) -> None:
    # encode is the one step every output passes through, so it keeps the promise by itself
    rgba = tagged_rgba()
    blank = rgba.copy()
    blank[rgba[..., 3] == 0] = 0
    assert encode(rgba, fmt) == encode(blank, fmt)


def test_hidden_colour_count_finds_colour_under_alpha_0_only() -> None:
    rgba = tagged_rgba()
    assert hidden_colour_count(rgba) == int((rgba[..., 3] == 0).sum())
    assert hidden_colour_count(scrub_hidden_colour(rgba)) == 0
    with Image.open(io.BytesIO(encode(rgba, "png"))) as im:
        assert hidden_colour_count(np.asarray(im)) == 0
    assert hidden_colour_count(rgba[..., :3]) == 0


def test_the_detector_sees_only_what_shows(tmp_path: Path) -> None:
    # a face hidden under alpha 0 must not be found: its opaque redaction would show where it was
    seen: list[np.ndarray] = []

    class Recording(StubDetector):
        def detect(self, rgb: np.ndarray) -> list[Detection]:
            seen.append(rgb.copy())
            return []

    _run(tmp_path, "tag.png", _saved(Image.fromarray(tagged_rgba(), "RGBA"), "PNG"), Recording())
    assert len(seen) == 1 and not seen[0][TAG].any()


FACE = plant.face_image(256)


def _half_transparent_face() -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """The test face behind alpha that itself draws the face's silhouette (0 to 200)."""
    x, y, w, h = plant.face_box(256)
    grey = FACE.astype(np.float64).mean(axis=2)
    alpha = np.full(FACE.shape[:2], 255, np.uint8)
    alpha[y : y + h, x : x + w] = (grey[y : y + h, x : x + w] / 255 * 200).astype(np.uint8)
    return np.dstack([FACE, alpha]), (x, y, w, h)


@pytest.mark.parametrize("method", ["fill", "mosaic", "blur"])
def test_partly_transparent_face_is_destroyed_in_every_channel(
        method: str, tmp_path: Path) -> None:
    rgba, box = _half_transparent_face()
    x, y, w, h = box
    silhouette = rgba[y : y + h, x : x + w, 3].ravel()
    assert np.corrcoef(silhouette, FACE[y : y + h, x : x + w].mean(axis=2).ravel())[0, 1] > 0.9
    result, out = _run(tmp_path, "face.png", _saved(Image.fromarray(rgba, "RGBA"), "PNG"),
                       StubDetector([box]), Options(method=method))
    assert result.regions
    mask = region_mask(result.regions[0], *out.shape[:2])
    inside = out[mask]
    # opaque: a silhouette drawn in alpha would show the face as well as its colours do
    assert (inside[:, 3] == 255).all()
    if method == "fill":
        assert (inside[:, :3] == FILL_COLOUR).all()
        return
    for c in range(3):
        before = FACE[..., c].astype(np.float64)
        after = out[..., c].astype(np.float64)
        detail = [a[1:-1, 1:-1] * 4 - a[:-2, 1:-1] - a[2:, 1:-1] - a[1:-1, :-2] - a[1:-1, 2:]
                  for a in (before, after)]
        core = mask[1:-1, 1:-1]
        assert abs(np.corrcoef(detail[0][core], detail[1][core])[0, 1]) < 0.1, f"channel {c}"
