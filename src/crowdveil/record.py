"""What crowdveil wrote into an output folder, so that a rerun trusts only its own work.

A rerun must never take a file for "already cleaned" because it merely exists and looks clean:
an unredacted copy placed at the output name, or the output of another photo that happened to
get the same name, would be published as safe. So every output is recorded, before it is
renamed into place, as one fact: "these output bytes (SHA-256) were written at this name from
these input bytes (SHA-256) with these settings (key)". A file is skipped only when all three
still hold; one that matches no fact is not ours and is never replaced without --overwrite.

The record (`.crowdveil.record.jsonl` in the output folder) holds output names relative to that
folder, digests and sizes, and nothing else: no input name or path, so it does not undo
`--rename`, and no metadata value. The input is stored as a keyed digest (HMAC-SHA256 under a
secret kept in the user's configuration folder, never in the output folder): a plain digest
would let anyone who holds an original and finds a published record tell which output came
from it. On another machine, or without that secret, a rerun cannot prove anything and simply
redoes the photos. Lines are appended with O_APPEND by the worker processes
(one short write each), so concurrent workers never interleave and a killed run leaves at
most one torn line, which is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import sys
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import LoadError, WriteError, display_path, os_reason

RECORD_NAME = ".crowdveil.record.jsonl"
RECORD_VERSION = 1
KEY_NAME = "record.key"
_key_cache: bytes | None = None
_MAX_RECORD_BYTES = 64 * 1024 * 1024  # a record of ~300,000 photos; a larger one is not ours
_CHUNK = 1 << 20


def digest_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """SHA-256 of a regular file's bytes (never follows a link); None if it is not one."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # a FIFO or device would hang or never end
            return None
        h = hashlib.sha256()
        while chunk := os.read(fd, _CHUNK):
            h.update(chunk)
        return h.hexdigest()
    except OSError:
        return None
    finally:
        os.close(fd)


def regular_file_digest(path: Path) -> str:
    """`file_digest`, or LoadError for what is not a regular file (a clip is hashed whole
    before it is decoded: a pipe named .mp4 must be refused, not waited on)."""
    digest = file_digest(path)
    if digest is None:
        raise LoadError("load.not_regular")
    return digest


def _config_dir() -> Path:
    if sys.platform == "win32":
        return Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming") / "crowdveil"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "crowdveil"
    return Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config") / "crowdveil"


def machine_key() -> bytes:
    """This user's secret for keyed input digests, created on first use (32 random bytes).

    When it cannot be stored (read-only home), a key for this process only is used: nothing is
    less safe, a later run just cannot prove earlier outputs and redoes them.
    """
    global _key_cache
    if _key_cache is not None:
        return _key_cache
    path = _config_dir() / KEY_NAME
    key = _read_key(path)
    if key is None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{KEY_NAME}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(32))
                fh.flush()
                os.fsync(fh.fileno())
            try:
                os.link(tmp, path)  # atomic and never replaces: concurrent workers agree
            except FileExistsError:
                pass
            finally:
                os.unlink(tmp)
        except OSError:
            pass
        key = _read_key(path)
    _key_cache = key if key is not None else secrets.token_bytes(32)
    return _key_cache


def _read_key(path: Path) -> bytes | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    return data if len(data) == 32 else None


def input_tag(input_sha256: str) -> str:
    """The keyed digest of an input that the record stores in place of its plain digest."""
    return hmac.new(machine_key(), input_sha256.encode("ascii"), hashlib.sha256).hexdigest()


def settings_key(**settings: object) -> str:
    """A short digest of everything that decides an output's pixels (method, detector, regions).

    Callers pass plain JSON values; two runs with equal settings give equal keys.
    """
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=_plain)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def _plain(value: object) -> object:
    if hasattr(value, "to_json"):
        return value.to_json()
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)  # type: ignore[call-overload]
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"not a settings value: {type(value).__name__}")


@dataclass(frozen=True)
class Fact:
    output: str  # relative to the record's folder, '/'-separated
    output_sha256: str
    input_tag: str  # input_tag(SHA-256 of the input's bytes)
    key: str
    width: int = 0
    height: int = 0
    # written by the app from regions the user reviewed (maybe added by hand): the command
    # line never replaces it with an automatic output unasked. Lines written before the field
    # existed, and any value but true, read as not reviewed.
    reviewed: bool = False


def _parse(raw: bytes) -> list[Fact]:
    facts = []
    for line in raw.splitlines():
        try:
            item = json.loads(line)
            if item.get("v") != RECORD_VERSION:
                continue
            facts.append(Fact(str(item["output"]), str(item["output_sha256"]),
                              str(item["input_tag"]), str(item["key"]),
                              int(item.get("width", 0)), int(item.get("height", 0)),
                              item.get("reviewed") is True))
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return facts


@dataclass
class _Seen:
    """What this process has read of one record file so far."""

    identity: tuple[int, int]  # (device, inode): another file at the same path starts over
    offset: int = 0  # just past the last complete line read
    head: bytes = b""  # the file's first line, once read
    facts: list[Fact] = field(default_factory=list)


_seen: dict[str, _Seen] = {}
_seen_lock = threading.Lock()


class Record:
    """The record of one output folder (the folder given to -o, or chosen in the app)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.abspath(root))
        self.path = self.root / RECORD_NAME

    def _name(self, output: Path) -> str | None:
        rel = os.path.relpath(os.path.abspath(output), self.root)
        if rel.startswith(".."):
            return None
        return Path(rel).as_posix()

    def facts(self) -> list[Fact]:
        """Every readable fact; torn, foreign or damaged lines are ignored (they prove nothing).

        Every job of a batch asks, so the lines already read are kept (per process) and only
        what was appended since is read: the record is append-only. A record that shrank or was
        replaced by another file is read again from the start.
        """
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(self.path, flags)
        except OSError:
            return []
        with os.fdopen(fd, "rb") as fh:
            st = os.fstat(fh.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > _MAX_RECORD_BYTES:
                return []
            identity = (st.st_dev, st.st_ino)
            with _seen_lock:
                seen = _seen.get(str(self.path))
                # an inode number is reused once a file is deleted: the first line tells a
                # new record at the same place from the one read before
                if (seen is None or seen.identity != identity or seen.offset > st.st_size
                        or fh.read(len(seen.head)) != seen.head):
                    seen = _seen[str(self.path)] = _Seen(identity)
                fh.seek(seen.offset)
                raw = fh.read(_MAX_RECORD_BYTES - seen.offset)
                whole, newline, tail = raw.rpartition(b"\n")  # a line being written waits
                if newline:
                    if not seen.offset:
                        seen.head = whole.partition(b"\n")[0] + newline
                    seen.facts += _parse(whole)
                    seen.offset += len(whole) + 1
                return seen.facts + _parse(tail)

    def add(self, output: Path, output_sha256: str, input_sha256: str, key: str,
            width: int = 0, height: int = 0, reviewed: bool = False) -> None:
        """Append one fact; raises WriteError if the record cannot be written safely.

        `reviewed`: the app wrote it from regions the user reviewed (see `Fact.reviewed`)."""
        name = self._name(output)
        if name is None:
            raise WriteError("record.outside", file=display_path(output))
        item: dict[str, object] = {
            "v": RECORD_VERSION, "output": name, "output_sha256": output_sha256,
            "input_tag": input_tag(input_sha256), "key": key, "width": width, "height": height}
        if reviewed:  # only then: the command line's lines stay as they always were
            item["reviewed"] = True
        line = json.dumps(item, separators=(",", ":"))
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, flags | getattr(os, "O_NONBLOCK", 0), 0o600)
        except OSError as exc:
            raise WriteError("record.cannot_write", folder=display_path(self.root),
                             reason=os_reason(exc)) from exc
        try:
            st = os.fstat(fd)
            # a link (hard or symbolic) planted at the record's name could make us append to
            # someone's photo: the record is only ever a plain file of its own
            if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
                raise WriteError("record.not_plain", file=display_path(self.path))
            os.write(fd, (line + "\n").encode("ascii"))
            os.fsync(fd)
        except OSError as exc:
            raise WriteError("record.cannot_write", folder=display_path(self.root),
                             reason=os_reason(exc)) from exc
        finally:
            os.close(fd)

    def _holding(self, output: Path, want: Callable[[Fact], bool]) -> list[Fact]:
        """The facts about `output` that `want` accepts and whose bytes are the file's now (the
        file is hashed only when some fact is accepted)."""
        name = self._name(output)
        if name is None or os.path.islink(output):
            return []
        accepted = [f for f in self.facts() if f.output == name and want(f)]
        if not accepted:
            return []
        current = file_digest(output)
        return [f for f in accepted if f.output_sha256 == current]

    def proof(self, output: Path, input_sha256: str, key: str) -> Fact | None:
        """The fact showing `output` is what we wrote from these input bytes with this key."""
        tag = input_tag(input_sha256)
        return next(iter(self._holding(output, lambda f: f.input_tag == tag and f.key == key)),
                    None)

    def reviewed(self, output: Path, input_sha256: str) -> Fact | None:
        """The fact showing `output` is what the app wrote from these input bytes with the
        regions the user reviewed, whatever its settings (still exactly those bytes)."""
        tag = input_tag(input_sha256)
        return next(iter(self._holding(output, lambda f: f.reviewed and f.input_tag == tag)),
                    None)

    def holding(self, output: Path) -> list[Fact]:
        """Every fact whose bytes the file now at `output` holds: empty if we did not write it
        (not ours to replace); a `reviewed` one among them: the app wrote it from regions the
        user reviewed, from whichever input."""
        return self._holding(output, lambda f: True)

    def wrote(self, output: Path) -> bool:
        """True if the file now at `output` holds bytes we wrote there (ours to replace)."""
        return bool(self.holding(output))

    def find(self, folder: Path, input_sha256: str, key: str) -> tuple[Path, Fact] | None:
        """An existing output directly in `folder` proven to come from these bytes and key.

        This is how a `--rename` batch resumes: its names are random, but the facts are not.
        """
        prefix = self._name(folder / "x")
        if prefix is None:
            return None
        parent = prefix.rpartition("/")[0]
        tag = input_tag(input_sha256)
        for fact in self.facts():
            if (fact.input_tag == tag and fact.key == key
                    and fact.output.rpartition("/")[0] == parent):
                path = self.root / fact.output
                if not path.is_symlink() and file_digest(path) == fact.output_sha256:
                    return path, fact
        return None
