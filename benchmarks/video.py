"""Video benchmark (issue 14): crowdveil against deface 1.5 on clips built from the dev photos.

    .venv/bin/python benchmarks/video.py [--seconds 5] [--sizes 720 1080] [--no-deface]
        [--seeds 0 1 2] [--reuse-clips] [--results FILE.json]

Each clip is a camera moving over a mosaic of the dev set's annotated photos (../shared/data/
facemask): a pan across it while the zoom breathes between 1x and 1.35x, 30 fps, H.264, with
a sound track and phone-like metadata planted (QuickTime Keys: ISO 6709 GPS, make, model,
creation date). The ground truth is every annotated face box carried through the camera's
crop and scale, per frame, with a face id. `--seeds`: 0 is the table's clip of each size (the
mosaic shuffled with the height as seed, the pan left to right, top to bottom); any other seed
shuffles the photos with it and picks the pan's direction, for clips no setting was tuned on.

Both tools fill faces black (crowdveil --method fill, deface --replacewith solid), so a face
counts as hidden in a frame when >= 80 % of its box is black in the output (the shared
scorer's COVER rule, read from pixels). Reported per tool and clip:
- per-frame recall for faces >= 10 px (min side),
- exposures: faces >= 20 px shown (not hidden) in at least one frame,
- the longest run of consecutive frames one face >= 10 px shows,
- frames per second, end to end (the command's wall time, model loading included),
- the share of frame area filled away from any face (boxes grown 2x): the cost of holding,
- whether frame count, rate, duration and size were kept, and metadata/sound left.
Results go to benchmarks/_work/video-*.json and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEV = REPO.parent / "shared" / "data" / "facemask"
WORK = HERE / "_work"
DEFACE_VENV = WORK / "deface-venv"
RATE = 30
COVER = 0.8
BLACK = 24  # max channel at or below which an output pixel counts as filled
PLANTED = {
    "com.apple.quicktime.location.ISO6709": "+48.8566+002.3522+035.000/",
    "com.apple.quicktime.make": "Apple",
    "com.apple.quicktime.model": "iPhone 15 Pro",
    "com.apple.quicktime.creationdate": "2026-05-01T14:03:22+0200",
    "creation_time": "2026-05-01T12:03:22Z",
}


@functools.cache
def _annotations() -> dict:
    return json.loads((DEV / "annotations.json").read_text())


def mosaic(cell_h: int, cols: int, rows: int, seed: int) -> tuple[np.ndarray, list[tuple]]:
    """Dev photos scaled to `cell_h` tall, packed in rows; their faces (id, x, y, w, h)."""
    truth = _annotations()
    names = sorted(truth)
    rng = np.random.default_rng(seed)
    rng.shuffle(names)
    canvas_rows, faces, k = [], [], 0
    width = None
    for r in range(rows):
        row, x = [], 0
        for _ in range(cols):
            name = names[k % len(names)]
            k += 1
            img = cv2.cvtColor(cv2.imread(str(DEV / "images" / name)), cv2.COLOR_BGR2RGB)
            s = cell_h / img.shape[0]
            img = cv2.resize(img, (round(img.shape[1] * s), cell_h), interpolation=cv2.INTER_AREA)
            for i, (fx, fy, fw, fh) in enumerate(truth[name]):
                faces.append((f"{name}#{i}", x + fx * s, r * cell_h + fy * s, fw * s, fh * s))
            row.append(img)
            x += img.shape[1]
        canvas_rows.append(np.concatenate(row, axis=1))
        width = min(width or 10**9, canvas_rows[-1].shape[1])
    canvas = np.concatenate([c[:, :width] for c in canvas_rows], axis=0)
    return canvas, [f for f in faces if f[1] + f[3] <= width]


def photo_side(fid: str) -> float:
    """A face's min side in its own dev photo ("name#i"): the detail a clip's face carries.
    The mosaic's cells scale the 400 px photos 1.3-2.4x and the zoom up to 1.35x more, so a
    face >= 20 px in a clip may be a 6-10 px face in its photo, blown up and soft."""
    name, i = fid.rsplit("#", 1)
    _, _, w, h = _annotations()[name][int(i)]
    return float(min(w, h))


def camera(t: float, canvas: np.ndarray, out_w: int, out_h: int,
           flip: tuple[bool, bool] = (False, False)) -> tuple[float, float, float]:
    """(x, y, scale) of the crop at time t in [0, 1]: a diagonal pan, the zoom breathing.

    `flip` reverses the pan's horizontal / vertical direction (right to left, bottom to top).
    """
    zoom = 1.0 + 0.35 * (0.5 - 0.5 * np.cos(2 * np.pi * t * 1.5))
    cw, ch = out_w / zoom, out_h / zoom
    h, w = canvas.shape[:2]
    px = 1.0 - t if flip[0] else t
    py = 0.5 - 0.5 * np.cos(np.pi * t)
    py = 1.0 - py if flip[1] else py
    return (w - cw) * px, (h - ch) * py, zoom


def clip_name(out_h: int, seed: int | None) -> str:
    """The table's clips (seed = height) keep their old names; other seeds are named by seed."""
    return f"video-{out_h}p" if seed in (None, 0, out_h) else f"video-{out_h}p-s{seed}"


def build_clip(path: Path, out_w: int, out_h: int, seconds: float,
               seed: int | None = None) -> dict:
    """Build the clip; `seed` (default: the height, the table's clips) picks the mosaic's photo
    order and, for any other seed, the pan's direction, so held-out clips are not the ones every
    setting was tuned on."""
    seed = out_h if seed in (None, 0) else seed
    canvas, faces = mosaic(cell_h=out_h // 2, cols=6, rows=3, seed=seed)
    flip = (False, False)
    if seed != out_h:
        # its own stream, so the photo order above stays what the seed alone gives
        rng = np.random.default_rng([seed, 1])
        flip = (bool(rng.integers(2)), bool(rng.integers(2)))
    n = round(seconds * RATE)
    truth: list[list[tuple]] = []
    with av.open(str(path), "w", options={"movflags": "use_metadata_tags"}) as c:
        c.metadata.update(PLANTED)
        v = c.add_stream("libx264", rate=RATE, options={"crf": "18", "preset": "veryfast"})
        v.width, v.height, v.pix_fmt = out_w, out_h, "yuv420p"
        a = c.add_stream("aac", rate=48000)
        for i in range(n):
            x, y, z = camera(i / max(1, n - 1), canvas, out_w, out_h, flip)
            m = np.float32([[z, 0, -x * z], [0, z, -y * z]])
            frame = cv2.warpAffine(canvas, m, (out_w, out_h), flags=cv2.INTER_LINEAR)
            boxes = []
            for fid, fx, fy, fw, fh in faces:
                bx, by, bw, bh = (fx - x) * z, (fy - y) * z, fw * z, fh * z
                x0, y0 = max(0.0, bx), max(0.0, by)
                x1, y1 = min(out_w, bx + bw), min(out_h, by + bh)
                if x1 - x0 >= 0.6 * bw and y1 - y0 >= 0.6 * bh:  # mostly in the frame
                    boxes.append((fid, x0, y0, x1 - x0, y1 - y0))
            truth.append(boxes)
            for p in v.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                c.mux(p)
        for p in v.encode():
            c.mux(p)
        samples = int(48000 * n / RATE)
        tone = (0.1 * np.sin(np.arange(samples) * 2 * np.pi * 220 / 48000)).astype(np.float32)
        for s in range(0, samples, 1024):
            f = av.AudioFrame.from_ndarray(tone[None, s:s + 1024].copy(), format="fltp",
                                           layout="mono")
            f.sample_rate = 48000
            for p in a.encode(f):
                c.mux(p)
        for p in a.encode():
            c.mux(p)
    return {"frames": n, "truth": truth, "seed": seed, "flip": list(flip)}


def facts(path: Path) -> dict:
    with av.open(str(path)) as c:
        v = c.streams.video[0]
        frames = sum(1 for _ in c.decode(v))
        return {"size": [v.codec_context.width, v.codec_context.height], "frames": frames,
                "rate": str(v.average_rate), "duration": float(v.duration * v.time_base),
                "audio": bool(c.streams.audio),
                "tags": sorted(k for k in c.metadata
                               if k not in ("major_brand", "minor_version", "compatible_brands"))}


class Tally:
    """The benchmark's figures, frame by frame: `add` one frame's pixels the tool blacked
    (`hidden`) and blacked where the input was not black (`filled`), then `result`. Shared with
    video_replay.py, which scores the tracker's masks by the same rules."""

    def __init__(self) -> None:
        self.shown: dict[str, list[int]] = {}
        self.where: dict[str, list[list]] = {}  # per shown face: [frame, x, y, w, h, cover]
        self.sizes: dict[str, float] = {}
        self.hit = self.total = self.over = self.area = 0

    def add(self, t: int, hidden: np.ndarray, filled: np.ndarray, faces: list[tuple]) -> None:
        # filled away from faces: boxes grown 2x
        near = np.zeros_like(filled)
        for _, x, y, w, h in faces:
            near[max(0, int(y - h / 2)):int(y + 1.5 * h) + 1,
                 max(0, int(x - w / 2)):int(x + 1.5 * w) + 1] = True
        self.over += int((filled & ~near).sum())
        self.area += filled.size
        for fid, x, y, w, h in faces:
            x0, y0 = int(x), int(y)
            x1, y1 = max(x0 + 1, int(np.ceil(x + w))), max(y0 + 1, int(np.ceil(y + h)))
            side = min(w, h)
            if side < 10:
                continue
            cover = float(hidden[y0:y1, x0:x1].mean())
            covered = cover >= COVER
            self.total += 1
            self.hit += covered
            self.sizes[fid] = max(self.sizes.get(fid, 0.0), side)
            if not covered:
                self.shown.setdefault(fid, []).append(t)
                self.where.setdefault(fid, []).append(
                    [t, round(x), round(y), round(w), round(h), round(cover, 2)])

    def result(self) -> dict:
        longest = 0
        for ts in self.shown.values():
            run = best = 1
            for a, b in zip(ts, ts[1:], strict=False):
                run = run + 1 if b == a + 1 else 1
                best = max(best, run)
            longest = max(longest, best)
        exposed = [f for f in self.shown if self.sizes[f] >= 20]
        return {"recall_10px": self.hit / max(1, self.total), "face_frames": self.total,
                "faces": len(self.sizes),
                "faces_20px": sum(1 for s in self.sizes.values() if s >= 20),
                "exposed_20px": len(exposed), "longest_shown_run": longest,
                "area_away_from_faces": self.over / max(1, self.area),
                "shown_20px": {f: self.where[f] for f in exposed}}


def score(clip: Path, output: Path, truth: list[list[tuple]]) -> dict:
    tally = Tally()
    with av.open(str(output)) as c, av.open(str(clip)) as src:
        for t, (frame, orig) in enumerate(zip(c.decode(video=0), src.decode(video=0),
                                              strict=False)):
            if t >= len(truth):
                break
            out = frame.to_ndarray(format="rgb24")
            if out.shape[:2] != (orig.height, orig.width):
                # deface (imageio-ffmpeg) scales 1920x1080 to 1920x1088: scale it back to score
                out = cv2.resize(out, (orig.width, orig.height), interpolation=cv2.INTER_NEAREST)
            black = out.max(axis=2) <= BLACK
            # filled by the tool: black now, not before
            filled = black & (orig.to_ndarray(format="rgb24").max(axis=2) > BLACK)
            tally.add(t, black, filled, truth[t])
    return tally.result()


def run_crowdveil(clip: Path, out: Path) -> float:
    if out.exists():
        shutil.rmtree(out)
    start = time.perf_counter()
    # this interpreter, this checkout's package: a worktree has no venv of its own
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    subprocess.run([sys.executable, "-c", "import sys; from crowdveil.cli import main; "
                    "sys.exit(main())", str(clip), "-o", str(out),
                    "-q", "--no-resume", "--timeout", "0"], check=True, env=env)
    return time.perf_counter() - start


def ensure_deface() -> Path:
    deface = DEFACE_VENV / "bin" / "deface"
    if not deface.exists():
        print("creating the deface venv (pip install deface==1.5.0) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(DEFACE_VENV)], check=True)
        subprocess.run([str(DEFACE_VENV / "bin" / "pip"), "install", "-q", "deface==1.5.0"],
                       check=True)
    return deface


def run_deface(clip: Path, out: Path) -> float:
    deface = ensure_deface()
    out.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    subprocess.run([str(deface), "--replacewith", "solid", str(clip), "-o", str(out)],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--sizes", type=int, nargs="+", default=[720, 1080])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0],
                    help="mosaic/photo order/pan seeds; 0 (the default) is the table's clip of "
                         "each size (seed = its height, pan as before)")
    ap.add_argument("--no-deface", action="store_true")
    ap.add_argument("--reuse-clips", action="store_true",
                    help="keep clips already built with their truth (same seconds assumed)")
    ap.add_argument("--results", type=Path, default=WORK / "video-results.json")
    args = ap.parse_args()
    if not (DEV / "annotations.json").is_file():
        print(f"needs the dev set at {DEV}", file=sys.stderr)
        return 2
    WORK.mkdir(parents=True, exist_ok=True)
    rows = []
    for h, seed in [(h, s) for s in args.seeds for h in args.sizes]:
        w = h * 16 // 9
        stem = clip_name(h, seed)
        clip = WORK / f"{stem}.mov"
        truth_file = WORK / f"{stem}-truth.json"
        if args.reuse_clips and clip.is_file() and truth_file.is_file():
            built = json.loads(truth_file.read_text())
        else:
            built = build_clip(clip, w, h, args.seconds, seed)
            truth_file.write_text(json.dumps(built))
        before = facts(clip)
        tools = [("crowdveil", run_crowdveil, WORK / f"{stem}-crowdveil")]
        if not args.no_deface:
            tools.append(("deface 1.5", run_deface, WORK / f"{stem}-deface" / "out.mp4"))
        for name, fn, out in tools:
            seconds = fn(clip, out)
            written = out / f"{stem}.mp4" if out.suffix != ".mp4" else out
            after = facts(written)
            row = {"clip": f"{w}x{h}", "seed": built["seed"], "tool": name,
                   **score(clip, written, built["truth"]),
                   "fps": built["frames"] / seconds, "seconds": seconds,
                   "kept": {k: before[k] == after[k] for k in ("size", "frames", "rate")}
                   | {"duration": abs(before["duration"] - after["duration"]) < 1e-3},
                   "audio_left": after["audio"], "tags_left": after["tags"]}
            row["shown_photo_px"] = {f: photo_side(f) for f in row["shown_20px"]}
            rows.append(row)
            print(json.dumps(row), file=sys.stderr)
    args.results.write_text(json.dumps(rows, indent=1))
    print("| clip | seed | tool | recall >=10 px | faces >=20 px shown "
          "| longest run shown (frames) | fps | area filled away from faces "
          "| size/frames/rate/duration kept | sound left "
          "| tags left |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        kept = "/".join("yes" if r["kept"][k] else "NO"
                        for k in ("size", "frames", "rate", "duration"))
        print(f"| {r['clip']} | {r['seed']} | {r['tool']} | {r['recall_10px']:.4f} | "
              f"{r['exposed_20px']} of {r['faces_20px']} | {r['longest_shown_run']} | "
              f"{r['fps']:.2f} | "
              f"{100 * r['area_away_from_faces']:.1f} % | {kept} | "
              f"{'yes' if r['audio_left'] else 'no'} | {', '.join(r['tags_left']) or 'none'} |")
    for r in rows:
        for fid, where in r["shown_20px"].items():
            sides = [min(w, h) for _, _, _, w, h, _ in where]
            print(f"{r['clip']} seed {r['seed']} {r['tool']}: {fid} shown in {len(where)} "
                  f"frames, {min(sides)}-{max(sides)} px there, {photo_side(fid):g} px in its "
                  "photo")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sys.exit(main())
