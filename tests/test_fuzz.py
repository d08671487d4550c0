"""Hostile files: whatever the bytes, a clean verified output or one line of error, nothing else.

Valid JPEG, MPO, PNG, WebP, TIFF and HEIC files are mutated (lengths lied about, segments
duplicated, bytes flipped, inserted, deleted, files truncated; see fuzz/harness.py) and fed
through the whole pipeline. Deterministic (derandomized hypothesis); the long run by hand is
fuzz/run_fuzz.py. Every file that ever broke the rules is replayed from tests/regressions/.
"""

from __future__ import annotations

import itertools
import struct
import tracemalloc
import warnings
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crowdveil import reveal
from crowdveil.containers import ContainerError
from crowdveil.errors import CrowdveilError
from fuzz.harness import StubDetector, check_case, mutate, seeds

SEEDS = seeds()
REGRESSIONS = Path(__file__).parent / "regressions"
_counter = itertools.count()

positions = st.integers(0, 1 << 20)
op = st.one_of(
    st.tuples(st.just("lie"), positions,
              st.one_of(st.sampled_from([0, 1, 2, 0xFF, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF]),
                        st.integers(0, 1 << 32))),
    st.tuples(st.just("dup"), positions),
    st.tuples(st.just("flip"), positions, st.integers(1, 255)),
    st.tuples(st.just("insert"), positions, st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("delete"), positions, st.integers(1, 64)),
    st.tuples(st.just("truncate"), positions),
)
mutations = st.lists(op, min_size=1, max_size=5)

FUZZ = settings(derandomize=True, database=None, deadline=None, max_examples=150,
                suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


def _check(data: bytes, name: str, detector, workdir: Path, must_succeed: bool = False) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # decoders warn about damage; the oracle judges it
        problem = check_case(data, name, detector, workdir / str(next(_counter)), must_succeed)
    assert problem is None, problem


def test_every_seed_file_is_cleaned(workdir: Path) -> None:
    """The unmutated seeds pass: the oracle can say 'ok', not only 'error'."""
    stub = StubDetector()
    for name, data in SEEDS.items():
        _check(data, name, stub, workdir, must_succeed=True)


@pytest.mark.parametrize("name", sorted(SEEDS))
def test_mutated_file_gives_verified_output_or_one_line_error(name: str, workdir: Path) -> None:
    stub = StubDetector()

    @FUZZ
    @given(ops=mutations)
    def case(ops: list[tuple]) -> None:
        _check(mutate(SEEDS[name], ops), name, stub, workdir)

    case()


@settings(derandomize=True, database=None, deadline=None, max_examples=25,
          suppress_health_check=list(HealthCheck))
@given(name=st.sampled_from(sorted(SEEDS)), ops=mutations)
def test_mutated_files_through_the_real_detector(name: str, ops: list, detector, workdir) -> None:
    _check(mutate(SEEDS[name], ops), name, detector, workdir)


@FUZZ
@given(name=st.sampled_from(sorted(SEEDS)), ops=mutations)
def test_inspection_of_a_mutated_file_names_damage_instead_of_crashing(name: str, ops) -> None:
    data = mutate(SEEDS[name], ops)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            found = reveal.findings(data)
        except (ContainerError, CrowdveilError) as exc:  # the documented ways to refuse
            assert str(exc) and "\n" not in str(exc)
            return
    assert all("\n" not in f.text for f in found)


def test_an_exif_tag_claiming_millions_of_values_is_unreadable_not_a_memory_bomb() -> None:
    # piexif builds a format string as long as a tag's claimed count before reading it: this
    # SHORT tag claiming 50 million values in a 26-byte block would cost it 50 MB (a fuzzed
    # HEIC's counts took a worker to 23 GB).
    entry = struct.pack(">HHLL", 0x010F, 3, 50_000_000, 0)  # Make, SHORT
    raw = b"MM\x00\x2a" + struct.pack(">LH", 8, 1) + entry + b"\x00" * 4
    tracemalloc.start()
    try:
        found = reveal.exif_findings(b"Exif\x00\x00" + raw)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    assert [f.text for f in found] == [f"EXIF block ({len(raw)} bytes, unreadable)"]


REGRESSION_FILES = sorted(p for p in REGRESSIONS.glob("*") if p.suffix not in (".txt", ".md"))


def test_regression_folder_is_not_empty() -> None:
    assert REGRESSION_FILES, "the crash regressions must be replayed, not silently absent"


@pytest.mark.parametrize("path", REGRESSION_FILES, ids=lambda p: p.name)
def test_file_that_once_broke_the_rules_now_follows_them(path: Path, workdir: Path) -> None:
    data = path.read_bytes()
    _check(data, path.name, StubDetector(), workdir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            reveal.findings(data)
        except (ContainerError, CrowdveilError):
            pass
