"""Replay the video tracker on saved searches: try a tracking setting in seconds, not minutes.

    .venv/bin/python benchmarks/video_replay.py save video-1080p video-720p-s1 ...
        [--precision int8 --tag i8]
    .venv/bin/python benchmarks/video_replay.py score video-1080p ... [--grow G]
        [--yunet all|full] [--yunet-threshold T]

`save` runs the search pass (the detector on every frame, what `crowdveil` does before
tracking) on clips that benchmarks/video.py built in benchmarks/_work, and keeps what it found
(benchmarks/_work/replay/NAME.pkl). `score` tracks those finds as the CLI does
(formats/tracking.track_found) and scores the regions' masks against the clip's ground truth with
video.py's rules (a face is hidden in a frame when >= 80 % of its box is filled): per-frame
recall for faces >= 10 px, faces >= 20 px shown in some frame (with the frames and cover), and
the share of frame area filled away from faces. Scoring masks, not the encoded output, differs
from video.py by a few hundredths of a point of recall at most.

Variants: `--grow G` draws every region at G times formats/tracking.REGION_GROW's setting;
`--no-track` scores each frame's own finds (the same search pass without the tracker);
`--yunet all|full` adds YuNet (../shared/models/yunet, benchmarks/yunet.py; not in the package)
as separate tracks beside the ensemble's, on every frame or on the full-search frames only.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))
sys.path.insert(0, str(HERE))

from video import Tally, photo_side  # noqa: E402  (benchmarks/video.py: the same scoring rules)

from crowdveil.detect import Detection  # noqa: E402
from crowdveil.formats import tracking, video  # noqa: E402
from crowdveil.redact import regions_mask  # noqa: E402
from crowdveil.regions import head_geometry, head_region  # noqa: E402

WORK = HERE / "_work"
SAVED = WORK / "replay"


def save(names: list[str], precision: str = "auto", tag: str = "") -> None:
    from crowdveil.detect import DetectorSettings, build_detector

    SAVED.mkdir(parents=True, exist_ok=True)
    detector = build_detector(DetectorSettings(precision=precision))
    for name in names:
        clip = WORK / f"{name}.mov"
        info = video.probe_writable(clip)
        start = time.perf_counter()
        found = video.search(clip, info, detector)
        print(f"{name}: searched in {time.perf_counter() - start:.1f} s", flush=True)
        with open(SAVED / f"{name}{tag}.pkl", "wb") as fh:
            pickle.dump((info.width, info.height, video.frame_rate(info), found), fh)


def _yunet(name: str, frames: int) -> list[list]:
    """YuNet's finds (score >= 0.05) in every frame of the clip, computed once and kept."""
    import av
    from yunet import YuNetDetector

    kept = SAVED / f"{name}-yunet.pkl"
    if kept.is_file():
        with open(kept, "rb") as fh:
            return pickle.load(fh)
    detector = YuNetDetector(threshold=0.05)
    found = []
    with av.open(str(WORK / f"{name}.mov")) as c:
        for frame in c.decode(video=0):
            found.append(detector.detect(frame.to_ndarray(format="rgb24")))
    with open(kept, "wb") as fh:
        pickle.dump(found[:frames], fh)
    return found[:frames]


def untracked(found: tracking.Searched, width: int, height: int) -> list[list]:
    """Each frame's own finds only, drawn as the tracker draws a sighting (tracking._region):
    what the same search pass hides without tracking, holding or carrying."""
    out = []
    for dets in found.detections:
        frame = []
        for d in dets:
            head = head_region(d, width, height, head_geometry)
            drawn = None if head is None else tracking._region(
                tracking._box(head), tracking._Track(score=d.score, source=d.source), width, height)
            if drawn is not None:
                frame.append(drawn)
        out.append(frame)
    return out


def from_raw(found: tracking.Searched) -> tracking.Searched:
    """The search as the product makes it today, from a `-raw` save (every CenterFace box the
    full search scored down to 0.2x its pass's threshold, unmerged, its source tagged
    "centerface@THRESHOLD"): the faint and small faint boxes picked with formats/video's
    current ratios and merged as detect_faint merges them."""
    from crowdveil.detect.merge import merge_detections

    faint, small = [], []
    for dets in found.faint:
        f, s = [], []
        for d in dets:
            threshold = float(d.source.split("@")[1])
            plain = Detection(d.x, d.y, d.w, d.h, d.score, "centerface")
            if d.score >= threshold * tracking.FAINT_RATIO:
                f.append(plain)
            if (max(d.w, d.h) <= tracking.SMALL_FAINT_SIDE
                    and d.score >= threshold * tracking.SMALL_FAINT_RATIO):
                s.append(plain)
        faint.append(merge_detections(f))
        small.append(merge_detections(s))
    return tracking.Searched(found.detections, found.searched, found.camera, faint,
                          found.steady, small)


def score(name: str, grow: float, yunet: str | None, yunet_threshold: float,
          tag: str = "", track: bool = True) -> dict:
    with open(SAVED / f"{name}{tag}.pkl", "rb") as fh:
        width, height, rate, found = pickle.load(fh)
    if tag == "-raw":
        found = from_raw(found)
    if not hasattr(found, "small"):  # saved before the search reported small faint boxes
        found.small = []
    truth = json.loads((WORK / f"{name}-truth.json").read_text())["truth"]
    tracking.REGION_GROW, before = tracking.REGION_GROW * grow, tracking.REGION_GROW
    try:
        if track:
            regions, _ = tracking.track_found(found, width, height, rate)
        else:
            regions = untracked(found, width, height)
        if yunet:
            finds = _yunet(name, len(found))
            dets = [[d for d in ds if d.score >= yunet_threshold]
                    if yunet == "all" or found.searched[t] else [] for t, ds in enumerate(finds)]
            more, _ = tracking.track(dets, width, height, rate, found.camera,
                                     found.searched if yunet == "full" else None,
                                     steady=found.steady or None)
            regions = [a + b for a, b in zip(regions, more, strict=True)]
    finally:
        tracking.REGION_GROW = before
    tally = Tally()
    for t, frame_regions in enumerate(regions[: len(truth)]):
        filled = regions_mask(frame_regions, height, width)
        tally.add(t, filled, filled, truth[t])
    return {"clip": name, **tally.result()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("what", choices=["save", "score"])
    ap.add_argument("clips", nargs="+", help="clip names in benchmarks/_work, e.g. video-1080p")
    ap.add_argument("--grow", type=float, default=1.0)
    ap.add_argument("--yunet", choices=["all", "full"])
    ap.add_argument("--yunet-threshold", type=float, default=0.3)
    ap.add_argument("--precision", default="auto", choices=["auto", "fp32", "int8"],
                    help="save: CenterFace's precision for the search pass")
    ap.add_argument("--tag", default="", help="saved as / scored from replay/NAME-TAG.pkl; "
                    "tag raw: a search saved with every faint box (`from_raw`)")
    ap.add_argument("--no-track", action="store_true",
                    help="score each frame's own finds, without the tracker")
    args = ap.parse_args()
    tag = f"-{args.tag}" if args.tag else ""
    if args.what == "save":
        save(args.clips, args.precision, tag)
        return 0
    shown = 0
    for name in args.clips:
        r = score(name, args.grow, args.yunet, args.yunet_threshold, tag, not args.no_track)
        shown += r["exposed_20px"]
        print(f"{name}: recall >=10 {r['recall_10px']:.4f}, shown >=20 {r['exposed_20px']}, "
              f"area away from faces {r['area_away_from_faces']:.4f}  "
              f"{json.dumps(r['shown_20px'])}")
        for fid in r["shown_20px"]:
            print(f"  {fid}: {photo_side(fid):g} px in its photo")
    print(f"faces >= 20 px shown, all clips: {shown}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
