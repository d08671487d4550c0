"""Writing a clip: the fill drawn on the encoder's own YUV planes destroys what the photo fill
destroys, in every orientation, and the written clip shows no pixel of a planted face."""

from __future__ import annotations

import itertools
from pathlib import Path

import av
import numpy as np
import pytest
from av.video.reformatter import ColorRange
from test_video import (
    TruthDetector,
    decoded,
    face_rect,
    make_clip,
    sliding,
    use_detector,
)

from crowdveil import cli
from crowdveil.formats import video
from crowdveil.redact import FILL_COLOUR, redact, regions_mask
from crowdveil.regions import Region

BLACK = 24  # benchmarks/video.py: a pixel whose every channel is at most this counts as filled


def _regions(rng: np.random.Generator, width: int, height: int, n: int = 12) -> list[Region]:
    """Ellipses and rectangles of every parity, some over the picture's edges."""
    out = []
    for i in range(n):
        w, h = (int(v) for v in rng.integers(1, 30, size=2))
        x = int(rng.integers(-10, width - 2))
        y = int(rng.integers(-10, height - 2))
        out.append(Region(x, y, w, h, "ellipse" if i % 3 else "rect", 0.9, "test"))
    return out


def test_the_regions_mask_is_every_pixel_the_photo_fill_destroys() -> None:
    rng = np.random.default_rng(3)
    height, width = 61, 83
    picture = rng.integers(1, 256, size=(height, width, 3), dtype=np.uint8)  # no black pixel
    for _ in range(20):
        regions = _regions(rng, width, height)
        filled = (redact(picture, regions, "fill") == FILL_COLOUR).all(axis=2)
        assert np.array_equal(regions_mask(regions, height, width), filled)


def test_a_crowds_regions_drawn_at_once_are_the_pixels_drawn_one_by_one() -> None:
    """A crowd's frame has hundreds of regions: `regions_mask` draws them all at once, and
    must destroy exactly the pixels the photo fill destroys for each (regions of every size,
    odd and even, cut by every edge, a pixel wide to larger than the picture)."""
    rng = np.random.default_rng(5)
    height, width = 61, 83
    picture = rng.integers(1, 256, size=(height, width, 3), dtype=np.uint8)  # no black pixel
    for trial in range(12):
        regions = [Region(int(rng.integers(-60, width)), int(rng.integers(-60, height)),
                          int(rng.integers(1, 120 if trial % 3 == 0 else 30)),
                          int(rng.integers(1, 120 if trial % 3 == 0 else 30)),
                          "ellipse" if i % 7 else "rect", 0.9, "test")
                   for i in range(int(rng.integers(80, 300)))]
        assert len(regions) * 7000 >= height * width  # the case this test is about
        filled = (redact(picture, regions, "fill") == FILL_COLOUR).all(axis=2)
        assert np.array_equal(regions_mask(regions, height, width), filled), trial


def _yuv_frame(rng: np.random.Generator, width: int, height: int) -> tuple[av.VideoFrame, list]:
    frame = av.VideoFrame(width, height, "yuv420p")
    planes = [rng.integers(20, 236, size=(p.height, p.width), dtype=np.uint8)
              for p in frame.planes]
    for plane, values in zip(frame.planes, planes, strict=True):
        rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
        rows[:, : plane.width] = values
    return frame, planes


def _upright(pixels: np.ndarray, orientation: video.Orientation) -> np.ndarray:
    """The Orientation's definition: swap rows and columns, then flip rows, then columns."""
    swap, flip_rows, flip_cols = orientation
    if swap:
        pixels = np.transpose(pixels)
    if flip_rows:
        pixels = np.flipud(pixels)
    if flip_cols:
        pixels = np.fliplr(pixels)
    return pixels


@pytest.mark.parametrize("orientation", list(itertools.product([False, True], repeat=3)))
def test_the_fill_blackens_the_regions_on_the_yuv_planes_in_every_orientation(
    orientation: video.Orientation,
) -> None:
    """Luma black on every pixel of the regions, colour neutral on every 2 x 2 block that holds
    one of them (no face's hue left at its edge), every other sample the input's, exactly."""
    rng = np.random.default_rng(7)
    width, height = 48, 34  # not square, so a missed swap shows
    frame, (y, u, v) = _yuv_frame(rng, width, height)
    w, h = (height, width) if orientation[0] else (width, height)
    regions = _regions(rng, w, h, n=4)
    out = video.redacted_frame(frame, orientation, regions)
    assert (out.width, out.height, out.format.name) == (w, h, "yuv420p")
    flat = out.to_ndarray().ravel()  # the three planes one after the other
    got_y = flat[: h * w].reshape(h, w)
    got_u = flat[h * w : h * w * 5 // 4].reshape(h // 2, w // 2)
    got_v = flat[h * w * 5 // 4 :].reshape(h // 2, w // 2)
    mask = regions_mask(regions, h, w)
    blocks = mask.reshape(h // 2, 2, w // 2, 2).any(axis=(1, 3))
    assert mask.any() and not mask.all()
    want_y = _upright(y, orientation).copy()
    want_y[mask] = 16
    want_u, want_v = _upright(u, orientation).copy(), _upright(v, orientation).copy()
    want_u[blocks] = want_v[blocks] = 128
    assert np.array_equal(got_y, want_y)
    assert np.array_equal(got_u, want_u)
    assert np.array_equal(got_v, want_v)
    # what a player shows there: black
    assert out.to_ndarray(format="rgb24")[mask].max() <= 1


@pytest.mark.parametrize("kind", ["yuv444p", "yuvj420p", "yuv420p full range"])
def test_a_frame_in_another_format_or_range_is_converted_once_and_filled(kind: str) -> None:
    """Shown as it was (its levels kept, not stretched), in the encoder's yuv420p."""
    width, height = 40, 30
    rgb = np.full((height, width, 3), 200, dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(
        format=kind.split()[0], dst_color_range=ColorRange.JPEG if "full" in kind else None)
    assert abs(int(frame.to_ndarray(format="rgb24")[0, 0].mean()) - 200) <= 2
    region = Region(10, 8, 12, 14, "ellipse", 0.9, "test")
    out = video.redacted_frame(frame, video.UPRIGHT, [region])
    assert (out.width, out.height, out.format.name) == (width, height, "yuv420p")
    shown = out.to_ndarray(format="rgb24")
    mask = regions_mask([region], height, width)
    assert shown[mask].max() <= 1
    assert abs(int(shown[0, 0].mean()) - 200) <= 2


# What phones write: an iPhone records HDR video as 10-bit HEVC tagged BT.2020 / HLG
PHONE_HEVC = ("libx265", {"x265-params": "log-level=error:colorprim=bt2020:"
                                         "transfer=arib-std-b67:colormatrix=bt2020nc"})


@pytest.mark.parametrize(("pix_fmt", "codec"), [
    ("yuv420p", None), ("yuv444p", None), ("yuvj420p", None), ("yuv420p10le", PHONE_HEVC),
], ids=["yuv420p", "yuv444p", "yuvj420p", "hevc-10bit-hlg"])
def test_no_pixel_of_the_face_box_shows_in_any_written_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pix_fmt: str,
    codec: tuple[str, dict] | None,
) -> None:
    """Every pixel of the planted face's box decodes black in every frame, including the
    frames the detector misses, whatever the input's pixel format and codec; the size is kept."""
    name, options = codec or ("libx264", None)
    clip = make_clip(tmp_path / "walk.mp4", n=40, pix_fmt=pix_fmt, codec=name,
                     codec_options=options)
    with av.open(str(clip)) as c:
        assert c.streams.video[0].codec_context.pix_fmt == pix_fmt  # the input this case is about
    use_detector(monkeypatch, TruthDetector(sliding, miss=lambda t: t % 4 == 1))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    before, after = decoded(clip), decoded(tmp_path / "out" / "walk.mp4")
    assert len(after) == len(before) == 40
    for t, (src, out) in enumerate(zip(before, after, strict=True)):
        assert out.shape == src.shape
        rect = face_rect(t, sliding)
        assert rect is not None
        x, y, w, h = rect
        assert src[y : y + h, x : x + w].mean() > 60, "the planted face must be there"
        worst = int(out[y : y + h, x : x + w].max())
        assert worst <= BLACK, f"a face pixel shows in frame {t} ({worst})"
        # far from the face the picture is the input's
        assert np.abs(out[:, -20:].astype(int) - src[:, -20:]).mean() < 3
    if codec is PHONE_HEVC:  # said as the input said it: players that show HLG still do
        with av.open(str(tmp_path / "out" / "walk.mp4")) as c:
            cc = c.streams.video[0].codec_context
            assert (cc.colorspace, cc.color_primaries, cc.color_trc) == (9, 9, 18)


@pytest.mark.parametrize(("pix_fmt", "codec"), [("yuv420p", None),
                                                 ("yuv420p10le", PHONE_HEVC)],
                         ids=["h264", "hevc-10bit-hlg"])
def test_a_mosaic_clip_is_still_written_from_rgb(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pix_fmt: str,
    codec: tuple[str, dict] | None,
) -> None:
    """The face is a mosaic in every frame, and the rest keeps its colours: through RGB and
    back, a phone's 10-bit BT.2020 clip too."""
    name, options = codec or ("libx264", None)
    clip = make_clip(tmp_path / "walk.mp4", n=12, pix_fmt=pix_fmt, codec=name,
                     codec_options=options)
    use_detector(monkeypatch, TruthDetector(sliding))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q",
                     "--method", "mosaic"]) == 0
    before, after = decoded(clip), decoded(tmp_path / "out" / "walk.mp4")
    assert len(after) == len(before)
    for t, (src, out) in enumerate(zip(before, after, strict=True)):
        rect = face_rect(t, sliding)
        assert rect is not None
        x, y, w, h = rect
        face, hidden = src[y : y + h, x : x + w], out[y : y + h, x : x + w]
        assert hidden.max() > BLACK  # a mosaic, not a fill
        assert np.abs(hidden.astype(int) - face).mean() > 15
        assert np.abs(out[:, -20:].astype(int) - src[:, -20:]).mean() < 3
