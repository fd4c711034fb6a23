"""Theme files, validation, derivation, contrast and the Qt-free outputs (QSS, palette, charts)."""

from __future__ import annotations

import importlib.resources
import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

import studio
from studio.core import themes
from studio.core.contributions import ThemeSpec
from studio.core.theme_qss import generate_qss
from studio.core.themes import (
    REQUIRED_TOKENS,
    SERIES_COUNT,
    TOKENS,
    ThemeChanged,
    ThemeError,
    builtin_theme_dir,
    chart_colors,
    contrast_ratio,
    ensure_contrast,
    fallback_theme,
    load_theme_dir,
    load_theme_file,
    palette_roles,
    resolve_theme,
)
from studio.plugins.themes.plugin import register_theme_files, studio_register_themes

BUILTIN_IDS = {"cobalt", "amber", "emerald", "nord", "dracula", "solarized", "monochrome", "light"}
THEME_FILES = sorted(builtin_theme_dir().glob("*.json"))
HEX = re.compile(r"^#[0-9a-f]{6}$")

# (foreground token, background token, minimum WCAG ratio) every theme must meet.
TEXT = 4.5  # WCAG AA for body text
GRAPHICS = 3.0  # WCAG AA for large text and meaningful graphics (muted text, series, focus)
CONTRAST_RULES = [
    *(("text", back, TEXT) for back in ("bg", "bg.alt", "surface", "surface.raised", "input.bg")),
    ("text", "hover", TEXT),
    *(("text.muted", back, GRAPHICS) for back in ("bg", "bg.alt", "surface", "surface.raised")),
    ("accent.text", "accent", TEXT),
    ("accent.text", "accent.hover", TEXT),
    ("selection.text", "selection", TEXT),
    ("selection.text", "bg.alt", TEXT),  # progress bar text over the unfilled part
    ("link", "bg", TEXT),
    ("tooltip.text", "tooltip.bg", TEXT),
    *(
        (status, back, TEXT)
        for status in ("success", "warning", "error", "info")
        for back in ("bg", "surface")  # status labels sit on panels and dashboard cards too
    ),
    ("chart.foreground", "chart.background", TEXT),
    ("focus", "bg", GRAPHICS),
    ("text.disabled", "bg", 2.0),  # WCAG exempts disabled text, but it must stay visible
    *((f"series.{i}", "chart.background", GRAPHICS) for i in range(SERIES_COUNT)),
]


def builtin(theme_id: str) -> themes.Theme:
    return resolve_theme(load_theme_file(builtin_theme_dir() / f"{theme_id}.json"))


def error_of(func, *args) -> str:
    """The message of the ThemeError ``func(*args)`` must raise."""
    with pytest.raises(ThemeError) as info:
        func(*args)
    return str(info.value)


def write(tmp_path: Path, name: str, content: object) -> Path:
    path = tmp_path / name
    text = content if isinstance(content, str) else json.dumps(content)
    path.write_text(text, encoding="utf-8")
    return path


MINIMAL_DARK = {
    "bg": "#101216",
    "surface": "#181b20",
    "border": "#2c3038",
    "text": "#e8e8e8",
    "text.muted": "#a0a4ad",
    "accent": "#d9822b",
}
MINIMAL_LIGHT = {
    "bg": "#fafafa",
    "surface": "#eeeeee",
    "border": "#cccccc",
    "text": "#202020",
    "text.muted": "#5c5c5c",
    "accent": "#2e7d32",
}


# -- the built-in set ---------------------------------------------------------------------


def test_builtin_set_is_complete():
    assert {path.stem for path in THEME_FILES} == BUILTIN_IDS


@pytest.mark.parametrize("path", THEME_FILES, ids=lambda p: p.stem)
def test_builtin_theme_loads_and_resolves(path):
    spec = load_theme_file(path)
    assert spec.id == path.stem
    assert spec.source == str(path)
    theme = resolve_theme(spec)
    assert set(TOKENS) <= set(theme.tokens)
    assert not set(spec.tokens) - set(TOKENS), "built-in themes use only documented tokens"
    assert len(set(theme.series)) == SERIES_COUNT, "series colours must be distinct"


def test_darkness_flags():
    assert builtin("cobalt").dark
    assert not builtin("light").dark
    assert sum(builtin(i).dark for i in BUILTIN_IDS) == len(BUILTIN_IDS) - 1


def test_cobalt_is_hafs_deep_sea():
    cobalt = builtin("cobalt")
    assert cobalt["bg"] == "#0f0f14"  # hafs WindowBg (.06, .06, .08)
    assert cobalt["surface.raised"] == "#1f242e"  # hafs secondary (.12, .14, .18)
    assert cobalt["focus"] == "#00d9ff"  # hafs accent (0, .85, 1)
    assert cobalt.name == "Cobalt"


def test_fallback_matches_cobalt_file():
    fallback, cobalt = fallback_theme(), builtin("cobalt")
    assert fallback.id == themes.DEFAULT_THEME_ID
    assert {t: fallback[t] for t in REQUIRED_TOKENS} == {t: cobalt[t] for t in REQUIRED_TOKENS}


# -- contrast -----------------------------------------------------------------------------


def test_contrast_ratio_reference_values():
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_ensure_contrast_moves_only_when_needed():
    assert ensure_contrast("#ffffff", "#000000", 4.5) == "#ffffff"
    fixed = ensure_contrast("#3a3a80", "#101010", 4.5)
    assert contrast_ratio(fixed, "#101010") >= 4.5
    assert fixed != "#3a3a80"


@pytest.mark.parametrize("theme_id", sorted(BUILTIN_IDS))
@pytest.mark.parametrize(("front", "back", "minimum"), CONTRAST_RULES)
def test_builtin_contrast(theme_id, front, back, minimum):
    theme = builtin(theme_id)
    ratio = contrast_ratio(theme[front], theme[back])
    assert ratio >= minimum, f"{theme_id}: {front} on {back} is {ratio:.2f}:1, needs {minimum}"


@pytest.mark.parametrize(("tokens", "dark"), [(MINIMAL_DARK, True), (MINIMAL_LIGHT, False)])
def test_minimal_theme_derives_every_token_readably(tokens, dark):
    theme = resolve_theme(ThemeSpec("minimal", "Minimal", dict(tokens), dark))
    assert set(TOKENS) <= set(theme.tokens)
    for front, back, minimum in CONTRAST_RULES:
        if front in ("text", "text.muted", "focus", "text.disabled"):
            continue  # given by the author, not derived
        ratio = contrast_ratio(theme[front], theme[back])
        assert ratio >= minimum, f"derived {front} on {back}: {ratio:.2f}"


# -- bad input ----------------------------------------------------------------------------


def test_bad_json_names_file_and_position(tmp_path):
    path = write(tmp_path, "broken.json", '{"id": "broken",\n "name": "B" "dark": true}')
    with pytest.raises(ThemeError) as info:
        load_theme_file(path)
    message = str(info.value)
    assert str(path) in message
    assert "line 2" in message and "column" in message


def test_missing_tokens_are_named(tmp_path):
    tokens = {k: v for k, v in MINIMAL_DARK.items() if k not in ("accent", "border")}
    path = write(tmp_path, "partial.json", {"id": "partial", "name": "P", "tokens": tokens})
    message = error_of(load_theme_file, path)
    assert str(path) in message
    assert "missing required token(s) 'border', 'accent'" in message


@pytest.mark.parametrize("value", ["blue", "#12345", "#gggggg", "rgb(1,2,3)", 123, None])
def test_bad_colour_names_token_and_value(tmp_path, value):
    path = write(
        tmp_path,
        "colour.json",
        {"id": "colour", "name": "C", "tokens": {**MINIMAL_DARK, "text": value}},
    )
    message = error_of(load_theme_file, path)
    assert str(path) in message
    assert "'text'" in message and repr(value) in message


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ([1, 2], "top level must be an object"),
        ({"name": "X", "tokens": MINIMAL_DARK}, "missing key(s) 'id'"),
        ({"id": "Bad Id", "name": "X", "tokens": MINIMAL_DARK}, "invalid theme id"),
        ({"id": "x", "name": "X", "dark": "yes", "tokens": MINIMAL_DARK}, "'dark' must be"),
        ({"id": "x", "name": "", "tokens": MINIMAL_DARK}, "'name' must be"),
        ({"id": "x", "name": "X", "tokens": ["#000000"]}, "'tokens' must be an object"),
        ({"id": "x", "name": "X", "tokens": {**MINIMAL_DARK, "Bad Name": "#000000"}}, "token name"),
    ],
)
def test_bad_structure(tmp_path, content, expected):
    path = write(tmp_path, "shape.json", content)
    message = error_of(load_theme_file, path)
    assert str(path) in message and expected in message


def test_unreadable_and_binary_files(tmp_path):
    assert "cannot be read" in error_of(load_theme_file, tmp_path / "no.json")
    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in error_of(load_theme_file, binary)


def test_plugin_spec_errors_name_the_plugin():
    spec = ThemeSpec("odd", "Odd", {"bg": "#000000"}, plugin="acme_themes")
    message = error_of(resolve_theme, spec)
    assert "acme_themes" in message and "'surface'" in message


def test_unknown_tokens_are_kept_not_fatal(tmp_path):
    tokens = {**MINIMAL_DARK, "acme.glow": "#ff00ff"}
    theme = resolve_theme(
        load_theme_file(write(tmp_path, "x.json", {"id": "x", "name": "X", "tokens": tokens}))
    )
    assert theme["acme.glow"] == "#ff00ff"


def test_load_theme_dir_skips_bad_files(tmp_path):
    write(tmp_path, "good.json", {"id": "good", "name": "Good", "tokens": MINIMAL_DARK})
    write(tmp_path, "bad.json", "{not json")
    specs, errors = load_theme_dir(tmp_path)
    assert [s.id for s in specs] == ["good"]
    assert len(errors) == 1 and "bad.json" in str(errors[0])


# -- the built-in plugin ------------------------------------------------------------------


def test_plugin_registers_every_builtin_theme():
    registered: list[ThemeSpec] = []
    studio_register_themes(registered.append)
    assert {spec.id for spec in registered} == BUILTIN_IDS


def test_plugin_skips_malformed_file_with_warning(tmp_path, caplog):
    write(tmp_path, "good.json", {"id": "good", "name": "Good", "tokens": MINIMAL_DARK})
    write(tmp_path, "broken.json", {"id": "broken", "name": "Broken", "tokens": {"bg": "#000"}})
    registered: list[ThemeSpec] = []
    with caplog.at_level(logging.WARNING):
        count = register_theme_files(tmp_path, registered.append)
    assert count == 1 and [s.id for s in registered] == ["good"]
    assert any("broken.json" in r.getMessage() for r in caplog.records if r.levelname == "WARNING")


def test_plugin_survives_missing_folder(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        assert register_theme_files(tmp_path / "nowhere", lambda spec: None) == 0
    assert "nowhere" in caplog.text


def test_resources_dir_checkout_then_package_data(monkeypatch):
    assert (themes.resources_dir() / "themes" / "cobalt.json").is_file()
    # Installed layout: no resources/ beside the package, so the package data path is used.
    monkeypatch.setattr(themes, "__file__", "/nonexistent/site-packages/studio/core/themes.py")
    package_data = importlib.resources.files("studio") / "resources"
    assert themes.resources_dir() == Path(str(package_data))


# -- what Qt needs ------------------------------------------------------------------------


@pytest.mark.parametrize("theme_id", sorted(BUILTIN_IDS))
def test_generate_qss(theme_id):
    theme = builtin(theme_id)
    qss = generate_qss(theme)
    assert "$" not in qss, "every placeholder is substituted"
    assert qss.count("{") == qss.count("}")
    for selector in (
        "QMainWindow",
        "QDockWidget::title",
        "QDockWidget::close-button",
        "QTabBar::tab:selected",
        "QToolBar",
        "QMenu::item:selected",
        "QStatusBar",
        "QPushButton:hover",
        "QToolButton:pressed",
        "QLineEdit",
        "QComboBox",
        "QAbstractSpinBox",
        "QPlainTextEdit",
        "QTableView",
        "QHeaderView::section",
        "QScrollBar::handle",
        "QProgressBar::chunk",
        "QCheckBox",
        "QToolTip",
        "QSplitter::handle",
        "QGroupBox::title",
        'QLabel[role="muted"]',
        'QLabel[role="heading"]',
        'QLabel[role="badge"]',
        'QFrame[role="card"]',
    ):
        assert selector in qss, selector
    assert theme["accent"] in qss and theme["selection"] in qss
    # Qt reads 8-digit hex as #aarrggbb, so translucent colours must be written as rgba().
    assert not re.search(r"#[0-9a-fA-F]{8}\b", qss)


def test_translucent_tokens_become_rgba():
    theme = resolve_theme(ThemeSpec("glass", "Glass", {**MINIMAL_DARK, "hover": "#ffffff20"}))
    assert "rgba(255, 255, 255, 32)" in generate_qss(theme)
    assert palette_roles(theme)["Window"] == MINIMAL_DARK["bg"]


def test_generate_qss_accepts_specs():
    assert generate_qss(ThemeSpec("m", "M", dict(MINIMAL_DARK))) == generate_qss(
        resolve_theme(ThemeSpec("m", "M", dict(MINIMAL_DARK)))
    )


@pytest.mark.parametrize("theme_id", sorted(BUILTIN_IDS))
def test_palette_roles(theme_id):
    theme = builtin(theme_id)
    roles = palette_roles(theme)
    assert roles["Window"] == theme["bg"] and roles["Highlight"] == theme["selection"]
    assert roles["Disabled:Text"] == theme["text.disabled"]
    assert all(HEX.match(colour) for colour in roles.values())
    plain = [key for key in roles if ":" not in key]
    assert list(roles)[: len(plain)] == plain, "all-group roles come before group overrides"


@pytest.mark.parametrize("theme_id", sorted(BUILTIN_IDS))
def test_chart_colors(theme_id):
    theme = builtin(theme_id)
    colors = chart_colors(theme)
    assert colors["background"] == theme["chart.background"]
    assert len(colors["series"]) == SERIES_COUNT
    assert all(HEX.match(c) for c in [colors["foreground"], colors["grid"], *colors["series"]])


def test_theme_changed_event():
    event = ThemeChanged(theme_id="light", dark=False)
    assert event.topic == ThemeChanged.topic == "theme.changed"
    assert (event.theme_id, event.dark) == ("light", False)


def test_core_themes_is_qt_free():
    code = (
        "import sys, studio.core.themes, studio.plugins.themes.plugin; "
        "qt = ('PySide6', 'pyqtgraph', 'qtawesome'); "
        "bad = [m for m in sys.modules if m.split('.')[0] in qt]; "
        "sys.exit(f'Qt imported: {bad}' if bad else 0)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(studio.__file__).parents[1])
