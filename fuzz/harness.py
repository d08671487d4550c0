"""Structure-aware mutation of photo files, and the oracle every mutated file must satisfy.

Shared by the quick fuzz test in the suite (tests/test_fuzz.py, driven by hypothesis) and the
long run by hand (fuzz/run_fuzz.py, driven by a seeded random generator).

A mutation is a list of plain tuples, so hypothesis can shrink it and a crash can be replayed:
  ("lie", field, value)    overwrite a length/count/offset field with another number
  ("dup", span)            insert a second copy of a segment/chunk/box right after it
  ("flip", pos, xor)       xor one byte
  ("insert", pos, bytes)   insert bytes
  ("delete", pos, n)       remove n bytes
  ("truncate", pos)        cut the file
Positions and indices are taken modulo the sizes at hand, so any tuple applies to any file.

The oracle: `process_file` returns either an `ok` row whose output exists and passes
`verify_file` (which also refuses colour under alpha 0 in a lossless output; the erased-tag
seeds carry some), or an `error` row with a one-line message naming the reason; it never
raises; no temporary file is left; the input is not modified.

The report row built from the result (the default form and the --rename form) holds none of
the metadata values planted in the seeds, and under --rename not the input's path.
"""

from __future__ import annotations

import hashlib
import json
import struct
import traceback
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from crowdveil import containers, report
from crowdveil.detect import Detection
from crowdveil.pipeline import Options, process_file
from crowdveil.verify import verify_file
from crowdveil.write_clean import SUFFIX, TEMP_PREFIX

# small pictures keep each case cheap; the pixel limit keeps a lied-about size from
# turning a case into a memory test (that limit has its own tests)
FUZZ_OPTIONS = Options(max_pixels=4_000_000)


@dataclass(frozen=True)
class Field:
    offset: int
    width: int  # bytes
    big_endian: bool


@dataclass(frozen=True)
class Structure:
    fields: list[Field]  # length / count / offset fields worth lying about
    spans: list[tuple[int, int]]  # whole segments / chunks / boxes worth duplicating


def _jpeg(data: bytes) -> Structure:
    fields, spans = [], []
    try:
        layout = containers.jpeg_layout(data)
    except containers.ContainerError:
        return Structure([], [])
    for part in layout.parts:
        if part.name in ("SOI", "EOI") or part.name.startswith("RST"):
            continue
        fields.append(Field(part.offset - 2, 2, True))
        spans.append((part.offset - 4, part.offset + part.length))
        if part.name.startswith("SOF") and part.length >= 5:
            fields.append(Field(part.offset + 1, 2, True))  # height
            fields.append(Field(part.offset + 3, 2, True))  # width
    return Structure(fields, spans)


def _png(data: bytes) -> Structure:
    try:
        layout = containers.png_layout(data)
    except containers.ContainerError:
        return Structure([], [])
    fields = [Field(p.offset - 8, 4, True) for p in layout.parts]
    spans = [(p.offset - 8, p.offset + p.length + 4) for p in layout.parts]
    ihdr = layout.parts[0].offset
    fields += [Field(ihdr, 4, True), Field(ihdr + 4, 4, True)]  # width, height
    return Structure(fields, spans)


def _riff(data: bytes) -> Structure:
    try:
        layout = containers.riff_layout(data)
    except containers.ContainerError:
        return Structure([], [])
    fields = [Field(4, 4, False)] + [Field(p.offset - 4, 4, False) for p in layout.parts]
    spans = [(p.offset - 8, p.offset + p.length + (p.length & 1)) for p in layout.parts]
    return Structure(fields, spans)


def _tiff(data: bytes) -> Structure:
    big = data[:2] == b"MM"
    u16, u32 = (">H", ">I") if big else ("<H", "<I")
    fields, spans = [Field(4, 4, big)], []
    (ifd,) = struct.unpack(u32, data[4:8])
    seen = set()
    while 8 <= ifd < len(data) - 2 and ifd not in seen:
        seen.add(ifd)
        (count,) = struct.unpack(u16, data[ifd : ifd + 2])
        fields.append(Field(ifd, 2, big))
        for i in range(count):
            entry = ifd + 2 + 12 * i
            if entry + 12 > len(data):
                break
            fields += [Field(entry + 4, 4, big), Field(entry + 8, 4, big)]  # count, value
            spans.append((entry, entry + 12))
        nxt = ifd + 2 + 12 * count
        if nxt + 4 > len(data):
            break
        (ifd,) = struct.unpack(u32, data[nxt : nxt + 4])
    return Structure(fields, spans)


_BOX_CONTAINERS = {b"meta": 4, b"iprp": 0, b"ipco": 0, b"dinf": 0, b"iref": 4, b"moov": 0}


def _boxes(data: bytes, start: int, end: int, fields: list, spans: list, depth: int) -> None:
    pos = start
    while pos + 8 <= end and depth < 4:
        (size,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        if size < 8 or pos + size > end:
            return
        fields.append(Field(pos, 4, True))
        spans.append((pos, pos + size))
        if kind in _BOX_CONTAINERS:
            _boxes(data, pos + 8 + _BOX_CONTAINERS[kind], pos + size, fields, spans, depth + 1)
        elif kind == b"iloc":  # extent offsets and lengths: where the coded picture is
            fields += [Field(o, 4, True) for o in range(pos + 16, pos + size - 3, 4)]
        pos += size


def _heif(data: bytes) -> Structure:
    fields: list[Field] = []
    spans: list[tuple[int, int]] = []
    _boxes(data, 0, len(data), fields, spans, 0)
    return Structure(fields, spans)


def structure(data: bytes) -> Structure:
    kind = containers.sniff(data)
    parse = {"jpeg": _jpeg, "png": _png, "webp": _riff, "tiff": _tiff, "heif": _heif}.get(kind)
    return parse(data) if parse else Structure([], [])


def _lie(data: bytearray, field: Field, value: int) -> None:
    if field.offset < 0 or field.offset + field.width > len(data):
        return
    value %= 1 << (8 * field.width)
    data[field.offset : field.offset + field.width] = value.to_bytes(
        field.width, "big" if field.big_endian else "little")


def mutate(seed: bytes, ops: list[tuple]) -> bytes:
    """Apply `ops` to `seed`: structure-level ops first (on the intact layout), then bytes."""
    shape = structure(seed)
    data = bytearray(seed)
    for op in ops:
        if op[0] == "lie" and shape.fields:
            _lie(data, shape.fields[op[1] % len(shape.fields)], op[2])
    for op in ops:
        if op[0] == "dup" and shape.spans:
            a, b = shape.spans[op[1] % len(shape.spans)]
            data[b:b] = data[a:b]
            break  # one duplicate: later spans would have moved
    for op in ops:
        n = len(data)
        if n == 0:
            break
        if op[0] == "flip":
            data[op[1] % n] ^= op[2] or 0xFF
        elif op[0] == "insert":
            pos = op[1] % (n + 1)
            data[pos:pos] = op[2]
        elif op[0] == "delete":
            pos = op[1] % n
            del data[pos : pos + op[2]]
        elif op[0] == "truncate":
            del data[op[1] % n :]
    return bytes(data)


# -- the oracle ------------------------------------------------------------------------------


class StubDetector:
    """One 'face' in the middle of every picture: cheap, and redaction still runs.

    The detector sees only the decoded array, so a stub loses nothing a hostile file can reach.
    """

    name = "stub"

    def detect(self, rgb: np.ndarray) -> list[Detection]:
        h, w = rgb.shape[:2]
        return [Detection(w * 0.3, h * 0.3, w * 0.4, h * 0.4, 0.9, self.name)]


FORMAT_OF_SUFFIX = {s: f for f, s in SUFFIX.items()}


def check_case(
    data: bytes, name: str, detector, workdir: Path, must_succeed: bool = False
) -> str | None:
    """Run one file through the whole pipeline; return what broke the oracle, or None."""
    src_dir, out_dir = workdir / "in", workdir / "out"
    src_dir.mkdir(parents=True)
    out_dir.mkdir()
    src = src_dir / name
    src.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    try:
        result = process_file(src, out_dir / src.stem, detector, FUZZ_OPTIONS)
    except BaseException as exc:  # noqa: B036 - any escape is the bug being looked for
        if isinstance(exc, KeyboardInterrupt):
            raise
        return "crash: " + "".join(traceback.format_exception(exc)).strip()
    written = sorted(p.name for p in out_dir.iterdir())
    if any(n.startswith(TEMP_PREFIX) for n in written):
        return f"temporary file left: {written}"
    if hashlib.sha256(src.read_bytes()).hexdigest() != digest:
        return "input was modified"
    leak = report_problem(result, src)
    if leak:
        return leak
    if result.status == "ok":
        if result.output is None or len(written) != 1:
            return f"ok row but outputs {written}"
        out = out_dir / written[0]
        try:
            verify_file(out, FORMAT_OF_SUFFIX[out.suffix], result.width, result.height)
        except Exception as exc:
            return f"ok row but output fails verification: {exc}"
        return None
    if must_succeed:
        return f"a valid file was refused: {result.error}"
    if result.status != "error" or written:
        return f"status {result.status} with outputs {written}"
    msg = result.error or ""
    if not msg.strip() or "\n" in msg or "\r" in msg or "Traceback" in msg:
        return f"error message is not one line naming a reason: {msg!r}"
    if result.input != str(src):
        return f"error row does not name the file: {result.input!r}"
    return None


# what the planted seeds carry (tests/plant.py tokens) and the GPS position as reveal words it
PLANTED_GPS = "48.8566"


def report_problem(result, src: Path) -> str | None:
    """What of the input's metadata or name the report rows of `result` would give away."""
    from tests import plant

    for hide_input in (False, True):
        text = json.dumps(report.row(result, hide_input=hide_input), ensure_ascii=False)
        leaked = plant.tokens_in(text.encode("utf-8"))
        if PLANTED_GPS in text:
            leaked.append(PLANTED_GPS)
        if hide_input and str(src.parent) in text:
            leaked.append(f"input path {src}")
        if leaked:
            form = "--rename" if hide_input else "default"
            return f"report row ({form}) gives away {leaked}"
    return None


# -- seeds -----------------------------------------------------------------------------------


def seeds() -> dict[str, bytes]:
    """Small valid files of every supported kind, most carrying the metadata of a real photo."""
    import io

    from PIL import Image

    from tests import plant

    px = np.ascontiguousarray(plant.face_image(512)[::12, ::10][:40, :48])
    im = Image.fromarray(px)

    def saved(image: Image.Image, fmt: str, **kw) -> bytes:
        buf = io.BytesIO()
        image.save(buf, fmt, **kw)
        return buf.getvalue()

    return {
        "camera.jpg": plant.jpeg_with_everything(px, orientation=6),
        "progressive.jpg": saved(im, "JPEG", progressive=True, quality=80),
        "cmyk.jpg": saved(im.convert("CMYK"), "JPEG"),
        "two.mpo": plant.mpo_with_second_image(px),
        "text.png": plant.png_with_text(px, with_alpha=True),
        "palette.png": saved(im.convert("P", palette=Image.Palette.ADAPTIVE), "PNG"),
        "exif.webp": plant.webp_with_exif_xmp(px),
        "lossless.webp": saved(im.convert("RGBA"), "WEBP", lossless=True),
        "exif.tif": plant.tiff_with_exif(px),
        "phone.heic": plant.heic_with_exif(px, orientation=3),
        "erased-tag.png": saved(Image.fromarray(erased_tag(px), "RGBA"), "PNG"),
        "erased-tag.tif": saved(Image.fromarray(erased_tag(px), "RGBA"), "TIFF",
                                compression="tiff_lzw"),
    }


def erased_tag(px: np.ndarray) -> np.ndarray:
    """RGBA `px` with a band "erased" to alpha 0 over text-like colour, which must not survive."""
    rgba = np.dstack([px, np.full(px.shape[:2], 255, np.uint8)])
    band = rgba[px.shape[0] // 4 : px.shape[0] // 2]
    band[..., 3] = 0
    band[::2, ::3, :3] = (255, 255, 255)  # the "letters"
    band[1::2, :, :3] = (200, 20, 30)
    return rgba


def random_ops(rng) -> list[tuple]:
    """A random mutation (for the long run; the test suite draws them with hypothesis)."""
    ops: list[tuple] = []
    for _ in range(rng.randint(1, 6)):
        kind = rng.choice(["lie", "lie", "dup", "flip", "flip", "flip", "insert", "delete",
                           "truncate"])
        pos = rng.randrange(1 << 20)
        if kind == "lie":
            value = rng.choice([0, 1, 2, 7, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF,
                                rng.randrange(1 << 32), rng.randrange(64)])
            ops.append(("lie", pos, value))
        elif kind == "dup":
            ops.append(("dup", pos))
        elif kind == "flip":
            ops.append(("flip", pos, rng.randrange(1, 256)))
        elif kind == "insert":
            ops.append(("insert", pos, rng.randbytes(rng.randint(1, 16))))
        elif kind == "delete":
            ops.append(("delete", pos, rng.randint(1, 64)))
        else:
            ops.append(("truncate", pos))
    return ops
