"""One settings section as a form: an editor per field, help text, inline errors."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import (
    Qt,
)
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from studio.core.contributions import SettingField, SettingsSectionSpec
from studio.core.settings import SettingsError
from studio.shell.icons import icon

if TYPE_CHECKING:
    from studio.core.app import Studio


__all__ = ["FieldEditor", "SectionPage"]

log = logging.getLogger(__name__)

INT_LIMIT = 2**31 - 1  # QSpinBox holds a C int
PAGE_MARGINS = (20, 16, 20, 16)


def _repolish(widget: QWidget) -> None:
    # A dynamic property only restyles after the style re-reads it.
    widget.style().unpolish(widget)
    widget.style().polish(widget)


class FieldEditor(QWidget):
    """The editor for one setting plus its help text and inline error.

    ``apply(value)`` is given by the page; it raises :class:`SettingsError` on a rejected value.
    """

    def __init__(
        self,
        field: SettingField,
        value: Any,
        apply: Callable[[Any], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.field = field
        self._apply = apply
        self.setObjectName(f"setting-{field.key}")
        self.input = self._make_input(field)
        self.set_value(value)
        self._connect_input()

        self.error_label = QLabel(wordWrap=True)
        self.error_label.setProperty("role", "error")
        self.error_label.hide()
        self.help_label = QLabel(field.help, wordWrap=True)
        self.help_label.setProperty("role", "muted")
        self.help_label.setVisible(bool(field.help) and field.type != "bool")

        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(4)
        row.addWidget(self.input, 1)
        if field.type == "path":
            browse = QToolButton()
            browse.setIcon(icon("mdi6.folder-open-outline"))
            browse.setToolTip("Browse…")
            browse.clicked.connect(self._browse)
            row.addWidget(browse)
        if field.type in ("int", "float", "choice"):
            row.addStretch(1)  # compact editors look odd stretched across the page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error_label)
        if field.type == "bool":
            self.help_label.setContentsMargins(24, 0, 0, 0)  # align under the check box's text
            self.help_label.setVisible(bool(field.help))
        layout.addWidget(self.help_label)
        if field.help:
            self.input.setToolTip(field.help)

    # -- input widgets -------------------------------------------------------------------
    def _make_input(self, field: SettingField) -> QWidget:
        if field.type == "bool":
            return QCheckBox(field.label or field.key)
        if field.type == "int":
            spin = QSpinBox()
            spin.setRange(
                int(field.minimum) if field.minimum is not None else -INT_LIMIT,
                int(field.maximum) if field.maximum is not None else INT_LIMIT,
            )
            return _tidy_spin(spin)
        if field.type == "float":
            double = QDoubleSpinBox()
            double.setDecimals(_decimals_for(field))
            double.setRange(
                field.minimum if field.minimum is not None else -1e12,
                field.maximum if field.maximum is not None else 1e12,
            )
            double.setStepType(QAbstractSpinBox.StepType.AdaptiveDecimalStepType)
            return _tidy_spin(double)
        if field.type == "choice":
            combo = QComboBox()
            combo.addItems([str(choice) for choice in field.choices])
            combo.setMinimumContentsLength(12)
            return combo
        line = QLineEdit()
        line.setClearButtonEnabled(True)
        if field.type == "path":
            line.setPlaceholderText("A file or folder path")
        return line

    def _connect_input(self) -> None:
        widget = self.input
        if isinstance(widget, QCheckBox):
            widget.toggled.connect(self.commit)
        elif isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            widget.valueChanged.connect(self.commit)
        elif isinstance(widget, QComboBox):
            widget.currentTextChanged.connect(self.commit)
        elif isinstance(widget, QLineEdit):
            # Text is saved when the user is done with it (Enter or leaving the field),
            # not per keystroke: a half-typed path is not a setting.
            widget.editingFinished.connect(self.commit)

    def value(self) -> Any:
        widget = self.input
        if isinstance(widget, QCheckBox):
            return widget.isChecked()
        if isinstance(widget, (QSpinBox, QDoubleSpinBox)):
            return widget.value()
        if isinstance(widget, QComboBox):
            return widget.currentText()
        assert isinstance(widget, QLineEdit)
        return widget.text()

    def set_value(self, value: Any) -> None:
        """Show ``value`` without saving it (after a reset or a change made elsewhere)."""
        widget = self.input
        widget.blockSignals(True)
        try:
            if isinstance(widget, QCheckBox):
                widget.setChecked(bool(value))
            elif isinstance(widget, QSpinBox):
                widget.setValue(int(value))
            elif isinstance(widget, QDoubleSpinBox):
                widget.setValue(float(value))
            elif isinstance(widget, QComboBox):
                widget.setCurrentText(str(value))
            elif isinstance(widget, QLineEdit):
                widget.setText(str(value))
        finally:
            widget.blockSignals(False)

    # -- saving --------------------------------------------------------------------------
    def commit(self, *_: Any) -> bool:
        """Save the editor's value; show the reason inline and return False if rejected."""
        try:
            self._apply(self.value())
        except SettingsError as exc:
            self.show_error(_without_prefix(str(exc)))
            return False
        self.show_error("")
        return True

    def show_error(self, message: str) -> None:
        self.error_label.setText(message)
        self.error_label.setVisible(bool(message))
        self.input.setProperty("role", "error" if message else None)
        _repolish(self.input)

    def _browse(self) -> None:
        current = self.value() or ""
        if _looks_like_folder(self.field):
            chosen = QFileDialog.getExistingDirectory(
                self, self.field.label or "Choose a folder", current
            )
        else:
            chosen, _ = QFileDialog.getOpenFileName(
                self, self.field.label or "Choose a file", current
            )
        if chosen:
            assert isinstance(self.input, QLineEdit)
            self.input.setText(chosen)
            self.commit()


class SectionPage(QWidget):
    """The form for one settings section, with "Restore defaults"."""

    def __init__(
        self, studio: Studio, section: SettingsSectionSpec, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.studio = studio
        self.section = section
        self.editors: dict[str, FieldEditor] = {}

        title = QLabel(section.title)
        title.setProperty("role", "heading")
        restore = QPushButton(icon("mdi6.restore"), "Restore defaults")
        restore.setToolTip(f"Reset every setting of {section.title} to its default")
        restore.clicked.connect(self.restore_defaults)
        header = QHBoxLayout()
        header.addWidget(title, 1)
        header.addWidget(restore)

        form = QGridLayout()
        form.setHorizontalSpacing(16)
        form.setVerticalSpacing(14)
        form.setColumnStretch(1, 1)
        values = studio.settings.values(section.id)
        for row, field in enumerate(section.fields):
            editor = FieldEditor(field, values[field.key], self._setter(field.key))
            self.editors[field.key] = editor
            if field.type != "bool":  # a check box carries its own label
                label = QLabel(f"{field.label or field.key}")
                label.setBuddy(editor.input)
                label.setToolTip(f"{section.id}.{field.key}")
                form.addWidget(label, row, 0, Qt.AlignmentFlag.AlignTop)
                label.setContentsMargins(0, 5, 0, 0)  # baseline with the editor's text
                form.addWidget(editor, row, 1)
            else:
                form.addWidget(editor, row, 0, 1, 2)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(*PAGE_MARGINS)
        layout.setSpacing(8)
        layout.addLayout(header)
        if section.description:
            description = QLabel(section.description, wordWrap=True)
            description.setProperty("role", "muted")
            layout.addWidget(description)
        divider = QFrame()  # drawn by the theme's QFrame[role="divider"] rule
        divider.setProperty("role", "divider")
        layout.addWidget(divider)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addStretch(1)

    def _setter(self, key: str) -> Callable[[Any], Any]:
        def apply(value: Any) -> Any:
            return self.studio.settings.set(self.section.id, key, value)

        return apply

    def restore_defaults(self) -> None:
        for key, editor in self.editors.items():
            self.studio.settings.reset(self.section.id, key)
            editor.set_value(self.studio.settings.get(self.section.id, key))
            editor.show_error("")

    def show_value(self, key: str, value: Any) -> None:
        """Reflect a change made elsewhere (a command, another window) unless being edited."""
        editor = self.editors.get(key)
        if editor is not None and not editor.input.hasFocus():
            editor.set_value(value)
            editor.show_error("")


def _tidy_spin(spin: QAbstractSpinBox) -> QAbstractSpinBox:
    # Save when the user commits (Enter, focus out, arrows), not on every typed digit.
    spin.setKeyboardTracking(False)
    spin.setMinimumWidth(120)
    spin.setAccelerated(True)
    return spin


def _decimals_for(field: SettingField) -> int:
    """Enough decimals to show the default and the bounds (2e-4 needs 6), at most 10."""
    decimals = 2
    for number in (field.default, field.minimum, field.maximum):
        if isinstance(number, (int, float)) and number and math.isfinite(number):
            decimals = max(decimals, 2 - math.floor(math.log10(abs(number))))
    return min(10, decimals)


def _looks_like_folder(field: SettingField) -> bool:
    words = f"{field.key} {field.label}".lower()
    return any(word in words for word in ("dir", "folder", "root", "workspace"))


def _without_prefix(message: str) -> str:
    # SettingsError says "section.key: reason"; under the field itself the reason is enough.
    head, sep, rest = message.partition(": ")
    return rest[:1].upper() + rest[1:] if sep and "." in head and " " not in head else message
