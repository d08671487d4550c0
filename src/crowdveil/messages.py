"""Messages as data: what the core says is a code and its values; the words come at the end.

The core never builds a sentence. An error, a note or a finding is a `Message` (a stable,
language-independent code such as "load.truncated" and its values: a file name, a size, a GPS
position); the command line and the window turn it into words in the user's language with
`render`. The JSON report keeps the code and values beside the words, so a script reading it
does not break when the language changes.

The English words are the catalogue's source (`english.ENGLISH`); every other language is one
gettext catalogue, `locale/<lang>/LC_MESSAGES/crowdveil.po`, compiled to the `.mo` beside it.
Each entry's context (msgctxt) is the code and its msgid the English template, so a translator
sees the sentence and the code cannot collide with another sentence. A string missing from a
catalogue is said in English.
"""

from __future__ import annotations

import gettext
import locale
import string
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Union

from .english import ENGLISH

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "crowdveil"
DEFAULT_LANGUAGE = "en"
# French typography: this space before : ; ? ! and inside « », and between groups of digits.
# One character everywhere (the no-break space; terminals draw it, unlike some narrow ones).
NBSP = "\u00a0"

Value = Union[str, int, float, "Message"]


@dataclass(frozen=True)
class Message:
    """What happened, as data: picklable (it crosses the worker-process pool) and comparable.

    `values` hold the particulars (file, size, reason...). A value may itself be a Message,
    e.g. the plain-words reason an OS error gave (`reason=Message("os.no_space")`).
    """

    code: str
    values: Mapping[str, Value] = field(default_factory=dict)

    def __str__(self) -> str:  # logs, tracebacks and `str(exc)`: English
        return render(self, DEFAULT_LANGUAGE)

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, repr(v)) for k, v in self.values.items()))))

    def to_json(self) -> dict:
        """The language-independent form the report keeps: {"code": ..., "values": {...}}."""
        return {"code": self.code, "values": {
            k: v.to_json() if isinstance(v, Message) else v for k, v in self.values.items()}}


def msg(code: str, /, **values: Value) -> Message:
    """`Message(code, values)` written the short way: msg("load.truncated", file=name)."""
    return Message(code, values)


# -- which language ------------------------------------------------------------------------------

def available_languages() -> list[str]:
    """English and every language that has a compiled catalogue in the package."""
    found = {DEFAULT_LANGUAGE}
    if LOCALE_DIR.is_dir():
        for mo in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"):
            found.add(mo.parent.parent.name)
    return sorted(found)


# Windows names its locales in words ("French_France.1252")
_LANGUAGE_NAMES = {"french": "fr", "english": "en"}


def _language_of(value: str) -> str | None:
    """"fr_FR.UTF-8" -> "fr"; "C", "POSIX" and empty -> None (no preference stated)."""
    tag = value.split(":")[0].split(".")[0].split("@")[0].replace("-", "_")
    if tag in ("", "C", "POSIX"):
        return None
    lang = tag.split("_")[0].lower()
    return _LANGUAGE_NAMES.get(lang, lang)


def preferred_languages(environ: Mapping[str, str]) -> list[str] | None:
    """The languages the environment asks for, best first, read the way GNU gettext reads them.

    The locale is the first of LC_ALL, LC_MESSAGES, LANG that is set. LANGUAGE (a colon list,
    e.g. "fr_CA:fr:en", what desktop settings write when a user orders several languages) wins
    over it, except when the locale is C or POSIX or unset, where gettext ignores LANGUAGE.
    [] means C/POSIX (English); None means nothing is set (Windows, macOS: ask the system).
    """
    locale_value = next(
        (environ[k] for k in ("LC_ALL", "LC_MESSAGES", "LANG") if environ.get(k)), None)
    if locale_value is None:
        return None
    from_locale = _language_of(locale_value)
    if from_locale is None:
        return []
    listed = [lang for lang in map(_language_of, environ.get("LANGUAGE", "").split(":")) if lang]
    return listed or [from_locale]


def resolve_language(requested: str | None, environ: Mapping[str, str]) -> str:
    """The language to speak: `requested` (--lang, the app's menu) if given, else the locale
    (`preferred_languages`: the first listed language that has a catalogue). On Windows and
    macOS, where no locale variable is usually set, the system's own setting is asked. A
    language without a catalogue is English.
    """
    have = available_languages()
    if requested:
        lang = _language_of(requested)
        return lang if lang in have else DEFAULT_LANGUAGE
    wanted = preferred_languages(environ)
    if wanted is not None:
        return next((lang for lang in wanted if lang in have), DEFAULT_LANGUAGE)
    if sys.platform in ("win32", "darwin"):
        try:
            system = locale.getlocale()[0] or ""
        except ValueError:
            system = ""
        lang = _language_of(system)
        if lang in have:
            return lang  # type: ignore[return-value]
    return DEFAULT_LANGUAGE


# -- words ---------------------------------------------------------------------------------------

@cache
def _translations(lang: str) -> gettext.NullTranslations:
    if lang == DEFAULT_LANGUAGE:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[lang], fallback=True)


def _localise_number(text: str, lang: str) -> str:
    if lang == "fr":  # 1,234.5 -> 1 234,5
        return text.replace(",", NBSP).replace(".", ",")
    return text


class _Formatter(string.Formatter):
    """str.format with numbers written for the language and nested messages rendered in it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: object, format_spec: str) -> str:
        if isinstance(value, Message):
            return render(value, self.lang)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int) and not format_spec:
            format_spec = ","
        if isinstance(value, (int, float)):
            return _localise_number(format(value, format_spec), self.lang)
        return format(value, format_spec)


def template(code: str, lang: str, n: int | None = None) -> str:
    """The words of `code` in `lang`, placeholders not yet filled (English if untranslated)."""
    english = ENGLISH.get(code)
    if english is None:
        return code
    t = _translations(lang)
    if isinstance(english, tuple):
        count = 1 if n is None else n
        return t.npgettext(code, english[0], english[1], count)
    return t.pgettext(code, english)


def render(message: Message, lang: str = DEFAULT_LANGUAGE) -> str:
    """The message in words of `lang` ("en", "fr"...); English for anything not translated."""
    values = dict(message.values)
    n = values.get("n")
    count = n if isinstance(n, int) else None
    if message.code not in ENGLISH:  # a code this version does not know: say what we have
        return " ".join([message.code, *(f"{k}={v}" for k, v in values.items())])
    words = template(message.code, lang, count)
    try:
        return _Formatter(lang).format(words, **values)
    except (KeyError, IndexError, ValueError):  # a broken translation must not hide the message
        return _Formatter(lang).format(template(message.code, DEFAULT_LANGUAGE, count), **values)


def ngettext(code: str, n: int, lang: str = DEFAULT_LANGUAGE, /, **values: Value) -> str:
    """A plural message in words: `n` picks the form by the language's own rule (French: n > 1
    is plural) and fills {n}; e.g. ngettext("cli.summary.files", 3, "fr")."""
    return render(Message(code, {**values, "n": n}), lang)


def text(code: str, lang: str = DEFAULT_LANGUAGE, /, **values: Value) -> str:
    """`render(msg(code, **values), lang)`: the words of one message, for the CLI's own lines."""
    return render(Message(code, values), lang)


def gettext_for(lang: str) -> gettext.NullTranslations:
    """The catalogue of `lang`, for strings that are not ours (argparse's own, under the
    context "argparse")."""
    return _translations(lang)
