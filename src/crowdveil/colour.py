"""Pixels in other colour primaries, converted to sRGB values (pure numpy).

The clean copy carries no colour description, so viewers take its values as sRGB. A photo
whose colours were described some other way must have its values converted first, or it comes
out dull or shifted. Embedded ICC profiles are applied by LittleCMS in load.py; this module
covers HEIC files that state their colour space as CICP/nclx numbers instead: primaries, a
white point and a transfer curve. Phones use this for wide-gamut (Display P3) pictures.
"""

from __future__ import annotations

import numpy as np

from .messages import Message, msg

Chromaticities = tuple[float, float, float, float, float, float]  # red x, y; green; blue
SRGB_PRIMARIES: Chromaticities = (0.64, 0.33, 0.30, 0.60, 0.15, 0.06)
D65 = (0.3127, 0.3290)
_ROWS_PER_CHUNK = 512  # bounds the float copy: a 100 MP picture never needs 1 GB at once
# CICP transfer characteristics (ITU-T H.273) that are the sRGB curve or the BT.709 family,
# which viewers show with the sRGB curve; PQ (16) and HLG (18) are HDR and would need tone
# mapping.
_SDR_TRANSFERS = {1, 2, 6, 13, 14, 15}
_HDR_TRANSFERS = {16, 18}


def rgb_to_xyz(primaries: Chromaticities, white: tuple[float, float]) -> np.ndarray:
    """The 3 x 3 matrix from linear RGB in these primaries to CIE XYZ (white has Y = 1)."""
    xy = np.array(primaries, float).reshape(3, 2)
    columns = np.stack([xy[:, 0] / xy[:, 1], np.ones(3), (1 - xy.sum(axis=1)) / xy[:, 1]])
    wx, wy = white
    white_xyz = np.array([wx / wy, 1.0, (1 - wx - wy) / wy])
    return columns * np.linalg.solve(columns, white_xyz)


def _linear(values: np.ndarray) -> np.ndarray:
    v = values / 255.0
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4)


_DECODE = _linear(np.arange(256, dtype=np.float64)).astype(np.float32)


def _encode_table(steps: int = 65536) -> np.ndarray:
    v = np.linspace(0.0, 1.0, steps)
    v = np.where(v <= 0.0031308, v * 12.92, 1.055 * np.power(v, 1 / 2.4) - 0.055)
    return np.clip(v * 255.0 + 0.5, 0, 255).astype(np.uint8)


# A table, not the power function per pixel: 65,536 linear steps are finer than any 8-bit
# level, even near black, and a 12 MP picture converts in a fraction of the time.
_ENCODE = _encode_table()


def _encoded(linear: np.ndarray) -> np.ndarray:
    steps = len(_ENCODE) - 1
    return _ENCODE[(np.clip(linear, 0.0, 1.0) * steps + 0.5).astype(np.uint16)]


def to_srgb(pixels: np.ndarray, primaries: Chromaticities, white: tuple[float, float] = D65
            ) -> np.ndarray:
    """`pixels` (H x W x 3 or 4 uint8, sRGB tone curve) in `primaries` -> the sRGB values that
    show the same colours; colours sRGB cannot show are clipped. Alpha is kept."""
    matrix = np.linalg.solve(rgb_to_xyz(SRGB_PRIMARIES, D65),
                             rgb_to_xyz(primaries, white)).astype(np.float32)
    out = pixels.copy()
    for y in range(0, pixels.shape[0], _ROWS_PER_CHUNK):
        rgb = out[y:y + _ROWS_PER_CHUNK, :, :3]
        rgb[...] = _encoded(_DECODE[rgb] @ matrix.T)
    return out


def nclx_to_srgb(pixels: np.ndarray, nclx: object, notes: list[Message]) -> np.ndarray:
    """Apply a HEIC's CICP/nclx colour description (as pillow-heif reports it: the primaries'
    chromaticities, white point and transfer curve) so colours survive dropping it; what
    cannot be converted is kept as stored, with a note."""
    if not isinstance(nclx, dict) or nclx.get("color_primaries", 2) in (1, 2):
        return pixels  # BT.709 primaries are sRGB's; 2 is "unspecified", read as sRGB
    try:
        primaries = tuple(float(nclx[f"color_primary_{c}_{a}"])
                          for c in ("red", "green", "blue") for a in ("x", "y"))
        white = (float(nclx["color_primary_white_x"]), float(nclx["color_primary_white_y"]))
        transfer = int(nclx.get("transfer_characteristics", 2))
    except (KeyError, TypeError, ValueError):
        return pixels
    if np.allclose(primaries, SRGB_PRIMARIES, atol=0.002):
        return pixels
    if transfer in _HDR_TRANSFERS:
        notes.append(msg("note.hdr_kept"))
        return pixels
    if (transfer in _SDR_TRANSFERS and np.allclose(white, D65, atol=0.002)
            and all(0 < v < 1 for v in primaries)):
        try:
            return to_srgb(pixels, primaries, white)  # type: ignore[arg-type]
        except np.linalg.LinAlgError:  # primaries on one line: a file's numbers, not a space
            pass
    notes.append(msg("note.colour_unusual"))
    return pixels
