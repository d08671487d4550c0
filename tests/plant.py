"""Build image files with planted private metadata, so tests can prove crowdveil removes it.

Every builder takes an RGB ``uint8`` array of shape ``(H, W, 3)`` and returns the ``bytes`` of a
valid file that Pillow (or pillow-heif, for HEIC) opens.  Each planted field carries a distinctive
ASCII token (the ``*_TOKEN`` constants below), so a test can simply assert
``token.encode() not in output_bytes`` for every token in ``ALL_TOKENS``.

Which tokens end up in which file is described in each builder's docstring and in
``TOKENS_BY_BUILDER``.  Everything here is deterministic: no clocks, no unseeded randomness.

Run ``python tests/plant.py`` for a self-check that prints which tokens are present in the
bytes of each builder's output and how many crowd faces BlazeFace finds.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable
from pathlib import Path

import av
import numpy as np
import piexif
from PIL import Image, ImageCms, ImageFilter

# --------------------------------------------------------------------------------------------
# Tokens.  All are upper-case ASCII, start with "CV" and none is a substring of another.
# --------------------------------------------------------------------------------------------

GPS_TOKEN = "CVGPSPLACE7310"  # GPSProcessingMethod / GPSAreaInformation, XMP location, PNG tEXt
SERIAL_TOKEN = "CVSERIAL4821"  # BodySerialNumber 0xA431, LensSerialNumber 0xA435
OWNER_TOKEN = "CVOWNERJANEDOE"  # CameraOwnerName 0xA430, Artist 0x013B, Copyright
MAKE_TOKEN = "CVMAKEACME3907"  # Make 0x010F, LensMake
MODEL_TOKEN = "CVMODELX1005"  # Model 0x0110, LensModel
COMMENT_TOKEN = "CVCOMMENT5512"  # JPEG COM segment
USERCOMMENT_TOKEN = "CVUSERNOTE6620"  # EXIF UserComment 0x9286
MAKERNOTE_TOKEN = "CVMAKERNOTE8844"  # EXIF MakerNote 0x927C
DESCRIPTION_TOKEN = "CVDESCRIPT2290"  # ImageDescription 0x010E
UNIQUE_ID_TOKEN = "CVUNIQUEID9931"  # ImageUniqueID 0xA420
DATETIME_TOKEN = "2019:07:14 13:37:42"  # DateTime / DateTimeOriginal / DateTimeDigitized
XMP_TOKEN = "CVXMPSECRET4410"  # XMP packet (dc:creator, dc:description)
IPTC_TOKEN = "CVIPTCBYLINE3356"  # IPTC 2:80 By-line and 2:120 Caption (APP13 Photoshop 3.0)
THUMB_TOKEN = "CVTHUMBSECRET7781"  # COM segment inside the EXIF IFD1 thumbnail JPEG
TRAILER_TOKEN = "CVTRAILERMOTION0451"  # bytes after JPEG EOI / after PNG IEND
MPO_TOKEN = "CVMPOSECOND2718"  # COM + ImageDescription of the 2nd image of an MPO
PNG_TEXT_TOKEN = "CVPNGTEXT6173"  # PNG tEXt, zTXt (keyword and text), iTXt
WEBP_TOKEN = "CVWEBPSECRET5093"  # WebP EXIF (ImageDescription) and XMP chunks
ICC_TOKEN = "CVICCPROFILE1212"  # ICC profile 'targ' (textType) + 'cprt' (mluc, UTF-16BE)

ALL_TOKENS: tuple[str, ...] = (
    GPS_TOKEN,
    SERIAL_TOKEN,
    OWNER_TOKEN,
    MAKE_TOKEN,
    MODEL_TOKEN,
    COMMENT_TOKEN,
    USERCOMMENT_TOKEN,
    MAKERNOTE_TOKEN,
    DESCRIPTION_TOKEN,
    UNIQUE_ID_TOKEN,
    DATETIME_TOKEN,
    XMP_TOKEN,
    IPTC_TOKEN,
    THUMB_TOKEN,
    TRAILER_TOKEN,
    MPO_TOKEN,
    PNG_TEXT_TOKEN,
    WEBP_TOKEN,
    ICC_TOKEN,
)

#: Tokens that every EXIF block built by :func:`exif_bytes` carries as plain ASCII.
EXIF_TOKENS: tuple[str, ...] = (
    GPS_TOKEN,
    SERIAL_TOKEN,
    OWNER_TOKEN,
    MAKE_TOKEN,
    MODEL_TOKEN,
    USERCOMMENT_TOKEN,
    MAKERNOTE_TOKEN,
    DESCRIPTION_TOKEN,
    UNIQUE_ID_TOKEN,
    DATETIME_TOKEN,
)

#: Planted GPS position (Paris, Hôtel de Ville area), decimal degrees.
GPS_LAT = 48.8566  # N
GPS_LON = 2.3522  # E

#: Face box (x, y, w, h) of the astronaut in the 512x512 ``skimage.data.astronaut()`` image.
#: Measured once with ``mp.solutions.face_detection.FaceDetection(model_selection=1)``
#: (mediapipe 0.10.21): score 0.91, box (173.7, 67.8, 103.9, 103.9) -> rounded. crowdveil's
#: ONNX port of that model (crowdveil.detect.blazeface) gives the same box.
#: The short-range model (model_selection=0) gives (177.6, 82.9, 95.3, 95.3), score 0.92.
FACE_BOX: tuple[int, int, int, int] = (174, 68, 104, 104)


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _rgb(pixels: np.ndarray) -> Image.Image:
    """Return a Pillow RGB image for an ``(H, W, 3)`` uint8 array (validates the input)."""
    arr = np.asarray(pixels)
    if arr.dtype != np.uint8 or arr.ndim != 3 or arr.shape[2] != 3:
        raise ValueError(f"expected (H, W, 3) uint8 array, got {arr.dtype} {arr.shape}")
    return Image.fromarray(np.ascontiguousarray(arr), "RGB")


def _rational(value: float, denominator: int = 10000) -> tuple[int, int]:
    return (round(value * denominator), denominator)


def _dms(degrees: float) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """Decimal degrees -> EXIF (deg, min, sec) rationals; 48.8566 -> 48deg 51' 23.76"."""
    d = int(degrees)
    m_float = (degrees - d) * 60
    m = int(m_float)
    s = (m_float - m) * 60
    return ((d, 1), (m, 1), (round(s * 100), 100))


def tokens_in(data: bytes, tokens: Iterable[str] = ALL_TOKENS) -> list[str]:
    """Return the tokens whose ASCII bytes occur in ``data`` (order of ``tokens``)."""
    return [t for t in tokens if t.encode("ascii") in data]


# --------------------------------------------------------------------------------------------
# Metadata payloads
# --------------------------------------------------------------------------------------------


def jpeg_thumbnail(pixels: np.ndarray, size: tuple[int, int] = (160, 120)) -> bytes:
    """A small baseline JPEG of ``pixels`` whose own COM segment holds ``THUMB_TOKEN``."""
    thumb = _rgb(pixels)
    thumb.thumbnail(size)
    buf = io.BytesIO()
    thumb.save(buf, "JPEG", quality=75, comment=f"thumbnail {THUMB_TOKEN}".encode())
    return buf.getvalue()


def exif_dict(orientation: int = 1, thumbnail: bytes | None = None) -> dict:
    """A piexif dict with 0th, Exif, GPS (and, if ``thumbnail`` is given, 1st) IFDs.

    Carries every token in ``EXIF_TOKENS`` as plain ASCII plus real GPS rationals for
    48.8566 N, 2.3522 E.
    """
    ascii_prefix = b"ASCII\x00\x00\x00"  # EXIF character-code prefix for UNDEFINED text fields
    zeroth = {
        piexif.ImageIFD.Make: MAKE_TOKEN,
        piexif.ImageIFD.Model: MODEL_TOKEN,
        piexif.ImageIFD.Orientation: orientation,
        piexif.ImageIFD.ImageDescription: f"protest photo {DESCRIPTION_TOKEN}",
        piexif.ImageIFD.Artist: OWNER_TOKEN,
        piexif.ImageIFD.Copyright: f"(c) {OWNER_TOKEN}",
        piexif.ImageIFD.Software: "PhoneCam 1.0",
        piexif.ImageIFD.DateTime: DATETIME_TOKEN,
        piexif.ImageIFD.XResolution: (72, 1),
        piexif.ImageIFD.YResolution: (72, 1),
        piexif.ImageIFD.ResolutionUnit: 2,
    }
    exif = {
        piexif.ExifIFD.DateTimeOriginal: DATETIME_TOKEN,
        piexif.ExifIFD.DateTimeDigitized: DATETIME_TOKEN,
        piexif.ExifIFD.OffsetTimeOriginal: "+02:00",
        piexif.ExifIFD.UserComment: ascii_prefix + USERCOMMENT_TOKEN.encode(),
        piexif.ExifIFD.MakerNote: b"ACME\x00\x01\x00" + MAKERNOTE_TOKEN.encode() + b"\x00" * 8,
        piexif.ExifIFD.CameraOwnerName: OWNER_TOKEN,
        piexif.ExifIFD.BodySerialNumber: SERIAL_TOKEN,
        piexif.ExifIFD.LensSerialNumber: SERIAL_TOKEN,
        piexif.ExifIFD.LensMake: MAKE_TOKEN,
        piexif.ExifIFD.LensModel: MODEL_TOKEN,
        piexif.ExifIFD.ImageUniqueID: UNIQUE_ID_TOKEN,
    }
    gps = {
        piexif.GPSIFD.GPSVersionID: (2, 2, 0, 0),
        piexif.GPSIFD.GPSLatitudeRef: "N",
        piexif.GPSIFD.GPSLatitude: _dms(GPS_LAT),
        piexif.GPSIFD.GPSLongitudeRef: "E",
        piexif.GPSIFD.GPSLongitude: _dms(GPS_LON),
        piexif.GPSIFD.GPSAltitudeRef: 0,
        piexif.GPSIFD.GPSAltitude: _rational(35.0, 10),
        piexif.GPSIFD.GPSTimeStamp: ((11, 1), (37, 1), (42, 1)),
        piexif.GPSIFD.GPSDateStamp: "2019:07:14",
        piexif.GPSIFD.GPSProcessingMethod: ascii_prefix + GPS_TOKEN.encode(),
        piexif.GPSIFD.GPSAreaInformation: ascii_prefix + f"Paris {GPS_TOKEN}".encode(),
    }
    result: dict = {"0th": zeroth, "Exif": exif, "GPS": gps, "Interop": {}, "1st": {}}
    if thumbnail is not None:
        result["1st"] = {
            piexif.ImageIFD.Compression: 6,
            piexif.ImageIFD.XResolution: (72, 1),
            piexif.ImageIFD.YResolution: (72, 1),
            piexif.ImageIFD.ResolutionUnit: 2,
        }
        result["thumbnail"] = thumbnail
    return result


def exif_bytes(orientation: int = 1, thumbnail: bytes | None = None, header: bool = True) -> bytes:
    """EXIF block from :func:`exif_dict`; ``b"Exif\\0\\0"`` + TIFF, or bare TIFF if not header."""
    data = piexif.dump(exif_dict(orientation, thumbnail))
    return data if header else data[6:]


def xmp_packet(*extra_tokens: str) -> bytes:
    """An XMP packet with ``XMP_TOKEN``, GPS position, owner/serial and any ``extra_tokens``.

    Also claims a Google motion photo (``GCamera:MotionPhoto``), like a real phone picture.
    """
    extra = " ".join(extra_tokens)
    body = f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/" x:xmptk="Adobe XMP Core 5.6">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:exif="http://ns.adobe.com/exif/1.0/"
    xmlns:exifEX="http://cipa.jp/exif/1.0/"
    xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/"
    xmlns:GCamera="http://ns.google.com/photos/1.0/camera/"
    exif:GPSLatitude="48,51.396N"
    exif:GPSLongitude="2,21.132E"
    exifEX:BodySerialNumber="{SERIAL_TOKEN}"
    exifEX:CameraOwnerName="{OWNER_TOKEN}"
    photoshop:City="Paris {GPS_TOKEN}"
    photoshop:DateCreated="2019-07-14T13:37:42+02:00"
    GCamera:MotionPhoto="1"
    GCamera:MotionPhotoVersion="1">
   <dc:creator><rdf:Seq><rdf:li>{XMP_TOKEN}</rdf:li></rdf:Seq></dc:creator>
   <dc:description><rdf:Alt><rdf:li xml:lang="x-default">{XMP_TOKEN} {extra}</rdf:li></rdf:Alt>
   </dc:description>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
    return body.encode("utf-8")


def iptc_app13_payload() -> bytes:
    """Photoshop 3.0 APP13 payload: one 8BIM 0x0404 (IPTC-NAA) resource with ``IPTC_TOKEN``.

    Datasets: 2:00 record version, 2:80 By-line, 2:90 City, 2:120 Caption/Abstract.
    """

    def dataset(number: int, value: bytes) -> bytes:
        return b"\x1c\x02" + bytes([number]) + struct.pack(">H", len(value)) + value

    iptc = (
        dataset(0, b"\x00\x04")
        + dataset(80, IPTC_TOKEN.encode())
        + dataset(90, f"Paris {GPS_TOKEN}".encode())
        + dataset(120, f"caption {IPTC_TOKEN}".encode())
    )
    if len(iptc) % 2:
        iptc += b"\x00"  # resource data is padded to even length (size field stays unpadded)
    resource = b"8BIM" + struct.pack(">H", 0x0404) + b"\x00\x00"  # empty Pascal name, padded
    resource += struct.pack(">I", len(iptc)) + iptc
    return b"Photoshop 3.0\x00" + resource


def _srgb_profile_tags() -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """LittleCMS' sRGB profile: its header and its (signature, data) tags."""
    base = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    (count,) = struct.unpack(">I", base[128:132])
    tags: list[tuple[bytes, bytes]] = []
    for i in range(count):
        sig, off, size = struct.unpack(">4sII", base[132 + 12 * i : 144 + 12 * i])
        tags.append((sig, base[off : off + size]))
    return base[:128], tags


def _icc_from_tags(header: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """An ICC profile from a header and tags, with a pinned date and a zero profile ID."""
    table_size = 4 + 12 * len(tags)
    data = b""
    entries = b""
    offsets: dict[bytes, int] = {}  # shared tag data (rTRC/gTRC/bTRC) stays shared
    for sig, payload in tags:
        if payload not in offsets:
            offsets[payload] = 128 + table_size + len(data)
            data += payload + b"\x00" * (-len(payload) % 4)
        entries += struct.pack(">4sII", sig, offsets[payload], len(payload))
    body = struct.pack(">I", len(tags)) + entries + data
    out = bytearray(header)
    out[0:4] = struct.pack(">I", 128 + len(body))
    out[24:36] = struct.pack(">6H", 2019, 7, 14, 11, 37, 42)  # lcms stamps "now": pin it
    out[84:100] = b"\x00" * 16
    return bytes(out) + body


def icc_profile_bytes() -> bytes:
    """A valid ICC v4 sRGB profile (from LittleCMS) that carries ``ICC_TOKEN``.

    LittleCMS' sRGB profile stores ``desc``/``cprt`` as ``mluc`` (UTF-16BE), where an ASCII
    token cannot appear contiguously.  So the token is added twice:

    * in a ``targ`` (charTargetTag) tag of ``textType`` -- a registered v4 tag holding plain
      ASCII, so ``ICC_TOKEN.encode()`` is in the bytes;
    * in ``cprt`` (mluc, UTF-16BE), so profile readers show it as the copyright.

    The profile ID (MD5) stays zero, which ICC allows ("not calculated"); the creation date,
    which LittleCMS sets to the current time, is pinned so the bytes are deterministic.
    """
    header, tags = _srgb_profile_tags()

    def mluc(text: str) -> bytes:
        s = text.encode("utf-16-be")
        return (
            b"mluc"
            + b"\x00" * 4
            + struct.pack(">II", 1, 12)
            + b"enUS"
            + struct.pack(">II", len(s), 28)
            + s
        )

    cprt = mluc(f"Copyright {ICC_TOKEN}")
    targ = b"text" + b"\x00" * 4 + f"{ICC_TOKEN} target".encode("ascii") + b"\x00"
    tags = [(s, cprt if s == b"cprt" else d) for s, d in tags] + [(b"targ", targ)]
    return _icc_from_tags(header, tags)


# Display P3's primaries adapted to the ICC's D50 white (the colorants of Apple's profile), and
# sRGB's for comparison: both spaces share sRGB's tone curve and white point.
P3_COLORANTS_D50 = np.array([[0.5151, 0.2920, 0.1571],
                             [0.2412, 0.6922, 0.0666],
                             [-0.0011, 0.0419, 0.7841]])
SRGB_COLORANTS_D50 = np.array([[0.4361, 0.3851, 0.1431],
                               [0.2225, 0.7169, 0.0606],
                               [0.0139, 0.0971, 0.7141]])


def display_p3_icc() -> bytes:
    """A Display P3 profile, as phones embed in their photos: LittleCMS' sRGB profile with
    the P3 colorants (rXYZ, gXYZ, bXYZ) in place of sRGB's."""
    header, tags = _srgb_profile_tags()

    def xyz(column: np.ndarray) -> bytes:
        return b"XYZ " + b"\x00" * 4 + b"".join(
            struct.pack(">i", round(v * 65536)) for v in column
        )

    colorants = {b"rXYZ": 0, b"gXYZ": 1, b"bXYZ": 2}
    tags = [(s, xyz(P3_COLORANTS_D50[:, colorants[s]]) if s in colorants else d)
            for s, d in tags]
    return _icc_from_tags(header, tags)


def p3_to_srgb(rgb: np.ndarray) -> np.ndarray:
    """The sRGB values (0-255, clipped) showing the same colour as Display P3 `rgb`, computed
    from the primaries alone (no colour library): what a correct conversion must give."""
    def linear(v: np.ndarray) -> np.ndarray:
        v = v / 255.0
        return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)

    def encoded(v: np.ndarray) -> np.ndarray:
        v = np.clip(v, 0, 1)
        return 255.0 * np.where(v <= 0.0031308, v * 12.92, 1.055 * v ** (1 / 2.4) - 0.055)

    m = np.linalg.solve(SRGB_COLORANTS_D50, P3_COLORANTS_D50)
    return encoded(linear(np.asarray(rgb, float)) @ m.T)


# --------------------------------------------------------------------------------------------
# JPEG
# --------------------------------------------------------------------------------------------


def _segment(marker: int, payload: bytes) -> bytes:
    if len(payload) + 2 > 0xFFFF:
        raise ValueError(f"JPEG segment 0x{marker:02X} too large: {len(payload)} bytes")
    return bytes([0xFF, marker]) + struct.pack(">H", len(payload) + 2) + payload


def _strip_app0(jpeg: bytes) -> bytes:
    """Drop a leading JFIF APP0 (like camera files, which start SOI, APP1 Exif)."""
    if jpeg[2:4] == b"\xff\xe0":
        (length,) = struct.unpack(">H", jpeg[4:6])
        return jpeg[:2] + jpeg[4 + length :]
    return jpeg


def splice_jpeg_segments(jpeg: bytes, segments: Iterable[bytes]) -> bytes:
    """Insert complete marker segments right after SOI of ``jpeg``."""
    if jpeg[:2] != b"\xff\xd8":
        raise ValueError("not a JPEG (no SOI)")
    return jpeg[:2] + b"".join(segments) + jpeg[2:]


def _plain_jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    buf = io.BytesIO()
    _rgb(pixels).save(buf, "JPEG", quality=quality)
    return _strip_app0(buf.getvalue())


def motion_photo_trailer() -> bytes:
    """Bytes that phones append after EOI: a tiny fake MP4 box + a Samsung-style SEFT tail."""
    mp4 = struct.pack(">I", 24) + b"ftypmp42" + b"\x00\x00\x00\x00" + b"isommp42"
    payload = f"MotionPhoto_Data {TRAILER_TOKEN} {GPS_TOKEN}".encode()
    mdat = struct.pack(">I", 8 + len(payload)) + b"mdat" + payload
    return mp4 + mdat + b"SEFH" + struct.pack("<I", 0) + b"SEFT"


def jpeg_with_everything(pixels: np.ndarray, orientation: int = 1, quality: int = 90) -> bytes:
    """JPEG with every common kind of private metadata, spliced in after SOI by hand.

    Segment order: APP1 Exif (0th/Exif/GPS IFDs, MakerNote, UserComment, IFD1 thumbnail with
    ``THUMB_TOKEN``), APP1 XMP, APP2 ICC_PROFILE, APP13 Photoshop/IPTC, COM; then the scan
    written by Pillow; then a motion-photo trailer (``TRAILER_TOKEN``) after EOI.

    ``orientation`` only sets the EXIF Orientation tag; the pixels are stored as given.
    Tokens present: ``EXIF_TOKENS`` + XMP, ICC, IPTC, COMMENT, THUMB, TRAILER.
    """
    segments = [
        _segment(0xE1, exif_bytes(orientation, thumbnail=jpeg_thumbnail(pixels))),
        _segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + xmp_packet()),
        _segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + icc_profile_bytes()),
        _segment(0xED, iptc_app13_payload()),
        _segment(0xFE, f"comment {COMMENT_TOKEN}".encode()),
    ]
    jpeg = splice_jpeg_segments(_plain_jpeg(pixels, quality), segments)
    return jpeg + motion_photo_trailer()


def mpo_with_second_image(pixels: np.ndarray) -> bytes:
    """A two-frame MPO (JPEG + APP2 "MPF" index) written by Pillow's MPO ``save_all``.

    Frame 1 carries the full EXIF block; frame 2 (a half-size copy, as a camera preview
    or the second eye of a stereo pair) carries ``MPO_TOKEN`` in its COM segment and in the
    ImageDescription of its own EXIF.  Pillow opens it as format "MPO" with ``n_frames == 2``.
    """
    first = _rgb(pixels)
    second = first.resize((max(1, first.width // 2), max(1, first.height // 2)))
    second_exif = piexif.dump(
        {"0th": {piexif.ImageIFD.ImageDescription: f"second frame {MPO_TOKEN}"}}
    )
    second.encoderinfo = {"comment": f"frame2 {MPO_TOKEN}".encode(), "exif": second_exif}
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], quality=90, exif=exif_bytes())
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# PNG
# --------------------------------------------------------------------------------------------


def png_chunk(ctype: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC-32 over type + data."""
    crc = zlib.crc32(ctype + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", crc)


def _alpha_mask(height: int, width: int) -> np.ndarray:
    """A soft elliptical alpha mask: 255 in the middle, fading to 0 at the corners."""
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    r = np.hypot((xx - width / 2) / (width / 2), (yy - height / 2) / (height / 2))
    return (np.clip((1.25 - r) / 0.35, 0.0, 1.0) * 255).astype(np.uint8)


def png_with_text(pixels: np.ndarray, with_alpha: bool = False, trailer: bool = True) -> bytes:
    """PNG with private chunks inserted between IHDR and IDAT, plus data after IEND.

    Chunks: iCCP (profile name ``ICC_TOKEN``; the zlib-compressed profile hides its own copy),
    tEXt (Comment/Author/Location: ``PNG_TEXT_TOKEN``, ``OWNER_TOKEN``, ``GPS_TOKEN``),
    zTXt (keyword *is* ``PNG_TEXT_TOKEN``; its text is compressed), iTXt uncompressed XMP
    (``XML:com.adobe.xmp`` with ``XMP_TOKEN`` + ``PNG_TEXT_TOKEN``), eXIf (``EXIF_TOKENS``
    as bare TIFF, GPS rationals), tIME (2019-07-14 11:37:42).  With ``trailer``,
    ``TRAILER_TOKEN`` bytes follow IEND.  ``with_alpha`` saves RGBA with a soft oval alpha.
    """
    img = _rgb(pixels)
    if with_alpha:
        img.putalpha(Image.fromarray(_alpha_mask(img.height, img.width), "L"))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    png = buf.getvalue()
    ihdr_end = 8 + 4 + 4 + 13 + 4
    assert png[12:16] == b"IHDR"

    chunks = [
        png_chunk(b"iCCP", ICC_TOKEN.encode() + b"\x00\x00" + zlib.compress(icc_profile_bytes())),
        png_chunk(b"tEXt", b"Comment\x00" + f"note {PNG_TEXT_TOKEN}".encode()),
        png_chunk(b"tEXt", b"Author\x00" + OWNER_TOKEN.encode()),
        png_chunk(b"tEXt", b"Location\x00" + f"48.8566,2.3522 {GPS_TOKEN}".encode()),
        png_chunk(
            b"zTXt",
            PNG_TEXT_TOKEN.encode() + b"\x00\x00" + zlib.compress(f"z {PNG_TEXT_TOKEN}".encode()),
        ),
        png_chunk(
            b"iTXt",
            b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + xmp_packet(PNG_TEXT_TOKEN),
        ),
        png_chunk(b"eXIf", exif_bytes(header=False)),
        png_chunk(b"tIME", struct.pack(">HBBBBB", 2019, 7, 14, 11, 37, 42)),
    ]
    out = png[:ihdr_end] + b"".join(chunks) + png[ihdr_end:]
    if trailer:
        out += f"\x00trailing data {TRAILER_TOKEN}".encode()
    return out


# --------------------------------------------------------------------------------------------
# WebP, TIFF, HEIC
# --------------------------------------------------------------------------------------------


def _webp_exif() -> bytes:
    d = exif_dict()
    d["0th"][piexif.ImageIFD.ImageDescription] = f"{DESCRIPTION_TOKEN} {WEBP_TOKEN}"
    return piexif.dump(d)


def webp_with_exif_xmp(pixels: np.ndarray, quality: int = 80) -> bytes:
    """Extended (VP8X) WebP with ICCP, EXIF and XMP chunks, written by Pillow.

    EXIF carries ``EXIF_TOKENS`` + ``WEBP_TOKEN`` (in ImageDescription); XMP carries
    ``XMP_TOKEN`` + ``WEBP_TOKEN``; ICCP carries ``ICC_TOKEN``.
    """
    buf = io.BytesIO()
    _rgb(pixels).save(
        buf,
        "WEBP",
        quality=quality,
        exif=_webp_exif(),
        xmp=xmp_packet(WEBP_TOKEN),
        icc_profile=icc_profile_bytes(),
    )
    return buf.getvalue()


def tiff_with_exif(pixels: np.ndarray) -> bytes:
    """Uncompressed TIFF whose IFD0 holds Make/Model/Artist/ImageDescription/DateTime/Copyright,
    plus an Exif sub-IFD (serials, owner, MakerNote, UserComment) and a GPS sub-IFD.

    Tokens present: ``EXIF_TOKENS`` (written by Pillow via ``exif=``).
    """
    buf = io.BytesIO()
    # Pass the EXIF as bytes: Pillow then writes the Exif (0x8769) and GPS (0x8825) pointers as
    # real sub-IFDs.  (An Image.Exif built with get_ifd() would silently drop them.)
    _rgb(pixels).save(buf, "TIFF", exif=exif_bytes())
    return buf.getvalue()


def heic_with_exif(pixels: np.ndarray, orientation: int = 1, quality: int = 80) -> bytes:
    """HEIC (via pillow-heif) with an EXIF item (``EXIF_TOKENS``) and an XMP item (XMP_TOKEN).

    Orientation: pillow-heif keeps the EXIF Orientation tag as given in the stored EXIF item,
    and for ``orientation != 1`` also writes an ``irot``/``imir`` transform so libheif decodes
    the picture upright.  On open, pillow-heif applies that transform and reports the EXIF
    orientation as 1 (original value in ``info["original_orientation"]``), so
    ``ImageOps.exif_transpose`` does not rotate twice.  A reader that parses the raw EXIF
    bytes itself would see e.g. 6 and double-rotate.
    """
    import pillow_heif

    pillow_heif.register_heif_opener()
    buf = io.BytesIO()
    _rgb(pixels).save(
        buf, format="HEIF", quality=quality, exif=exif_bytes(orientation), xmp=xmp_packet()
    )
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Pictures with faces
# --------------------------------------------------------------------------------------------


def face_image(size: int = 512) -> np.ndarray:
    """``skimage.data.astronaut()`` (Eileen Collins, NASA, public domain) as RGB uint8.

    At ``size == 512`` the face is at :data:`FACE_BOX`; otherwise the picture is resized to
    ``size x size`` and the face is at :func:`face_box` ``(size)``.
    """
    from skimage import data

    img = data.astronaut()
    if size != img.shape[0]:
        img = np.asarray(Image.fromarray(img).resize((size, size), Image.Resampling.LANCZOS))
    return np.ascontiguousarray(img, dtype=np.uint8)


def face_box(size: int = 512) -> tuple[int, int, int, int]:
    """:data:`FACE_BOX` scaled to a ``size x size`` :func:`face_image`."""
    s = size / 512
    return tuple(round(v * s) for v in FACE_BOX)  # type: ignore[return-value]


#: Head crop (x, y, w, h) in the 512x512 astronaut: the face plus hair, ear and chin.
HEAD_CROP: tuple[int, int, int, int] = (140, 30, 170, 180)

#: (x, y, head width in px, mirrored) for each pasted head in :func:`crowd_image`.
CROWD_LAYOUT: tuple[tuple[int, int, int, bool], ...] = (
    (60, 80, 250, False),
    (380, 160, 190, True),
    (660, 90, 150, False),
    (900, 200, 120, True),
    (1120, 110, 96, False),
    (1320, 230, 80, True),
    (1520, 140, 64, False),
    (1700, 260, 50, True),
    (1850, 180, 40, False),
    (260, 760, 220, True),
    (700, 700, 170, False),
    (1100, 820, 130, True),
    (1500, 760, 110, False),
)


def _background(width: int, height: int) -> np.ndarray:
    """A deterministic photo background: rocket launch sky on top, coffee-shop table below."""
    from skimage import data

    top = Image.fromarray(data.rocket()).resize((width, height // 2), Image.Resampling.BICUBIC)
    bottom = Image.fromarray(data.coffee()).resize(
        (width, height - height // 2), Image.Resampling.BICUBIC
    )
    canvas = Image.new("RGB", (width, height))
    canvas.paste(top, (0, 0))
    canvas.paste(bottom, (0, height // 2))
    rng = np.random.default_rng(20240501)
    noise = rng.normal(0.0, 4.0, size=(height, width, 1))
    arr = np.asarray(canvas, dtype=np.float32) + noise
    return np.clip(arr, 0, 255).astype(np.uint8)


def crowd_image(
    width: int = 2000, height: int = 1300
) -> tuple[np.ndarray, list[tuple[int, int, int, int]]]:
    """A ``width x height`` composite with 13 astronaut heads (40-250 px wide, some mirrored).

    Returns ``(pixels, face_boxes)``: one ``(x, y, w, h)`` per pasted head, the astronaut's
    :data:`FACE_BOX` mapped into the composite (so it matches what a face detector reports).
    Layout is fixed (:data:`CROWD_LAYOUT`), designed for the default 2000x1300 canvas.
    """
    canvas = Image.fromarray(_background(width, height))
    astro = Image.fromarray(face_image(512))
    cx, cy, cw, ch = HEAD_CROP
    head = astro.crop((cx, cy, cx + cw, cy + ch))
    # Soft oval mask so pasted heads blend instead of showing hard rectangle edges.
    yy, xx = np.mgrid[0:ch, 0:cw].astype(np.float32)
    r = np.hypot((xx - cw / 2) / (cw / 2), (yy - ch / 2) / (ch / 2))
    mask = Image.fromarray((np.clip((1.02 - r) / 0.12, 0.0, 1.0) * 255).astype(np.uint8))
    mask = mask.filter(ImageFilter.GaussianBlur(2))
    fx, fy, fw, fh = FACE_BOX
    boxes: list[tuple[int, int, int, int]] = []
    for x, y, w, mirrored in CROWD_LAYOUT:
        scale = w / cw
        h = round(ch * scale)
        patch = head.resize((w, h), Image.Resampling.LANCZOS)
        pmask = mask.resize((w, h), Image.Resampling.BILINEAR)
        face_x = (fx - cx) * scale
        if mirrored:
            patch = patch.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            pmask = pmask.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            face_x = w - (fx - cx + fw) * scale
        canvas.paste(patch, (x, y), pmask)
        boxes.append(
            (round(x + face_x), round(y + (fy - cy) * scale), round(fw * scale), round(fh * scale))
        )
    return np.asarray(canvas, dtype=np.uint8), boxes


def crowd_jpeg(quality: int = 85) -> bytes:
    """:func:`crowd_image` through :func:`jpeg_with_everything` (== ``samples/crowd.jpg``)."""
    return jpeg_with_everything(crowd_image()[0], quality=quality)


#: Which tokens each builder plants as plain ASCII in the output bytes.
TOKENS_BY_BUILDER: dict[str, tuple[str, ...]] = {
    "jpeg_with_everything": EXIF_TOKENS
    + (XMP_TOKEN, ICC_TOKEN, IPTC_TOKEN, COMMENT_TOKEN, THUMB_TOKEN, TRAILER_TOKEN),
    "mpo_with_second_image": EXIF_TOKENS + (MPO_TOKEN,),
    "png_with_text": EXIF_TOKENS + (PNG_TEXT_TOKEN, XMP_TOKEN, ICC_TOKEN, TRAILER_TOKEN),
    "webp_with_exif_xmp": EXIF_TOKENS + (WEBP_TOKEN, XMP_TOKEN, ICC_TOKEN),
    "tiff_with_exif": EXIF_TOKENS,
    "heic_with_exif": EXIF_TOKENS + (XMP_TOKEN,),
}
TOKENS_BY_BUILDER["crowd_jpeg"] = TOKENS_BY_BUILDER["jpeg_with_everything"]


# --------------------------------------------------------------------------------------------
# Self-check
# --------------------------------------------------------------------------------------------


def _tiles(width: int, height: int, n: int, overlap: float = 0.2) -> list[tuple[int, ...]]:
    """``n x n`` tiles (x, y, w, h) covering the image, neighbours overlapping by ``overlap``."""
    if n == 1:
        return [(0, 0, width, height)]
    tw, th = int(width / n * (1 + overlap)), int(height / n * (1 + overlap))
    xs = np.linspace(0, width - tw, n).astype(int)
    ys = np.linspace(0, height - th, n).astype(int)
    return [(int(x), int(y), tw, th) for y in ys for x in xs]


def _detect_faces(
    pixels: np.ndarray, grids: Iterable[int] = (1, 2)
) -> list[tuple[int, int, int, int]]:
    """Full-range BlazeFace (crowdveil's ONNX port of mediapipe's model, one model call per
    tile) on the whole image and on ``n x n`` overlapping tiles for each ``n`` in ``grids``;
    returns de-duplicated boxes (x, y, w, h). Only used by the self-check (imports lazily)."""
    from crowdveil.detect.blazeface import BlazeFaceDetector

    h, w = pixels.shape[:2]
    found: list[tuple[int, int, int, int]] = []
    detector = BlazeFaceDetector()
    try:
        for n in grids:
            for x0, y0, tw, th in _tiles(w, h, n):
                tile = np.ascontiguousarray(pixels[y0 : y0 + th, x0 : x0 + tw])
                for det in detector._detect_once(tile):
                    box = (round(x0 + det.x), round(y0 + det.y), round(det.w), round(det.h))
                    if not any(_iou(box, f) > 0.3 for f in found):
                        found.append(box)
    finally:
        detector.close()
    return found


def _iou(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> float:
    ix = max(0, min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0, min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = a[2] * a[3] + b[2] * b[3] - inter
    return inter / union if union else 0.0


def _self_check() -> None:
    import pillow_heif

    pillow_heif.register_heif_opener()
    pixels = face_image()
    no_substrings = all(a == b or a not in b for a in ALL_TOKENS for b in ALL_TOKENS)
    print(f"tokens unique, none a substring of another: {no_substrings}")
    outputs = {
        "jpeg_with_everything": jpeg_with_everything(pixels, orientation=6),
        "mpo_with_second_image": mpo_with_second_image(pixels),
        "png_with_text": png_with_text(pixels, with_alpha=True),
        "webp_with_exif_xmp": webp_with_exif_xmp(pixels),
        "tiff_with_exif": tiff_with_exif(pixels),
        "heic_with_exif": heic_with_exif(pixels),
        "crowd_jpeg": crowd_jpeg(),
    }
    for name, data in outputs.items():
        with Image.open(io.BytesIO(data)) as im:
            im.load()
            desc = f"{im.format} {im.mode} {im.size} frames={getattr(im, 'n_frames', 1)}"
        present = tokens_in(data)
        missing = [t for t in TOKENS_BY_BUILDER[name] if t not in present]
        print(f"{name}: {len(data)} bytes, {desc}")
        print(f"  present: {present}")
        print(f"  missing (expected present): {missing or 'none'}")
    crowd, boxes = crowd_image()
    print(f"crowd faces planted: {len(boxes)}: {boxes}")
    for grids in ((1, 2), (1, 2, 3, 4, 6)):
        found = _detect_faces(crowd, grids)
        hits = [b for b in boxes if any(_iou(b, f) > 0.3 for f in found)]
        false = [f for f in found if not any(_iou(b, f) > 0.1 for b in boxes)]
        missed = [b for b in boxes if b not in hits]
        print(
            f"  BlazeFace full-range, tile grids {grids}: found {len(hits)}/{len(boxes)}, "
            f"false positives {len(false)}, missed {missed}"
        )


if __name__ == "__main__":
    _self_check()


def encode_clip(path: Path, frames: Iterable[np.ndarray], *, rate: int = 30,
               options: dict[str, str] | None = None, metadata: dict[str, str] | None = None,
               display_matrix: list[int] | None = None) -> Path:
    """An H.264 clip (yuv420p) of `frames` (RGB arrays, all one size): the container's
    `metadata` planted, the stream's display matrix set when given."""
    frames = iter(frames)
    first = next(frames)
    with av.open(str(path), "w") as c:
        if metadata:
            c.metadata.update(metadata)
        s = c.add_stream("libx264", rate=rate, options=options or {})
        s.height, s.width = first.shape[:2]
        s.pix_fmt = "yuv420p"
        if display_matrix is not None:
            s.set_display_matrix(display_matrix)
        for rgb in (first, *frames):
            for p in s.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                c.mux(p)
        for p in s.encode():
            c.mux(p)
    return path
