"""Following faces through a clip: from what the search pass found in each frame
(`Searched`: the faces, the faint ones, the camera's motion) to the regions every frame
destroys (`track_found`).

A face that shows in one frame identifies someone as well as in a hundred, so the tracker only
ever adds: a face found at one frame stays destroyed, following its track, through the frames
where the detector lost it or did not look (interpolated between sightings, carried with the
camera's motion, held before and after), and every uncertainty makes a region larger, never
absent. Nothing here reads or writes a file: formats/video.py searches the frames and draws
these regions into them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from ..detect.base import Detection
from ..regions import SURE_SCORE, Region, clip_region, faint_geometry, head_geometry, head_region
from . import motion
from .motion import Affine

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
        heads = []
        for d in dets:
            region = head_region(d, width, height, faint_geometry if faint else head_geometry)
            if region is not None:
                heads.append((_box(region), d))
        cut = [box[0] <= 0 or box[1] <= 0 or box[2] >= width or box[3] >= height
               for box, _ in heads]
        if camera is not None and heads:
            scene = motion.map_boxes(camera[t], [box for box, _ in heads])
            boxes = [(b, d) for b, (_, d) in zip(scene, heads, strict=True)]
        else:
            boxes = heads
        live = [tr for tr in tracks if t - tr.last()[0] <= window]
        pairs = []
        predictions = [_prediction(tr, t) for tr in live]
        reachable = _reachable(predictions, [box for box, _ in boxes])
        mine = np.repeat(np.arange(len(boxes)), [len(r) for r in reachable])
        if len(mine):
            theirs = np.concatenate(reachable)
            overlaps = _ious(np.array([box for box, _ in boxes])[mine],
                             np.array([pr[0] for pr in predictions])[theirs])
            for i, j, overlap in zip(mine.tolist(), theirs.tolist(), overlaps.tolist(),
                                     strict=True):
                how = _follows(boxes[i][0], predictions[j], overlap)
                if how is not None:
                    pairs.append((how, i, j))
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
    # per frame, the scene boxes to draw (and their tracks): mapped into the frame together
    drawn: list[list[tuple[Box, _Track]]] = [[] for _ in range(n)]
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
            drawn[t].append((box, tr))
    for t, items in enumerate(drawn):
        if not items:
            continue
        frame_boxes = [box for box, _ in items]
        if to_frame is not None:
            frame_boxes = motion.map_boxes(to_frame[t], frame_boxes)
        for box, (_, tr) in zip(frame_boxes, items, strict=True):
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


def _ious(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """`_iou` of each row of `a` with the same row of `b` ((n, 4) boxes), the same floats."""
    ix = np.maximum(0.0, np.minimum(a[:, 2], b[:, 2]) - np.maximum(a[:, 0], b[:, 0]))
    iy = np.maximum(0.0, np.minimum(a[:, 3], b[:, 3]) - np.maximum(a[:, 1], b[:, 1]))
    inter = ix * iy
    union = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1]) + (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    union = union - inter
    out = np.zeros(len(a))
    np.divide(inter, union, out=out, where=union > 0)
    return out


def _follows(box: Box, prediction: Prediction, overlap: float) -> float | None:
    """How well `box` continues the track `prediction` is made for (higher is better), None
    if it cannot.

    A join is judged by `overlap`, the box's `_iou` with where the track's speed puts it
    (above 1; `_ious` gives it for a frame's candidates at once), or, after
    a gap, by a distance that grows with the gap (below 1: a loose join). A wrong join costs
    area, never a face: the frames of a loose join's gap get both the interpolation and each
    end's hold (`_track_boxes`).
    """
    predicted, size, reach = prediction
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


def track_found(found: Searched, width: int, height: int, rate: float
                ) -> tuple[list[list[Region]], int]:
    """`track` on what the search pass (formats.video.search) found: its faces, its faint
    faces where they persist (seen by FAINT_SIGHTINGS full searches on one track), and its
    small faint faces where other full searches saw them too (`_supported`). Returns the
    regions per frame and the number of faces followed."""
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
            b = np.array(motion.map_boxes(found.camera[t], [det_box(d) for d in ds]))
            scene[t] = ((b[:, :2] + b[:, 2:]) / 2,
                        np.maximum(b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]))
    # each frame's boxes in the order of their centres' x: a box is compared only with the
    # other frame's boxes whose centre is within reach along x (a crowd's frames hold
    # hundreds of small boxes, and every box against every box took 1.7 s a clip)
    by_x = {t: np.argsort(c[:, 0], kind="stable") for t, (c, _) in scene.items()}
    out: list[list[Detection]] = [[] for _ in range(n)]
    for t, (centres, sizes) in scene.items():
        support = np.zeros(len(sizes), dtype=int)
        for u, (their_centres, their_sizes) in scene.items():
            if u == t or abs(u - t) > window or cuts[max(t, u)] != cuts[min(t, u)]:
                continue
            support += _near_in(centres, sizes, their_centres, their_sizes, by_x[u])
        out[t] = [d for d, k in zip(found.small[t], support, strict=True)
                  if k >= SMALL_SUPPORT]
    return out


def _near_in(centres: np.ndarray, sizes: np.ndarray, their_centres: np.ndarray,
             their_sizes: np.ndarray, their_order: np.ndarray) -> np.ndarray:
    """For each box (`centres`, `sizes`), whether one of theirs is at its place: centres
    within SMALL_REACH of the larger size, sizes within 2x. Only pairs whose centres are
    within reach along x (with a margin for rounding) are tested, by the same test."""
    xs = their_centres[their_order, 0]
    reach = SMALL_REACH * np.maximum(sizes, their_sizes.max()) * (1 + 1e-9) + 1e-9
    lo = np.searchsorted(xs, centres[:, 0] - reach, side="left")
    hi = np.searchsorted(xs, centres[:, 0] + reach, side="right")
    counts = hi - lo
    mine = np.repeat(np.arange(len(sizes)), counts)
    step = np.arange(len(mine)) - np.repeat(np.cumsum(counts) - counts, counts)
    theirs = their_order[np.repeat(lo, counts) + step]
    apart = np.hypot(centres[mine, 0] - their_centres[theirs, 0],
                     centres[mine, 1] - their_centres[theirs, 1])
    ratio = sizes[mine] / np.maximum(their_sizes[theirs], 1e-6)
    near = apart <= SMALL_REACH * np.maximum(sizes[mine], their_sizes[theirs])
    hit = np.zeros(len(sizes), dtype=bool)
    hit[mine[near & (ratio >= 0.5) & (ratio <= 2.0)]] = True
    return hit


def det_box(d: Detection) -> Box:
    return (d.x, d.y, d.x + d.w, d.y + d.h)


def near_any(box: Box, others: list[Box]) -> bool:
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

