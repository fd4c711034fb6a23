"""The pipeline's backend step: one radio button per backend with its availability and reason,
and, for a backend that deploys to one of several places (the node backend's hosts), a host
choice beneath it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from PySide6.QtWidgets import QButtonGroup, QComboBox, QHBoxLayout, QRadioButton, QVBoxLayout

from studio.plugins.deploy.widgets.common import label

__all__ = ["BackendChoice"]


class BackendChoice:
    """Fills ``layout`` with the backends; ``toggled(backend_id)`` when the choice changes."""

    def __init__(self, parent: Any, toggled: Callable[[str], None]) -> None:
        self.layout = QVBoxLayout()
        self.group = QButtonGroup(parent)
        self.group.idToggled.connect(
            lambda _id, checked: checked and toggled(str(self.backend_id())))
        self._hosts: dict[str, QComboBox] = {}  # backend id -> where it deploys
        self._chosen_hosts: dict[str, str] = {}

    def fill(self, backends: Iterable[Any], availability: dict[str, Any], default: str) -> None:
        """Rebuild the buttons (keeps the checked backend and each host chosen so far).

        Backends answer one by one: ``default`` is checked when it turns out available; the
        first available one only once every backend has answered."""
        backends = list(backends)
        default = self.backend_id() or default
        self._chosen_hosts.update({k: box.currentText() for k, box in self._hosts.items()})
        self._hosts = {}
        for button in self.group.buttons():
            self.group.removeButton(button)
        while self.layout.count():
            _delete_item(self.layout.takeAt(0))
        for index, backend in enumerate(backends):
            available = availability.get(backend.id)
            button = QRadioButton(backend.name)
            button.setObjectName(f"backend:{backend.id}")
            button.setProperty("backend_id", backend.id)
            button.setEnabled(bool(available))
            self.group.addButton(button, index)
            reason = label(available.reason if available is not None else "checking…",
                           "warning" if available is not None and not available else "muted")
            reason.setContentsMargins(24, 0, 0, 4)
            self.layout.addWidget(button)
            self.layout.addWidget(reason)
            if available is not None and available.hosts:
                self.layout.addLayout(self._host_row(backend.id, available.hosts))
            if backend.id == default and available:
                button.setChecked(True)
        if self.group.checkedButton() is None and len(availability) >= len(backends):
            first = next((b for b in self.group.buttons() if b.isEnabled()), None)
            if first is not None:
                first.setChecked(True)

    def _host_row(self, backend_id: str, hosts: tuple[str, ...]) -> QHBoxLayout:
        box = QComboBox()
        box.setObjectName(f"backend-host:{backend_id}")
        box.addItems(list(hosts))
        box.setCurrentIndex(max(box.findText(self._chosen_hosts.get(backend_id, "")), 0))
        self._hosts[backend_id] = box
        row = QHBoxLayout()
        row.setContentsMargins(24, 0, 0, 4)
        row.addWidget(label("Host", "muted", wrap=False))
        row.addWidget(box)
        row.addStretch(1)
        return row

    def backend_id(self) -> str | None:
        button = self.group.checkedButton()
        return button.property("backend_id") if button is not None else None

    def host(self) -> str | None:
        """The host chosen for the checked backend (None: it has no choice of host)."""
        box = self._hosts.get(self.backend_id() or "")
        return box.currentText() if box is not None else None

    def host_box(self, backend_id: str) -> QComboBox | None:
        return self._hosts.get(backend_id)


def _delete_item(item: Any) -> None:
    """A layout item and what it holds (a widget, or a nested layout's widgets)."""
    if item.widget() is not None:
        item.widget().deleteLater()
    elif item.layout() is not None:
        while item.layout().count():
            _delete_item(item.layout().takeAt(0))
