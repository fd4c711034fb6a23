"""ThemeManager: applying themes at runtime, fallbacks, follow-system, charts, screenshots."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor, QGuiApplication, QPalette, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDockWidget,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

import studio
from studio.core.contributions import ThemeSpec
from studio.core.events import EventBus
from studio.core.theme_qss import generate_qss
from studio.core.themes import ThemeChanged, builtin_theme_dir, load_theme_dir
from studio.shell import theming
from studio.shell.theming import (
    ThemeManager,
    build_palette,
    current_chart_colors,
    current_theme,
    style_plot,
)

BUILTIN_SPECS, _ = load_theme_dir(builtin_theme_dir())
SHOTS = Path(os.environ.get("HAFS_THEME_SHOTS", "/tmp/theme_shots"))


@pytest.fixture
def bus():
    return EventBus()  # no dispatcher: events are delivered inline


@pytest.fixture
def manager(qapp, bus, tmp_path):
    mgr = ThemeManager(bus, icon_cache_dir=tmp_path / "icons")
    for spec in BUILTIN_SPECS:
        mgr.register(spec)
    yield mgr
    # The application is shared by every test: leave it unthemed.
    mgr.close()
    qapp.setStyleSheet("")
    qapp.setPalette(QPalette())
    QGuiApplication.styleHints().unsetColorScheme()
    theming._active_manager = None


@pytest.fixture
def published(bus):
    events: list[ThemeChanged] = []
    bus.subscribe(ThemeChanged.topic, events.append, owner="test")
    return events


def build_sample_window() -> QMainWindow:
    """A small studio-like window: menus, toolbar, docks (tabbed too), table, form, card."""
    window = QMainWindow()
    window.setWindowTitle("Theme sample")
    window.setDockOptions(QMainWindow.DockOption.AllowTabbedDocks | window.dockOptions())
    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction("Open folder…")
    window.menuBar().addMenu("&View")
    window.menuBar().addMenu("&Help")
    toolbar = window.addToolBar("Main")
    toolbar.setObjectName("toolbar.main")
    for text in ("Dashboard", "Models", "Deploy"):
        toolbar.addAction(text)
    toolbar.addSeparator()
    toolbar.addAction("Run").setCheckable(True)

    tabs = QTabWidget()
    tabs.addTab(_table(), "Runs")
    tabs.addTab(QLabel("Deploy targets"), "Deploy")
    tabs.addTab(_card(), "Card")
    window.setCentralWidget(tabs)

    window.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, _dock("Models", _tree()))
    window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, _dock("Inspector", _form()))
    logs = _dock("Logs", _card(with_plot=True))
    jobs = _dock("Jobs", QLabel("No jobs"))
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, logs)
    # addDockWidget gives the window ownership; tabifyDockWidget alone would not in PySide.
    window.addDockWidget(Qt.DockWidgetArea.BottomDockWidgetArea, jobs)
    window.tabifyDockWidget(logs, jobs)
    logs.raise_()

    status = window.statusBar()
    status.showMessage("Context: ~/.context")
    progress = QProgressBar()
    progress.setValue(62)
    progress.setMaximumWidth(160)
    status.addPermanentWidget(progress)
    window.resize(1100, 820)
    return window


def _dock(title: str, widget: QWidget) -> QDockWidget:
    dock = QDockWidget(title)
    dock.setObjectName(f"dock.{title.lower()}")
    dock.setWidget(widget)
    return dock


def _table() -> QTableWidget:
    rows = [
        ("qwen2.5-0.5b-lora", "training", "0.412", "62%"),
        ("llama-3.2-1b-sft", "finished", "0.287", "100%"),
        ("smollm-360m", "failed", "—", "12%"),
        ("phi-3-mini-dpo", "queued", "—", "0%"),
        ("gemma-2b-it", "finished", "0.301", "100%"),
    ]
    table = QTableWidget(len(rows), 4)
    table.setHorizontalHeaderLabels(["Run", "State", "Loss", "Progress"])
    table.setAlternatingRowColors(True)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(value))
    table.horizontalHeader().setStretchLastSection(True)
    table.setColumnWidth(0, 200)
    table.selectRow(1)
    return table


def _tree() -> QTreeView:
    model = QStandardItemModel()
    model.setHorizontalHeaderLabels(["Model", "Size"])
    for family, variants in (("Qwen", ["0.5B Q4_K_M", "1.5B Q8_0"]), ("Llama", ["1B F16"])):
        parent = QStandardItem(family)
        for variant in variants:
            parent.appendRow([QStandardItem(variant), QStandardItem("412 MB")])
        model.appendRow([parent, QStandardItem("")])
    tree = QTreeView()
    tree.setModel(model)
    tree.expandAll()
    tree.setCurrentIndex(model.index(0, 0, model.index(0, 0)))  # first Qwen variant
    tree.setMinimumWidth(220)
    tree._model = model  # keep the model alive with the view
    return tree


def _form() -> QWidget:
    box = QGroupBox("Deploy")
    form = QFormLayout(box)
    form.addRow("Name", QLineEdit("qwen-chat"))
    placeholder = QLineEdit()
    placeholder.setPlaceholderText("optional tag")
    form.addRow("Tag", placeholder)
    combo = QComboBox()
    combo.addItems(["llama-server", "ollama", "ctranslate2"])
    form.addRow("Backend", combo)
    spin = QSpinBox()
    spin.setRange(1, 65535)
    spin.setValue(8080)
    form.addRow("Port", spin)
    check = QCheckBox("Start on launch")
    check.setChecked(True)
    form.addRow(check)
    form.addRow(QRadioButton("GPU"), QRadioButton("CPU"))
    disabled = QLineEdit("read-only path")
    disabled.setEnabled(False)
    form.addRow("Disabled", disabled)
    buttons = QHBoxLayout()
    primary = QPushButton("Deploy")
    primary.setProperty("role", "primary")
    buttons.addWidget(primary)
    buttons.addWidget(QPushButton("Cancel"))
    off = QPushButton("Stop")
    off.setEnabled(False)
    buttons.addWidget(off)
    form.addRow(buttons)
    page = QWidget()
    QVBoxLayout(page).addWidget(box)
    page.layout().addStretch(1)
    return page


def _card(with_plot: bool = False) -> QFrame:
    card = QFrame()
    card.setProperty("role", "card")
    layout = QVBoxLayout(card)
    heading = QLabel("Training loss")
    heading.setProperty("role", "heading")
    badge = QLabel("running")
    badge.setProperty("role", "badge")
    top = QHBoxLayout()
    top.addWidget(heading)
    top.addStretch(1)
    top.addWidget(badge)
    layout.addLayout(top)
    muted = QLabel("qwen2.5-0.5b-lora · step 1 240 / 2 000")
    muted.setProperty("role", "muted")
    layout.addWidget(muted)
    statuses = QHBoxLayout()
    for role, text in (("success", "eval passed"), ("warning", "lr spike"), ("error", "OOM once")):
        label = QLabel(text)
        label.setProperty("role", role)
        statuses.addWidget(label)
    statuses.addStretch(1)
    layout.addLayout(statuses)
    if with_plot:
        import numpy as np
        import pyqtgraph as pg

        plot = pg.PlotWidget()
        plot.setObjectName("sample.plot")
        plot.showGrid(x=True, y=True, alpha=0.25)
        plot.addLegend(offset=(-10, 10))
        steps = np.arange(200)
        for n in range(4):
            curve = np.exp(-steps / (60 + 25 * n)) + 0.05 * n
            plot.plot(steps, curve, pen=pg.mkPen(width=2), name=f"run {n + 1}")
        plot.setMinimumHeight(140)
        layout.addWidget(plot)
    return card


@pytest.fixture
def sample_window(qtbot):
    window = build_sample_window()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


# -- applying -----------------------------------------------------------------------------


@pytest.mark.parametrize("spec", BUILTIN_SPECS, ids=lambda s: s.id)
def test_apply_each_theme_at_runtime(manager, published, sample_window, qapp, spec):
    manager.apply("light" if spec.id != "light" else "cobalt")  # start from something else
    published.clear()

    theme = manager.apply(spec.id)
    qapp.processEvents()

    assert manager.current is theme and theme.id == spec.id
    assert qapp.styleSheet() == manager.qss(theme)
    assert qapp.styleSheet().startswith(generate_qss(theme)), "the icon rules are appended"
    assert qapp.palette().color(QPalette.ColorRole.Window) == QColor(theme["bg"])
    table = sample_window.centralWidget().widget(0)
    assert table.palette().color(QPalette.ColorRole.Highlight) == QColor(theme["selection"])
    assert sample_window.palette().color(QPalette.ColorRole.WindowText) == QColor(theme["text"])
    assert published == [ThemeChanged(theme_id=spec.id, dark=spec.dark)]
    assert current_theme() is theme

    plot = sample_window.findChild(QWidget, "sample.plot")
    style_plot(plot)  # what a chart view does when it hears theme.changed
    assert plot.backgroundBrush().color() == QColor(theme["chart.background"])
    first_curve = plot.getPlotItem().listDataItems()[0]
    assert first_curve.opts["pen"].color() == QColor(theme["series.0"])

    SHOTS.mkdir(parents=True, exist_ok=True)
    assert sample_window.grab().save(str(SHOTS / f"{spec.id}.png"))


def test_disabled_palette_group(manager, qapp):
    theme = manager.apply("cobalt")
    disabled = qapp.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)
    assert disabled == QColor(theme["text.disabled"])
    assert build_palette(theme).color(QPalette.ColorRole.Accent) == QColor(theme["accent"])


def test_qss_is_generated_once_per_theme(manager, monkeypatch):
    calls = []
    real = theming.generate_qss
    monkeypatch.setattr(
        theming, "generate_qss", lambda t, icons: calls.append(t.id) or real(t, icons)
    )
    for theme_id in ("cobalt", "light", "cobalt", "light"):
        manager.apply(theme_id)
    assert calls == ["cobalt", "light"]


def test_switching_themes_keeps_the_style_and_an_unchanged_sheet(manager, qapp, monkeypatch):
    # Without QT_STYLE_OVERRIDE (the launcher sets it) the manager makes Fusion the style once;
    # with a stylesheet set, style().name() is "" and must not make it replace the style again
    # (a new style repolishes every widget of the application).
    monkeypatch.delenv("QT_STYLE_OVERRIDE", raising=False)
    manager.apply("cobalt")
    style = qapp.style()
    assert qapp.styleSheet() and style.name() == ""  # the stylesheet's own style wraps Fusion
    polished: list[int] = []

    class Probe(QLabel):  # counts the restyles it receives
        def changeEvent(self, event) -> None:
            polished.append(int(event.type() == QEvent.Type.StyleChange))
            super().changeEvent(event)

    probe = Probe("probe")
    manager.apply("light")
    assert qapp.style() is style
    after_switch = sum(polished)
    assert after_switch >= 1  # a different sheet restyles, as it must
    manager.apply("light")  # the same sheet again (the first frame set it already)
    assert qapp.style() is style and sum(polished) == after_switch
    probe.deleteLater()


def test_themes_lists_dark_first(manager):
    ids = [t.id for t in manager.themes()]
    assert set(ids) == {s.id for s in BUILTIN_SPECS}
    assert ids[-1] == "light"


# -- bad input ----------------------------------------------------------------------------


def test_unknown_theme_falls_back_to_cobalt(manager, published, caplog):
    theme = manager.apply("no-such-theme")
    assert theme.id == "cobalt"
    assert "no-such-theme" in caplog.text and "Cobalt" in caplog.text
    assert any("no-such-theme" in p for p in manager.problems)
    assert published[-1].theme_id == "cobalt"


def test_invalid_plugin_theme_is_skipped(manager, caplog):
    bad = ThemeSpec("broken", "Broken", {"bg": "#000000", "text": "white"}, plugin="acme")
    assert manager.register(bad) is None
    assert manager.theme("broken") is None
    assert "acme" in caplog.text and "'text'" in caplog.text
    assert any("acme" in p for p in manager.problems)


def test_works_without_any_theme_files(qapp, bus, tmp_path):
    empty = ThemeManager(bus, icon_cache_dir=tmp_path)
    try:
        theme = empty.apply("cobalt")
        assert theme.id == "cobalt" and theme.source == "built-in fallback"
        assert qapp.palette().color(QPalette.ColorRole.Window) == QColor(theme["bg"])
    finally:
        empty.close()
        qapp.setStyleSheet("")
        qapp.setPalette(QPalette())
        theming._active_manager = None


def test_plugin_theme_replaces_builtin(manager):
    tokens = dict(BUILTIN_SPECS[0].tokens, accent="#ff00aa")
    replaced = manager.register(ThemeSpec(BUILTIN_SPECS[0].id, "Pink", tokens, plugin="pinkify"))
    assert manager.apply(replaced.id)["accent"] == "#ff00aa"


# -- following the OS ---------------------------------------------------------------------


def test_follow_system_switches_with_the_os(manager, published):
    manager.apply("nord")
    manager.set_follow_system(True)
    manager.on_color_scheme_changed(Qt.ColorScheme.Light)
    assert manager.current.id == "light"
    manager.on_color_scheme_changed(Qt.ColorScheme.Dark)
    assert manager.current.id == "cobalt"
    manager.dark_theme_id = "dracula"
    manager.on_color_scheme_changed(Qt.ColorScheme.Dark)
    assert manager.current.id == "dracula"
    manager.on_color_scheme_changed(Qt.ColorScheme.Unknown)
    assert manager.current.id == "dracula", "an OS that does not say changes nothing"
    assert [e.theme_id for e in published][-3:] == ["light", "cobalt", "dracula"]


def test_follow_system_off_ignores_the_os(manager):
    manager.apply("amber")
    manager.set_follow_system(False)
    manager.on_color_scheme_changed(Qt.ColorScheme.Light)
    assert manager.current.id == "amber"


def test_follow_system_is_connected_to_style_hints(manager):
    manager.apply("amber")
    manager.set_follow_system(True)
    assert manager.follow_system
    QGuiApplication.styleHints().colorSchemeChanged.emit(Qt.ColorScheme.Light)
    assert manager.current.id == "light"


# -- charts -------------------------------------------------------------------------------


def test_pyqtgraph_follows_the_theme(manager, qtbot):
    pg = pytest.importorskip("pyqtgraph")
    theme = manager.apply("light")
    assert pg.getConfigOption("background") == theme["chart.background"]
    assert current_chart_colors()["series"][0] == theme["series.0"]

    plot = pg.PlotWidget(title="loss")
    qtbot.addWidget(plot)
    dark = manager.apply("dracula")
    style_plot(plot)
    assert plot.backgroundBrush().color() == QColor(dark["chart.background"])
    axis = plot.getPlotItem().getAxis("left")
    assert axis.textPen().color() == QColor(dark["chart.foreground"])


def test_theming_does_not_import_pyqtgraph():
    code = (
        "import sys; from PySide6.QtWidgets import QApplication; import studio.shell.theming; "
        "sys.exit('pyqtgraph imported' if 'pyqtgraph' in sys.modules else 0)"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    subprocess.run(
        [sys.executable, "-c", code], check=True, env=env, cwd=Path(studio.__file__).parents[1]
    )


# -- glyph files --------------------------------------------------------------------------


def test_glyphs_are_written_once_and_referenced(manager, tmp_path):
    theme = manager.theme("cobalt")
    sheet = manager.qss(theme)
    folders = list((tmp_path / "icons").iterdir())
    assert len(folders) == 1
    for name in ("check.svg", "chevron-down.svg", "close.svg", "float.svg"):
        assert (folders[0] / name).is_file()
        assert f"{folders[0].as_posix()}/{name}" in sheet
    # Same glyphs (same colours) → same folder, nothing rewritten.
    assert ThemeManager(icon_cache_dir=tmp_path / "icons")._write_icons(theme) == folders[0]


def test_unwritable_glyph_folder_degrades_gracefully(qapp, tmp_path):
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    mgr = ThemeManager(icon_cache_dir=blocker / "icons")
    sheet = mgr.qss(mgr.current)
    assert "url(" not in sheet and "QCheckBox::indicator" in sheet
    assert any("glyphs" in p for p in mgr.problems)


def test_default_glyph_folder_follows_studio_home(monkeypatch, tmp_path):
    monkeypatch.setenv("HAFS_STUDIO_HOME", str(tmp_path))
    assert ThemeManager()._icon_root() == tmp_path / "cache" / "theme-icons"
