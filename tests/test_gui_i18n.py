"""crowdveil-gui speaks the user's language (issue 13, the app's half), can be used from the
keyboard and by a screen reader, and shows what will be destroyed without drowning the photo."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
import textwrap
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before Qt is imported: no screen needed

import pytest  # noqa: E402
from PySide6.QtCore import QRectF, QSettings, Qt, QTimer, QTranslator  # noqa: E402
from PySide6.QtGui import QAccessible, QColor, QPalette  # noqa: E402
from PySide6.QtWidgets import (  # noqa: E402
    QAbstractButton,
    QApplication,
    QLabel,
    QMessageBox,
    QToolButton,
    QWidget,
)

from crowdveil import messages  # noqa: E402
from crowdveil.gui import language  # noqa: E402
from crowdveil.gui.app import parse_args  # noqa: E402
from crowdveil.gui.photo_list import PhotoItem, Status  # noqa: E402
from crowdveil.gui.reveal_panel import _sort_key  # noqa: E402
from crowdveil.regions import Region  # noqa: E402
from tests import plant  # noqa: E402
from tests.test_gui import (  # noqa: E402
    load,
    make_window,  # noqa: F401  (a fixture)
    save_jpeg,
    textured,
    view_point,
)

REPO = Path(__file__).resolve().parents[1]
GUI = REPO / "src" / "crowdveil" / "gui"
NBSP = "\u00a0"


def _tools():
    spec = importlib.util.spec_from_file_location("gui_translations",
                                                  REPO / "scripts" / "gui_translations.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["gui_translations"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


tools = _tools()


@pytest.fixture
def locale_env(monkeypatch, qapp, tmp_path):
    """Start the window's language as `crowdveil-gui` does, under a given LANG."""
    # the Language menu's choice is kept here, not in the settings of whoever runs the tests
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    language.save_language(None)

    def start(lang_env: str, argv: list[str] | None = None) -> str:
        monkeypatch.setenv("LANG", lang_env)
        monkeypatch.delenv("LC_ALL", raising=False)
        monkeypatch.delenv("LC_MESSAGES", raising=False)
        return language.install(language.choose(parse_args(argv or []).lang))

    yield start
    language.save_language(None)
    language.install("en")


def gps_photo(tmp_path: Path) -> Path:
    path = tmp_path / "gps.jpg"
    path.write_bytes(plant.jpeg_with_everything(plant.face_image()))
    return path


def modal_text(action) -> dict:
    """Run `action` (which opens a modal dialog), read the dialog, press its Cancel."""
    seen: dict = {}

    def read() -> None:
        box = QApplication.activeModalWidget()
        if box is None:
            QTimer.singleShot(20, read)
            return
        seen["text"] = box.text() + "\n" + box.informativeText()
        seen["buttons"] = [b.text() for b in box.findChildren(QAbstractButton)]
        box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(0, read)
    seen["answer"] = action()
    return seen


# --- French and English ---------------------------------------------------------------------


def test_under_a_french_locale_the_window_its_panel_and_dialogs_are_french(
        qtbot, make_window, locale_env, tmp_path):  # noqa: F811
    assert locale_env("fr_FR.UTF-8") == "fr"
    window = make_window(boxes=[(150, 100, 60, 60)])
    assert [a.text() for a in window.menuBar().actions()] == [
        "&Fichier", "É&dition", "&Affichage", "&Langue"]
    assert window.open_files_action.text() == "Ouvrir des photos…"
    assert window.export_all_action.text() == "Tout exporter…"
    assert window.preview_action.text() == "Comparer avec le résultat"
    # Qt's own French (qtbase_fr) names the keys: the Delete key is "Suppr"
    assert window.delete_action.toolTip().endswith("(Suppr)")
    assert "crowdveil" not in window.windowTitle()  # Qt adds the application's name once
    assert "Déposez des photos ou des dossiers ici" in window.placeholder.text()
    assert "Ou utilisez <b>Fichier › Ouvrir des photos…</b>" in window.placeholder.text()

    load(qtbot, window, [gps_photo(tmp_path)])
    item = window.current_item()
    assert window.model.data(window.model.index(0), Qt.ItemDataRole.DisplayRole).startswith(
        f"gps.jpg\n1 zone · {len(item.findings)} métadonnées")
    assert window.panel.summary.text().startswith("1 zone sera détruite.")
    assert f"Le fichier contient aussi{NBSP}:" in window.panel.summary.text()
    # the core's findings, said in French by the core's catalogue
    findings = sorted(item.findings, key=lambda f: _sort_key(f.kind))
    assert window.panel.lines() == [messages.render(f.message, "fr") for f in findings]
    assert window.panel.lines() != [messages.render(f.message, "en") for f in findings]
    assert window.status_label.text().startswith("1 fichier vérifié.")
    assert "Suppr retire la zone sélectionnée" in window.status_label.text()

    seen = modal_text(lambda: window._ask_overwrite_dialog([tmp_path / "out" / "gps.jpg"]))
    assert seen["answer"] == "cancel"
    assert "1 fichier existe déjà dans le dossier d’export" in seen["text"]
    assert {"Remplacer", "Ignorer les existants", "Annuler"} <= set(seen["buttons"])

    many = PhotoItem(tmp_path / "crowd.jpg", tmp_path, Status.READY,
                     regions=[Region(0, 0, 4, 4, "box", 1.0, "stub")] * 2800)
    assert many.status_text().startswith("2\u202f800 zones")  # French digit grouping


def test_under_the_c_locale_the_window_is_english_with_real_plurals(
        qtbot, make_window, locale_env, tmp_path):  # noqa: F811
    assert locale_env("C.UTF-8") == "en"
    window = make_window(boxes=[(150, 100, 60, 60)])
    assert [a.text() for a in window.menuBar().actions()] == [
        "&File", "&Edit", "&View", "&Language"]
    assert window.delete_action.toolTip().endswith("(Del)")
    load(qtbot, window, [gps_photo(tmp_path)])
    item = window.current_item()
    assert window.model.data(window.model.index(0), Qt.ItemDataRole.DisplayRole).startswith(
        f"gps.jpg\n1 region · {len(item.findings)} metadata items")
    assert window.panel.summary.text().startswith("1 region will be destroyed.")
    findings = sorted(item.findings, key=lambda f: _sort_key(f.kind))
    assert window.panel.lines() == [messages.render(f.message, "en") for f in findings]
    seen = modal_text(lambda: window._ask_overwrite_dialog([tmp_path / "a.jpg",
                                                            tmp_path / "b.jpg"]))
    assert "2 files already exist in the export folder" in seen["text"]
    assert {"Replace", "Skip existing", "Cancel"} <= set(seen["buttons"])
    many = PhotoItem(tmp_path / "crowd.jpg", tmp_path, Status.READY,
                     regions=[Region(0, 0, 4, 4, "box", 1.0, "stub")] * 2800)
    assert many.status_text().startswith("2,800 regions")


def test_lang_and_the_language_menu_override_the_system(qtbot, make_window, locale_env):  # noqa: F811
    assert locale_env("fr_FR.UTF-8", ["--lang", "en"]) == "en"
    assert locale_env("C.UTF-8", ["--lang", "fr"]) == "fr"
    window = make_window()
    chosen = {a.data(): a for a in window.language_group.actions()}
    assert set(chosen) == {None, "en", "fr"}
    chosen["fr"].trigger()
    assert language.saved_language() == "fr"
    assert window.language_note.isVisible()  # says it applies at the next start
    assert locale_env("C.UTF-8") == "fr"  # the next start, under an English system
    assert locale_env("C.UTF-8", ["--lang", "en"]) == "en"
    chosen[None].trigger()
    assert language.saved_language() is None
    assert locale_env("C.UTF-8") == "en"


@pytest.mark.parametrize(("environ", "expected"), [
    ({"LANGUAGE": "fr_FR:fr:en", "LANG": "en_US.UTF-8"}, "fr"),  # GNOME's ordered list wins
    ({"LANGUAGE": "de:fr", "LANG": "en_GB.UTF-8"}, "fr"),
    ({"LANGUAGE": "fr", "LC_ALL": "C"}, "en"),  # C: gettext ignores LANGUAGE, so do we
    ({"LANG": "fr_BE.UTF-8"}, "fr"),
])
def test_the_window_reads_the_language_list_as_the_command_line_does(
    environ: dict[str, str], expected: str
) -> None:
    assert language.system_language(environ) == expected
    assert messages.resolve_language(None, environ) == expected


def test_the_apps_help_is_in_the_windows_language_and_needs_no_display(
        locale_env, capsys):
    locale_env("fr_FR.UTF-8")  # sets LANG, keeps the menu's choice out of the way
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"utilisation{messages.NBSP}: crowdveil-gui")
    assert "photos ou dossiers à ouvrir" in out and "afficher cette aide et quitter" in out
    assert "photos or folders" not in out and "show this help" not in out
    locale_env("C.UTF-8")
    with pytest.raises(SystemExit):
        parse_args(["--help"])
    out = capsys.readouterr().out
    assert out.startswith("usage: crowdveil-gui") and "photos or folders to open" in out


# --- the catalogues -------------------------------------------------------------------------


def test_every_window_string_has_a_finished_translation_with_the_same_placeholders():
    found = tools.extract()
    assert len(found) > 100
    catalogues = tools.catalogues()
    assert {language.supported(p.stem.split("_", 1)[1]) for p in catalogues} == set(
        language.LANGUAGES)
    for ts in catalogues:
        assert tools.problems(ts, found) == [], ts.name


def french_typography(text: str) -> list[str]:
    """What breaks French typography: no no-break space before : ; ? ! (Qt's file-filter
    separator ";;" aside), straight quotes where « » and ’ belong."""
    bad = []
    for i, c in enumerate(text):
        if c in ":;?!" and text[i - 1:i] not in (NBSP, "\u202f"):
            if c == ";" and ";;" in text[max(0, i - 1):i + 2]:
                continue
            bad.append(f"{c!r} without a no-break space before it")
    if "'" in text or '"' in text:
        bad.append("straight quote")
    return bad


def test_the_french_catalogue_follows_french_typography():
    assert french_typography("Erreur : %1") == ["':' without a no-break space before it"]
    assert french_typography("l'export") == ["straight quote"]
    bad = {}
    for entry in tools.read_ts(tools.I18N / "crowdveil_fr.ts").values():
        for text in entry.forms if entry.numerus else [entry.translation]:
            if french_typography(text):
                bad[text] = french_typography(text)
    assert bad == {}


def test_the_catalogue_check_catches_a_missing_string_and_a_wrong_placeholder(tmp_path):
    found = tools.extract()
    key = tools.Key("MainWindow", "A sentence nobody translated")
    found[key] = tools.Entry(key, False, where="main_window.py:1")
    fr = tmp_path / "crowdveil_fr.ts"
    entries = tools.merged(tools.I18N / "crowdveil_fr.ts", found)
    for e in entries:
        if e.key.source == "Exported to %1":
            e.translation = "Exportée"  # the path is lost
        if e.key.source == "%Ln region(s)":
            e.forms = ["%Ln zone", "des zones"]  # the count is lost in the plural
    tools.write_ts(fr, "fr_FR", entries)
    problems = "\n".join(tools.problems(fr, found))
    assert "'A sentence nobody translated': not translated" in problems
    assert "'Exported to %1': placeholders" in problems
    assert "'%Ln region(s)': placeholders" in problems


def test_the_shipped_qm_files_say_what_their_ts_sources_say():
    for ts in tools.catalogues():
        translator = QTranslator()
        assert translator.load(str(ts.with_suffix(".qm")))
        for key, entry in tools.read_ts(ts).items():
            comment = key.comment or None
            if entry.numerus:
                # both languages: form 0 for one, form 1 for two
                for n, form in ((1, entry.forms[0]), (2, entry.forms[1])):
                    assert translator.translate(key.context, key.source, comment, n) == form, (
                        ts.name, key)
            else:
                assert translator.translate(key.context, key.source, comment) == \
                    entry.translation, (ts.name, key)


SINKS = {  # Qt calls that put text on screen, and the argument positions that hold it
    "setText": (0,), "setWindowTitle": (0,), "setToolTip": (0,), "setStatusTip": (0,),
    "setAccessibleName": (0,), "setAccessibleDescription": (0,), "setInformativeText": (0,),
    "setPlaceholderText": (0,), "setFormat": (0,), "showMessage": (0,), "addMenu": (0,),
    "addItem": (0,), "addButton": (0,), "QAction": (0,), "QLabel": (0,), "QPushButton": (0,),
    "QToolBar": (0,), "createUndoAction": (1,), "createRedoAction": (1,),
    "information": (1, 2), "warning": (1, 2), "critical": (1, 2), "question": (1, 2),
    "getOpenFileNames": (1, 3), "getSaveFileName": (1, 3), "getExistingDirectory": (1,),
    "_action": (0, 3), "commit_geometry": (0,), "set_all": (1,), "_push": (1,),
}


def _words(node: ast.expr) -> str:
    """The literal text in an expression (string constants, f-string parts, concatenations),
    markup removed: what would reach the screen untranslated. Text made by a call (tr(),
    arg(), a helper) is left out: it is checked where it is written."""
    import re

    parts = []
    todo = [node]
    while todo:
        sub = todo.pop()
        if isinstance(sub, ast.Call):
            continue
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
            parts.append(sub.value)
        todo.extend(ast.iter_child_nodes(sub))
    return re.sub(r"<[^>]*>", "", " ".join(parts))


def untranslated(source: str, filename: str = "<test>") -> list[str]:
    found = []
    for call in ast.walk(ast.parse(source)):
        if not isinstance(call, ast.Call):
            continue
        name = (call.func.attr if isinstance(call.func, ast.Attribute)
                else call.func.id if isinstance(call.func, ast.Name) else "")
        positions = SINKS.get(name, ())
        args = list(call.args) + [k.value for k in call.keywords if k.arg == "tip"]
        for i, arg in enumerate(args):
            if (i in positions or (i >= len(call.args))) and any(
                    c.isalpha() for c in _words(arg)):
                found.append(f"{filename}:{call.lineno}: {name}({ast.unparse(arg)})")
    return found


def test_no_window_string_reaches_the_screen_without_tr():
    bad = textwrap.dedent('''
        class W:
            def build(self, n):
                self.setWindowTitle("crowdveil")
                self.label = QLabel(f"{n} photos")
                self._action("Open", self.open, "Ctrl+O")
                self.box.setText("Done: " + str(n))
                self.setWindowTitle(self.tr("Fine"))
                self._action(self.tr("Open"), self.open, "Ctrl+O", tip=self.tr("Opens"))
                self.placeholder.setText(f"<h3>{name}</h3>")
    ''')
    assert [f.split(": ", 1)[1] for f in untranslated(bad)] == [
        "setWindowTitle('crowdveil')", "QLabel(f'{n} photos')", "_action('Open')",
        "setText('Done: ' + str(n))"]
    found = []
    for path in sorted(GUI.glob("*.py")):
        found += untranslated(path.read_text(encoding="utf-8"), path.name)
    assert found == []


# --- accessibility and review ---------------------------------------------------------------


def test_every_control_has_an_accessible_name_and_the_toolbars_fit_in_french(
        qtbot, make_window, locale_env, tmp_path):  # noqa: F811
    locale_env("fr_FR.UTF-8")
    window = make_window(boxes=[(150, 100, 60, 60)])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    window.choose_folder = lambda: None
    controls = [w for w in window.findChildren(QWidget)
                if w.isVisibleTo(window) and w.focusPolicy() != Qt.FocusPolicy.NoFocus]
    controls += [b for bar in window.toolbars for b in bar.findChildren(QToolButton)
                 if b.isVisibleTo(window)]
    assert window.list_view in controls and window.view in controls
    assert window.method_box in controls
    nameless = [(type(w).__name__, type(w.parent()).__name__) for w in controls
                if not QAccessible.queryAccessibleInterface(w).text(QAccessible.Text.Name)]
    assert nameless == []
    # at 1280 pixels, no button of either toolbar is pushed into the overflow menu
    for bar in window.toolbars:
        for action in bar.actions():
            widget = bar.widgetForAction(action)
            if widget is not None and not action.isSeparator():
                assert widget.isVisible(), action.text()


def test_the_regions_are_a_see_through_fill_with_outlines_on_request(
        qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window(boxes=[(150, 100, 60, 60)])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    r = window.current_item().regions[0]
    centre = view_point(window, r.x + r.w / 2, r.y + r.h / 2)
    edge = view_point(window, r.x + r.w / 2, r.y)  # the top of the ellipse

    def colour_at(point) -> QColor:
        return window.view.viewport().grab().toImage().pixelColor(point)

    filled = colour_at(centre)
    window.outlines_action.trigger()
    assert window.view.outlines
    plain = colour_at(centre)
    # the photo is mid-grey; the fill tints it yellow (blue falls), the outline leaves it be
    assert filled.blue() < plain.blue() - 30
    assert abs(plain.red() - plain.blue()) < 40
    assert colour_at(edge).blue() < plain.blue() - 30  # the outline (yellow on a dark halo)
    window.outlines_action.trigger()
    assert colour_at(centre) == filled


def test_next_region_goes_largest_first_and_zooms_and_compare_shows_the_result(
        qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window(boxes=[(20, 20, 20, 20), (150, 100, 60, 60), (300, 200, 40, 40)])
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    regions = window.current_item().regions
    fitted = window.view.scale_factor()
    window.view.setFocus()

    def selected() -> Region:
        return regions[window.view.selected_index()]

    def area(r: Region) -> int:
        return r.w * r.h

    from PySide6.QtTest import QTest

    by_size = sorted(regions, key=area, reverse=True)
    QTest.keyClick(window.view, Qt.Key.Key_N)
    assert selected() == by_size[0]
    assert window.view.scale_factor() > fitted
    shown = window.view.mapToScene(window.view.viewport().rect()).boundingRect()
    s = selected()
    assert shown.contains(QRectF(s.x, s.y, s.w, s.h))
    QTest.keyClick(window.view, Qt.Key.Key_N)
    assert selected() == by_size[1]
    QTest.keyClick(window.view, Qt.Key.Key_N)
    assert selected() == by_size[2]
    QTest.keyClick(window.view, Qt.Key.Key_N, Qt.KeyboardModifier.ShiftModifier)
    assert selected() == by_size[1]

    assert not window.view.banner.isVisible()
    QTest.keyClick(window.view, Qt.Key.Key_R)
    assert window.preview_action.isChecked() and window.view.banner.isVisible()
    QTest.keyClick(window.view, Qt.Key.Key_R)
    assert not window.view.banner.isVisible()


def test_text_keeps_its_contrast_in_a_dark_theme(qtbot, make_window, tmp_path):  # noqa: F811
    app = QApplication.instance()
    before = app.palette()
    dark = QPalette(before)
    for role, colour in ((QPalette.ColorRole.Window, "#2b2b2d"),
                         (QPalette.ColorRole.WindowText, "#e6e6e6"),
                         (QPalette.ColorRole.Base, "#1f1f21"),
                         (QPalette.ColorRole.Text, "#e6e6e6")):
        dark.setColor(role, QColor(colour))
    for group in (QPalette.ColorGroup.Disabled,):
        dark.setColor(group, QPalette.ColorRole.WindowText, QColor("#6a6a6e"))
    app.setPalette(dark)
    try:
        window = make_window()
        load(qtbot, window, [gps_photo(tmp_path)])

        def luminance(c: QColor) -> float:
            def ch(v: float) -> float:
                return v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4
            return 0.2126 * ch(c.redF()) + 0.7152 * ch(c.greenF()) + 0.0722 * ch(c.blueF())

        low = []
        for label in window.findChildren(QLabel):
            if not label.isVisibleTo(window) or not label.text():
                continue
            pal = label.palette()
            group = (QPalette.ColorGroup.Active if label.isEnabled()
                     else QPalette.ColorGroup.Disabled)
            fg = pal.color(group, label.foregroundRole())
            bg = pal.color(group, label.backgroundRole())
            hi, lo = sorted((luminance(fg), luminance(bg)), reverse=True)
            if (hi + 0.05) / (lo + 0.05) < 4.5:  # WCAG AA for body text
                low.append(label.text()[:40])
        assert low == []
    finally:
        app.setPalette(before)


def test_a_long_file_name_is_cut_in_the_middle_and_whole_in_the_tooltip(
        qtbot, make_window, tmp_path):  # noqa: F811
    window = make_window()
    name = "manifestation_paris_2026-03-18_place_de_la_republique_0042.jpg"
    load(qtbot, window, [save_jpeg(tmp_path / name, textured())])
    index = window.model.index(0)
    view = window.list_view
    # the row fits the list (no sideways scrolling), so the elided line keeps the name's end
    assert view.visualRect(index).right() <= view.viewport().width()
    assert not view.horizontalScrollBar().isVisible()
    assert view.textElideMode() == Qt.TextElideMode.ElideMiddle and not view.wordWrap()
    assert str(tmp_path / name) in window.model.data(index, Qt.ItemDataRole.ToolTipRole)


def test_a_region_can_be_added_moved_and_resized_without_a_mouse(
        qtbot, make_window, tmp_path):  # noqa: F811
    from PySide6.QtTest import QTest

    window = make_window()
    load(qtbot, window, [save_jpeg(tmp_path / "p.jpg", textured())])
    item = window.current_item()
    window.view.setFocus()
    QTest.keyClick(window.view, Qt.Key.Key_A)
    assert len(item.regions) == 1 and item.regions[0].source == "manual"
    added = item.regions[0]
    assert abs(added.x + added.w / 2 - 200) <= 2 and abs(added.y + added.h / 2 - 150) <= 2
    QTest.keyClick(window.view, Qt.Key.Key_Right)
    QTest.keyClick(window.view, Qt.Key.Key_Down, Qt.KeyboardModifier.ShiftModifier)
    moved = item.regions[0]
    assert moved.x > added.x and moved.y > added.y + 10 and (moved.w, moved.h) == (
        added.w, added.h)
    QTest.keyClick(window.view, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    resized = item.regions[0]
    assert (resized.x, resized.y, resized.h) == (moved.x, moved.y, moved.h)
    assert resized.w > moved.w
    for _ in range(3):
        window.undo_action.trigger()
    assert item.regions == [added]
    # Ctrl+arrows stay the window's next/previous photo, never a region's move
    QTest.keyClick(window.view, Qt.Key.Key_Left, Qt.KeyboardModifier.ControlModifier)
    assert item.regions == [added]
    assert "1 of 1" not in window.status_label.text()
    window.next_region_action.trigger()
    assert window.status_label.text() == "Region 1 of 1 (largest first)"


AT_200 = """
import sys
from PySide6.QtWidgets import QApplication
app = QApplication([])
from crowdveil.gui import language
from crowdveil.gui.main_window import MainWindow
language.install("fr")
window = MainWindow(detector_factory=lambda: None)
window.resize(1280, 800)
window.show()
for _ in range(5):
    app.processEvents()
hidden = [a.text() for bar in window.toolbars for a in bar.actions()
          if bar.widgetForAction(a) is not None and not a.isSeparator()
          and not bar.widgetForAction(a).isVisible()]
image = window.grab().toImage()
print(window.devicePixelRatio(), image.width(), image.height(), hidden)
window.close()
"""


def test_at_200_percent_the_french_window_is_drawn_twice_as_large_and_nothing_is_hidden():
    import subprocess

    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "QT_SCALE_FACTOR": "2"}
    out = subprocess.run([sys.executable, "-c", AT_200], env=env, capture_output=True,
                         text=True, timeout=120, cwd=REPO)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "2.0 2560 1600 []"
