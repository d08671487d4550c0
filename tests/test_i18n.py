"""The command line and the core speak the user's language (issue 13, core and CLI half).

French under LANG=fr_FR.UTF-8 or --lang fr, English under LANG=C.UTF-8; the report's codes do
not change with the language; every message the core and the CLI can say has a French entry
with the same placeholders; the shipped .mo is compiled from the .po as it is now.
"""

from __future__ import annotations

import ast
import errno
import importlib.util
import io
import json
import re
import string
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from crowdveil import batch, cli, messages, report, reveal, write_clean
from crowdveil.english import ARGPARSE, ARGPARSE_PLURAL, ENGLISH
from crowdveil.errors import os_reason
from crowdveil.messages import NBSP, Message, msg, render, resolve_language
from crowdveil.pipeline import FileResult, inspect_bytes

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "src" / "crowdveil"
GPS_SAMPLE = REPO / "samples" / "astronaut_gps.jpg"
FRENCH = {"LANG": "fr_FR.UTF-8"}
ENGLISH_LOCALE = {"LANG": "C.UTF-8"}


def _i18n_script():
    spec = importlib.util.spec_from_file_location("crowdveil_i18n_script",
                                                  REPO / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def locale_env(monkeypatch: pytest.MonkeyPatch):
    def use(environ: dict[str, str]) -> None:
        for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
            monkeypatch.delenv(name, raising=False)
        for name, value in environ.items():
            monkeypatch.setenv(name, value)

    return use


def _cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # --help, usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


# -- which language ------------------------------------------------------------------------------

@pytest.mark.parametrize(("requested", "environ", "expected"), [
    (None, {"LANG": "fr_FR.UTF-8"}, "fr"),
    (None, {"LANG": "fr_CA"}, "fr"),
    (None, {"LANG": "French_France.1252"}, "fr"),
    (None, {"LANG": "C.UTF-8"}, "en"),
    (None, {"LANG": "POSIX"}, "en"),
    (None, {"LANG": "de_DE.UTF-8"}, "en"),  # no German catalogue: English
    (None, {"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),  # LC_ALL decides, as in gettext
    (None, {"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "en_GB.UTF-8"}, "fr"),
    ("fr", {"LANG": "C.UTF-8"}, "fr"),
    ("en", {"LANG": "fr_FR.UTF-8"}, "en"),
    # LANGUAGE, the ordered list desktop settings write, wins over the locale as in gettext...
    (None, {"LANGUAGE": "fr_FR:fr:en", "LANG": "en_US.UTF-8"}, "fr"),
    (None, {"LANGUAGE": "de:fr", "LANG": "en_US.UTF-8"}, "fr"),  # first one we speak
    (None, {"LANGUAGE": "de", "LANG": "fr_FR.UTF-8"}, "en"),  # gettext does not fall back
    (None, {"LANGUAGE": "en", "LANG": "fr_FR.UTF-8"}, "en"),
    # ...but not over a C locale, which gettext reads as "no translation at all".
    (None, {"LANGUAGE": "fr", "LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),
    (None, {"LANGUAGE": "fr", "LANG": "C.UTF-8"}, "en"),
])
def test_the_language_follows_the_locale_and_the_option_overrides_it(
    requested: str | None, environ: dict[str, str], expected: str
) -> None:
    assert resolve_language(requested, environ) == expected


# -- the command line ----------------------------------------------------------------------------

def test_help_is_french_under_a_french_locale_argparse_words_included(
    capsys: pytest.CaptureFixture[str], locale_env
) -> None:
    locale_env(FRENCH)
    code, out, _ = _cli(capsys, "--help")
    assert code == 0
    assert out.startswith(f"utilisation{NBSP}: crowdveil")
    assert f"options{NBSP}:" in out and "afficher cette aide et quitter" in out
    assert "photos ou dossiers" in out and "remplacer les fichiers de sortie existants" in out
    assert "usage:" not in out and "show this help" not in out and "photos or folders" not in out


def test_help_is_english_under_the_c_locale(capsys: pytest.CaptureFixture[str], locale_env
                                            ) -> None:
    locale_env(ENGLISH_LOCALE)
    code, out, _ = _cli(capsys, "--help")
    assert code == 0
    assert out.startswith("usage: crowdveil") and "show this help message and exit" in out
    assert "photos or folders" in out and "utilisation" not in out


def test_lang_option_overrides_the_locale(capsys: pytest.CaptureFixture[str], locale_env) -> None:
    locale_env(ENGLISH_LOCALE)
    assert "afficher cette aide" in _cli(capsys, "--lang", "fr", "--help")[1]
    locale_env(FRENCH)
    assert "show this help message" in _cli(capsys, "--lang=en", "--help")[1]


def test_argparse_usage_errors_are_french(capsys: pytest.CaptureFixture[str], locale_env) -> None:
    locale_env(FRENCH)
    code, _, err = _cli(capsys, "photo.jpg")
    assert code == 2
    assert (f"crowdveil{NBSP}: erreur{NBSP}: les arguments suivants sont obligatoires{NBSP}: "
            "-o/--output") in err


def test_a_missing_file_and_the_summary_are_french(
    capsys: pytest.CaptureFixture[str], locale_env, tmp_path: Path
) -> None:
    locale_env(FRENCH)
    missing = tmp_path / "absente.jpg"
    code, _, err = _cli(capsys, missing, "-o", tmp_path / "out")
    assert code == 1
    lines = err.splitlines()
    assert lines[0] == f"crowdveil{NBSP}: erreur{NBSP}: {missing}{NBSP}: fichier introuvable"
    assert lines[-1] == (f"crowdveil{NBSP}: 1 fichier, 0 nettoyé, 0 zone de visage détruite, "
                         "0 métadonnée retirée, 1 erreur")


def test_a_truncated_photo_is_said_in_french_without_the_decoder_s_english(
    capsys: pytest.CaptureFixture[str], locale_env, tmp_path: Path
) -> None:
    locale_env(FRENCH)
    whole = tmp_path / "whole.jpg"
    Image.fromarray(np.full((64, 64, 3), 120, np.uint8)).save(whole, quality=95)
    cut = tmp_path / "coupee.jpg"
    cut.write_bytes(whole.read_bytes()[:400])
    code, _, err = _cli(capsys, cut, "-o", tmp_path / "out")
    assert code == 1
    assert err.splitlines()[0] == (
        f"crowdveil{NBSP}: erreur{NBSP}: {cut}{NBSP}: impossible de décoder l'image{NBSP}: le "
        "fichier est incomplet ou endommagé (sa copie n'est peut-être pas allée jusqu'au bout)")


def test_a_missing_file_and_the_summary_are_english_under_c(
    capsys: pytest.CaptureFixture[str], locale_env, tmp_path: Path
) -> None:
    locale_env(ENGLISH_LOCALE)
    missing = tmp_path / "absent.jpg"
    code, _, err = _cli(capsys, missing, "-o", tmp_path / "out")
    assert code == 1
    assert err.splitlines() == [
        f"crowdveil: error: {missing}: no such file",
        "crowdveil: 1 file, 0 cleaned, 0 face regions destroyed, 0 metadata items removed, "
        "1 error",
    ]


def _results(ok: int, errors: int, faces_each: int) -> list[FileResult]:
    from crowdveil.regions import Region

    region = Region(0, 0, 4, 4, "box", 0.9, "test")
    rows = [FileResult(f"{i}.jpg", output=f"o{i}.jpg", regions=[region] * faces_each)
            for i in range(ok)]
    rows += [FileResult(f"e{i}.jpg", status="error", error_message=msg("load.empty"))
             for i in range(errors)]
    return rows


def test_summary_plurals_follow_each_language_s_rule() -> None:
    # French: 0 and 1 are singular; English: only 1
    assert cli._summary(_results(1, 0, 0), "fr") == (
        f"crowdveil{NBSP}: 1 fichier, 1 nettoyé, 0 zone de visage détruite, "
        "0 métadonnée retirée, 0 erreur")
    assert cli._summary(_results(2, 2, 1200), "fr") == (
        f"crowdveil{NBSP}: 4 fichiers, 2 nettoyés, 2{NBSP}400 zones de visage détruites, "
        "0 métadonnée retirée, 2 erreurs")
    assert cli._summary(_results(1, 0, 0), "en") == (
        "crowdveil: 1 file, 1 cleaned, 0 face regions destroyed, 0 metadata items removed, "
        "0 errors")
    assert "2,400 face regions destroyed" in cli._summary(_results(2, 2, 1200), "en")


def test_inspect_of_the_gps_sample_is_french(capsys: pytest.CaptureFixture[str], locale_env
                                             ) -> None:
    locale_env(FRENCH)
    code, out, _ = _cli(capsys, "inspect", GPS_SAMPLE)
    assert code == 0
    assert out.splitlines()[0] == f"{GPS_SAMPLE}{NBSP}:"
    assert f"  - position GPS 48,85660 N{NBSP}; 2,35220 E (l'endroit où la photo a été prise)" \
        in out.splitlines()
    assert f"Numéro de série du boîtier{NBSP}: CVSERIAL4821" in out
    assert f"  - Date de prise de vue{NBSP}: 14/07/2019 13:37:42" in out.splitlines()
    assert "GPS position" not in out and "serial number" not in out


def test_inspect_of_the_gps_sample_is_english_under_c(capsys: pytest.CaptureFixture[str],
                                                      locale_env) -> None:
    locale_env(ENGLISH_LOCALE)
    code, out, _ = _cli(capsys, "inspect", GPS_SAMPLE)
    assert code == 0
    assert "  - GPS position 48.85660 N, 2.35220 E (where the photo was taken)" in out
    assert "Camera body serial number: CVSERIAL4821" in out
    assert "  - Date taken: 2019-07-14 13:37:42" in out.splitlines()


def test_inspect_of_a_missing_file_is_french(capsys: pytest.CaptureFixture[str], locale_env,
                                             tmp_path: Path) -> None:
    locale_env(FRENCH)
    code, _, err = _cli(capsys, "inspect", tmp_path / "nope.jpg")
    assert code == 1
    assert err.strip().endswith(
        f"impossible de lire le fichier{NBSP}: fichier ou dossier introuvable")


def test_only_the_cli_names_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    exists = msg("write.exists", file="out/a.jpg")
    assert "--overwrite" not in render(exists, "en") and "--overwrite" not in render(exists, "fr")
    assert cli.say(exists, "en") == "output exists, not overwritten: out/a.jpg (use --overwrite)"
    assert cli.say(exists, "fr").endswith("(utilisez --overwrite)")
    assert "--timeout" in cli.say(msg("pool.timeout", seconds=2.0), "fr")


# -- before any photo is searched ------------------------------------------------------------

@pytest.fixture
def no_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a photo was searched before the refusal")

    monkeypatch.setattr(cli, "run", refuse)


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jpg").write_bytes(GPS_SAMPLE.read_bytes())
    return folder


def test_a_read_only_output_folder_is_refused_before_any_photo(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, locale_env, no_batch,
    photo_dir: Path, tmp_path: Path,
) -> None:
    def read_only(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(write_clean.tempfile, "mkstemp", read_only)
    locale_env(ENGLISH_LOCALE)
    code, _, err = _cli(capsys, photo_dir, "-o", tmp_path / "out")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith("crowdveil: error: -o: cannot write in ")
    assert "read-only" in err and "Read-only file system" not in err
    locale_env(FRENCH)
    code, _, err = _cli(capsys, photo_dir, "-o", tmp_path / "out")
    assert code == 2 and "lecture seule" in err


def test_a_full_disk_is_refused_before_any_photo_for_outputs_and_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, locale_env, no_batch,
    photo_dir: Path, tmp_path: Path,
) -> None:
    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(write_clean.os, "fsync", full)  # an empty file fits, a written one not
    locale_env(FRENCH)
    code, _, err = _cli(capsys, photo_dir, "-o", tmp_path / "out")
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"crowdveil{NBSP}: erreur{NBSP}: -o{NBSP}: ")
    assert "disque est plein" in err
    code, _, err = _cli(capsys, photo_dir, "-o", tmp_path / "out", "--report",
                        tmp_path / "r.json")
    assert code == 2 and len(err.splitlines()) == 1
    assert f"--report{NBSP}: impossible d'écrire le rapport" in err
    assert not list(tmp_path.glob("**/.crowdveil-*"))  # the probe leaves nothing behind


def test_a_report_in_a_folder_that_is_a_file_is_refused_before_any_photo(
    capsys: pytest.CaptureFixture[str], locale_env, no_batch, photo_dir: Path, tmp_path: Path,
) -> None:
    (tmp_path / "file").write_text("x")
    locale_env(ENGLISH_LOCALE)
    code, _, err = _cli(capsys, photo_dir, "-o", tmp_path / "out", "--report",
                        tmp_path / "file" / "r.json")
    assert code == 2 and len(err.splitlines()) == 1 and "--report: " in err


def test_progress_says_what_it_does_before_the_first_photo(monkeypatch: pytest.MonkeyPatch
                                                           ) -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stderr", screen)
    jobs = [batch.Job(Path(f"{name}.jpg"), Path(f"out/{name}")) for name in "abc"]
    progress = cli._Progress(jobs, quiet=False, lang="fr")
    assert progress.bar is not None and progress.now_line is not None
    assert progress.now_line.desc.startswith("chargement des modèles de visages")
    assert progress.bar.desc == "0 sur 3 fichiers"
    assert str(progress.bar).endswith("[00:00, durée restante encore inconnue]")
    progress.ended(jobs[0], FileResult("a.jpg", output="a.jpg"))
    progress.finished(FileResult("a.jpg", output="a.jpg"))
    assert progress.now_line.desc.startswith("recherche dans la photo 2 sur 3")
    assert progress.bar.desc == "1 sur 3 fichiers"
    progress.close()
    # one big photo is the longest wait of all
    one = cli._Progress(jobs[:1], quiet=False, lang="en")
    assert one.now_line is not None and one.now_line.desc.startswith("loading the face models")
    one.close()


# -- the report: words in the language, codes the same in every language ------------------------

def _problem_batch(tmp_path: Path) -> list[Path]:
    folder = tmp_path / "in"
    folder.mkdir(parents=True)
    (folder / "clip.avi").write_bytes(b"\x00" * 16)
    return [tmp_path / "jane-doe-missing.jpg", folder]


def test_report_codes_are_the_same_in_both_languages(
    capsys: pytest.CaptureFixture[str], locale_env, tmp_path: Path
) -> None:
    reports = {}
    for lang, environ in (("fr", FRENCH), ("en", ENGLISH_LOCALE)):
        locale_env(environ)
        path = tmp_path / f"{lang}.json"
        _cli(capsys, *_problem_batch(tmp_path / lang), "-o", tmp_path / lang / "out",
             "--report", path)
        reports[lang] = json.loads(path.read_text(encoding="utf-8"))
    fr, en = reports["fr"], reports["en"]
    assert fr["language"] == "fr" and en["language"] == "en"

    def codes(data: dict) -> list:
        return [(r["status"], r["error_code"]["code"], r["error_code"]["values"].get("reason"))
                for r in data["files"]]

    assert codes(fr) == codes(en) == [
        ("error", "batch.no_such_file", None),
        ("skipped", "batch.not_read",
         {"code": "walk.not_a_photo", "values": {"kind": ".avi"}}),
    ]
    assert fr["files"][0]["error"] == "fichier introuvable"
    assert en["files"][0]["error"] == "no such file"


def _gps_result(input_name: str) -> FileResult:
    found = inspect_bytes(GPS_SAMPLE.read_bytes())
    return FileResult(input_name, output="out/x.jpg", metadata_found=found,
                      error_message=None,
                      note_messages=[msg("error.text", text=f"seen {input_name} by CVSERIAL4821"),
                                     msg("note.first_of", n=2)])


def test_report_codes_hide_what_the_words_hide() -> None:
    result = _gps_result("/photos/jane-doe/IMG_1.jpg")
    for lang in ("en", "fr"):
        body = report.build([result], hide_input=True, lang=lang)
        text = json.dumps(body, ensure_ascii=False)
        for secret in ("CVSERIAL4821", "jane-doe", "IMG_1", "48.8566", "48,8566"):
            assert secret not in text, (lang, secret)
        row = body["files"][0]
        assert row["note_codes"][0]["values"]["text"] == "seen [removed] by [removed]"
        assert row["note_codes"][1] == {"code": "note.first_of", "values": {"n": 2}}
        assert "metadata_codes" not in row
    detailed = report.build([result], details=True, lang="fr")["files"][0]
    kinds = [c["kind"] for c in detailed["metadata_codes"]]
    assert "gps" in kinds and "serial" in kinds
    gps = next(c for c in detailed["metadata_codes"] if c["kind"] == "gps")
    assert gps["code"] == "finding.gps" and round(gps["values"]["lat"], 4) == 48.8566
    assert any(t.startswith("position GPS") for t in detailed["metadata_details"])


def test_findings_are_data_and_the_words_come_from_the_caller() -> None:
    found = inspect_bytes(GPS_SAMPLE.read_bytes())
    serial = next(f for f in found if f.code == "exif.body_serial")
    assert serial.kind == "serial" and serial.values == {"value": "CVSERIAL4821"}
    assert serial.text == "Camera body serial number: CVSERIAL4821"
    assert render(serial.message, "fr") == f"Numéro de série du boîtier{NBSP}: CVSERIAL4821"
    assert isinstance(found[0], reveal.Finding)


def test_system_errors_are_said_in_plain_words_in_both_languages() -> None:
    for number, english, french in (
        (errno.EROFS, "read-only", "lecture seule"),
        (errno.ENOSPC, "the disk is full", "le disque est plein"),
        (errno.EACCES, "permission denied", "accès refusé"),
    ):
        reason = os_reason(OSError(number, "whatever the system says"))
        assert english in render(reason, "en") and french in render(reason, "fr")
        assert "whatever" not in render(reason, "en")
    unknown = os_reason(OSError(errno.EXDEV, "Invalid cross-device link"))
    assert render(unknown, "fr") == f"erreur du système{NBSP}: Invalid cross-device link"


def test_messages_cross_the_worker_pool() -> None:
    import pickle

    row = batch.error_row(Path("a.jpg"), msg("write.cannot_write", file="a.jpg",
                                             reason=msg("os.no_space")))
    again = pickle.loads(pickle.dumps(row))
    assert again.error_message == row.error_message and again.error == row.error


# -- the catalogue -------------------------------------------------------------------------------

CORE = [p for p in [*PACKAGE.glob("*.py"), *PACKAGE.glob("formats/*.py"),
                    *PACKAGE.glob("detect/*.py")]
        if p.name not in ("english.py", "messages.py")]
_CODE = re.compile(r"^(os|error|load|note|verify|write|record|pool|batch|walk|report|finding|"
                   r"exif|date|cli|app|video|device|precision)\.[a-z0-9_.]+$")
_NOT_CODES = {"record.key"}  # a file name that looks like a code
# Where a sentence would go straight to the user: these must be given codes, never words.
_USER_FACING_CALLS = {"print", "LoadError", "WriteError", "VerifyError", "CrowdveilError",
                      "ReportPathError", "BatchError", "error_row", "Finding", "append", "error",
                      "_say", "write"}


def _sentences(node: ast.AST) -> list[str]:
    """Literal words (two words or more) in an argument: what a translator never sees."""
    parts: list[str] = []
    for sub in ast.walk(node):
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            parts.append(sub.value)
    return [p for p in parts if re.search(r"[A-Za-z]{2,}\s+[A-Za-z]{2,}", p)]


def test_no_user_facing_sentence_is_written_outside_the_catalogue() -> None:
    found = []
    for path in CORE:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            if name not in _USER_FACING_CALLS:
                continue
            for arg in [*node.args, *(k.value for k in node.keywords)]:
                found += [f"{path.name}:{node.lineno}: {s!r}" for s in _sentences(arg)]
            if name == "FileResult":
                found += [f"{path.name}:{node.lineno}: error=" for k in node.keywords
                          if k.arg in ("error", "notes")]
    assert found == []


def test_every_code_the_source_uses_is_in_the_catalogue_and_every_entry_is_used() -> None:
    used = set()
    for path in [*CORE, *PACKAGE.glob("gui/*.py")]:  # the app's help and report rows too
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and _CODE.match(node.value) and node.value not in _NOT_CODES:
                used.add(node.value)
    assert sorted(used - set(ENGLISH)) == []
    assert sorted(set(ENGLISH) - used) == []


def _placeholders(words: str, context: str) -> set[str]:
    if context == "argparse":
        return set(re.findall(r"%(?:\([a-z_]+\))?[sdr]", words))
    return {f"{name}:{spec}" for _, name, spec, _ in string.Formatter().parse(words)
            if name is not None}


@pytest.mark.parametrize("lang", _i18n_script().languages())
def test_every_message_has_an_entry_with_the_same_placeholders(lang: str) -> None:
    script = _i18n_script()
    _, entries = script.parse_po(script.po_path(lang).read_text(encoding="utf-8"))
    translated = {e.key: e for e in entries}
    problems = []
    for source in script.source_entries():
        entry = translated.get(source.key)
        if entry is None or entry.fuzzy or not entry.strings or not all(entry.strings):
            problems.append(f"{source.context}: not translated")
            continue
        english = [source.msgid] if source.plural is None else [source.msgid, source.plural]
        want = set().union(*(_placeholders(w, source.context) for w in english))
        for words in entry.strings:
            if _placeholders(words, source.context) != want:
                problems.append(f"{source.context}: {words!r} has not the placeholders {want}")
    assert problems == []
    assert len(entries) == len(ENGLISH) + len(ARGPARSE) + len(ARGPARSE_PLURAL)


def test_french_is_one_of_the_catalogues() -> None:
    assert "fr" in _i18n_script().languages()


def test_french_typography_no_break_space_before_double_punctuation() -> None:
    script = _i18n_script()
    _, entries = script.parse_po(script.po_path("fr").read_text(encoding="utf-8"))
    bad = [s for e in entries for s in e.strings
           if re.search(r" [:;?!»]|« ", s) or re.search(r"\w[;?!»]", s)]
    assert bad == []


def test_the_shipped_catalogue_is_compiled_from_the_po_as_it_is_now() -> None:
    script = _i18n_script()
    for lang in script.languages():
        mo = script.po_path(lang).with_suffix(".mo")
        assert mo.read_bytes() == script.compiled(lang), "run: python scripts/i18n.py compile"
    assert script.POT.read_text(encoding="utf-8") == script.pot_text(), \
        "run: python scripts/i18n.py extract"
    assert "fr" in messages.available_languages()


def test_a_broken_or_missing_translation_falls_back_to_english() -> None:
    unknown = Message("load.empty", {})
    assert render(unknown, "xx") == "file is empty"
    assert render(Message("no.such.code", {"n": 1}), "fr") == "no.such.code n=1"
