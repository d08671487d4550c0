"""The frames a region drawn on a clip holds for, kept in the region's `source` field.

A region the user draws on a clip holds over the whole clip until the user trims it (the safe
default: one frame in which a face shows is enough to identify someone). Its span travels in
`source` ("manual@frames=10-19") so that moving, resizing, undo and redo keep it, as they keep
everything else of a region. No Qt and no decoder here: the window and the workers both use it.
"""

from __future__ import annotations

from dataclasses import replace

from ..regions import Region

MARK = "@frames="


def span_of(region: Region, frames: int) -> tuple[int, int]:
    """(first, last) frame, both included; the whole clip unless trimmed, or if unreadable."""
    whole = (0, max(0, frames - 1))
    _, sep, rest = region.source.partition(MARK)
    if not sep:
        return whole
    try:
        first, last = (int(v) for v in rest.split("-", 1))
    except ValueError:
        return whole
    first, last = max(0, first), min(whole[1], last)
    return (first, last) if first <= last else whole


def with_span(region: Region, first: int, last: int) -> Region:
    base = region.source.partition(MARK)[0]
    return replace(region, source=f"{base}{MARK}{first}-{last}")


def holds_at(region: Region, frame: int, frames: int) -> bool:
    first, last = span_of(region, frames)
    return first <= frame <= last
