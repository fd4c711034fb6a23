"""The application stylesheet (QSS) generated from a theme's tokens.

Kept apart from :mod:`studio.core.themes` because the template is long; like that module it is
Qt-free and produces plain strings the shell hands to Qt.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from studio.core.contributions import ThemeSpec
from studio.core.themes import Theme, flatten, parse_color, resolve_theme

__all__ = ["generate_qss", "indicator_icons"]


def _qss_colour(value: str) -> str:
    """A token as QSS understands it: ``#rrggbb`` or ``rgba(r, g, b, a)``."""
    colour = parse_color(value)
    if colour.a == 255:
        return colour.hex()
    return f"rgba({colour.r}, {colour.g}, {colour.b}, {colour.a})"


def generate_qss(theme: Theme | ThemeSpec, icon_dir: str | Path | None = None) -> str:
    """The application stylesheet for ``theme`` (a ThemeSpec is resolved first).

    ``icon_dir`` is a folder holding :func:`indicator_icons` of this theme; with it, check
    boxes, radio buttons, spin boxes, combo boxes and dock buttons get themed glyphs. Without
    it they keep Fusion's palette-drawn ones.
    """
    if isinstance(theme, ThemeSpec):
        theme = resolve_theme(theme)
    names = {name.replace(".", "_"): _qss_colour(value) for name, value in theme.tokens.items()}
    sheet = _QSS.substitute(names)
    if icon_dir is not None:
        # QSS url() wants forward slashes on every OS.
        names["icons"] = Path(icon_dir).resolve().as_posix()
        sheet += _ICON_QSS.substitute(names)
    return sheet


def indicator_icons(theme: Theme) -> dict[str, str]:
    """The small SVG glyphs :func:`generate_qss` refers to, as ``{file name: SVG text}``.

    QSS can only draw images from files, so the shell writes these to a cache folder.
    """
    glyphs = {
        "check": ("accent.text", '<path d="M3.5 8.5l3 3 6-7" stroke-width="2"/>'),
        "partial": ("accent.text", '<path d="M4 8h8" stroke-width="2"/>'),
        "chevron-up": ("text.muted", '<path d="M4 10l4-4 4 4" stroke-width="1.6"/>'),
        "chevron-down": ("text.muted", '<path d="M4 6l4 4 4-4" stroke-width="1.6"/>'),
        "chevron-up-disabled": ("text.disabled", '<path d="M4 10l4-4 4 4" stroke-width="1.6"/>'),
        "chevron-down-disabled": ("text.disabled", '<path d="M4 6l4 4 4-4" stroke-width="1.6"/>'),
        "close": ("text.muted", '<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke-width="1.6"/>'),
        "float": (
            "text.muted",
            '<path d="M2.5 5.5h8v8h-8z M5.5 2.5h8v8" stroke-width="1.4"/>',
        ),
    }
    return {
        f"{name}.svg": (
            '<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16" '
            f'fill="none" stroke="{flatten(theme[token], theme["bg"]).hex()}" '
            f'stroke-linecap="round" stroke-linejoin="round">{shape}</svg>\n'
        )
        for name, (token, shape) in glyphs.items()
    }


# Rules that need the glyph files of indicator_icons(); ${icons} is their folder.
_ICON_QSS = Template(
    """
QCheckBox::indicator:checked, QGroupBox::indicator:checked, QAbstractItemView::indicator:checked {
    image: url(${icons}/check.svg);
}
QCheckBox::indicator:indeterminate { image: url(${icons}/partial.svg); }
QComboBox { padding-right: 22px; }
QComboBox::drop-down {
    subcontrol-origin: padding; subcontrol-position: center right; width: 20px; border: none;
}
QComboBox::down-arrow { image: url(${icons}/chevron-down.svg); width: 12px; height: 12px; }
QComboBox::down-arrow:disabled { image: url(${icons}/chevron-down-disabled.svg); }
QAbstractSpinBox { padding-right: 22px; }
QAbstractSpinBox::up-button, QAbstractSpinBox::down-button {
    subcontrol-origin: border; width: 20px; border: none; border-left: 1px solid ${border};
    background: transparent;
}
QAbstractSpinBox::up-button { subcontrol-position: top right; border-top-right-radius: 3px; }
QAbstractSpinBox::down-button {
    subcontrol-position: bottom right; border-bottom-right-radius: 3px;
}
QAbstractSpinBox::up-button:hover, QAbstractSpinBox::down-button:hover {
    background-color: ${hover};
}
QAbstractSpinBox::up-arrow { image: url(${icons}/chevron-up.svg); width: 10px; height: 10px; }
QAbstractSpinBox::down-arrow { image: url(${icons}/chevron-down.svg); width: 10px; height: 10px; }
QAbstractSpinBox::up-arrow:disabled, QAbstractSpinBox::up-arrow:off {
    image: url(${icons}/chevron-up-disabled.svg);
}
QAbstractSpinBox::down-arrow:disabled, QAbstractSpinBox::down-arrow:off {
    image: url(${icons}/chevron-down-disabled.svg);
}
QDockWidget {
    titlebar-close-icon: url(${icons}/close.svg); titlebar-normal-icon: url(${icons}/float.svg);
}
"""
)

# The stylesheet, one rule block per widget family. ${token} is a token with dots as
# underscores. Indicators (check boxes, arrows) are left to the Fusion style, which draws them
# from the palette: styling them in QSS would need image files per theme.
_QSS = Template(
    """
QMainWindow, QDialog { background-color: ${bg}; }
QMainWindow::separator { background-color: ${bg}; width: 5px; height: 5px; }
QMainWindow::separator:hover { background-color: ${accent}; }
QWidget:disabled { color: ${text_disabled}; }

QDockWidget { color: ${text}; }
QDockWidget::title {
    background-color: ${surface}; color: ${text_muted}; text-align: left;
    padding: 5px 8px; border-bottom: 1px solid ${border};
}
QDockWidget::close-button, QDockWidget::float-button {
    background: transparent; border: 1px solid transparent; border-radius: 3px; padding: 1px;
}
QDockWidget::close-button:hover, QDockWidget::float-button:hover {
    background-color: ${hover}; border-color: ${border};
}
QDockWidget::close-button:pressed, QDockWidget::float-button:pressed {
    background-color: ${selection};
}

QTabWidget::pane { border: 1px solid ${border}; background-color: ${bg}; top: -1px; }
QTabBar { qproperty-drawBase: 0; }
QTabBar::tab {
    background-color: ${surface}; color: ${text_muted}; padding: 5px 14px;
    border: 1px solid ${border}; min-width: 48px;
}
QTabBar::tab:top { border-bottom: none; margin-right: -1px; border-top: 2px solid transparent; }
QTabBar::tab:bottom { border-top: none; margin-right: -1px; border-bottom: 2px solid transparent; }
QTabBar::tab:hover { background-color: ${hover}; color: ${text}; }
QTabBar::tab:selected { background-color: ${bg}; color: ${text}; }
QTabBar::tab:top:selected { border-top: 2px solid ${accent}; }
QTabBar::tab:bottom:selected { border-bottom: 2px solid ${accent}; }
QTabBar::tab:disabled { color: ${text_disabled}; }

QToolBar {
    background-color: ${surface}; border: none; border-bottom: 1px solid ${border};
    spacing: 2px; padding: 3px 4px;
}
QToolBar::separator { background-color: ${border}; width: 1px; height: 1px; margin: 4px 5px; }
QMenuBar { background-color: ${surface}; color: ${text}; border-bottom: 1px solid ${border}; }
QMenuBar::item { background: transparent; padding: 4px 10px; }
QMenuBar::item:selected { background-color: ${hover}; }
QMenuBar::item:pressed { background-color: ${selection}; color: ${selection_text}; }
QMenu {
    background-color: ${surface_raised}; color: ${text}; border: 1px solid ${border};
    padding: 4px;
}
QMenu::item { padding: 5px 28px 5px 24px; border-radius: 3px; }
QMenu::item:selected { background-color: ${selection}; color: ${selection_text}; }
QMenu::item:disabled { color: ${text_disabled}; background: transparent; }
QMenu::separator { height: 1px; background-color: ${border}; margin: 4px 6px; }
QStatusBar { background-color: ${surface}; color: ${text_muted}; border-top: 1px solid ${border}; }
QStatusBar::item { border: none; }
QStatusBar QLabel { color: ${text_muted}; }

QPushButton {
    background-color: ${surface_raised}; color: ${text}; border: 1px solid ${border};
    border-radius: 3px; padding: 5px 14px; min-height: 16px;
}
QPushButton:hover { background-color: ${hover}; border-color: ${scrollbar_hover}; }
QPushButton:pressed, QPushButton:checked {
    background-color: ${selection}; color: ${selection_text};
}
QPushButton:focus { border-color: ${focus}; }
QPushButton:default { border-color: ${accent}; }
QPushButton:disabled, QPushButton[role="primary"]:disabled {
    background-color: ${bg_alt}; color: ${text_disabled}; border-color: ${border};
}
QPushButton[role="primary"] {
    background-color: ${accent}; color: ${accent_text}; border-color: ${accent};
}
QPushButton[role="primary"]:hover {
    background-color: ${accent_hover}; border-color: ${accent_hover};
}
QPushButton[role="primary"]:pressed { background-color: ${accent_pressed}; }
QToolButton {
    background: transparent; color: ${text}; border: 1px solid transparent; border-radius: 3px;
    padding: 3px;
}
QToolButton:hover { background-color: ${hover}; border-color: ${border}; }
QToolButton:pressed, QToolButton:checked {
    background-color: ${selection}; color: ${selection_text};
}
QToolButton:focus { border-color: ${focus}; }

QLineEdit, QComboBox, QAbstractSpinBox, QTextEdit, QPlainTextEdit {
    background-color: ${input_bg}; color: ${text}; border: 1px solid ${border}; border-radius: 3px;
    selection-background-color: ${selection}; selection-color: ${selection_text};
}
QLineEdit, QComboBox, QAbstractSpinBox { padding: 4px 6px; min-height: 16px; }
QLineEdit:hover, QComboBox:hover, QAbstractSpinBox:hover { border-color: ${scrollbar_hover}; }
QLineEdit:focus, QComboBox:focus, QAbstractSpinBox:focus, QTextEdit:focus, QPlainTextEdit:focus {
    border-color: ${focus};
}
QLineEdit:disabled, QComboBox:disabled, QAbstractSpinBox:disabled, QTextEdit:disabled,
QPlainTextEdit:disabled { background-color: ${bg_alt}; color: ${text_disabled}; }
QLineEdit[role="error"], QComboBox[role="error"], QAbstractSpinBox[role="error"] {
    border-color: ${error};
}
QComboBox QAbstractItemView {
    background-color: ${surface_raised}; color: ${text}; border: 1px solid ${border};
    selection-background-color: ${selection}; selection-color: ${selection_text}; outline: 0;
}

QTreeView, QTableView, QListView {
    background-color: ${input_bg}; alternate-background-color: ${bg_alt}; color: ${text};
    border: 1px solid ${border}; gridline-color: ${border}; outline: 0;
    selection-background-color: ${selection}; selection-color: ${selection_text};
}
QTreeView::item, QListView::item { padding: 2px 0; }
QTreeView::item:hover, QTableView::item:hover, QListView::item:hover { background-color: ${hover}; }
QTreeView::item:selected, QTableView::item:selected, QListView::item:selected {
    background-color: ${selection}; color: ${selection_text};
}
QHeaderView { background-color: ${header_bg}; border: none; }
QHeaderView::section {
    background-color: ${header_bg}; color: ${text_muted}; padding: 4px 8px; border: none;
    border-right: 1px solid ${border}; border-bottom: 1px solid ${border}; font-weight: 600;
}
QHeaderView::section:hover { background-color: ${hover}; color: ${text}; }
QTableCornerButton::section { background-color: ${header_bg}; border: none;
    border-right: 1px solid ${border}; border-bottom: 1px solid ${border}; }

QScrollBar:vertical { background: transparent; width: 11px; margin: 0; }
QScrollBar:horizontal { background: transparent; height: 11px; margin: 0; }
QScrollBar::handle { background-color: ${scrollbar}; border-radius: 3px; margin: 2px; }
QScrollBar::handle:vertical { min-height: 28px; }
QScrollBar::handle:horizontal { min-width: 28px; }
QScrollBar::handle:hover, QScrollBar::handle:pressed { background-color: ${scrollbar_hover}; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; border: none; background: none; }
QScrollBar::add-page, QScrollBar::sub-page { background: none; }
QAbstractScrollArea::corner { background: transparent; }
QScrollArea { border: none; background: transparent; }

QProgressBar {
    background-color: ${bg_alt}; color: ${selection_text}; border: 1px solid ${border};
    border-radius: 3px; text-align: center; min-height: 14px;
}
QProgressBar::chunk { background-color: ${selection}; border-radius: 2px; }
QProgressBar[role="slim"] { max-height: 4px; min-height: 4px; border: none; border-radius: 2px; }
QProgressBar[role="slim"]::chunk { background-color: ${accent}; }

QCheckBox, QRadioButton { color: ${text}; spacing: 6px; background: transparent; }
QCheckBox:disabled, QRadioButton:disabled { color: ${text_disabled}; }
QCheckBox::indicator, QRadioButton::indicator, QGroupBox::indicator,
QAbstractItemView::indicator {
    width: 14px; height: 14px; border: 1px solid ${text_muted}; background-color: ${input_bg};
}
QCheckBox::indicator, QGroupBox::indicator, QAbstractItemView::indicator { border-radius: 3px; }
QRadioButton::indicator { border-radius: 8px; }
QCheckBox::indicator:hover, QRadioButton::indicator:hover { border-color: ${focus}; }
QCheckBox::indicator:checked, QCheckBox::indicator:indeterminate, QGroupBox::indicator:checked,
QAbstractItemView::indicator:checked {
    background-color: ${accent}; border-color: ${accent};
}
QRadioButton::indicator:checked {
    border-color: ${accent};
    background-color: qradialgradient(cx: 0.5, cy: 0.5, radius: 0.5, fx: 0.5, fy: 0.5,
        stop: 0 ${accent_text}, stop: 0.32 ${accent_text}, stop: 0.42 ${accent}, stop: 1 ${accent});
}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {
    border-color: ${text_disabled}; background-color: ${bg_alt};
}
QCheckBox::indicator:checked:disabled { background-color: ${text_disabled}; }

QToolTip {
    background-color: ${tooltip_bg}; color: ${tooltip_text}; border: 1px solid ${border};
    padding: 4px 6px;
}
QSplitter::handle { background-color: ${bg}; }
QSplitter::handle:horizontal { width: 5px; }
QSplitter::handle:vertical { height: 5px; }
QSplitter::handle:hover { background-color: ${accent}; }

QGroupBox {
    border: 1px solid ${border}; border-radius: 4px; margin-top: 16px; padding: 10px 8px 8px 8px;
}
QGroupBox::title {
    subcontrol-origin: margin; subcontrol-position: top left; left: 8px; padding: 0 4px;
    color: ${text_muted}; font-weight: 600;
}

QLabel { background: transparent; }
QLabel[role="muted"] { color: ${text_muted}; }
QLabel[role="heading"] { color: ${text}; font-size: 14pt; font-weight: 600; }
QLabel[role="subheading"] { color: ${text_muted}; font-weight: 600; }
QLabel[role="metric"] { color: ${text}; font-size: 20pt; font-weight: 600; }
QLabel[role="badge"] {
    background-color: ${accent}; color: ${accent_text}; border-radius: 8px; padding: 1px 8px;
    font-weight: 600;
}
QLabel[role="success"] { color: ${success}; }
QLabel[role="warning"] { color: ${warning}; }
QLabel[role="error"] { color: ${error}; }
QLabel[role="info"] { color: ${info}; }
QLabel[role="mono"], QPlainTextEdit[role="mono"] { font-family: "DejaVu Sans Mono", monospace; }
QFrame[role="card"] {
    background-color: ${surface}; border: 1px solid ${border}; border-radius: 6px;
}
QFrame[role="card"]:hover { border-color: ${scrollbar_hover}; }
QFrame[role="divider"] { background-color: ${border}; max-height: 1px; min-height: 1px; }
"""
)
