"""Videos on the command line: every face destroyed in every frame, nothing else kept.

Clips are generated here with PyAV (small: 160x120, a few dozen frames); the detector is a
fake that knows where the planted face is, so the tests measure what the video path does with
detections (tracking, holding, writing), not the model.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import SimpleNamespace

import av
import numpy as np
import pytest
from plant import encode_clip, face_box, face_image

from crowdveil import batch, cli
from crowdveil.detect import DetectorSettings
from crowdveil.detect.base import Detection
from crowdveil.formats import tracking, video
from crowdveil.pipeline import Options
from crowdveil.pool import WorkerPool
from crowdveil.redact import regions_mask
from crowdveil.regions import SURE_SCORE

W, H = 160, 120
FACE = 64  # the astronaut picture pasted at this size; her face is face_box(FACE) inside it

Place = Callable[[int], tuple[int, int] | None]  # frame -> top-left of the pasted picture


def sliding(t: int) -> tuple[int, int]:
    """Left to right across the frame, 1.5 px a frame (a walk past a phone)."""
    return int(round(t * 1.5)), 30


def still(t: int) -> tuple[int, int]:
    return 48, 28


def scene(t: int, place: Place | None, w: int = W, h: int = H) -> np.ndarray:
    yy, xx = np.mgrid[0:h, 0:w]
    frame = np.stack([(xx * 255 // w), (yy * 255 // h), np.full_like(xx, 120)], -1).astype(
        np.uint8)
    pos = place(t) if place else None
    if pos is not None:
        x, y = pos
        patch = face_image(FACE)[: h - y, : w - x]
        frame[y : y + patch.shape[0], x : x + patch.shape[1]] = patch
    return frame


def face_rect(t: int, place: Place) -> tuple[int, int, int, int] | None:
    pos = place(t)
    if pos is None:
        return None
    fx, fy, fw, fh = face_box(FACE)
    return pos[0] + fx, pos[1] + fy, fw, fh


def make_clip(
    path: Path, n: int = 64, place: Place | None = sliding, *, size: tuple[int, int] = (W, H),
    rate: Fraction = Fraction(30), audio: bool = False, metadata: dict | None = None,
    rotation: int | None = None, options: dict | None = None, pix_fmt: str = "yuv420p",
    codec: str = "libx264", codec_options: dict | None = None,
) -> Path:
    w, h = size
    with av.open(str(path), "w", options=options or {}) as c:
        if metadata:
            c.metadata.update(metadata)
        s = c.add_stream(codec, rate=rate, options=codec_options or {})
        s.width, s.height, s.pix_fmt = w, h, pix_fmt
        if rotation is not None:
            s.set_display_rotation(rotation)
        if metadata:
            s.metadata.update({"creation_time": "2019-07-14T13:37:42Z"})
        a = c.add_stream("aac", rate=44100) if audio else None
        for t in range(n):
            frame = av.VideoFrame.from_ndarray(scene(t, place, w, h), format="rgb24")
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
        if a is not None:
            a.metadata.update({"title": "CVVOICETRACK22"})
            samples = int(44100 * n / float(rate))
            tone = np.sin(np.arange(samples) / 10.0).astype(np.float32)[None, :]
            for start in range(0, samples, 1024):
                af = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[:, start:start + 1024]),
                                                format="fltp", layout="mono")
                af.sample_rate = 44100
                for p in a.encode(af):
                    c.mux(p)
            for p in a.encode():
                c.mux(p)
    return path


class TruthDetector:
    """Finds the planted face where it was put, except in the frames `miss` names.

    The video path calls `detect` once per frame, in order, so the call count is the frame.
    """

    name = "truth"

    def __init__(self, place: Place | None = sliding,
                 miss: Callable[[int], bool] = lambda t: False) -> None:
        self.place, self.miss, self.t = place, miss, 0

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        t, self.t = self.t, self.t + 1
        box = face_rect(t, self.place) if self.place else None
        if box is None or self.miss(t):
            return []
        return [Detection(*box, 0.9, "truth")]


def use_detector(monkeypatch: pytest.MonkeyPatch, detector: object) -> None:
    """The CLI as users run it, minus worker processes and the model (speed only)."""
    monkeypatch.setattr(cli, "run", functools.partial(
        batch.run, isolate=False, make_detector=lambda settings: detector))
    # the CLI tries the model once to choose CPU or GPU: no model here, so it is the CPU
    monkeypatch.setattr(cli, "resolve_device", lambda settings: SimpleNamespace(
        settings=settings, device="cpu", precision="fp32", notes=()), raising=False)


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="rgb24") for f in c.decode(video=0)]


def face_brightness(frame: np.ndarray, rect: tuple[int, int, int, int]) -> float:
    x, y, w, h = rect
    return float(frame[y : y + h, x : x + w].mean())


# -- every face, every frame -----------------------------------------------------------------


def test_face_destroyed_in_every_frame_though_the_detector_misses_every_third(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    clip = make_clip(tmp_path / "walk.mp4")
    use_detector(monkeypatch, TruthDetector(sliding, miss=lambda t: t % 3 == 2))
    assert cli.main([str(clip), "-o", str(tmp_path / "out")]) == 0
    summary = capsys.readouterr().err.splitlines()[-1]
    assert " 0 face regions" not in summary and "face regions" in summary  # counted per frame
    before, after = decoded(clip), decoded(tmp_path / "out" / "walk.mp4")
    assert len(after) == len(before) == 64
    for t, (src, out) in enumerate(zip(before, after, strict=True)):
        rect = face_rect(t, sliding)
        assert rect is not None
        assert face_brightness(src, rect) > 60, "the planted face must be there to destroy"
        assert face_brightness(out, rect) < 12, f"face shows in frame {t}"


def test_lost_face_stays_destroyed_for_half_a_second_both_ways(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Seen only in frames 20-40: still hidden in 5-19 and 41-55 (0.5 s at 30 fps). The face
    keeps still, so it is carried STILL_CARRY_S at its place (2 s), and no longer."""
    end = 40 + math.ceil(tracking.STILL_CARRY_S * 30)
    clip = make_clip(tmp_path / "turn.mp4", n=end + 12, place=still)
    use_detector(monkeypatch, TruthDetector(still, miss=lambda t: not 20 <= t <= 40))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    after = decoded(tmp_path / "out" / "turn.mp4")
    rect = face_rect(0, still)
    assert rect is not None
    for t in range(5, 56):
        assert face_brightness(after[t], rect) < 12, f"face shows in frame {t}"
    assert face_brightness(after[end - 1], rect) < 12
    assert face_brightness(after[end + 6], rect) > 60  # the carry is bounded, not the whole clip


def test_tracker_follows_a_moving_face_across_a_gap() -> None:
    """Seen at frames 0 and 10 only, 5 px a frame: the frames between cover the path."""
    dets: list[list[Detection]] = [[] for _ in range(11)]
    dets[0] = [Detection(10, 40, 20, 20, 0.9, "t")]
    dets[10] = [Detection(60, 40, 20, 20, 0.9, "t")]
    regions, faces = tracking.track(dets, 160, 120, 30.0)
    assert faces == 1
    for t in range(11):
        cx = 20 + 5 * t
        assert any(r.x <= cx - 10 and r.x + r.w >= cx + 10 for r in regions[t]), t


def test_a_face_boxed_off_centre_is_destroyed_whole_in_every_frame() -> None:
    """Detectors often box a face a little off it (a fifth of its width here, to the right):
    a clip shows the face in every frame, so the region must still take every pixel of it.
    Fails with the photo's head ellipse alone (REGION_GROW 1.0): the face's left corners show."""
    face = (60, 40, 30, 30)  # x, y, w, h of the true face
    dets = [[Detection(face[0] + 6, face[1], face[2], face[3], 0.9, "t")] for _ in range(10)]
    regions, _ = tracking.track(dets, 160, 120, 30.0)
    x, y, w, h = face
    for t, frame_regions in enumerate(regions):
        mask = regions_mask(frame_regions, 120, 160)
        assert mask[y : y + h, x : x + w].all(), f"part of the face shows in frame {t}"


@pytest.mark.parametrize("walk", [0.0, 4.0], ids=["b_still", "b_walks_on"])
def test_a_face_lost_where_another_is_found_nearby_is_still_held(walk: float) -> None:
    """Face A is seen in frames 0-10 and then lost (it is still there); face B turns up 25 px
    to its right at frame 13 and the tracker joins B to A's track by distance. A must stay
    hidden for the whole hold after its last sighting, not only until B is seen, and where A
    was last seen, not following B when B walks on (`walk` px a frame: the track's end)."""
    a = (20.0, 40.0, 20.0, 20.0)
    n = 30
    dets: list[list[Detection]] = [[] for _ in range(n)]
    for t in range(11):
        dets[t].append(Detection(*a, 0.9, "t"))
    for t in range(13, n):
        dets[t].append(Detection(45.0 + walk * (t - 13), 40.0, 20.0, 20.0, 0.9, "t"))
    regions, faces = tracking.track(dets, 160, 120, 30.0)
    assert faces == 1  # the join this test is about
    hold = math.ceil(tracking.HOLD_S * 30)
    x, y, w, h = (int(v) for v in a)
    for t in range(11, 11 + hold):
        mask = regions_mask(regions[t], 120, 160)
        assert mask[y : y + h, x : x + w].all(), f"face A shows in frame {t}"


def test_an_unsure_face_lost_where_another_is_found_is_held_until_then() -> None:
    """An unsure face A (faint, as a masked face under sunglasses scores) is found by the full
    searches of frames 0-18, then by none (it is still there); eight frames on, a full search
    finds B 25 px to its right and the tracker joins B to A's track by distance. Nothing seen
    between says A left: it stays hidden where it was until B's sighting, not only for an
    unsure face's short hold (the benchmark's 1080p seed 4 clip showed such a face, leaving
    over the top edge, in the five frames before the join)."""
    a = (20.0, 40.0, 20.0, 20.0)
    every, n, b_at = 6, 40, 26
    searched = [t % every == 0 or t == b_at for t in range(n)]
    dets: list[list[Detection]] = [[] for _ in range(n)]
    for t in (0, 6, 12, 18):
        dets[t].append(Detection(*a, 0.2, "t"))
    for t in range(b_at, n, every):
        dets[t].append(Detection(45.0, 40.0, 20.0, 20.0, 0.2, "t"))
    assert 0.2 < SURE_SCORE  # the case this test is about: an unsure track's short hold
    regions, faces = tracking.track(dets, 160, 120, 30.0, searched=searched)
    assert faces == 1  # the join this test is about
    x, y, w, h = (int(v) for v in a)
    for t in range(18, b_at):
        mask = regions_mask(regions[t], 120, 160)
        assert mask[y : y + h, x : x + w].all(), f"face A shows in frame {t}"


def test_a_face_coming_in_over_the_edge_is_hidden_where_it_keeps_still() -> None:
    """The camera pans up, bringing a still face in over the top of the frame. While it is
    cut by the edge the detector boxes it half a face to one side (as on the benchmark's
    1080p seed 5 clip); once it is whole, the whole face. Judged on the cut boxes too, the
    face seemed to move, and the frames before its first sighting showed its right side."""
    n, x, size, height = 40, 60.0, 30.0, 120
    speed = 3.0  # px a frame: the face moves down in the frame as the camera pans up

    def top(t: int) -> float:
        return -27.0 + speed * t

    camera = [np.array([[1.0, 0.0, 0.0], [0.0, 1.0, -speed * t]]) for t in range(n)]
    dets: list[list[Detection]] = [[] for _ in range(n)]
    for t in range(5, n):  # frames 0-4: 3-15 px of it inside the frame, not found
        y0 = top(t)
        if y0 < 0:  # cut by the top edge: the part inside the frame, off to one side
            dets[t].append(Detection(x - 15, 0.0, size, y0 + size, 0.9, "t"))
        else:
            dets[t].append(Detection(x, y0, size, size, 0.9, "t"))
    regions, _ = tracking.track(dets, 160, height, 30.0, camera=camera,
                                searched=[True] * n, steady=[True] * n)
    _assert_inside_part_hidden(regions, range(5), lambda t: math.ceil(top(t) + size), x, size)


def _assert_inside_part_hidden(regions: list, frames: range, bottom: Callable[[int], float],
                               x: float, size: float, height: int = 120) -> None:
    """A face cut by the top edge of a 160 px wide frame: its rows inside (0 to `bottom(t)`)
    are destroyed in each of `frames`."""
    for t in frames:
        rows = int(bottom(t))
        if rows <= 0:
            continue
        mask = regions_mask(regions[t], height, 160)
        assert mask[0:rows, int(x) : int(x + size)].all(), f"the face shows in frame {t}"


def test_an_unsure_face_going_out_over_the_edge_is_hidden_until_it_is_gone() -> None:
    """The camera pans down and takes a faint face out over the top of the frame. Two full
    searches find it, the second when the edge already cuts it; the next ones miss it (cut
    further), although part of it is still inside for a third of a second. A search that
    misses a face cut by the edge says nothing about whether it left: the benchmark's 1080p
    clip showed such a face (416#3) in the frame of the search after its last sighting, once
    an unsure track's short hold had run out."""
    n, x, size, height, every = 40, 60.0, 30.0, 120, 6
    speed = 2.5  # px a frame: the face moves up in the frame as the camera pans down

    def top(t: int) -> float:
        return 30.0 - speed * t

    camera = [np.array([[1.0, 0.0, 0.0], [0.0, 1.0, speed * t]]) for t in range(n)]
    searched = [t % every == 0 for t in range(n)]
    dets: list[list[Detection]] = [[] for _ in range(n)]
    for t in (6, 12):  # two sightings: too few for a still face's long carry
        dets[t].append(Detection(x, max(0.0, top(t)), size, size + min(0.0, top(t)), 0.2, "t"))
    assert 0.2 < SURE_SCORE  # the case this test is about: an unsure track's short hold
    regions, _ = tracking.track(dets, 160, height, 30.0, camera=camera, searched=searched,
                                steady=[True] * n)
    gone = math.ceil((30.0 + size) / speed)  # its bottom edge leaves the frame
    assert gone - 12 > every  # part of the face is inside after the next search misses it
    _assert_inside_part_hidden(regions, range(13, gone), lambda t: math.floor(top(t) + size),
                               x, size)


def test_a_longer_hold_takes_nothing_from_the_frames_a_shorter_one_covers() -> None:
    """Holding a track longer (a face cut by the edge) must only add frames: with the growth
    spread over the whole hold, a longer hold drew smaller boxes in its first frames (a face
    in the benchmark's 1080p seed 5 clip went from 92 % hidden to 65 %)."""
    tr = tracking._Track({10: (40.0, 40.0, 70.0, 70.0), 14: (44.0, 40.0, 74.0, 70.0)}, score=0.2)
    short = dict(tracking._track_boxes(tr, 60, 5, 5))
    longer = dict(tracking._track_boxes(tr, 60, 5, 5, longer=(10, 10)))
    assert set(short) < set(longer)
    for t, box in short.items():
        got = longer[t]
        assert got[0] <= box[0] and got[1] <= box[1] and got[2] >= box[2] and got[3] >= box[3], t


def test_overlaps_computed_together_are_the_overlaps_computed_alone() -> None:
    """The tracker scores a frame's joins in one go: each overlap must be the very float a
    pair alone gives (a last-bit difference reorders joins), disjoint and empty boxes too."""
    rng = np.random.default_rng(4)
    xy = rng.uniform(0, 100, size=(500, 2, 2))
    size = rng.uniform(0, 40, size=(500, 2, 2))
    size[::17] = 0.0  # empty boxes: no overlap, not a division by zero
    a = np.concatenate([xy[:, 0], xy[:, 0] + size[:, 0]], axis=1)
    b = np.concatenate([xy[:, 1], xy[:, 1] + size[:, 1]], axis=1)
    together = tracking._ious(a, b).tolist()
    alone = [tracking._iou(tuple(p), tuple(q))
             for p, q in zip(a.tolist(), b.tolist(), strict=True)]
    assert together == alone
    assert any(v == 0.0 for v in alone) and any(v > 0.3 for v in alone)


# -- nothing else kept -----------------------------------------------------------------------

PLANTED = {
    "com.apple.quicktime.location.ISO6709": "+48.8566+002.3522+035.000/",
    "com.apple.quicktime.make": "CVMAKEACME3907",
    "com.apple.quicktime.model": "CVMODELX1005",
    "com.apple.quicktime.creationdate": "2019-07-14T13:37:42+0200",
    "title": "CVTITLE4411",
    "creation_time": "2019-07-14T13:37:42Z",
}
TOKENS = [b"48.8566", b"CVMAKEACME", b"CVMODELX", b"2019-07-14", b"CVTITLE", b"CVVOICE",
          b"Lavf", b"x264", b"\xa9xyz", b"ISO6709"]


def _box_times(data: bytes, box: bytes) -> list[bytes]:
    """The creation and modification fields of every `box` (mvhd, tkhd, mdhd) in `data`."""
    out, at = [], data.find(box)
    while at >= 0:
        wide = data[at + 4] == 1
        out.append(data[at + 8 : at + (24 if wide else 16)])
        at = data.find(box, at + 4)
    return out


@pytest.mark.parametrize("name,options", [
    ("phone.mov", {"movflags": "use_metadata_tags"}),  # Apple's Keys atoms
    ("phone.mp4", {}),  # classic user data: ©xyz and friends
])
def test_planted_metadata_and_sound_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, options: dict,
) -> None:
    clip = make_clip(tmp_path / name, n=24, audio=True, metadata={
        **PLANTED, "location": "+48.8566+002.3522/"}, options=options)
    assert video.findings(clip), "the input must carry what the test says is removed"
    kinds = {f.kind for f in video.findings(clip)}
    assert {"gps", "date", "audio"} <= kinds
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    out = tmp_path / "out" / "phone.mp4"
    data = out.read_bytes()
    assert [t for t in TOKENS if t in data] == []
    with av.open(str(out)) as c:
        assert [s.type for s in c.streams] == ["video"]  # the sound is removed by default
        assert set(c.metadata) <= {"major_brand", "minor_version", "compatible_brands"}
        assert set(c.streams.video[0].metadata) <= {"language", "handler_name", "vendor_id"}
    for box in (b"mvhd", b"tkhd", b"mdhd"):
        times = _box_times(data, box)
        assert times and all(not any(t) for t in times), box
    assert video.findings(out) == []


def test_keep_audio_keeps_a_sound_track_without_tags(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    clip = make_clip(tmp_path / "chant.mp4", n=30, audio=True, metadata=PLANTED)
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "--keep-audio"]) == 0
    assert "voices" in capsys.readouterr().err  # the run says what the sound can give away
    out = tmp_path / "out" / "chant.mp4"
    with av.open(str(out)) as c:
        assert sorted(s.type for s in c.streams) == ["audio", "video"]
        a = c.streams.audio[0]
        assert a.codec_context.name == "aac"
        assert set(a.metadata) <= {"language", "handler_name", "vendor_id"}
        assert a.metadata.get("handler_name", "SoundHandler") == "SoundHandler"
        assert float(a.duration * a.time_base) == pytest.approx(1.0, abs=0.1)
    assert [t for t in TOKENS if t in out.read_bytes()] == []


# -- the same clip, frame for frame ----------------------------------------------------------


@pytest.mark.parametrize("rate,name", [(Fraction(30000, 1001), "c.mp4"), (Fraction(25), "c.mp4"),
                                       (Fraction(25), "c.mkv")])
def test_frame_count_rate_duration_and_size_are_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, rate: Fraction, name: str,
) -> None:
    clip = make_clip(tmp_path / name, n=50, rate=rate, size=(176, 96))
    use_detector(monkeypatch, TruthDetector(None))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0

    def facts(path: Path) -> tuple:
        with av.open(str(path)) as c:
            v = c.streams.video[0]
            count, last = 0, None
            for last in c.decode(v):  # noqa: B007
                count += 1
            assert last is not None
            end = float((last.pts + last.duration) * last.time_base)  # the clip's length
            return (v.codec_context.width, v.codec_context.height, count, v.average_rate,
                    round(end, 3), v.codec_context.name, v.codec_context.pix_fmt)

    before, after = facts(clip), facts(tmp_path / "out" / "c.mp4")
    assert after == before
    assert after[:4] == (176, 96, 50, rate)


def test_portrait_clip_comes_out_upright(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Stored landscape with a 90 degree clockwise display matrix, as phones film portrait."""

    def marked(t: int) -> None:
        return None

    clip = make_clip(tmp_path / "tall.mp4", n=10, place=marked, rotation=-90)
    with av.open(str(clip)) as c:  # the marker corner: stored top-left
        stored = next(c.decode(video=0))
        assert stored.rotation == -90 and (stored.width, stored.height) == (W, H)
    use_detector(monkeypatch, TruthDetector(None))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    with av.open(str(tmp_path / "out" / "tall.mp4")) as c:
        frame = next(c.decode(video=0))
        assert frame.rotation == 0  # upright pixels, no flag left for players to apply
        rgb = frame.to_ndarray(format="rgb24")
    assert rgb.shape[:2] == (W, H)  # 120 wide, 160 tall
    # the gradient's red rises to the right in the stored frame: after a clockwise turn it
    # rises downwards, and green (stored downwards) now falls to the right
    assert rgb[-5, 60, 0] > rgb[5, 60, 0] + 100
    assert rgb[60, 5, 1] > rgb[60, -5, 1] + 100


# -- damaged clips and interruptions ---------------------------------------------------------


def test_damaged_clips_give_one_error_each_and_the_batch_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    good = make_clip(src / "good.mp4", n=12, place=None)
    whole = good.read_bytes()
    (src / "cut.mp4").write_bytes(whole[: len(whole) // 2])  # moov at the end: gone
    front = make_clip(tmp_path / "front.mp4", n=40, place=None,
                      options={"movflags": "faststart"}).read_bytes()
    (src / "cutfront.mp4").write_bytes(front[: len(front) * 2 // 3])  # frames missing
    (src / "noise.mov").write_bytes(b"\x00\x00\x00\x18ftypqt  " + bytes(range(256)) * 8)
    # 4:2:0 H.264 cannot hold an odd side; 4:4:4 (some cameras, screen recorders) can
    make_clip(src / "odd.mp4", n=4, place=None, size=(161, 121), pix_fmt="yuv444p")
    use_detector(monkeypatch, TruthDetector(None))
    code = cli.main([str(src), "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code != 0
    out = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert out == ["good.mp4"]
    for name in ("cut.mp4", "cutfront.mp4", "noise.mov", "odd.mp4"):
        lines = [line for line in err.splitlines() if name in line]
        assert len(lines) == 1, (name, err)
        assert "Traceback" not in err


def test_the_pixel_limit_holds_for_every_frame(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=4, place=None)  # 160 x 120 = 19,200 pixels
    use_detector(monkeypatch, TruthDetector(None))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "--max-megapixels", "0.01"]) != 0
    assert "19,200 pixels" in capsys.readouterr().err
    assert not (tmp_path / "out" / "c.mp4").exists()


def test_interrupted_write_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=30)
    calls = {"n": 0}
    real = video.redacted_frame

    def redact_then_ctrl_c(*args: object, **kwargs: object) -> av.VideoFrame:
        calls["n"] += 1
        if calls["n"] == 15:
            raise KeyboardInterrupt
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(video, "redacted_frame", redact_then_ctrl_c)
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 130
    assert calls["n"] == 15  # stopped half-way through writing
    # neither the clip nor its temporary file (the record may say nothing was written)
    assert [p.name for p in (tmp_path / "out").iterdir() if p.suffix != ".jsonl"] == []


def test_a_rerun_skips_a_clip_it_cleaned(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    clip = make_clip(tmp_path / "c.mp4", n=12)
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "--report",
                     str(tmp_path / "r.json")]) == 0
    row = json.loads((tmp_path / "r.json").read_text())["files"][0]
    assert row["status"] == "ok" and row["video"]["frames"] == 12
    first = (tmp_path / "out" / "c.mp4").read_bytes()
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "--report",
                     str(tmp_path / "r2.json")]) == 0
    row = json.loads((tmp_path / "r2.json").read_text())["files"][0]
    assert row["status"] == "skipped"
    assert (tmp_path / "out" / "c.mp4").read_bytes() == first


def test_folders_give_videos_as_inputs_and_other_clips_as_not_read(tmp_path: Path) -> None:
    for name in ("a.mp4", "b.MOV", "c.avi"):
        (tmp_path / name).write_bytes(b"x")
    planned = batch.plan([tmp_path], tmp_path / "out")
    assert sorted(j.source.name for j in planned.jobs) == ["a.mp4", "b.MOV"]
    assert [p.input.endswith("c.avi") for p in planned.problems] == [True]


def test_written_clip_with_a_user_data_box_is_refused(tmp_path: Path) -> None:
    """The audit itself: a box outside the allowlist (here udta with a title) fails it."""
    clip = make_clip(tmp_path / "c.mp4", n=4, place=None, metadata={"title": "CVTITLE4411"})
    with pytest.raises(video.VerifyError):
        video.verify_clip(clip, W, H, 4, keep_audio=False)


@dataclass(frozen=True)
class SlowClip:
    """A job that takes `seconds` (tests.test_pool.nap_work) and, as a clip's, has a weight."""

    source: Path
    seconds: float
    weight: float = 1.0


def test_a_long_clip_gets_a_time_limit_scaled_by_its_length() -> None:
    from tests.test_pool import _drain, nap_work
    from tests.test_robust_batch import stub_detector

    results: dict[int, object] = {}
    pool = WorkerPool(nap_work, stub_detector, DetectorSettings(), Options(),
                      lambda t, r: results.__setitem__(t, r), workers=2, timeout=1)
    try:
        long = pool.submit(SlowClip(Path("long.mp4"), 2.0, weight=8.0))
        stuck = pool.submit(SlowClip(Path("stuck.mp4"), 3600.0, weight=2.0))
        _drain(pool, lambda: len(results) == 2)
        assert results[long].status == "ok"  # 2 s, over the batch's 1 s, within its 8 s
        assert results[stuck].status == "error"
        assert "time limit of 2 s" in results[stuck].error
    finally:
        pool.close()



def test_a_clip_with_a_second_video_track_is_cleaned_and_the_track_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Phones add tracks beside the picture (a second angle, timed metadata): naming one in
    the findings used to raise, so such a clip could be neither inspected nor cleaned."""
    clip = tmp_path / "two.mov"
    with av.open(str(clip), "w") as c:
        streams = [c.add_stream("libx264", rate=30) for _ in range(2)]
        for s in streams:
            s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        for t in range(24):
            for s in streams:
                frame = av.VideoFrame.from_ndarray(scene(t, sliding), format="rgb24")
                for p in s.encode(frame):
                    c.mux(p)
        for s in streams:
            for p in s.encode():
                c.mux(p)
    tracks = [f for f in video.findings(clip) if f.kind == "track"]
    assert [f.values for f in tracks] == [{"kind": "video"}]
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    with av.open(str(tmp_path / "out" / "two.mp4")) as out:
        assert [s.type for s in out.streams] == ["video"]
    faces = [face_rect(t, sliding) for t in range(24)]
    for frame, rect in zip(decoded(tmp_path / "out" / "two.mp4"), faces, strict=True):
        if rect is not None:
            assert face_brightness(frame, rect) < 40


# -- clips as cameras and editors really make them -------------------------------------------


def dash(t: int) -> tuple[int, int]:
    """12 px a frame, about the face's width (a face rushing past): the tracker still joins
    it into one track, so nothing is held over, and a region one frame off misses it."""
    return 12 * t, 30


def numbered(t: int, place: Place | None, w: int, h: int) -> np.ndarray:
    """The scene with the frame's number written in binary along its bottom edge: six
    16 px blocks, black or white, that survive compression."""
    frame = scene(t, place, w, h)
    for bit in range(6):
        frame[h - 16 :, 16 * bit : 16 * bit + 16] = 255 if t >> bit & 1 else 0
    return frame


def number(frame: np.ndarray) -> int:
    h = frame.shape[0]
    return sum(1 << bit for bit in range(6)
               if frame[h - 12 : h - 4, 16 * bit + 4 : 16 * bit + 12].mean() > 128)


def test_b_frames_each_frame_in_its_place_with_its_own_regions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """libx264's default stores frames out of display order (B-frames): the output must show
    them in the input's order, each redacted where the face is in THAT frame."""
    w, h, n = 640, 128, 40
    clip = tmp_path / "dash.mp4"
    with av.open(str(clip), "w") as c:
        s = c.add_stream("libx264", rate=30, options={"x264-params": "bframes=3:b-adapt=0"})
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        for t in range(n):
            for p in s.encode(av.VideoFrame.from_ndarray(numbered(t, dash, w, h), "rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    with av.open(str(clip)) as c:  # B-frames indeed: packets come out of display order
        pts = [p.pts for p in c.demux(video=0) if p.pts is not None]
        assert pts != sorted(pts)
    use_detector(monkeypatch, TruthDetector(dash))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    after = decoded(tmp_path / "out" / "dash.mp4")
    assert len(after) == n
    for t, frame in enumerate(after):
        assert number(frame) == t, f"frame {t} out of place"
        rect = face_rect(t, dash)
        assert rect is not None
        if rect[0] + rect[2] <= w:
            assert face_brightness(frame, rect) < 12, f"face shows in frame {t}"


def _timing(path: Path) -> list[float]:
    """When each frame is shown, in display order. (A decoded frame's `duration` is not
    compared: with B-frames the demuxer gives the decode-order gap, not the display time.)"""
    with av.open(str(path)) as c:
        return [round(float(f.pts * f.time_base), 6) for f in c.decode(video=0)]


def _timed_clip(path: Path, pts: list[int], base: Fraction = Fraction(1, 1000)) -> Path:
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.time_base = s.codec_context.time_base = base
        for t, at in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(scene(t, sliding), format="rgb24")
            frame.pts, frame.time_base = at, base
            for p in s.encode(frame):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path


@pytest.mark.parametrize("name,pts", [
    # a phone's variable frame rate: frames 10 to 70 ms apart, irregularly
    ("vfr.mp4", [0, 33, 50, 120, 131, 190, 200, 270, 301, 350, 362, 430, 445, 480, 540, 560,
                 600, 633, 690, 700]),
    ("vfr.mkv", [0, 33, 50, 120, 131, 190, 200, 270, 301, 350, 362, 430, 445, 480, 540, 560]),
    # a clip cut from a longer one: its first frame is shown 5 s in
    ("late.mp4", [5000 + 33 * i for i in range(20)]),
    ("late.mov", [5000 + 40 * i for i in range(20)]),
])
def test_every_frame_keeps_its_timestamp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         name: str, pts: list[int]) -> None:
    clip = _timed_clip(tmp_path / name, pts)
    before = _timing(clip)
    assert before == [p / 1000 for p in pts]
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    assert _timing(tmp_path / "out" / (Path(name).stem + ".mp4")) == before


def _vfr_clip(path: Path, pts: list[int], last: int, b_frames: bool) -> Path:
    """A phone-like clip (milliseconds) where each frame lasts until the next and the last
    one `last` ms: as a phone stores a clip whose last frame is held."""
    lasts = {at: nxt - at for at, nxt in zip(pts, pts[1:], strict=False)} | {pts[-1]: last}
    base = Fraction(1, 1000)
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30,
                         options={} if b_frames else {"x264-params": "bframes=0"})
        s.width, s.height, s.pix_fmt = W, H, "yuv420p"
        s.time_base = s.codec_context.time_base = base

        def mux(packets: list[av.Packet]) -> None:
            for p in packets:
                p.duration = lasts[p.pts]
                c.mux(p)

        for t, at in enumerate(pts):
            frame = av.VideoFrame.from_ndarray(scene(t, sliding), format="rgb24")
            frame.pts, frame.time_base = at, base
            mux(s.encode(frame))
        mux(s.encode())
    return path


def _length(path: Path) -> tuple:
    """What ffprobe says of a clip's length: format start and duration (microseconds), the
    video stream's start and duration (exact seconds), and its frame count."""
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        base = v.time_base
        assert base is not None
        span = Fraction(v.duration) * base if v.duration is not None else None
        start = Fraction(v.start_time) * base if v.start_time is not None else None
        return c.start_time, c.duration, start, span, sum(1 for _ in c.decode(v))


VFR_PTS = [0, 33, 50, 120, 131, 190, 200, 270, 301, 350, 362, 430]


@pytest.mark.parametrize("name,b_frames,offset", [
    ("held.mp4", False, 0), ("held.mov", True, 0), ("late.mp4", False, 5000),
    ("held.mkv", False, 0),
])
def test_a_variable_rate_clip_keeps_its_duration_to_the_time_base(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, b_frames: bool, offset: int,
) -> None:
    """The last frame lasts 400 ms, ten times the clip's mean gap: the written clip must
    not time it with the mean rate (it came out 0.36 s shorter), nor move any frame."""
    pts = [offset + at for at in VFR_PTS]
    clip = _vfr_clip(tmp_path / name, pts, last=400, b_frames=b_frames)
    before = _length(clip)
    if name.endswith(".mkv"):  # Matroska has no stream duration: its file's is the clip's
        assert before[1:] == (830_000, Fraction(0), None, len(pts))
    else:  # (with B-frames the muxer times the last frame from decode order: not quite 400)
        assert before[3] >= Fraction(pts[-1] - pts[0] + 300, 1000)
    use_detector(monkeypatch, TruthDetector())
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    out = tmp_path / "out" / (Path(name).stem + ".mp4")
    after = _length(out)
    if name.endswith(".mkv"):
        assert after == (0, 830_000, Fraction(0), Fraction(83, 100), len(pts))
    else:
        assert after == before
    assert _timing(out) == _timing(clip) == [at / 1000 for at in pts]


def _tone(stream: av.audio.stream.AudioStream, seconds: float = 1.0) -> list[av.Packet]:
    samples = int(44100 * seconds)
    tone = np.sin(np.arange(samples) / 10.0).astype(np.float32)[None, :]
    packets = []
    for start in range(0, samples, 1024):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(tone[:, start:start + 1024]),
                                           format="fltp", layout="mono")
        frame.sample_rate = 44100
        packets += stream.encode(frame)
    return packets + stream.encode()


def test_a_clip_without_pictures_gives_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    src = tmp_path / "in"
    src.mkdir()
    with av.open(str(src / "voice.m4v"), "w", format="mp4") as c:  # a voice memo, named .m4v
        a = c.add_stream("aac", rate=44100)
        for p in _tone(a):
            c.mux(p)
    with av.open(str(src / "blank.mkv"), "w") as c:  # a picture track that holds no frame
        v = c.add_stream("libx264", rate=30)
        v.width, v.height, v.pix_fmt = W, H, "yuv420p"
        a = c.add_stream("aac", rate=44100)
        for p in _tone(a):
            c.mux(p)
    make_clip(src / "good.mp4", n=6, place=None)
    use_detector(monkeypatch, TruthDetector(None))
    assert cli.main([str(src), "-o", str(tmp_path / "out")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for name in ("voice.m4v", "blank.mkv"):
        lines = [line for line in err.splitlines() if name in line]
        assert len(lines) == 1, (name, err)
        assert "no video track" in lines[0] or "no frame" in lines[0], lines[0]
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.suffix == ".mp4") == [
        "good.mp4"]


ONE = 1 << 16  # a display matrix's 16.16 fixed point


def _matrix(a: int, b: int, c: int, d: int) -> list[int]:
    """FFmpeg's display matrix layout: x' = a x + c y, y' = b x + d y (w is 2.30 fixed)."""
    return [a * ONE, b * ONE, 0, c * ONE, d * ONE, 0, 0, 0, 1 << 30]


def _matrix_clip(path: Path, matrix: list[int], n: int = 6) -> Path:
    return encode_clip(path, (scene(t, None) for t in range(n)), display_matrix=matrix)


@pytest.mark.parametrize("name,matrix,red,green", [
    # stored, red rises to the right and green downwards; what a player shows:
    ("mirror.mp4", _matrix(-1, 0, 0, 1), "left", "down"),  # selfie camera: left-right mirror
    ("upside.mp4", _matrix(1, 0, 0, -1), "right", "up"),  # mirror top to bottom
    ("turned.mp4", _matrix(-1, 0, 0, -1), "left", "up"),  # a half turn, no mirror
    ("diagonal.mov", _matrix(0, 1, 1, 0), "down", "right"),  # a quarter turn and a mirror
])
def test_mirrored_clips_come_out_as_players_show_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, matrix: list[int], red: str,
    green: str,
) -> None:
    """A mirror in the display matrix used to be read as a half turn: the clip came out upside
    down (a left-right mirror) or not mirrored at all (top to bottom)."""
    clip = _matrix_clip(tmp_path / name, matrix)
    use_detector(monkeypatch, TruthDetector(None))
    assert cli.main([str(clip), "-o", str(tmp_path / "out"), "-q"]) == 0
    with av.open(str(tmp_path / "out" / (Path(name).stem + ".mp4"))) as c:
        frame = next(c.decode(video=0))
        assert frame.side_data.get(av.sidedata.sidedata.Type.DISPLAYMATRIX) is None
        rgb = frame.to_ndarray(format="rgb24").astype(int)
    h, w = rgb.shape[:2]
    assert (w, h) == ((H, W) if "diagonal" in name else (W, H))
    rises = {"right": rgb[h // 2, -5] - rgb[h // 2, 4], "left": rgb[h // 2, 4] - rgb[h // 2, -5],
             "down": rgb[-5, w // 2] - rgb[4, w // 2], "up": rgb[4, w // 2] - rgb[-5, w // 2]}
    assert rises[red][0] > 100 and rises[green][1] > 100, (rises[red], rises[green])


def test_a_slanted_display_matrix_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    half = round(ONE * 0.7071)  # a 45 degree turn: no upright frame of the same size exists
    clip = _matrix_clip(tmp_path / "slant.mp4", [half, half, 0, -half, half, 0, 0, 0, 1 << 30])
    use_detector(monkeypatch, TruthDetector(None))
    assert cli.main([str(clip), "-o", str(tmp_path / "out")]) == 1
    lines = [line for line in capsys.readouterr().err.splitlines() if "slant.mp4" in line]
    assert len(lines) == 1 and "display matrix" in lines[0], lines
    assert not (tmp_path / "out" / "slant.mp4").exists()
