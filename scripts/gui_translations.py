"""The window's translation catalogues: extract the strings, merge them into the .ts, compile.

    python scripts/gui_translations.py          # update each i18n/crowdveil_<lang>.ts, compile
    python scripts/gui_translations.py --check  # exit 1 if a .ts or .qm is out of date

The window marks its strings with `self.tr(...)` (context: the class) or
`QCoreApplication.translate("Context", ...)`; a third argument makes a plural (`%n`, `%Ln`).
Extraction reads the code's syntax tree rather than running pyside6-lupdate, whose Python parser
drops calls that span lines or sit in a conditional expression: a dropped string would be shown
in English without anyone noticing. The .ts files stay Qt Linguist's format, so translators can
use Linguist; `pyside6-lrelease` (shipped with PySide6-Essentials) compiles them to the .qm files
the package ships.

English is the source language; crowdveil_en.ts holds only the plural forms ("1 photo",
"2 photos"). A new language: copy crowdveil_fr.ts to crowdveil_<lang>.ts, set its `language`
attribute, translate, run this script, and add the language to `gui/language.py`'s LANGUAGES.
"""

from __future__ import annotations

import ast
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
GUI = REPO / "src" / "crowdveil" / "gui"
I18N = GUI / "i18n"
PLACEHOLDER = re.compile(r"%L?n|%\d|\{[A-Za-z_]\w*\}")


@dataclass(frozen=True)
class Key:
    context: str
    source: str
    comment: str = ""  # Qt's disambiguation


@dataclass
class Entry:
    key: Key
    numerus: bool
    translation: str = ""  # not numerus
    forms: list[str] = field(default_factory=list)  # numerus
    finished: bool = False
    where: str = ""  # file:line of the first use (for messages, not written to the .ts)


class ExtractError(ValueError):
    pass


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _calls(tree: ast.AST):
    """(call, enclosing class name or "") for every call in the module."""
    def walk(node: ast.AST, cls: str):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ClassDef):
                yield from walk(child, child.name)
                continue
            if isinstance(child, ast.Call):
                yield child, cls
            yield from walk(child, cls)
    yield from walk(tree, "")


def _is_tr(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr == "tr" and isinstance(
        func.value, ast.Name) and func.value.id == "self"


def _is_translate(func: ast.expr) -> bool:
    return isinstance(func, ast.Attribute) and func.attr == "translate" and isinstance(
        func.value, ast.Name) and func.value.id == "QCoreApplication"


def extract(files: list[Path] | None = None) -> dict[Key, Entry]:
    """Every string the window marks for translation. A call whose text is not a literal is
    an error: no catalogue could hold it."""
    found: dict[Key, Entry] = {}
    for path in files if files is not None else sorted(GUI.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for call, cls in _calls(tree):
            if _is_tr(call.func):
                context, args = cls, call.args
            elif _is_translate(call.func):
                context, args = _literal(call.args[0]) if call.args else None, call.args[1:]
            else:
                continue
            where = f"{path.name}:{call.lineno}"
            text = _literal(args[0]) if args else None
            if not context or text is None:
                raise ExtractError(f"{where}: the text to translate must be a string literal "
                                   "(and the context too)")
            comment = _literal(args[1]) if len(args) > 1 else ""
            numerus = len(args) > 2
            key = Key(context, text, comment or "")
            if key not in found:
                found[key] = Entry(key, numerus, where=where)
            elif found[key].numerus != numerus:
                raise ExtractError(f"{where}: {text!r} is used both with and without a count")
    return found


def read_ts(path: Path) -> dict[Key, Entry]:
    entries: dict[Key, Entry] = {}
    root = ET.parse(path).getroot()
    for ctx in root.iter("context"):
        name = ctx.findtext("name") or ""
        for message in ctx.iter("message"):
            key = Key(name, message.findtext("source") or "", message.findtext("comment") or "")
            tr = message.find("translation")
            numerus = message.get("numerus") == "yes"
            entry = Entry(key, numerus)
            if tr is not None:
                entry.finished = tr.get("type") not in ("unfinished", "obsolete", "vanished")
                if numerus:
                    entry.forms = [f.text or "" for f in tr.iter("numerusform")]
                else:
                    entry.translation = tr.text or ""
            entries[key] = entry
    return entries


def language_of(path: Path) -> str:
    return ET.parse(path).getroot().get("language", "")


def write_ts(path: Path, lang: str, entries: list[Entry]) -> None:
    root = ET.Element("TS", {"version": "2.1", "language": lang, "sourcelanguage": "en"})
    contexts: dict[str, ET.Element] = {}
    for e in entries:
        ctx = contexts.get(e.key.context)
        if ctx is None:
            ctx = contexts[e.key.context] = ET.SubElement(root, "context")
            ET.SubElement(ctx, "name").text = e.key.context
        message = ET.SubElement(ctx, "message", {"numerus": "yes"} if e.numerus else {})
        ET.SubElement(message, "source").text = e.key.source
        if e.key.comment:
            ET.SubElement(message, "comment").text = e.key.comment
        tr = ET.SubElement(message, "translation", {} if e.finished else {"type": "unfinished"})
        if e.numerus:
            for form in e.forms or [""]:
                ET.SubElement(tr, "numerusform").text = form
        else:
            tr.text = e.translation
    ET.indent(root, space="    ")
    body = ET.tostring(root, encoding="unicode")
    path.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + body + "\n",
                    encoding="utf-8")


def merged(path: Path, found: dict[Key, Entry]) -> list[Entry]:
    """The .ts entries for the strings in the code: translations kept, new ones unfinished,
    strings no longer used dropped. The English catalogue holds only plurals."""
    old = read_ts(path) if path.exists() else {}
    plurals_only = path.name.endswith("_en.ts")
    out = []
    for key, entry in found.items():
        if plurals_only and not entry.numerus:
            continue
        have = old.get(key)
        if have is not None and have.numerus == entry.numerus:
            out.append(Entry(key, entry.numerus, have.translation, have.forms, have.finished))
        else:
            out.append(Entry(key, entry.numerus))
    return out


def placeholders(text: str) -> list[str]:
    return sorted(p.replace("%Ln", "%n") for p in PLACEHOLDER.findall(text))


def problems(path: Path, found: dict[Key, Entry] | None = None) -> list[str]:
    """What is wrong with a catalogue: a string of the code missing or unfinished, or a
    translation whose placeholders differ from its source's."""
    found = extract() if found is None else found
    have = read_ts(path)
    plurals_only = path.name.endswith("_en.ts")
    out = []
    for key, entry in found.items():
        if plurals_only and not entry.numerus:
            continue
        got = have.get(key)
        label = f"{path.name}: {entry.where} {key.context} {key.source!r}"
        if got is None:
            out.append(f"{label}: missing")
            continue
        texts = got.forms if entry.numerus else [got.translation]
        if not got.finished or not all(t.strip() for t in texts):
            out.append(f"{label}: not translated")
            continue
        for text in texts:
            if placeholders(text) != placeholders(key.source):
                out.append(f"{label}: placeholders {placeholders(text)} in {text!r}, "
                           f"{placeholders(key.source)} in the source")
    return out


def lrelease() -> str:
    """pyside6-lrelease, beside this Python or on PATH."""
    here = Path(sys.executable).with_name("pyside6-lrelease")
    found = str(here) if here.exists() else shutil.which("pyside6-lrelease")
    if not found:
        raise FileNotFoundError("pyside6-lrelease not found (it comes with PySide6-Essentials)")
    return found


def compile_ts(ts: Path, qm: Path) -> None:
    subprocess.run([lrelease(), "-silent", "-removeidentical" if ts.name.endswith("_en.ts")
                    else "-nounfinished", str(ts), "-qm", str(qm)], check=True)


def catalogues() -> list[Path]:
    return sorted(I18N.glob("crowdveil_*.ts"))


def main(argv: list[str]) -> int:
    found = extract()
    if "--check" in argv:
        bad = []
        for ts in catalogues():
            bad += problems(ts, found)
            with tempfile.TemporaryDirectory() as scratch:
                fresh = Path(scratch) / ts.with_suffix(".qm").name
                compile_ts(ts, fresh)
                if fresh.read_bytes() != ts.with_suffix(".qm").read_bytes():
                    bad.append(f"{ts.with_suffix('.qm').name} is not compiled from {ts.name}")
        print("\n".join(bad) or f"{len(found)} strings, every catalogue complete")
        return 1 if bad else 0
    for ts in catalogues():
        write_ts(ts, language_of(ts), merged(ts, found))
        compile_ts(ts, ts.with_suffix(".qm"))
        todo = problems(ts, found)
        print(f"{ts.name}: {len(todo)} to translate" + "".join(f"\n  {t}" for t in todo))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
