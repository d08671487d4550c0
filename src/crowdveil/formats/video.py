"""Videos (MP4, MOV, M4V; WebM and MKV read too): read, track faces, redact, write clean MP4.

The photo path holds one image in memory; a clip never is. A clip is read twice, frame by
frame: the first pass runs the photo detector (in full every FULL_EVERY_S, a cheap glance on
the frames between) and measures the camera's motion, keeping only boxes and motion; the
tracker (formats/tracking.py) then decides the regions of every frame, holding a face's
redaction over the frames where the detector lost it or did not look, and the second pass
redacts and encodes. Nothing
but the pixels (and, if asked, re-encoded sound) reaches the new file: a fresh H.264 stream in
a fresh MP4 whose dates are zeroed and whose boxes are checked against an allowlist before it
appears.
"""

from __future__ import annotations

import contextlib
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
from ..regions import SURE_SCORE, Region
from ..reveal import Finding
from ..settings import Options
from ..write_clean import write_atomic_with
from . import VIDEO_OUTPUT_SUFFIX, VIDEO_SUFFIXES, iso, motion
from .tracking import (
    FAINT_RATIO,
    SMALL_FAINT_RATIO,
    SMALL_FAINT_SIDE,
    Box,
    Searched,
    det_box,
    near_any,
    track_found,
)

SUFFIXES = VIDEO_SUFFIXES
OUTPUT_SUFFIX = VIDEO_OUTPUT_SUFFIX
# The full search (the photo detector, every pass) runs at least this often; the frames between
# get the detector's glance, and the faces of the full searches carried by the camera's motion.
FULL_EVERY_S = 0.2
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
    the frames between them with the camera's motion (`tracking.track`). Other detectors
    search every frame in full.
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
            seen = motion.map_boxes(camera.to_scene[t], [det_box(d) for d in found])
            # only a sure face calls the full search: the glance's fainter finds are kept, and
            # held back to the last full search, but each false alarm would cost a full search
            full = any(d.score >= SURE_SCORE and not near_any(box, known)
                       for d, box in zip(found, seen, strict=True))
            known += seen
        if full:
            if split is not None:
                sure, weak, tiny = split(rgb, FAINT_RATIO, SMALL_FAINT_RATIO, SMALL_FAINT_SIDE)
            else:
                sure = detector.detect(rgb)
            found = merge_detections(found + sure) if found else sure
            known = motion.map_boxes(camera.to_scene[t], [det_box(d) for d in found])
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


