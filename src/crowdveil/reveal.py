"""What a photo gives away, in plain words: the findings behind `crowdveil inspect` and the report.

Read-only: it never changes anything. Each format family (`formats/`) walks its own container
and says what its parts give away; here are the findings' type, the readers the families share
(EXIF, XMP, ICC, what Pillow parses) and `findings`, which asks the family the bytes belong to.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import piexif

from . import formats
from .messages import Message, Value, msg

# EXIF tag numbers (piexif names in comments) that identify a person, a device, a place or a time.
# Each tag's message code names it ("exif.camera_make": "Camera make: {value}").
DEVICE_TAGS = {
    "0th": {271: "exif.camera_make", 272: "exif.camera_model", 305: "exif.software",
            316: "exif.host_computer"},
    "Exif": {
        42033: "exif.body_serial", 42037: "exif.lens_serial",
        42035: "exif.lens_make", 42036: "exif.lens_model", 42032: "exif.camera_owner",
    },
}
NAME_TAGS = {
    "0th": {315: "exif.artist", 33432: "exif.copyright", 270: "exif.description",
            40093: "exif.author"},
    "Exif": {37510: "exif.user_comment", 42016: "exif.unique_id"},
}
DATE_TAGS = {"0th": {306: "exif.date_modified"},
             "Exif": {36867: "exif.date_taken", 36868: "exif.date_digitised"}}
MAKER_NOTE = 37500


@dataclass(frozen=True)
class Finding:
    """One thing a photo gives away: its kind, and what it is as a message (code + values).

    The words are the caller's to choose (`messages.render(finding.message, lang)`); `text`
    is the English line.
    """

    kind: str  # short stable label for reports: gps, device, serial, name, date, thumbnail, ...
    code: str  # the message code, e.g. "finding.gps", "exif.body_serial"
    values: Mapping[str, Value] = field(default_factory=dict)  # the GPS position, serial...

    @property
    def message(self) -> Message:
        return Message(self.code, self.values)

    @property
    def text(self) -> str:
        return str(self.message)

    def __str__(self) -> str:
        return self.text

    def __hash__(self) -> int:
        return hash((self.kind, self.message))


def short_text(value: object, limit: int = 80) -> str:
    if isinstance(value, bytes):
        if value.startswith(b"UNICODE\x00"):  # EXIF UserComment in UTF-16, either byte order
            body = value[8:]
            codec = "utf-16-be" if body[:1] == b"\x00" else "utf-16-le"
            value = body.decode(codec, "replace")
        else:
            if value.startswith((b"ASCII\x00\x00\x00", b"\x00" * 8)):
                value = value[8:]
            value = value.decode("utf-8", "replace")
        value = value.replace("\x00", "")
    elif isinstance(value, tuple) and all(isinstance(v, int) for v in value):
        value = bytes(v for v in value if 0 <= v < 256).decode("utf-16-le", "replace")
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_EXIF_DATE = re.compile(r"^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")


def _tag_value(kind: str, value: object) -> Value:
    """A tag's value for the message: a date as data, written the reader's way ("14/07/2019
    13:37:42" in French) when it reads as one; any other value as the file gave it."""
    text = short_text(value)
    when = _EXIF_DATE.match(text) if kind == "date" else None
    if when is None:
        return text
    year, month, day, hour, minute, second = (int(g) for g in when.groups())
    return msg("date.time", year=year, month=month, day=day, hour=hour, minute=minute,
               second=second)


def _degrees(value: Any) -> float | None:  # EXIF rationals: whatever a file holds
    try:
        d, m, s = ((n / den) if den else 0.0 for n, den in value)
        return d + m / 60 + s / 3600
    except (TypeError, ValueError):
        return None


def _gps(gps: dict) -> Finding | None:
    if not gps:
        return None
    lat, lon = _degrees(gps.get(2)), _degrees(gps.get(4))
    if lat is not None and lon is not None:
        ns = short_text(gps.get(1, b"N")) or "N"
        ew = short_text(gps.get(3, b"E")) or "E"
        return Finding("gps", "finding.gps", {"lat": lat, "ns": ns, "lon": lon, "ew": ew})
    return Finding("gps", "finding.gps_fields", {"n": len(gps)})


# Bytes per value of each TIFF field type; piexif reads the IFDs named below.
_TYPE_SIZE = {1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8}
_SUB_IFD_TAGS = (34665, 34853, 40965)  # Exif, GPS, Interoperability
_MAX_IFDS = 16


def _exif_counts_fit(raw: bytes) -> bool:
    """Whether every tag of the IFDs piexif reads claims no more data than the block holds.

    piexif builds a format string as long as a tag's claimed count before it reads a value, so
    one hostile count (a fuzzed HEIC had billions) makes it allocate gigabytes.
    """
    order = {b"II": "<", b"MM": ">"}.get(raw[:2])
    if order is None or len(raw) < 8:
        return False
    try:
        first = struct.unpack(order + "L", raw[4:8])[0]
        todo, seen = [first], set()
        while todo:
            offset = todo.pop()
            if offset == 0 or offset in seen:
                continue
            seen.add(offset)
            if len(seen) > _MAX_IFDS:
                return False
            (count,) = struct.unpack(order + "H", raw[offset:offset + 2])
            for i in range(count):
                entry = raw[offset + 2 + 12 * i:offset + 14 + 12 * i]
                tag, kind, values, pointer = struct.unpack(order + "HHLL", entry)
                if values * _TYPE_SIZE.get(kind, 1) > len(raw):
                    return False
                if tag in _SUB_IFD_TAGS:
                    todo.append(pointer)
            after = offset + 2 + 12 * count
            if offset == first and len(raw) >= after + 4:  # the thumbnail's IFD ("1st")
                todo.append(struct.unpack(order + "L", raw[after:after + 4])[0])
    except struct.error:  # an IFD or entry runs past the end of the block
        return False
    return True


def exif_findings(raw: bytes) -> list[Finding]:
    """Findings from an EXIF block (with or without the 'Exif\\0\\0' prefix)."""
    if raw.startswith(b"Exif\x00\x00"):
        raw = raw[6:]
    if not _exif_counts_fit(raw):
        return [Finding("exif", "finding.exif_unreadable", {"size": len(raw)})]
    try:
        exif = piexif.load(raw)
    except Exception:  # hostile or vendor-mangled EXIF: still say it is there
        return [Finding("exif", "finding.exif_unreadable", {"size": len(raw)})]
    found = [Finding("exif", "finding.exif", {"size": len(raw)})]
    gps = _gps(exif.get("GPS") or {})
    if gps:
        found.append(gps)
    for kind, table in (("device", DEVICE_TAGS), ("name", NAME_TAGS), ("date", DATE_TAGS)):
        for ifd, tags in table.items():
            for tag, code in tags.items():
                value = (exif.get(ifd) or {}).get(tag)
                if value:
                    label_kind = "serial" if code.endswith("_serial") else kind
                    found.append(Finding(label_kind, code, {"value": _tag_value(kind, value)}))
    maker = (exif.get("Exif") or {}).get(MAKER_NOTE)
    if maker:
        found.append(Finding("maker-note", "finding.maker_note", {"size": len(maker)}))
    if exif.get("thumbnail"):
        found.append(Finding("thumbnail", "finding.thumbnail",
                             {"size": len(exif["thumbnail"])}))
    return found


def xmp_finding(data: bytes) -> Finding:
    gps = b"GPSLatitude" in data or b"GPSLongitude" in data
    return Finding("xmp", "finding.xmp_gps" if gps else "finding.xmp", {"size": len(data)})


ICC = Finding("icc", "finding.icc")


def trailer(walked: formats.Layout) -> list[Finding]:
    """What follows the image's end: the place a motion photo's video or an archive hides."""
    if not walked.trailing:
        return []
    return [Finding("trailer", "finding.trailer", {"size": walked.trailing})]


def pillow_findings(data: bytes, max_pixels: int) -> list[Finding]:
    """For families (TIFF, HEIF) whose metadata sits in structures Pillow parses for us."""
    from .load import count_images, open_image  # local: load imports this module too

    found: list[Finding] = []
    with open_image(io.BytesIO(data), max_pixels) as im:
        info = dict(im.info)
        exif = info.get("exif")
        if not exif:
            raw = im.getexif()
            exif = raw.tobytes() if len(raw) else None
        if exif:
            found += exif_findings(exif)
        if info.get("xmp"):
            found.append(xmp_finding(info["xmp"]))
        if info.get("icc_profile"):
            found.append(ICC)
        try:
            frames, more = count_images(im)  # Pillow's own TIFF count is quadratic in pages
        except (TypeError, ValueError, OSError, EOFError, SyntaxError):
            frames, more = 2, False  # a later frame exists but is damaged: still more than one
        if more:
            found.append(Finding("embedded-image", "finding.more_than_images",
                                 {"n": frames - 1}))
        elif frames > 1:
            found.append(Finding("embedded-image", "finding.more_images", {"n": frames - 1}))
        thumbs = info.get("thumbnails") or []
        if thumbs:
            found.append(Finding("thumbnail", "finding.thumbnails", {"n": len(thumbs)}))
    return found


def findings(data: bytes, max_pixels: int | None = None) -> list[Finding]:
    """Everything private-looking in a file's bytes; raises ContainerError on a broken container.

    `max_pixels`: the size limit the photo is cleaned under (a photo allowed past the default
    by --max-megapixels must not lose its findings to the default limit).
    """
    from .load import DEFAULT_MAX_PIXELS  # local: load imports this module too

    limit = DEFAULT_MAX_PIXELS if max_pixels is None else max_pixels
    family = formats.by_magic(data)
    if isinstance(family, formats.PhotoFamily):
        return family.findings(data, limit)
    return pillow_findings(data, limit)  # no magic of ours: Pillow's openers decide
