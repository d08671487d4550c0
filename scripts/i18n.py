"""The message catalogues: extract the template, start or refresh a language, compile.

    python scripts/i18n.py extract        # src/crowdveil/locale/crowdveil.pot from english.py
    python scripts/i18n.py update fr      # create/refresh locale/fr/LC_MESSAGES/crowdveil.po
    python scripts/i18n.py compile        # every crowdveil.po -> crowdveil.mo beside it
    python scripts/i18n.py check          # exit 1 if a .pot or .mo is not up to date

Only the standard library: the compiled file is GNU gettext's .mo format, which Python's own
`gettext` module reads at run time. Entries have the message code as context (msgctxt) and
the English words as msgid; a fuzzy or empty translation is left out of the .mo, so the
program says that message in English.
"""

from __future__ import annotations

import ast
import re
import struct
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "crowdveil"
LOCALE = PACKAGE / "locale"
POT = LOCALE / "crowdveil.pot"
ARGPARSE_CONTEXT = "argparse"
PLURAL_FORMS = {  # gettext's rule per language; one line more for each new language
    "fr": "nplurals=2; plural=(n > 1);",
    "en": "nplurals=2; plural=(n != 1);",
}


@dataclass
class Entry:
    context: str | None
    msgid: str
    plural: str | None = None
    strings: list[str] = field(default_factory=list)  # msgstr, or msgstr[0..n]
    fuzzy: bool = False
    comments: list[str] = field(default_factory=list)  # translator comments, kept as they are

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


def source_entries() -> list[Entry]:
    """Every string to translate, in the order english.py gives them (read without importing
    the package, so this runs from a bare checkout)."""
    tree = ast.parse((PACKAGE / "english.py").read_text(encoding="utf-8"))
    values: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            values[node.target.id] = ast.literal_eval(node.value)  # type: ignore[arg-type]
    entries = []
    for code, words in values["ENGLISH"].items():  # type: ignore[attr-defined]
        if isinstance(words, tuple):
            entries.append(Entry(code, words[0], words[1]))
        else:
            entries.append(Entry(code, words))
    entries += [Entry(ARGPARSE_CONTEXT, w) for w in values["ARGPARSE"]]  # type: ignore[attr-defined]
    entries += [Entry(ARGPARSE_CONTEXT, one, many)
                for one, many in values["ARGPARSE_PLURAL"]]  # type: ignore[attr-defined]
    return entries


# -- .po text ------------------------------------------------------------------------------------

_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t"}
_UNESCAPES = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


def _quote(text: str) -> str:
    return '"' + "".join(_ESCAPES.get(c, c) for c in text) + '"'


def _unquote(token: str) -> str:
    body = token.strip()
    if not (body.startswith('"') and body.endswith('"')):
        raise ValueError(f"not a quoted string: {token!r}")
    return re.sub(r"\\(.)", lambda m: _UNESCAPES.get(m.group(1), m.group(1)), body[1:-1])


def parse_po(text: str) -> tuple[str, list[Entry]]:
    """(header msgstr, entries) of a .po file; obsolete (#~) entries are dropped."""
    entries: list[Entry] = []
    header = ""
    current: dict = {}
    field_name: str | None = None
    flags: set[str] = set()
    comments: list[str] = []

    def finish() -> None:
        nonlocal current, flags, comments
        if "msgid" in current:
            if current["msgid"] == "" and current.get("msgctxt") is None:
                nonlocal header
                header = current.get("msgstr", "")
            else:
                strings = ([current["msgstr"]] if "msgstr" in current else
                           [current[k] for k in sorted(current) if k.startswith("msgstr[")])
                entries.append(Entry(current.get("msgctxt"), current["msgid"],
                                     current.get("msgid_plural"), strings, "fuzzy" in flags,
                                     comments))
        current, flags, comments = {}, set(), []

    for line in text.splitlines():
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if line.startswith("#~"):
            continue
        if line.startswith("#,"):
            finish() if "msgid" in current else None
            flags |= {f.strip() for f in line[2:].split(",")}
            continue
        if line.startswith("#"):
            if "msgid" in current:
                finish()
            if line.startswith("# "):
                comments.append(line)
            continue
        if line.startswith('"'):
            if field_name is None:
                raise ValueError(f"continuation without a field: {line!r}")
            current[field_name] += _unquote(line)
            continue
        name, _, rest = line.partition(" ")
        if name == "msgctxt" or (name == "msgid" and "msgctxt" not in current):
            if "msgid" in current:
                finish()
        current[name] = _unquote(rest)
        field_name = name
    finish()
    return header, entries


def _po_field(name: str, value: str) -> str:
    if "\n" in value[:-1]:  # long multi-line strings read better one line each
        parts = value.splitlines(keepends=True)
        return f'{name} ""\n' + "\n".join(_quote(p) for p in parts)
    return f"{name} {_quote(value)}"


def format_po(header: str, entries: list[Entry]) -> str:
    out = [_po_field("msgid", ""), _po_field("msgstr", header), ""]
    for e in entries:
        out += e.comments
        if e.fuzzy:
            out.append("#, fuzzy")
        if e.context is not None:
            out.append(_po_field("msgctxt", e.context))
        out.append(_po_field("msgid", e.msgid))
        if e.plural is not None:
            out.append(_po_field("msgid_plural", e.plural))
            strings = e.strings or ["", ""]
            out += [_po_field(f"msgstr[{i}]", s) for i, s in enumerate(strings)]
        else:
            out.append(_po_field("msgstr", e.strings[0] if e.strings else ""))
        out.append("")
    return "\n".join(out)


def header_for(lang: str) -> str:
    return ("Project-Id-Version: crowdveil\n"
            f"Language: {lang}\n"
            "MIME-Version: 1.0\n"
            "Content-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: 8bit\n"
            f"Plural-Forms: {PLURAL_FORMS.get(lang, 'nplurals=2; plural=(n != 1);')}\n")


# -- .mo bytes -----------------------------------------------------------------------------------

def compile_mo(header: str, entries: list[Entry]) -> bytes:
    """GNU .mo bytes (little-endian, no hash table): what msgfmt writes, sorted by key."""
    table: dict[bytes, bytes] = {b"": header.encode("utf-8")}
    for e in entries:
        if e.fuzzy or not e.strings or not all(e.strings):
            continue  # untranslated: English at run time
        key = e.msgid if e.plural is None else f"{e.msgid}\0{e.plural}"
        if e.context is not None:
            key = f"{e.context}\x04{key}"
        table[key.encode("utf-8")] = "\0".join(e.strings).encode("utf-8")
    keys = sorted(table)
    n = len(keys)
    originals_at = 7 * 4
    translations_at = originals_at + n * 8
    data_at = translations_at + n * 8
    blobs = b""
    originals, translations = [], []
    for k in keys:
        originals.append((len(k), data_at + len(blobs)))
        blobs += k + b"\0"
    for k in keys:
        v = table[k]
        translations.append((len(v), data_at + len(blobs)))
        blobs += v + b"\0"
    head = struct.pack("<7I", 0x950412DE, 0, n, originals_at, translations_at, 0, data_at)
    index = b"".join(struct.pack("<2I", *p) for p in originals + translations)
    return head + index + blobs


# -- the commands --------------------------------------------------------------------------------

def pot_text() -> str:
    header = ("Project-Id-Version: crowdveil\nMIME-Version: 1.0\n"
              "Content-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n"
              "Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\n")
    return format_po(header, source_entries())


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / "crowdveil.po"


def updated_po(lang: str) -> str:
    """The language's .po with every source entry, its translations kept where the English is
    unchanged; a changed English sentence keeps its old translation marked fuzzy (unused until
    someone checks it)."""
    path = po_path(lang)
    old: dict[tuple[str | None, str], Entry] = {}
    by_context: dict[str | None, Entry] = {}
    header = header_for(lang)
    if path.exists():
        header, entries = parse_po(path.read_text(encoding="utf-8"))
        old = {e.key: e for e in entries}
        by_context = {e.context: e for e in entries if e.context != ARGPARSE_CONTEXT}
    merged = []
    for e in source_entries():
        if e.key in old:
            kept = old[e.key]
            e.strings, e.fuzzy, e.comments = kept.strings, kept.fuzzy, kept.comments
        elif e.context in by_context and e.context != ARGPARSE_CONTEXT:
            e.strings, e.fuzzy = by_context[e.context].strings, True
        merged.append(e)
    return format_po(header, merged)


def languages() -> list[str]:
    return sorted(p.parent.parent.name for p in LOCALE.glob("*/LC_MESSAGES/crowdveil.po"))


def compiled(lang: str) -> bytes:
    header, entries = parse_po(po_path(lang).read_text(encoding="utf-8"))
    return compile_mo(header, entries)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "extract":
        POT.parent.mkdir(parents=True, exist_ok=True)
        POT.write_text(pot_text(), encoding="utf-8")
    elif command == "update":
        for lang in argv[1:] or languages():
            po_path(lang).parent.mkdir(parents=True, exist_ok=True)
            po_path(lang).write_text(updated_po(lang), encoding="utf-8")
    elif command == "compile":
        for lang in languages():
            po_path(lang).with_suffix(".mo").write_bytes(compiled(lang))
    elif command == "check":
        stale = [] if POT.exists() and POT.read_text(encoding="utf-8") == pot_text() else [POT]
        for lang in languages():
            mo = po_path(lang).with_suffix(".mo")
            if not mo.exists() or mo.read_bytes() != compiled(lang):
                stale.append(mo)
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
