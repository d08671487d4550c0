"""The JSON report of a batch, and where it may be written.

The report sits next to the photos people publish, gets attached to messages and pasted into
issues, so by default it says what kinds of metadata were removed and how many, never what they
said: a list of everything removed would hand over exactly what the clean copies withhold (the
place, the camera's serial number, the owner's name). With --rename it names no input file or
folder either, or it would be the very table that links the random names back to the camera's.
The values are written only in the detailed form, which the user asks for by name.

Every sentence is there twice: in words, in the language the report was written in
("language"), and as data that is the same in every language ({"code", "values"}; a value may
itself be such an object), which is what scripts should read.

Schema version 3 (2 had no codes; 1 listed the removed values and the input path in every row):
  {"version": 3, "language": "en" | "fr" | ..., "details": bool, "files": [row, ...]}
  and, when the run knows it, "device": {"device": "cpu" | "cuda" | ..., "precision": "fp32" |
  "int8"}: where the faces were searched.
  row: input (str | null), output (str | null), status (ok | error | skipped), error (str | null),
       error_code ({code, values} | null), width, height,
       regions ([{x, y, w, h, shape, score, source}]),
       metadata_found ({kind: count}, kinds as `reveal.Finding.kind`), notes ([str]),
       note_codes ([{code, values}]),
       and in the detailed form only metadata_details ([str], the values in plain words) and
       metadata_codes ([{kind, code, values}]).
Without the detailed form, a value that a finding holds (a name, a serial) or, under --rename,
the input's name is replaced by "[removed]" wherever it appears, in the words and in the codes'
values alike.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from . import reveal
from .errors import CrowdveilError, display_path, os_reason
from .messages import Message, Value, msg, render
from .write_clean import probe_folder, write_atomic

if TYPE_CHECKING:
    from .pipeline import FileResult

VERSION = 3
REMOVED = "[removed]"  # what stands in a note or error for a value the safe form leaves out


class ReportPathError(CrowdveilError):
    """The report cannot go where it was asked to; nothing has been processed yet."""


def details_warning(path: Path) -> Message:
    return msg("report.details_warning", file=display_path(path))


def metadata_counts(findings: Iterable[reveal.Finding]) -> dict[str, int]:
    """How many findings of each kind, e.g. {"gps": 1, "serial": 2}: no value at all."""
    return dict(sorted(Counter(f.kind for f in findings).items()))


def _values(findings: Iterable[reveal.Finding]) -> list[str]:
    """The private part of each finding (its words: a name, a serial, a place), to keep it out
    of notes and errors too, however they are worded."""
    values: list[str] = []
    for f in findings:
        for value in f.values.values():
            if isinstance(value, str):
                values.append(value.rstrip("…"))
            elif isinstance(value, float):  # a position, in any language's decimal mark
                values += [f"{value:.5f}", f"{value:.5f}".replace(".", ",")]
    return [v for v in values if len(v.strip()) >= 3]


def _scrub(text: str | None, secrets: Iterable[str]) -> str | None:
    if text is None:
        return None
    for secret in sorted(set(secrets), key=len, reverse=True):  # a path before its file name
        text = text.replace(secret, REMOVED)
    return text


def _scrub_message(message: Message, secrets: list[str]) -> Message:
    values: dict[str, Value] = {}
    for key, value in message.values.items():
        if isinstance(value, Message):
            values[key] = _scrub_message(value, secrets)
        elif isinstance(value, str):
            values[key] = _scrub(value, secrets) or ""
        else:
            values[key] = value
    return Message(message.code, values)


def _code(message: Message | None) -> dict | None:
    return None if message is None else message.to_json()


def _input_names(shown: str) -> list[str]:
    names = [shown, os.path.basename(shown)]
    with contextlib.suppress(OSError, ValueError):
        names.append(os.path.abspath(shown))
    return [n for n in names if n]


# -- rows and the whole report -------------------------------------------------------------------

def row(
    result: FileResult, *, details: bool = False, hide_input: bool = False, lang: str = "en"
) -> dict:
    """One file's row, its words in `lang`; `hide_input` (for --rename) drops every trace of
    the input's name."""
    found = list(result.metadata_found)
    error, notes = result.error_message, list(result.note_messages)
    secrets: list[str] = []
    if not details:
        secrets = _values(found)
        if hide_input:
            secrets += _input_names(result.input)
        error = None if error is None else _scrub_message(error, secrets)
        notes = [_scrub_message(n, secrets) for n in notes]
    body: dict = {
        "input": None if hide_input and not details else result.input,
        "output": result.output,
        "status": result.status,
        "error": None if error is None else _scrub(render(error, lang), secrets),
        "error_code": _code(error),
        "width": result.width,
        "height": result.height,
        "regions": [r.to_json() for r in result.regions],
        "metadata_found": metadata_counts(found),
        "notes": [_scrub(render(n, lang), secrets) for n in notes],
        "note_codes": [n.to_json() for n in notes],
    }
    if result.video is not None:  # a clip: its regions are counted, not listed frame by frame
        body["video"] = dict(result.video)
    if details:
        body["metadata_details"] = [render(f.message, lang) for f in found]
        body["metadata_codes"] = [{"kind": f.kind, **f.message.to_json()} for f in found]
    return body


def build(
    results: Iterable[FileResult], *, details: bool = False, hide_input: bool = False,
    lang: str = "en", device: dict[str, str] | None = None,
) -> dict:
    rows = [row(r, details=details, hide_input=hide_input, lang=lang) for r in results]
    if hide_input and not details:
        # results come in input order, which is the camera's: sorted by their random names the
        # rows no longer say which output was taken first
        rows.sort(key=lambda r: (r["output"] is None, r["output"] or "", r["error"] or ""))
    body = {"version": VERSION, "language": lang, "details": details, "files": rows}
    if device is not None:
        body["device"] = dict(device)
    return body


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
    """Fail now, not after the batch, if the report's folder cannot take a new file (read-only,
    full, not the user's)."""
    try:
        probe_folder(folder)
    except OSError as exc:
        raise ReportPathError("report.cannot_write", folder=display_path(folder),
                              reason=os_reason(exc)) from exc


def check_target(
    path: Path, *, inputs: Iterable[Path], writing: Iterable[Path], overwrite: bool = False
) -> None:
    """Refuse a report path that would replace an input, land where outputs are published,
    replace an existing file without `overwrite`, or not be writable at all."""
    name = display_path(path)
    if path.is_dir():
        raise ReportPathError("report.is_folder", file=name)
    for folder in writing:
        if _inside(path, folder):
            raise ReportPathError("report.inside_output", file=name,
                                  folder=display_path(folder))
    if path.exists():
        for source in inputs:
            if _same_file(path, source):
                raise ReportPathError("report.is_input", file=name)
    if os.path.lexists(path) and not overwrite:
        raise ReportPathError("report.exists", file=name)
    folder = path.absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent  # write_atomic creates the missing folders below this one
    if not folder.is_dir():
        raise ReportPathError("report.not_a_folder", folder=display_path(folder))
    _probe(folder)
