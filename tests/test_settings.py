"""The one settings object: a bad value is refused where it is built, not deep in a worker."""

from __future__ import annotations

import dataclasses

import pytest

from crowdveil import pipeline
from crowdveil.settings import DEFAULT_MAX_PIXELS, DEFAULT_QUALITY, Options


def test_defaults_are_the_documented_ones() -> None:
    o = Options()
    assert (o.method, o.quality, o.max_pixels, o.overwrite, o.keep_audio) == \
        ("fill", DEFAULT_QUALITY, DEFAULT_MAX_PIXELS, False, False)
    assert pipeline.Options is Options  # photos and clips take the same object


@pytest.mark.parametrize("bad", [
    {"method": "pixelate"},
    {"method": ""},
    {"quality": 0},
    {"quality": 101},
    {"quality": 90.5},
    {"quality": True},
    {"max_pixels": 0},
    {"max_pixels": -5},
    {"max_pixels": 1e6},
])
def test_bad_values_are_refused(bad: dict) -> None:
    with pytest.raises(ValueError):
        Options(**bad)


def test_a_run_cannot_change_its_settings_half_way() -> None:
    o = Options()
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.method = "blur"  # type: ignore[misc]
    # a changed copy is checked like a new one
    with pytest.raises(ValueError):
        dataclasses.replace(o, quality=500)
    assert dataclasses.replace(o, overwrite=True).overwrite
