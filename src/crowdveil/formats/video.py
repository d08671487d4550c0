"""Videos (MP4, MOV, M4V; WebM and MKV read too): read, track faces, redact, write clean MP4.

The photo path holds one image in memory; a clip never is. A clip is read twice, frame by
frame: the first pass runs the photo detector (in full every FULL_EVERY_S, a cheap glance on
the frames between) and measures the camera's motion, keeping only boxes and motion; the
tracker then decides the regions of every frame (holding a face's redaction over the frames
where the detector lost it or did not look), and the second pass redacts and encodes. Nothing
but the pixels (and, if asked, re-encoded sound) reaches the new file: a fresh H.264 stream in
a fresh MP4 whose dates are zeroed and whose boxes are checked against an allowlist before it
appears.
"""

from __future__ import annotations

import contextlib
import math
import os
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Protocol, cast

import av
import numpy as np
from av.sidedata.sidedata import SideData
from av.sidedata.sidedata import Type as SideDataType
from av.video.reformatter import ColorRange

from ..detect.base import Detection, Detector
from ..detect.merge import merge_detections
from ..errors import (
    CrowdveilError,
    LoadError,
    VerifyError,
    WriteError,
    display_path,
    first_line,
    os_reason,
)
from ..redact import FILL_COLOUR, Method, redact, regions_mask
from ..regions import SURE_SCORE, Region, clip_region, faint_geometry, head_geometry, head_region
from ..reveal import Finding
from ..settings import Options
from ..write_clean import write_atomic_with
from . import VIDEO_OUTPUT_SUFFIX, VIDEO_SUFFIXES, iso, motion
from .motion import Affine

SUFFIXES = VIDEO_SUFFIXES
OUTPUT_SUFFIX = VIDEO_OUTPUT_SUFFIX
HOLD_S = 0.5  # a lost face stays redacted this long before its first and after its last sighting
# ... if its track is sure (seen STRONG_SIGHTINGS times, once with a score >= SURE_SCORE); an
# unsure track (mostly the detector's false alarms) is held WEAK_HOLD_S. Measured on the 720p
# benchmark clip (benchmarks/video.py): per-frame detection alone left 2 faces >= 20 px shown
# (cut by the frame's edge); any hold from 0.1 s up covers them; a 0.5 s hold for every track
# blacked 18 % of the frame away from faces, this rule 14 %, per-frame detection 2.5 %.
WEAK_HOLD_S = 0.1
STRONG_SIGHTINGS = 3
MATCH_IOU = 0.15  # a detection continues a track whose predicted region overlaps it this much
VELOCITY_SPAN = 5  # sightings the speed of a track is measured over
HOLD_SPEED_GROW = 0.1  # a held region grows by this share of the distance its speed covers
HOLD_SIZE_GROW = 0.1  # ... and by this share of its size over the whole hold
# The full search (the photo detector, every pass) runs at least this often; the frames between
# get the detector's glance, and the faces of the full searches carried by the camera's motion.
FULL_EVERY_S = 0.2
# The full search also reports what it scores down to FAINT_RATIO times its thresholds; such a
# faint face is destroyed where FAINT_SIGHTINGS full searches saw it on one track (masked,
# hazy, blurred faces score 0.03-0.15 frame after frame; most false alarms do not persist).
# Measured on the 1080p benchmark clip (benchmarks/video.py; README, Videos).
FAINT_RATIO = 0.5
FAINT_SIGHTINGS = 6
# Small faces score lower still: CenterFace scores a 15-25 px face 0.04-0.15 at any enlargement,
# so the full search also reports boxes of at most SMALL_FAINT_SIDE px down to SMALL_FAINT_RATIO
# times its thresholds. Such a box is destroyed where SMALL_SUPPORT other full searches within
# SMALL_SUPPORT_S saw a box there in the scene too (centres within SMALL_REACH of the larger
# size, sizes within 2x; none across a cut). Counted per box, not per track: in a crowd the
# tracker's one-to-one joins split such boxes over many short tracks (a face covered by a
# faint track was shown once fainter boxes joined its neighbourhood). Measured on 19 benchmark
# clips' saved searches (benchmarks/video_replay.py): faces >= 20 px shown 6 -> 4, per-frame
# recall >= 0.99 on every clip (0.9462 -> 0.99+ on 720p seed 10), frame area filled away from
# faces 21.2 -> 24.2 % on average (README, Videos).
SMALL_FAINT_RATIO = 0.3
SMALL_FAINT_SIDE = 48
SMALL_SUPPORT = 3
SMALL_SUPPORT_S = 1.2
SMALL_REACH = 0.5
# A face that keeps still in the scene (its track's centre moves less than STILL_SPEED of its
# size per frame, all its sightings within STILL_SPREAD of its size) is where its track says
# while the camera moves: it is carried, at its scene position, up to STILL_CARRY_S before its
# first and after its last sighting, as long as the camera's motion is known (no cut). That
# covers a face that the camera brings in across the frame's edge (cut by it, the detector
# misses it) and takes out again: measured on the 1080p benchmark clip (benchmarks/video.py).
# Faint tracks are carried too (without: recall 0.9949 there, for 0.5 points less area).
STILL_CARRY_S = 2.0
STILL_SPEED = 0.01
STILL_SPREAD = 0.35
# Every region the tracker draws is this much larger (width and height, about its centre) than
# the head a photo would get for the same box. The photo's head geometry is tuned for one
# picture (regions.py: recall per photo within the 0.02 over-redaction budget); a clip shows a
# face in a hundred frames and one frame with a box a little off the face is enough to show it.
# Measured on ten benchmark clips (benchmarks/video.py seeds 0-4, 720p and 1080p; saved
# searches replayed): faces >= 20 px shown in some frame 7 at 1.0, 5 at 1.1, 4 at 1.15, 3 at
# 1.2, most of them covered 70-79 % by a box off the face; area filled away from faces
# 12-20 % -> 17-26 %. Seeds 5 and 6 were kept aside to check it (README, Videos).
REGION_GROW = 1.2
# x264's settings. Measured on the 1080p benchmark clip's redacted frames (benchmarks/video.py,
# 60 frames; CPU per frame, bytes per second of clip, PSNR against the encoder's input; the
# same frames with sensor-like noise, sigma 2.5, in brackets): veryfast at CRF 18, the
# earlier choice, 26 ms [36], 0.96 MB/s [2.66], 45.5 dB [41.3]; superfast at CRF 20, 16 ms
# [22], 1.14 MB/s [3.39], 45.8 dB [41.5]: the same quality for 40 % less encoding and about a
# quarter more bytes. ultrafast at CRF 20 gives it for 9 ms [11] but twice the bytes [1.5x]
# (no CABAC). A filled region stays black in all of them (the encoder never sees the face);
# superfast leaves fewer of its edge pixels grey than veryfast did (227 against 367 per
# million above the benchmark's black level, deblocking ringing from outside the region).
CRF = 20
PRESET = "superfast"


def looks_like_video(head: bytes) -> bool:
    """ISO base media (MP4/MOV/M4V: `ftyp` box first) or Matroska/WebM (EBML header)."""
    return head[4:8] == b"ftyp" or head[:4] == b"\x1a\x45\xdf\xa3"


def is_video_path(path: Path) -> bool:
    return path.suffix.lower() in SUFFIXES


# -- reading ---------------------------------------------------------------------------------


DISPLAYMATRIX = SideDataType.DISPLAYMATRIX
# How stored pixels become upright: (swap rows and columns, then flip rows, then flip columns).
Orientation = tuple[bool, bool, bool]
UPRIGHT: Orientation = (False, False, False)


@dataclass
class ClipInfo:
    width: int  # upright, as written
    height: int
    orientation: Orientation  # the display matrix, as array operations on the stored pixels
    rate: Fraction
    frames: int  # as the container announces it (0: unknown); the reading pass counts
    duration_s: float
    audio_s: float | None  # None: no audio track
    findings: list[Finding] = field(default_factory=list)


def open_input(path: Path) -> av.container.InputContainer:
    """The clip opened for reading, its tags decoded whatever bytes they hold (PyAV's errors
    pass through: `_open` turns them into one line)."""
    # a tag that is not UTF-8 (a hostile or broken clip) must not stop the reading
    return av.open(str(path), mode="r", metadata_errors="ignore")


def _open(path: Path) -> av.container.InputContainer:
    try:
        return open_input(path)
    except av.FFmpegError as exc:
        raise LoadError("video.unreadable", detail=first_line(str(exc))) from exc
    except OSError as exc:
        raise LoadError("load.cannot_read", reason=os_reason(exc)) from exc


def _video_stream(container: av.container.InputContainer) -> av.video.stream.VideoStream:
    if not container.streams.video:
        raise LoadError("video.no_video")
    return container.streams.video[0]


def _orientation(first: av.VideoFrame | None) -> Orientation:
    """What the clip's display matrix does to the stored pixels, mirrors included.

    FFmpeg's `rotation` alone reads a mirrored matrix as a turn (a left-right mirror as a
    half turn: the clip would come out upside down). The matrix maps a stored pixel (x, y)
    to x' = a x + c y, y' = b x + d y (plus a shift); every quarter turn and mirror is one
    of eight such matrices. Anything else (a slant, a scale) is refused: no clip is written
    unless its pixels are the ones a player shows.
    """
    if first is None:
        return UPRIGHT
    # iterating the container gives its entries (PyAV's stubs say keys, as for a Mapping)
    entries = cast("Iterable[SideData]", first.side_data)
    found = [bytes(data) for data in entries if data.type == DISPLAYMATRIX]
    if not found:
        return UPRIGHT
    raw = found[0]
    if len(raw) != 36:
        raise LoadError("video.odd_matrix")
    a, b, _u, c, d, _v, _x, _y, _w = struct.unpack("<9i", raw)
    one = 1 << 16  # 16.16 fixed point
    if {abs(a), abs(d)} == {one} and b == c == 0:
        return (False, d < 0, a < 0)
    if {abs(b), abs(c)} == {one} and a == d == 0:
        # x' = c y, y' = b x: rows become columns, each axis flipped where its sign is negative
        return (True, b < 0, c < 0)
    raise LoadError("video.odd_matrix")


def probe(path: Path) -> ClipInfo:
    """What a clip is and what it reveals, from its header and first frame."""
    with _open(path) as container:
        stream = _video_stream(container)
        first = None
        with contextlib.suppress(av.FFmpegError, StopIteration):
            first = next(container.decode(stream))
        orientation = _orientation(first)
        w, h = stream.codec_context.width, stream.codec_context.height
        if orientation[0]:
            w, h = h, w
        rate = Fraction(stream.average_rate or stream.guessed_rate or 30)
        duration = _seconds(stream.duration, stream.time_base)
        if duration is None and container.duration:
            duration = container.duration / 1_000_000
        audio_s = None
        if container.streams.audio:
            a = container.streams.audio[0]
            audio_s = _seconds(a.duration, a.time_base) or duration or 0.0
        info = ClipInfo(w, h, orientation, rate, int(stream.frames or 0), duration or 0.0, audio_s)
        info.findings = _findings(container, audio_s)
        return info


def _seconds(value: int | None, base: Fraction | None) -> float | None:
    return float(value * base) if value is not None and base is not None else None


def upright(frame: av.VideoFrame, orientation: Orientation) -> np.ndarray:
    """The frame as upright RGB pixels: the display matrix applied, as EXIF orientation is."""
    rgb: np.ndarray = frame.to_ndarray(format="rgb24")
    return np.ascontiguousarray(_turned(rgb, orientation)) if orientation != UPRIGHT else rgb


def _turned(pixels: np.ndarray, orientation: Orientation) -> np.ndarray:
    """A view of `pixels` (rows, columns, ...) as `orientation` makes them upright."""
    swap, flip_rows, flip_cols = orientation
    if swap:
        pixels = pixels.swapaxes(0, 1)
    if flip_rows:
        pixels = pixels[::-1]
    if flip_cols:
        pixels = pixels[:, ::-1]
    return pixels


def _plane(plane: av.video.plane.VideoPlane) -> np.ndarray:
    """A frame plane's pixels as a (height, width) uint8 view, its row padding left out."""
    rows = np.frombuffer(memoryview(plane), np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width]


def _limited_yuv(rgb: tuple[int, int, int]) -> tuple[int, int, int]:
    """An RGB colour in BT.601 limited-range YUV, as the encoder's RGB input was converted."""
    r, g, b = rgb
    return (round(16 + (65.481 * r + 128.553 * g + 24.966 * b) / 255),
            round(128 + (-37.797 * r - 74.203 * g + 112.0 * b) / 255),
            round(128 + (112.0 * r - 93.786 * g - 18.214 * b) / 255))


# the photos' fill colour, so a clip's faces are filled as a photo's are
FILL_YUV = _limited_yuv(FILL_COLOUR)


def redacted_frame(frame: av.VideoFrame, orientation: Orientation, regions: list[Region],
                   method: Method = "fill", rng: np.random.Generator | None = None,
                   ) -> av.VideoFrame:
    """A new frame for the encoder: `frame` upright, every region destroyed, nothing else of
    the decoded frame (its side data, captions, flags) carried over.

    A fill is drawn on the YUV 4:2:0 planes the encoder takes: the decoded frame converted
    once at most (not to RGB and back), each plane copied once while it is turned upright.
    The luma is black on the regions' pixels; the colour, stored once per 2 x 2 pixels, is
    neutral on every block that holds any of them, so not even a face's edge keeps its hue.
    Mosaic and blur work on RGB (`redact`).
    """
    if method != "fill":
        # through RGB and back with swscale's default matrix, described as nothing: the
        # player's default matrix is the one the values were made with (PyAV 17 cannot
        # convert back into BT.2020's, so a phone's HDR clip is not described as HDR here)
        rgb = upright(frame, orientation)
        return av.VideoFrame.from_ndarray(redact(rgb, regions, method, rng), format="rgb24")
    yuv = frame
    if frame.format.name != "yuv420p" or frame.color_range == ColorRange.JPEG:
        # the encoder is given limited range (as the RGB path gave it): a full-range frame's
        # levels are scaled, or its picture would come out with more contrast than it went in
        yuv = frame.reformat(format="yuv420p", dst_color_range=ColorRange.MPEG)
    w, h = (yuv.height, yuv.width) if orientation[0] else (yuv.width, yuv.height)
    out = av.VideoFrame(w, h, "yuv420p")
    luma, cb, cr = (_plane(p) for p in out.planes)
    for source, target in zip(yuv.planes, (luma, cb, cr), strict=True):
        target[...] = _turned(_plane(source), orientation)
    if regions:
        mask = regions_mask(regions, h, w)
        luma[mask] = FILL_YUV[0]
        # an odd side's last colour sample covers one row (column) of pixels, not two
        even = np.zeros((h + h % 2, w + w % 2), dtype=bool)
        even[:h, :w] = mask
        rows = even[0::2] | even[1::2]
        blocks = rows[:, 0::2] | rows[:, 1::2]
        cb[blocks] = FILL_YUV[1]
        cr[blocks] = FILL_YUV[2]
    return out


_UNSPECIFIED = 2  # ISO/IEC 23091-2's "unspecified" matrix, primaries and transfer


def _yuv(pix_fmt: str | None) -> bool:
    """Whether frames of `pix_fmt` hold YUV, where a matrix means something (not RGB)."""
    return pix_fmt is not None and pix_fmt.startswith(("yuv", "nv", "p0", "p2"))


def frames(path: Path, orientation: Orientation) -> Iterator[tuple[av.VideoFrame, np.ndarray]]:
    """Every frame of the first video track, decoded one at a time, upright."""
    with _open(path) as container:
        stream = _video_stream(container)
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                yield frame, upright(frame, orientation)
        except av.FFmpegError as exc:
            raise LoadError("video.damaged", detail=first_line(str(exc))) from exc


# -- what a clip reveals ---------------------------------------------------------------------

_GPS_KEYS = ("com.apple.quicktime.location.iso6709", "location", "location-eng", "\u00a9xyz")
_DEVICE_KEYS = ("com.apple.quicktime.make", "com.apple.quicktime.model", "make", "model",
                "com.android.manufacturer", "com.android.model",
                "com.apple.quicktime.software", "software")
_DATE_KEYS = ("creation_time", "com.apple.quicktime.creationdate", "date")
_PLAIN_KEYS = {"major_brand", "minor_version", "compatible_brands", "handler_name", "language",
               "vendor_id", "duration", "encoder"}


def _findings(container: av.container.InputContainer, audio_s: float | None) -> list[Finding]:
    found: list[Finding] = []
    seen: set[tuple[str, str]] = set()

    def add(kind: str, code: str, /, **values: str | float) -> None:  # values may hold "kind"
        key = (kind, repr(sorted(values.items())))
        if key not in seen:
            seen.add(key)
            found.append(Finding(kind, code, values))

    tables = [dict(container.metadata)] + [dict(s.metadata) for s in container.streams]
    for table in tables:
        lowered = {k.lower(): str(v)[:80] for k, v in table.items()}
        for k, v in lowered.items():
            if k in _GPS_KEYS:
                add("gps", "video.finding_gps", position=v)
            elif k in _DEVICE_KEYS:
                add("device", "video.finding_device", value=v)
            elif k in _DATE_KEYS or k.endswith("date"):
                add("date", "video.finding_date", value=v)
            elif k not in _PLAIN_KEYS and v.strip():
                add("text", "video.finding_text", name=k[:40], value=v)
    if audio_s is not None:
        add("audio", "video.finding_audio", seconds=round(audio_s, 1))
    for s in container.streams:
        if s.type not in ("video", "audio"):
            add("track", "video.finding_track", kind=str(s.type))
    if len(container.streams.video) > 1:
        add("track", "video.finding_track", kind="video")
    return found


def findings(path: Path) -> list[Finding]:
    return probe(path).findings


# -- tracking --------------------------------------------------------------------------------

Box = tuple[float, float, float, float]  # x0, y0, x1, y1


def _iou(a: Box, b: Box) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


@dataclass
class _Track:
    seen: dict[int, Box] = field(default_factory=dict)  # frame -> head box where detected
    loose: set[int] = field(default_factory=set)  # sightings joined by distance, not overlap
    # sightings whose head region reached the frame's edge: a face coming in or going out over
    # it is seen as the part of it inside the frame, a box whose centre is not the face's
    cut: set[int] = field(default_factory=set)
    score: float = 0.0
    source: str = ""

    def last(self) -> tuple[int, Box]:
        t = max(self.seen)
        return t, self.seen[t]

    def velocity(self, at_end: bool) -> tuple[float, float]:
        """Centre motion in px per frame near the track's end (or start): over up to
        VELOCITY_SPAN sightings, so one jittery box does not fling the prediction."""
        ts = sorted(self.seen)
        if len(ts) < 2:
            return 0.0, 0.0
        span = ts[-VELOCITY_SPAN:] if at_end else ts[:VELOCITY_SPAN]
        a, b = span[0], span[-1]
        ba, bb = self.seen[a], self.seen[b]
        dt = b - a
        return ((bb[0] + bb[2] - ba[0] - ba[2]) / 2 / dt, (bb[1] + bb[3] - ba[1] - ba[3]) / 2 / dt)


def _box(region: Region) -> Box:
    return (float(region.x), float(region.y), float(region.x + region.w),
            float(region.y + region.h))


def _union(a: Box, b: Box) -> Box:
    return (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))


def _between(a: Box, b: Box, f: float) -> Box:
    """The box a share `f` of the way from `a` to `b`."""
    return cast(Box, tuple(pa + f * (pb - pa) for pa, pb in zip(a, b, strict=True)))


def _moved(box: Box, dx: float, dy: float, grow: float) -> Box:
    return (box[0] + dx - grow, box[1] + dy - grow, box[2] + dx + grow, box[3] + dy + grow)


def track(detections: list[list[Detection]], width: int, height: int, rate: float,
          camera: list[Affine] | None = None, searched: list[bool] | None = None,
          min_sightings: int = 1, faint: bool = False, steady: list[bool] | None = None,
          ) -> tuple[list[list[Region]], int]:
    """Regions to destroy in every frame: each face's detections joined into a track, the
    track interpolated across frames where it was lost and held `HOLD_S` before and after.

    A face that shows in one frame identifies someone as well as in a hundred, so every
    uncertainty makes regions larger, never absent: a held region grows with the track's
    speed and the time since it was seen. Returns the regions per frame and the number of
    tracks (faces followed).

    `camera[t]` (motion.CameraPath) maps frame t's pixels to the scene's: tracks are followed
    there, where the camera's pan and zoom no longer move a face, and drawn back into each
    frame. `searched[t]` says which frames had the full search (the others only a glance, or
    nothing): every sighting is held at least up to the neighbouring full searches, which are
    the frames that could have told whether the face was still there. `steady[t]` says whether
    the camera's step into frame t is known (motion.CameraPath.known): a face that keeps still
    in the scene is carried through the frames before and after its sightings, up to
    STILL_CARRY_S, as far as the camera path goes unbroken. `faint`: the detections are faint
    faces (the head drawn around them is taller and lower, regions.faint_geometry).
    """
    n = len(detections)
    hold = max(1, math.ceil(HOLD_S * rate))
    carry = max(hold, math.ceil(STILL_CARRY_S * rate))
    weak_hold = min(hold, max(1, math.ceil(WEAK_HOLD_S * rate)))
    to_frame = [motion.invert(a) for a in camera] if camera is not None else None
    to_next, to_previous = _search_distances(searched, n)
    window = max(hold, max(to_next, default=0) + 1)
    tracks: list[_Track] = []
    for t, dets in enumerate(detections):
        boxes = []
        cut = []
        for d in dets:
            region = head_region(d, width, height, faint_geometry if faint else head_geometry)
            if region is not None:
                box = _box(region)
                boxes.append((motion.map_box(camera[t], box) if camera is not None else box, d))
                cut.append(box[0] <= 0 or box[1] <= 0 or box[2] >= width or box[3] >= height)
        live = [tr for tr in tracks if t - tr.last()[0] <= window]
        pairs = []
        predictions = [_prediction(tr, t) for tr in live]
        reachable = _reachable(predictions, [box for box, _ in boxes])
        for i, (box, _) in enumerate(boxes):
            for j in reachable[i]:
                overlap = _follows(box, predictions[j])
                if overlap is not None:
                    pairs.append((overlap, i, int(j)))
        pairs.sort(reverse=True)
        used_d: set[int] = set()
        used_t: set[int] = set()
        for how, i, j in pairs:
            if i in used_d or j in used_t:
                continue
            used_d.add(i)
            used_t.add(j)
            live[j].seen[t] = boxes[i][0]
            if cut[i]:
                live[j].cut.add(t)
            if how < 1.0:
                live[j].loose.add(t)
            live[j].score = max(live[j].score, boxes[i][1].score)
        for i, (box, det) in enumerate(boxes):
            if i not in used_d:
                tracks.append(_Track({t: box}, score=det.score, source=det.source,
                                     cut={t} if cut[i] else set()))
    out: list[list[Region]] = [[] for _ in range(n)]
    tracks = [tr for tr in tracks if len(tr.seen) >= min_sightings]
    for tr in tracks:
        sure = len(tr.seen) >= STRONG_SIGHTINGS and tr.score >= SURE_SCORE
        base = hold if sure else weak_hold
        ts = sorted(tr.seen)
        after = max(base, to_next[ts[-1]])
        before = max(base, to_previous[ts[0]])
        still = camera is not None and steady is not None and _still(tr)
        if still:
            assert steady is not None
            after = max(after, _unbroken(steady, ts[-1], 1, carry))
            before = max(before, _unbroken(steady, ts[0], -1, carry))
        # A face cut by the frame's edge is what the detector misses most: where a track ends
        # (starts) on a cut sighting, the face may still be going out (coming in) over the
        # edge, whatever the searches after (before) it say, so it is held as long as a sure
        # face. The 1080p benchmark clip showed one (416#3, leaving over the top) in the frame
        # of the search after its last sighting; replays of 19 clips' searches: faces >= 20
        # px shown 5 -> 4, area away from faces 24.3 -> 25.3 % on average (benchmarks/RESULTS.md)
        out_cut = max(0, hold - after) if ts[-1] in tr.cut else 0
        in_cut = max(0, hold - before) if ts[0] in tr.cut else 0
        where = _where(tr) if still else None
        for t, box in _track_boxes(tr, n, after, before, still, (out_cut, in_cut)):
            if where is not None:
                # a still face is where it always is, whatever one sighting says (a face cut
                # by the frame's edge is found as a smaller box, or not at all)
                box = _union(box, where)
            if to_frame is not None:
                box = motion.map_box(to_frame[t], box)
            r = _region(box, tr, width, height)
            if r is not None:
                out[t].append(r)
    return out, len(tracks)


def _search_distances(searched: list[bool] | None, n: int) -> tuple[list[int], list[int]]:
    """For each frame, how many frames follow it (precede it) before the next (previous) full
    search: 0 everywhere when every frame is searched."""
    to_next, to_previous = [0] * n, [0] * n
    if searched is None:
        return to_next, to_previous
    gap = 0
    for t in range(n - 1, -1, -1):
        to_next[t] = gap
        gap = 0 if searched[t] else gap + 1
    gap = 0
    for t in range(n):
        to_previous[t] = gap
        gap = 0 if searched[t] else gap + 1
    return to_next, to_previous


Prediction = tuple[Box, float, float]  # where a track should be, its size, a loose join's reach


def _prediction(tr: _Track, t: int) -> Prediction:
    """Where `tr`'s face should be at frame `t` (its speed carried over the gap since it was
    last seen), its size, and how far a join by distance may reach: further after a longer gap."""
    last_t, last = tr.last()
    gap = t - last_t
    vx, vy = tr.velocity(at_end=True)
    size = max(last[2] - last[0], last[3] - last[1], 1.0)
    return _moved(last, vx * gap, vy * gap, 0.0), size, size * (0.5 + 0.25 * gap)


def _reachable(predictions: list[Prediction], boxes: list[Box]) -> list[np.ndarray]:
    """For each box, the indices of the tracks it could continue (`_follows`): those whose
    predicted box it overlaps, or whose reach it is within at a size within 2x, with a pixel
    to spare. Only a shortcut: a crowd's faint boxes number hundreds a frame, and judging every
    box against every track took seconds a clip."""
    if not predictions or not boxes:
        return [np.zeros(0, dtype=int) for _ in boxes]
    p = np.array([pr[0] for pr in predictions])
    size = np.array([pr[1] for pr in predictions])
    far = np.array([pr[2] for pr in predictions]) + 1.0
    pcx, pcy = (p[:, 0] + p[:, 2]) / 2, (p[:, 1] + p[:, 3]) / 2
    phw, phh = (p[:, 2] - p[:, 0]) / 2, (p[:, 3] - p[:, 1]) / 2
    out = []
    for b in boxes:
        dx = np.abs((b[0] + b[2]) / 2 - pcx)
        dy = np.abs((b[1] + b[3]) / 2 - pcy)
        overlaps = (dx <= (b[2] - b[0]) / 2 + phw + 1.0) & (dy <= (b[3] - b[1]) / 2 + phh + 1.0)
        other = max(b[2] - b[0], b[3] - b[1], 1.0)
        alike = (other >= 0.49 * size) & (other <= 2.01 * size)
        out.append(np.nonzero(overlaps | ((np.hypot(dx, dy) <= far) & alike))[0])
    return out


def _follows(box: Box, prediction: Prediction) -> float | None:
    """How well `box` continues the track `prediction` is made for (higher is better), None
    if it cannot.

    A join is judged by the overlap with where the track's speed puts it (above 1), or, after
    a gap, by a distance that grows with the gap (below 1: a loose join). A wrong join costs
    area, never a face: the frames of a loose join's gap get both the interpolation and each
    end's hold (`_track_boxes`).
    """
    predicted, size, reach = prediction
    overlap = _iou(box, predicted)
    if overlap >= MATCH_IOU:
        return 1.0 + overlap
    other = max(box[2] - box[0], box[3] - box[1], 1.0)
    if not 0.5 <= other / size <= 2.0:
        return None
    dist = math.hypot((box[0] + box[2] - predicted[0] - predicted[2]) / 2,
                      (box[1] + box[3] - predicted[1] - predicted[3]) / 2)
    return 1.0 - dist / reach if dist <= reach else None


def _still(tr: _Track) -> bool:
    """Whether the track's face keeps still in the scene: seen STRONG_SIGHTINGS times or more,
    its centre moving less than STILL_SPEED of its size per frame from its first sighting to
    its last, and never further than STILL_SPREAD of its size from where it is on average."""
    if len(tr.seen) < STRONG_SIGHTINGS:
        return False
    ts = _inner_sightings(tr)
    centres = [((b[0] + b[2]) / 2, (b[1] + b[3]) / 2) for b in (tr.seen[t] for t in ts)]
    size = max(max(b[2] - b[0], b[3] - b[1]) for b in tr.seen.values())
    first, last = centres[0], centres[-1]
    if math.hypot(last[0] - first[0], last[1] - first[1]) > STILL_SPEED * size * (ts[-1] - ts[0]):
        return False
    mx = sum(c[0] for c in centres) / len(centres)
    my = sum(c[1] for c in centres) / len(centres)
    return all(math.hypot(x - mx, y - my) <= STILL_SPREAD * size for x, y in centres)


def _inner_sightings(tr: _Track) -> list[int]:
    """The sightings that say where a sure track's face is: all of them but the run of
    edge-cut ones the track starts or ends with (a face brought in or taken out over the edge
    by the camera), when STRONG_SIGHTINGS or more are left; else all of them. Judged on the
    cut ones too, a still face seemed to move and was not carried where it keeps still: a face
    coming in over the top edge showed in the frame before its first sighting (benchmark clip
    1080p seed 5; README, Videos). Unsure tracks keep every sighting: most false alarms are
    unsure, and a carried false alarm costs area for nothing."""
    ts = sorted(tr.seen)
    lo, hi = 0, len(ts)
    while lo < hi and ts[lo] in tr.cut:
        lo += 1
    while hi > lo and ts[hi - 1] in tr.cut:
        hi -= 1
    return ts[lo:hi] if hi - lo >= STRONG_SIGHTINGS and tr.score >= SURE_SCORE else ts


def _where(tr: _Track) -> Box:
    """Where a still track's face is in the scene: the median of its sightings' boxes."""
    boxes = [tr.seen[t] for t in _inner_sightings(tr)]
    return cast(Box, tuple(float(np.median([b[i] for b in boxes])) for i in range(4)))


def _unbroken(steady: list[bool], anchor: int, step: int, frames: int) -> int:
    """How many frames from `anchor` (step 1: forward) the camera's path goes on unbroken,
    up to `frames`."""
    k = 0
    while k < frames:
        t = anchor + step * (k + 1)
        if not 0 <= t < len(steady):
            break
        # steady[t] is the step from t - 1 into t: going back, the step into the frame left
        if not steady[t if step == 1 else t + 1]:
            break
        k += 1
    return k


def _track_boxes(tr: _Track, n: int, after: int, before: int, still: bool = False,
                 longer: tuple[int, int] = (0, 0)) -> Iterator[tuple[int, Box]]:
    """The boxes of `tr`'s face in every frame it covers: its sightings, the frames between
    them, and its holds, `after` frames past its last sighting and `before` ahead of its
    first, each then held `longer` frames more at the growth it had reached."""
    ts = sorted(tr.seen)
    for a, b in zip(ts, ts[1:], strict=False):
        ba, bb = tr.seen[a], tr.seen[b]
        size = max(ba[2] - ba[0], ba[3] - ba[1])
        for t in range(a + 1, b):
            f = (t - a) / (b - a)
            # the face lies between the two sightings: the interpolated box, grown for motion
            # that was not a straight line
            grow = 0.1 * size * min(t - a, b - t) / max(1, b - a) + 1.0
            yield t, _moved(_between(ba, bb, f), 0.0, 0.0, grow)
        if b in tr.loose:
            # a join by distance may be two faces: each one is held as if its track ended
            # there, past the other's sightings too (the first face may still be in the frame
            # when the second is seen: measured on held-out 1080p seed 3, a face leaving over
            # the top edge was joined to another one 250 px off and shown in its last frame),
            # and held where it was seen: the track's speed is the other face's, or a jump
            # across the join (a wrong join 700 px long flung its holds off every face:
            # -0.6 to -2.4 points of area away from faces on the benchmark clips, none shown).
            # The first face is held until the join at least: no search between saw it go (an
            # unsure track's short hold showed a face leaving over the top edge in the 5
            # frames before its track jumped to another face: held-out 1080p seed 4)
            yield from _held(tr, a, 1, max(after, b - a), n, still=True)
            yield from _held(tr, b, -1, before, n, still=True)
    for i, t in enumerate(ts):
        box = tr.seen[t]
        if 0 < i < len(ts) - 1:
            # one sighting's box can be smaller than the face or off it (the glance's coarse
            # look, a box on the eyes only): it also gets what its neighbours put there.
            # Costs 0.3-0.6 points of frame area away from faces on the benchmark's clips
            a, b = ts[i - 1], ts[i + 1]
            box = _union(box, _between(tr.seen[a], tr.seen[b], (t - a) / (b - a)))
        yield t, box
    yield from _held(tr, ts[-1], 1, after + longer[0], n, still, pace=after)
    yield from _held(tr, ts[0], -1, before + longer[1], n, still, pace=before)


def _held(tr: _Track, anchor: int, step: int, frames: int, n: int, still: bool = False,
          pace: int | None = None) -> Iterator[tuple[int, Box]]:
    """The track carried `frames` frames from its sighting at `anchor` (step 1: forward); a
    still face (`_still`) stays where it was seen, its jitter not taken for a speed. The box
    grows by HOLD_SIZE_GROW of its size every `pace` frames (default: over the hold), so a
    hold made longer is the same box as before in the frames they share."""
    ts = sorted(tr.seen)
    at_end = anchor == ts[-1] or step == 1
    vx, vy = (0.0, 0.0) if still else tr.velocity(at_end)
    box = tr.seen[anchor]
    size = max(box[2] - box[0], box[3] - box[1])
    for k in range(1, frames + 1):
        t = anchor + step * k
        if not 0 <= t < n:
            break
        # unseen for k frames: where it would be at its speed, grown by what that speed could
        # have carried it off its line, and by a share of its size for turns and nods
        grow = (HOLD_SPEED_GROW * (abs(vx) + abs(vy)) * k
                + HOLD_SIZE_GROW * size * k / max(pace or frames, 1) + 2.0)
        yield t, _moved(box, step * vx * k, step * vy * k, grow)


def _region(box: Box, tr: _Track, width: int, height: int) -> Region | None:
    half_w = (box[2] - box[0]) * REGION_GROW / 2
    half_h = (box[3] - box[1]) * REGION_GROW / 2
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    x0, y0 = math.floor(cx - half_w), math.floor(cy - half_h)
    x1, y1 = math.ceil(cx + half_w), math.ceil(cy + half_h)
    region = Region(x0, y0, x1 - x0, y1 - y0, "ellipse", round(tr.score, 4), tr.source)
    return clip_region(region, width, height)


# -- writing ---------------------------------------------------------------------------------

# Boxes a written file may hold: what playback needs, nothing that can carry text or dates
# other than the ones `_zero_dates` clears. udta/meta/ilst/uuid/Keys/xyz are never written.
_CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf", b"edts"}
ALLOWED_BOXES = {
    b"ftyp", b"free", b"mdat", b"moov", b"mvhd", b"trak", b"tkhd", b"edts", b"elst", b"mdia",
    b"mdhd", b"hdlr", b"minf", b"vmhd", b"smhd", b"dinf", b"dref", b"stbl", b"stsd", b"stts",
    b"stss", b"ctts", b"stsc", b"stsz", b"stco", b"co64", b"sgpd", b"sbgp", b"sdtp",
}
_DATED = {b"mvhd", b"tkhd", b"mdhd"}


def _boxes(f, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:  # noqa: ANN001
    """(type, offset, size) of every box in [start, end), descending into container boxes."""
    off = start
    while off + 8 <= end:
        try:
            typ, header, size = iso.box_header(f, off, end)
        except ValueError:
            f.seek(off + 4)
            raise VerifyError("video.bad_box", box=f.read(4).decode("latin-1")) from None
        yield typ, off, size
        if typ in _CONTAINERS:
            yield from _boxes(f, off + header, off + size)
        off += size


def _clean_boxes(path: Path) -> None:
    """Zero every creation/modification date, as mat2 does, and blank any user-data box."""
    with open(path, "r+b") as f:
        end = os.fstat(f.fileno()).st_size
        for typ, off, size in list(_boxes(f, 0, end)):
            if typ in _DATED:
                f.seek(off + 8)
                version = f.read(1)[0]
                f.seek(off + 12)
                f.write(bytes(16 if version == 1 else 8))
            elif typ not in ALLOWED_BOXES:
                # the muxer always adds an (empty) udta/meta: make it padding, bytes zeroed
                f.seek(off)
                f.write(struct.pack(">I4s", size, b"free") + bytes(size - 8))
        f.flush()
        os.fsync(f.fileno())


def verify_clip(path: Path, width: int, height: int, frame_count: int,
                keep_audio: bool, absent: list[bytes] = ()) -> None:  # type: ignore[assignment]
    """Re-read a written clip: boxes on the allowlist, dates zero, one H.264 track of the
    expected size and frame count, audio only if asked, and none of `absent` in its bytes."""
    with open(path, "rb") as f:
        end = os.fstat(f.fileno()).st_size
        for typ, off, _size in _boxes(f, 0, end):
            if typ not in ALLOWED_BOXES:
                raise VerifyError("video.box", box=typ.decode("latin-1"))
            if typ in _DATED:
                f.seek(off + 8)
                version = f.read(1)[0]
                f.seek(off + 12)
                if any(f.read(16 if version == 1 else 8)):
                    raise VerifyError("video.dated", box=typ.decode("latin-1"))
    data_hits = _search(path, absent)
    if data_hits:
        raise VerifyError("video.kept_text")
    with _open(path) as c:
        kinds = sorted(s.type for s in c.streams)
        want = ["audio", "video"] if keep_audio else ["video"]
        if kinds != want and not (keep_audio and kinds == ["video"]):
            raise VerifyError("video.streams", streams=", ".join(kinds))
        if any(v for s in c.streams for k, v in s.metadata.items()
               if k not in ("language", "handler_name", "vendor_id")) or any(
                   k not in ("major_brand", "minor_version", "compatible_brands")
                   for k in c.metadata):
            raise VerifyError("video.metadata")
        v = c.streams.video[0]
        if (v.codec_context.width, v.codec_context.height) != (width, height):
            raise VerifyError("video.size", width=v.codec_context.width,
                              height=v.codec_context.height)
        if v.frames != frame_count:
            raise VerifyError("video.frames", n=int(v.frames), expected=frame_count)


def _search(path: Path, needles: list[bytes]) -> list[bytes]:
    needles = [n for n in needles if n]
    if not needles:
        return []
    longest = max(len(n) for n in needles)
    hits: set[bytes] = set()
    tail = b""
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            block = tail + chunk
            hits.update(n for n in needles if n in block)
            tail = block[-longest:]
    return sorted(hits)


def _strip_sei(packet: av.Packet) -> av.Packet:
    """The packet without its SEI NAL units: x264 writes its version and every setting there.

    libx264 hands out Annex B (start-code separated) units; a start code cannot occur inside
    a unit (emulation prevention), so splitting on them is exact.
    """
    data = bytes(packet)
    starts = []
    at = data.find(b"\x00\x00\x01")
    while at >= 0:
        starts.append(at + 3)
        at = data.find(b"\x00\x00\x01", at + 3)
    if not starts or starts[0] > 4:
        return packet
    out = bytearray()
    for i, begin in enumerate(starts):
        end = starts[i + 1] - 3 if i + 1 < len(starts) else len(data)
        nal = data[begin:end].rstrip(b"\x00") if i + 1 < len(starts) else data[begin:end]
        if nal and nal[0] & 0x1F != 6:
            out += b"\x00\x00\x00\x01" + nal
    if len(out) == len(data):
        return packet
    clean = av.Packet(bytes(out))
    clean.pts, clean.dts, clean.time_base = packet.pts, packet.dts, packet.time_base
    clean.duration = packet.duration
    clean.is_keyframe = packet.is_keyframe
    clean.stream = packet.stream
    return clean


@dataclass
class ClipResult:
    width: int
    height: int
    frames: int
    regions: int  # redacted regions summed over frames
    faces: int  # tracks
    seconds: float
    fps: float  # frames per second over both passes
    findings: list[Finding] = field(default_factory=list)  # what the input carried
    audio_kept: bool = False


# (stage "search" or "write", frames of that stage done, frames it has: 0 unknown)
Progress = Callable[[str, int, int], None]


def probe_writable(source: Path, max_pixels: int | None = None) -> ClipInfo:
    """`probe`, refusing a clip that cannot be searched within the pixel limit or written back
    at exactly its size."""
    info = probe(source)
    if max_pixels is not None and info.width * info.height > max_pixels:
        # the photo limit holds per frame: a crafted clip must not take all memory either
        raise LoadError("load.too_many_pixels", width=info.width, height=info.height,
                        pixels=info.width * info.height, limit=max_pixels)
    if info.width % 2 or info.height % 2:
        # H.264 4:2:0 crops in steps of 2 pixels: an odd side cannot be kept exactly
        raise LoadError("video.odd_size", width=info.width, height=info.height)
    return info


def frame_rate(info: ClipInfo) -> float:
    """Frames per second for the tracker's holds (30 when the container does not say)."""
    return float(info.rate) if info.rate else 30.0


@dataclass
class Searched:
    """What the search pass found: per frame, the faces, whether the full (photo-grade) search
    ran on it, and the camera's motion (frame pixels -> scene pixels, motion.CameraPath)."""

    detections: list[list[Detection]]
    searched: list[bool]
    camera: list[Affine]
    # per frame, what the full search scored below its thresholds (FAINT_RATIO): kept only
    # where it persists (`track_found`)
    faint: list[list[Detection]] = field(default_factory=list)
    # per frame, whether the camera's step into it is known (motion.CameraPath.known; empty:
    # never, so no face is carried at its scene position)
    steady: list[bool] = field(default_factory=list)
    # per frame, the small boxes the full search scored further below its thresholds
    # (SMALL_FAINT_RATIO): kept only where other full searches saw them too (`track_found`)
    small: list[list[Detection]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.detections)


class Glancer(Protocol):
    """A detector that also offers a cheap look (`glance`) for the frames between full searches."""

    def detect(self, rgb: np.ndarray) -> list[Detection]: ...

    def glance(self, rgb: np.ndarray) -> list[Detection]: ...


def search(
    source: Path, info: ClipInfo, detector: Detector, progress: Progress | None = None,
    each: Callable[[av.VideoFrame, np.ndarray], None] | None = None,
) -> Searched:
    """The detector's finds in every frame, in order (`each` sees every frame too); refuses a
    clip with no frame or fewer than its container announces.

    A detector with a `glance` (Glancer) gets the full search only on some frames: the first,
    every `FULL_EVERY_S`, any frame whose camera motion cannot be told (a cut), and any frame
    where the glance sees a sure face that the last full search did not (someone walking in); the
    frames between get the glance. The tracker carries what the full searches found through
    the frames between them with the camera's motion (`track`). Other detectors search every
    frame in full.
    """
    glance = getattr(detector, "glance", None)
    split = getattr(detector, "detect_faint", None)
    every = max(1, round(FULL_EVERY_S * frame_rate(info))) if glance is not None else 1
    camera = motion.CameraPath()
    detections: list[list[Detection]] = []
    faint: list[list[Detection]] = []
    small: list[list[Detection]] = []
    searched: list[bool] = []
    known: list[Box] = []  # in scene pixels: what the last full search and the glances since saw
    last_full = -every  # the first frame is searched in full
    for frame, rgb in frames(source, info.orientation):
        if each is not None:
            each(frame, rgb)
        t = len(detections)
        steady = camera.add(rgb)
        full = glance is None or not steady or t - last_full >= every
        found: list[Detection] = []
        weak: list[Detection] = []
        tiny: list[Detection] = []
        if not full:
            assert glance is not None
            found = glance(rgb)
            seen = [motion.map_box(camera.to_scene[t], _det_box(d)) for d in found]
            # only a sure face calls the full search: the glance's fainter finds are kept, and
            # held back to the last full search, but each false alarm would cost a full search
            full = any(d.score >= SURE_SCORE and not _near_any(box, known)
                       for d, box in zip(found, seen, strict=True))
            known += seen
        if full:
            if split is not None:
                sure, weak, tiny = split(rgb, FAINT_RATIO, SMALL_FAINT_RATIO, SMALL_FAINT_SIDE)
            else:
                sure = detector.detect(rgb)
            found = merge_detections(found + sure) if found else sure
            known = [motion.map_box(camera.to_scene[t], _det_box(d)) for d in found]
            last_full = t
        detections.append(found)
        faint.append(weak)
        small.append(tiny)
        searched.append(full)
        if progress:
            progress("search", len(detections), info.frames)
    n = len(detections)
    if n == 0:
        raise LoadError("video.no_frames")
    if info.frames and n < info.frames:  # frames the container announces could not be read
        raise LoadError("video.frames_missing", n=n, expected=info.frames)
    return Searched(detections, searched, camera.to_scene, faint, camera.known, small)


def track_found(found: Searched, width: int, height: int, rate: float
                ) -> tuple[list[list[Region]], int]:
    """`track` on what `search` found: its faces, its faint faces where they persist (seen by
    FAINT_SIGHTINGS full searches on one track), and its small faint faces where other full
    searches saw them too (`_supported`). Returns the regions per frame and the number of
    faces followed."""
    steady = found.steady or None
    regions, faces = track(found.detections, width, height, rate, found.camera, found.searched,
                           steady=steady)
    if any(found.faint):
        more, persistent = track(found.faint, width, height, rate, found.camera,
                                 found.searched, min_sightings=FAINT_SIGHTINGS, faint=True,
                                 steady=steady)
        regions = [a + b for a, b in zip(regions, more, strict=True)]
        faces += persistent
    if any(found.small):
        # drawn beside the faint tracks' regions, never instead of them: a box that is not
        # supported takes nothing away from what the faint tracks destroy
        more, _ = track(_supported(found, rate), width, height, rate, found.camera,
                        found.searched, faint=True, steady=steady)
        regions = [a + b for a, b in zip(regions, more, strict=True)]
    return regions, faces


def _supported(found: Searched, rate: float) -> list[list[Detection]]:
    """Per frame, the small faint boxes that SMALL_SUPPORT other full searches within
    SMALL_SUPPORT_S saw at the same place in the scene (centres within SMALL_REACH of the
    larger box's size, sizes within 2x), with no cut between the two frames."""
    n = len(found)
    window = max(1, math.ceil(SMALL_SUPPORT_S * rate))
    # cuts[t]: how many camera steps up to frame t are unknown (a cut, or no camera path)
    known = found.steady if len(found.steady) == n else [False] * n
    cuts = np.cumsum([0] + [0 if k else 1 for k in known[1:]])
    # per frame with small boxes: their centres and sizes in the scene, computed once
    scene: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for t, ds in enumerate(found.small):
        if ds:
            b = np.array([motion.map_box(found.camera[t], _det_box(d)) for d in ds])
            scene[t] = ((b[:, :2] + b[:, 2:]) / 2,
                        np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))
    out: list[list[Detection]] = [[] for _ in range(n)]
    for t, (centres, sizes) in scene.items():
        support = np.zeros(len(sizes), dtype=int)
        for u, (their_centres, their_sizes) in scene.items():
            if u == t or abs(u - t) > window or cuts[max(t, u)] != cuts[min(t, u)]:
                continue
            apart = np.hypot(centres[:, None, 0] - their_centres[None, :, 0],
                             centres[:, None, 1] - their_centres[None, :, 1])
            ratio = sizes[:, None] / np.maximum(their_sizes[None, :], 1e-6)
            near = apart <= SMALL_REACH * np.maximum(sizes[:, None], their_sizes[None, :])
            support += (near & (ratio >= 0.5) & (ratio <= 2.0)).any(axis=1)
        out[t] = [d for d, k in zip(found.small[t], support, strict=True)
                  if k >= SMALL_SUPPORT]
    return out


def _det_box(d: Detection) -> Box:
    return (d.x, d.y, d.x + d.w, d.y + d.h)


def _near_any(box: Box, others: list[Box]) -> bool:
    """Whether `box` is a face already seen: it overlaps one of `others`, or its centre lies
    within one size of one of theirs (a face that moved on its own since)."""
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    for o in others:
        if _iou(box, o) > 0.0:
            return True
        size = max(o[2] - o[0], o[3] - o[1], box[2] - box[0], box[3] - box[1])
        if math.hypot(cx - (o[0] + o[2]) / 2, cy - (o[1] + o[3]) / 2) <= size:
            return True
    return False


def process_clip(
    source: Path, target: Path, detector: Detector, options: Options, *,
    progress: Progress | None = None, check: Callable[[Path, int, int], None] | None = None,
) -> ClipResult:
    """Detect, track, redact and write `source` as a clean MP4 at `target`, whole or not at all.

    `options`: the run's settings (method, max_pixels, keep_audio; `overwrite`: whether
    `target` may be replaced). `check(temp_path, width, height)` runs on the verified file
    before it is renamed into place (the batch records it there). Raises LoadError /
    WriteError / VerifyError for a bad clip.
    """
    start = time.perf_counter()
    info = probe_writable(source, options.max_pixels)
    found = search(source, info, detector, progress)
    n = len(found)
    regions, faces = track_found(found, info.width, info.height, frame_rate(info))
    write_clip(source, target, info, regions, options, check=check, progress=progress)
    seconds = time.perf_counter() - start
    return ClipResult(info.width, info.height, n, sum(len(r) for r in regions), faces,
                      seconds, n / seconds if seconds > 0 else 0.0, info.findings,
                      options.keep_audio and info.audio_s is not None)


def write_clip(
    source: Path, target: Path, info: ClipInfo, regions: list[list[Region]], options: Options,
    *, check: Callable[[Path, int, int], None] | None = None, progress: Progress | None = None,
) -> None:
    """Write `source` redacted with `regions` (one list per frame) at `target`, whole or not.

    Encoded, its boxes cleaned and verified (nothing of `info`'s metadata may be left), then
    `check(temp_path, width, height)`, then renamed into place (write_clean.write_atomic_with).
    """
    n = len(regions)
    absent = _planted_strings(info)

    def fill(fd: int, tmp: Path) -> None:
        os.close(fd)  # PyAV opens the file by name
        written = _encode(source, tmp, info, regions, options.method, options.keep_audio,
                          progress, n)
        if written != n:
            raise LoadError("video.changed", n=written, expected=n)
        _clean_boxes(tmp)
        verify_clip(tmp, info.width, info.height, n, options.keep_audio, absent)
        if check is not None:
            check(tmp, info.width, info.height)

    write_atomic_with(target, fill, overwrite=options.overwrite)


def _planted_strings(info: ClipInfo) -> list[bytes]:
    """The input's metadata values that must not appear in the output's bytes."""
    out = []
    for f in info.findings:
        for v in f.values.values():
            if isinstance(v, str) and len(v) >= 6:
                out.append(v.encode("utf-8", "ignore"))
    return out


def _track_end(stream: av.video.stream.VideoStream) -> int | None:
    """When a Matroska/WebM video track ends by its DURATION tag, in its time base.

    The tag is exact to the nanosecond; the packets' durations are not (a 60 fps track's
    16.67 ms frames are demuxed as 16 ms), so for these files the tag is asked first."""
    tag = _tag_seconds(stream.metadata.get("DURATION") or stream.metadata.get("duration"))
    if tag is None or stream.time_base is None:
        return None
    return round(tag / stream.time_base)


def _header_end(container: av.container.InputContainer,
                stream: av.video.stream.VideoStream) -> int | None:
    """When the input's video ends by its header, in its time base (None: it does not say),
    for a clip whose packets do not say (`_Timing.input_span`): MP4/MOV give the track's
    length from its first frame (rounded to the edit list's milliseconds); Matroska/WebM a
    DURATION tag per track, or the file's, both counted from the file's time zero."""
    base = stream.time_base
    if base is None:
        return None
    if stream.duration:
        return (stream.start_time or 0) + int(stream.duration)
    tag = _track_end(stream)
    if tag is not None:
        return tag
    if container.duration:
        return round(Fraction(container.duration, 1_000_000) / base)
    return None


def _tag_seconds(value: str | None) -> Fraction | None:
    """Matroska's "HH:MM:SS.nnnnnnnnn" duration tag, exactly."""
    if not value:
        return None
    parts = value.strip().split(":")
    if len(parts) != 3:
        return None
    try:
        hours, minutes = int(parts[0]), int(parts[1])
        seconds = Fraction(parts[2])
    except (ValueError, ZeroDivisionError):
        return None
    if hours < 0 or not 0 <= minutes < 60 or not 0 <= seconds < 60:
        return None
    return hours * 3600 + minutes * 60 + seconds


class _Timing:
    """Makes the written video last exactly as long as the input's, to its time base.

    The MP4 muxer takes a track's length from the decode timestamps: every sample lasts until
    the next one is decoded, the last one as long as its packet says. Left to the encoder
    that is a mean-rate guess, so a variable-frame-rate clip came out longer or shorter than
    it went in. The input's length is read from its own packets as they are demuxed (`saw`):
    for MP4/MOV the same decode-time span; for Matroska/WebM, whose packets carry each
    frame's display duration, from the first frame shown to the end of the last. Each written
    packet is held until the next one comes (it lasts until then), and the last is given the
    duration that makes the written span the input's. The writer encodes without B-frames
    (`_encode`), so decode and display times are one and this span is also the one shown.
    """

    def __init__(self, out: av.container.OutputContainer, decode_order: bool) -> None:
        self.out = out
        self.decode_order = decode_order  # the input's packets are timed as MP4 times them
        self.in_first: int | None = None
        self.in_end: int | None = None
        self.in_last: tuple[int, int] | None = None  # (pts, duration) of its last frame shown
        self.held: av.Packet | None = None
        self.first_dts: int | None = None
        self.first_pts: int | None = None
        self.shown: list[int] = []  # the two latest presentation times written

    def saw(self, packet: av.Packet) -> None:
        """An input video packet, as demuxed."""
        at = packet.dts if self.decode_order else packet.pts
        if at is None or packet.is_discard:  # cut by an edit list: never shown
            return
        if self.in_first is None or at < self.in_first:
            self.in_first = at
        if packet.pts is not None and (self.in_last is None or packet.pts >= self.in_last[0]):
            self.in_last = (packet.pts, int(packet.duration or 0))
        if packet.duration:
            end = at + int(packet.duration)
            self.in_end = end if self.in_end is None else max(self.in_end, end)

    def input_span(self) -> int | None:
        """The input's length in its time base, from its packets (None: they do not say)."""
        if self.in_first is None or self.in_end is None or self.in_last is None:
            return None
        if not self.decode_order and not self.in_last[1]:
            return None  # its last frame's duration is not given: ask the header
        return self.in_end - self.in_first if self.in_end > self.in_first else None

    def mux(self, packet: av.Packet) -> None:
        if self.first_dts is None:
            self.first_dts = packet.dts
        if packet.pts is not None:
            if self.first_pts is None or packet.pts < self.first_pts:
                self.first_pts = packet.pts
            self.shown = sorted([*self.shown, packet.pts])[-2:]
        held, self.held = self.held, packet
        if held is not None:
            if held.dts is not None and packet.dts is not None and packet.dts > held.dts:
                held.duration = packet.dts - held.dts
            self.out.mux(held)

    def finish(self, track_end: int | None, header_end: int | None) -> None:
        """The encoder is drained: the last packet ends the written track as long after its
        first frame as the input's: at `track_end` if given, else by the input's packets,
        else at `header_end`, else one frame gap after the last frame."""
        held, self.held = self.held, None
        if held is None:
            return
        span = None
        if track_end is not None and self.first_pts is not None:
            span = track_end - self.first_pts
        if span is None or span <= 0:
            span = self.input_span()
        if span is None and header_end is not None and self.first_pts is not None:
            span = header_end - self.first_pts
        if self.first_pts is not None and self.shown and (
                span is None or self.first_pts + span <= self.shown[-1]):
            gap = self.shown[-1] - self.shown[0] if len(self.shown) == 2 else 0
            span = self.shown[-1] + max(gap, 1) - self.first_pts
        if span is not None and held.dts is not None and self.first_dts is not None:
            duration = self.first_dts + span - held.dts
            if duration > 0:
                held.duration = duration
        self.out.mux(held)


def _encode(source: Path, tmp: Path, info: ClipInfo, regions: list[list[Region]],
            method: Method, keep_audio: bool, progress: Progress | None, n: int) -> int:
    rng = np.random.default_rng()
    try:
        src = _open(source)
    except CrowdveilError:
        raise
    written = 0
    with src:
        vin = _video_stream(src)
        vin.thread_type = "AUTO"
        ain = src.streams.audio[0] if keep_audio and src.streams.audio else None
        try:
            out = av.open(str(tmp), mode="w", format="mp4",
                          options={"fflags": "+bitexact", "movflags": "+write_colr"})
        except (av.FFmpegError, OSError) as exc:
            raise WriteError("write.cannot_write", file=display_path(tmp),
                             reason=first_line(str(exc))) from exc
        with out:
            # no B-frames: each frame is then decoded when it is shown, so the muxer's
            # decode-time track length is the shown one and every frame keeps its own
            # duration (_Timing); about 12 % more bytes at this quality, and faster to encode
            vout = out.add_stream("libx264", rate=info.rate,
                                  options={"crf": str(CRF), "preset": PRESET, "bf": "0"})
            vout.width, vout.height, vout.pix_fmt = info.width, info.height, "yuv420p"
            if method == "fill":
                # a fill keeps the input's YUV values, so the stream says what the input said
                # (matrix, primaries, transfer; always limited range): told another matrix, a
                # player showed a phone's BT.2020 HLG clip 5 levels off on average. The
                # transfer is kept, not tone-mapped: HDR stays HDR where the player shows it.
                # An RGB input was converted with swscale's default matrix: that one it keeps
                cin, cout = vin.codec_context, vout.codec_context
                described = ("color_primaries", "color_trc") + (
                    ("colorspace",) if _yuv(cin.pix_fmt) else ())
                for name in described:
                    if getattr(cin, name) != _UNSPECIFIED:
                        setattr(cout, name, getattr(cin, name))
                cout.color_range = ColorRange.MPEG
            base = vin.time_base
            if base is None:  # every demuxed stream has one; without it no timestamp means a thing
                raise LoadError("video.no_time_base")
            vout.time_base = base
            vout.codec_context.time_base = base
            vout.codec_context.flags |= av.codec.context.Flags.bitexact
            aout = None
            if ain is not None:
                aout = out.add_stream("aac", rate=ain.codec_context.sample_rate or 48000)
                aout.codec_context.flags |= av.codec.context.Flags.bitexact
            streams = [vin] + ([ain] if ain is not None else [])
            timing = _Timing(out, decode_order="mp4" in src.format.name.split(","))
            last_pts = None
            try:
                for packet in src.demux(*streams):
                    if packet.stream.type == "video":
                        timing.saw(packet)
                        for frame in packet.decode():
                            if written >= n or not isinstance(frame, av.VideoFrame):
                                continue
                            of = redacted_frame(frame, info.orientation, regions[written],
                                                method, rng)
                            pts = frame.pts if frame.pts is not None else written
                            if last_pts is not None and pts <= last_pts:
                                pts = last_pts + 1
                            of.pts, of.time_base, last_pts = pts, vin.time_base, pts
                            for p in vout.encode(of):
                                timing.mux(_strip_sei(p))
                            written += 1
                            if progress:
                                progress("write", written, n)
                    elif aout is not None:
                        for frame in packet.decode():
                            if not isinstance(frame, av.AudioFrame):
                                continue
                            frame.pts = None
                            for p in aout.encode(frame):
                                out.mux(p)
                for p in vout.encode():
                    timing.mux(_strip_sei(p))
                timing.finish(None if timing.decode_order else _track_end(vin),
                              _header_end(src, vin))
                if aout is not None:
                    for p in aout.encode():
                        out.mux(p)
            except av.FFmpegError as exc:
                raise LoadError("video.damaged", detail=first_line(str(exc))) from exc
    return written


