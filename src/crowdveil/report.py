"""The JSON report of a batch, and where it may be written.

The report sits next to the photos people publish, gets attached to messages and pasted into
issues, so by default it says what kinds of metadata were removed and how many, never what they
said: a list of everything removed would hand over exactly what the clean copies withhold (the
place, the camera's serial number, the owner's name). With --rename it names no input file or
folder either, or it would be the very table that links the random names back to the camera's.
The values are written only in the detailed form, which the user asks for by name.

Schema version 2 (version 1 listed the removed values and the input path in every row):
  {"version": 2, "details": bool, "files": [row, ...]}
  row: input (str | null), output (str | null), status (ok | error | skipped), error (str | null),
       width, height, regions ([{x, y, w, h, shape, score, source}]),
       metadata_found ({kind: count}, kinds as `reveal.Finding.kind`), notes ([str]),
       and in the detailed form only metadata_details ([str], the values in plain words).
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from . import reveal
from .errors import CrowdveilError, display_path
from .write_clean import TEMP_PREFIX, TEMP_SUFFIX, write_atomic

if TYPE_CHECKING:
    from .pipeline import FileResult

VERSION = 2
REMOVED = "[removed]"  # what stands in a note or error for a value the safe form leaves out


class ReportPathError(CrowdveilError):
    """The report cannot go where it was asked to; nothing has been processed yet."""


def details_warning(path: Path) -> str:
    return (f"crowdveil: warning: the report {display_path(path)} lists everything that was "
            "removed (GPS positions, serial numbers, names, original file names and folders); "
            "keep it private: it must not be published or shared with the photos")


def metadata_counts(findings: Iterable[reveal.Finding]) -> dict[str, int]:
    """How many findings of each kind, e.g. {"gps": 1, "serial": 2}: no value at all."""
    return dict(sorted(Counter(f.kind for f in findings).items()))


def _values(findings: Iterable[reveal.Finding]) -> list[str]:
    """The private part of each finding's words, to keep it out of notes and errors too."""
    values = []
    for text in (f.text for f in findings):
        if text.startswith("GPS position "):
            values.append(text[len("GPS position "):].split(" (", 1)[0])
        elif ": " in text:
            values.append(text.split(": ", 1)[1].rstrip("…"))
    return [v for v in values if len(v.strip()) >= 3]


def _scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    if text is None:
        return None
    for secret in sorted(set(secrets), key=len, reverse=True):  # a path before its file name
        text = text.replace(secret, REMOVED)
    return text


def _input_names(shown: str) -> list[str]:
    names = [shown, os.path.basename(shown)]
    with contextlib.suppress(OSError, ValueError):
        names.append(os.path.abspath(shown))
    return [n for n in names if n]


# -- rows and the whole report -------------------------------------------------------------------

def row(result: FileResult, *, details: bool = False, hide_input: bool = False) -> dict:
    """One file's row; `hide_input` (for --rename) drops every trace of the input's name."""
    found = list(result.metadata_found)
    body: dict = {
        "input": result.input,
        "output": result.output,
        "status": result.status,
        "error": result.error,
        "width": result.width,
        "height": result.height,
        "regions": [r.to_json() for r in result.regions],
        "metadata_found": metadata_counts(found),
        "notes": list(result.notes),
    }
    if details:
        body["metadata_details"] = [f.text for f in found]
        return body
    secrets = _values(found)
    if hide_input:
        body["input"] = None
        secrets += _input_names(result.input)
    body["error"] = _scrub(result.error, secrets)
    body["notes"] = [_scrub(n, secrets) for n in result.notes]
    return body


def build(
    results: Iterable[FileResult], *, details: bool = False, hide_input: bool = False
) -> dict:
    rows = [row(r, details=details, hide_input=hide_input) for r in results]
    if hide_input and not details:
        # results come in input order, which is the camera's: sorted by their random names the
        # rows no longer say which output was taken first
        rows.sort(key=lambda r: (r["output"] is None, r["output"] or "", r["error"] or ""))
    return {"version": VERSION, "details": details, "files": rows}


def write(body: dict, path: Path, *, overwrite: bool = False) -> None:
    """Write the report whole or not at all; an existing file is kept unless `overwrite`."""
    data = (json.dumps(body, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
    write_atomic(data, path, overwrite=overwrite)


# -- where it may go ---------------------------------------------------------------------------

def _inside(path: Path, folder: Path) -> bool:
    target, root = path.resolve(), folder.resolve()
    if target.is_relative_to(root):
        return True
    if not root.is_dir():
        return False
    for parent in target.parents:  # the same folder reached another way (a bind mount)
        with contextlib.suppress(OSError):
            if parent.is_dir() and os.path.samefile(parent, root):
                return True
    return False


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or os.path.samefile(a, b)
    except (OSError, RuntimeError):
        return False


def _probe(folder: Path) -> None:
    """Fail now, not after the batch, if the report's folder cannot take a new file."""
    try:
        fd, name = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX,
                                    dir=folder)
    except OSError as exc:
        raise ReportPathError(f"cannot write the report in {display_path(folder)}: "
                              f"{exc.strerror or type(exc).__name__}") from exc
    os.close(fd)
    os.unlink(name)


def check_target(
    path: Path, *, inputs: Iterable[Path], writing: Iterable[Path], overwrite: bool = False
) -> None:
    """Refuse a report path that would replace an input, land where outputs are published,
    replace an existing file without `overwrite`, or not be writable at all."""
    name = display_path(path)
    if path.is_dir():
        raise ReportPathError(f"{name} is a folder: give a file name such as "
                              "report.json")
    for folder in writing:
        if _inside(path, folder):
            raise ReportPathError(
                f"{name} is inside the output folder {display_path(folder)}, the folder "
                "people publish: write it somewhere else")
    if path.exists():
        for source in inputs:
            if _same_file(path, source):
                raise ReportPathError(f"{name} is one of the input photos: it would "
                                      "replace it")
    if os.path.lexists(path) and not overwrite:
        raise ReportPathError(f"{name} exists, not replaced: choose another name, "
                              "delete it, or use --overwrite")
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # write_atomic creates the missing folders below this one
    if not folder.is_dir():
        raise ReportPathError(f"cannot write the report in {display_path(folder)}: "
                              "not a folder")
    _probe(folder)
