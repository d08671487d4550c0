"""The window's language: which one, and Qt's translators for it.

The window's strings go through Qt's `tr()`; their French lives in `i18n/crowdveil_fr.ts`
(edited by translators, e.g. in Qt Linguist) compiled to `i18n/crowdveil_fr.qm`, which ships in
the package. English is the source language: `crowdveil_en.qm` only holds its plural forms
("1 photo", "2 photos"). Qt's own `qtbase_<lang>.qm` translates the standard dialogs' buttons.

The language is, first to last: `crowdveil-gui --lang`, the choice made in the Language menu
(kept in the app's settings, applied at the next start), the system's locale; English when
nothing else is known or a language has no catalogue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QSettings, QTranslator

from crowdveil.messages import preferred_languages

I18N = Path(__file__).with_name("i18n")
SOURCE_LANGUAGE = "en"
# Each language by its own name (an endonym): whoever cannot read the current language must
# still find theirs in the menu, so these are never translated.
LANGUAGES = {"en": "English", "fr": "Français"}
SETTINGS_KEY = "language"

_installed: list[QTranslator] = []


def supported(lang: str | None) -> str | None:
    """The catalogue's language code for `lang` ("fr_CA.UTF-8" -> "fr"), or None."""
    if not lang:
        return None
    code = lang.replace("-", "_").split("_")[0].split(".")[0].lower()
    return code if code in LANGUAGES else None


def system_language(environ: Mapping[str, str] | None = None) -> str:
    """The language the system asks for, read as gettext and `messages.resolve_language` read
    it (`messages.preferred_languages`: LANGUAGE's list, else the locale; "C": English); with
    no locale set (Windows, macOS), the OS setting Qt knows. English when it is none we have.

    Not resolve_language itself: that one also asks whether the core's catalogue is there,
    and the window has its own (a .qm), so a missing .mo must not turn the window English."""
    environ = os.environ if environ is None else environ
    wanted = preferred_languages(environ)
    if wanted is not None:  # set, even "C": that is what the user chose
        return next((lang for lang in map(supported, wanted) if lang), SOURCE_LANGUAGE)
    for name in QLocale.system().uiLanguages():
        if supported(name):
            return supported(name) or SOURCE_LANGUAGE
    return SOURCE_LANGUAGE


def settings() -> QSettings:
    """The app's settings (only the language): a plain .ini file in the user's configuration
    folder on every system, never the Windows registry."""
    return QSettings(QSettings.Format.IniFormat, QSettings.Scope.UserScope, "crowdveil",
                     "crowdveil-gui")


def saved_language() -> str | None:
    """The language chosen in the Language menu, or None to follow the system."""
    return supported(str(settings().value(SETTINGS_KEY, "") or ""))


def save_language(lang: str | None) -> None:
    """Keep the menu's choice for the next start (None: follow the system again)."""
    store = settings()
    if lang is None:
        store.remove(SETTINGS_KEY)
    else:
        store.setValue(SETTINGS_KEY, lang)
    store.sync()


def choose(requested: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The language to start in: --lang, else the menu's saved choice, else the system's."""
    return supported(requested) or saved_language() or system_language(environ)


def locale_for(lang: str) -> QLocale:
    """Numbers and dates as the user's own locale writes them when it is in this language
    (fr_CA, fr_BE...), else as the language's main country does."""
    system = QLocale.system()
    if supported(system.name()) == lang:
        return system
    return QLocale(lang)


def install(lang: str) -> str:
    """Put the window's and Qt's translators for `lang` in place of any installed before.

    Returns the language in effect (English when `lang` has no catalogue)."""
    app = QCoreApplication.instance()
    if app is None:
        raise RuntimeError("install() needs a QApplication")
    lang = supported(lang) or SOURCE_LANGUAGE
    for old in _installed:
        app.removeTranslator(old)
    _installed.clear()
    QLocale.setDefault(locale_for(lang))
    ours = QTranslator(app)
    if not ours.load(f"crowdveil_{lang}", str(I18N)):
        # the package is broken: say so, and keep the English source strings
        print(f"crowdveil-gui: no catalogue for {lang!r} in {I18N}")
    else:
        _installed.append(ours)
    if lang != SOURCE_LANGUAGE:
        qt = QTranslator(app)
        if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
            _installed.append(qt)
    for translator in _installed:
        app.installTranslator(translator)
    return lang


def current() -> str:
    """The language whose catalogue is installed (the source language when none is)."""
    for translator in _installed:
        code = supported(translator.language())
        if code:
            return code
    return SOURCE_LANGUAGE


def arg(template: str, *values: object) -> str:
    """Qt's QString::arg for translated text: %1, %2... replaced in one pass (a value that
    itself holds "%2" is left alone); numbers as the current locale writes them."""
    import re

    def value(match: re.Match[str]) -> str:
        i = int(match.group(1)) - 1
        if not 0 <= i < len(values):
            return match.group(0)
        v = values[i]
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, int):
            return QLocale().toString(v)
        return str(v)

    return re.sub(r"%(\d)", value, template)


def describe(value: object) -> str:
    """Words for what the core reported (a `messages.Message`, an error carrying one, or
    plain text), in the window's language."""
    found = getattr(value, "message", value)
    try:
        from ..messages import Message, render
    except ImportError:  # the core speaks only English text
        return str(value)
    if isinstance(found, Message):
        return render(found, current())
    return str(value)
