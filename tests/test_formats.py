"""The format registry is complete: every file type crowdveil reads belongs to one family, every
family carries a picture through load -> write clean -> verify, and bytes no family claims are
refused with the one-line error they always got."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil import cli, formats, walk
from crowdveil.english import ENGLISH
from crowdveil.errors import LoadError
from crowdveil.load import decode_bytes
from crowdveil.pipeline import inspect_bytes
from crowdveil.settings import Options
from crowdveil.verify import verify_bytes
from crowdveil.write_clean import encode, output_format
from tests import plant
from tests.outputs import published

PIXELS = plant.face_image(96)[:, :80]  # not square: a swapped width and height shows

# A picture of each format the photo families read, as Pillow names it, with the metadata a
# camera or phone puts in it.
SAMPLES: dict[str, Callable[[np.ndarray], bytes]] = {
    "JPEG": plant.jpeg_with_everything,
    "MPO": plant.mpo_with_second_image,
    "PNG": plant.png_with_text,
    "WEBP": plant.webp_with_exif_xmp,
    "TIFF": plant.tiff_with_exif,
    "HEIF": plant.heic_with_exif,
}
# File names that may turn up in a folder of demonstration photos, whether crowdveil reads them
# or not; the registry's own lists are added, so this only widens what walk is asked about.
OTHER_SUFFIXES = {".gif", ".avif", ".bmp", ".txt", ".json", ".xmp", ".mp3", ".3gp", ".avi"}


def _gif(pixels: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(pixels).save(buf, "GIF")
    return buf.getvalue()


def test_the_samples_cover_every_format_a_photo_family_reads() -> None:
    read = {name for f in formats.photo_families() for name in f.pil_formats}
    assert set(SAMPLES) == read


def test_every_suffix_walk_reads_has_exactly_one_family(tmp_path: Path) -> None:
    family_suffixes = {s for f in formats.families() for s in f.suffixes}
    for suffix in family_suffixes | walk.UNREAD_PICTURES | OTHER_SUFFIXES:
        (tmp_path / f"file{suffix}").write_bytes(b"x")
        (tmp_path / f"upper{suffix.upper()}").write_bytes(b"x")
    read = {e.path.suffix for e in walk.walk_folder(tmp_path, videos=True) if e.reason is None}
    for suffix in read:
        owners = [f.name for f in formats.families() if suffix.lower() in f.suffixes]
        assert len(owners) == 1, (suffix, owners)
        assert formats.by_suffix(suffix) is not None
    # and nothing a family claims is left unread by the walk
    assert {s.lower() for s in read} == family_suffixes


@pytest.mark.parametrize("pil_format", sorted(SAMPLES))
def test_every_photo_family_carries_a_picture_from_load_to_verify(pil_format: str) -> None:
    data = SAMPLES[pil_format](PIXELS)
    family = formats.by_pil_format(pil_format)
    assert family is not None and formats.by_magic(data) is family
    assert inspect_bytes(data), "the sample must carry metadata for the family to find"
    loaded = decode_bytes(data)
    assert loaded.format == pil_format
    fmt = output_format(loaded.format, loaded.has_alpha)
    clean = encode(loaded.pixels, fmt)
    verify_bytes(clean, fmt, PIXELS.shape[1], PIXELS.shape[0])
    assert formats.by_magic(clean) is formats.output(fmt)
    assert inspect_bytes(clean) == []


def test_the_video_family_carries_a_clip_from_read_to_verify(tmp_path: Path) -> None:
    from test_video import make_clip, still

    from crowdveil.formats import video

    class NoFaces:
        name = "none"

        def detect(self, rgb: np.ndarray) -> list:
            return []

    clip = make_clip(tmp_path / "clip.mkv", n=6, place=still)
    family = formats.by_magic(clip.read_bytes()[:16])
    assert isinstance(family, formats.VideoFamily) and formats.by_suffix(".mkv") is family
    target = tmp_path / f"clean{family.output_suffix}"
    result = video.process_clip(clip, target, NoFaces(), Options())
    video.verify_clip(target, result.width, result.height, 6, keep_audio=False)


def test_bytes_no_family_claims_are_refused_with_the_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gif = _gif(PIXELS)
    assert formats.by_magic(gif) is None
    with pytest.raises(LoadError) as refused:
        decode_bytes(gif)
    assert refused.value.message.code == "load.unsupported"
    # named as each family's files are: the bytes decide, not the name
    names = [f"photo{sorted(f.suffixes)[0]}" for f in formats.photo_families()]
    for name in names:
        (tmp_path / "in" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "in" / name).write_bytes(gif)
    assert cli.main([str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-j", "1", "-q"]) == 1
    err = capsys.readouterr().err
    for name in names:
        lines = [line for line in err.splitlines() if name in line]
        assert len(lines) == 1 and lines[0].startswith("crowdveil: error: "), err
        assert lines[0].endswith(ENGLISH["load.unsupported"]), lines[0]
    assert not (tmp_path / "out").exists() or published(tmp_path / "out") == []


def test_a_heic_is_read_as_a_photo_whichever_family_module_was_imported_first() -> None:
    # HEIF and video both start with an `ftyp` box; the registry's order, not the order the
    # modules happened to be imported in, decides that a HEIC is a photo.
    import subprocess
    import sys

    code = ("import crowdveil.formats.video_entry, crowdveil.formats.heif, sys\n"
            "from crowdveil import formats\n"
            "print(formats.by_magic(sys.stdin.buffer.read()).name)")
    heic = plant.heic_with_exif(PIXELS)
    done = subprocess.run([sys.executable, "-c", code], input=heic, capture_output=True,
                          check=True)
    assert done.stdout.decode().strip() == "heif"
